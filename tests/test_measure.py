"""Environment fingerprint details."""
from __future__ import annotations

import subprocess

from zoo.measure import git_sha


def test_code_version_is_read_once_per_process(tmp_path):
    """A commit made while a sweep runs must not relabel the sweep's later cells."""
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "a")
    first = git_sha(tmp_path)
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "b")
    assert git_sha(tmp_path) == first and len(first) == 12

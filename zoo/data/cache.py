"""The prepared-dataset cache: `<cache_dir>/prepared/<name>-<fingerprint[:12]>.json`.

Entries appear atomically (temporary file in the same folder, fsync, os.replace), so a
reader sees either no entry or a complete one, even with several processes preparing the
same dataset at once. An unreadable entry is treated as missing and rebuilt.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

CACHE_FORMAT = 1


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that `path` either holds all of it or does not change."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache may be shared
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def prepared_path(cache_dir: Path, name: str, fingerprint: str) -> Path:
    return Path(cache_dir) / "prepared" / f"{name}-{fingerprint[:12]}.json"


def write_entry(path: Path, entry: dict) -> None:
    data = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    write_bytes_atomic(path, data)


def read_entry(path: Path, *, name: str, fingerprint: str) -> dict | None:
    """The cached entry, or None when missing, unreadable or for other inputs."""
    try:
        entry = json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable cache entry %s (%s); rebuilding it", path, exc)
        return None
    if not isinstance(entry, dict) or (entry.get("format"), entry.get("name"),
                                       entry.get("fingerprint")) != (CACHE_FORMAT, name,
                                                                     fingerprint):
        log.warning("cache entry %s is for other inputs; rebuilding it", path)
        return None
    return entry

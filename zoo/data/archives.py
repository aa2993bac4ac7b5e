"""Read single members out of (possibly nested) tar and zip archives, safely.

Members are read into memory and written only under names *we* choose, so a hostile member
name could not escape the cache anyway; we still refuse any archive holding an absolute or
`..` path, a link or a device node, because such an archive is not the one we pinned and
should not be trusted for anything.
"""
from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from zoo.data.errors import DatasetError


def _unsafe_name(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    drive = len(name) > 1 and name[1] == ":"  # "C:..." is absolute on Windows
    return path.is_absolute() or drive or ".." in path.parts


def _refuse(label: str, member: str, why: str) -> DatasetError:
    return DatasetError(
        f"archive {label} holds an unsafe member {member!r} ({why}); refusing to read it: "
        "delete it and download again from a trusted source")


def _check_tar(tar: tarfile.TarFile, label: str) -> None:
    for info in tar.getmembers():
        if _unsafe_name(info.name):
            raise _refuse(label, info.name, "absolute path or '..'")
        if info.issym() or info.islnk():
            raise _refuse(label, info.name, "link")
        if info.isdev():
            raise _refuse(label, info.name, "device or fifo")


def _check_zip(archive: zipfile.ZipFile, label: str) -> None:
    for info in archive.infolist():
        if _unsafe_name(info.filename):
            raise _refuse(label, info.filename, "absolute path or '..'")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise _refuse(label, info.filename, "link")


def _missing(label: str, member: str) -> DatasetError:
    return DatasetError(
        f"archive {label} has no member {member!r}; the archive is not the expected release: "
        "delete it and prepare again")


def _read_tar_member(data: io.BufferedIOBase, label: str, member: str) -> bytes:
    with tarfile.open(fileobj=data, mode="r:*") as tar:
        _check_tar(tar, label)
        try:
            info = tar.getmember(member)
        except KeyError:
            raise _missing(label, member) from None
        handle = tar.extractfile(info) if info.isfile() else None
        if handle is None:
            raise _missing(label, member)
        return handle.read()


def _read_zip_member(data: io.BufferedIOBase, label: str, member: str) -> bytes:
    with zipfile.ZipFile(data) as archive:
        _check_zip(archive, label)
        try:
            return archive.read(member)
        except KeyError:
            raise _missing(label, member) from None


def read_member(data: bytes | Path, member: str, *, label: str) -> bytes:
    """The bytes of one member of a tar (any compression) or zip archive.

    `label` names the archive in error messages (a path, or "outer.tar.gz → inner.tar.gz").
    """
    stream: io.BufferedIOBase
    stream = io.BytesIO(data) if isinstance(data, bytes) else open(data, "rb")  # noqa: SIM115
    with stream:
        try:
            if zipfile.is_zipfile(stream):
                stream.seek(0)
                return _read_zip_member(stream, label, member)
            stream.seek(0)
            return _read_tar_member(stream, label, member)
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
            raise DatasetError(
                f"archive {label} is not a readable tar or zip file ({exc}); delete it and "
                "download again") from exc


def read_nested_member(archive: Path, chain: tuple[str, ...]) -> bytes:
    """Follow `chain` through nested archives: each member but the last is itself an archive."""
    if not chain:
        raise ValueError("empty member chain")
    data: bytes | Path = archive
    label = str(archive)
    for member in chain:
        data = read_member(data, member, label=label)
        label = f"{label} → {member}"
    assert isinstance(data, bytes)
    return data

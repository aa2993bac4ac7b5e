"""Safe member reading from (nested) archives, and checksum verification."""
from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from zoo.data.archives import read_member, read_nested_member
from zoo.data.download import sha256_file, verify_sha256
from zoo.data.errors import DatasetError


def _tar_bytes(members: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if symlink:
            link = tarfile.TarInfo(symlink)
            link.type = tarfile.SYMTYPE
            link.linkname = "/etc/passwd"
            tar.addfile(link)
    return buf.getvalue()


def test_nested_tar_member_is_read(tmp_path: Path) -> None:
    inner = _tar_bytes({"hutto/data.txt": b"1\t2.0\tGood.\n"})
    outer = tmp_path / "pkg-1.0.tar.gz"
    outer.write_bytes(_tar_bytes({"pkg-1.0/res/inner.tar.gz": inner, "pkg-1.0/setup.py": b""}))
    data = read_nested_member(outer, ("pkg-1.0/res/inner.tar.gz", "hutto/data.txt"))
    assert data == b"1\t2.0\tGood.\n"


@pytest.mark.parametrize("evil", ["../../evil.txt", "/etc/evil.txt", "ok/../../evil.txt"])
def test_tar_with_traversal_member_is_refused(tmp_path: Path, evil: str) -> None:
    path = tmp_path / "evil.tar.gz"
    path.write_bytes(_tar_bytes({"pkg/data.txt": b"x", evil: b"pwned"}))
    with pytest.raises(DatasetError, match="unsafe member"):
        read_member(path, "pkg/data.txt", label=str(path))
    assert not (tmp_path.parent / "evil.txt").exists()


def test_tar_with_symlink_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "link.tar.gz"
    path.write_bytes(_tar_bytes({"pkg/data.txt": b"x"}, symlink="pkg/passwd"))
    with pytest.raises(DatasetError, match="unsafe member 'pkg/passwd' \\(link\\)"):
        read_member(path, "pkg/data.txt", label=str(path))


def test_unsafe_inner_archive_is_refused_too(tmp_path: Path) -> None:
    inner = _tar_bytes({"../escape.txt": b"x", "data.txt": b"y"})
    outer = tmp_path / "outer.tar.gz"
    outer.write_bytes(_tar_bytes({"pkg/inner.tar.gz": inner}))
    with pytest.raises(DatasetError, match="outer.tar.gz → pkg/inner.tar.gz holds an unsafe"):
        read_nested_member(outer, ("pkg/inner.tar.gz", "data.txt"))


@pytest.mark.parametrize("evil", ["../evil.txt", "/abs/evil.txt", "C:/evil.txt"])
def test_zip_with_traversal_member_is_refused(tmp_path: Path, evil: str) -> None:
    path = tmp_path / "evil.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("pkg/data/ner.txt", "a\tO\n")
        archive.writestr(evil, "pwned")
    with pytest.raises(DatasetError, match="unsafe member"):
        read_member(path, "pkg/data/ner.txt", label=str(path))


def test_zip_member_is_read_and_missing_member_is_named(tmp_path: Path) -> None:
    path = tmp_path / "pkg.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("pkg/data/ner.txt", "a\tO\n")
    assert read_member(path, "pkg/data/ner.txt", label="pkg.whl") == b"a\tO\n"
    with pytest.raises(DatasetError, match="has no member 'pkg/data/spa.tsv'"):
        read_member(path, "pkg/data/spa.tsv", label="pkg.whl")


def test_corrupted_archive_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pkg.tar.gz"
    path.write_bytes(_tar_bytes({"pkg/data.txt": b"x" * 1000})[:40])
    with pytest.raises(DatasetError, match="not a readable tar or zip"):
        read_member(path, "pkg/data.txt", label=str(path))


def test_checksum_mismatch_names_file_expected_and_got_and_deletes(tmp_path: Path) -> None:
    path = tmp_path / "pkg.tar.gz"
    path.write_bytes(b"tampered")
    got = sha256_file(path)
    with pytest.raises(DatasetError, match=rf"pkg\.tar\.gz: expected sha256 {'0' * 64}, got {got}"):
        verify_sha256(path, "0" * 64, delete_bad=True)
    assert not path.exists()

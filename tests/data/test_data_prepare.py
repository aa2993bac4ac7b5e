"""prepare_dataset on hand-made files (data_dir and a fake mirror): catalog, fingerprint cache,
rebuilds, and bad input. No network."""
from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import pytest

import zoo.data.prepare as prepare_mod
from zoo.data import DatasetError, get_card, list_datasets, prepare_dataset
from zoo.data.cards import SPLITS
from zoo.data.readers import READER_VERSIONS

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def _no_env_mirror(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZOO_DATA_MIRROR", raising=False)


def _copy(fixture: str, dest: Path) -> Path:
    shutil.copytree(FIXTURES / fixture, dest)
    return dest


def _cache_files(cache: Path) -> list[str]:
    folder = cache / "prepared"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- catalog -------------------------------------------------------------------------------

def _names(cards: tuple) -> tuple[str, ...]:
    return tuple(card.name for card in cards)


def test_catalog_lists_defaults_first_and_filters_by_task() -> None:
    assert _names(list_datasets(default_only=True)) == ("mr", "wnut16", "tatoeba-en-es")
    assert _names(list_datasets())[:3] == ("mr", "wnut16", "tatoeba-en-es")
    assert set(_names(list_datasets())) >= {"wnut17", "conll2003", "sst2", "multi30k"}
    assert _names(list_datasets("sentiment")) == ("mr", "sst2")
    assert all(get_card(card.name) is card for card in list_datasets())
    with pytest.raises(DatasetError, match="unknown task"):
        list_datasets("parsing")


def test_unknown_dataset_names_close_matches() -> None:
    with pytest.raises(DatasetError, match=r"unknown dataset 'wnut-17': did you mean wnut17"):
        get_card("wnut-17")


@pytest.mark.parametrize("name", _names(list_datasets()))
def test_every_card_is_complete(name: str) -> None:
    card = get_card(name)
    assert card.description and card.licence and card.citation and card.source
    assert card.reader in READER_VERSIONS
    for spec in card.files:
        assert spec.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", spec.sha256)
        assert card.package or spec.url, "every file needs an online source"
    splits = {spec.split for spec in card.files}
    assert splits == ({"all"} if card.split else set(SPLITS))
    assert set(card.expected) <= splits
    assert card.default == (card.package is not None)


# --- every dataset from a data_dir of hand-made files --------------------------------------

@pytest.mark.parametrize(("name", "fixture", "sizes", "n_labels"), [
    ("mr", "mr", (16, 2, 2), 2),
    ("wnut16", "wnut16", (8, 1, 1), 15),
    ("tatoeba-en-es", "tatoeba-en-es", None, 0),
    ("wnut17", "wnut17", (3, 2, 2), 9),
    ("conll2003", "conll2003_iob1", (4, 1, 1), 6),
    ("conll2003", "conll2003_iob2", (4, 1, 1), 6),
    ("sst2", "sst2", (6, 2, 3), 2),
    ("multi30k", "multi30k", (4, 2, 2), 0),
])
def test_prepare_from_data_dir(tmp_path: Path, name: str, fixture: str,
                               sizes: tuple[int, int, int] | None, n_labels: int) -> None:
    data = prepare_dataset(name, cache_dir=tmp_path / "cache", data_dir=FIXTURES / fixture)
    assert set(data.splits) == set(SPLITS) and data.name == name and not data.from_cache
    if sizes:
        assert tuple(len(data.splits[s]) for s in SPLITS) == sizes
    assert len(data.labels) == n_labels and list(data.labels) == sorted(data.labels)
    assert re.fullmatch(r"[0-9a-f]{64}", data.fingerprint)
    assert _cache_files(tmp_path / "cache") == [f"{name}-{data.fingerprint[:12]}.json"]


def test_tatoeba_split_is_grouped_by_english_sentence(tmp_path: Path) -> None:
    data = prepare_dataset("tatoeba-en-es", cache_dir=tmp_path, data_dir=FIXTURES / "tatoeba-en-es")
    sources = {s: {ex.tokens for ex in part} for s, part in data.splits.items()}
    assert sum(len(p) for p in data.splits.values()) == 30
    assert len(sources["dev"]) == len(sources["test"]) == 3  # 10% cap of 26 sentences
    assert not (sources["train"] & sources["dev"] or sources["train"] & sources["test"])


def test_conll2003_iob1_and_iob2_copies_prepare_the_same_examples(tmp_path: Path) -> None:
    iob1 = prepare_dataset("conll2003", cache_dir=tmp_path, data_dir=FIXTURES / "conll2003_iob1")
    iob2 = prepare_dataset("conll2003", cache_dir=tmp_path, data_dir=FIXTURES / "conll2003_iob2")
    assert iob1.splits == iob2.splits and iob1.labels == iob2.labels
    assert iob1.fingerprint != iob2.fingerprint  # different input files


# --- the fingerprint cache -----------------------------------------------------------------

def test_second_call_loads_the_cache_without_parsing(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    first = prepare_dataset("mr", cache_dir=tmp_path, data_dir=FIXTURES / "mr")

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("parsed again")

    monkeypatch.setattr(prepare_mod, "read_dataset", no_parsing)
    second = prepare_dataset("mr", cache_dir=tmp_path, data_dir=FIXTURES / "mr")
    assert second.from_cache and second.splits == first.splits
    assert (second.labels, second.fingerprint) == (first.labels, first.fingerprint)
    assert not [p for p in (tmp_path / "prepared").iterdir() if p.name.startswith(".")]


def test_refresh_rebuilds(tmp_path: Path) -> None:
    prepare_dataset("sst2", cache_dir=tmp_path, data_dir=FIXTURES / "sst2")
    again = prepare_dataset("sst2", cache_dir=tmp_path, data_dir=FIXTURES / "sst2", refresh=True)
    assert not again.from_cache


@pytest.mark.parametrize("change", ["tokenizer", "reader", "seed", "fractions"])
def test_changed_settings_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  change: str) -> None:
    base = prepare_dataset("mr", cache_dir=tmp_path, data_dir=FIXTURES / "mr")
    card = get_card("mr")
    assert card.split is not None
    if change == "tokenizer":
        monkeypatch.setattr(prepare_mod, "TOKENIZER_VERSION", "word-regex-test")
    elif change == "reader":
        monkeypatch.setitem(READER_VERSIONS, "mr", 99)
    else:
        split = (dataclasses.replace(card.split, seed=card.split.seed + 1) if change == "seed"
                 else dataclasses.replace(card.split, fractions=(0.6, 0.2, 0.2)))
        changed = dataclasses.replace(card, split=split)
        monkeypatch.setattr(prepare_mod, "get_card", lambda name: changed)
    rebuilt = prepare_dataset("mr", cache_dir=tmp_path, data_dir=FIXTURES / "mr")
    assert not rebuilt.from_cache and rebuilt.fingerprint != base.fingerprint
    assert len(_cache_files(tmp_path)) == 2


def test_changed_input_file_rebuilds(tmp_path: Path) -> None:
    folder = _copy("sst2", tmp_path / "sst2")
    base = prepare_dataset("sst2", cache_dir=tmp_path / "cache", data_dir=folder)
    with open(folder / "stsa.binary.train", "a", encoding="utf-8") as handle:
        handle.write("1 an extra line .\n")
    rebuilt = prepare_dataset("sst2", cache_dir=tmp_path / "cache", data_dir=folder)
    assert not rebuilt.from_cache and rebuilt.fingerprint != base.fingerprint
    assert len(rebuilt.splits["train"]) == len(base.splits["train"]) + 1


def test_unreadable_cache_entry_is_rebuilt(tmp_path: Path) -> None:
    first = prepare_dataset("wnut16", cache_dir=tmp_path, data_dir=FIXTURES / "wnut16")
    entry = tmp_path / "prepared" / f"wnut16-{first.fingerprint[:12]}.json"
    entry.write_text('{"format": 1, "name": "wnut16", "splits": {"tra')
    again = prepare_dataset("wnut16", cache_dir=tmp_path, data_dir=FIXTURES / "wnut16")
    assert not again.from_cache and again.splits == first.splits
    assert json.loads(entry.read_text())["fingerprint"] == first.fingerprint


def test_failed_cache_write_leaves_no_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("zoo.data.cache.os.replace", crash)
    with pytest.raises(OSError, match="disk full"):
        prepare_dataset("sst2", cache_dir=tmp_path, data_dir=FIXTURES / "sst2")
    assert _cache_files(tmp_path) == []


# --- bad input: a one-line DatasetError, nothing in the cache ------------------------------

@pytest.mark.parametrize(("name", "fixture", "file", "mutate", "message"), [
    ("wnut17", "wnut17", "emerging.dev.conll", lambda t: t.rstrip("\n")[:-2],
     r"emerging\.dev\.conll:6: 1 column\(s\)"),
    ("wnut17", "wnut17", "emerging.test.annotated", lambda t: t.replace("B-product", "PRODUCT"),
     "not a BIO tag"),
    ("wnut16", "wnut16", "ner.txt", lambda t: t.replace("Glee\tB-tvshow", "Glee B-tvshow"),
     r"ner\.txt:8: columns separated by spaces"),
    ("mr", "mr", "movieReviewSnippets_GroundTruth.txt", lambda t: t[:-20],
     r"GroundTruth\.txt:20: "),
    ("multi30k", "multi30k", "val.de", lambda t: t.split("\n")[0] + "\n",
     r"val\.en has 2 lines, .*val\.de has 1"),
    ("sst2", "sst2", "stsa.binary.dev", lambda t: "", r"stsa\.binary\.dev holds no examples"),
    ("mr", "mr", "movieReviewSnippets_GroundTruth.txt",
     lambda t: "\r\n".join(t.split("\r\n")[:2]), "split is empty"),
])
def test_bad_input_raises_and_caches_nothing(tmp_path: Path, name: str, fixture: str, file: str,
                                             mutate, message: str) -> None:
    folder = _copy(fixture, tmp_path / fixture)
    path = folder / file
    path.write_bytes(mutate(path.read_bytes().decode("utf-8")).encode("utf-8"))
    with pytest.raises(DatasetError, match=message) as err:
        prepare_dataset(name, cache_dir=tmp_path / "cache", data_dir=folder)
    assert "\n" not in str(err.value)
    assert _cache_files(tmp_path / "cache") == []


def test_data_dir_missing_a_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"has no train\.fr for multi30k-en-fr"):
        prepare_dataset("multi30k-en-fr", cache_dir=tmp_path, data_dir=FIXTURES / "multi30k")
    with pytest.raises(DatasetError, match="does not exist"):
        prepare_dataset("sst2", cache_dir=tmp_path, data_dir=tmp_path / "nowhere")


# --- mirror folders ------------------------------------------------------------------------

def test_mirror_missing_a_file_names_the_path_and_the_fix(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = tmp_path / "mirror"
    _copy("wnut17", mirror / "wnut17")
    (mirror / "wnut17" / "emerging.dev.conll").unlink()
    monkeypatch.setenv("ZOO_DATA_MIRROR", str(mirror))  # the env var is the mirror
    missing = mirror / "wnut17" / "emerging.dev.conll"
    with pytest.raises(DatasetError, match=rf"is missing {re.escape(str(missing))}; copy the"):
        prepare_dataset("wnut17", cache_dir=tmp_path / "cache")


def test_mirror_file_with_wrong_checksum_is_refused_and_kept(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    _copy("sst2", mirror / "sst2")
    with pytest.raises(DatasetError, match=r"checksum mismatch for .*stsa\.binary\.train: "
                                           r"expected sha256 71c04bcc"):
        prepare_dataset("sst2", cache_dir=tmp_path / "cache", mirror=mirror)
    assert (mirror / "sst2" / "stsa.binary.train").exists()  # the user's file is not deleted
    assert _cache_files(tmp_path / "cache") == []


def test_corrupted_package_archive_in_mirror_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "mirror" / "mr"
    folder.mkdir(parents=True)
    (folder / "vaderSentiment-3.3.2.tar.gz").write_bytes(b"not the real archive")
    with pytest.raises(DatasetError, match=r"checksum mismatch for .*vaderSentiment-3\.3\.2\."
                                           r"tar\.gz: expected sha256 5d7c06e0"):
        prepare_dataset("mr", cache_dir=tmp_path / "cache", mirror=tmp_path / "mirror")


# --- the online URL path, with a fake transport (no network) --------------------------------

def _fake_transport(monkeypatch: pytest.MonkeyPatch, files: dict[str, bytes]) -> list[str]:
    fetched: list[str] = []

    def fake_download(url: str, dest: Path, *, timeout: float = 0.0) -> None:
        fetched.append(url)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(files[url.rsplit("/", 1)[-1]])

    monkeypatch.setattr("zoo.data.download.download_url", fake_download)
    return fetched


def test_unpinned_conll2003_download_is_hashed_and_reused(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    folder = FIXTURES / "conll2003_iob1"
    fetched = _fake_transport(monkeypatch, {p.name: p.read_bytes() for p in folder.iterdir()})
    first = prepare_dataset("conll2003", cache_dir=tmp_path)
    assert len(fetched) == 3 and all(u.startswith("https://raw.githubusercontent.com/")
                                     for u in fetched)
    local = prepare_dataset("conll2003", cache_dir=tmp_path / "other", data_dir=folder)
    assert first.fingerprint == local.fingerprint  # same bytes, same fingerprint
    again = prepare_dataset("conll2003", cache_dir=tmp_path)
    assert again.from_cache and len(fetched) == 3  # downloads are reused


def test_download_url_refuses_plain_http_and_cleans_up_on_failure(tmp_path: Path) -> None:
    from zoo.data.download import download_url

    with pytest.raises(DatasetError, match="only https"):
        download_url("http://example.org/x", tmp_path / "x")
    with pytest.raises(DatasetError, match=r"could not download https://127\.0\.0\.1:9/x: "):
        download_url("https://127.0.0.1:9/x", tmp_path / "x", timeout=5)
    assert list(tmp_path.iterdir()) == []

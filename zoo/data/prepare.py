"""`prepare_dataset`: from a catalog name to train/dev/test examples, cached by fingerprint.

The fingerprint hashes everything the prepared examples depend on: the sha256 of every
source file's plain content, the reader and tokenizer versions and the split settings.
Where the source checksums are pinned (package archives, mirrors, pinned URLs) it is known
before anything is downloaded, so a cache hit needs neither network nor parsing.
"""
from __future__ import annotations

import gc
import hashlib
import json
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import zoo.data.cache as cache
import zoo.data.sources as sources
from zoo.data.cards import SPLITS, DatasetCard
from zoo.data.catalog import get_card
from zoo.data.errors import DatasetError
from zoo.data.readers import READER_VERSIONS, read_dataset
from zoo.data.splits import card_splits
from zoo.data.tokenize import TOKENIZER_VERSION
from zoo.data.types import Example

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedDataset:
    card: DatasetCard
    splits: Mapping[str, tuple[Example, ...]]  # exactly "train", "dev", "test"
    labels: tuple[str, ...]  # sorted class labels / BIO tags; () for translation
    fingerprint: str  # sha256 hex of source hashes + preparation settings
    from_cache: bool = False  # True when loaded from the prepared cache (no parsing done)

    @property
    def task(self) -> str:
        return self.card.task

    @property
    def name(self) -> str:
        return self.card.name

    def sizes(self) -> dict[str, int]:
        return {split: len(examples) for split, examples in self.splits.items()}


def settings(card: DatasetCard) -> dict:
    """The preparation settings that, with the source hashes, determine the examples."""
    return {
        "cache_format": cache.CACHE_FORMAT,
        "name": card.name,
        "task": card.task,
        "reader": card.reader,
        "reader_version": READER_VERSIONS[card.reader],
        "tokenizer_version": TOKENIZER_VERSION,
        "split": asdict(card.split) if card.split else None,
        # A user's card: how its files are read (columns, delimiter) changes the examples.
        **({"reader_options": dict(card.reader_options), "language": card.language}
           if card.user else {}),
    }


def fingerprint(card: DatasetCard, hashes: tuple[tuple[str, str], ...]) -> str:
    payload = {"settings": settings(card), "files": [list(pair) for pair in hashes]}
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()


def prepare_dataset(name: str, *, cache_dir: Path, mirror: Path | None = None,
                    data_dir: Path | None = None, refresh: bool = False) -> PreparedDataset:
    """Train/dev/test examples of a catalogued dataset.

    Sources, in order: `data_dir` (the user's copy of the original files; format checked,
    checksums not), the mirror folder (`mirror`, else $ZOO_DATA_MIRROR) when it holds this
    dataset, else the online source. `refresh` rebuilds the prepared entry even when cached.
    """
    card = get_card(name)
    cache_dir = Path(cache_dir)
    started = time.perf_counter()
    resolved = sources.resolve(card, cache_dir=cache_dir, mirror=sources.mirror_root(mirror),
                               data_dir=data_dir)
    fp = fingerprint(card, resolved.hashes)
    path = cache.prepared_path(cache_dir, card.name, fp)
    with _gc_paused():
        cached = None if refresh else _load(card, path, fp)
    if cached is not None:
        log.info("%s: loaded prepared data %s (%.2f s)", card.name, path,
                 time.perf_counter() - started)
        return cached
    paths = sources.materialize(card, resolved, cache_dir)
    with _gc_paused():
        raw = read_dataset(card, paths)
        if resolved.verified:
            _check_counts(card, raw)
        splits = card_splits(card, raw)
        prepared = PreparedDataset(card, splits, _labels(card.task, splits), fp)
        cache.write_entry(path, _to_entry(prepared, resolved))
    log.info("%s: prepared %s from %s in %.2f s -> %s", card.name, prepared.sizes(),
             resolved.kind, time.perf_counter() - started, path)
    return prepared


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Building ~10^5 small objects that all stay alive triggers many full garbage
    collections for nothing; pausing the collector halves load and parse times."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load(card: DatasetCard, path: Path, fp: str) -> PreparedDataset | None:
    entry = cache.read_entry(path, name=card.name, fingerprint=fp)
    if entry is None:
        return None
    try:
        splits = {split: tuple(Example.from_json(obj) for obj in entry["splits"][split])
                  for split in SPLITS}
        labels = tuple(entry["labels"])
    except (KeyError, TypeError) as exc:
        log.warning("ignoring malformed cache entry %s (%r); rebuilding it", path, exc)
        return None
    return PreparedDataset(card, splits, labels, fp, from_cache=True)


def _check_counts(card: DatasetCard, raw: dict[str, list[Example]]) -> None:
    # A verified file with an unexpected count means the reader is wrong, not the data.
    for split, expected in card.expected_counts:
        if len(raw[split]) != expected:
            raise DatasetError(
                f"{card.name}: read {len(raw[split])} {split} examples from a verified copy, "
                f"expected {expected}; this is a reader bug, please report it")


def _labels(task: str, splits: Mapping[str, tuple[Example, ...]]) -> tuple[str, ...]:
    if task == "sentiment":
        return tuple(sorted({ex.label for part in splits.values() for ex in part if ex.label}))
    if task == "ner":
        return tuple(sorted({t for part in splits.values() for ex in part for t in ex.tags or ()}))
    return ()


def _to_entry(prepared: PreparedDataset, resolved: sources.Resolved) -> dict:
    return {
        "format": cache.CACHE_FORMAT,
        "name": prepared.name,
        "fingerprint": prepared.fingerprint,
        "settings": settings(prepared.card),
        "files": [list(pair) for pair in resolved.hashes],
        "source_kind": resolved.kind,
        "labels": list(prepared.labels),
        "splits": {split: [ex.to_json() for ex in examples]
                   for split, examples in prepared.splits.items()},
    }

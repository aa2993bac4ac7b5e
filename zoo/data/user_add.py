"""`zoo datasets add CARD.toml`: check a user's card and read every file it names (the
readers' line checks with file:line, then whole-dataset checks: labels, splits), then register
it under ZOO_HOME. Above the catalog and the readers, which it uses; nothing below imports it.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from zoo import home
from zoo.data.cache import write_bytes_atomic
from zoo.data.cards import DatasetCard
from zoo.data.catalog import is_builtin
from zoo.data.errors import DatasetError
from zoo.data.readers import read_dataset
from zoo.data.splits import card_splits
from zoo.data.types import Example
from zoo.data.user_cards import parse_card_file
from zoo.data.user_readers import resolve_paths

# A "label" column with more distinct values than this share of its rows is text, not labels.
MAX_LABEL_SHARE = 0.5


def add_card(card_file: Path) -> tuple[DatasetCard, bool, dict[str, int]]:
    """Check the card and read every file it names (the reader's checks, with file:line),
    then register it. Returns (card, replaced an earlier card of that name, examples per
    split)."""
    fields, card = parse_card_file(card_file)
    if is_builtin(card.name):
        raise DatasetError(f"{card_file}: name {card.name!r} is a built-in dataset; give "
                           "yours another name")
    sizes = check_user_dataset(card)
    target = home.user_card_file(card.name)
    replaced = target.is_file()
    stored = {"card_file": str(Path(card_file).resolve()), "folder": card.data_folder,
              "card": fields}
    write_bytes_atomic(target, json.dumps(stored, indent=1).encode())
    return card, replaced, sizes


def check_user_dataset(card: DatasetCard) -> dict[str, int]:
    """Read and check every file of a card before it is registered: the readers' line
    checks, then whole-dataset ones (labels, splits). Returns examples per split."""
    paths = resolve_paths(card)
    raw = read_dataset(card, paths)  # every file read, and checked to hold examples
    if card.task == "sentiment":
        _check_labels(card, raw, paths)
    if card.task == "ner" and not any(t != "O" for exs in raw.values() for ex in exs
                                      for t in ex.tags or ()):
        raise DatasetError(f"{card.name}: every tag is O, so there is no entity to learn; "
                           "check tag_column in the card")
    return {split: len(examples) for split, examples in card_splits(card, raw).items()}


def _check_labels(card: DatasetCard, raw: dict[str, list[Example]],
                  paths: dict[str, Path]) -> None:
    column = dict(card.reader_options)["label_column"]
    first = next(f for f in card.files if f.split in ("train", "all"))
    labels = Counter(ex.label for ex in raw[first.split])
    where = f"{paths[first.name]}: label column {column!r}"
    if len(labels) < 2:
        (only,) = labels
        raise DatasetError(f"{where} has one value ({only!r}) in {labels[only]} rows; a "
                           "classifier needs at least two labels: check label_column")
    n = sum(labels.values())
    if len(labels) > max(20, MAX_LABEL_SHARE * n):
        raise DatasetError(f"{where} has {len(labels)} different values in {n} rows: that "
                           "is text, not labels; check label_column")
    unseen = {ex.label for split in ("dev", "test") for ex in raw.get(split, ())} - set(labels)
    if unseen:
        raise DatasetError(f"{card.name}: label(s) {', '.join(sorted(unseen))} occur in dev or "
                           "test but never in train; a model cannot predict them")

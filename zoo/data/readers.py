"""Readers: one original file format each, parsed into `Example`s with strict checks.

Every malformed line raises DatasetError naming the file and line. Bump a reader's entry in
READER_VERSIONS whenever its output can change: the version is part of the fingerprint.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from zoo.data.cards import SPLITS, DatasetCard
from zoo.data.conll import read_conll
from zoo.data.errors import DatasetError
from zoo.data.textio import bad_line, read_lines
from zoo.data.tokenize import split_pretokenized, word_tokenize
from zoo.data.types import Example
from zoo.data.user_readers import read_user

READER_VERSIONS = {"mr": 1, "sst": 1, "conll-tab": 1, "conll-columns": 1, "tatoeba": 1,
                   "parallel": 1, "user-conll": 1, "user-delimited": 1, "user-parallel": 1}

MR_LAST_POSITIVE_ID = 5331  # ids 1..5331 are Pang & Lee's positive sentences, the rest negative
SST_LABELS = {"0": "neg", "1": "pos"}


def read_mr(path: Path) -> list[Example]:
    """VADER's movieReviewSnippets_GroundTruth.txt: `id<TAB>mean rating<TAB>text`."""
    examples = []
    # The VADER copy is UTF-8; latin-1 is the fallback for older copies of MR made on Windows.
    for lineno, line in enumerate(read_lines(path, ("utf-8", "latin-1")), 1):
        cols = line.split("\t", 2)
        if len(cols) != 3 or not cols[2].strip():
            raise bad_line(path, lineno, f"{len(cols)} TAB-separated column(s), expected 3 "
                           "(truncated line, or spaces used instead of TABs?)",
                           "each line must be id<TAB>rating<TAB>text")
        try:
            sentence_id, _rating = int(cols[0]), float(cols[1])
        except ValueError:
            raise bad_line(path, lineno, f"id {cols[0]!r} / rating {cols[1]!r} are not numbers",
                           "each line must be id<TAB>rating<TAB>text") from None
        label = "pos" if sentence_id <= MR_LAST_POSITIVE_ID else "neg"
        examples.append(Example(tokens=_tokens(cols[2], path, lineno), label=label))
    return examples


def read_sst(path: Path) -> list[Example]:
    """stsa.binary.*: `LABEL<SPACE>tokenized lower-cased sentence`, LABEL 0/1."""
    examples = []
    for lineno, line in enumerate(read_lines(path), 1):
        if "\t" in line:
            raise bad_line(path, lineno, "TAB in a space-separated file (mixed tab/space "
                           "columns)", "each line must be LABEL<SPACE>sentence")
        label, _, text = line.partition(" ")
        if label not in SST_LABELS:
            raise bad_line(path, lineno, f"label {label!r} is not 0 or 1",
                           "each line must be LABEL<SPACE>sentence")
        tokens = split_pretokenized(text)
        if not tokens:
            raise bad_line(path, lineno, "label without a sentence (truncated line?)",
                           "each line must be LABEL<SPACE>sentence")
        examples.append(Example(tokens=tokens, label=SST_LABELS[label]))
    return examples


def read_tatoeba(path: Path) -> list[Example]:
    """Tatoeba/Anki spa.tsv: `english<TAB>spanish<TAB>attribution`."""
    examples = []
    for lineno, line in enumerate(read_lines(path), 1):
        cols = line.split("\t")
        if len(cols) != 3:
            raise bad_line(path, lineno, f"{len(cols)} TAB-separated column(s), expected 3 "
                           "(truncated line?)", "each line must be english<TAB>spanish<TAB>"
                           "attribution")
        examples.append(Example(tokens=_tokens(cols[0], path, lineno),
                                target=_tokens(cols[1], path, lineno)))
    return examples


def read_parallel(src: Path, tgt: Path) -> list[Example]:
    """Two line-parallel files (Multi30k). Never split on TAB: a few lines contain one."""
    src_lines, tgt_lines = read_lines(src), read_lines(tgt)
    if len(src_lines) != len(tgt_lines):
        raise DatasetError(
            f"parallel files differ in length: {src} has {len(src_lines)} lines, {tgt} has "
            f"{len(tgt_lines)}; use the matching pair of original files")
    return [Example(tokens=_tokens(s, src, i), target=_tokens(t, tgt, i))
            for i, (s, t) in enumerate(zip(src_lines, tgt_lines), 1)]


def _tokens(text: str, path: Path, lineno: int) -> tuple[str, ...]:
    tokens = word_tokenize(text)
    if not tokens:
        raise bad_line(path, lineno, "empty sentence", "remove the line or restore its text")
    return tokens


_SINGLE_FILE: dict[str, Callable[[Path], list[Example]]] = {
    "mr": read_mr,
    "sst": read_sst,
    "tatoeba": read_tatoeba,
    "conll-tab": partial(read_conll, columns=2, sep="\t"),
    "conll-columns": partial(read_conll, columns=None, sep=None),
}


def read_dataset(card: DatasetCard, paths: dict[str, Path]) -> dict[str, list[Example]]:
    """Examples per file split ("all", or "train"/"dev"/"test"), checked non-empty."""
    if card.reader in ("parallel", "user-parallel"):
        out = {}
        for split in SPLITS:
            src, tgt = (next(f for f in card.files if f.split == split and f.side == side)
                        for side in ("src", "tgt"))
            out[split] = read_parallel(paths[src.name], paths[tgt.name])
            _nonempty(out[split], paths[src.name], card)
        return out
    if card.user:  # the user's CoNLL or delimited files, read with the card's options
        read = partial(read_user, card)
    else:
        read = _SINGLE_FILE[card.reader]
    out = {}
    for spec in card.files:
        out[spec.split] = read(paths[spec.name])
        _nonempty(out[spec.split], paths[spec.name], card)
    return out


def _nonempty(examples: list[Example], path: Path, card: DatasetCard) -> None:
    if not examples:
        raise DatasetError(f"{path} holds no examples (empty split); it must be a non-empty "
                           f"{card.name} file in its original format")

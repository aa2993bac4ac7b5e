"""Readers for a user's own files (zoo.data.user_cards): CoNLL token-per-line files with the
NER tag in a named column, delimited text (CSV/TSV) with text+label or source+target
columns, and line-parallel text files. The same checks as the built-in readers, each error
naming file:line and the fix; UTF-8 with or without a BOM, LF or CRLF line ends."""
from __future__ import annotations

import csv
from pathlib import Path

from zoo.data.cards import DatasetCard
from zoo.data.conll import read_conll
from zoo.data.errors import DatasetError
from zoo.data.textio import bad_line, read_lines
from zoo.data.tokenize import word_tokenize
from zoo.data.types import Example


def read_user(card: DatasetCard, path: Path) -> list[Example]:
    """The examples of one of a user's CoNLL or delimited files (zoo.data.readers reads
    parallel files for every card alike)."""
    read = _read_conll if card.reader == "user-conll" else _read_delimited
    return read(path, card.task, dict(card.reader_options))


def _read_conll(path: Path, task: str, options: dict) -> list[Example]:
    sep = {"auto": None, "tab": "\t", "space": " "}[options["separator"]]
    tag = options["tag_column"]
    return read_conll(path, columns=None, sep=sep, token_col=options["token_column"] - 1,
                      tag_col=tag - 1 if tag > 0 else -1)


def _read_delimited(path: Path, task: str, options: dict) -> list[Example]:
    keys = ("text_column", "label_column") if task == "sentiment" else \
        ("source_column", "target_column")
    rows = csv.reader(read_lines(path), delimiter=options["delimiter"])
    first = 1
    if options["header"]:
        header = next(rows, None)
        if header is None:
            raise DatasetError(f"{path} is empty; it must hold a header line and examples")
        first = 2
        index = {key: _header_index(header, options[key], key, path) for key in keys}
    else:
        index = {key: options[key] - 1 for key in keys}
    examples = []
    for row in rows:
        lineno = rows.line_num
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        if len(row) <= max(index.values()):
            raise bad_line(path, lineno, f"{len(row)} column(s), but the card reads column "
                           f"{max(index.values()) + 1}", "give every row all its columns (a "
                           "field holding the delimiter must be quoted)")
        a, b = (row[index[key]].strip() for key in keys)
        tokens = word_tokenize(a)
        if not tokens or not b:
            empty = keys[0] if not tokens else keys[1]
            raise bad_line(path, lineno, f"empty {empty.removesuffix('_column')}",
                           "fill the field or remove the row")
        examples.append(Example(tokens=tokens, label=b) if task == "sentiment" else
                        Example(tokens=tokens, target=word_tokenize(b)))
    if not examples:
        raise DatasetError(f"{path} holds no examples after line {first - 1}; it must hold "
                           "one example per row")
    return examples


def _header_index(header: list[str], column, key: str, path: Path) -> int:
    if isinstance(column, int):
        if column > len(header):
            raise bad_line(path, 1, f"the header has {len(header)} column(s), the card's {key} "
                           f"is {column}", f"fix {key} in the card")
        return column - 1
    names = [h.strip() for h in header]
    if column not in names:
        raise bad_line(path, 1, f"no column {column!r} in the header ({', '.join(names)})",
                       f"set {key} to one of them")
    return names.index(column)


def resolve_paths(card: DatasetCard) -> dict[str, Path]:
    paths = {}
    for spec in card.files:
        path = Path(card.data_folder) / spec.name
        if not path.is_file():
            raise DatasetError(f"{card.name}: the {spec.split} file {path} does not exist; "
                               f"fix [files] in {card.source.removeprefix('your files, card ')}")
        paths[spec.name] = path
    return paths

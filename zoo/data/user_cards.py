"""A user's own dataset, described by a small TOML card and registered under ZOO_HOME.

    zoo datasets add my-card.toml      # checks every file, then registers the card
    zoo bench --datasets my-data       # like any catalogued dataset

The card names the task, a reader (conll, delimited, parallel) with its columns, the files
per split or one file plus a split rule, and optionally language, licence and citation.
File paths are relative to the card's folder. The files stay where they are: the prepared
data is fingerprinted by their sha256 and the card's reading settings, so changing a file
re-prepares that dataset and re-runs only its cells.

Registered cards are JSON under `ZOO_HOME/datasets/<name>.json` (written atomically after
every file has been read and checked, so a failed `add` leaves nothing behind: zoo.data.user_add).
"""
from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from zoo import home
from zoo.data.cards import SPLITS, DatasetCard, SourceFile, SplitSpec
from zoo.data.errors import DatasetError
from zoo.data.types import TASKS

FORMATS = {"conll": ("ner",), "delimited": ("sentiment", "translation"),
           "parallel": ("translation",)}
TOP_KEYS = {"name", "task", "language", "description", "licence", "citation", "reader",
            "files", "split"}
READER_KEYS = {
    "conll": {"format", "token_column", "tag_column", "separator"},
    "delimited": {"format", "delimiter", "header", "text_column", "label_column",
                  "source_column", "target_column"},
    "parallel": {"format"},
}
SPLIT_KEYS = {"strategy", "seed", "fractions", "dev_groups", "test_groups"}
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


def user_card_names() -> list[str]:
    folder = home.user_cards_dir()
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def user_cards() -> tuple[DatasetCard, ...]:
    return tuple(card for name in user_card_names() if (card := load_user_card(name)))


def load_user_card(name: str) -> DatasetCard | None:
    path = home.user_card_file(name)
    if not _NAME_RE.fullmatch(name) or not path.is_file():
        return None
    stored = json.loads(path.read_text(encoding="utf-8"))
    return card_from_dict(stored["card"], Path(stored["folder"]), where=stored["card_file"])


def parse_card_file(path: Path) -> tuple[dict, DatasetCard]:
    """The card's fields and the DatasetCard they make; every mistake is one line naming the
    card file, the field and the fix."""
    path = Path(path).resolve()
    if not path.is_file():
        raise DatasetError(f"no dataset card at {path}; write one (see README: Benchmark your "
                           "own data)")
    try:
        fields = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: not valid TOML ({exc}); fix the card's syntax") from None
    return fields, card_from_dict(fields, path.parent, where=str(path))


def card_from_dict(fields: dict, folder: Path, *, where: str) -> DatasetCard:
    def bad(problem: str, fix: str) -> DatasetError:
        return DatasetError(f"{where}: {problem}; {fix}")

    _no_unknown(fields, TOP_KEYS, "the card", bad)
    name = _required_str(fields, "name", bad)
    if not _NAME_RE.fullmatch(name):
        raise bad(f"name {name!r} is not a dataset name", "use lower-case letters, digits, "
                  "'-' and '_' (at most 40), starting with a letter or digit")
    task = _required_str(fields, "task", bad)
    if task not in TASKS:
        raise bad(f"task {task!r} is unknown", f"use one of {', '.join(TASKS)}")
    reader = fields.get("reader")
    if not isinstance(reader, dict) or reader.get("format") not in FORMATS:
        raise bad("[reader] format is missing or unknown",
                  f"set format to one of {', '.join(FORMATS)}")
    fmt = reader["format"]
    _no_unknown(reader, READER_KEYS[fmt], f"[reader] ({fmt})", bad)
    if task not in FORMATS[fmt]:
        raise bad(f"reader format {fmt!r} cannot hold {task} data",
                  f"{fmt} reads {' or '.join(FORMATS[fmt])}")
    options = _reader_options(fmt, task, reader, bad)
    files, split = _files(fields, fmt, task, bad)
    return DatasetCard(
        name=name, task=task, default=False, reader=f"user-{fmt}", files=files, split=split,
        description=str(fields.get("description", f"{name}: the user's own {task} data")),
        licence=str(fields.get("licence", "not stated")),
        citation=str(fields.get("citation", "")),
        source=f"your files, card {where}", language=str(fields.get("language", "en")),
        user=True, data_folder=str(folder), reader_options=tuple(sorted(options.items())))


def _no_unknown(table: dict, allowed: set[str], what: str, bad) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise bad(f"{what} has unknown field(s) {', '.join(unknown)}",
                  f"use only {', '.join(sorted(allowed))}")


def _required_str(fields: dict, key: str, bad) -> str:
    value = fields.get(key)
    if not isinstance(value, str) or not value.strip():
        raise bad(f"{key} is missing", f"add {key} = \"...\"")
    return value.strip()


def _column(reader: dict, key: str, bad, default=None):
    value = reader.get(key, default)
    if value is None:
        raise bad(f"[reader] {key} is missing", f"name the column: {key} = \"header\" or a "
                  "1-based number")
    if isinstance(value, bool) or not isinstance(value, (int, str)) or \
            (isinstance(value, int) and value < 1):
        raise bad(f"[reader] {key} = {value!r} is not a column",
                  "use a header name or a column number from 1")
    return value


def _reader_options(fmt: str, task: str, reader: dict, bad) -> dict:
    if fmt == "conll":
        sep = reader.get("separator", "auto")
        if sep not in ("auto", "tab", "space"):
            raise bad(f"[reader] separator {sep!r} is unknown", "use auto, tab or space")
        cols = {key: _column(reader, key, bad) for key in ("token_column", "tag_column")
                if key in reader}
        if any(isinstance(v, str) for v in cols.values()):
            raise bad("CoNLL files have no header", "number the columns from 1")
        return {"token_column": 1, "tag_column": -1, **cols, "separator": sep}
    if fmt == "delimited":
        delimiter = reader.get("delimiter", ",")
        if delimiter not in (",", "\t", ";", "|"):
            raise bad(f"[reader] delimiter {delimiter!r} is not supported",
                      'use ",", "\\t", ";" or "|"')
        header = reader.get("header", True)
        if not isinstance(header, bool):
            raise bad(f"[reader] header = {header!r} is not true or false",
                      "say whether the first line names the columns")
        keys = ("text_column", "label_column") if task == "sentiment" else \
            ("source_column", "target_column")
        cols = {key: _column(reader, key, bad) for key in keys}
        if not header and any(isinstance(v, str) for v in cols.values()):
            raise bad("columns are named but header = false",
                      "number the columns from 1, or set header = true")
        return {"delimiter": delimiter, "header": header, **cols}
    return {}


def _files(fields: dict, fmt: str, task: str, bad) -> tuple[tuple[SourceFile, ...], SplitSpec | None]:
    files = fields.get("files")
    if not isinstance(files, dict) or not files:
        raise bad("[files] is missing", "name train, dev and test files, or one file as all")
    _no_unknown(files, {*SPLITS, "all"}, "[files]", bad)
    if "all" in files and len(files) > 1:
        raise bad("[files] has both all and per-split files", "use one or the other")
    if "all" not in files and set(files) != set(SPLITS):
        missing = ", ".join(s for s in SPLITS if s not in files)
        raise bad(f"[files] lacks {missing}", "name train, dev and test, or one file as all "
                  "with a [split] rule")
    out = []
    for split, value in files.items():
        if fmt == "parallel":
            if not isinstance(value, dict) or set(value) != {"source", "target"}:
                raise bad(f"[files] {split} must name two files",
                          f'{split} = {{ source = "{split}.en", target = "{split}.de" }}')
            out += [SourceFile(_path(value["source"], split, bad), split, None, side="src"),
                    SourceFile(_path(value["target"], split, bad), split, None, side="tgt")]
        else:
            out.append(SourceFile(_path(value, split, bad), split, None))
    if "all" not in files:
        if "split" in fields:
            raise bad("[split] is given but the files are already split",
                      "drop [split], or give one file as all")
        return tuple(out), None
    if fmt == "parallel":
        raise bad("parallel files must come split", "name train, dev and test pairs")
    return tuple(out), _split_rule(fields.get("split"), task, bad)


def _path(value, split: str, bad) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad(f"[files] {split} is not a file path", f'{split} = "path/relative/to/card"')
    return value.strip()


def _split_rule(rule, task: str, bad) -> SplitSpec:
    if not isinstance(rule, dict):
        raise bad("one file (all) needs a [split] rule",
                  'add [split] strategy = "stratified", seed = 1, fractions = [0.8, 0.1, 0.1]')
    _no_unknown(rule, SPLIT_KEYS, "[split]", bad)
    strategy = rule.get("strategy")
    seed = rule.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise bad(f"[split] seed = {seed!r} is not a whole number from 0", "seed = 1")
    if strategy == "grouped":
        groups = {k: rule.get(k) for k in ("dev_groups", "test_groups")}
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in groups.values()):
            raise bad("[split] grouped needs dev_groups and test_groups (counts from 1)",
                      "dev_groups = 500, test_groups = 500")
        return SplitSpec("grouped", seed, **groups)
    if strategy not in ("stratified", "random"):
        raise bad(f"[split] strategy {strategy!r} is unknown",
                  "use stratified (by label), random or grouped (by source sentence)")
    if strategy == "stratified" and task != "sentiment":
        raise bad("[split] stratified needs labels", "use random or grouped for " + task)
    fractions = rule.get("fractions")
    if not (isinstance(fractions, list) and len(fractions) == 3
            and all(isinstance(f, (int, float)) and not isinstance(f, bool) and 0 < f < 1
                    for f in fractions) and abs(sum(fractions) - 1) < 1e-6):
        raise bad(f"[split] fractions = {fractions!r} are not three shares summing to 1",
                  "fractions = [0.8, 0.1, 0.1] (train, dev, test)")
    return SplitSpec(strategy, seed, fractions=tuple(float(f) for f in fractions))

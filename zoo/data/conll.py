"""Token-per-line NER files (WNUT, CoNLL-2003): sentences of `token ... tag` lines separated by
blank lines. Tags are checked to be BIO and always returned as IOB2."""
from __future__ import annotations

import logging
import re
from pathlib import Path

from zoo.data.textio import bad_line, read_lines
from zoo.data.types import Example

log = logging.getLogger(__name__)

_BIO_RE = re.compile(r"O|[BI]-\S+")
DOCSTART = "-DOCSTART-"


def to_iob2(tags: list[str]) -> tuple[list[str], int]:
    """IOB2 tags and how many were changed. An I- tag that begins an entity (IOB1 style, or a
    slip in IOB2 data) becomes B-; on well-formed IOB2 this changes nothing."""
    out, changed, prev = [], 0, "O"
    for tag in tags:
        if tag.startswith("I-") and prev[2:] != tag[2:]:
            tag, changed = "B-" + tag[2:], changed + 1
        out.append(tag)
        prev = tag
    return out, changed


def _columns(line: str, sep: str, path: Path, lineno: int) -> list[str]:
    if sep == "\t":
        if "\t" not in line and " " in line.strip():
            raise bad_line(path, lineno, "columns separated by spaces in a TAB-separated file",
                           "use one TAB between token and tag on every line")
        return [col.strip() for col in line.split("\t")]
    if "\t" in line:
        raise bad_line(path, lineno, "TAB in a space-separated file (mixed tab/space columns)",
                       "use the same column separator on every line")
    return line.split()


def _check(cols: list[str], n_cols: int, path: Path, lineno: int,
           token_col: int = 0, tag_col: int = -1) -> None:
    if len(cols) != n_cols:
        raise bad_line(path, lineno, f"{len(cols)} column(s) where the file has {n_cols} "
                       "(a token with no tag, or a truncated line?)",
                       "every token line needs the same columns, the tag last")
    token, tag = cols[token_col], cols[tag_col]
    if not token:
        raise bad_line(path, lineno, "empty token", "remove the line or restore the token")
    if not tag:
        raise bad_line(path, lineno, f"token {token!r} has no tag", "add its BIO tag")
    if not _BIO_RE.fullmatch(tag):
        raise bad_line(path, lineno, f"tag {tag!r} is not a BIO tag",
                       "tags must be O, B-<type> or I-<type>")


def read_conll(path: Path, *, columns: int | None, sep: str | None, token_col: int = 0,
               tag_col: int = -1) -> list[Example]:
    """Sentences of a token-per-line file.

    columns: the exact column count (2 for WNUT), or None for "at least 2, the same on every
    line" (CoNLL-2003: token POS chunk NER). Token is the first column, the tag the last.
    sep: "\\t", or None to take it from the first token line (TAB if it has one, else spaces).
    Any whitespace-only line is a sentence break (WNUT-17 train uses a lone TAB);
    -DOCSTART- lines are document markers and are skipped. A user's file may name other
    token and tag columns (0-based; `tag_col` -1 is the last).
    """
    sentences: list[tuple[list[str], list[str]]] = []
    tokens: list[str] = []
    tags: list[str] = []
    for lineno, line in enumerate(read_lines(path), 1):
        if line.strip() and line.split()[0] != DOCSTART:
            sep = sep or ("\t" if "\t" in line else " ")
            cols = _columns(line, sep, path, lineno)
            columns = columns or max(len(cols), 2, token_col + 1, tag_col + 1)
            _check(cols, columns, path, lineno, token_col, tag_col)
            tokens.append(cols[token_col])
            tags.append(cols[tag_col])
        elif tokens:
            sentences.append((tokens, tags))
            tokens, tags = [], []
    if tokens:
        sentences.append((tokens, tags))
    return _to_examples(sentences, path)


def _to_examples(sentences: list[tuple[list[str], list[str]]], path: Path) -> list[Example]:
    examples, changed = [], 0
    for tokens, tags in sentences:
        iob2, n = to_iob2(tags)
        changed += n
        examples.append(Example(tokens=tuple(tokens), tags=tuple(iob2)))
    if changed:
        log.info("%s: %d I- tags began an entity (IOB1 style); converted to IOB2", path, changed)
    return examples

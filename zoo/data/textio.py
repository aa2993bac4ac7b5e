"""Reading text files line by line, with errors that name the file and line."""
from __future__ import annotations

import logging
from pathlib import Path

from zoo.data.errors import DatasetError

log = logging.getLogger(__name__)


def bad_line(path: Path, lineno: int, problem: str, fix: str) -> DatasetError:
    """The standard one-line error for a malformed input line."""
    return DatasetError(f"{path}:{lineno}: {problem}; {fix}")


def read_lines(path: Path, encodings: tuple[str, ...] = ("utf-8",)) -> list[str]:
    """The lines of a text file without line ends (LF or CRLF) and without a final empty line.

    Splits on "\\n" only: str.splitlines() would also split inside lines on characters such
    as U+2028 or form feeds, which occur in web text and would shift every later line.
    """
    data = Path(path).read_bytes()
    text, first_error = None, None
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
            continue
        if encoding != encodings[0]:
            log.warning("%s is not valid %s; read it as %s", path, encodings[0], encoding)
        break
    if text is None:
        assert first_error is not None
        lineno = data[: first_error.start].count(b"\n") + 1
        raise bad_line(path, lineno, f"not valid {encodings[0]} text ({first_error.reason})",
                       f"save the file as {encodings[0]}")
    lines = text.removeprefix("\ufeff").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]

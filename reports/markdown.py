"""The same content as the HTML page, as Markdown for terminals and repositories.

Escaping is on by default: `finalize` escapes every `{{ value }}` (Markdown punctuation,
`<`, `>`, table pipes, newlines) unless it is `MdSafe` text built by the filters here, so a
model named `<script>` or `a|b` cannot inject HTML or break a table.
"""
from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from reports import fmt
from reports.advice import effect
from reports.build import Report, when
from reports.curves import curve_at
from reports.recommend import example_input, glance_label
from reports.registrations import Registration
from reports.runs import LABEL, TASK_LABEL, UNIT
from reports.significance import TIE_RULES
from reports.usable import markers

# Intraword underscores (snake_case names) never emphasize in CommonMark: left readable.
_SPECIAL = re.compile(r"([\\`*\[\]|<>])")


class MdSafe(str):
    """Markdown the renderer built itself; `finalize` leaves it alone."""


def escape_md(value: object) -> str:
    if isinstance(value, MdSafe):
        return value
    text = " ".join(str(value).split())  # no newlines: they would end a table row
    return _SPECIAL.sub(r"\\\1", text)


def _finalize(value: object) -> object:
    if value is None:
        return "–"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return escape_md(value)


def code(value: object) -> MdSafe:
    """An inline code span: nothing inside is interpreted (pipes still escaped for tables)."""
    text = " ".join(str(value).split()).replace("|", "\\|")
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return MdSafe(f"{fence}{pad}{text}{pad}{fence}")


def block(value: object) -> MdSafe:
    """Text inside a fenced code block (kept verbatim; the fence cannot be closed early)."""
    return MdSafe(str(value).replace("```", "` ` `"))


def markdown_environment() -> Environment:
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
        undefined=StrictUndefined, autoescape=False, finalize=_finalize,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(code=code, block=block, md=lambda v: MdSafe(escape_md(v)))
    env.globals.update(f=fmt, LABEL=LABEL, UNIT=UNIT, TASK_LABEL=TASK_LABEL, TIE_RULES=TIE_RULES,
                       VERDICT_EFFECT=effect,
                       when_text=when, curve_at=curve_at, markers=markers,
                       glance_label=glance_label, example_input=example_input)
    return env


def render_markdown(report: Report, registrations: list[Registration], load_uri: str) -> str:
    text = markdown_environment().get_template("report.md.j2").render(
        report=report, registrations=registrations, load_uri=load_uri)
    return re.sub(r"\n{3,}", "\n\n", text)

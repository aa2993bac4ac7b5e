"""Every docs file the project names exists, so moving one cannot break a link silently.

Checked: each `docs/...` path named in README.md, infra/README.md, docs/**/*.md and the Python
sources (comments, docstrings and strings alike), and each relative Markdown link in those
Markdown files. A path with `*` must match at least one file; a path whose last part has no
suffix may be a prefix (the screenshot script's output prefix, e.g. docs/report-standard).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKDOWN = ("README.md", "infra/README.md")
# Not part of the project's own sources (virtual environments, caches, build output).
SKIP_PARTS = {"node_modules", "build", "dist", "__pycache__"}

DOCS_PATH = re.compile(r"(?<![\w/.-])docs/[A-Za-z0-9_./*<>-]*[A-Za-z0-9_*]")
MD_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _sources() -> list[Path]:
    files = [ROOT / name for name in MARKDOWN if (ROOT / name).is_file()]
    files += sorted((ROOT / "docs").rglob("*.md"))
    for folder, dirs, names in os.walk(ROOT):
        # Pruned in place, so a virtual environment is never walked.
        dirs[:] = sorted(d for d in dirs if not (d.startswith(".") or d in SKIP_PARTS
                                                  or d.endswith(".egg-info")))
        files += [Path(folder, n) for n in sorted(names)
                  if n.endswith(".py") and Path(folder, n) != Path(__file__).resolve()]
    return files


def _exists(name: str) -> bool:
    name = name.split("<", 1)[0].rstrip(".") if "<" in name else name
    if "*" in name:
        return any(ROOT.glob(name))
    if (ROOT / name).exists():
        return True
    parent, _, stem = name.rpartition("/")
    if "." in stem or not stem:
        return False
    folder = ROOT / parent
    return folder.is_dir() and any(p.name.startswith(stem) for p in folder.iterdir())


def _docs_paths(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return {m.group(0) for m in DOCS_PATH.finditer(text)}


def _relative_links(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    out = set()
    for match in MD_LINK.finditer(text):
        target = match.group(1).split("#", 1)[0]
        if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue  # an anchor in the same page, or a URL
        out.add(target)
    return out


def test_sources_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in _sources()}
    assert {"README.md", "docs/architecture.md", "docs/runs/README.md"} <= names
    assert "zoo/configs.py" in names


def test_every_named_docs_path_exists():
    missing = sorted(f"{path.relative_to(ROOT)}: {name}" for path in _sources()
                     for name in _docs_paths(path) if not _exists(name))
    assert not missing, "docs paths that do not exist:\n" + "\n".join(missing)


def test_every_relative_markdown_link_resolves():
    missing = []
    for path in _sources():
        if path.suffix != ".md":
            continue
        for target in _relative_links(path):
            if not (path.parent / target).exists():
                missing.append(f"{path.relative_to(ROOT)}: {target}")
    assert not missing, "relative links that do not resolve:\n" + "\n".join(sorted(missing))


def test_the_checker_catches_a_moved_file():
    assert _exists("docs/architecture.md")
    assert not _exists("docs/quick_profile_run_2026-12-07.txt")  # moved under docs/runs/
    assert _exists("docs/runs/quick_profile_run_*")
    assert not _exists("docs/quick_profile_run_*")
    assert _exists("docs/report-standard")  # an output prefix: docs/report-standard-top.png

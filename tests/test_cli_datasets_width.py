"""`zoo datasets` on an 80-column terminal: every column keeps its text (the licence column
was squeezed to an empty strip) and no line is wider than the terminal."""
from __future__ import annotations

import argparse

import pytest

from zoo.cli_datasets import cmd_datasets


@pytest.mark.parametrize("columns", [80, 120])
def test_the_catalog_fits_the_terminal_with_no_empty_column(zoo_home, monkeypatch, capsys,
                                                            columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    assert cmd_datasets(argparse.Namespace(name=None, card=None, data_mirror=None)) == 0
    lines = capsys.readouterr().out.splitlines()
    table = [ln for ln in lines if ln[:1] in "┏┃┡│└"]
    assert table and all(len(ln) <= columns for ln in table)
    header = " ".join(ln for ln in table if ln.startswith("┃"))
    for name in ("dataset", "task", "default", "licence", "cached"):
        assert name in header
    cells = [ln.split("│")[1:-1] for ln in table if ln.startswith("│")]
    for i in range(len(cells[0])):
        assert any(row[i].strip() for row in cells), f"column {i} is empty at {columns}"
    licence = [row[4] for row in cells]
    assert any(len(text.strip()) >= 8 for text in licence)  # words, not a sliver

"""`zoo models`: the registered models with their metadata and parameter counts.

Read from the model index (zoo.model_index: literal data, checked against the family files'
registrations and the built models by tests/test_model_index.py), so a listing imports no
torch and no family file, from a fresh clone as after any edit.
"""
from __future__ import annotations

from rich import box
from rich.table import Table

from zoo import model_index
from zoo.cli_console import ListingConsole
from zoo.variants import VARIANTS


def cmd_models(args) -> int:
    if args.variants:
        return cmd_variants()
    console = ListingConsole()
    wide = console.width >= 120  # at 80 columns descriptions and families squeezed the rest
    table = Table(title="Registered models (params on a 10k-word vocabulary)",
                  box=box.SIMPLE_HEAD)
    columns = (("model", "family", "tasks", "params", "runtime", "description") if wide
               else ("model", "tasks", "params", "runtime"))
    for col in columns:  # tasks and descriptions wrap; names and numbers never do
        table.add_column(col, no_wrap=col not in ("tasks", "description"),
                         min_width=11 if col == "tasks" else None,  # "translation"
                         justify="right" if col == "params" else "left")
    every = model_index.names(args.pattern, args.task)
    hidden = [n for n in every if n.startswith("tiny_")]
    names = every if args.all or "tiny" in args.pattern else [n for n in every
                                                             if n not in hidden]
    for name in names:
        e = model_index.BY_NAME[name]
        params = None if args.no_params else e.params
        # classical models (CRFsuite, scikit-learn, IBM Model 1, floors) run without torch
        runtime = e.runtime if e.kind == "neural" else "classical"
        row = {"model": name, "family": e.family, "tasks": ", ".join(e.tasks),
               "params": f"{params:,}" if params is not None else "-", "runtime": runtime,
               "description": e.description}
        table.add_row(*(row[col] for col in columns))
    console.print(table)
    if len(names) < len(every):
        print(f"{len(hidden)} test-sized tiny_* models not shown (--all shows them)")
    if not wide:
        print("Families and descriptions show on a terminal of 120 columns or more.")
    return 0


def cmd_variants() -> int:
    """The recipe variants: each a training tip as one recipe field changed, run beside the
    models it names by `zoo bench --variants NAME` or the `claims` profile."""
    console = ListingConsole()
    table = Table(title="Recipe variants (ablations: the recipe with one field changed)",
                  box=box.SIMPLE_HEAD)
    for col in ("variant", "models", "tasks", "what changes"):
        table.add_column(col, no_wrap=col == "variant")
    for v in VARIANTS.values():
        table.add_row(v.name, ", ".join(v.models), ", ".join(v.tasks), v.label)
    console.print(table)
    return 0

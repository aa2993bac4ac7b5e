"""`zoo models`: the registered models with their metadata and parameter counts.

The catalog's front door (zoo.models) imports every family file and, through their
encoders, torch: seconds on 2 cores, for a listing. So the listing reads a small cache
under ZOO_HOME, keyed by a hash of the zoo package's source files: the first listing after
any code change imports the families (and builds each neural model once to count its
parameters); every later one reads one JSON file and imports no torch.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
from pathlib import Path

from zoo import home

CACHE_FILE = "model_listing.json"


def code_fingerprint() -> str:
    """A hash of every source file of the zoo package (any edit changes the catalog's
    code version; about 0.5 MB, a few milliseconds)."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def reference_params(name: str) -> int | None:
    """Parameters of a neural model on a reference 10,000-word vocabulary (2 classes or
    13 BIO tags; 10,000 target words for translation); None for classical models, whose
    size depends on the data."""
    from zoo.data.vocab import Vocab
    from zoo.measure import count_params
    from zoo.models import DataInfo, create_model, get_entry

    entry = get_entry(name)
    if entry.kind != "neural":
        return None
    words = [f"w{i}" for i in range(9998)]
    task = entry.tasks[0]
    tags = ("O",) + tuple(f"{p}-t{i}" for i in range(6) for p in "BI")
    info = DataInfo(task, Vocab.build([words]),
                    labels={"sentiment": ("neg", "pos"), "ner": tags}.get(task, ()),
                    target_vocab=Vocab.build([words], with_bos_eos=True)
                    if task == "translation" else None)
    return count_params(create_model(name, info))


def _read() -> dict:
    """The cached listing of this code version, else an empty one."""
    code = code_fingerprint()
    try:
        stored = json.loads(home.cli_cache_file(CACHE_FILE).read_text())
        if (stored.get("code") == code and isinstance(stored.get("entries"), dict)
                and isinstance(stored.get("params"), dict)):
            return stored
    except (OSError, ValueError, AttributeError):
        pass
    return {"code": code, "entries": {}, "params": {}}


def _write(stored: dict) -> None:
    from zoo.data.cache import write_bytes_atomic

    try:
        write_bytes_atomic(home.cli_cache_file(CACHE_FILE), json.dumps(stored).encode())
    except OSError:  # a read-only ZOO_HOME: the next listing imports the catalog again
        pass


def cached_entries() -> dict[str, dict]:
    """name -> the metadata the listing shows (family, tasks, kind, runtime, description)."""
    stored = _read()
    if not stored["entries"]:
        from zoo.models import entries

        stored["entries"] = {e.name: {"family": e.family, "tasks": list(e.tasks),
                                      "kind": e.kind, "runtime": e.runtime,
                                      "description": e.description} for e in entries()}
        _write(stored)
    return stored["entries"]


def cached_reference_params(names: list[str]) -> dict[str, int | None]:
    """reference_params for each name, cached per code version: building every model to
    count its parameters took 10 of `zoo models`' 16 s on 2 cores."""
    stored = _read()
    missing = [n for n in names if n not in stored["params"]]
    if missing:
        stored["params"].update({n: reference_params(n) for n in missing})
        _write(stored)
    return {n: stored["params"][n] for n in names}


def matching(entries: dict[str, dict], pattern: str = "*", task: str | None = None) -> list[str]:
    """zoo.model_catalog.list_models over the cached entries (tests check they agree)."""
    patterns = [p.strip() for p in pattern.split(",") if p.strip()] or ["*"]
    return [n for n in sorted(entries) if any(fnmatch.fnmatchcase(n, p) for p in patterns)
            and (task is None or task in entries[n]["tasks"])]


def cmd_models(args) -> int:
    from rich import box
    from rich.table import Table

    from zoo.cli_console import ListingConsole

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
    entries = cached_entries()
    every = matching(entries, args.pattern, args.task)
    hidden = [n for n in every if n.startswith("tiny_")]
    names = every if args.all or "tiny" in args.pattern else [n for n in every
                                                             if n not in hidden]
    counts = {} if args.no_params else cached_reference_params(names)
    for name in names:
        e = entries[name]
        params = counts.get(name)
        # classical models (CRFsuite, scikit-learn, IBM Model 1, floors) run without torch
        runtime = e["runtime"] if e["kind"] == "neural" else "classical"
        row = {"model": name, "family": e["family"], "tasks": ", ".join(e["tasks"]),
               "params": f"{params:,}" if params is not None else "-", "runtime": runtime,
               "description": e["description"]}
        table.add_row(*(row[col] for col in columns))
    console.print(table)
    if len(names) < len(every):
        print(f"{len(hidden)} test-sized tiny_* models not shown (--all shows them)")
    if not wide:
        print("Families and descriptions show on a terminal of 120 columns or more.")
    return 0

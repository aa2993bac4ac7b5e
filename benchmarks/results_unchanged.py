"""Same seeded cells, two trees: do they give the same test scores? (issue 12's check that a
refactor kept behaviour). Runs `zoo bench` on a small matrix in each tree (fresh ZOO_HOME
each, one after the other, sharing the data cache) and prints test score per cell side by
side.

    git worktree add /tmp/old <commit>   # or: git archive <commit> | tar -x -C /tmp/old
    .venv/bin/python benchmarks/results_unchanged.py --old /tmp/old --new .
    .venv/bin/python benchmarks/results_unchanged.py --old /tmp/old --new . --small  # 8 cells
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MATRIX = ["--datasets", "mr,wnut16,tatoeba-en-es",
          "--models", "tfidf_logreg,nb_logreg,cnn_small,lstm_small,transformer_small,"
                      "feature_crf,bilstm_crf_small,seq2seq_gru_small,lexical_translation",
          "--sizes", "1000", "--seeds", "1"]
# --small: the fewest cells that still go through every path a refactor of the sweep touches:
# a neural model in a worker process on two tasks (cnn_small), a classical fit per task
# (tfidf_logreg, feature_crf, lexical_translation) and the three floors; 400 examples each.
SMALL = ["--datasets", "mr,wnut16,tatoeba-en-es",
         "--models", "tfidf_logreg,cnn_small,feature_crf,lexical_translation",
         "--sizes", "400", "--seeds", "1"]
READ = """
import json, sys
from zoo import tracking
rows = {}
for r in tracking.load_runs():
    t, m = r["tags"], r["metrics"]
    rows[f"{t['model']}/{t['dataset']}/n={t['train_size']}/seed={t['seed']}"] = {
        "primary": m.get("test/primary"), "dev": m.get("dev/primary"),
        "epochs": m.get("train/epochs_run"), "status": r["status"]}
json.dump(rows, sys.stdout)
"""


def run_tree(tree: Path, data_cache: Path, matrix: list[str]) -> tuple[dict, float]:
    home = Path(tempfile.mkdtemp(prefix="unchanged-home-"))
    env = {**os.environ, "ZOO_HOME": str(home), "ZOO_DATA_CACHE": str(data_cache),
           "PYTHONPATH": str(tree.resolve())}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "zoo.cli", "bench", "--profile", "quick", *matrix],
                   cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    out = subprocess.run([sys.executable, "-c", READ], cwd=tree, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out), seconds


def _score(row: dict) -> str:
    value = row.get("primary")
    return "missing" if value is None else f"{value:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True)
    parser.add_argument("--new", type=Path, default=Path("."))
    parser.add_argument("--small", action="store_true", help="8 cells instead of 15")
    args = parser.parse_args()
    matrix = SMALL if args.small else MATRIX
    cache = Path(tempfile.mkdtemp(prefix="unchanged-data-"))
    old, old_s = run_tree(args.old, cache, matrix)
    new, new_s = run_tree(args.new, cache, matrix)
    print(f"{'cell':48} {'old test':>9} {'new test':>9} {'epochs':>7}  same")
    same = 0
    for cell in sorted(old.keys() | new.keys()):
        a, b = old.get(cell, {}), new.get(cell, {})
        equal = a.get("primary") is not None and a.get("primary") == b.get("primary")
        same += equal
        epochs = f"{a.get('epochs') or 0:.0f}/{b.get('epochs') or 0:.0f}"
        print(f"{cell:48} {_score(a):>9} {_score(b):>9} {epochs:>7}  {'yes' if equal else 'NO'}")
    print(f"{same} of {len(old.keys() | new.keys())} cells give the same test score; "
          f"old tree {old_s:.0f} s, new tree {new_s:.0f} s (load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()

"""Wall time of a sequence of benchmark cells, split into training and the rest.

Trains the cells one after another in one work folder, as a sweep's worker would (a runtime
twin reuses its base's weights; frozen-encoder cells share their features on disk), and prints
per cell the wall seconds, the training seconds and the rest (dev and test reads, export,
saving). Run the same command on two checkouts for a before / after (PYTHONPATH=<checkout>).

    .venv/bin/python benchmarks/cell_walls.py --dataset mr --size 0.25 \
        minilm_frozen:1 minilm_frozen:2 minilm_l6:1 minilm_l6_ort:1 minilm_l6_ort_q8:1
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cells", nargs="+",
                        help="model:seed or model:seed:size, trained in this order")
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--size", type=float, required=True, help="for cells without one")
    parser.add_argument("--profile", default="standard")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch

    import zoo
    import zoo.cells as cells
    from zoo.sweep.datastore import load_data

    torch.set_num_threads(args.threads)
    size = int(args.size) if args.size > 1 else args.size
    data = load_data(args.dataset, os.environ.get("ZOO_DATA_MIRROR"))
    print(f"code {Path(zoo.__file__).parent}; load {os.getloadavg()[0]:.2f}; "
          f"{args.threads} thread(s); {args.dataset} at {args.size}")
    print(f"{'cell':28s} {'wall_s':>7s} {'train_s':>7s} {'rest_s':>7s}  test")
    with tempfile.TemporaryDirectory() as root:
        work = Path(root) / "models"  # frozen features go to <root>/pretrained
        for item in args.cells:
            model, seed, *own = item.split(":")
            cell_size = float(own[0]) if own else size
            cell_size = int(cell_size) if cell_size > 1 else cell_size
            spec = cells.CellSpec(data.task, data.name, model, cell_size, int(seed),
                                  profile=args.profile)
            start = time.perf_counter()
            trained = cells.train_cell(spec, data, work)
            wall = time.perf_counter() - start
            primary = next(iter(trained.test.values()))
            print(f"{item:28s} {wall:7.1f} {trained.train_seconds:7.1f} "
                  f"{wall - trained.train_seconds:7.1f}  {primary:.4f}", flush=True)
    print(f"load after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

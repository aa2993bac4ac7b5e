"""Training throughput of the zoo's loop vs a minimal hand-written PyTorch loop.

For every small and base neural model (torch runtime) on real data of each task, times
forward + backward + optimizer step after warm-up, at each requested thread count, in two arms
over the same nn.Module (fresh, same seed) and the same batches (same examples, same order):

- zoo:  `zoo.train.train_model` for one epoch over the batches (dev scoring stubbed out), the
        loop the benchmark flows use (collation, clipping, scheduler, loss bookkeeping);
- hand: `for batch: loss = model.loss(collate(batch)); zero_grad; backward; step` with AdamW.

Tokens/s counts real (unpadded) input tokens. `--set bucket_pool=0` times the plain
shuffled batches the loop used before length bucketing. Run one at a time on an idle machine and note
the load average it prints: oversubscribed cores make both arms meaningless.

    .venv/bin/python benchmarks/train_throughput.py --threads 1,2 --batches 40
    .venv/bin/python benchmarks/train_throughput.py --models 'bilstm_small,cnn_small' --datasets mr
    .venv/bin/python benchmarks/train_throughput.py --models 'seq2seq_*' --datasets tatoeba-en-es \
        --size 3000   # the quick profile's translation cell (its vocabulary, its epoch)
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import time

import torch

DEFAULT_DATASETS = "mr,wnut17,tatoeba-en-es"  # wnut17 comes from the mirror (ZOO_DATA_MIRROR)


def _model_names(pattern: str, task: str) -> list[str]:
    from zoo.models import get_entry, list_models

    names = []
    for name in list_models(pattern, task=task):
        entry = get_entry(name)
        if entry.kind == "neural" and entry.runtime == "torch" and not name.startswith("tiny_"):
            names.append(name)
    return names


def _setup(name: str, task: str, data, args, seed: int):
    """A fresh model, its collator and config, and the examples of the timed epoch."""
    from zoo.batching import collator_for
    from zoo.cells import CellSpec, _data_info, resolve_train_config
    from zoo.data import train_subset
    from zoo.models import create_model
    from zoo.train import seed_everything

    spec = CellSpec(task, data.name, name, args.size, seed, overrides=args.overrides)
    cfg = resolve_train_config(spec)
    # The cell's own training subset: its vocabulary sets the embedding and output sizes.
    train = list(train_subset(data.splits["train"], args.size, seed))
    info = _data_info(spec, data, train, cfg)
    seed_everything(seed)
    model = create_model(name, info)
    collator = collator_for(model, info, cfg.max_len)
    n_examples = (args.batches + args.warmup) * cfg.batch_size
    examples = random.Random(seed).sample(train, min(n_examples, len(train)))
    return model, collator, cfg, examples


def _tokens(collator, examples, batch_size: int) -> int:
    return sum(int(collator(examples[k:k + batch_size]).mask.sum())
               for k in range(0, len(examples), batch_size))


def _zoo_arm(model, collator, cfg, examples, seed: int) -> float:
    from zoo.train import train_model

    # One epoch, no patience games, no time cap; the dev score is a constant so the arm
    # measures the loop itself (the per-epoch dev evaluation is timed separately in the flows).
    one = dataclasses.replace(cfg, epochs=1, max_train_seconds=0.0)
    start = time.perf_counter()
    train_model(model, collator, examples, one, seed=seed, dev_score=lambda m: 0.0)
    return time.perf_counter() - start


def _hand_arm(model, collator, cfg, examples, seed: int) -> float:
    from zoo.train import plan_batches

    # The same batches as the zoo arm's epoch (same seed, same bucketing).
    batches = plan_batches(examples, cfg.batch_size, random.Random(seed), cfg.bucket_pool)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    model.train()
    start = time.perf_counter()
    for chunk in batches:
        loss = model.loss(collator(chunk))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="*_small,*_base")
    parser.add_argument("--datasets", default=DEFAULT_DATASETS)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--batches", type=int, default=40, help="timed batches per arm")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up batches per arm")
    parser.add_argument("--mirror", default=os.environ.get("ZOO_DATA_MIRROR"))
    parser.add_argument("--size", type=json.loads, default=1.0,
                        help="training size as a cell takes it: a fraction or a count "
                             "(the vocabulary, so the output layer, is built from it)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="TrainConfig override for both arms (e.g. bucket_pool=0)")
    args = parser.parse_args()
    from zoo.configs import parse_overrides

    args.overrides = tuple(sorted(parse_overrides(args.set).items()))
    from zoo.data import get_card, train_subset
    from zoo.sweep.datastore import load_data

    print(f"load average before: {os.getloadavg()[0]:.2f}  torch {torch.__version__}  "
          f"size: {args.size}  overrides: {dict(args.overrides) or 'none'}")
    print(f"{'model':28s} {'dataset':14s} thr {'zoo tok/s':>10s} {'hand tok/s':>10s} "
          f"{'ratio':>6s} {'s/epoch*':>9s}")
    for dataset in args.datasets.split(","):
        data = load_data(dataset, args.mirror)
        task = get_card(dataset).task
        n_train = len(train_subset(data.splits["train"], args.size, 1))
        for name in _model_names(args.models, task):
            for threads in (int(t) for t in args.threads.split(",")):
                torch.set_num_threads(threads)
                row = {}
                for arm, fn in (("zoo", _zoo_arm), ("hand", _hand_arm)):
                    model, collator, cfg, examples = _setup(name, task, data, args, 1)
                    warm = examples[: args.warmup * cfg.batch_size]
                    timed = examples[args.warmup * cfg.batch_size:]
                    fn(model, collator, cfg, warm, 0)  # warm-up: allocator, kernels, caches
                    seconds = fn(model, collator, cfg, timed, 1)
                    row[arm] = _tokens(collator, timed, cfg.batch_size) / seconds
                    if arm == "zoo":
                        row["epoch"] = seconds * n_train / max(len(timed), 1)
                print(f"{name:28s} {dataset:14s} {threads:3d} {row['zoo']:10.0f} "
                      f"{row['hand']:10.0f} {row['zoo'] / row['hand']:6.2f} "
                      f"{row['epoch']:9.1f}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}   "
          "(*s/epoch: the zoo arm's time scaled to the whole training split)")


if __name__ == "__main__":
    main()

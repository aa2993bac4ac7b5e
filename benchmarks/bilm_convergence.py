"""Pretrain an ELMo biLM until held-out perplexity stops improving, on a language's
pretraining corpus (zoo.corpus: the training text of every default dataset of the
language), and record how long convergence takes: the perplexity curve with the optimizer
steps of each point, steps, epochs, seconds (training and held-out evaluation apart), the
best perplexity and why it stopped, the corpus size, and the machine.

The stopping rule and caps default to a profile's (--profile standard: TrainConfig's
pretrain_* fields as that profile sets them, with the biLM's own UntilConverged for the
rest); flags override them, e.g. a tiny budget to check the script works:

    ZOO_HOME=/tmp/zoo-bilm .venv/bin/zoo prepare mr,wnut16,tatoeba-en-es
    ZOO_HOME=/tmp/zoo-bilm nice -n 10 .venv/bin/python benchmarks/bilm_convergence.py \\
        --out /tmp/bilm_convergence.json [--size small] [--threads 1] \\
        [--max-steps 40 --eval-every 20 --max-seconds 120]

With --fill-cache the biLM is pretrained through the cache the benchmark uses
($ZOO_HOME's pretrained/ folder), so a later `zoo bench --profile standard` with the same
settings reuses it (a converged biLM is reused whatever the caps). The numbers depend on the
machine and its load: the output records the CPU, threads, torch version and load average.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zoo import home
from zoo.configs import TrainConfig, apply_overrides, get_profile
from zoo.corpus import PRETRAIN_SEED, PretrainContext
from zoo.encoders.bilm_training import UntilConverged, load_or_pretrain, run_pretraining
from zoo.families.elmo import BASE, SMALL, TINY
from zoo.measure import cpu_model, git_sha
from zoo.sweep.datastore import pretrain_corpus

SIZES = {"tiny": TINY, "small": SMALL, "base": BASE}


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    parser.add_argument("--language", default="en")
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--profile", default="standard",
                        help="the profile whose pretrain_* settings are the defaults")
    parser.add_argument("--patience", type=int, default=0, help="0: the profile's")
    parser.add_argument("--eval-every", type=int, default=0, help="0: the biLM's own")
    parser.add_argument("--max-steps", type=int, default=0, help="0: the profile's")
    parser.add_argument("--max-seconds", type=float, default=0.0, help="0: the profile's")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (the benchmark's workers pretrain on 1)")
    parser.add_argument("--mirror", default=None, help="data mirror folder, if any")
    parser.add_argument("--fill-cache", action="store_true",
                        help="pretrain through $ZOO_HOME's biLM cache (reused by `zoo bench`)")
    return parser.parse_args(argv)


def stopping_rule(args: argparse.Namespace) -> UntilConverged:
    """The profile's pretraining settings, each overridden by a flag that is set."""
    cfg = apply_overrides(TrainConfig(), get_profile(args.profile).train)
    rule = UntilConverged()
    return dataclasses.replace(
        rule, patience=args.patience or cfg.pretrain_patience or rule.patience,
        eval_every=args.eval_every or rule.eval_every,
        max_steps=args.max_steps or cfg.pretrain_max_steps or rule.max_steps,
        max_seconds=args.max_seconds or cfg.pretrain_max_seconds or rule.max_seconds)


def _machine() -> dict[str, object]:
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "python": platform.python_version(),
            "git_sha": git_sha(), "load_average": list(os.getloadavg())}


def main(argv: list[str] | None = None) -> dict[str, object]:
    args = _args(argv)
    torch.set_num_threads(args.threads)
    corpus = pretrain_corpus(args.language, args.mirror)
    cfg, until = SIZES[args.size], stopping_rule(args)
    print(f"{args.language} corpus: {', '.join(corpus.members)}, "
          f"{len(corpus.sentences):,} sentences; biLM {cfg.name}; {until}", flush=True)
    started, before = time.perf_counter(), _machine()

    def show(steps: int, ppl: float) -> None:
        print(f"  step {steps:>7,}  {time.perf_counter() - started:8.0f} s  "
              f"held-out perplexity {ppl:9.2f}", flush=True)

    if args.fill_cache:  # the benchmark's own cache: no progress lines, a cache hit is a read
        cache = home.pretraining_dir()
        ctx = PretrainContext(corpus.sentences, cache, corpus.fingerprint, PRETRAIN_SEED)
        _, metrics, curves = load_or_pretrain(cfg, ctx, "cpu", until)
    else:
        result = run_pretraining(cfg, corpus.sentences, PRETRAIN_SEED, "cpu", until, show)
        metrics, curves = result.metrics, result.curves
    record = {"language": args.language, "members": list(corpus.members),
              "corpus_fingerprint": corpus.fingerprint, "bilm": dataclasses.asdict(cfg),
              "until": dataclasses.asdict(until), "metrics": metrics,
              "curve": [{"steps": s, "perplexity": p} for s, p in
                        zip(curves["curve/pretrain_steps"], curves["curve/pretrain_perplexity"])],
              "machine_before": before, "machine_after": _machine()}
    args.out.write_text(json.dumps(record, indent=1))
    _summary(record)
    return record


def _summary(record: dict) -> None:
    m = record["metrics"]
    stop = ("converged (patience exhausted)" if m["pretrain/converged"] else
            "step cap" if m.get("pretrain/hit_step_cap") else
            "time cap" if m.get("pretrain/hit_time_budget") else "?")
    print(f"corpus: {m['pretrain/sentences']:,.0f} training sentences, "
          f"{m['pretrain/corpus_tokens']:,.0f} tokens; "
          f"{m['pretrain/heldout_sentences']:,.0f} held out")
    for point in record["curve"]:
        print(f"  step {point['steps']:>7,}  perplexity {point['perplexity']:9.2f}")
    if m.get("pretrain/cache_hit"):
        print("(read from the biLM cache: the figures are those of the run that wrote it)")
    print(f"stopped by: {stop} after {m['pretrain/steps']:,.0f} steps "
          f"({m['pretrain/epochs']:.2f} epochs), {m['pretrain/train_seconds']:.0f} s "
          f"({m.get('pretrain/eval_seconds', 0.0):.0f} s of it held-out evaluation)")
    print(f"best held-out perplexity {m['pretrain/perplexity']:.2f} at step "
          f"{m.get('pretrain/best_step', m['pretrain/steps']):,.0f}; "
          f"load {record['machine_before']['load_average']} -> "
          f"{record['machine_after']['load_average']}")


if __name__ == "__main__":
    main()

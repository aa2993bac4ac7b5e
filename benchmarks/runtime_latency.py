"""Batch-1 latency: eager torch vs ONNX Runtime float vs ONNX Runtime int8, one model.

Trains nothing (random initialisation: latency does not depend on the weights' values).
Sentences are synthetic but realistically shaped (default 22 tokens, 20k vocabulary).
Each runtime is warmed up (`--warmup` calls, discarded) before its timed calls; runtimes are
measured in interleaved rounds and the median of the rounds' percentiles is reported, which
damps noise from other processes on shared cores.

    python benchmarks/runtime_latency.py [--model bilstm_small] [--task sentiment]
        [--threads 2] [--sentences 200] [--length 22] [--calls 200] [--rounds 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zoo.batching import collator_for
from zoo.data.types import Example
from zoo.data.vocab import Vocab
from zoo.measure import environment, measure_latency
from zoo.predictors import make_predictor
from zoo.models import DataInfo, create_model
from zoo.runtime import onnx as rt
from zoo.train import seed_everything

NER_TAGS = ("B-LOC", "B-MISC", "B-ORG", "B-PER", "I-LOC", "I-MISC", "I-ORG", "I-PER", "O")


def synthetic(task: str, n: int, length: int, vocab_size: int, seed: int):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(vocab_size)]
    # Zipf-ish token frequencies, lengths around `length` (+-30%).
    probs = 1.0 / np.arange(1, vocab_size + 1)
    probs /= probs.sum()
    examples = []
    for _ in range(n):
        k = int(np.clip(rng.normal(length, 0.15 * length), 1, 3 * length))
        toks = tuple(words[i] for i in rng.choice(vocab_size, size=k, p=probs))
        if task == "sentiment":
            examples.append(Example(toks, label="pos"))
        else:
            examples.append(Example(toks, tags=("O",) * k))
    vocab = Vocab.build([words])
    labels = ("neg", "pos") if task == "sentiment" else NER_TAGS
    return examples, DataInfo(task, vocab, labels=labels)


def _environment() -> dict[str, str]:
    try:
        return environment()
    except Exception:  # noqa: BLE001  (git_sha needs a git checkout or an installed package)
        import zoo.measure

        zoo.measure.git_sha = lambda *_a: "unknown"
        return environment()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="bilstm_small")
    ap.add_argument("--task", default="sentiment", choices=("sentiment", "ner"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--sentences", type=int, default=200)
    ap.add_argument("--length", type=int, default=22)
    ap.add_argument("--vocab", type=int, default=20000)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-u8", action="store_true",
                    help="skip the QUInt8-weights comparison row")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)

    warnings.simplefilter("ignore")
    torch.set_num_threads(args.threads)
    env = _environment()
    seed_everything(0)
    examples, info = synthetic(args.task, args.sentences, args.length, args.vocab, seed=0)
    model = create_model(args.model, info).eval()
    collator = collator_for(model, info, 128)

    work = Path(tempfile.mkdtemp(prefix="zoo-rt-bench-"))
    predictors = {"torch eager (fp32)": (make_predictor(model, collator),
                                         work / "model.pt")}
    torch.save(model.state_dict(), work / "model.pt")
    float_dir, q8_dir, u8_dir = work / "float", work / "q8", work / "u8"
    rt.export_onnx(model, collator, float_dir, "onnx")
    predictors["ORT fp32"] = (rt.load_ort_predictor(float_dir, model, collator, "onnx",
                                                    threads=args.threads),
                              float_dir / rt.FLOAT_FILE)
    rt.export_onnx(model, collator, q8_dir, "onnx_q8")
    predictors[f"ORT int8 ({rt.Q8_WEIGHT_TYPE})"] = (
        rt.load_ort_predictor(q8_dir, model, collator, "onnx_q8", threads=args.threads),
        q8_dir / rt.Q8_FILE)
    checks = {"float": json.loads((float_dir / rt.CHECK_FILE).read_text())["float"],
              "q8": json.loads((q8_dir / rt.CHECK_FILE).read_text())["q8"]}
    if not args.no_u8:
        chosen = rt.Q8_WEIGHT_TYPE
        rt.Q8_WEIGHT_TYPE = "QUInt8"
        try:
            rt.export_onnx(model, collator, u8_dir, "onnx_q8")
        finally:
            rt.Q8_WEIGHT_TYPE = chosen
        predictors["ORT int8 (QUInt8)"] = (
            rt.load_ort_predictor(u8_dir, model, collator, "onnx_q8", threads=args.threads),
            u8_dir / rt.Q8_FILE)
        checks["u8"] = json.loads((u8_dir / rt.CHECK_FILE).read_text())["q8"]

    eager_preds = predictors["torch eager (fp32)"][0](examples)
    rounds: dict[str, list] = {name: [] for name in predictors}
    for _ in range(args.rounds):
        for name, (predict, _path) in predictors.items():
            rounds[name].append(measure_latency(predict, examples, calls=args.calls,
                                                warmup=args.warmup))

    print("environment:", json.dumps(env))
    print(f"model {args.model} ({args.task}, random init), {args.sentences} sentences, "
          f"mean {statistics.mean(len(e.tokens) for e in examples):.1f} tokens, "
          f"threads {args.threads}, {args.rounds} rounds x {args.calls} calls "
          f"(+{args.warmup} warm-up each)")
    print(f"float export max|ORT-eager| = {checks['float']['max_abs_diff']:.2e}; int8 "
          f"max|ORT-eager| = {checks['q8']['max_abs_diff']:.2e}"
          + (f" (QUInt8 {checks['u8']['max_abs_diff']:.2e})" if "u8" in checks else ""))
    header = f"{'runtime':<22}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'mean ms':>9}" \
             f"{'size MB':>9}{'agree':>8}"
    print(header)
    print("-" * len(header))
    results = []
    for name, (predict, path) in predictors.items():
        stats = rounds[name]
        row = {k: statistics.median(getattr(s, k) for s in stats)
               for k in ("p50_ms", "p90_ms", "p99_ms", "mean_ms")}
        preds = predict(examples)
        agree = sum(p == e for p, e in zip(preds, eager_preds)) / len(examples)
        row.update(runtime=name, size_mb=path.stat().st_size / 2**20, agreement=agree,
                   p50_rounds=[s.p50_ms for s in stats])
        results.append(row)
        print(f"{name:<22}{row['p50_ms']:>9.3f}{row['p90_ms']:>9.3f}{row['p99_ms']:>9.3f}"
              f"{row['mean_ms']:>9.3f}{row['size_mb']:>9.2f}{agree:>8.3f}")
    print("(agree: predictions equal to eager on the sentences; random weights, so the int8 "
          "figure says little about trained accuracy)")
    if args.json:
        args.json.write_text(json.dumps({"environment": env, "args": vars(args) | {
            "json": str(args.json)}, "checks": checks, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Peer benchmark: the zoo's BERT encoder vs Hugging Face transformers' BertModel, one run.

Both arms hold the same checkpoint (all-MiniLM-L6-v2, fetched and verified by
zoo.checkpoints) and read the same piece ids (the zoo's WordPieces over the checkpoint's
tokenizer.json):
- "zoo": zoo.encoders.bert.BertEncoder, loaded by load_bert_state;
- "hf-sdpa" / "hf-eager": transformers.BertModel (no pooler) built from a config matching the
  checkpoint, the same safetensors loaded with load_state_dict (every model tensor must come
  from the checkpoint; only the unused pooler may be left over), attention "sdpa" / "eager".

It measures, in this order: agreement (max abs difference of the last hidden states on real
pieces, batch 1 and a padded batch), batch-1 inference latency (torch.inference_mode, warm-up
calls discarded, then p50/p90/p99 over --calls calls per arm, the arms interleaved with the
order reversed every call, ABC CBA, so drift in the machine's load hits all arms alike), and
fine-tuning throughput (forward + backward + AdamW step of the encoder and a linear head on
mean-pooled piece states, batch 32, length-bucketed batches in one seeded order shared by the
arms, warm-up steps then --steps timed steps per arm, interleaved). Sentences: SST-2 dev
sentences of 5-40 words from the data mirror ($ZOO_DATA_MIRROR or ../shared/datasets beside
the checkout), or --text FILE (one sentence a line), else synthetic ones from the vocabulary.

transformers is NOT a dependency of the zoo: install it for this script only, into a folder
outside the venv, without its dependencies. transformers 5.23.0 needs huggingface-hub
>=1.31,<3, tokenizers >=0.23.1,<0.24, safetensors >=0.8.0, regex >=2025.10.22, numpy, pyyaml,
packaging, tqdm and typer; the venv had them all (2026-12-07: hub 1.33.0, tokenizers 0.23.3,
safetensors 0.8.0, regex 2026.12.2), so `pip check` stays clean and nothing in it changes:

    .venv/bin/python -m pip install --target /tmp/peer-site transformers==5.23.0 --no-deps
    ZOO_HOME=/tmp/zoo-peer PYTHONPATH=/tmp/peer-site nice -n 10 .venv/bin/python \\
        benchmarks/bert_peer.py --out /tmp/bert_peer.txt [--threads 2] [--calls 200] \\
        [--steps 20] [--no-eager]

Numbers are only comparable within one run (same machine, threads, load): the output records
the CPU, threads, dtype, library versions and the load average before and after. Torch
threads that outnumber the free cores spin-wait: on a busy machine use --threads 1.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from zoo.checkpoints import MINILM_L6, fetch_checkpoint
from zoo.encoders.bert import BertConfig, BertEncoder, load_bert_state
from zoo.encoders.wordpieces import WordPieces, tokenizer_from_file
from zoo.measure import cpu_model, git_sha

# all-MiniLM-L6-v2 (MiniLM-L6-H384-uncased); zoo.families.pretrained_transformer.minilm_l6 uses the same.
MINILM = {"vocab_size": 30522, "hidden": 384, "layers": 6, "heads": 12, "ffn": 1536,
          "max_positions": 512}
LEFTOVER_OK = ("pooler.", "embeddings.position_ids")  # in the checkpoint, unused by both arms


# ---------------------------------------------------------------- models

def zoo_arm(weights: Path) -> nn.Module:
    encoder = BertEncoder(BertConfig(**MINILM, dropout=0.1))
    load_bert_state(encoder, weights)
    return encoder


def hf_arm(weights: Path, attn: str) -> nn.Module:
    import transformers
    from safetensors.torch import load_file

    cfg = transformers.BertConfig(
        vocab_size=MINILM["vocab_size"], hidden_size=MINILM["hidden"],
        num_hidden_layers=MINILM["layers"], num_attention_heads=MINILM["heads"],
        intermediate_size=MINILM["ffn"], max_position_embeddings=MINILM["max_positions"],
        type_vocab_size=2, hidden_act="gelu", layer_norm_eps=1e-12,
        hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, attn_implementation=attn)
    model = transformers.BertModel(cfg, add_pooling_layer=False)  # the zoo has no pooler
    missing, unexpected = model.load_state_dict(load_file(str(weights)), strict=False)
    bad = [k for k in unexpected if not k.startswith(LEFTOVER_OK)]
    if missing or bad:
        raise ValueError(f"checkpoint does not fit BertModel: missing {missing}, unexpected {bad}")
    if model.config._attn_implementation != attn:
        raise ValueError(f"asked for {attn} attention, got {model.config._attn_implementation}")
    return model


def states_fn(name: str, model: nn.Module):
    """(B, S) piece ids, 0 = padding -> (B, S, D) last hidden states, for either arm."""
    if name == "zoo":
        return model.piece_states
    return lambda ids: model(input_ids=ids, attention_mask=(ids != 0).long()).last_hidden_state


# ---------------------------------------------------------------- inputs

def read_sentences(path: Path | None, n: int,
                   seed: int) -> tuple[list[list[str]] | None, str]:
    if path is None:
        mirror = os.environ.get("ZOO_DATA_MIRROR") or str(ROOT.parent / "shared" / "datasets")
        path = Path(mirror) / "sst2" / "stsa.binary.dev"
    if path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        if path.name.startswith("stsa.binary"):
            lines = [ln.split(" ", 1)[1] for ln in lines if " " in ln]  # drop the label
        rows = [ln.split() for ln in lines if 5 <= len(ln.split()) <= 40]
        random.Random(seed).shuffle(rows)
        return rows[:n], f"{path} ({min(n, len(rows))} of {len(rows)} sentences of 5-40 words)"
    return None, "synthetic"


def synthetic_sentences(tokenizer, n: int, seed: int) -> list[list[str]]:
    words = sorted(w for w in tokenizer.get_vocab() if w.isalpha() and w.isascii())
    rng = random.Random(seed)
    return [rng.choices(words, k=rng.randint(5, 40)) for _ in range(n)]


def piece_rows(pieces: WordPieces, sentences: list[list[str]]) -> list[torch.Tensor]:
    return [pieces.batch([words], len(words))[0] for words in sentences]  # each (1, S)


def bucketed_batches(rows: list[torch.Tensor], batch: int, seed: int) -> list[torch.Tensor]:
    """Length-sorted batches of `batch` sentences, padded with 0, in one seeded order."""
    rows = sorted(rows, key=lambda r: r.shape[1])
    out = []
    for k in range(0, len(rows) - batch + 1, batch):
        chunk = rows[k:k + batch]
        ids = torch.zeros(len(chunk), chunk[-1].shape[1], dtype=torch.long)  # (B, S)
        for i, r in enumerate(chunk):
            ids[i, : r.shape[1]] = r[0]
        out.append(ids)
    random.Random(seed).shuffle(out)
    return out


# ---------------------------------------------------------------- measurements

@torch.inference_mode()
def agreement(fns: dict, rows: list[torch.Tensor], batch: torch.Tensor) -> dict[str, float]:
    """Max abs difference of each peer's last hidden states to the zoo's, on real pieces."""
    out = {}
    for name, fn in fns.items():
        if name == "zoo":
            continue
        diff = max((fn(r) - fns["zoo"](r)).abs().max().item() for r in rows)
        real = (batch != 0)[..., None]  # (B, S, 1): padding positions do not count
        padded = ((fn(batch) - fns["zoo"](batch)).abs() * real).max().item()
        out[name] = max(diff, padded)
    return out


def _arm_order(arms: list[str], i: int) -> list[str]:
    return arms if i % 2 == 0 else arms[::-1]  # ABC CBA ...: no arm always goes first


@torch.inference_mode()
def latency(fns: dict, rows: list[torch.Tensor], calls: int, warmup: int) -> dict:
    arms = list(fns)
    for i in range(warmup):
        for name in _arm_order(arms, i):
            fns[name](rows[i % len(rows)])
    times = {name: np.empty(calls) for name in arms}
    for i in range(calls):
        ids = rows[i % len(rows)]
        for name in _arm_order(arms, i):
            t0 = time.perf_counter()
            fns[name](ids)
            times[name][i] = (time.perf_counter() - t0) * 1000.0
    return {name: dict(zip(("p50", "p90", "p99"), np.percentile(t, [50, 90, 99])),
                       mean=t.mean()) for name, t in times.items()}


class Trainer:
    """One arm's fine-tuning step: encoder + linear head on mean-pooled piece states."""

    def __init__(self, name: str, model: nn.Module, seed: int):
        torch.manual_seed(seed)  # the same head for every arm
        self.model, self.head = model.train(), nn.Linear(MINILM["hidden"], 2)
        self.states = states_fn(name, model)
        params = [*model.parameters(), *self.head.parameters()]
        self.opt = torch.optim.AdamW(params, lr=2e-5)

    def step(self, ids: torch.Tensor, labels: torch.Tensor) -> float:
        mask = (ids != 0).unsqueeze(-1).float()  # (B, S, 1)
        states = self.states(ids)  # (B, S, D)
        pooled = (states * mask).sum(1) / mask.sum(1)  # (B, D)
        loss = F.cross_entropy(self.head(pooled), labels)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return loss.item()


def throughput(trainers: dict, batches: list[torch.Tensor], steps: int, warmup: int,
               seed: int) -> dict:
    gen = torch.Generator().manual_seed(seed)
    labels = [torch.randint(0, 2, (b.shape[0],), generator=gen) for b in batches]
    arms = list(trainers)
    for i in range(warmup):
        for name in _arm_order(arms, i):
            trainers[name].step(batches[i % len(batches)], labels[i % len(batches)])
    seconds = dict.fromkeys(arms, 0.0)
    step_ms = {name: np.empty(steps) for name in arms}
    pieces = padded = 0
    for i in range(steps):
        k = (warmup + i) % len(batches)
        pieces += int((batches[k] != 0).sum())
        padded += batches[k].numel()
        for name in _arm_order(arms, i):
            t0 = time.perf_counter()
            trainers[name].step(batches[k], labels[k])
            dt = time.perf_counter() - t0
            seconds[name] += dt
            step_ms[name][i] = dt * 1000.0
    return {name: {"pieces_per_s": pieces / seconds[name],
                   "padded_per_s": padded / seconds[name],
                   "step_p50": float(np.percentile(step_ms[name], 50)),
                   "step_p90": float(np.percentile(step_ms[name], 90))} for name in arms}


# ---------------------------------------------------------------- report

def environment(threads: int) -> list[str]:
    import safetensors
    import tokenizers
    import transformers

    return [f"cpu: {cpu_model()} ({os.cpu_count()} cores visible)",
            (f"device: cpu; dtype: float32; torch threads: {torch.get_num_threads()} "
             f"(asked {threads}), interop threads: {torch.get_num_interop_threads()}; "
             f"cpu capability: {torch.backends.cpu.get_cpu_capability()}"),
            (f"python {sys.version.split()[0]}; torch {torch.__version__}; transformers "
             f"{transformers.__version__}; tokenizers {tokenizers.__version__}; safetensors "
             f"{safetensors.__version__}; numpy {np.__version__}"),
            f"platform: {platform.platform(terse=True)}; zoo git: {git_sha()}"]


def table(lat: dict, thr: dict, agree: dict) -> list[str]:
    head = (f"{'arm':<10} {'max|diff|':>10} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
            f"{'mean ms':>8} {'train pieces/s':>15} {'step p50 ms':>12} {'step p90 ms':>12}")
    lines = [head, "-" * len(head)]
    for name in lat:
        d = "-" if name == "zoo" else f"{agree[name]:.2e}"
        t = thr.get(name)
        train = (f"{t['pieces_per_s']:>15.0f} {t['step_p50']:>12.1f} {t['step_p90']:>12.1f}"
                 if t else f"{'-':>15} {'-':>12} {'-':>12}")
        lat_ms = " ".join(f"{lat[name][k]:>8.2f}" for k in ("p50", "p90", "p99", "mean"))
        lines.append(f"{name:<10} {d:>10} {lat_ms} {train}")
    return lines


def protocol(args, source: str, rows: list, batches: list) -> list[str]:
    mean_pieces = np.mean([r.shape[1] for r in rows])
    return [
        (f"BERT peer benchmark: zoo BertEncoder vs transformers BertModel ({MINILM_L6.name}, "
         f"{time.strftime('%Y-%m-%d %H:%M:%S')})"),
        (f"sentences: {source}; {len(rows)} used, {mean_pieces:.1f} pieces on average "
         "([CLS] and [SEP] included)"),
        (f"latency: batch 1, inference_mode, {args.warmup} warm-up + {args.calls} timed calls "
         "per arm, arms interleaved (order reversed every call)"),
        (f"training: batch {args.batch}, length-bucketed ({len(batches)} batches), AdamW lr "
         f"2e-5, dropout 0.1, {args.warmup_steps} warm-up + {args.steps} timed steps per arm, "
         "interleaved; pieces/s counts real (non-padding) pieces over the timed steps"),
        (f"agreement: max |zoo - arm| of last hidden states over real pieces ("
         f"{min(20, len(rows))} sentences at batch 1 and one padded batch of {args.batch})")]


def _fmt(load: tuple[float, ...]) -> str:
    return ", ".join(f"{x:.2f}" for x in load)


def parse_args(argv) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="where the table is written")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--calls", type=int, default=200, help="timed batch-1 calls per arm")
    ap.add_argument("--warmup", type=int, default=20, help="discarded calls per arm")
    ap.add_argument("--steps", type=int, default=20, help="timed training steps per arm")
    ap.add_argument("--warmup-steps", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--sentences", type=int, default=300)
    ap.add_argument("--text", type=Path, default=None, help="one sentence a line")
    ap.add_argument("--no-eager", action="store_true", help="skip the hf-eager arm")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.text is not None and not args.text.is_file():
        ap.error(f"--text {args.text} is not a file")
    if min(args.threads, args.calls, args.steps, args.batch) < 1 or args.sentences < args.batch:
        ap.error("--threads, --calls, --steps, --batch must be >= 1 and --sentences >= --batch")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        import transformers  # noqa: F401  (the peer; installed for this script only)
    except ImportError:
        raise SystemExit("transformers is not importable: see this script's docstring for the "
                         "--target install and PYTHONPATH") from None
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()

    paths = fetch_checkpoint(MINILM_L6)
    wp = WordPieces(lambda: tokenizer_from_file(paths["tokenizer.json"]))
    sentences, source = read_sentences(args.text, args.sentences, args.seed)
    if not sentences:
        sentences = synthetic_sentences(wp.tokenizer, args.sentences, args.seed)
    rows = piece_rows(wp, sentences)
    batches = bucketed_batches(rows, args.batch, args.seed)
    if not batches:
        raise SystemExit(f"{source}: fewer sentences than one batch of {args.batch}")

    attns = ["sdpa"] if args.no_eager else ["sdpa", "eager"]
    models = {"zoo": zoo_arm(paths["model.safetensors"])}
    models.update({f"hf-{a}": hf_arm(paths["model.safetensors"], a) for a in attns})
    fns = {name: states_fn(name, m.eval()) for name, m in models.items()}

    agree = agreement(fns, rows[:20], batches[0])
    lat = latency(fns, rows, args.calls, args.warmup)
    trainers = {name: Trainer(name, m, args.seed) for name, m in models.items()}
    thr = throughput(trainers, batches, args.steps, args.warmup_steps, args.seed)
    load_after = os.getloadavg()

    title, *setup = protocol(args, source, rows, batches)
    loads = (f"load average (1, 5, 15 min): before {_fmt(load_before)}; "
             f"after {_fmt(load_after)}")
    lines = [title, *environment(args.threads), *setup, loads, "", *table(lat, thr, agree)]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

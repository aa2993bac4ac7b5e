"""Pretraining the ELMo encoder's biLM: the LM output layer (sampled softmax), the corpus,
the time-budgeted training loop with its held-out perplexity curve, and the on-disk cache
shared by every cell (one biLM per config, corpus fingerprint and seed; a file lock makes
concurrent cells wait for the first instead of repeating it).

Used by zoo/families/elmo.py (the ELMo variants' `pretrain` hook). Pretraining runs on the
task model's device; the cached weights are CPU tensors either way.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import random
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from allennlp_light.modules.sampled_softmax_loss import SampledSoftmaxLoss
from torch import nn
from torch.nn import functional as F

from zoo.configs import config_hash
from zoo.data.vocab import PAD, UNK
from zoo.encoders.chars import char_table
from zoo.encoders.elmo import BiLM, BiLMConfig, encode_ids

EOS_ID, BOS_ID, UNK_ID = 0, 1, 2  # LM output ids; frequent ids first (log-uniform sampler)
HELDOUT_FRACTION = 0.05
MAX_HELDOUT = 2000  # held-out sentences for the reported perplexity (full softmax: ~9 s)
# The curve: perplexity on the first CURVE_HELDOUT held-out sentences, CURVE_POINTS times over
# the time budget and after each epoch (cheap enough to score often, ~1.5 s a point).
CURVE_HELDOUT = 300
CURVE_POINTS = 8
CLIP_NORM = 5.0
# Bump when the pretraining procedure changes, so cached biLMs from the old one are not reused.
PRETRAIN_VERSION = 4  # 4: held-out capped at MAX_HELDOUT, a curve within the budget


# ---------------------------------------------------------------- language-model pieces


def build_lm_vocab(sentences: Sequence[Sequence[str]], max_size: int) -> list[str]:
    """Output words of the LM, most frequent first (the sampler assumes Zipfian order)."""
    counts = Counter(tok for sent in sentences for tok in sent)
    words = sorted((w for w in counts if w not in ("</s>", "<s>", UNK)),
                   key=lambda w: (-counts[w], w))
    return ["</s>", "<s>", UNK] + words[: max(0, max_size - 3)]


class LMHead(nn.Module):
    """Softmax over the LM vocabulary, tied between directions as in ELMo; sampled softmax
    while training when the vocabulary is much larger than the number of samples."""

    def __init__(self, vocab_size: int, dim: int, samples: int):
        super().__init__()
        self.sampled = vocab_size > 4 * samples
        self.softmax = SampledSoftmaxLoss(vocab_size, dim, max(1, min(samples, vocab_size - 1)))

    def nll(self, states: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Summed negative log-likelihood of (N,) targets given (N, P) states."""
        if self.training and self.sampled:
            return self.softmax(states, targets)
        logits = F.linear(states, self.softmax.softmax_w, self.softmax.softmax_b)  # (N, V)
        return F.cross_entropy(logits, targets, reduction="sum")


@dataclass
class LMCorpus:
    """Sentences as (word-type ids, LM output ids); characters of every word type in `chars`."""

    chars: torch.Tensor  # (N_types, C), on the device the biLM runs on
    rows: list[tuple[list[int], list[int]]]


def build_corpus(sentences: Sequence[Sequence[str]], lm_itos: list[str],
                 max_chars: int) -> LMCorpus:
    types = [PAD] + sorted({tok for sent in sentences for tok in sent} - {PAD})
    type_id = {t: i for i, t in enumerate(types)}
    lm_id = {w: i for i, w in enumerate(lm_itos)}
    rows = [([type_id[t] for t in s], [lm_id.get(t, UNK_ID) for t in s]) for s in sentences]
    return LMCorpus(char_table(types, max_chars), rows)


def _pad(rows: Sequence[list[int]]) -> torch.Tensor:
    out = torch.zeros(len(rows), max(len(r) for r in rows), dtype=torch.long)  # (B, T)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row)
    return out


def lm_nll(bilm: BiLM, head: LMHead, corpus: LMCorpus,
           rows: Sequence[tuple[list[int], list[int]]]) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Summed NLL of the forward LM (next word, </s> last) and the backward LM (previous
    word, <s> first) on a batch of sentences; returns (fwd, bwd, tokens)."""
    device = corpus.chars.device  # the batch goes where the biLM and its char table are
    type_ids = _pad([r[0] for r in rows]).to(device)  # (B, T)
    lm_ids = _pad([r[1] for r in rows]).to(device)  # (B, T)
    mask = type_ids > 0  # (B, T)
    lengths = mask.sum(1)  # (B,)
    top = bilm.dropout(encode_ids(bilm, corpus.chars, type_ids, mask)[-1])  # (B, T, 2P)
    fwd, bwd = top.split(bilm.cfg.proj, dim=-1)  # 2 x (B, T, P)
    next_word = torch.full_like(lm_ids, EOS_ID)  # (B, T)
    next_word[:, :-1] = lm_ids[:, 1:]
    next_word[torch.arange(len(rows), device=device), lengths - 1] = EOS_ID
    prev_word = torch.full_like(lm_ids, BOS_ID)  # (B, T)
    prev_word[:, 1:] = lm_ids[:, :-1]
    return (head.nll(fwd[mask], next_word[mask]), head.nll(bwd[mask], prev_word[mask]),
            int(mask.sum()))


@torch.no_grad()
def perplexity(bilm: BiLM, head: LMHead, corpus: LMCorpus,
               rows: Sequence[tuple[list[int], list[int]]]) -> tuple[float, float, float]:
    """Full-softmax perplexity: (geometric mean of both directions, forward, backward)."""
    bilm.eval(), head.eval()
    nf = nb = 0.0
    tokens = 0
    for k in range(0, len(rows), 128):
        f, b, n = lm_nll(bilm, head, corpus, rows[k: k + 128])
        nf, nb, tokens = nf + float(f), nb + float(b), tokens + n
    tokens = max(tokens, 1)
    return (math.exp((nf + nb) / (2 * tokens)), math.exp(nf / tokens), math.exp(nb / tokens))


# ---------------------------------------------------------------- pretraining and cache


@dataclass
class PretrainResult:
    state: dict[str, torch.Tensor]  # "bilm.*" and "lm.*" weights
    lm_vocab: list[str]
    metrics: dict[str, float]
    curves: dict[str, list[float]]


def _split(sentences: Sequence[Sequence[str]], cfg: BiLMConfig, seed: int):
    kept = [tuple(s[: cfg.max_len]) for s in sentences if len(s) > 0]
    if len(kept) < 2:
        raise ValueError("ELMo pretraining needs at least 2 non-empty sentences")
    order = list(range(len(kept)))
    random.Random(seed).shuffle(order)
    n_held = max(1, min(MAX_HELDOUT, round(HELDOUT_FRACTION * len(kept))))
    return [kept[i] for i in order[n_held:]], [kept[i] for i in order[:n_held]]


def run_pretraining(cfg: BiLMConfig, sentences: Sequence[Sequence[str]], seed: int,
                    device: torch.device | str = "cpu") -> PretrainResult:
    """Train forward and backward LMs (losses summed) within the epoch and time budget, on
    `device`; the returned state holds CPU tensors."""
    started = time.perf_counter()
    device = torch.device(device)
    train, held = _split(sentences, cfg, seed)
    lm_vocab = build_lm_vocab(train, cfg.lm_vocab)
    corpus = build_corpus(train + held, lm_vocab, cfg.max_chars)
    corpus.chars = corpus.chars.to(device)  # (N_types, C); lm_nll sends batches here too
    train_rows, held_rows = corpus.rows[: len(train)], corpus.rows[len(train):]
    np_state = np.random.get_state()  # the sampled softmax draws from numpy's global RNG
    # Fork the RNG of the device that pretrains too (dropout there draws from it), so the
    # caller's random streams are the same whether or not this pretrained.
    forked = [] if device.type != "cuda" else [
        torch.cuda.current_device() if device.index is None else device.index]
    with torch.random.fork_rng(devices=forked):
        torch.manual_seed(seed)
        np.random.seed(seed)
        try:
            bilm = BiLM(cfg).to(device)
            head = LMHead(len(lm_vocab), cfg.proj, cfg.lm_samples).to(device)
            metrics, curve = _train_lm(bilm, head, corpus, train_rows, held_rows, cfg, seed)
        finally:
            np.random.set_state(np_state)
    # CPU tensors: the cache file then loads on any machine (a no-op when trained on CPU).
    state = {**{f"bilm.{k}": v.cpu() for k, v in bilm.state_dict().items()},
             **{f"lm.{k}": v.cpu() for k, v in head.state_dict().items()}}
    metrics.update({"pretrain/sentences": float(len(train)),
                    "pretrain/heldout_sentences": float(len(held)),
                    "pretrain/lm_vocab": float(len(lm_vocab)),
                    "pretrain/seconds": time.perf_counter() - started})
    # The curve under its own key: a metric and a curve of one name would share one MLflow
    # history, whose latest value then hides the reported perplexity.
    return PretrainResult(state, lm_vocab, metrics, {"curve/pretrain_perplexity": curve})


def _train_lm(bilm: BiLM, head: LMHead, corpus: LMCorpus, train_rows, held_rows,
              cfg: BiLMConfig, seed: int) -> tuple[dict[str, float], list[float]]:
    params = [*bilm.parameters(), *head.parameters()]
    optimizer = torch.optim.Adam(params, lr=cfg.lr)
    rng = random.Random(seed)
    curve_rows = held_rows[:CURVE_HELDOUT]
    curve = [perplexity(bilm, head, corpus, curve_rows)[0]]  # before any training
    start, epochs_done, out_of_time, steps = time.perf_counter(), 0.0, False, 0
    next_point = cfg.max_seconds / CURVE_POINTS
    for _ in range(cfg.epochs):
        bilm.train(), head.train()
        order = list(range(len(train_rows)))
        rng.shuffle(order)
        chunks = [order[k: k + cfg.batch_size] for k in range(0, len(order), cfg.batch_size)]
        for done, chunk in enumerate(chunks, start=1):
            nf, nb, tokens = lm_nll(bilm, head, corpus, [train_rows[i] for i in chunk])
            loss = (nf + nb) / tokens  # forward + backward LM mean losses, summed
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(params, CLIP_NORM)
            optimizer.step()
            steps += 1
            elapsed = time.perf_counter() - start
            out_of_time = elapsed > cfg.max_seconds
            if out_of_time or steps == cfg.max_steps:
                break
            # A curve within the budget too: one large corpus may not finish an epoch.
            if elapsed > next_point and done < len(chunks):
                curve.append(perplexity(bilm, head, corpus, curve_rows)[0])
                bilm.train(), head.train()
                next_point += cfg.max_seconds / CURVE_POINTS
        epochs_done += done / len(chunks)
        curve.append(perplexity(bilm, head, corpus, curve_rows)[0])
        if out_of_time or steps == cfg.max_steps:
            break
    train_seconds = time.perf_counter() - start
    ppl = perplexity(bilm, head, corpus, held_rows)
    return {"pretrain/perplexity": ppl[0], "pretrain/perplexity_fwd": ppl[1],
            "pretrain/perplexity_bwd": ppl[2], "pretrain/epochs": epochs_done,
            "pretrain/train_seconds": train_seconds, "pretrain/perplexity_start": curve[0],
            "pretrain/hit_time_budget": float(out_of_time), "pretrain/steps": float(steps)}, curve


def cache_paths(cfg: BiLMConfig, cache_dir: Path, fingerprint: str,
                seed: int) -> tuple[Path, Path]:
    """(weights, sidecar JSON). The hash of config and procedure version keeps a resized or
    differently pretrained biLM from loading stale weights."""
    stem = (f"elmo-{cfg.name}-{config_hash(cfg, PRETRAIN_VERSION)[:8]}-{fingerprint[:16]}"
            f"-seed{seed}")
    return cache_dir / f"{stem}.pt", cache_dir / f"{stem}.json"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    # Concurrent cells on one machine wait for the first to pretrain instead of repeating it.
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_or_pretrain(cfg: BiLMConfig, ctx, device: torch.device | str = "cpu",
                     ) -> tuple[dict[str, torch.Tensor], dict, dict]:
    """The pretrained biLM state for `ctx` (a zoo.pretraining.PretrainContext): from the cache
    when present, else pretrained now (on `device`) and cached. Returns (biLM state as CPU
    tensors, metrics, curves)."""
    cache_dir = Path(ctx.cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    weights, sidecar = cache_paths(cfg, cache_dir, ctx.data_fingerprint, ctx.seed)
    with _file_lock(weights.with_suffix(".lock")):
        if weights.exists() and sidecar.exists():
            side = json.loads(sidecar.read_text())
            state = torch.load(weights, weights_only=True, map_location="cpu")
            return _bilm_part(state), {**side["metrics"], "pretrain/cache_hit": 1.0}, \
                side["curves"]
        result = run_pretraining(cfg, ctx.sentences, ctx.seed, device)
        side = {"config": asdict(cfg), "lm_vocab": result.lm_vocab,
                "metrics": result.metrics, "curves": result.curves}
        # Sidecar first: the weights file appearing is what marks the entry complete.
        _atomic_write(sidecar, lambda p: Path(p).write_text(json.dumps(side)))
        _atomic_write(weights, lambda p: torch.save(result.state, p))
    return _bilm_part(result.state), {**result.metrics, "pretrain/cache_hit": 0.0}, result.curves


def _bilm_part(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k[len("bilm."):]: v for k, v in state.items() if k.startswith("bilm.")}

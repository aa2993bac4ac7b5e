"""Pretraining the ELMo encoder's biLM: the LM output layer (sampled softmax), the corpus,
the training loop (a step or time budget, or until held-out perplexity stops improving)
with its held-out perplexity curve, and the on-disk cache shared by every cell (one biLM
per config, stopping rule, corpus fingerprint and seed; a file lock makes concurrent cells
wait for the first instead of repeating it).

Used by zoo/families/elmo.py (the ELMo variants' `pretrain` hook); the LM pieces (output
layer, corpus ids, NLL, perplexity) are in zoo/encoders/bilm_lm.py. Pretraining runs on the
task model's device; the cached weights are CPU tensors either way.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import math
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from zoo.configs import config_hash
from zoo.encoders.bilm_lm import LMCorpus, LMHead, build_corpus, build_lm_vocab, lm_nll, perplexity
from zoo.encoders.elmo import BiLM, BiLMConfig

HELDOUT_FRACTION = 0.05
MAX_HELDOUT = 2000  # held-out sentences for the reported perplexity (full softmax: ~9 s)
# The curve: perplexity on the first CURVE_HELDOUT held-out sentences, CURVE_POINTS times over
# the time budget and after each epoch (cheap enough to score often, ~1.5 s a point).
CURVE_HELDOUT = 300
CURVE_POINTS = 8
CLIP_NORM = 5.0
# Bump when the pretraining procedure changes, so cached biLMs from the old one are not reused.
PRETRAIN_VERSION = 5  # 5: until converged; steps per curve point, converged, corpus tokens


# ---------------------------------------------------------------- pretraining and cache


@dataclass(frozen=True)
class UntilConverged:
    """Pretrain until held-out perplexity stops improving, as every cell trains until dev
    stops improving: the same biLM on a busy machine as on an idle one, and one that has
    learned what the corpus holds (a step budget stopped the 2026-12-06 biLMs at 0.2-0.4
    epochs, perplexity 161 and 109, still falling). The caps are safety nets, reported
    when hit (then the biLM is not converged)."""

    # Evaluations in a row without a relative improvement of `min_delta` over the point
    # that last reset the count. 4 x 500 steps is 0.9 epoch of the English corpus (144,569
    # training sentences, 2,259 batches of 64): a plateau is judged over about one epoch.
    patience: int = 4
    # Optimizer steps between evaluations on the whole held-out set (<= MAX_HELDOUT
    # sentences). SMALL on 1 thread of a loaded 2-core machine: ~6 s an evaluation vs
    # ~105-145 s for 500 steps (0.21-0.29 s a step), so evaluating costs 4-5 % of training.
    eval_every: int = 500
    # 1 % over the patience window: below that, each further epoch (~8 min of SMALL) buys
    # about 1 % of perplexity; a stricter threshold lets the slow power-law tail of an LM
    # curve hold training open for hours.
    min_delta: float = 0.01
    max_steps: int = 100_000  # ~44 epochs of the English corpus: never the plan
    max_seconds: float = 4 * 3600.0

    def __post_init__(self) -> None:
        if self.patience < 1 or self.eval_every < 1 or self.max_steps < 1:
            raise ValueError("patience, eval_every and max_steps must be at least 1")
        if not 0.0 <= self.min_delta < 1.0 or self.max_seconds <= 0:
            raise ValueError("min_delta must be in [0, 1) and max_seconds positive")


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
                    device: torch.device | str = "cpu", until: UntilConverged | None = None,
                    on_point: Callable[[int, float], None] | None = None) -> PretrainResult:
    """Train forward and backward LMs (losses summed) on `device`, within the config's epoch,
    step and time budget, or (`until`) until held-out perplexity stops improving, keeping
    the best weights; the returned state holds CPU tensors. `on_point(steps, perplexity)`
    sees each held-out evaluation as it happens (until converged: a long run's progress)."""
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
            rows = (bilm, head, corpus, train_rows, held_rows, cfg, seed)
            metrics, curve, at = (_train_lm(*rows) if until is None else
                                  _train_until_converged(*rows, until, on_point))
        finally:
            np.random.set_state(np_state)
    # CPU tensors: the cache file then loads on any machine (a no-op when trained on CPU).
    state = {**{f"bilm.{k}": v.cpu() for k, v in bilm.state_dict().items()},
             **{f"lm.{k}": v.cpu() for k, v in head.state_dict().items()}}
    metrics.update({"pretrain/sentences": float(len(train)),
                    "pretrain/heldout_sentences": float(len(held)),
                    "pretrain/corpus_tokens": float(sum(len(r[0]) for r in train_rows)),
                    "pretrain/lm_vocab": float(len(lm_vocab)),
                    "pretrain/seconds": time.perf_counter() - started})
    # The curve under its own key: a metric and a curve of one name would share one MLflow
    # history, whose latest value then hides the reported perplexity. MLflow numbers curve
    # points 1..n; the optimizer steps of each point are their own curve (its x-axis).
    return PretrainResult(state, lm_vocab, metrics, {"curve/pretrain_perplexity": curve,
                                                     "curve/pretrain_steps": at})


def _batches(n_rows: int, batch_size: int, rng: random.Random) -> Iterator[list[list[int]]]:
    """Row indices of each epoch's shuffled batches, epoch after epoch."""
    while True:
        order = list(range(n_rows))
        rng.shuffle(order)
        yield [order[k: k + batch_size] for k in range(0, n_rows, batch_size)]


def _step(bilm: BiLM, head: LMHead, corpus: LMCorpus, rows, optimizer, params) -> None:
    nf, nb, tokens = lm_nll(bilm, head, corpus, rows)
    loss = (nf + nb) / tokens  # forward + backward LM mean losses, summed
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(params, CLIP_NORM)
    optimizer.step()


def _train_lm(bilm: BiLM, head: LMHead, corpus: LMCorpus, train_rows, held_rows,
              cfg: BiLMConfig, seed: int):
    """The budgeted loop: `cfg.epochs`, `cfg.max_steps` (when set) or `cfg.max_seconds`,
    whichever comes first; the final weights. Returns (metrics, curve, steps of each point)."""
    params = [*bilm.parameters(), *head.parameters()]
    optimizer = torch.optim.Adam(params, lr=cfg.lr)
    epochs = _batches(len(train_rows), cfg.batch_size, random.Random(seed))
    curve_rows = held_rows[:CURVE_HELDOUT]
    curve, at = [perplexity(bilm, head, corpus, curve_rows)[0]], [0]  # before any training
    start, epochs_done, out_of_time, steps = time.perf_counter(), 0.0, False, 0
    next_point = cfg.max_seconds / CURVE_POINTS
    for _ in range(cfg.epochs):
        bilm.train(), head.train()
        chunks = next(epochs)
        for done, chunk in enumerate(chunks, start=1):
            _step(bilm, head, corpus, [train_rows[i] for i in chunk], optimizer, params)
            steps += 1
            elapsed = time.perf_counter() - start
            out_of_time = elapsed > cfg.max_seconds
            if out_of_time or steps == cfg.max_steps:
                break
            # A curve within the budget too: one large corpus may not finish an epoch.
            if elapsed > next_point and done < len(chunks):
                curve.append(perplexity(bilm, head, corpus, curve_rows)[0])
                at.append(steps)
                bilm.train(), head.train()
                next_point += cfg.max_seconds / CURVE_POINTS
        epochs_done += done / len(chunks)
        curve.append(perplexity(bilm, head, corpus, curve_rows)[0])
        at.append(steps)
        if out_of_time or steps == cfg.max_steps:
            break
    train_seconds = time.perf_counter() - start
    ppl = perplexity(bilm, head, corpus, held_rows)
    return {**_ppl_metrics(ppl), "pretrain/epochs": epochs_done,
            "pretrain/train_seconds": train_seconds, "pretrain/perplexity_start": curve[0],
            "pretrain/hit_time_budget": float(out_of_time), "pretrain/steps": float(steps),
            "pretrain/hit_step_cap": float(steps == cfg.max_steps),
            "pretrain/converged": 0.0}, curve, at


def _ppl_metrics(ppl: tuple[float, float, float]) -> dict[str, float]:
    return {"pretrain/perplexity": ppl[0], "pretrain/perplexity_fwd": ppl[1],
            "pretrain/perplexity_bwd": ppl[2]}


class _Best:
    """The best held-out perplexity so far, its step and weights; and the patience count,
    which resets only on a relative improvement of `min_delta` over the last point that
    reset it (a slow creep of 0.3 % an evaluation does not hold training open forever)."""

    def __init__(self, ppl: tuple[float, float, float], modules: tuple[nn.Module, ...],
                 until: UntilConverged):
        self.modules, self.until = modules, until
        self.ppl, self.step, self.state = ppl, 0, self._snapshot()
        self.reference, self.waited = ppl[0], 0

    def _snapshot(self) -> list[dict[str, torch.Tensor]]:
        return [{k: v.detach().clone() for k, v in m.state_dict().items()}
                for m in self.modules]

    def update(self, steps: int, ppl: tuple[float, float, float]) -> bool:
        """Record an evaluation; True when patience has run out."""
        if ppl[0] < self.ppl[0]:  # a NaN (diverged) never counts as better
            self.ppl, self.step, self.state = ppl, steps, self._snapshot()
        if ppl[0] < self.reference * (1 - self.until.min_delta):
            self.reference, self.waited = ppl[0], 0
        else:
            self.waited += 1
        return self.waited >= self.until.patience

    def restore(self) -> None:
        for module, state in zip(self.modules, self.state):
            module.load_state_dict(state)


def _train_until_converged(bilm: BiLM, head: LMHead, corpus: LMCorpus, train_rows,
                           held_rows, cfg: BiLMConfig, seed: int, until: UntilConverged,
                           on_point: Callable[[int, float], None] | None = None):
    """Early stopping on the whole held-out set, evaluated every `until.eval_every` steps;
    restores the best weights. Returns (metrics, curve, steps of each point)."""
    params = [*bilm.parameters(), *head.parameters()]
    optimizer = torch.optim.Adam(params, lr=cfg.lr)
    epochs = _batches(len(train_rows), cfg.batch_size, random.Random(seed))
    start, steps, eval_seconds, stop = time.perf_counter(), 0, 0.0, ""
    best = _Best(perplexity(bilm, head, corpus, held_rows), (bilm, head), until)
    curve, at = [best.ppl[0]], [0]  # before any training
    while not stop:
        bilm.train(), head.train()
        for chunk in next(epochs):
            _step(bilm, head, corpus, [train_rows[i] for i in chunk], optimizer, params)
            steps += 1
            stop = ("time_cap" if time.perf_counter() - start > until.max_seconds else
                    "step_cap" if steps >= until.max_steps else "")
            if steps % until.eval_every and not stop:
                continue
            tick = time.perf_counter()
            ppl = perplexity(bilm, head, corpus, held_rows)  # leaves eval mode on
            eval_seconds += time.perf_counter() - tick
            curve.append(ppl[0]), at.append(steps)
            if on_point is not None:
                on_point(steps, ppl[0])
            patience_out = best.update(steps, ppl)  # also at a cap: it may be the best
            stop = stop or ("converged" if patience_out else "")
            if stop:
                break
            bilm.train(), head.train()
    best.restore()
    per_epoch = math.ceil(len(train_rows) / cfg.batch_size)
    return {**_ppl_metrics(best.ppl), "pretrain/epochs": steps / per_epoch,
            "pretrain/steps": float(steps), "pretrain/best_step": float(best.step),
            "pretrain/best_epochs": best.step / per_epoch,
            "pretrain/train_seconds": time.perf_counter() - start,
            "pretrain/eval_seconds": eval_seconds, "pretrain/perplexity_start": curve[0],
            "pretrain/hit_time_budget": float(stop == "time_cap"),
            "pretrain/hit_step_cap": float(stop == "step_cap"),
            "pretrain/converged": float(stop == "converged")}, curve, at


def cache_paths(cfg: BiLMConfig, cache_dir: Path, fingerprint: str, seed: int,
                until: UntilConverged | None = None, converged: bool = True,
                ) -> tuple[Path, Path]:
    """(weights, sidecar JSON). The hash of config, stopping rule and procedure version keeps
    a resized or differently pretrained biLM from loading stale weights. With `until`: a
    converged biLM's key holds the stopping rule but not the caps nor the config's own
    budget (it stopped before any of them), so a later run with other caps reuses it; one
    stopped by a cap (`converged=False`) is kept under a key with its caps."""
    if until is None:
        kind, parts = "", (cfg, PRETRAIN_VERSION)
    elif converged:
        rule = {"patience": until.patience, "eval_every": until.eval_every,
                "min_delta": until.min_delta}
        uncapped = dataclasses.replace(cfg, epochs=0, max_seconds=0.0, max_steps=0)
        kind, parts = "converged-", (uncapped, rule, PRETRAIN_VERSION)
    else:
        kind, parts = "capped-", (cfg, until, PRETRAIN_VERSION)
    stem = (f"elmo-{cfg.name}-{kind}{config_hash(*parts)[:8]}-{fingerprint[:16]}"
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
                     until: UntilConverged | None = None,
                     ) -> tuple[dict[str, torch.Tensor], dict, dict]:
    """The pretrained biLM state for `ctx` (a zoo.corpus.PretrainContext): from the cache
    when present (with `until`, a converged biLM first), else pretrained now (on `device`)
    and cached. Returns (biLM state as CPU tensors, metrics, curves)."""
    cache_dir = Path(ctx.cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    keys = (ctx.data_fingerprint, ctx.seed)
    entries = [cache_paths(cfg, cache_dir, *keys, until)]
    if until is not None:  # a converged biLM, else one capped by these caps
        entries.append(cache_paths(cfg, cache_dir, *keys, until, converged=False))
    with _file_lock(entries[0][0].with_suffix(".lock")):
        for weights, sidecar in entries:
            if weights.exists() and sidecar.exists():
                side = json.loads(sidecar.read_text())
                state = torch.load(weights, weights_only=True, map_location="cpu")
                return _bilm_part(state), {**side["metrics"], "pretrain/cache_hit": 1.0}, \
                    side["curves"]
        result = run_pretraining(cfg, ctx.sentences, ctx.seed, device, until)
        weights, sidecar = entries[0 if result.metrics["pretrain/converged"] else -1]
        side = {"config": asdict(cfg), "until": asdict(until) if until else None,
                "lm_vocab": result.lm_vocab, "metrics": result.metrics,
                "curves": result.curves}
        # Sidecar first: the weights file appearing is what marks the entry complete.
        _atomic_write(sidecar, lambda p: Path(p).write_text(json.dumps(side)))
        _atomic_write(weights, lambda p: torch.save(result.state, p))
    return _bilm_part(result.state), {**result.metrics, "pretrain/cache_hit": 0.0}, result.curves


def _bilm_part(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k[len("bilm."):]: v for k, v in state.items() if k.startswith("bilm.")}

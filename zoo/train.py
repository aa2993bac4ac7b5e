"""The one training loop for every neural model in the zoo, spelled out.

Adam(W), gradient-norm clipping, optional warmup + decay, early stopping on a dev score,
seeded determinism. The best dev checkpoint is restored before returning, so the caller
evaluates exactly the model that dev selected.

Device: the caller places the model (zoo.cells.train_cell puts it on `pick_device()`) before
calling `train_model`; the loop moves every batch to the model's device. Float32 by default;
`TrainConfig.amp` turns on bfloat16 autocast on a CUDA device only (the CPU ignores it), so a
seeded run repeats on the CPU exactly and on a GPU up to the bits noted in `seed_everything`.
PyTorch's default TF32 settings for cuDNN are left as they are.
"""
from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from zoo.batching import Collator
from zoo.configs import TrainConfig
from zoo.data.types import Example
from zoo.device import module_device


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds every CUDA device too
    # cuDNN (CUDA only; no effect on CPU): deterministic kernels, no per-shape autotuning,
    # so a seeded GPU run repeats. Ops that accumulate with atomics on CUDA (embedding and
    # index backward) can still differ in the last bits between GPU runs.
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


@dataclass
class EpochLog:
    epoch: int
    train_loss: float
    dev_score: float
    seconds: float


@dataclass
class TrainResult:
    best_epoch: int
    best_dev_score: float
    epochs: list[EpochLog] = field(default_factory=list)
    seconds: float = 0.0
    stopped_early: bool = False
    hit_time_budget: bool = False
    amp: bool = False  # whether bfloat16 autocast was on (cfg.amp and a CUDA device)


def lr_lambda(cfg: TrainConfig, total_steps: int) -> Callable[[int], float]:
    """Multiplier on the base learning rate at optimizer step `step`."""
    def factor(step: int) -> float:
        step = step + 1
        warm = cfg.warmup_steps
        if warm and step <= warm:
            return step / warm
        if cfg.decay == "linear":
            span = max(1, total_steps - warm)
            return max(0.0, 1.0 - (step - warm) / span)
        if cfg.decay == "inverse_sqrt":
            return math.sqrt(max(warm, 1) / step)
        return 1.0
    return factor


def _batches(examples: Sequence[Example], size: int, shuffle: bool,
             rng: random.Random) -> list[list[Example]]:
    order = list(range(len(examples)))
    if shuffle:
        rng.shuffle(order)
    return [[examples[i] for i in order[k:k + size]] for k in range(0, len(order), size)]


def train_model(
    model: nn.Module,
    collator: Collator,
    train: Sequence[Example],
    cfg: TrainConfig,
    *,
    seed: int,
    dev_score: Callable[[nn.Module], float],
    on_epoch: Callable[[EpochLog], None] | None = None,
) -> TrainResult:
    """Train `model` in place; `dev_score(model)` is higher-is-better and selects the epoch.

    The model stays on the device the caller put it on; batches follow it there.
    """
    seed_everything(seed)
    device = module_device(model)  # read once: the model does not move while it trains
    # Mixed precision only on a GPU and only when asked: bfloat16 autocast needs no loss
    # scaling; CPU training always runs in float32.
    use_amp = cfg.amp and device.type == "cuda"
    rng = random.Random(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = math.ceil(len(train) / cfg.batch_size)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lr_lambda(cfg, steps_per_epoch * cfg.epochs))
    result = TrainResult(best_epoch=0, best_dev_score=-math.inf, amp=use_amp)
    best_state = copy.deepcopy(model.state_dict())
    start = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        epoch_start = time.perf_counter()
        model.train()
        total, count = 0.0, 0
        out_of_time = False
        for chunk in _batches(train, cfg.batch_size, shuffle=True, rng=rng):
            if cfg.max_train_seconds and time.perf_counter() - start > cfg.max_train_seconds:
                out_of_time = True  # stop mid-epoch; this partial epoch is still scored
                break
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_amp):
                loss = model.loss(collator(chunk).to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.clip_norm > 0:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_norm)
            optimizer.step()
            scheduler.step()
            total += float(loss.detach()) * len(chunk)
            count += len(chunk)
        model.eval()
        score = dev_score(model)
        log = EpochLog(epoch, total / max(count, 1), score, time.perf_counter() - epoch_start)
        result.epochs.append(log)
        if on_epoch is not None:
            on_epoch(log)
        if score > result.best_dev_score:
            result.best_epoch, result.best_dev_score = epoch, score
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - result.best_epoch >= cfg.patience:
            result.stopped_early = True
            break
        if out_of_time or (cfg.max_train_seconds and
                           time.perf_counter() - start > cfg.max_train_seconds):
            result.hit_time_budget = True
            break
    model.load_state_dict(best_state)
    model.eval()
    result.seconds = time.perf_counter() - start
    return result

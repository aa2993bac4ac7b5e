"""The one training loop for every neural model in the zoo, spelled out.

Adam(W), gradient-norm clipping, optional warmup + decay, early stopping on a dev score,
seeded determinism. The best dev checkpoint is restored before returning, so the caller
evaluates exactly the model that dev selected.

Device: the caller places the model (zoo.cells.train_cell puts it on `pick_device()`) before
calling `train_model`; the loop moves every batch to the model's device. Float32 by default;
`TrainConfig.amp` (off by default) turns on bfloat16 autocast where bfloat16 is native: a CUDA
device, or a CPU with AVX512-BF16 or AMX (zoo.device.bf16_autocast_ok; elsewhere it is
ignored). A float32 run repeats on the CPU exactly and on a GPU up to the bits noted in
`seed_everything`.
PyTorch's default TF32 settings for cuDNN are left as they are.
"""
from __future__ import annotations

import copy
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from zoo.batching import Collator
from zoo.configs import TrainConfig
from zoo.data.types import Example
from zoo.device import bf16_autocast_ok, module_device


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
    of_epochs: int = 0  # the run's scheduled epochs (`scheduled_epochs`), for progress displays


@dataclass
class TrainResult:
    best_epoch: int
    best_dev_score: float
    epochs: list[EpochLog] = field(default_factory=list)
    seconds: float = 0.0
    amp: bool = False  # whether bfloat16 autocast was on (cfg.amp where bfloat16 is native)
    stop_reason: str = ""  # early_stopped | schedule_end | epoch_cap | time_cap (`stop_summary`)
    still_improving: bool = False
    converged: bool = False

    @property
    def epochs_run(self) -> int:
        return len(self.epochs)

    @property
    def stopped_early(self) -> bool:
        return self.stop_reason == "early_stopped"

    @property
    def hit_time_budget(self) -> bool:
        return self.stop_reason == "time_cap"


def stop_summary(scores: Sequence[float], reason: str, patience: int,
                 tolerance: float) -> tuple[bool, bool]:
    """(still_improving, converged) of a run that stopped for `reason`, from its dev scores.

    still_improving (only at a cap, epoch or time): the best epoch is among the last
    `patience` epochs, i.e. dev was still rising when training stopped.
    converged: early_stopped (patience exhausted); schedule_end (the learning rate decayed to
    zero at the last epoch's last step, as fine-tuning recipes prescribe a fixed number of
    epochs: the weights have stopped moving, and dev rising into that epoch is the schedule's
    annealing, not a cut budget; whether a longer schedule helps is a recipe question for
    `zoo tune`); or epoch_cap with a flat curve: the best
    dev score of the last `patience` epochs exceeds the best of the epochs before them by
    less than `tolerance` (absolute, in the primary metric's own units). A run with no
    epoch before that window, or cut by the time cap, is not called converged.
    """
    if reason == "early_stopped":
        return False, True
    window = max(1, patience)
    n = len(scores)
    best = max(range(n), key=lambda i: (scores[i], -i)) if n else 0  # first best, as selected
    still_improving = n > 0 and best >= n - window
    if reason == "schedule_end":
        return still_improving, True  # still_improving: informational only
    converged = False
    if reason == "epoch_cap" and n > window:
        converged = max(scores[-window:]) - max(scores[:-window]) < tolerance
    return still_improving, converged


def scheduled_epochs(cfg: TrainConfig, n_train: int) -> int:
    """`cfg.epochs`, raised on a small training set until the run has `cfg.min_steps`
    optimizer steps (few-sample fine-tuning needs more updates than epochs suggest:
    Mosbach et al. 2021, Zhang et al. 2021)."""
    steps_per_epoch = math.ceil(n_train / cfg.batch_size)
    return max(cfg.epochs, math.ceil(cfg.min_steps / max(steps_per_epoch, 1)))


def lr_lambda(cfg: TrainConfig, total_steps: int) -> Callable[[int], float]:
    """Multiplier on the base learning rate at optimizer step `step`."""
    warm = max(cfg.warmup_steps, round(cfg.warmup_fraction * total_steps))

    def factor(step: int) -> float:
        step = step + 1
        if warm and step <= warm:
            return 1.0 if cfg.skip_warmup else step / warm
        if cfg.decay == "linear":
            span = max(1, total_steps - warm)
            return max(0.0, 1.0 - (step - warm) / span)
        if cfg.decay == "inverse_sqrt":
            return math.sqrt(max(warm, 1) / step)
        return 1.0
    return factor


def plan_batches(examples: Sequence[Example], size: int, rng: random.Random,
                 pool: int = 0) -> list[list[Example]]:
    """One epoch's batches: shuffled; with `pool` > 0, length-bucketed.

    Bucketing (as AllenNLP's BucketBatchSampler and torchtext's BucketIterator do): shuffle,
    sort by length within pools of `pool` batches, cut each pool into batches, then shuffle
    the batch order. A batch then holds sentences of similar length, so the padded width,
    which sets the cost of every recurrent step and attention map, stays near the real one,
    while each epoch still sees a different grouping. Written here (15 lines) because torch
    has no length-aware sampler and torchtext is retired.
    """
    order = list(range(len(examples)))
    rng.shuffle(order)
    if pool > 0:
        span = pool * size
        order = [i for k in range(0, len(order), span)
                 for i in sorted(order[k:k + span], key=lambda i: len(examples[i].tokens))]
    batches = [[examples[i] for i in order[k:k + size]] for k in range(0, len(order), size)]
    if pool > 0:
        rng.shuffle(batches)
    return batches


def singleton_ids(collator: Collator, train: Sequence[Example]) -> torch.Tensor:
    """(V,) bool: which source-vocabulary ids occur exactly once in the training examples."""
    counts = Counter(tok for ex in train for tok in ex.tokens)
    flags = torch.zeros(len(collator.vocab), dtype=torch.bool)
    ids = [collator.vocab.id(tok) for tok, n in counts.items() if n == 1]
    flags[torch.tensor(ids, dtype=torch.long)] = True
    flags[collator.vocab.unk_id] = False
    return flags


def replace_singletons(ids: torch.Tensor, singletons: torch.Tensor, p: float,
                       generator: torch.Generator) -> torch.Tensor:
    """`ids` (B, T) with each singleton token replaced by <unk> (id 1) with probability p.

    Why: a word seen once in training and every unseen test word share the fate of <unk>;
    without replacement <unk> never occurs in training and its vector stays random noise
    (Lample et al. 2016, section 4: singletons replaced with p = 0.5).
    """
    drop = singletons[ids] & (torch.rand(ids.shape, generator=generator) < p)  # (B, T) bool
    return ids.masked_fill(drop, 1)


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """AdamW, fused where torch has a fused kernel for the parameters' device (CPU, CUDA).

    Why fused: torch's default AdamW on CPU tensors is the per-parameter for-loop, and a
    small model's step is dominated by its embedding table: on cnn_small-sized parameters
    (1.9 M, 1 thread) a step takes 16.1 ms as a for-loop and 1.4 ms fused
    (benchmarks/optimizer_step.py), a third of a Kim-CNN training step on mr.
    """
    params = param_groups(model, cfg)
    try:
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True)
    except (RuntimeError, ValueError):  # a device or dtype without the fused kernel
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def param_groups(model: nn.Module, cfg: TrainConfig) -> list[dict]:
    """The trainable parameters: one group at `lr`, or with `head_lr` set, the model's
    `head` in a second group at that rate (the schedule scales both groups alike)."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    head = getattr(model, "head", None)
    if not cfg.head_lr or not isinstance(head, nn.Module):
        return [{"params": trainable}]
    head_ids = {id(p) for p in head.parameters()}
    return [{"params": [p for p in trainable if id(p) not in head_ids]},
            {"params": [p for p in trainable if id(p) in head_ids], "lr": cfg.head_lr}]


@dataclass
class _Loop:
    """What every step of one training run shares: the optimizer, its schedule, the device
    and mixed-precision choice, unknown-word replacement and the time budget."""

    model: nn.Module
    collator: Collator
    cfg: TrainConfig
    device: torch.device
    use_amp: bool
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    singletons: torch.Tensor | None
    unk_rng: torch.Generator
    began: float
    epochs: int  # `scheduled_epochs`: the schedule's length, which the loop runs at most

    @classmethod
    def start(cls, model: nn.Module, collator: Collator, train: Sequence[Example],
              cfg: TrainConfig, seed: int) -> _Loop:
        device = module_device(model)  # read once: the model does not move while it trains
        optimizer = make_optimizer(model, cfg)
        steps_per_epoch = math.ceil(len(train) / cfg.batch_size)
        epochs = scheduled_epochs(cfg, len(train))
        return cls(
            model, collator, cfg, device,
            # Mixed precision only when asked, and only where bfloat16 is native (a GPU, or a
            # CPU with AVX512-BF16 / AMX): bfloat16 autocast needs no loss scaling.
            cfg.amp and bf16_autocast_ok(device), optimizer,
            torch.optim.lr_scheduler.LambdaLR(
                optimizer, lr_lambda(cfg, steps_per_epoch * epochs)),
            singleton_ids(collator, train) if cfg.unk_replace > 0 else None,
            torch.Generator().manual_seed(seed), time.perf_counter(), epochs)

    def out_of_time(self) -> bool:
        limit = self.cfg.max_train_seconds
        return bool(limit) and time.perf_counter() - self.began > limit

    def epoch(self, train: Sequence[Example], rng: random.Random) -> tuple[float, bool]:
        """One pass over shuffled, length-bucketed batches: (mean train loss, whether the
        time budget ran out mid-epoch; the partial epoch is still scored)."""
        cfg, model = self.cfg, self.model
        model.train()
        total, count = 0.0, 0
        for chunk in plan_batches(train, cfg.batch_size, rng, cfg.bucket_pool):
            if self.out_of_time():
                return total / max(count, 1), True
            batch = self.collator(chunk)
            if self.singletons is not None:
                batch.ids = replace_singletons(batch.ids, self.singletons, cfg.unk_replace,
                                               self.unk_rng)
            with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.use_amp):
                loss = model.loss(batch.to(self.device))
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.clip_norm > 0:
                nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_norm, foreach=True)
            self.optimizer.step()
            self.scheduler.step()
            total += float(loss.detach()) * len(chunk)
            count += len(chunk)
        return total / max(count, 1), False


def train_model(
    model: nn.Module,
    collator: Collator,
    train: Sequence[Example],
    cfg: TrainConfig,
    *,
    seed: int,
    dev_score: Callable[[nn.Module], float],
    on_epoch: Callable[[EpochLog], None] | None = None,
    score_scale: float = 1.0,
) -> TrainResult:
    """Train `model` in place; `dev_score(model)` is higher-is-better and selects the epoch.

    The model stays on the device the caller put it on; batches follow it there.
    Stops at the first of: `cfg.patience` epochs without a dev improvement, once at least
    `cfg.min_epochs` ran ("early_stopped"); `cfg.max_train_seconds` ("time_cap"); all
    `scheduled_epochs` ("epoch_cap"). `score_scale` is the primary metric's full scale (1 for
    accuracy / F1, 100 for BLEU): the flat rule's tolerance is `cfg.flat_tolerance *
    score_scale` in the metric's units (see `stop_summary`).
    """
    seed_everything(seed)
    loop = _Loop.start(model, collator, train, cfg, seed)
    result = TrainResult(best_epoch=0, best_dev_score=-math.inf, amp=loop.use_amp)
    best_state = copy.deepcopy(model.state_dict())
    rng = random.Random(seed)
    for epoch in range(1, loop.epochs + 1):
        epoch_start = time.perf_counter()
        mean_loss, out_of_time = loop.epoch(train, rng)
        model.eval()
        # Dev selects the epoch under the same autocast as training (as HF Trainer's bf16
        # evaluation does): the dev pass was 40 % of a fine-tuning cell in float32
        # (benchmarks/dev_autocast.py). The logged dev and test scores stay float32.
        with torch.autocast(loop.device.type, dtype=torch.bfloat16, enabled=loop.use_amp):
            score = dev_score(model)
        log = EpochLog(epoch, mean_loss, score, time.perf_counter() - epoch_start, loop.epochs)
        result.epochs.append(log)
        if on_epoch is not None:
            on_epoch(log)
        if score > result.best_dev_score:
            result.best_epoch, result.best_dev_score = epoch, score
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - result.best_epoch >= cfg.patience and epoch >= cfg.min_epochs:
            result.stop_reason = "early_stopped"
            break
        if out_of_time or loop.out_of_time():
            result.stop_reason = "time_cap"
            break
    else:
        # A linear decay reaches zero at the last step of the last epoch (lr_lambda): the
        # recipe's whole schedule ran. Any other schedule was cut by the epoch cap.
        result.stop_reason = "schedule_end" if cfg.decay == "linear" else "epoch_cap"
    result.still_improving, result.converged = stop_summary(
        [e.dev_score for e in result.epochs], result.stop_reason, cfg.patience,
        cfg.flat_tolerance * score_scale)
    model.load_state_dict(best_state)
    model.eval()
    result.seconds = time.perf_counter() - loop.began
    return result

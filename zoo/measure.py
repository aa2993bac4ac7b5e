"""Honest speed and size measurements, and the environment they were taken in.

Latency: batch-1 calls on real test inputs, warm-up calls discarded, percentiles reported.
Numbers are only comparable within one environment fingerprint; the report groups by it.
On CUDA, kernels run asynchronously: the clock is read only after `torch.cuda.synchronize`,
so a figure covers the GPU work, not just its launch.
"""
from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil
import torch

from zoo.data.types import Example
from zoo.device import pick_device, synchronize

Predict = Callable[[Sequence[Example]], list]


@dataclass(frozen=True)
class LatencyStats:
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    calls: int
    warmup_calls: int


def measure_latency(predict: Predict, examples: Sequence[Example], *, calls: int = 200,
                    warmup: int = 20) -> LatencyStats:
    """Batch-1 latency over `calls` real inputs (cycling if fewer), after `warmup` calls."""
    if not examples:
        raise ValueError("latency needs at least one example")
    device = _cuda_device(predict)
    for i in range(warmup):
        predict([examples[i % len(examples)]])
    times = np.empty(calls)
    for i in range(calls):
        ex = examples[i % len(examples)]
        synchronize(device)  # nothing queued from before counts against this call
        t0 = time.perf_counter()
        predict([ex])
        synchronize(device)  # the call's GPU work is done before the clock is read
        times[i] = (time.perf_counter() - t0) * 1000.0
    p50, p90, p99 = np.percentile(times, [50, 90, 99])
    return LatencyStats(float(p50), float(p90), float(p99), float(times.mean()), calls, warmup)


# Two batches of real test inputs, the same for every model: 512 took 9.6 s a MiniLM cell
# at 61 examples/s on one thread, 8 of its 15 s of measuring, and standard measures 96
# MiniLM-family cells one at a time (benchmarks/measure_parts.py, 2026-12-07).
THROUGHPUT_EXAMPLES = 128


def measure_throughput(predict: Predict, examples: Sequence[Example], *, batch_size: int = 64,
                       min_seconds: float = 0.3,
                       max_examples: int = THROUGHPUT_EXAMPLES) -> dict[str, float]:
    """Batched examples/s and tokens/s over whole passes of the first `max_examples`
    examples (one warm-up batch first), repeated until `min_seconds` have passed."""
    examples = examples[:max_examples]
    device = _cuda_device(predict)
    predict(list(examples[:batch_size]))
    synchronize(device)
    n_examples = n_tokens = 0
    t0 = time.perf_counter()
    while True:
        for k in range(0, len(examples), batch_size):
            chunk = list(examples[k:k + batch_size])
            predict(chunk)
            n_examples += len(chunk)
            n_tokens += sum(len(ex.tokens) for ex in chunk)
        synchronize(device)
        elapsed = time.perf_counter() - t0
        if elapsed >= min_seconds:
            break
    return {"examples_per_s": n_examples / elapsed, "tokens_per_s": n_tokens / elapsed,
            "batch_size": float(batch_size)}


def _cuda_device(predict: Predict) -> torch.device | None:
    """The CUDA device a predictor runs on (NeuralPredictor.device), None for CPU ones
    (ONNX Runtime, classical, or a torch model on the CPU): those need no synchronizing."""
    device = getattr(predict, "device", None)
    return device if isinstance(device, torch.device) and device.type == "cuda" else None


def count_params(model: object) -> int:
    if isinstance(model, torch.nn.Module):
        return sum(p.numel() for p in model.parameters())
    return int(model.num_params())


def file_size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else sum(
        p.stat().st_size for p in path.rglob("*") if p.is_file())


class PeakRss:
    """Samples this process's resident memory in a thread; `.peak_mb` after the block."""

    def __init__(self, interval_s: float = 0.1):
        self.interval_s = interval_s
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._proc = psutil.Process()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, self._proc.memory_info().rss / 2**20)
            self._stop.wait(self.interval_s)

    def __enter__(self) -> PeakRss:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self._proc.memory_info().rss / 2**20)


@dataclass(frozen=True)
class LoadDuringTiming:
    """What else the machine did while a latency was timed: a p90 taken beside other work
    is not comparable with one taken alone (two sweeps side by side gave a float BiLSTM a
    p90 13x and 22x its int8 twin's, against 3.4x alone)."""
    load_1m: float  # the 1-minute load average when timing ended
    others_busy_cores: float  # CPU-seconds other processes used per wall second
    cores: int

    def busy(self, threads: int) -> bool:
        """More cores busy with other work than the timed model's threads leave free."""
        return self.others_busy_cores > max(0, self.cores - threads) + 0.25


class MachineLoadMeter:
    """Measures the CPU time other processes use during a block (system-wide busy time from
    /proc/stat minus this process's own), and the load average at its end."""

    def __enter__(self) -> MachineLoadMeter:
        self._proc = psutil.Process()
        self._t0 = time.perf_counter()
        self._sys0, self._own0 = _busy_seconds(), _own_seconds(self._proc)
        return self

    def __exit__(self, *exc) -> None:
        wall = max(time.perf_counter() - self._t0, 1e-9)
        others = (_busy_seconds() - self._sys0) - (_own_seconds(self._proc) - self._own0)
        self.result = LoadDuringTiming(load_1m=os.getloadavg()[0],
                                       others_busy_cores=max(0.0, others / wall),
                                       cores=os.cpu_count() or 1)


def _busy_seconds() -> float:
    """CPU-seconds all cores spent busy since boot (guest time is inside user already;
    steal counts: the hypervisor gave the cores to someone else)."""
    t = psutil.cpu_times()
    return sum(getattr(t, name, 0.0)
               for name in ("user", "nice", "system", "irq", "softirq", "steal"))


def _own_seconds(proc: psutil.Process) -> float:
    t = proc.cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_sha(repo: Path | None = None) -> str:
    """The checkout's commit (with -dirty when changed), else the package version.

    Read once per process: the code that runs is what was imported at start, so a commit
    made while a sweep runs must not relabel its later cells (or change their cache keys).
    """
    return _git_sha(repo or Path(__file__).resolve().parent.parent)


@functools.lru_cache(maxsize=8)
def _git_sha(repo: Path) -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=repo, text=True,
                             capture_output=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=repo, text=True, capture_output=True, timeout=5).stdout
        return sha + ("-dirty" if dirty.strip() else "")
    except (OSError, subprocess.SubprocessError):
        from importlib.metadata import PackageNotFoundError, version

        try:
            return "v" + version("nlp-model-zoo")
        except PackageNotFoundError:
            return "unknown"


def device_name() -> str:
    """What the neural models run on here: `pick_device()` (ZOO_DEVICE, else CUDA when
    present), with the GPU's name, e.g. "cuda:NVIDIA H100 80GB HBM3"; "cpu" otherwise."""
    device = pick_device()
    if device.type == "cuda":
        return f"cuda:{torch.cuda.get_device_name(device)}"
    return "cpu"


def environment() -> dict[str, str]:
    """Everything a latency figure depends on; recorded as tags on every run."""
    return {
        "cpu": cpu_model(),
        "cores": str(os.cpu_count()),
        "threads": str(torch.get_num_threads()),
        "device": device_name(),
        "torch_version": torch.__version__,
        "python_version": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "git_sha": git_sha(),
    }


def environment_id(env: dict[str, str]) -> str:
    """Runs are only ranked against runs with the same id (same hardware and software)."""
    keys = ("cpu", "cores", "threads", "device", "torch_version")
    return "|".join(env.get(k, "?") for k in keys)

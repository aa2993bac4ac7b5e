"""Which torch device the neural models run on: CUDA when present, else the CPU.

One switch, the environment variable ZOO_DEVICE:

    auto (default)  cuda if torch sees a CUDA device, else cpu
    cpu             always the CPU (e.g. to compare with CPU-only runs on a GPU machine)
    cuda, cuda:N    that GPU; a one-line ConfigError when torch sees none

Only the code that places a model asks `pick_device()` (zoo.cells.train_cell when it builds
one, zoo.predictors.load_predictor when it loads one). Everything downstream follows the
model: the training loop and the predictor move each batch to `module_device(model)`, so a
model and its inputs can never end up on different devices.
"""
from __future__ import annotations

import os

import torch
from torch import nn

from zoo.errors import ConfigError

ENV = "ZOO_DEVICE"


def pick_device() -> torch.device:
    """The device ZOO_DEVICE asks for (see the module docstring); CUDA devices get an index,
    so they compare equal to the device of a tensor placed there."""
    wanted = os.environ.get(ENV, "auto").strip().lower() or "auto"
    if wanted == "auto":
        wanted = "cuda" if torch.cuda.is_available() else "cpu"
    if wanted == "cpu":
        return torch.device("cpu")
    try:
        device = torch.device(wanted)
    except RuntimeError:
        device = None
    if device is None or device.type != "cuda":
        raise ConfigError(f"{ENV}={wanted!r} is not a device the zoo runs on; "
                          f"set {ENV} to auto, cpu, cuda or cuda:N")
    if not torch.cuda.is_available():
        raise ConfigError(f"{ENV}={wanted} but torch sees no CUDA device (CPU-only torch build "
                          f"or no GPU/driver); unset {ENV} or set {ENV}=cpu")
    index = torch.cuda.current_device() if device.index is None else device.index
    if index >= torch.cuda.device_count():
        raise ConfigError(f"{ENV}={wanted} but torch sees only {torch.cuda.device_count()} "
                          f"CUDA device(s); set {ENV}=cuda:0 .. cuda:"
                          f"{torch.cuda.device_count() - 1} or {ENV}=cpu")
    return torch.device("cuda", index)


def module_device(model: nn.Module) -> torch.device:
    """Device of the model's first parameter (or buffer); cpu for a model that has neither."""
    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return torch.device("cpu")


def synchronize(device: torch.device | None) -> None:
    """Wait for queued CUDA work on `device` (kernels run asynchronously); no-op on CPU.

    Timings of CUDA code must call this before reading the clock, or they time the launch.
    """
    if device is not None and device.type == "cuda":
        torch.cuda.synchronize(device)


def bf16_autocast_ok(device: torch.device) -> bool:
    """Whether bfloat16 autocast speeds training up on `device`: any CUDA device, or a CPU
    with native bfloat16 dot products (AVX512-BF16 or AMX), where oneDNN runs the matmuls
    in bfloat16 (minilm_l6's fine-tuning step 1.5x faster on an AMD EPYC with avx512_bf16,
    benchmarks/bf16_step.py). Without them the CPU would emulate bfloat16: slower."""
    if device.type == "cuda":
        return True
    if device.type != "cpu":
        return False
    try:
        flags = open("/proc/cpuinfo", encoding="utf-8").read()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags

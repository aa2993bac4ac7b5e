"""The matrix's axes as typed values: comma lists of names, training sizes and seeds.

Written once for every entry point: the `zoo` command's argparse types call the `parse_*`
functions (text to typed lists), and `zoo.sweep.plan` checks typed values from any caller
(the flow's typed parameters, a deployment's, a test's) with the same `check_*` functions, so
one bad value gets one message wherever it comes from. Stdlib only: `zoo --help` and the
listings build the parser without importing torch.
"""
from __future__ import annotations

from collections.abc import Iterable

from zoo.errors import ConfigError

TrainSize = int | float  # a count of examples (an int) or a fraction in (0, 1] (a float)


def split_list(text: str) -> list[str]:
    """"mr, wnut16," -> ["mr", "wnut16"]: the one comma splitter of the matrix."""
    return [item.strip() for item in text.split(",") if item.strip()]


def parse_names(text: str) -> list[str]:
    names = split_list(text)
    if not names:
        raise ConfigError(f"{text!r} names nothing; give comma-separated names, e.g. mr,wnut16")
    return names


def parse_sizes(text: str) -> list[TrainSize]:
    """"0.25,1.0,500" -> [0.25, 1.0, 500]: a number with a point is a fraction, else a count."""
    sizes: list[TrainSize] = []
    for item in split_list(text):
        try:
            size = float(item) if "." in item else int(item)
        except ValueError:
            raise ConfigError(f"training size {item!r} is neither a fraction like 0.25 nor "
                              "a count like 500") from None
        sizes.append(check_size(size, item))
    return sizes


def check_size(size: TrainSize, shown: str | None = None) -> TrainSize:
    shown = shown if shown is not None else str(size)
    if isinstance(size, bool) or not isinstance(size, (int, float)):
        raise ConfigError(f"training size {shown!r} is neither a fraction like 0.25 nor "
                          "a count like 500")
    if isinstance(size, float) and not 0.0 < size <= 1.0:
        raise ConfigError(f"training size {shown!r}: a fraction must be in (0, 1], like "
                          "0.25; a count is a whole number, like 500")
    if isinstance(size, int) and size < 1:
        raise ConfigError(f"training size {shown!r}: a count must be at least 1 (or give "
                          "a fraction in (0, 1], like 0.25)")
    return size


def parse_seeds(text: str) -> list[int]:
    """"1,2,3" -> [1, 2, 3]; seeds are whole numbers from 0 (NumPy refuses negative ones)."""
    seeds = []
    for item in split_list(text):
        try:
            seed = int(item)
        except ValueError:
            raise ConfigError(f"seed {item!r} is not a whole number; use e.g. --seeds 1,2,3"
                              ) from None
        seeds.append(check_seed(seed, item))
    return seeds


def check_seed(seed: int, shown: str | None = None) -> int:
    shown = shown if shown is not None else str(seed)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"seed {shown!r} is not a whole number; use e.g. --seeds 1,2,3")
    if not 0 <= seed < 2**32:
        raise ConfigError(f"seed {shown!r} must be in [0, 2**32); use e.g. --seeds 1,2,3")
    return seed


def check_sizes(sizes: Iterable[TrainSize] | None) -> list[TrainSize] | None:
    return None if sizes is None else [check_size(s) for s in sizes]


def check_seeds(seeds: Iterable[int] | None) -> list[int] | None:
    return None if seeds is None else [check_seed(s) for s in seeds]

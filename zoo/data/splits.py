"""Seeded, platform-independent splits and training subsets.

Orders come from hashing (seed, key) with BLAKE2b rather than from `random` or numpy
generators, whose streams are not promised to stay the same across library versions: the
same seed gives the same split and the same subsets on any machine, forever.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache

from zoo.data.catalog import SplitSpec
from zoo.data.errors import DatasetError
from zoo.data.types import Example

# At most this share of a grouped dataset's groups goes to each of dev and test, so that
# small user files still leave most data for training.
MAX_GROUPED_HELDOUT_SHARE = 0.1


def seeded_order(keys: Sequence[str], seed: int) -> list[int]:
    """Indices of `keys` in a pseudo-random order that depends only on the seed and the keys."""
    def rank(i: int) -> tuple[bytes, int]:
        digest = hashlib.blake2b(f"{seed}\x1f{keys[i]}".encode(), digest_size=16).digest()
        return digest, i

    return sorted(range(len(keys)), key=rank)


@lru_cache(maxsize=32)
def _index_order(n: int, seed: int) -> tuple[int, ...]:
    return tuple(seeded_order([str(i) for i in range(n)], seed))


def _subset_size(size: float, total: int) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, float)):
        raise DatasetError(f"train subset size must be a count or a fraction, got {size!r}")
    if isinstance(size, int):
        if not 1 <= size <= total:
            raise DatasetError(f"train subset size {size} is out of range: the training split "
                               f"has {total} examples; use 1..{total} or a fraction in (0, 1]")
        return size
    if not 0.0 < size <= 1.0:
        raise DatasetError(f"train subset fraction {size} is out of range; use a fraction in "
                           f"(0, 1] or a count 1..{total}")
    return max(1, round(size * total))


def train_subset(examples: Sequence[Example], size: float, seed: int) -> tuple[Example, ...]:
    """The first `size` examples of a seeded permutation (`size` a count, or a fraction).

    Nested by construction: for one seed, every smaller subset is a prefix of every larger
    one, so learning curves add data rather than swap it.
    """
    if not examples:
        raise DatasetError("cannot take a training subset of an empty split")
    n = _subset_size(size, len(examples))
    order = _index_order(len(examples), seed)
    return tuple(examples[i] for i in order[:n])


def _cut(indices: list[int], fractions: tuple[float, float, float]) -> tuple[list, list, list]:
    """Split an already shuffled index list into train/dev/test by fractions (test first)."""
    n = len(indices)
    n_test, n_dev = round(n * fractions[2]), round(n * fractions[1])
    return indices[n_test + n_dev:], indices[n_test:n_test + n_dev], indices[:n_test]


def split_examples(examples: Sequence[Example], spec: SplitSpec) -> dict[str, tuple[Example, ...]]:
    """Carve train/dev/test out of one list. Each split keeps the original file order."""
    if spec.strategy == "grouped":
        parts = _grouped(examples, spec)
    elif spec.strategy in ("stratified", "random"):
        assert spec.fractions is not None
        strata: dict[str, list[int]] = defaultdict(list)
        for i, ex in enumerate(examples):
            strata[(ex.label or "") if spec.strategy == "stratified" else ""].append(i)
        parts = ([], [], [])
        for label in sorted(strata):
            keys = [f"{label}\x1f{i}" for i in strata[label]]
            shuffled = [strata[label][j] for j in seeded_order(keys, spec.seed)]
            for part, chunk in zip(parts, _cut(shuffled, spec.fractions)):
                part.extend(chunk)
    else:
        raise ValueError(f"unknown split strategy {spec.strategy!r}")
    return {name: tuple(examples[i] for i in sorted(part))
            for name, part in zip(("train", "dev", "test"), parts)}


def _grouped(examples: Sequence[Example], spec: SplitSpec) -> tuple[list, list, list]:
    """Examples with identical source tokens form one group; whole groups go to one split."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        groups["\x1f".join(ex.tokens)].append(i)
    keys = list(groups)
    cap = round(len(keys) * MAX_GROUPED_HELDOUT_SHARE)
    n_test = min(spec.test_groups or 0, cap)
    n_dev = min(spec.dev_groups or 0, cap)
    # Keyed by content, not position: the split does not depend on the file's order.
    ordered = [keys[j] for j in seeded_order(keys, spec.seed)]
    test, dev, train = (ordered[:n_test], ordered[n_test:n_test + n_dev],
                        ordered[n_test + n_dev:])
    return tuple([i for key in part for i in groups[key]] for part in (train, dev, test))

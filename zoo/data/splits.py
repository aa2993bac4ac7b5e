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

from zoo.data.cards import SPLITS, DatasetCard, SplitSpec
from zoo.data.errors import DatasetError
from zoo.data.types import Example

# At most this share of a grouped dataset's groups goes to each of dev and test, so that
# small user files still leave most data for training.
MAX_GROUPED_HELDOUT_SHARE = 0.1


def seeded_order(keys: Sequence[str], seed: int | str) -> list[int]:
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


def card_splits(card: DatasetCard, raw: dict[str, list[Example]]) -> dict[str, tuple[Example, ...]]:
    """Train/dev/test of a dataset as its card says: the files' own splits, or the card's
    split rule over its one file (each split must keep at least one example)."""
    if card.split is None:
        return {split: tuple(raw[split]) for split in SPLITS}
    splits = split_examples(raw["all"], card.split)
    for split, examples in splits.items():
        if not examples:
            raise DatasetError(
                f"{card.name}: the {split} split is empty after splitting {len(raw['all'])} "
                "examples; the data file is too small, supply more examples")
    return splits


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


# NER length buckets (tokens) crossed with entity presence, so the dev subset keeps both the
# share of sentences with entities and the mix of short and long sentences.
NER_LENGTH_BUCKETS = (10, 25)


def _dev_stratum(ex: Example, task: str) -> str:
    if task == "sentiment":
        return ex.label or ""
    if task == "ner":
        has = "ent" if any(t != "O" for t in ex.tags or ()) else "noent"
        bucket = sum(len(ex.tokens) > b for b in NER_LENGTH_BUCKETS)
        return f"{has}/len{bucket}"
    return ""  # translation (and anything else): one stratum, a uniform random sample


def _largest_remainder(sizes: dict[str, int], total: int, limit: int) -> dict[str, int]:
    """Proportional quotas summing to `limit`: floors first, then the largest remainders
    (ties broken by stratum name, so the allocation is deterministic)."""
    exact = {k: n * limit / total for k, n in sizes.items()}
    quota = {k: int(q) for k, q in exact.items()}
    spare = limit - sum(quota.values())
    for k in sorted(exact, key=lambda k: (-(exact[k] - quota[k]), k))[:spare]:
        quota[k] += 1
    return quota


def dev_subset(examples: Sequence[Example], limit: int, task: str,
               seed_text: str) -> tuple[Example, ...]:
    """A seeded, stratified sample of `limit` dev examples, in the original dev order.

    Why not a prefix: dev files are often in source order (mr's dev is all positives
    first), so `dev[:300]` can hold a single label. Strata: the label (sentiment), entity
    presence x length bucket (NER), none (translation: uniform). Allocation is proportional
    per stratum with largest-remainder rounding (not scikit-learn's train_test_split, whose
    rounding and RNG stream may change between versions); within a stratum the examples are
    taken in the BLAKE2b order of `seeded_order`. `seed_text` is the dataset fingerprint,
    so every cell and model of one dataset selects on the same subset.
    `limit` 0 or >= len(examples) gives the whole split.
    """
    if not limit or limit >= len(examples):
        return tuple(examples)
    strata: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        strata[_dev_stratum(ex, task)].append(i)
    quota = _largest_remainder({k: len(v) for k, v in strata.items()}, len(examples), limit)
    chosen: list[int] = []
    for name, members in strata.items():
        keys = [f"dev\x1f{name}\x1f{i}" for i in members]
        chosen.extend(members[j] for j in seeded_order(keys, seed_text)[:quota[name]])
    return tuple(examples[i] for i in sorted(chosen))


def subset_counts(examples: Sequence[Example], task: str) -> dict[str, float]:
    """What the selection subset holds, logged with the cell: label counts / entity share."""
    if task == "sentiment":
        counts: dict[str, int] = defaultdict(int)
        for ex in examples:
            counts[ex.label or ""] += 1
        return {f"dev/label_count/{k}": float(v) for k, v in sorted(counts.items())}
    if task == "ner":
        return {"dev/with_entities": float(sum(any(t != "O" for t in ex.tags or ())
                                               for ex in examples))}
    return {}

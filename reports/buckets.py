"""Where does each model fail? Test scores per bucket of examples: pure functions.

Buckets (fine-grained evaluation in the manner of ExplainaBoard, Liu et al. 2021):
  NER          gold and predicted entities by seen / unseen in the training subset, by length
               (1, 2, 3+ tokens) and by type: span F1 of the spans in the bucket; sentences
               by length (tertiles of the test set's lengths): span F1 of those sentences
  sentiment    examples by gold class (accuracy on the class = its recall) and by text length
  translation  examples by source length (tertiles): corpus BLEU of those segments

Each cell logged its per-example records (zoo.example_log; BLEU segment statistics come from
the example-stats artifact). A bucket turns them into per-example sufficient statistics, so
its score, its 95% CI and the gap between the two best models come from the report's own
engine (reports.significance: seeds averaged within each resample, the same resamples for
both models, paired). Entity buckets resample whole test sentences, as the span F1 does.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from reports import significance
from reports.ranking import Row
from reports.significance import Comparison
from zoo import metrics

Span = tuple[int, int, int, int]  # (type id, start, end, seen), as zoo.example_log writes


@dataclass(frozen=True)
class Score:
    value: float | None  # points, seeds averaged
    ci: tuple[float, float] | None


@dataclass(frozen=True)
class Bucket:
    group: str  # "entity seen in training", "entity length", ...
    label: str  # "unseen", "2 tokens", "PER", "9–15 tokens"
    size: int  # gold entities or test examples in it
    unit: str  # "entities" | "sentences" | "examples"
    scores: tuple[Score, ...]  # one per model of the table
    gap: Comparison | None = None  # the best model minus the second, paired


@dataclass(frozen=True)
class BucketTable:
    metric: str
    models: tuple[str, ...]  # the best usable model, the second, the floor (when measured)
    buckets: tuple[Bucket, ...]
    notes: tuple[str, ...] = ()

    @property
    def widest(self) -> Bucket | None:
        """The bucket that separates the two best models most: the largest significant gap
        (absolute); only when no gap is significant, the largest gap, which the report then
        calls no detectable difference. (A 2-entity bucket's +30 points at p = 0.29 says
        less than a 119-entity bucket's significant +5.)"""
        gapped = [b for b in self.buckets if b.gap is not None and b.gap.diff is not None]
        significant = [b for b in gapped if b.gap.significant]
        return max(significant or gapped, key=lambda b: abs(b.gap.diff), default=None)


# ---- bucket definitions: records of one run -> {(group, label): (stats (N, k), size)} ------

def length_bins(lengths: Sequence[int]) -> list[tuple[int, int]]:
    """Tertiles of the test set's lengths as inclusive (low, high) ranges; fewer bins when
    lengths repeat so much that two tertiles coincide."""
    values = np.asarray(lengths)
    if len(values) == 0:
        return []
    cuts = sorted({int(np.quantile(values, q)) for q in (1 / 3, 2 / 3)})
    edges = [int(values.min()) - 1, *[c for c in cuts if values.min() <= c < values.max()],
             int(values.max())]
    return [(lo + 1, hi) for lo, hi in pairwise(edges)]


def bin_label(low: int, high: int) -> str:
    return f"{low} token{'s' if low != 1 else ''}" if low == high else f"{low}–{high} tokens"


def _length_groups(lengths: Sequence[int], group: str) -> dict[tuple[str, str], np.ndarray]:
    """(group, bin label) -> boolean mask over examples."""
    values = np.asarray(lengths)
    return {(group, bin_label(lo, hi)): (values >= lo) & (values <= hi)
            for lo, hi in length_bins(lengths)}


def _entity_key(group: str, types: Sequence[str]) -> Callable[[Span], str]:
    if group == "entity seen in training":
        return lambda s: "seen" if s[3] else "unseen"
    if group == "entity length":
        return lambda s: {1: "1 token", 2: "2 tokens"}.get(s[2] - s[1], "3+ tokens")
    return lambda s: types[s[0]]


ENTITY_GROUPS = ("entity seen in training", "entity length", "entity type")


def ner_buckets(records: Mapping) -> dict[tuple[str, str], tuple[np.ndarray, int]]:
    """Span-F1 stats (N sentences, 3) [tp, predicted, gold] restricted to each bucket."""
    gold = [[tuple(s) for s in sentence] for sentence in records["gold"]]
    pred = [[tuple(s) for s in sentence] for sentence in records["pred"]]
    out = {}
    for group in ENTITY_GROUPS:
        key = _entity_key(group, records["types"])
        labels = sorted({key(s) for rows in (gold, pred) for sentence in rows for s in sentence})
        for label in labels:
            g = [{s[:3] for s in sentence if key(s) == label} for sentence in gold]
            p = [{s[:3] for s in sentence if key(s) == label} for sentence in pred]
            out[(group, label)] = (metrics.span_stats(g, p), sum(map(len, g)))
    whole = metrics.span_stats([{s[:3] for s in x} for x in gold],
                               [{s[:3] for s in x} for x in pred])  # (N, 3)
    for name, mask in _length_groups(records["length"], "sentence length").items():
        out[name] = (whole[mask], int(mask.sum()))
    return out


def sentiment_buckets(records: Mapping) -> dict[tuple[str, str], tuple[np.ndarray, int]]:
    """Accuracy stats (N, 2) [gold, predicted] (label ids of this run) per bucket."""
    stats = np.stack([records["gold"], records["pred"]], axis=1).reshape(-1, 2)  # (N, 2)
    labels = records["labels"]
    out = {("class", labels[c]): (stats[stats[:, 0] == c], int((stats[:, 0] == c).sum()))
           for c in sorted(set(records["gold"]))}
    for name, mask in _length_groups(records["length"], "text length").items():
        out[name] = (stats[mask], int(mask.sum()))
    return out


def translation_buckets(records: Mapping, bleu: np.ndarray,
                        ) -> dict[tuple[str, str], tuple[np.ndarray, int]]:
    """BLEU segment stats (N, 10) of each source-length bucket."""
    return {name: (bleu[mask], int(mask.sum()))
            for name, mask in _length_groups(records["length"], "source length").items()}


BUCKET_METRIC = {"ner": "f1", "sentiment": "accuracy", "translation": "bleu"}
UNIT = {"ner": "sentences", "sentiment": "examples", "translation": "examples"}


def run_buckets(task: str, records: Mapping, stats: Mapping | None,
                ) -> dict[tuple[str, str], tuple[np.ndarray, int]] | None:
    """One run's buckets; None when what they need was not logged."""
    if task == "ner":
        return ner_buckets(records)
    if task == "sentiment":
        return sentiment_buckets(records)
    bleu = ((stats or {}).get("stats") or {}).get("bleu")
    if task == "translation" and bleu is not None and len(bleu) == records["n"]:
        return translation_buckets(records, np.asarray(bleu))
    return None


# ---- one table per section -----------------------------------------------------------------

def _unit(task: str, group: str) -> str:
    return "entities" if group in ENTITY_GROUPS else UNIT[task]


def _bucket(task: str, name: tuple[str, str], per_model: Sequence[Sequence[dict]],
            metric: str, paired: bool) -> Bucket:
    """Score and CI of each model (its seeds' arrays) on one bucket; with `paired`, the gap
    of the first two models (the two best)."""
    found = [[seed[name][0] for seed in seeds if name in seed] for seeds in per_model]
    size = next((seed[name][1] for seeds in per_model for seed in seeds if name in seed), 0)
    resampled = [significance.resample(arrays, metric) if len(arrays) == len(seeds) else None
                 for arrays, seeds in zip(found, per_model)]
    scores = tuple(Score(r.full, metrics.percentile_ci(r.boot)) if r is not None
                   else Score(None, None) for r in resampled)
    gap = significance.compare_resampled(resampled[0], resampled[1]) if paired else None
    return Bucket(name[0], name[1], size, _unit(task, name[0]), scores, gap)


def bucket_table(task: str, leaders: Sequence[Row], floor: Row | None,
                 records: Mapping[str, Mapping], stats: Mapping[str, Mapping],
                 ) -> BucketTable | None:
    """`leaders`: the best usable model and the second (when there is one); `floor`: the
    task's floor row. Rows whose runs did not log records are left out with a note; None
    when no row has them."""
    metric = BUCKET_METRIC[task]
    kept, per_model, notes = [], [], []
    for row in (*leaders, *([floor] if floor else [])):
        runs = [run_buckets(task, records[r], stats.get(r)) if r in records else None
                for r in row.run_ids]
        if not runs or any(r is None for r in runs):
            notes.append(f"{row.model}: its runs did not log per-example records (logged "
                         "before they existed), so it has no buckets here")
            continue
        kept.append(row.model)
        per_model.append(runs)
    if not kept:
        return None
    paired = len(leaders) > 1 and kept[:2] == [r.model for r in leaders[:2]]
    names = sorted({name for seeds in per_model for seed in seeds for name in seed},
                   key=_order)
    buckets = tuple(b for b in (_bucket(task, n, per_model, metric, paired) for n in names)
                    if b.size)
    return BucketTable(metric, tuple(kept), buckets, tuple(notes))


def _order(name: tuple[str, str]) -> tuple:
    """Groups in a fixed order; lengths ascending, others alphabetical."""
    group, label = name
    groups = (*ENTITY_GROUPS, "sentence length", "class", "text length", "source length")
    first = label.split("–")[0].split()[0].rstrip("+")
    return (groups.index(group) if group in groups else len(groups),
            int(first) if first.isdigit() else 10**6, label)

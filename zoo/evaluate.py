"""Quality metrics with 95% bootstrap confidence intervals over test examples.

The metrics themselves (per-example sufficient statistics, scorers, the bootstrap) live in
zoo/metrics.py, shared with the report's paired test; this module maps task outputs to them
and names the logged values. The 1,000 resamples only re-sum small arrays: exact for
accuracy, macro-F1, micro span-F1 and corpus BLEU/chrF.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2, Entities

from zoo import metrics
from zoo.data.types import Example

BOOTSTRAP_SAMPLES = metrics.SAMPLES
BOOTSTRAP_SEED = metrics.SEED


@dataclass(frozen=True)
class MetricSet:
    values: dict[str, float]  # point estimates (accuracy, f1, ...) plus *_ci_low / *_ci_high
    notes: dict[str, str]  # e.g. the sacreBLEU signature
    # Per-example sufficient statistics ((N, k) arrays in data order) of each metric with a
    # CI: what the report's paired bootstrap needs (tracking.log_example_stats logs them).
    stats: dict[str, np.ndarray] = field(default_factory=dict)


def _with_ci(name: str, stats: np.ndarray, out: dict[str, float], ci: bool) -> None:
    """out[name] and, with `ci`, its percentile 95% interval (zoo.metrics.bootstrap)."""
    if not ci:
        out[name] = metrics.score(name, stats)
        return
    out[name], boot = metrics.bootstrap(name, stats)
    out[f"{name}_ci_low"], out[f"{name}_ci_high"] = metrics.percentile_ci(boot)


def macro_f1(stats: np.ndarray, n_labels: int) -> float:
    """Macro-F1 of (N, 2) [gold, predicted] label ids, as scikit-learn's `f1_score(average=
    "macro", labels=range(n_labels), zero_division=0)` computes it, from counts alone.

    Why not call scikit-learn: the bootstrap scores 1,000 resamples per split, and its input
    validation made that 3 s per evaluation; the counts take milliseconds.
    """
    feats, scorer = metrics.macro_f1_prepare(np.asarray(stats), np.arange(n_labels))
    return float(scorer(feats.sum(axis=0)))


def sentiment_metrics(gold: Sequence[Example], pred: Sequence[str], ci: bool = True,
                      ) -> MetricSet:
    stats, _ = metrics.label_stats([ex.label for ex in gold], list(pred))  # (N, 2)
    out: dict[str, float] = {}
    _with_ci("accuracy", stats, out, ci)
    _with_ci("macro_f1", stats, out, ci)
    return MetricSet(out, {}, {"accuracy": stats, "macro_f1": stats})


def ner_metrics(gold: Sequence[Example], pred: Sequence[Sequence[str]], ci: bool = True,
                ) -> MetricSet:
    """Entity-level strict IOB2 span F1 (seqeval's strict mode) and per-type F1."""
    gold_tags = [list(ex.tags) for ex in gold]
    pred_tags = [list(p) for p in pred]
    gold_ents = Entities(gold_tags, IOB2).entities
    pred_ents = Entities(pred_tags, IOB2).entities
    stats = metrics.span_stats([{e.to_tuple() for e in g} for g in gold_ents],
                               [{e.to_tuple() for e in p} for p in pred_ents])  # (N, 3)
    out: dict[str, float] = {}
    _with_ci("f1", stats, out, ci)
    tp, n_pred, n_gold = stats.sum(axis=0)
    out["precision"] = float(tp / n_pred) if n_pred else 0.0
    out["recall"] = float(tp / n_gold) if n_gold else 0.0
    report = classification_report(gold_tags, pred_tags, mode="strict", scheme=IOB2,
                                   output_dict=True, zero_division=0)
    for entity_type, row in report.items():
        if not entity_type.endswith("avg"):
            out[f"f1_{entity_type}"] = float(row["f1-score"])
    return MetricSet(out, {"ner_scheme": "IOB2 strict (seqeval)"}, {"f1": stats})


def translation_metrics(gold: Sequence[Example], pred: Sequence[Sequence[str]],
                        ci: bool = True) -> MetricSet:
    """Corpus BLEU and chrF (sacreBLEU) on lower-cased, space-joined word tokens."""
    hyps = [" ".join(p) for p in pred]
    refs = [" ".join(ex.target) for ex in gold]
    out: dict[str, float] = {}
    notes: dict[str, str] = {}
    kept: dict[str, np.ndarray] = {}
    for name in ("bleu", "chrf"):
        kept[name], notes[f"{name}_signature"] = metrics.segment_stats(name, hyps, refs)
        _with_ci(name, kept[name], out, ci)  # kept[name]: (N, k)
    return MetricSet(out, notes, kept)


def evaluate(task: str, gold: Sequence[Example], predictions: Sequence,
             ci: bool = True) -> MetricSet:
    """All metrics of `task`; `ci=False` skips the bootstrap (per-epoch dev scoring)."""
    if len(gold) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {len(gold)} examples")
    if task == "sentiment":
        return sentiment_metrics(gold, predictions, ci)
    if task == "ner":
        return ner_metrics(gold, predictions, ci)
    if task == "translation":
        return translation_metrics(gold, predictions, ci)
    raise ValueError(f"unknown task {task!r}")

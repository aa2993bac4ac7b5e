"""Quality metrics with 95% bootstrap confidence intervals over test examples.

Each metric is computed from per-example sufficient statistics, so the 1,000 bootstrap
resamples only re-sum small arrays: exact for accuracy, micro span-F1 and corpus BLEU/chrF.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sacrebleu.metrics import BLEU, CHRF
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2, Entities

from zoo.data.types import Example

PRIMARY_METRIC = {"sentiment": "accuracy", "ner": "f1", "translation": "bleu"}
BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 12345


@dataclass(frozen=True)
class MetricSet:
    values: dict[str, float]  # point estimates (accuracy, f1, ...) plus *_ci_low / *_ci_high
    notes: dict[str, str]  # e.g. the sacreBLEU signature
    # Per-example sufficient statistics ((N, k) arrays in data order) of each metric with a
    # CI: what the report's paired bootstrap needs (tracking.log_example_stats logs them).
    stats: dict[str, np.ndarray] = field(default_factory=dict)


def bootstrap_ci(stats: np.ndarray, score: Callable[[np.ndarray], float],
                 samples: int = BOOTSTRAP_SAMPLES, seed: int = BOOTSTRAP_SEED,
                 ) -> tuple[float, float]:
    """Percentile 95% CI of `score(stats[idx])` over resampled example indices."""
    n = len(stats)
    if n == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    scores = [score(stats[rng.integers(0, n, n)]) for _ in range(samples)]
    low, high = np.percentile(scores, [2.5, 97.5])
    return float(low), float(high)


def _with_ci(name: str, stats: np.ndarray, score: Callable[[np.ndarray], float],
             out: dict[str, float], ci: bool) -> None:
    out[name] = float(score(stats))
    if ci:
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = bootstrap_ci(stats, score)


def macro_f1(stats: np.ndarray, n_labels: int) -> float:
    """Macro-F1 of (N, 2) [gold, predicted] label ids, as scikit-learn's `f1_score(average=
    "macro", labels=range(n_labels), zero_division=0)` computes it, from counts alone.

    Why not call scikit-learn: the bootstrap calls this 1,000 times per split, and its input
    validation made that 3 s per evaluation; the counts take milliseconds.
    """
    gold, pred = stats[:, 0], stats[:, 1]
    tp = np.bincount(gold[gold == pred], minlength=n_labels)  # (L,)
    denominator = np.bincount(gold, minlength=n_labels) + np.bincount(pred, minlength=n_labels)
    f1 = np.divide(2 * tp, denominator, out=np.zeros(n_labels), where=denominator > 0)  # (L,)
    return float(f1.mean()) if n_labels else 0.0


def sentiment_metrics(gold: Sequence[Example], pred: Sequence[str], ci: bool = True,
                      ) -> MetricSet:
    labels = sorted({ex.label for ex in gold} | set(pred))
    y = np.array([labels.index(ex.label) for ex in gold])
    p = np.array([labels.index(x) for x in pred])
    stats = np.stack([y, p], axis=1)  # (N, 2)
    out: dict[str, float] = {}
    _with_ci("accuracy", stats, lambda s: float((s[:, 0] == s[:, 1]).mean()), out, ci)
    _with_ci("macro_f1", stats, lambda s: macro_f1(s, len(labels)), out, ci)
    return MetricSet(out, {}, {"accuracy": stats, "macro_f1": stats})


def _span_f1(s: np.ndarray) -> float:
    tp, n_pred, n_gold = s.sum(axis=0)
    return float(2 * tp / (n_pred + n_gold)) if n_pred + n_gold else 0.0


def ner_metrics(gold: Sequence[Example], pred: Sequence[Sequence[str]], ci: bool = True,
                ) -> MetricSet:
    """Entity-level strict IOB2 span F1 (seqeval's strict mode) and per-type F1."""
    gold_tags = [list(ex.tags) for ex in gold]
    pred_tags = [list(p) for p in pred]
    gold_ents = Entities(gold_tags, IOB2).entities
    pred_ents = Entities(pred_tags, IOB2).entities
    rows = []
    for g, p in zip(gold_ents, pred_ents):
        g_set, p_set = {e.to_tuple() for e in g}, {e.to_tuple() for e in p}
        rows.append((len(g_set & p_set), len(p_set), len(g_set)))
    stats = np.array(rows, dtype=np.int64).reshape(-1, 3)  # (N, 3) tp, predicted, gold
    out: dict[str, float] = {}
    _with_ci("f1", stats, _span_f1, out, ci)
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
    # force=True: the text is tokenized on purpose; without it sacreBLEU warns on every call.
    for name, metric in (("bleu", BLEU(force=True)), ("chrf", CHRF())):
        stats = np.array(metric._extract_corpus_statistics(hyps, [refs]))  # (N, n_stats)
        kept[name] = stats
        _with_ci(name, stats, lambda s, m=metric: float(
            m._compute_score_from_stats(list(s.sum(axis=0))).score), out, ci)
        notes[f"{name}_signature"] = str(metric.get_signature())
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

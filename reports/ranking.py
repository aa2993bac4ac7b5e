"""Pure functions from MLflow run dicts to leaderboard rows. No I/O, no mlflow import."""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

QUALITY = {"sentiment": ("accuracy", "macro_f1"), "ner": ("f1",), "translation": ("bleu", "chrf")}


def _num(value) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def mean_sd(values: Sequence[float]) -> tuple[float | None, float | None]:
    vals = [v for v in values if v is not None]
    if not vals:
        return None, None
    return statistics.fmean(vals), (statistics.stdev(vals) if len(vals) > 1 else None)


def train_size_key(run: dict) -> float:
    """Runs are grouped by the training-set size they actually used (examples)."""
    return _num(run["metrics"].get("train/examples")) or 0.0


@dataclass
class LeaderRow:
    model: str
    family: str
    dataset: str
    train_examples: int
    seeds: int
    quality: dict[str, tuple[float | None, float | None]]  # metric -> (mean, sd) over seeds
    ci: dict[str, tuple[float | None, float | None]]  # metric -> mean bootstrap CI bounds
    latency_p50_ms: float | None
    latency_p90_ms: float | None
    throughput: float | None
    params: float | None
    size_bytes: float | None
    train_seconds: float | None
    run_ids: list[str] = field(default_factory=list)


def finished(runs: Iterable[dict]) -> list[dict]:
    return [r for r in runs if r["status"] == "FINISHED"]


def latest_per_cell(runs: Iterable[dict]) -> list[dict]:
    """One run per cell key (the newest), so re-runs never count twice."""
    best: dict[str, dict] = {}
    for run in runs:
        key = run["tags"].get("zoo.cell_key", run["run_id"])
        if key not in best or run["start_time"] > best[key]["start_time"]:
            best[key] = run
    return list(best.values())


def leaderboard(runs: Iterable[dict], task: str, dataset: str,
                train_examples: int | None = None) -> list[LeaderRow]:
    """One row per model at one training size (default: the largest measured), best first."""
    rows = [r for r in latest_per_cell(finished(runs))
            if r["tags"].get("task") == task and r["tags"].get("dataset") == dataset]
    if not rows:
        return []
    size = train_examples if train_examples is not None else max(map(train_size_key, rows))
    groups: dict[str, list[dict]] = defaultdict(list)
    for run in rows:
        if train_size_key(run) == size:
            groups[run["tags"]["model"]].append(run)
    metrics = QUALITY[task]
    out = []
    for model, group in groups.items():
        def avg(key: str, grp=group) -> float | None:
            return mean_sd([_num(r["metrics"].get(key)) for r in grp])[0]

        out.append(LeaderRow(
            model=model, family=group[0]["tags"].get("family", ""), dataset=dataset,
            train_examples=int(size), seeds=len(group),
            quality={m: mean_sd([_num(r["metrics"].get(f"test/{m}")) for r in group])
                     for m in metrics},
            ci={m: (avg(f"test/{m}_ci_low"), avg(f"test/{m}_ci_high")) for m in metrics},
            latency_p50_ms=avg("latency/p50_ms"), latency_p90_ms=avg("latency/p90_ms"),
            throughput=avg("throughput/examples_per_s"), params=avg("size/params"),
            size_bytes=avg("size/bytes"), train_seconds=avg("train/seconds"),
            run_ids=[r["run_id"] for r in group]))
    primary = metrics[0]
    out.sort(key=lambda row: -(row.quality[primary][0] or -math.inf))
    return out


def datasets_by_task(runs: Iterable[dict]) -> dict[str, list[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for run in runs:
        if run["tags"].get("task") and run["tags"].get("dataset"):
            found[run["tags"]["task"]].add(run["tags"]["dataset"])
    return {task: sorted(names) for task, names in sorted(found.items())}

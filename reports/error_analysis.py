"""Looks inside each section's numbers: the bucket table of its two best usable models and its
floor (reports.buckets), and a few examples where the two best disagree
(reports.disagreements). Attached to a built report once the records of just those runs are
read (reports.render), so the report reads no record it does not show."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reports import buckets, disagreements
from reports.ranking import Row, representative_run
from reports.usable import is_usable

LEADERS = 2


@dataclass
class Analysis:
    leaders: tuple[str, ...]  # the two best usable models (one when only one is usable)
    table: buckets.BucketTable | None
    examples: list[disagreements.Disagreement] = field(default_factory=list)
    note: str = ""  # why something is missing


def leaders(rows: Sequence[Row], metric: str) -> list[Row]:
    """The best usable models by rank (then mean), floors aside."""
    good = [r for r in rows if is_usable(r) and r.q(metric) is not None
            and not (r.usability and r.usability.floor)]
    return sorted(good, key=lambda r: (r.rank or 10**6, -r.q(metric), r.model))[:LEADERS]


def needed_runs(sections) -> list[str]:
    """The run ids whose records the analysis reads: leaders and floor of every section."""
    out = []
    for s in sections:
        rows = [*leaders(s.rows, s.metric), *([s.floor] if s.floor else [])]
        out.extend(run for r in rows for run in r.run_ids)
    return sorted(set(out))


def analyse(section, records: Mapping[str, Mapping], stats: Mapping[str, Mapping]) -> Analysis:
    """`section`: a reports.build.Section."""
    top = leaders(section.rows, section.metric)
    if not top:
        return Analysis((), None, note="No usable model here, so nothing to look inside.")
    table = buckets.bucket_table(section.task, top, section.floor, records, stats)
    picked = [records.get(representative_run(r) or "") for r in top]
    examples = (disagreements.disagreements(section.task, [r.model for r in top], picked)
                if len(top) > 1 and all(picked) else [])
    note = "" if table else ("These runs did not log per-example records (logged before "
                             "they existed): re-run them to get buckets and examples.")
    return Analysis(tuple(r.model for r in top), table, examples, note)


def attach(report, records: Mapping[str, Mapping], stats: Mapping[str, Mapping]) -> None:
    """Set `analysis` on every section of a reports.build.Report."""
    for s in report.sections:
        s.analysis = analyse(s, records, stats)

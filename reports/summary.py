"""The report's key results as plain JSON-able data (summary.json): per-task winners,
regressions, failures, registered models and where the HTML page is."""
from __future__ import annotations

from pathlib import Path

from reports import fmt
from reports.build import Report
from reports.registry import Registration


def summarize(report: Report, registrations: list[Registration], html_path: Path) -> dict:
    winners = []
    for s in report.sections:
        rows = {r.model: r for r in s.rows}
        for rec in s.recs:
            row = rows.get(rec.model or "")
            if rec.n_train:  # a data-size pick: its numbers are those at that size
                row = next((r for r in s.rows_by_size.get(rec.n_train, [])
                            if r.model == rec.model), row)
            winners.append({
                "task": s.task, "dataset": s.dataset, "environment": s.env_label,
                "scenario": rec.scenario, "alias": rec.alias, "model": rec.model or "",
                "metric": s.metric,
                "quality": round(row.q(s.metric), 2) if row and row.q(s.metric) else None,
                "p90_ms": round(row.latency_p90, 3) if row and row.latency_p90 else None,
                "train_examples": rec.n_train, "evidence": rec.evidence})
    regressions = [{
        "task": c.cell.task, "dataset": c.cell.dataset, "model": c.cell.model,
        "train_size": c.cell.train_size, "seed": c.cell.seed, "flags": ", ".join(c.flags),
        "quality": f"{fmt.points(c.quality[0])} → {fmt.points(c.quality[1])}",
        "p50_ms": f"{fmt.ms(c.p50[0])} → {fmt.ms(c.p50[1])}",
        "what_changed": ", ".join(c.context) or "nothing recorded",
        "run_id": c.cell.run_id} for c in report.changes if c.flags]
    return {
        "experiment": report.experiment, "generated": report.generated,
        "smoke": report.smoke, "profiles": report.profiles,
        "report_html": str(html_path), "report_md": str(html_path.with_name("report.md")),
        "report_url": html_path.as_uri(),
        "winners": winners, "regressions": regressions,
        "changes_compared": len(report.changes),
        "failed": len(report.failed), "running": len(report.running),
        "missing": len(report.missing), "warnings": report.warnings,
        "registered": [{"name": r.name, "alias": r.alias, "model": r.model,
                        "version": r.version, "status": r.status, "uri": r.uri,
                        "reason": r.reason} for r in registrations]}

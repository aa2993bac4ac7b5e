"""The report's key results as plain JSON-able data (summary.json): per-task winners,
regressions, failures, registered models and where the HTML page is."""
from __future__ import annotations

from pathlib import Path

from reports import fmt
from reports.build import Report
from reports.registrations import Registration
from reports.usable import run_stop


def summarize(report: Report, registrations: list[Registration], html_path: Path) -> dict:
    winners = []
    for s in report.sections:
        for rec in s.recs:
            row = s.pick(rec)  # a data-size pick: its numbers are those at that size
            winners.append({
                "task": s.task, "dataset": s.dataset, "environment": s.env_label,
                "scenario": rec.scenario, "alias": rec.alias, "model": rec.model or "",
                "metric": s.metric,
                "quality": round(row.q(s.metric), 2) if row and row.q(s.metric) else None,
                "p90_ms": round(row.latency_p90, 3) if row and row.latency_p90 else None,
                "train_examples": rec.n_train, "evidence": rec.evidence,
                "usable": rec.model is not None})
    regressions = [{
        "task": c.cell.task, "dataset": c.cell.dataset, "model": c.cell.model,
        "train_size": c.cell.train_size, "seed": c.cell.seed, "flags": ", ".join(c.flags),
        "quality": f"{fmt.points(c.quality[0])} → {fmt.points(c.quality[1])}",
        "p50_ms": f"{fmt.ms(c.p50[0])} → {fmt.ms(c.p50[1])}",
        "what_changed": ", ".join(c.context) or "nothing recorded",
        "run_id": c.cell.run_id} for c in report.changes if c.flags]
    return {
        "cells": cell_states(report),
        "stop_counts": report.stop_counts,
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


def cell_states(report: Report) -> list[dict]:
    """Every ranked cell run: how it stopped, whether it converged, and whether its row
    (model x size x section) is usable, with the reason when not."""
    out = []
    for s in report.sections:
        for n, rows in sorted(s.rows_by_size.items()):
            for row in rows:
                status = row.usability
                for run, seed in zip(row.run_ids, row.seeds):
                    cell = report.cells.get(run)
                    stop = (run_stop(cell.model, cell.family, cell.tags, cell.metrics)
                            if cell else None)
                    out.append({
                        "task": s.task, "dataset": s.dataset, "environment": s.env_label,
                        "model": row.model, "train_examples": n, "seed": seed, "run_id": run,
                        "stop_reason": stop.stop_reason if stop else "unknown",
                        "converged": bool(stop and stop.converged),
                        "floor": bool(status and status.floor),
                        "usable": bool(status is None or status.usable),
                        "reason": status.reason if status else "",
                        "floor_p": status.floor_p if status else None})
    return out

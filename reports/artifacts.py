"""Publish the report's summary as Prefect artifacts, visible where the flow run is browsed:
a Markdown summary (winners per task, regressions), a table of winners, a table of
regressions (when any) and a link to the HTML page.

Call it inside the benchmark flow after rendering (`publish_prefect_artifacts(html_path)`);
it reads summary.json written beside the HTML by `reports.render.render_report`.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from reports.markdown import code, escape_md


def artifact_key(experiment: str, what: str) -> str:
    """Prefect keys hold lowercase letters, digits and dashes only."""
    return re.sub(r"[^a-z0-9]+", "-", f"zoo-{experiment}-{what}".lower()).strip("-")[:200]


def load_summary(report_path: str | Path) -> dict:
    path = Path(report_path)
    folder = path if path.is_dir() else path.parent
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def summary_markdown(summary: dict) -> str:
    """Markdown for the Prefect UI: escaped like report.md (names are data)."""
    lines = [f"# Decision guide: {escape_md(summary['experiment'])}", ""]
    if summary.get("smoke"):
        lines += ["**Smoke-level numbers** (quick profile: small sizes, one seed): a first "
                  "look; decide on the standard profile.", ""]
    for warning in summary.get("warnings", []):
        lines.append(f"> {escape_md(warning)}")
    lines += ["", "| Task · dataset | Scenario | Model | Quality | p90 ms |", "|---|---|---|---:|---:|"]
    for w in summary["winners"]:
        quality = "–" if w["quality"] is None else f"{w['quality']:.1f}"
        p90 = "–" if w["p90_ms"] is None else f"{w['p90_ms']:.3g}"
        lines.append(f"| {escape_md(w['task'])} · {escape_md(w['dataset'])} | "
                     f"{escape_md(w['scenario'])} | {code(w['model']) if w['model'] else '–'} | "
                     f"{quality} | {p90} |")
    lines += ["", (f"**Regressions:** {len(summary['regressions'])} flagged of "
                  f"{summary['changes_compared']} re-run cells.")]
    for r in summary["regressions"]:
        lines.append(f"- {code(r['model'])} {escape_md(r['dataset'])} size "
                     f"{escape_md(r['train_size'])} seed {escape_md(r['seed'])}: "
                     f"**{escape_md(r['flags'])}** (quality {escape_md(r['quality'])}, p50 "
                     f"{escape_md(r['p50_ms'])} ms; {escape_md(r['what_changed'])})")
    lines += ["", (f"Failed cells: {summary['failed']} · not finished: {summary['running']} · "
                  f"missing: {summary['missing']}"),
              "", f"Full report: {code(summary['report_html'])}"]
    return "\n".join(lines) + "\n"


def publish_prefect_artifacts(report_path: str | Path) -> list[str]:
    """Create the artifacts in the current Prefect flow/task run; returns their ids."""
    from prefect.artifacts import (
        create_link_artifact,
        create_markdown_artifact,
        create_table_artifact,
    )

    summary = load_summary(report_path)
    exp = summary["experiment"]
    ids = [create_markdown_artifact(
        markdown=summary_markdown(summary), key=artifact_key(exp, "summary"),
        description="Decision guide: per-task winners and regressions")]
    winners = [{k: w[k] for k in ("task", "dataset", "scenario", "model", "quality", "p90_ms",
                                  "train_examples")} for w in summary["winners"]]
    if winners:
        ids.append(create_table_artifact(table=winners, key=artifact_key(exp, "winners"),
                                         description="Recommended model per scenario"))
    if summary["regressions"]:
        ids.append(create_table_artifact(table=summary["regressions"],
                                         key=artifact_key(exp, "regressions"),
                                         description="Cells that got worse since their last run"))
    ids.append(create_link_artifact(link=summary["report_url"],
                                    link_text="Decision guide (HTML, one offline file)",
                                    key=artifact_key(exp, "report"),
                                    description=f"Report file: {summary['report_html']}"))
    return [str(i) for i in ids]

"""Render the decision guide (HTML) from MLflow runs alone."""
from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from reports import ranking
from zoo import tracking

TEMPLATES = Path(__file__).parent / "templates"


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _pct(value) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "j2"], default=True))
    env.filters["fmt"] = _fmt
    env.filters["pct"] = _pct
    return env


def write_atomic(path: Path, text: str) -> None:
    """Write then rename, so a reader never sees a half-written report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_context(runs: list[dict], parents: list[dict], experiment: str) -> dict:
    tasks = []
    for task, datasets in ranking.datasets_by_task(runs).items():
        for dataset in datasets:
            rows = ranking.leaderboard(runs, task, dataset)
            tasks.append({"task": task, "dataset": dataset, "metrics": ranking.QUALITY[task],
                          "rows": rows})
    failed = [r for r in runs if r["status"] in ("FAILED", "KILLED")]
    latest = parents[0]["tags"] if parents else {}
    envs = sorted({r["tags"].get("env_id", "?") for r in ranking.finished(runs)})
    return {
        "experiment": experiment,
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "profile": latest.get("profile", "?"),
        "smoke": latest.get("profile", "quick") == "quick",
        "tasks": tasks, "failed": failed, "environments": envs,
        "n_runs": len(runs),
    }


def render_report(experiment: str = tracking.DEFAULT_EXPERIMENT,
                  out_dir: str | Path | None = None) -> Path:
    """Read the experiment's runs from MLflow, write index.html; returns its path."""
    runs = tracking.load_runs(experiment)
    parents = tracking.load_parent_runs(experiment)
    context = build_context(runs, parents, experiment)
    out = Path(out_dir) if out_dir else tracking.state_dir() / "report"
    html = _env().get_template("report.html.j2").render(**context)
    path = out / "index.html"
    write_atomic(path, html)
    return path

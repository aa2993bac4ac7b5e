"""Render the decision guide from MLflow alone: index.html (main), report.md (same content
for terminals and repositories) and summary.json (for Prefect artifacts and scripts).
It only reads MLflow, the registry through `reports.registrations.registry_state`:
registering the recommended models is `zoo register` (publish/register.py, a step above this
package), which the benchmark flow runs after the report.

    render_report("nlp-zoo", ".zoo/report")  # -> Path(".zoo/report/index.html")
"""
from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from reports import charts, error_analysis, fmt
from reports.advice import effect
from reports.build import Report, build_report, needed_stats, safe_uri, when
from reports.curves import curve_at
from reports.markdown import render_markdown
from reports.recommend import BUDGETS_MS, example_input, glance_label
from reports.registrations import Registration, registry_state
from reports.runs import LABEL, TASK_LABEL, UNIT
from reports.significance import TIE_RULES
from reports.summary import summarize
from reports.tuning import load_tuning_rows
from reports.usable import markers
from zoo import home, tracking
from zoo.data.cache import write_bytes_atomic
from zoo.tracking import schema
from zoo.tracking.records import load_example_records

TEMPLATES = Path(__file__).parent / "templates"


def html_environment() -> Environment:
    """Autoescaped (every value is HTML-escaped unless it is Markup), StrictUndefined."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html", "j2"], default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["breakable"] = breakable
    env.globals.update(f=fmt, LABEL=LABEL, UNIT=UNIT, TASK_LABEL=TASK_LABEL, color=charts.color,
                       when_text=when,
                       TIE_RULES=TIE_RULES, curve_at=curve_at, markers=markers, VERDICT_EFFECT=effect,
                       glance_label=glance_label, example_input=example_input)
    return env


def breakable(name: str) -> Markup:
    """A model name that may wrap after each "_" (lexical_<wbr>translation), never inside a
    word: narrow table cells broke long names mid-word."""
    return Markup("_<wbr>").join(escape(part) for part in str(name).split("_"))


def write_atomic(path: Path, text: str) -> None:
    """Write then rename, so a reader never sees a half-written report."""
    write_bytes_atomic(path, text.encode("utf-8"))


def section_charts(report: Report) -> dict[str, dict]:
    out = {}
    for s in report.sections:
        out[s.anchor] = {
            "pareto": charts.pareto_chart(s.rows, s.metric, f"{s.anchor}-pareto"),
            "learning": charts.learning_chart(s.learning, s.metric, f"{s.anchor}-learning")}
    return out


def mix_charts(report: Report) -> dict[str, object]:
    """model -> the chart of its learned layer weights (None: nothing to draw)."""
    return {m.model: charts.mix_chart(m, f"mix-{i}") for i, m in enumerate(report.layer_mixes)}


def render_html(report: Report, registrations: list[Registration], load_uri: str,
                model_urls: dict[str, str] | None = None) -> str:
    """`model_urls`: registry URI (models:/name@alias) -> MLflow UI page of its version."""
    return html_environment().get_template("report.html.j2").render(
        report=report, registrations=registrations, charts=section_charts(report),
        mix_charts=mix_charts(report), load_uri=load_uri, model_urls=model_urls or {})


def dataset_cards(names) -> dict[str, tuple[str, str]]:
    """Licence and citation from the zoo's dataset catalog (static metadata, not results)."""
    from zoo.data import DatasetError, get_card

    out = {}
    for name in names:
        try:
            card = get_card(name)
        except DatasetError:
            continue
        out[name] = (card.licence, card.citation)
    return out


def smoke_profiles() -> frozenset[str]:
    """The smoke profiles by name (zoo.configs.Profile.smoke, the one definition), for runs
    logged before the `zoo.smoke` tag existed (reports.build.is_smoke)."""
    from zoo.configs import PROFILES

    return frozenset(name for name, p in PROFILES.items() if p.smoke)


def load_report(experiment: str = tracking.DEFAULT_EXPERIMENT, *,
                budgets: tuple[float, ...] = BUDGETS_MS,
                analysis: bool = True) -> tuple[Report, str | None]:
    """Everything the report shows, read from MLflow; also the experiment id. `budgets`:
    the p90 budgets (ms) of the cards and the tree; `analysis`: read the per-example records
    of each section's leaders for its buckets and disagreement examples."""
    runs = tracking.load_runs(experiment)
    parents = tracking.load_parent_runs(experiment)
    stats = (tracking.load_example_stats(needed_stats(runs), experiment=experiment)
             if runs else {})
    exp_id = tracking.find_experiment_id(experiment)
    base = tracking.ui_base_url()
    base = safe_uri(base) if base else None  # links never carry a server's credentials

    def run_url(run_id: str) -> str | None:
        return tracking.run_url(run_id, exp_id, base) if exp_id and base else None

    report = build_report(
        runs, parents, experiment, stats=stats,
        cards=dataset_cards({r["tags"].get(schema.DATASET, "") for r in runs}),
        smoke_profiles=smoke_profiles(), run_url=run_url, tracking_uri=tracking.tracking_uri(),
        mlflow_ui=base or "", budgets=budgets, tuning=load_tuning_rows())
    if analysis:
        records = load_example_records(error_analysis.needed_runs(report.sections),
                                       experiment=experiment)
        error_analysis.attach(report, records, stats)
    return report, exp_id


def render_report(experiment: str = tracking.DEFAULT_EXPERIMENT,
                  out_dir: str | Path | None = None,
                  budgets: tuple[float, ...] | None = None) -> Path:
    """Read the experiment and what the registry holds for its picks from MLflow, write the
    report; returns index.html's path. Writes nothing to MLflow. `budgets`: the p90 budgets
    (ms) of the cards and the tree (default reports.recommend.BUDGETS_MS)."""
    report, _exp_id = load_report(experiment, budgets=budgets or BUDGETS_MS)
    registrations = registry_state(report)
    out = Path(out_dir) if out_dir else home.report_dir()
    html_path = out / "index.html"
    load_uri = report.tracking_uri
    model_urls = {r.uri: u for r in registrations
                  if r.version and (u := tracking.model_version_url(r.name, r.version))}
    write_atomic(html_path, render_html(report, registrations, load_uri, model_urls))
    write_atomic(out / "report.md", render_markdown(report, registrations, load_uri))
    summary = summarize(report, registrations, html_path.resolve())
    write_atomic(out / "summary.json", json.dumps(summary, indent=1, ensure_ascii=False))
    return html_path

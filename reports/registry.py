"""From decision to artifact: log each recommended model as an MLflow pyfunc model and
register it with a self-explaining alias (`models:/nlp-zoo-sentiment-mr@best-under-5ms`).

Only the dataset's newest environment is registered (its latency budgets are current). A
model whose folder is not on this machine is listed as skipped, never silently dropped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from reports.build import Report

LOADER_MODULE = "reports.pyfunc_loader"
# What `zoo.predictors.load_predictor` imports, pinned to the versions installed here.
BASE_REQUIREMENTS = ("torch", "numpy", "pandas", "scikit-learn", "skops")
ONNX_REQUIREMENTS = ("onnx", "onnxruntime")
MANAGED_PREFIXES = ("best-", "smallest-")


@dataclass(frozen=True)
class Registration:
    task: str
    dataset: str
    alias: str
    scenario: str
    model: str
    run_id: str
    name: str  # registered model name
    status: str  # registered | reused | skipped | failed
    version: str | None = None
    reason: str = ""

    @property
    def uri(self) -> str:
        return f"models:/{self.name}@{self.alias}"


def registered_name(experiment: str, task: str, dataset: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{experiment}-{task}-{dataset}").strip("-")


def pip_requirements(runtime: str) -> list[str]:
    out = []
    for dist in BASE_REQUIREMENTS + (ONNX_REQUIREMENTS if runtime != "torch" else ()):
        try:
            out.append(f"{dist}=={version(dist).split('+')[0]}")
        except PackageNotFoundError:
            out.append(dist)
    return out


def code_paths() -> list[str]:
    """The zoo package (architectures, predictors) and this package (the loader)."""
    import zoo

    return [str(Path(zoo.__file__).parent), str(Path(__file__).parent)]


def planned(report: Report) -> list[Registration]:
    """One entry per (section of the newest environment, scenario with a pick)."""
    out = []
    for section in report.sections:
        if not section.primary_env:
            continue
        name = registered_name(report.experiment, section.task, section.dataset)
        for rec in section.recs:
            if rec.model and rec.run_id:
                out.append(Registration(section.task, section.dataset, rec.alias, rec.scenario,
                                        rec.model, rec.run_id, name, "planned"))
    return out


def register_recommended_models(report: Report, experiment_id: str | None) -> list[Registration]:
    """Log + register each recommended run once, then point the aliases at the versions."""
    from zoo import tracking

    plans = planned(report)
    if not plans or experiment_id is None:
        return plans
    done: dict[tuple[str, str], Registration] = {}
    out = []
    for plan in plans:
        key = (plan.name, plan.run_id)
        if key not in done:
            done[key] = _register_one(plan, report, experiment_id, tracking)
        first = done[key]
        out.append(Registration(plan.task, plan.dataset, plan.alias, plan.scenario, plan.model,
                                plan.run_id, plan.name, first.status, first.version,
                                first.reason))
    for name in sorted({r.name for r in out}):
        aliases = {r.alias: r.version for r in out if r.name == name and r.version}
        if aliases:
            try:
                tracking.set_model_aliases(name, aliases, MANAGED_PREFIXES)
            except Exception as exc:  # noqa: BLE001  registry errors must not cost the report
                out = [_failed(r, f"setting aliases failed: {exc}") if r.name == name else r
                       for r in out]
    return out


def _failed(reg: Registration, reason: str) -> Registration:
    return Registration(reg.task, reg.dataset, reg.alias, reg.scenario, reg.model, reg.run_id,
                        reg.name, "failed", None, reason[:300])


def _register_one(plan: Registration, report: Report, experiment_id: str,
                  tracking) -> Registration:
    cell = report.cells.get(plan.run_id)
    folder = cell.tags.get("zoo.model_dir", "") if cell else ""
    if not folder or not (Path(folder) / "meta.json").is_file():
        return Registration(plan.task, plan.dataset, plan.alias, plan.scenario, plan.model,
                            plan.run_id, plan.name, "skipped", None,
                            "the trained model folder is not on this machine")
    tags = {"zoo.model": plan.model, "zoo.task": plan.task, "zoo.dataset": plan.dataset,
            "zoo.train_examples": cell.n_train, "zoo.seed": cell.seed,
            "zoo.env_id": cell.env_id, "zoo.git_sha": cell.tags.get("git_sha", "?"),
            "zoo.profile": cell.profile, "zoo.smoke_level": str(report.smoke).lower()}
    description = (f"Models recommended by the NLP model zoo decision guide for {plan.task} "
                   f"on {plan.dataset}; aliases name the scenario (best-quality, "
                   "best-under-<N>ms, best-small-data, smallest-within-1pt).")
    try:
        ver, reused = tracking.register_model_version(
            folder, plan.name, source_run_id=plan.run_id, experiment_id=experiment_id,
            loader_module=LOADER_MODULE, code_paths=code_paths(),
            pip_requirements=pip_requirements(cell.runtime), tags=tags,
            description=description)
    except Exception as exc:  # noqa: BLE001  one failure must not cost the report
        return _failed(plan, f"{type(exc).__name__}: {exc}")
    return Registration(plan.task, plan.dataset, plan.alias, plan.scenario, plan.model,
                        plan.run_id, plan.name, "reused" if reused else "registered", ver)

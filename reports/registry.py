"""From decision to artifact: log each recommended model as an MLflow pyfunc model and
register it with a self-explaining alias (`models:/nlp-zoo-sentiment-mr@best-under-5ms`).

Only the dataset's newest environment is registered (its latency budgets are current). A
model whose folder is not on this machine is listed as skipped, never silently dropped.
Recommendations come from usable rows only (converged, above the floor); a scenario with no
usable pick registers nothing, and an alias of that name left from an earlier report is
deleted (status "removed"), never left pointing at a stale pick.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
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
            out.append(f"{dist}=={dist_version(dist).split('+')[0]}")
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
    names = managed_names(report)
    if experiment_id is None or not (plans or names):
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
    for name in sorted({r.name for r in out} | set(names)):
        aliases = {r.alias: r.version for r in out if r.name == name and r.version}
        try:
            removed = sync_aliases(_registry_client(tracking), name, aliases)
        except Exception as exc:  # noqa: BLE001  registry errors must not cost the report
            out = [_failed(r, f"setting aliases failed: {exc}") if r.name == name else r
                   for r in out]
            continue
        out.extend(_removed(report, name, alias, version) for alias, version in removed)
    return out


def _registry_client(tracking):
    """A client whose registry is this store (not mlflow's process-wide registry URI)."""
    from mlflow import MlflowClient

    uri = tracking.tracking_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def managed_names(report: Report) -> dict[str, tuple[str, str]]:
    """Registered model name -> (task, dataset) for every section whose aliases this report
    owns (the dataset's newest environment), with or without a usable pick."""
    return {registered_name(report.experiment, s.task, s.dataset): (s.task, s.dataset)
            for s in report.sections if s.primary_env}


def sync_aliases(client, name: str, aliases: dict[str, str]) -> list[tuple[str, str]]:
    """Point each alias at its version and delete the managed aliases (best-*, smallest-*)
    that have no usable pick now; returns the deleted (alias, version) pairs. A registered
    model that does not exist yet has nothing to delete."""
    from mlflow.exceptions import MlflowException

    try:
        current = dict(client.get_registered_model(name).aliases or {})
    except MlflowException as exc:
        if getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST" and not aliases:
            return []
        raise
    removed = []
    for alias, version in sorted(current.items()):
        if alias.startswith(MANAGED_PREFIXES) and alias not in aliases:
            client.delete_registered_model_alias(name, alias)
            removed.append((alias, str(version)))
    for alias, version in aliases.items():
        if current.get(alias) != str(version):
            client.set_registered_model_alias(name, alias, str(version))
    return removed


def _removed(report: Report, name: str, alias: str, version: str) -> Registration:
    task, dataset = managed_names(report).get(name, ("?", "?"))
    section = next((s for s in report.sections if s.primary_env and s.task == task
                    and s.dataset == dataset), None)
    rec = next((r for r in (section.recs if section else []) if r.alias == alias), None)
    why = rec.evidence if rec and not rec.model else "no longer recommended"
    return Registration(task, dataset, alias, rec.scenario if rec else alias, "", "", name,
                        "removed", None, f"alias removed (was version {version}): {why}"[:300])


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

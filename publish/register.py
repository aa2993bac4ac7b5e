"""Publish the decision guide's picks to the MLflow Model Registry: log each recommended model
as an MLflow pyfunc model and register it with a self-explaining alias
(`models:/nlp-zoo-sentiment-mr@best-under-5ms`).

`register_experiment` is what `zoo register` and the benchmark flow's `register-models` task
(run after the report) call; it is the only writer of the registry. The report only reads
what is registered (`reports.registrations.registry_state`), so rendering it never changes
the registry.

A model whose folder is not on this machine is listed as skipped, never silently dropped.
A scenario with no usable pick registers nothing, and an alias of that name left from an
earlier pick is deleted (status "removed"), never left pointing at a stale pick.
"""
from __future__ import annotations

from dataclasses import replace
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path

import reports
import zoo
from reports.build import Report
from reports.registrations import (
    MANAGED_PREFIXES,
    NO_FOLDER,
    Registration,
    managed_names,
    model_folder,
    planned,
    registry_client,
    unpicked,
)
from reports.render import load_report
from zoo import tracking
from zoo.errors import ZooError

# The pyfunc loader stays in reports/ (models logged before this package existed name it).
LOADER_MODULE = "reports.pyfunc_loader"
# What `zoo.predictors.load_predictor` imports, pinned to the versions installed here.
BASE_REQUIREMENTS = ("torch", "numpy", "pandas", "scikit-learn", "skops")
ONNX_REQUIREMENTS = ("onnx", "onnxruntime")


def pip_requirements(runtime: str) -> list[str]:
    out = []
    for dist in BASE_REQUIREMENTS + (ONNX_REQUIREMENTS if runtime != "torch" else ()):
        try:
            out.append(f"{dist}=={dist_version(dist).split('+')[0]}")
        except PackageNotFoundError:
            out.append(dist)
    return out


def code_paths() -> list[str]:
    """The zoo package (architectures, predictors) and the reports package (the loader)."""
    return [str(Path(zoo.__file__).parent), str(Path(reports.__file__).parent)]


def register_experiment(experiment: str) -> list[Registration]:
    """Build the report's recommendations from MLflow (read-only) and register them; one-line
    errors when the experiment does not exist or has no cell runs."""
    tracking.check_existing_experiment(experiment)
    report, exp_id = load_report(experiment)
    if not report.n_runs:
        raise ZooError(f"experiment {experiment!r} in {tracking.tracking_uri()} has no cell "
                       "runs yet: run `zoo bench` first")
    return register_recommended(report, exp_id)


def register_recommended(report: Report, experiment_id: str | None) -> list[Registration]:
    """Log + register each recommended run once, then point the aliases at the versions."""
    plans = planned(report)
    names = managed_names(report)
    if experiment_id is None or not (plans or names):
        return plans
    done: dict[tuple[str, str], Registration] = {}
    out = []
    for plan in plans:
        key = (plan.name, plan.run_id)
        if key not in done:
            done[key] = _register_one(plan, report, experiment_id)
        first = done[key]
        out.append(replace(plan, status=first.status, version=first.version,
                           reason=first.reason))
    for name in sorted({r.name for r in out} | set(names)):
        aliases = {r.alias: r.version for r in out if r.name == name and r.version}
        try:
            removed = sync_aliases(registry_client(), name, aliases)
        except Exception as exc:  # noqa: BLE001  one model's failure must not cost the rest
            out = [_failed(r, f"setting aliases failed: {exc}") if r.name == name else r
                   for r in out]
            continue
        out.extend(unpicked(report, name, alias, "removed",
                            f"alias removed (was version {version})")
                   for alias, version in removed)
    return out


def sync_aliases(client, name: str, aliases: dict[str, str]) -> list[tuple[str, str]]:
    """Point each alias at its version and delete the managed aliases (best-*, smallest-*)
    that have no usable pick now; returns the deleted (alias, version) pairs. A registered
    model that does not exist yet has nothing to delete."""
    from mlflow.exceptions import MlflowException  # heavy: only when registering

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


def _failed(reg: Registration, reason: str) -> Registration:
    return replace(reg, status="failed", version=None, reason=reason[:300])


def _register_one(plan: Registration, report: Report, experiment_id: str) -> Registration:
    folder = model_folder(report, plan.run_id)
    if not folder:
        return replace(plan, status="skipped", reason=NO_FOLDER)
    cell = report.cells[plan.run_id]
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
    except Exception as exc:  # noqa: BLE001  one failure must not cost the other picks
        return _failed(plan, f"{type(exc).__name__}: {exc}")
    return replace(plan, status="reused" if reused else "registered", version=ver)

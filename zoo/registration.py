"""Publish the decision guide's picks to the MLflow Model Registry: log each recommended model
as an MLflow pyfunc model and register it with a self-explaining alias
(`models:/nlp-zoo-sentiment-mr@best-under-5ms`).

`register_experiment` is what `zoo register` and the benchmark flow's `register-models` task
(run after the report) call; it is the only writer here. The report only reads what is
registered (`registry_state`), so rendering it never changes the registry.

Named "registration" rather than "model_registry": zoo/model_catalog.py is the zoo's own
catalog of model constructors, and this module is the step that writes to MLflow's registry.

Only the dataset's newest environment is registered (its latency budgets are current). A
model whose folder is not on this machine is listed as skipped, never silently dropped.
Recommendations come from usable rows only (converged, above the floor); a scenario with no
usable pick registers nothing, and an alias of that name left from an earlier pick is
deleted (status "removed"), never left pointing at a stale pick.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import TYPE_CHECKING

from zoo.errors import ZooError

if TYPE_CHECKING:
    from reports.build import Report

# The pyfunc loader stays in reports/ (models logged before this module existed name it).
LOADER_MODULE = "reports.pyfunc_loader"
# What `zoo.predictors.load_predictor` imports, pinned to the versions installed here.
BASE_REQUIREMENTS = ("torch", "numpy", "pandas", "scikit-learn", "skops")
ONNX_REQUIREMENTS = ("onnx", "onnxruntime")
MANAGED_PREFIXES = ("best-", "smallest-")
NO_FOLDER = "the trained model folder is not on this machine"
NOT_YET = "not registered yet: run `zoo register` (the benchmark flow runs it after the report)"


@dataclass(frozen=True)
class Registration:
    task: str
    dataset: str
    alias: str
    scenario: str
    model: str
    run_id: str
    name: str  # registered model name
    # planned | registered | reused | skipped | failed | removed (by `zoo register`);
    # the report shows planned | registered | stale (an alias `zoo register` would remove)
    status: str
    version: str | None = None
    reason: str = ""

    @property
    def uri(self) -> str:
        return f"models:/{self.name}@{self.alias}"

    @property
    def line(self) -> str:
        """One line: `zoo register`'s output and the register-models task's log."""
        where = f"{self.uri} -> version {self.version}" if self.version else self.uri
        return (f"{self.status:<10} {where} ({self.model or 'no pick'})"
                + (f": {self.reason}" if self.reason else ""))


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
    """The zoo package (architectures, predictors) and the reports package (the loader)."""
    import reports
    import zoo

    return [str(Path(zoo.__file__).parent), str(Path(reports.__file__).parent)]


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


def managed_names(report: Report) -> dict[str, tuple[str, str]]:
    """Registered model name -> (task, dataset) for every section whose aliases this report
    owns (the dataset's newest environment), with or without a usable pick."""
    return {registered_name(report.experiment, s.task, s.dataset): (s.task, s.dataset)
            for s in report.sections if s.primary_env}


def registry_client():
    """A client whose registry is this store (not mlflow's process-wide registry URI)."""
    from mlflow import MlflowClient

    from zoo import tracking

    uri = tracking.tracking_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def current_aliases(client, name: str) -> dict[str, tuple[str, str]]:
    """Read-only: alias -> (version, run that trained it) of one registered model; empty
    when the model is not registered."""
    from mlflow.exceptions import MlflowException

    try:
        aliases = dict(client.get_registered_model(name).aliases or {})
    except MlflowException as exc:
        if getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST":
            return {}
        raise
    out = {}
    for alias, version in aliases.items():
        mv = client.get_model_version(name, str(version))
        out[alias] = (str(version), mv.tags.get("zoo.source_run_id") or mv.run_id or "")
    return out


def registry_state(report: Report) -> list[Registration]:
    """Read-only, for the report: each pick with the version its alias points at when that
    version was trained by the pick's run ("registered"), else "planned" with why; and each
    managed alias with no pick now ("stale": `zoo register` removes it)."""
    plans, names = planned(report), managed_names(report)
    if not (plans or names):
        return plans
    try:
        client = registry_client()
        state = {name: current_aliases(client, name)
                 for name in sorted(set(names) | {p.name for p in plans})}
    except Exception as exc:  # noqa: BLE001  an unreadable registry must not cost the report
        why = f"the registry could not be read ({type(exc).__name__}: {exc})"[:300]
        return [replace(p, reason=why) for p in plans]
    out = []
    for p in plans:
        version, run_id = state[p.name].get(p.alias, (None, None))
        if version and run_id == p.run_id:
            out.append(replace(p, status="registered", version=version))
        elif not _model_folder(report, p.run_id):
            out.append(replace(p, reason=f"{NO_FOLDER}, so `zoo register` skips it"))
        elif version:
            out.append(replace(p, reason=f"the alias points at version {version}, trained by "
                                         f"another run; {NOT_YET}"))
        else:
            out.append(replace(p, reason=NOT_YET))
    picked = {(p.name, p.alias) for p in plans}
    for name in names:
        for alias, (version, _) in sorted(state[name].items()):
            if alias.startswith(MANAGED_PREFIXES) and (name, alias) not in picked:
                out.append(_unpicked(report, name, alias, "stale",
                                     f"alias still at version {version}, `zoo register` "
                                     "removes it"))
    return out


def register_experiment(experiment: str) -> list[Registration]:
    """Build the report's recommendations from MLflow (read-only) and register them; one-line
    errors when the experiment does not exist or has no cell runs."""
    from reports.render import load_report
    from zoo import tracking

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
        out.extend(_unpicked(report, name, alias, "removed",
                             f"alias removed (was version {version})")
                   for alias, version in removed)
    return out


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


def _unpicked(report: Report, name: str, alias: str, status: str, what: str) -> Registration:
    """A managed alias whose scenario has no usable pick now, with the report's reason."""
    task, dataset = managed_names(report).get(name, ("?", "?"))
    section = next((s for s in report.sections if s.primary_env and s.task == task
                    and s.dataset == dataset), None)
    rec = next((r for r in (section.recs if section else []) if r.alias == alias), None)
    why = rec.evidence if rec and not rec.model else "no longer recommended"
    return Registration(task, dataset, alias, rec.scenario if rec else alias, "", "", name,
                        status, None, f"{what}: {why}"[:300])


def _model_folder(report: Report, run_id: str) -> str | None:
    """The run's trained model folder when it is on this machine (what registering logs)."""
    cell = report.cells.get(run_id)
    folder = cell.tags.get("zoo.model_dir", "") if cell else ""
    return folder if folder and (Path(folder) / "meta.json").is_file() else None


def _failed(reg: Registration, reason: str) -> Registration:
    return replace(reg, status="failed", version=None, reason=reason[:300])


def _register_one(plan: Registration, report: Report, experiment_id: str) -> Registration:
    from zoo import tracking

    folder = _model_folder(report, plan.run_id)
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

"""What the report shows about registered versions: `registry_state(report)` reads the MLflow
Model Registry (never writes it) and says, for each of the report's picks, whether its
scenario alias points at a version trained by the pick's run.

Registering is its own step above this package (publish/register.py, run by `zoo register`
and by the benchmark flow after the report); it builds on the plan defined here (`planned`,
`managed_names`, `Registration`), and nothing in reports/ imports it.

Only the dataset's newest environment has picks to register (its latency budgets are
current). Recommendations come from usable rows only (converged, above the floor); a managed
alias (best-*, smallest-*) with no usable pick now shows as "stale".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from reports.build import Report
from zoo import tracking
from zoo.tracking import schema

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
    from mlflow import MlflowClient  # heavy: only when the registry is read

    uri = tracking.tracking_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def current_aliases(client, name: str) -> dict[str, tuple[str, str]]:
    """Read-only: alias -> (version, run that trained it) of one registered model; empty
    when the model is not registered."""
    from mlflow.exceptions import MlflowException  # heavy: only when the registry is read

    try:
        aliases = dict(client.get_registered_model(name).aliases or {})
    except MlflowException as exc:
        if getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST":
            return {}
        raise
    out = {}
    for alias, version in aliases.items():
        mv = client.get_model_version(name, str(version))
        out[alias] = (str(version), mv.tags.get(schema.SOURCE_RUN_ID) or mv.run_id or "")
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
        elif not model_folder(report, p.run_id):
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
                out.append(unpicked(report, name, alias, "stale",
                                    f"alias still at version {version}, `zoo register` "
                                    "removes it"))
    return out


def unpicked(report: Report, name: str, alias: str, status: str, what: str) -> Registration:
    """A managed alias whose scenario has no usable pick now, with the report's reason."""
    task, dataset = managed_names(report).get(name, ("?", "?"))
    section = next((s for s in report.sections if s.primary_env and s.task == task
                    and s.dataset == dataset), None)
    rec = next((r for r in (section.recs if section else []) if r.alias == alias), None)
    why = rec.evidence if rec and not rec.model else "no longer recommended"
    return Registration(task, dataset, alias, rec.scenario if rec else alias, "", "", name,
                        status, None, f"{what}: {why}"[:300])


def model_folder(report: Report, run_id: str) -> str | None:
    """The run's trained model folder when it is on this machine (what registering logs)."""
    cell = report.cells.get(run_id)
    folder = cell.tags.get(schema.MODEL_DIR, "") if cell else ""
    return folder if folder and (Path(folder) / "meta.json").is_file() else None

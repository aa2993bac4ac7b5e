"""The tuning check as a Prefect flow: every study of a `zoo tune` plan (zoo.tune), run one
after another and resumable, so it can be scheduled on its own (infra/prefect.yaml:
weekly-tuning), never beside the nightly `standard` sweep whose figures it checks."""
from __future__ import annotations

from prefect import flow, get_run_logger

from reports.tuning import load_tuning_rows, render_text
from zoo.tune import plan_requests, run_plan


@flow(name="tuning")
def tuning(plan: str = "tuning", trials: int | None = None,
           data_mirror: str | None = None, parallel: int | None = None) -> dict:
    """Run the plan's studies (search on dev, then recipe vs tuned on test); return the
    studies that stopped and the recipe-vs-tuned table as text. `parallel`: studies at once
    (default: as `zoo bench`'s cells, one per core up to 4 cores)."""
    requests = plan_requests(plan, trials=trials)  # every input checked before any work
    logger = get_run_logger()
    failed = run_plan(requests, data_mirror, echo=logger.info, parallel=parallel)
    table = render_text(load_tuning_rows(studies=[r.study_name for r in requests]))
    logger.info("%s", table)
    return {"studies": len(requests), "failed": failed, "table": table}

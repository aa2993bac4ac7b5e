"""Per-example records of a cell's test predictions (zoo.example_log builds them), as one
JSON artifact per run beside the example stats: what the report's buckets and disagreement
examples read back."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from zoo.tracking.schema import EXAMPLE_RECORDS_ARTIFACT
from zoo.tracking.stats import load_example_stats
from zoo.tracking.store import client


def log_example_records(run_id: str, records: Mapping[str, object]) -> None:
    """`records`: zoo.example_log.example_records' payload (ints and short strings)."""
    client().log_text(run_id, json.dumps(records, separators=(",", ":")),
                      EXAMPLE_RECORDS_ARTIFACT)


def load_example_records(run_ids: Iterable[str], *, experiment: str | None = None,
                         ) -> dict[str, dict]:
    """run id -> its records; runs without them (logged before they existed) are left out."""
    return load_example_stats(run_ids, experiment=experiment,
                              artifact_file=EXAMPLE_RECORDS_ARTIFACT)

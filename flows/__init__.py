"""Prefect wiring only: flows map, retry and order plain functions from `zoo` and `reports`."""
import os

# Nothing leaves loopback: Prefect's analytics off before prefect is imported anywhere.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

"""Whether the servers a run talks to answer, checked in seconds before any work starts:
MLflow's client retries an unreachable server for minutes (about 6.5 with its default
retries), and Prefect's ends in chained tracebacks. Loopback probes of a few seconds."""
from __future__ import annotations

import urllib.error
import urllib.request

from zoo.errors import ZooError

PROBE_SECONDS = 3.0


def http_problem(url: str, timeout: float = PROBE_SECONDS) -> str | None:
    """None when an HTTP server answers at `url` (any status); else why not, in a few words."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return None
    except urllib.error.HTTPError:
        return None  # it answered with an error status: the server is there
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return str(reason) or type(exc).__name__


def check_mlflow_server(uri: str) -> None:
    """For an http(s) tracking URI: one line within seconds when nothing answers there."""
    if not uri.startswith(("http://", "https://")):
        return
    if problem := http_problem(uri.rstrip("/") + "/health"):
        raise ZooError(f"MLflow tracking server {uri} is unreachable ({problem}); start it, "
                       "or fix or unset MLFLOW_TRACKING_URI (unset: the local SQLite store)")


def check_prefect_server(api_url: str | None) -> None:
    """A configured Prefect API (PREFECT_API_URL) must answer; None means an ephemeral one."""
    if not api_url:
        return
    if problem := http_problem(api_url.rstrip("/") + "/health"):
        raise ZooError(f"Prefect server {api_url} is unreachable ({problem}); start it "
                       "(`prefect server start --host 127.0.0.1`), or fix or unset "
                       "PREFECT_API_URL (unset: a temporary local server)")

"""Static checks of infra/: the compose file against the Compose Specification schema (and
`docker compose config` where the plugin exists), the Prefect deployments file, the Kubernetes
base job templates, and the security rules (loopback by default, no secrets in files).

Fast and offline: these run in the default test suite, not only with `-m integration`.
"""
from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
# The Compose Specification schema (Apache-2.0, LICENSE.compose-spec beside it), as vendored by
# check-jsonschema 0.39.0.
SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
SECRET_KEY = re.compile(r"PASSWORD|SECRET|TOKEN|ACCESS_KEY", re.IGNORECASE)
LOOPBACK_PORT = re.compile(r"^\$\{BIND_ADDRESS:-127\.0\.0\.1\}:")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((INFRA / "compose.yaml").read_text())


def _validator():
    return jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))


def test_compose_matches_the_compose_specification(compose):
    errors = [f"{e.json_path}: {e.message}" for e in _validator().iter_errors(compose)]
    assert not errors, "\n".join(errors)
    assert list(_validator().iter_errors({"services": {"x": {"imagee": "y"}}})), \
        "the schema check must reject an unknown key"


def test_docker_compose_config_where_available():
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "compose", "version"], capture_output=True,
                                    check=False).returncode:
        pytest.skip("no docker compose plugin here; the schema check above stands in")
    out = subprocess.run([docker, "compose", "-f", str(INFRA / "compose.yaml"), "--env-file",
                          str(INFRA / ".env.example"), "--profile", "dask", "config", "-q"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr


def test_every_service_is_supervised(compose):
    services = compose["services"]
    assert {"postgres", "prefect-server", "mlflow", "worker", "dask-scheduler",
            "dask-worker"} <= set(services)
    for name, svc in services.items():
        assert "healthcheck" in svc, f"{name} has no health check"
        assert svc.get("restart") in ("unless-stopped", "always", "on-failure"), name
        assert "mem_limit" in svc, f"{name} has no memory limit"


def test_volumes_are_named_and_declared(compose):
    declared = set(compose.get("volumes") or {})
    for name, svc in compose["services"].items():
        for volume in svc.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name}: volume {source} is not declared"
    assert {"postgres-data", "mlflow-artifacts", "zoo-state"} <= declared


def test_ports_bind_to_loopback_unless_told_otherwise(compose):
    for name, svc in compose["services"].items():
        for port in svc.get("ports", []):
            assert LOOPBACK_PORT.match(str(port)), f"{name} publishes {port} beyond loopback"
    assert "ports" not in compose["services"]["postgres"], "the database must not be published"
    mlflow = " ".join(compose["services"]["mlflow"]["command"])
    assert "--allowed-hosts" in mlflow


def _env_items(compose):
    for name, svc in compose["services"].items():
        env = svc.get("environment") or {}
        items = env.items() if isinstance(env, dict) else (e.split("=", 1) for e in env)
        for key, value in items:
            yield name, key, str(value)


def test_no_secret_in_the_compose_file(compose):
    for name, key, value in _env_items(compose):
        if SECRET_KEY.search(key):
            assert value.startswith("${") and value.endswith("}"), f"{name}: {key} is literal"
        if "://" in value and "@" in value:  # credentials in a URL must be interpolated
            userinfo = value.split("://", 1)[1].split("@", 1)[0]
            assert ":" not in userinfo or "${" in userinfo, f"{name}: {key} holds a password"


def test_env_example_names_every_variable_and_holds_no_secret():
    text = (INFRA / "compose.yaml").read_text()
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    example = {}
    for line in (INFRA / ".env.example").read_text().splitlines():
        line = line.strip().lstrip("# ").strip()
        if re.match(r"^[A-Z0-9_]+=", line):
            key, value = line.split("=", 1)
            example.setdefault(key, value)
    assert used <= set(example), f"missing from .env.example: {sorted(used - set(example))}"
    for key, value in example.items():
        if SECRET_KEY.search(key):
            assert value == "change-me", f".env.example holds a real-looking {key}"


def test_real_env_file_is_ignored_by_git():
    if not (REPO / ".git").exists() or not shutil.which("git"):
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "check-ignore", "-q", "infra/.env"], cwd=REPO, check=False)
    assert out.returncode == 0, "infra/.env must be git-ignored"


def test_postgres_init_script_is_valid_sh():
    script = INFRA / "postgres-init.sh"
    assert os.access(script, os.X_OK), "the postgres image sources non-executable scripts"
    assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0


def _defines(path: Path, name: str) -> bool:
    tree = ast.parse(path.read_text())
    return any((isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name)
               or (isinstance(n, ast.Assign) and any(getattr(t, "id", None) == name
                                                      for t in n.targets))
               for n in tree.body)


def test_prefect_deployments_file():
    from prefect.client.schemas.schedules import CronSchedule

    config = yaml.safe_load((INFRA / "prefect.yaml").read_text())
    deployments = {d["name"]: d for d in config["deployments"]}
    assert {"nightly-quick", "nightly-standard", "dask", "report"} <= set(deployments)
    for name, dep in deployments.items():
        path, func = dep["entrypoint"].split(":")
        assert (REPO / path).is_file(), f"{name}: entrypoint file {path} is missing"
        assert _defines(REPO / path, func), f"{name}: {path} defines no {func}"
        assert dep["work_pool"]["name"] == "zoo"
        for schedule in dep.get("schedules") or []:
            CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])
    assert deployments["nightly-quick"]["parameters"]["profile"] == "quick"
    assert deployments["nightly-standard"]["parameters"]["profile"] == "standard"
    # the slow checks of the advice run on their own mornings, after the standard sweep
    assert deployments["weekly-claims"]["parameters"]["profile"] == "claims"
    assert deployments["weekly-tuning"]["parameters"]["plan"] == "tuning"
    hours = {n: int(deployments[n]["schedules"][0]["cron"].split()[1])
             for n in ("nightly-standard", "weekly-claims", "weekly-tuning")}
    assert hours["weekly-claims"] >= hours["nightly-standard"] + 3
    assert hours["weekly-tuning"] >= hours["nightly-standard"] + 3
    pull = config["pull"][0]["prefect.deployments.steps.set_working_directory"]
    assert pull["directory"] == "{{ $ZOO_CHECKOUT }}"


def _prefect_default_kubernetes_template() -> dict:
    import prefect

    views = Path(prefect.__file__).parent / "server/api/collections_data/views"
    data = json.loads((views / "aggregate-worker-metadata.json").read_text())
    return data["prefect-kubernetes"]["kubernetes"]["default_base_job_configuration"]


@pytest.mark.parametrize("name", ["base-job-template.json", "base-job-template-gpu.json"])
def test_kubernetes_base_job_templates(name):
    template = json.loads((INFRA / "k8s" / name).read_text())
    variables = template["variables"]["properties"]
    placeholders = set(re.findall(r"\{\{\s*([a-z_]+)\s*\}\}",
                                  json.dumps(template["job_configuration"])))
    assert placeholders <= set(variables), f"undeclared: {placeholders - set(variables)}"
    # Everything Prefect's own template offers is still there.
    assert set(_prefect_default_kubernetes_template()["variables"]["properties"]) <= \
        set(variables)
    pod = template["job_configuration"]["job_manifest"]["spec"]["template"]["spec"]
    resources = pod["containers"][0]["resources"]
    assert resources["requests"]["cpu"] and resources["limits"]["memory"]
    if "gpu" in name:
        assert resources["limits"]["nvidia.com/gpu"] == "{{ gpu_count }}"
        assert variables["gpu_count"]["default"] == 1
    else:
        assert "nvidia.com/gpu" not in resources["limits"]
    assert not any(SECRET_KEY.search(k) for k in variables["env"].get("default", {}))


def test_model_files_are_loaded_safely():
    """torch.load only with weights_only=True (no pickle code execution); no raw pickle."""
    for folder in ("zoo", "flows", "reports", "infra"):
        for path in (REPO / folder).rglob("*.py"):
            text = path.read_text()
            for call in re.finditer(r"torch\.load\(", text):
                args = text[call.end():call.end() + 200].split(")")[0]
                assert "weights_only=True" in args, f"{path}: torch.load without weights_only"
            assert not re.search(r"\bpickle\.loads?\(", text), f"{path} unpickles data"

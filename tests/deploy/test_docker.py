"""The images and the compose file (Docker cannot run here: checked as text and YAML)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


def test_compose_wires_server_workers_and_volumes(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "prefect-server", "setup", "worker-cpu", "worker-gpu"} <= set(services)
    server_env = services["prefect-server"]["environment"]
    assert server_env["PREFECT_API_DATABASE_CONNECTION_URL"].startswith("postgresql+asyncpg://")
    for name in ("setup", "worker-cpu", "worker-gpu"):
        env = services[name]["environment"]
        assert env["PREFECT_API_URL"] == "http://prefect-server:4200/api", name
    mounts = {
        name: {v.split(":")[1] for v in services[name].get("volumes", [])}
        for name in ("worker-cpu", "worker-gpu")
    }
    assert "/data/warehouse" in mounts["worker-cpu"]
    assert "/data/warehouse" not in mounts["worker-gpu"]  # the trainer never opens it
    # the writer hands split and model paths to the trainer; results come back through storage
    assert {"/data/models", "/data/splits", "/data/results"} <= mounts["worker-gpu"]
    assert {"/data/models", "/data/splits", "/data/results"} <= mounts["worker-cpu"]
    (device,) = services["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
    named = {v.split(":")[0] for s in services.values() for v in s.get("volumes", [])}
    assert named <= set(compose["volumes"])


@pytest.mark.parametrize(("dockerfile", "pool"), [("Dockerfile", "cpu"), ("Dockerfile.gpu", "gpu")])
def test_images_install_the_project_and_start_a_worker(dockerfile: str, pool: str) -> None:
    text = (DEPLOY / dockerfile).read_text()
    assert re.search(r"^FROM python:3\.11", text, re.MULTILINE)
    assert "pip install -c requirements.lock ." in text
    assert f'"worker", "start", "--pool", "{pool}"' in text
    assert "NEXTBAR_HOME=/opt/nextbar" in text  # prefect.yaml's pull step goes there
    copied = re.findall(r"^COPY (\S+)", text, re.MULTILINE)
    for path in copied:
        assert (DEPLOY.parent / path).exists(), path
    if pool == "gpu":
        assert '"tensorflow[and-cuda]"' in text

"""deploy/prefect.yaml: valid for ``prefect deploy``, equal to flows/schedules.py, runnable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.cli.deploy._models import PrefectYamlModel
from prefect.flows import Flow, load_flow_from_entrypoint

from flows.schedules import DEPLOYMENTS, DeploymentSpec

PREFECT_YAML = Path(__file__).resolve().parents[2] / "deploy" / "prefect.yaml"
# what a user gives when triggering deployments whose flows have required parameters
RUN_TIME: dict[str, dict[str, Any]] = {
    "replay/manual": {"symbol": "BTC-USD", "start": "2024-05-01", "end": "2024-05-10"},
    "fit-models/gpu": {  # dispatch_fit gives them all
        "jobs": [],
        "models_dir": "data/models",
        "epochs": 30,
        "finetune_epochs": 3,
        "seed": 42,
    },
}


@pytest.fixture(scope="module")
def prefect_yaml() -> dict[str, Any]:
    return yaml.safe_load(PREFECT_YAML.read_text())


def _by_name(prefect_yaml: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Deployments keyed ``flow/name`` (the YAML names the flow through its entrypoint)."""
    flow_of = {s.entrypoint: s.flow_name for s in DEPLOYMENTS}
    return {f"{flow_of[d['entrypoint']]}/{d['name']}": d for d in prefect_yaml["deployments"]}


def test_prefect_yaml_is_what_prefect_deploy_accepts(prefect_yaml: dict[str, Any]) -> None:
    model = PrefectYamlModel.model_validate(prefect_yaml)
    assert len(model.deployments) == len(DEPLOYMENTS)
    # runs move to $NEXTBAR_HOME, so relative data paths mean what they mean for the CLI
    (step,) = prefect_yaml["pull"]
    directory = step["prefect.deployments.steps.set_working_directory"]["directory"]
    assert directory == "{{ $NEXTBAR_HOME }}"


def test_prefect_yaml_matches_the_shared_table(prefect_yaml: dict[str, Any]) -> None:
    deployed = _by_name(prefect_yaml)
    assert sorted(deployed) == sorted(s.full_name for s in DEPLOYMENTS)
    for spec in DEPLOYMENTS:
        d = deployed[spec.full_name]
        assert d["entrypoint"] == spec.entrypoint, spec.full_name
        assert d["work_pool"]["name"] == spec.work_pool, spec.full_name
        assert d.get("parameters", {}) == dict(spec.parameters), spec.full_name
        assert " ".join(d["description"].split()) == spec.description, spec.full_name
        schedules = [{"cron": spec.cron, "timezone": spec.timezone}] if spec.cron else []
        assert d.get("schedules", []) == schedules, spec.full_name


def test_every_schedule_has_an_explicit_timezone(prefect_yaml: dict[str, Any]) -> None:
    schedules = [s for d in prefect_yaml["deployments"] for s in d.get("schedules", [])]
    assert schedules
    assert all(s.get("timezone") for s in schedules)


def test_the_training_split_between_the_pools(prefect_yaml: dict[str, Any]) -> None:
    deployed = _by_name(prefect_yaml)
    train_env = deployed["train/default"]["work_pool"]["job_variables"]["env"]
    assert train_env["NEXTBAR_GPU_DEPLOYMENT"] == "fit-models/gpu"
    gpu_env = deployed["fit-models/gpu"]["work_pool"]["job_variables"]["env"]
    # dispatch_fit reads the fit's outcomes from the result storage
    assert gpu_env["PREFECT_RESULTS_PERSIST_BY_DEFAULT"] == "true"


@pytest.mark.parametrize("spec", DEPLOYMENTS, ids=lambda s: s.full_name)
def test_entrypoints_import_and_parameters_validate(spec: DeploymentSpec) -> None:
    flow: Flow[..., Any] = load_flow_from_entrypoint(spec.entrypoint, use_placeholder_flow=False)
    assert flow.name == spec.flow_name
    given: dict[str, Any] = {**spec.parameters, **RUN_TIME.get(spec.full_name, {})}
    validated = flow.validate_parameters(given)  # raises on a missing or invalid parameter
    assert set(given) <= set(validated)
    if spec.cron:  # an unattended run has nobody to supply a missing parameter
        assert spec.full_name not in RUN_TIME

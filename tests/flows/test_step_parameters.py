"""The flows' step parameters and the CLI's step flags are the step options'."""

from __future__ import annotations

import inspect

import pytest
from prefect.exceptions import SignatureMismatchError

from flows.cli.app import STEP_OPTIONS
from flows.cli.models import TRAIN_FLAGS
from flows.daily import daily
from flows.replay import replay
from flows.train import train
from pipeline.step_options import DAY_OPTIONS, OPTION_NAMES, TRAIN_OPTIONS


def _parameters(flow: object) -> set[str]:
    return set(inspect.signature(flow).parameters)  # type: ignore[arg-type]


def test_flow_parameters_and_cli_flags_are_the_options() -> None:
    assert set(STEP_OPTIONS) == set(DAY_OPTIONS)  # nextbar run, nextbar replay
    assert set(TRAIN_FLAGS) == set(TRAIN_OPTIONS) - {"seed"}  # nextbar train: no --seed
    for flow, names in ((daily, DAY_OPTIONS), (replay, DAY_OPTIONS), (train, TRAIN_OPTIONS)):
        assert _parameters(flow) & set(OPTION_NAMES) == set(names), flow.name
    assert set(DAY_OPTIONS) | set(TRAIN_OPTIONS) == set(OPTION_NAMES)


def test_a_deployment_passes_step_options_flat() -> None:
    given = {"symbol": "BTC-USD", "start": "2024-05-01", "end": "2024-05-03"}
    validated = replay.validate_parameters({**given, "retrain_every": 20, "policy": "finetune"})
    assert validated["retrain_every"] == 20 and validated["policy"] == "finetune"
    with pytest.raises(SignatureMismatchError, match="retrain_evry"):
        replay.validate_parameters({**given, "retrain_evry": 20})

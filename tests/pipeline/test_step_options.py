"""The step options: one declaration, checked by name, and settings that load no stage."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipeline.errors import InputError
from pipeline.settings import Settings
from pipeline.step_options import OPTION_NAMES, StepOptions


def test_an_unknown_option_is_an_error_naming_it() -> None:
    with pytest.raises(InputError, match="unknown step option 'retrain_evry'"):
        StepOptions.of({"retrain_evry": 20})
    with pytest.raises(InputError, match="'window'"):
        StepOptions.of({"window": 0})
    assert StepOptions.of({"retrain_every": 20, "epochs": None}).given() == {"retrain_every": 20}


def test_the_options_are_the_step_settings_keys() -> None:
    settings = Settings()
    keys = set(settings.model.model_dump(exclude={"backend"})) | set(settings.split.model_dump())
    assert set(OPTION_NAMES) == keys | set(settings.retrain.model_dump())
    assert settings.retrain.policy == "finetune"  # the daily step's; the replay's is frozen
    assert settings.replay.policy == "frozen"


def test_reading_the_settings_loads_no_stage() -> None:
    code = (
        "import sys, pipeline.settings; "
        "print([m for m in ('yfinance', 'keras', 'pipeline.daily', 'pipeline.data.ingest') "
        "if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

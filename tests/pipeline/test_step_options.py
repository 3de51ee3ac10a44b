"""The step options: one declaration, checked by name, and settings that load no stage."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipeline.errors import InputError
from pipeline.settings import Settings
from pipeline.step_options import OPTION_NAMES, SECTIONS, StepOptions


def test_an_unknown_option_is_an_error_naming_it() -> None:
    with pytest.raises(InputError, match="unknown step option 'retrain_evry'"):
        StepOptions.of({"retrain_evry": 20})
    with pytest.raises(InputError, match="'window'"):
        StepOptions.of({"window": 0})
    assert StepOptions.of({"retrain_every": 20, "epochs": None}).given() == {"retrain_every": 20}


def test_each_option_is_declared_once_as_a_settings_key() -> None:
    settings = Settings()
    for name, section in SECTIONS.items():
        declared = section.model_fields
        loaded = getattr(settings, name)
        for key, field in declared.items():  # the settings key: the declaration's default
            assert getattr(loaded, key) == field.default, (name, key)
            option = StepOptions.model_fields[key]  # the option: None, same bounds and text
            assert option.default is None and option.description == field.description, key
            assert option.metadata == field.metadata, key
    assert set(OPTION_NAMES) == {k for s in SECTIONS.values() for k in s.model_fields}
    assert set(settings.model.model_dump()) - set(OPTION_NAMES) == {"backend"}  # no option
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

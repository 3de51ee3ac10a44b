"""nextbar.toml: environment over the file over the defaults; symbols from the file."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path

import pytest

from pipeline.config import Config, configured_symbols, load_config
from pipeline.data.symbols import DEFAULT_SYMBOLS, SymbolInfo
from pipeline.errors import InputError

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "nextbar.example.toml"
FILE = """
[model]
models = ["naive", "gru"]
epochs = 7

[retrain]
retrain_every = 3

[[symbols]]
symbol = "ETH-USD"
name = "Ether"
calendar = "24/7"
currency = "USD"
timezone = "UTC"
session_close = 00:00:00
yahoo_ticker = "ETH-USD"
"""


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray ./nextbar.toml
    monkeypatch.delenv("NEXTBAR_CONFIG", raising=False)
    for name in ("NEXTBAR_MODEL__EPOCHS", "NEXTBAR_RETRAIN__RETRAIN_EVERY", "NEXTBAR_SYMBOLS"):
        monkeypatch.delenv(name, raising=False)


def _write(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "custom.toml"
    path.write_text(text)
    monkeypatch.setenv("NEXTBAR_CONFIG", str(path))
    return path


def test_defaults_without_a_file() -> None:
    config = load_config()
    assert config == Config()
    assert config.model.epochs == 50 and config.retrain.retrain_every == 5
    assert configured_symbols(config) == DEFAULT_SYMBOLS


def test_the_file_wins_over_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, FILE, monkeypatch)
    config = load_config()
    assert config.model.models == ["naive", "gru"]
    assert config.model.epochs == 7
    assert config.retrain.retrain_every == 3
    assert config.retrain.finetune_epochs == 3  # not in the file: the default
    assert configured_symbols(config) == (
        SymbolInfo("ETH-USD", "Ether", "24/7", "USD", "UTC", time(0, 0), yahoo_ticker="ETH-USD"),
    )


def test_the_environment_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, FILE, monkeypatch)
    monkeypatch.setenv("NEXTBAR_MODEL__EPOCHS", "2")
    config = load_config()
    assert config.model.epochs == 2
    assert config.model.models == ["naive", "gru"]  # the rest of [model] still from the file


def test_default_path_is_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "nextbar.toml").write_text("[retrain]\nretrain_every = 9\n")
    assert load_config().retrain.retrain_every == 9


def test_bad_values_are_input_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, '[model]\nmodels = ["gpt"]\n', monkeypatch)
    with pytest.raises(InputError, match="gpt"):
        load_config()
    _write(tmp_path, "[model]\nepoch = 3\n", monkeypatch)  # misspelt key
    with pytest.raises(InputError, match="epoch"):
        load_config()
    monkeypatch.setenv("NEXTBAR_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(InputError, match="no such file"):
        load_config()


def test_the_example_file_loads_and_documents_every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTBAR_CONFIG", str(EXAMPLE))
    config = load_config()
    assert configured_symbols(config) == DEFAULT_SYMBOLS
    text = EXAMPLE.read_text()
    sections = [type(getattr(config, s)) for s in ("sources", "model", "split", "retrain")]
    for model in [*sections, type(config.symbols[0])]:
        for key in model.model_fields:  # set, or shown commented out where unset by default
            assert re.search(rf"^#? ?{key} = ", text, re.MULTILINE), key

"""Settings: flags over the environment over nextbar.toml over the defaults; paths beside the
warehouse; symbols from the file."""

from __future__ import annotations

import os
import re
from datetime import time
from pathlib import Path

import pytest

from pipeline.data.symbols import DEFAULT_SYMBOLS, SymbolInfo
from pipeline.errors import InputError
from pipeline.settings import Settings, describe, load_settings

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
    for name in [n for n in os.environ if n.startswith("NEXTBAR_")] + ["TUSHARE_TOKEN"]:
        monkeypatch.delenv(name, raising=False)


def _write(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "custom.toml"
    path.write_text(text)
    monkeypatch.setenv("NEXTBAR_CONFIG", str(path))
    return path


def test_defaults_without_a_file() -> None:
    config = load_settings()
    assert config == Settings()
    assert config.model.epochs is None and config.split.window is None  # the preset's
    assert config.retrain.retrain_every == 5
    assert config.symbol_infos() == DEFAULT_SYMBOLS


def test_the_file_wins_over_the_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, FILE, monkeypatch)
    config = load_settings()
    assert config.model.models == ("naive", "gru")
    assert config.model.epochs == 7
    assert config.retrain.retrain_every == 3
    assert config.retrain.finetune_epochs == 3  # not in the file: the default
    assert config.symbol_infos() == (
        SymbolInfo("ETH-USD", "Ether", "24/7", "USD", "UTC", time(0, 0), yahoo_ticker="ETH-USD"),
    )


def test_the_environment_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, FILE, monkeypatch)
    monkeypatch.setenv("NEXTBAR_MODEL__EPOCHS", "2")
    config = load_settings()
    assert config.model.epochs == 2
    assert config.model.models == ("naive", "gru")  # the rest of [model] still from the file


def test_default_path_is_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "nextbar.toml").write_text("[retrain]\nretrain_every = 9\n")
    assert load_settings().retrain.retrain_every == 9


def test_bad_values_are_input_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, '[model]\nmodels = ["gpt"]\n', monkeypatch)
    with pytest.raises(InputError, match="gpt"):
        load_settings()
    _write(tmp_path, "[model]\nepoch = 3\n", monkeypatch)  # misspelt key
    with pytest.raises(InputError, match="epoch"):
        load_settings()
    monkeypatch.setenv("NEXTBAR_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(InputError, match="no such file"):
        load_settings()


def test_the_example_file_loads_and_documents_every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTBAR_CONFIG", str(EXAMPLE))
    config = load_settings()
    assert config.symbol_infos() == DEFAULT_SYMBOLS
    text = EXAMPLE.read_text()
    sections = [type(getattr(config, s)) for s in ("sources", "model", "split", "retrain")]
    for model in [*sections, type(config.symbols[0])]:
        for key in model.model_fields:  # set, or shown commented out where unset by default
            assert re.search(rf"^#? ?{key} = ", text, re.MULTILINE), key


def test_a_flag_wins_over_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, FILE, monkeypatch)
    monkeypatch.setenv("NEXTBAR_WAREHOUSE", str(tmp_path / "env.duckdb"))
    assert load_settings(warehouse=tmp_path / "flag.duckdb").warehouse == tmp_path / "flag.duckdb"
    assert load_settings(warehouse=None).warehouse == tmp_path / "env.duckdb"


def test_paths_follow_the_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTBAR_WAREHOUSE", "/srv/nextbar/nextbar.duckdb")
    settings = load_settings()
    assert settings.models_dir == Path("/srv/nextbar/models")
    assert settings.plots_dir == Path("/srv/nextbar/plots")
    assert settings.splits_dir == Path("/srv/nextbar/splits")
    monkeypatch.setenv("NEXTBAR_PLOTS_DIR", str(tmp_path / "charts"))
    assert load_settings().plots_dir == tmp_path / "charts"  # set: kept
    assert load_settings().models_dir == Path("/srv/nextbar/models")


def test_describe_says_where_each_setting_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, FILE, monkeypatch)
    monkeypatch.setenv("NEXTBAR_MODEL__EPOCHS", "2")
    monkeypatch.setenv("TUSHARE_TOKEN", "s3cret-token")
    flags = {"warehouse": tmp_path / "w.duckdb"}
    rows = {key: (value, origin) for key, value, origin in describe(load_settings(**flags), flags)}
    assert rows["warehouse"] == (str(tmp_path / "w.duckdb"), "flag")
    assert rows["models_dir"] == (str(tmp_path / "models"), "beside the warehouse")
    assert rows["model.epochs"] == ("2", "environment NEXTBAR_MODEL__EPOCHS")
    assert rows["retrain.retrain_every"] == ("3", f"file {path}")
    assert rows["split.window"] == ("20", "preset default")
    assert rows["retrain.finetune_epochs"] == ("3", "default")
    assert rows["symbols"] == ("ETH-USD", f"file {path}")
    assert rows["tushare_token"] == ("(set, hidden)", "environment TUSHARE_TOKEN")
    assert "s3cret" not in str(rows)

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
from pipeline.settings import Settings, load_settings
from pipeline.settings_origins import describe

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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[modle]\nepochs = 3\n", "unknown section [modle] (did you mean 'model'?)"),
        ('warehose = "x.duckdb"\n', "unknown key 'warehose' (did you mean 'warehouse'?)"),
        ("[model]\nepoch = 3\n", "unknown key 'epoch' in [model] (did you mean 'epochs'?)"),
        ('[[symbols]]\nsymbol = "ETH-USD"\nnmae = "E"\n', "unknown key 'nmae' in [symbols]"),
        ("[model\n", "not valid TOML"),
    ],
)
def test_an_unknown_section_or_key_in_the_file_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    path = _write(tmp_path, text, monkeypatch)
    with pytest.raises(InputError) as err:
        load_settings()
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("NEXTBAR_LOCK_WAIT", "abc", "NEXTBAR_LOCK_WAIT='abc': takes seconds"),
        ("NEXTBAR_LOCK_WAIT", "-5", "NEXTBAR_LOCK_WAIT='-5': takes seconds"),
        ("NEXTBAR_LOCK_WAIT", "inf", "a number >= 0"),
        ("NEXTBAR_GPU_DEPLOYMENT", "gpu", "<flow>/<name>"),
        ("NEXTBAR_MODEL__EPOCHS", "abc", "NEXTBAR_MODEL__EPOCHS='abc' (model.epochs): Input"),
        ("NEXTBAR_MODEL__EPOCHS", "0", "model.epochs): Input should be greater than or equal"),
        ("NEXTBAR_OVERLAP_DAYS", "-1", "NEXTBAR_OVERLAP_DAYS='-1' (overlap_days)"),
        ("NEXTBAR_SPLIT__TARGET", "volume", "(split.target): unknown target 'volume'"),
        ("NEXTBAR_MODEL__MODELS", "gru", "NEXTBAR_MODEL__MODELS='gru': takes JSON"),
        ("NEXTBAR_SYMBOLS", "ETH-USD", "NEXTBAR_SYMBOLS='ETH-USD': takes JSON"),
        ("NEXTBAR_MODLE__EPOCHS", "3", "no such setting (did you mean 'NEXTBAR_MODEL__EPOCHS'?)"),
    ],
)
def test_every_nextbar_variable_is_checked_and_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(InputError) as err:
        load_settings()
    assert message in str(err.value)


def test_the_lock_wait_is_checked_where_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from warehouse.connection import DEFAULT_LOCK_WAIT_S, lock_wait_s

    assert lock_wait_s() == DEFAULT_LOCK_WAIT_S
    monkeypatch.setenv("NEXTBAR_LOCK_WAIT", "2.5")
    assert lock_wait_s() == 2.5
    monkeypatch.setenv("NEXTBAR_LOCK_WAIT", "-5")  # "gave up after -5 s" before
    with pytest.raises(InputError, match="NEXTBAR_LOCK_WAIT='-5'"):
        lock_wait_s()


def test_an_unknown_plain_variable_is_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("NEXTBAR_WAREHOSE", "x.duckdb")
    load_settings()
    load_settings()
    warned = [r.getMessage() for r in caplog.records if "NEXTBAR_WAREHOSE" in r.getMessage()]
    assert warned == [
        "NEXTBAR_WAREHOSE is not a nextbar variable; ignored (did you mean 'NEXTBAR_WAREHOUSE'?)"
    ]


def test_a_watch_list_is_checked_up_front_and_repeats_are_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    lines = ["600519.SH", "eth-usd", "600519.sh  # again", "ETH-USD", "AAPL"]
    (tmp_path / "codes.txt").write_text("\n".join(lines) + "\n")
    _write(tmp_path, '[watchlist]\nsymbols = ["AAPL"]\nfile = "codes.txt"\n', monkeypatch)
    infos = load_settings().watch_list()
    assert [i.symbol for i in infos] == ["AAPL", "600519.SH", "ETH-USD"]
    notes = [r.getMessage() for r in caplog.records if "repeated" in r.getMessage()]
    assert notes == ["watch list: 3 repeated code(s) dropped, 3 symbols"]
    # Every bad code is named, with its line, before any symbol is used.
    (tmp_path / "codes.txt").write_text("600519.SH\n600519\nETH-USD\nA B\n")
    with pytest.raises(InputError) as err:
        load_settings().watch_list()
    message = str(err.value)
    assert "the watch list has 2 code(s) nextbar cannot read" in message
    assert "'600519' (codes.txt line 2), 'A B' (codes.txt line 4)" in message

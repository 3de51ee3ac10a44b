"""Help that reads well (#22): whole command summaries, no ``<bool>``, complete choice lists,
``--model`` and ``--models`` alike; and each command starts only what it needs (#20): no
deep-learning backend for sql, config, models, init, gc, ingest or --help, no Prefect (so no
temporary server), scikit-learn or SciPy for the commands that run no flow, and no pandas for
``sql`` as CSV or JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from flows.cli import app
from flows.cli.app import MODEL_CHOICES

BACKENDS = ("keras", "tensorflow", "jax", "torch")
MODEL_CODE = ("sklearn", "scipy")  # reading the settings or a choice list needs neither

# Runs the command in a Python process and writes the modules it imported to argv[1].
IMPORTED = """
import atexit, json, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["nextbar", *sys.argv[2:]]
from flows.cli import main
main()
"""


def _commands() -> dict[str, typer.core.TyperCommand]:
    return typer.main.get_command(app).commands  # type: ignore[attr-defined,no-any-return]


def _help(*args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


def _words(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def test_every_command_summary_is_shown_whole() -> None:
    listed = _words(_help())
    for name, command in _commands().items():
        summary = (command.help or "").split("\n\n")[0]
        assert "\n" not in summary.strip(), f"{name}: the summary spans lines: {summary!r}"
        assert _words(summary) in listed, name


def test_defaults_and_wrapped_paragraphs_read_whole() -> None:
    text = _words(_help("train"))
    assert "stopping on validation [default: preset's]" in text
    assert "ranks them on validation only" in text


@pytest.mark.parametrize("command", [None, *sorted(_commands())])
def test_no_help_shows_a_bool_placeholder(command: str | None) -> None:
    assert "<bool>" not in _help(*([command] if command else []))


def _option_help(command: str, option: str) -> str:
    [param] = [p for p in _commands()[command].params if option in p.opts]
    return str(getattr(param, "help", ""))


def test_choice_lists_are_complete() -> None:
    from pipeline.choices import POLICIES, PRESET_NAMES, STEP_KINDS, TARGETS
    from pipeline.data.sources import SOURCE_NAMES

    assert all(f" {kind} " in f" {MODEL_CHOICES} " for kind in [*STEP_KINDS, "all"])
    for command in ("train", "run", "replay"):
        assert MODEL_CHOICES in _option_help(command, "--models")
        assert all(target in _option_help(command, "--target") for target in TARGETS)
        assert all(preset in _option_help(command, "--preset") for preset in PRESET_NAMES)
    for command in ("run", "replay"):
        assert all(policy in _option_help(command, "--policy") for policy in POLICIES)
    for command in ("run", "ingest"):
        assert all(source in _option_help(command, "--source") for source in SOURCE_NAMES)


@pytest.mark.parametrize("command", ["train", "run", "replay"])
def test_model_and_models_are_one_option(command: str) -> None:
    [param] = [p for p in _commands()[command].params if "--models" in p.opts]
    assert {"--models", "--model", "-m"} <= set(param.opts)


def test_ingest_help_names_the_chinese_exports() -> None:
    text = _option_help("ingest", "--file")
    assert all(name in text for name in ("tushare", "Yahoo", "Investing.com", "通达信", "同花顺"))


@pytest.fixture(scope="module")
def stocked(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Path:
    from flows.ingest import ingest

    path = tmp_path_factory.mktemp("imports") / "w.duckdb"
    ingest(symbols=["BTC-USD"], source="bundled", warehouse=str(path))
    return path


def _imported(tmp_path: Path, warehouse: Path, *args: str) -> set[str]:
    from prefect.settings import PREFECT_API_URL

    out = tmp_path / "modules.json"
    env = {**os.environ, "NEXTBAR_WAREHOUSE": str(warehouse)}
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    subprocess.run(
        [sys.executable, "-c", IMPORTED, str(out), *args],
        capture_output=True,
        timeout=300,
        check=False,
        env=env,
    )
    return set(json.loads(out.read_text()))


@pytest.mark.parametrize(
    "args",
    [["--help"], ["sql", "select 1"], ["config"], ["models", "-s", "BTC-USD"], ["init"]],
    ids=["--help", "sql", "config", "models", "init"],
)
def test_a_command_without_flows_starts_neither_prefect_nor_a_backend(
    stocked: Path, tmp_path: Path, args: list[str]
) -> None:
    modules = _imported(tmp_path, stocked, *args)
    assert not modules & {*BACKENDS, *MODEL_CODE, "prefect"}


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_sql_as_csv_or_json_imports_no_pandas(stocked: Path, tmp_path: Path, fmt: str) -> None:
    modules = _imported(tmp_path, stocked, "sql", "select 1", "--format", fmt)
    assert "duckdb" in modules  # the command ran
    assert not modules & {"pandas", "numpy", "exchange_calendars", *MODEL_CODE, "prefect"}


@pytest.mark.parametrize(
    "args",
    [["ingest", "-s", "BTC-USD", "--source", "bundled"], ["gc"], ["ingest", "--help"]],
    ids=["ingest", "gc", "ingest --help"],
)
def test_ingest_and_gc_start_no_backend(stocked: Path, tmp_path: Path, args: list[str]) -> None:
    assert not _imported(tmp_path, stocked, *args) & set(BACKENDS)

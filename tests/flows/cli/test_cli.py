"""The ``nextbar`` command: the installed one as a user runs it (help everywhere, one-line
errors), and every command run in-process against one real warehouse of bundled BTC-USD bars."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from flows import output
from flows.cli import app

NEXTBAR = shutil.which("nextbar") or str(Path(sys.executable).with_name("nextbar"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NEXTBAR, *args], capture_output=True, text=True, timeout=120, check=False
    )


COMMANDS = ["init", "ingest", "sql", "train", "models", "run", "replay", "serve", "demo", "config"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = _run(command, "--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout


def test_an_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    result = _run("sql", "select 1", "--warehouse", str(tmp_path / "missing.duckdb"))
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "does not exist" in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = _run("--debug", "sql", "select 1", "--warehouse", str(tmp_path / "missing.duckdb"))
    assert result.returncode != 0
    assert "Traceback" in result.stderr


def test_file_needs_one_symbol(tmp_path: Path) -> None:
    result = _run(
        "ingest", "--file", str(tmp_path / "x.csv"), "--warehouse", str(tmp_path / "w.duckdb")
    )
    assert result.returncode == 1
    assert "--file needs exactly one --symbol" in result.stderr


def test_help_lists_every_command() -> None:
    listed = _run("--help").stdout
    assert all(f" {command} " in listed for command in COMMANDS)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse made by ``init`` and ``ingest``: BTC-USD's bundled bars."""
    path = tmp_path_factory.mktemp("cli") / "nextbar.duckdb"
    app(["init", "--warehouse", str(path)], standalone_mode=False)
    app(
        ["ingest", "-s", "BTC-USD", "--source", "bundled", "--warehouse", str(path)],
        standalone_mode=False,
    )
    return path


@pytest.fixture
def nextbar(capsys: pytest.CaptureFixture[str]) -> Callable[..., str]:
    """Run a command in this process (the session's Prefect harness); what it printed."""

    def invoke(*args: str) -> str:
        capsys.readouterr()
        app(list(args), standalone_mode=False)
        return capsys.readouterr().out

    return invoke


def test_init_and_ingest(nextbar: Callable[..., str], warehouse: Path) -> None:
    out = nextbar("init", "--warehouse", str(warehouse))
    assert f"warehouse {warehouse} ready (schema version" in " ".join(out.split())  # 80 columns
    out = nextbar("ingest", "-s", "BTC-USD", "--source", "bundled", "--warehouse", str(warehouse))
    assert "BTC-USD" in out and "succeeded" in out


def _last_days(nextbar: Callable[..., str], path: Path, n: int) -> list[str]:
    query = "select date from bars where not is_partial order by date desc limit " + str(n)
    out = nextbar("sql", query, "--format", "csv", "--warehouse", str(path))
    return sorted(out.split()[1:])


def test_sql(nextbar: Callable[..., str], warehouse: Path) -> None:
    out = nextbar(
        "sql", "select count(*) as n from bars", "--format", "csv", "--warehouse", str(warehouse)
    )
    assert out.split() == ["n", "3541"]


def test_train_then_models(nextbar: Callable[..., str], warehouse: Path) -> None:
    out = nextbar(
        "train",
        "-s",
        "BTC-USD",
        "-m",
        "naive",
        "-m",
        "drift",
        "--test-size",
        "30",
        "--warehouse",
        str(warehouse),
    )
    assert "every model beside the naive baseline (MAE, close)" in " ".join(out.split())
    out = nextbar("models", "-s", "BTC-USD", "--warehouse", str(warehouse))
    assert "champion:" in out and "drift" in out


def test_replay_then_run(
    nextbar: Callable[..., str], warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start, end = _last_days(nextbar, warehouse, 2)
    common = ["-m", "naive", "--history-bars", "300", "--warehouse", str(warehouse)]
    out = nextbar("replay", "-s", "BTC-USD", "--start", start, "--end", end, *common)
    assert f"replayed 2 trading days of BTC-USD: as of {start} .. {end}" in out
    assert "counts every scored BTC-USD forecast in the warehouse" in " ".join(out.split())
    assert "leaderboard" in out
    out = nextbar("run", "-s", "BTC-USD", "--source", "bundled", *common)
    flat = " ".join(out.split())
    assert "BTC-USD: close on" in out and "point champion naive" in flat
    assert "interval champion naive" in flat  # the interval champion, beside the point one
    assert f"nextbar models --symbol BTC-USD --warehouse {warehouse}" in " ".join(out.split())
    # the same day again, nothing fetched: answered from the warehouse, no flow run
    again = nextbar("run", "-s", "BTC-USD", "--source", "bundled", "--skip-ingest", *common)
    assert "same bars and settings as at" in again and "reused its fits" in " ".join(again.split())
    summary = [line for line in out.splitlines() if line.startswith(("  ", "chart"))]
    assert summary and [
        line for line in again.splitlines() if line.startswith(("  ", "chart"))
    ] == (summary)
    # and with the ingest: the source is asked first, outside Prefect; nothing new, no flow run

    def no_flow(**_: object) -> None:
        raise AssertionError("a same-day re-run with nothing new started the daily flow")

    monkeypatch.setattr("flows.daily.daily", no_flow)
    fetched = nextbar("run", "-s", "BTC-USD", "--source", "bundled", *common)
    flat = " ".join(fetched.split())
    assert "bundled has no new or revised bars; same bars and settings as at" in flat
    assert [line for line in fetched.splitlines() if line.startswith(("  ", "chart"))] == summary


@pytest.mark.slow  # the demo trains the default models' real Keras networks (1 epoch)
def test_the_demo_fits_80_columns_and_ends_with_done(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``make demo`` at reduced size (2 replayed days, 1 epoch) on an 80-column console."""
    monkeypatch.setattr(output.console, "width", 80)
    monkeypatch.setattr(output.err_console, "width", 80)
    path = tmp_path / "nextbar.duckdb"
    small = ["--replay-days", "2", "--epochs", "1", "--history-bars", "300"]
    app(["demo", *small, "--warehouse", str(path)], standalone_mode=False)
    captured = capsys.readouterr()
    out = captured.out
    lines = (out + captured.err).splitlines()
    assert len(lines) <= 120
    assert all(len(line) <= 80 for line in out.splitlines() if "/" not in line)  # paths run on
    assert "BTC-USD: close on" in out and "600519.SH: close on" in out
    champions = [line.rstrip() for line in out.splitlines() if line.startswith("  point champion")]
    verdicts = ("beats naive", "ties naive", "loses to naive", "the baseline")
    assert len(champions) == 2 and all(line.endswith(verdicts) for line in champions)
    done = out.rstrip().splitlines()[-1]
    assert done.startswith("done in ") and f"warehouse {path}" in done
    assert f"nextbar models --symbol 600519.SH --warehouse {path}" in done


def test_serve_serves_the_deployments(
    nextbar: Callable[..., str], monkeypatch: pytest.MonkeyPatch, warehouse: Path
) -> None:
    import flows.serve

    served: dict[str, object] = {}
    monkeypatch.setattr(flows.serve, "serve", lambda *d, limit: served.update(d=d, limit=limit))
    nextbar("serve", "--warehouse", str(warehouse), "--limit", "2")
    names = sorted(d.name for d in served["d"])  # type: ignore[attr-defined]
    assert names == ["600519-SH", "BTC-USD", "default", "default", "manual", "watchlist", "weekly"]
    assert served["limit"] == 2


def test_config_says_where_each_setting_came_from(
    nextbar: Callable[..., str], warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output.console, "width", 200)  # the paths whole, not folded at 80
    out = nextbar("config", "--warehouse", str(warehouse))
    assert "beside the warehouse" in out and str(warehouse.parent / "models") in out

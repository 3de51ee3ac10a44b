"""The bad-input set: every case ends with one short ``error:`` line naming the input and the
reason, a non-zero exit and no traceback (``--debug`` shows it); runs use the session's
Prefect API, so a flow that fails still ends Failed there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.connection import connect

NEXTBAR = shutil.which("nextbar") or str(Path(sys.executable).with_name("nextbar"))

# (name, arguments, text the error line must contain); {tmp} is the test's folder.
CASES = [
    ("file is a directory", ["ingest", "--file", "{tmp}", "-s", "BTC-USD"], "is a directory"),
    ("no such file", ["ingest", "--file", "{tmp}/none.csv", "-s", "BTC-USD"], "no such file"),
    ("4 KB junk", ["ingest", "--file", "{tmp}/junk.csv", "-s", "BTC-USD"], "unrecognised"),
    # A code nextbar cannot read (NOPE alone is a Yahoo ticker: it would go to the network).
    ("unknown symbol", ["ingest", "-s", "NOPE.XX"], "NOPE.XX"),
    ("unknown source", ["ingest", "--source", "nope"], "--source 'nope'"),
    ("bad date", ["ingest", "--start", "2020-02-30"], "--start '2020-02-30'"),
    ("start after end", ["ingest", "--start", "2020-03-01", "--end", "2020-02-01"], "after"),
    ("epochs 0", ["train", "-s", "BTC-USD", "--epochs", "0"], "--epochs"),
    ("epochs -1", ["train", "-s", "BTC-USD", "--epochs", "-1"], "--epochs"),
    ("search budget -1", ["train", "-s", "BTC-USD", "--search-budget", "-1"], "--search-budget"),
    ("window 0", ["train", "-s", "BTC-USD", "--window", "0"], "--window"),
    ("test size 0", ["train", "-s", "BTC-USD", "--test-size", "0"], "--test-size"),
    ("bad as-of", ["train", "-s", "BTC-USD", "--as-of", "yesterday"], "--as-of"),
    (
        "replay start after end",
        ["replay", "-s", "BTC-USD", "--start", "2020-02-01", "--end", "2020-01-01"],
        "after --end",
    ),
    ("sql writes a file", ["sql", "copy (select 1) to '{tmp}/out.csv'"], "disabled"),
    ("sql bad query", ["sql", "selec 1"], "syntax"),
    ("warehouse is a directory", ["sql", "select 1", "--warehouse", "{tmp}"], "directory"),
    ("read-only location", ["init", "--warehouse", "/proc/nextbar/w.duckdb"], "cannot create"),
]


# A case that fails inside a flow run, run as a user runs it, in its own process (~15 s each:
# empty and header-only files fail the same way, see tests/flows/test_ingest_files.py).
FLOW_CASES = {"4 KB junk"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("bad-inputs")
    (tmp / "junk.csv").write_text("#" * 4096 + "\n")
    with connect(tmp / "w.duckdb"):
        pass
    return tmp


@pytest.fixture
def _own_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """main() sets NEXTBAR_DEBUG and Prefect's logging file: undone after the test."""
    for name in ("NEXTBAR_DEBUG", "PREFECT_LOGGING_SETTINGS_PATH"):
        monkeypatch.setenv(name, os.environ.get(name, ""))


def _run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "NEXTBAR_WAREHOUSE": str(folder / "w.duckdb")}
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    env.pop("PREFECT_LOGGING_SETTINGS_PATH", None)
    return subprocess.run(
        [NEXTBAR, *(a.format(tmp=folder) for a in args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )


def _run_here(
    folder: Path,
    args: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, str, str]:
    from flows.cli import main

    monkeypatch.setenv("NEXTBAR_WAREHOUSE", str(folder / "w.duckdb"))
    monkeypatch.setattr(sys, "argv", ["nextbar", *(a.format(tmp=folder) for a in args)])
    with pytest.raises(SystemExit) as exit_:
        main()
    out = capsys.readouterr()
    return int(exit_.value.code or 0), out.out, out.err


def _assert_one_line(code: int, out: str, err: str, expected: str) -> None:
    assert code != 0
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and lines[-1].startswith("error: "), err
    assert sum(line.startswith("error:") for line in lines) == 1
    assert expected in lines[-1] and len(lines[-1]) < 500


@pytest.mark.usefixtures("_own_environment")
@pytest.mark.parametrize(
    ("args", "expected"),
    [c[1:] for c in CASES if c[0] not in FLOW_CASES],
    ids=[c[0] for c in CASES if c[0] not in FLOW_CASES],
)
def test_bad_input_ends_with_one_short_line(
    folder: Path,
    args: list[str],
    expected: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _assert_one_line(*_run_here(folder, args, capsys, monkeypatch), expected)


@pytest.mark.parametrize(
    ("args", "expected"),
    [c[1:] for c in CASES if c[0] in FLOW_CASES],
    ids=[c[0] for c in CASES if c[0] in FLOW_CASES],
)
def test_a_failed_flow_run_ends_with_one_short_line(
    folder: Path, args: list[str], expected: str
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    result = _run(folder, *args)
    _assert_one_line(result.returncode, result.stdout, result.stderr, expected)
    # Under Prefect the run still ends Failed, with the same message.
    with get_client(sync_client=True) as client:
        [run] = client.read_flow_runs(sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=1)
    assert run.state is not None and run.state.is_failed()
    assert expected in (run.state.message or "")


def test_debug_shows_the_traceback_of_a_failed_flow(folder: Path) -> None:
    result = _run(folder, "--debug", "ingest", "--file", f"{folder}/junk.csv", "-s", "BTC-USD")
    assert result.returncode != 0
    assert "Traceback" in result.stderr

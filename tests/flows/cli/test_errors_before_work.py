"""The bad-input set, each command run as a user runs it, in its own process (#22, #23):
a non-zero exit, exactly one stderr line (``error: …``, nothing after it: no native-library
teardown noise), and, for the checks made before any work, a time within RATIO times
``nextbar sql "select 1"`` measured alongside (a ratio, so a slow machine is no failure)."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from flows.ingest import ingest

NEXTBAR = shutil.which("nextbar") or str(Path(sys.executable).with_name("nextbar"))
# The yardstick reads the settings and opens the warehouse, as a check before work does; a
# check adds the symbols' inference and the warehouse's summary. (It was `nextbar --help`, the
# CLI alone, until #20 made that about 5x faster: an idle check took ~2.7x it then.)
YARDSTICK = ["sql", "select 1"]
RATIO = 4.0
LONG = "A" * 500

# (name, arguments, text the error line must contain); run against a warehouse holding
# BTC-USD's bundled bars. Each fails before Prefect, a backend or a flow starts.
BEFORE_WORK = [
    ("sql empty", ["sql", ""], "the query is empty"),
    ("sql only separators", ["sql", "  ;  "], "the query is empty"),
    ("sql two statements", ["sql", "select 1; select 2"], "2 statements"),
    ("sql syntax", ["sql", "selec 1"], "line 1, column 1"),
    ("sql unknown table", ["sql", "select * from nope"], "nope does not exist"),
    ("sql reads a file", ["sql", "select * from read_csv('/etc/passwd')"], "disabled"),
    ("models unknown symbol", ["models", "--symbol", "FOO"], "nextbar ingest --symbol FOO"),
    ("train unknown symbol", ["train", "--symbol", "FOO"], "FOO is not in the warehouse"),
    ("run unknown symbol", ["run", "-s", "FOO", "--skip-ingest"], "FOO is not in the warehouse"),
    (
        "replay unknown symbol",
        ["replay", "-s", "FOO", "--start", "2024-05-01", "--end", "2024-05-02"],
        "FOO is not in the warehouse",
    ),
    ("run unknown source", ["run", "--source", "nosuch"], "--source 'nosuch'"),
    ("ingest not bundled", ["ingest", "-s", "FOO", "--source", "bundled"], "no bundled history"),
    ("month 13", ["run", "--as-of", "2024-13-01"], "--as-of '2024-13-01'"),
    ("date not zero-padded", ["ingest", "--start", "2024-5-1"], "YYYY-MM-DD"),
    ("as-of in the future", ["run", "-s", "BTC-USD", "--as-of", "2030-01-01"], "in the future"),
    (
        "as-of after the newest bar",
        ["run", "-s", "BTC-USD", "--skip-ingest", "--as-of", "2025-01-01"],
        "after BTC-USD's newest bar (2024-05-27)",
    ),
    ("unknown model", ["run", "-s", "BTC-USD", "--model", "nosuch"], "unknown model kind"),
    ("unknown target", ["train", "-s", "BTC-USD", "--target", "nosuch"], "--target 'nosuch'"),
    (
        "unknown preset",
        [
            "replay",
            "-s",
            "BTC-USD",
            "--preset",
            "x",
            "--start",
            "2024-05-01",
            "--end",
            "2024-05-02",
        ],
        "--preset 'x'",
    ),
    ("unknown policy", ["run", "--policy", "nosuch"], "--policy 'nosuch'"),
    ("epochs 0", ["train", "-s", "BTC-USD", "--epochs", "0"], "--epochs"),
    ("max rows 0", ["sql", "select 1", "--max-rows", "0"], "--max-rows"),
    ("unknown option", ["run", "--nosuch"], "--nosuch"),
    ("missing option", ["train"], "--symbol"),
    ("500-character symbol", ["models", "-s", LONG], "is not a ticker"),
]

# Failures found inside a flow run (Prefect and the data already started): one line too.
IN_A_FLOW = [
    ("4 KB junk file", ["ingest", "--file", "{tmp}/junk.csv", "-s", "BTC-USD"], "unrecognised"),
    (
        "too few bars",
        ["train", "-s", "BTC-USD", "-m", "naive", "--test-size", "5000"],
        "need at least",
    ),
]


@pytest.fixture(scope="module")
def stocked(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Path:
    """A folder with a warehouse of BTC-USD's bundled bars and a 4 KB junk file."""
    tmp = tmp_path_factory.mktemp("errors-before-work")
    ingest(symbols=["BTC-USD"], source="bundled", warehouse=str(tmp / "w.duckdb"))
    (tmp / "junk.csv").write_text("#" * 4096 + "\n")
    return tmp


def _environment(folder: Path) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "NEXTBAR_WAREHOUSE": str(folder / "w.duckdb"), "COLUMNS": "80"}
    env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())  # the session's harness
    env.pop("PREFECT_LOGGING_SETTINGS_PATH", None)
    env.pop("NEXTBAR_DEBUG", None)
    env.pop("PREFECT_LOGGING_LEVEL", None)  # `nextbar serve`, run in-process earlier, sets it
    return env


def _timed(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    result = subprocess.run(
        [NEXTBAR, *args], capture_output=True, text=True, timeout=300, check=False, env=env
    )
    return result, time.perf_counter() - started


Done = dict[str, tuple[subprocess.CompletedProcess[str], float]]


@pytest.fixture(scope="module")
def before_work(stocked: Path) -> tuple[Done, float]:
    """Every BEFORE_WORK case, two at a time, with YARDSTICK runs interleaved; the results
    by name and the median YARDSTICK time."""
    env = _environment(stocked)
    cases = [(name, args) for name, args, _ in BEFORE_WORK]
    quarter = max(1, len(cases) // 4)
    jobs: list[tuple[str, list[str]]] = []
    for i in range(0, len(cases), quarter):
        jobs += [(f"yardstick {i}", YARDSTICK), *cases[i : i + quarter]]
    jobs.append(("yardstick last", YARDSTICK))
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda job: _timed(job[1], env), jobs))
    done = dict(zip([name for name, _ in jobs], results, strict=True))
    yardstick_s = statistics.median(t for name, (_, t) in done.items() if name.startswith("yard"))
    return done, yardstick_s


def _assert_one_line(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode != 0, result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and len(lines[0]) <= 400, lines[0]
    assert expected in lines[0], lines[0]


@pytest.mark.parametrize(
    ("name", "expected"), [(c[0], c[2]) for c in BEFORE_WORK], ids=[c[0] for c in BEFORE_WORK]
)
def test_a_bad_input_fails_before_work_with_one_line(
    before_work: tuple[Done, float],
    stocked: Path,
    name: str,
    expected: str,
) -> None:
    done, yardstick_s = before_work
    result, seconds = done[name]
    _assert_one_line(result, expected)
    if seconds > RATIO * yardstick_s:  # a busy moment on a shared machine: once more, side by side
        env = _environment(stocked)
        [args] = [args for case, args, _ in BEFORE_WORK if case == name]
        yardstick_s = _timed(YARDSTICK, env)[1]
        seconds = _timed(args, env)[1]
    assert seconds <= RATIO * yardstick_s, f"{seconds:.1f} s, yardstick {yardstick_s:.1f} s"


@pytest.mark.parametrize(
    ("args", "expected"), [c[1:] for c in IN_A_FLOW], ids=[c[0] for c in IN_A_FLOW]
)
def test_a_failure_in_a_flow_ends_with_one_line(
    stocked: Path, args: list[str], expected: str
) -> None:
    result, _ = _timed([a.format(tmp=stocked) for a in args], _environment(stocked))
    _assert_one_line(result, expected)


def test_a_symbol_is_named_once_and_a_long_one_keeps_the_reason(
    before_work: tuple[Done, float],
) -> None:
    done, _ = before_work
    line = done["500-character symbol"][0].stderr.strip()
    assert "AAAA…AAAA" in line and line.endswith("tushare_code")
    assert len(line) <= 400


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("BTC-USD: BTC-USD: column 'volume' is NaN", "BTC-USD: column 'volume' is NaN"),
        ("a: x; BTC-USD: BTC-USD: BTC-USD: late", "a: x; BTC-USD: late"),
        ("600519.SH: 6 gaps", "600519.SH: 6 gaps"),
    ],
)
def test_a_message_names_its_symbol_once(message: str, shown: str) -> None:
    from flows.cli import error_line
    from pipeline.errors import InputError

    assert error_line(InputError(message)) == shown


def test_a_long_column_name_keeps_the_reason() -> None:
    from flows.cli import error_line
    from pipeline.errors import InputError

    line = error_line(InputError(f"file x.csv: column {'c' * 510!r} is not a price: " + "y " * 300))
    assert "is not a price" in line and len(line) <= 400
    assert line.startswith("file x.csv: column 'ccc") and line.endswith("y y y")

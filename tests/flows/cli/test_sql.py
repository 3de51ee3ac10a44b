"""``nextbar sql``: one statement, a table bounded by --max-rows, CSV and JSON streamed in
bounded memory, and a SQL error's caret shown on a terminal (one line elsewhere)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.connection import connect

NEXTBAR = shutil.which("nextbar") or str(Path(sys.executable).with_name("nextbar"))
MILLION = "select range as n, repeat('x', 100) as pad from range(1000000)"

# Runs the command in a Python process and appends its peak resident memory (KiB) to argv[1].
PEAK_MEMORY = """
import atexit, resource, sys
out = sys.argv[1]
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
atexit.register(lambda: open(out, "w").write(str(peak())))
sys.argv = ["nextbar", *sys.argv[2:]]
from flows.cli import main
main()
"""


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sql") / "w.duckdb"
    with connect(path):
        pass
    return path


def _sql(warehouse: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NEXTBAR, "sql", *args, "--warehouse", str(warehouse)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "COLUMNS": "80"},
        **kwargs,  # type: ignore[call-overload]
    )


def test_a_table_shows_at_most_max_rows_then_how_many_there_were(warehouse: Path) -> None:
    result = _sql(warehouse, "select * from range(1000000)")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        lines[-1]
        == "1,000 of 1,000,000 rows shown (--max-rows); all of them: --format csv or --format json"
    )
    assert sum(line.startswith("│") for line in lines) == 1000
    result = _sql(warehouse, "select * from range(5)", "--max-rows", "3")
    assert "3 of 5 rows shown" in result.stdout
    result = _sql(warehouse, "select * from range(3)", "--max-rows", "3")
    assert "rows shown" not in result.stdout


def _peak_kib(warehouse: Path, tmp_path: Path, query: str) -> tuple[int, int]:
    """Peak memory of `nextbar sql query --format csv`, and the CSV's line count."""
    peak, output = tmp_path / "peak", tmp_path / "out.csv"
    with output.open("w") as out:
        subprocess.run(
            [
                sys.executable,
                "-c",
                PEAK_MEMORY,
                str(peak),
                "sql",
                query,
                "--format",
                "csv",
                "--warehouse",
                str(warehouse),
            ],
            stdout=out,
            timeout=300,
            check=True,
        )
    with output.open("rb") as lines:
        count = sum(1 for _ in lines)
    return int(peak.read_text()), count


def test_csv_streams_a_million_rows_in_bounded_memory(warehouse: Path, tmp_path: Path) -> None:
    small, small_lines = _peak_kib(warehouse, tmp_path, MILLION.replace("1000000", "1000"))
    large, large_lines = _peak_kib(warehouse, tmp_path, MILLION)
    assert (small_lines, large_lines) == (1001, 1_000_001)
    # Held whole, the million rows would take ~150 MB of Python strings and tuples.
    assert large - small < 60 * 1024, f"{small} KiB for 1,000 rows, {large} KiB for 1e6"


def test_json_is_one_array_with_iso_dates_and_null_for_nan(warehouse: Path) -> None:
    query = (
        "select date '2024-05-27' as d, timestamp '2024-05-27 13:00:00' as t, "
        "'nan'::double as x, 1.50::decimal(4, 2) as m, null as v from range(2)"
    )
    result = _sql(warehouse, query, "--format", "json")
    assert result.returncode == 0, result.stderr
    record = {"d": "2024-05-27", "t": "2024-05-27T13:00:00", "x": None, "m": 1.5, "v": None}
    assert json.loads(result.stdout) == [record, record]
    assert json.loads(_sql(warehouse, "select 1 as a where false", "--format", "json").stdout) == []


def test_csv_writes_iso_dates_and_empty_nulls(warehouse: Path) -> None:
    result = _sql(warehouse, "select 1 as n, null as v, date '2024-05-27' as d", "--format", "csv")
    assert result.stdout == "n,v,d\n1,,2024-05-27\n"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_sql_error_on_a_terminal_keeps_the_caret_above_the_error_line(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.cli import main

    terminal = _Terminal()
    monkeypatch.setenv("NO_COLOR", "1")
    for name in ("NEXTBAR_DEBUG", "PREFECT_LOGGING_SETTINGS_PATH"):  # main() sets them
        monkeypatch.setenv(name, os.environ.get(name, ""))
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setattr(
        sys, "argv", ["nextbar", "sql", "select 1 +", "--warehouse", str(warehouse)]
    )
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 1
    assert terminal.getvalue().splitlines() == [
        "LINE 1: select 1 +",
        "                 ^",
        'error: Parser Error: syntax error at or near "+" (line 1, column 10)',
    ]


def test_an_escape_hidden_behind_a_first_statement_is_refused(
    warehouse: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    result = _sql(warehouse, f"select 1; copy (select 'x') to '{victim}'")
    assert result.returncode == 1 and "2 statements" in result.stderr
    assert not victim.exists()

"""The ingest flow on the bundled real history, and through the CLI as a user types it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.ingest import ingest
from warehouse.connection import connect

runner = CliRunner()


def _count(path: Path, sql: str) -> int:
    with connect(path, read_only=True) as con:
        row = con.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def test_bundled_ingest_of_both_symbols(warehouse_path: Path) -> None:
    results = ingest(source="bundled", warehouse=str(warehouse_path))
    by_symbol = {r.symbol: r for r in results}
    # Row counts of the two bundled files (see shared/data/README.md).
    assert by_symbol["600519.SH"].new == 2426
    assert by_symbol["BTC-USD"].new == 3541
    assert _count(warehouse_path, "select count(*) from bars where is_partial") == 1
    assert (
        _count(warehouse_path, "select count(*) from ingest_runs where status = 'succeeded'") == 2
    )


def test_ingesting_twice_changes_nothing(warehouse_path: Path) -> None:
    ingest(source="bundled", warehouse=str(warehouse_path))
    again = ingest(source="bundled", warehouse=str(warehouse_path), symbols=["BTC-USD"])
    assert (again[0].new, again[0].changed) == (0, 0)
    assert _count(warehouse_path, "select count(*) from bars") == 2426 + 3541
    assert _count(warehouse_path, "select count(*) from bar_revisions") == 0


def test_cli_ingest_then_sql(warehouse_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "ingest",
            "--source",
            "bundled",
            "--symbol",
            "BTC-USD",
            "--warehouse",
            str(warehouse_path),
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app,
        [
            "sql",
            "select symbol, count(*) as n from bars group by 1",
            "--format",
            "csv",
            "--warehouse",
            str(warehouse_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "BTC-USD,3541" in result.output


def test_cli_sql_is_read_only(warehouse_path: Path) -> None:
    runner.invoke(app, ["init", "--warehouse", str(warehouse_path)])
    result = runner.invoke(app, ["sql", "delete from symbols", "--warehouse", str(warehouse_path)])
    assert result.exit_code != 0
    assert _count(warehouse_path, "select count(*) from symbols") == 2


def test_unknown_symbol_fails_clearly(warehouse_path: Path) -> None:
    with pytest.raises(Exception, match=r"symbol 'NOPE\.XX' has an unknown exchange suffix"):
        ingest(symbols=["NOPE.XX"], source="bundled", warehouse=str(warehouse_path))
    with pytest.raises(Exception, match="no bundled history for 'ETH-USD'"):  # inferred, no file
        ingest(symbols=["ETH-USD"], source="bundled", warehouse=str(warehouse_path))

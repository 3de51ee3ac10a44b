"""The daily step from the command line: ``run``, ``replay``, ``serve``, and their printing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli.app import (
    SymbolsOpt,
    WarehouseOpt,
    app,
    check_range,
    parse_date,
    show_progress,
    warehouse_path,
    with_step_options,
)
from flows.output import console, print_frame, quiet_backend, replay_progress

if TYPE_CHECKING:
    from pipeline.reporting.reports import DailyReport


@app.command()
@with_step_options
def run(
    symbol: SymbolsOpt = None,
    source: Annotated[
        str | None,
        typer.Option(help="tushare | yfinance | bundled [default: sources.default, per symbol]"),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Run as of this day (default: newest bar)")
    ] = None,
    skip_ingest: Annotated[
        bool, typer.Option("--skip-ingest", help="Use the stored bars; fetch nothing")
    ] = False,
    warehouse: WarehouseOpt = None,
    **step: Any,
) -> None:
    """The daily flow: ingest, split, train or fine-tune, forecast the next trading day, score."""
    from flows.common import resolve_symbols
    from flows.daily import daily

    resolve_symbols(symbol)  # an unreadable code or watch list fails here, in one line
    quiet_backend()
    show_progress()
    path = warehouse_path(warehouse)
    from flows.progress import ingest_progress

    with ingest_progress():  # a watch list's ingest: a bar over its symbols
        report = daily(
            symbols=symbol,
            source=source,
            as_of=parse_date(as_of, "--as-of"),
            skip_ingest=skip_ingest,
            warehouse=str(path),
            **step,
        )
    print_daily(report, path)


@app.command()
@with_step_options
def replay(
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="Symbol to replay")],
    start: Annotated[str, typer.Option(help="First as-of day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option(help="Last as-of day, YYYY-MM-DD")],
    warehouse: WarehouseOpt = None,
    processes: Annotated[
        int | None,
        typer.Option(
            min=1, help="Processes a retrain day's recurrent fits share [default: one per core]"
        ),
    ] = None,
    **step: Any,
) -> None:
    """Walk-forward backtest: the daily step as of each stored trading day, bars known that day."""
    from flows.replay import replay as replay_flow

    start_day, end_day = parse_date(start, "--start"), parse_date(end, "--end")
    check_range(start_day, end_day)
    assert start_day is not None and end_day is not None
    path = warehouse_path(warehouse)
    quiet_backend()
    with replay_progress():
        days = replay_flow(
            symbol=symbol,
            start=start_day,
            end=end_day,
            warehouse=str(path),
            processes=processes,
            **step,
        )
    console.print(f"replayed {len(days)} trading days of {symbol} ({start_day} .. {end_day})")
    print_leaderboard(path, [symbol])


@app.command()
def serve(
    warehouse: WarehouseOpt = None,
    limit: Annotated[
        int | None, typer.Option(help="Most runs at once [default: 1, one writer]")
    ] = None,
) -> None:
    """Run every deployment on its schedule in this process (Ctrl-C stops); no work pool needed."""
    from flows.serve import serve_deployments

    # Served runs log to the Prefect UI; the temporary server (no PREFECT_API_URL) can take
    # longer than Prefect's default 20 s to start on a small machine.
    os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    serve_deployments(warehouse=str(warehouse) if warehouse else None, limit=limit)


def print_daily(report: DailyReport, path: Path) -> None:
    """Next-day forecasts, the latest scores and the leaderboard, naive beside every model."""
    for day in report.days:
        if day.status == "skipped":
            console.print(f"{day.symbol}: skipped: {day.reason}")
    print_frame(report.forecasts, title="next trading day: champion forecast, intervals, naive")
    print_frame(report.last_scored, title="latest scored champion forecast (accuracy beside naive)")
    print_leaderboard(path, list(report.forecasts["symbol"]))
    for plot in report.plots:
        console.print(f"chart: {plot}")


def print_leaderboard(path: Path, symbols: list[str]) -> None:
    """Every model's scored forecasts beside naive (all windows)."""
    from warehouse.connection import connect
    from warehouse.forecasts import leaderboard

    with connect(path, read_only=True) as con:
        board = leaderboard(con, symbols)
    columns = [
        "symbol",
        "target",
        "model",
        "n",
        "mae",
        "naive_mae",
        "skill_vs_naive",
        "is_beating_naive",
        "dm_p_value_better",
        "mean_accuracy",
        "naive_mean_accuracy",
        "direction_accuracy",
        "coverage_80",
        "coverage_95",
    ]
    print_frame(board[columns], title="leaderboard: scored forecasts, every model beside naive")
    distribution = [
        "symbol",
        "target",
        "model",
        "interval_score_80",
        "naive_interval_score_80",
        "interval_score_95",
        "naive_interval_score_95",
        "pinball_loss",
        "naive_pinball_loss",
        "is_beating_naive_interval",
        "coverage_95_low_vol",
        "coverage_95_high_vol",
        "mean_width_95",
    ]
    print_frame(
        board[distribution],
        title="leaderboard: tomorrow's distribution beside the probabilistic baseline (naive)",
    )

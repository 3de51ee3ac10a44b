"""The daily step from the command line: ``run``, ``replay``, ``serve``, and their printing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli.app import (
    SymbolsOpt,
    VerboseOpt,
    WarehouseOpt,
    WideOpt,
    app,
    check_range,
    parse_date,
    warehouse_path,
    with_step_options,
)
from flows.output import OutputFormat, console, print_frame, quiet_backend
from flows.progress import fit_progress, replay_progress, running_score

if TYPE_CHECKING:
    import pandas as pd

    from pipeline.reporting.reports import DailyReport
    from pipeline.reporting.summary import SymbolSummary


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
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Refit even when the day already ran on the same bars and settings"
        ),
    ] = False,
    verbose: VerboseOpt = False,
    warehouse: WarehouseOpt = None,
    **step: Any,
) -> None:
    """The daily flow: ingest, split, train or fine-tune, forecast the next trading day, score."""
    from flows.common import resolve_symbols
    from flows.daily import daily, reused_report

    resolve_symbols(symbol)  # an unreadable code or watch list fails here, in one line
    path = warehouse_path(warehouse)
    day = parse_date(as_of, "--as-of")
    # Nothing new at the source (or nothing fetched) and every day already run on the same
    # inputs: no need to start Prefect.
    report = None
    if not force:
        report = reused_report(symbol, day, source, str(path), ask_source=not skip_ingest, **step)
    if report is None:
        from flows.progress import ingest_progress

        # a watch list's ingest: a bar over its symbols; then a bar per fit stage
        with fit_progress(verbose), ingest_progress():
            report = daily(
                symbols=symbol,
                source=source,
                as_of=day,
                skip_ingest=skip_ingest,
                warehouse=str(path),
                force=force,
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
    wide: WideOpt = False,
    **step: Any,
) -> None:
    """Walk-forward backtest: the daily step as of each stored trading day, bars known that day."""
    from flows.replay import replay as replay_flow

    start_day, end_day = parse_date(start, "--start"), parse_date(end, "--end")
    check_range(start_day, end_day)
    assert start_day is not None and end_day is not None
    path = warehouse_path(warehouse)
    quiet_backend()
    with replay_progress() as bar:
        days = replay_flow(
            symbol=symbol,
            start=start_day,
            end=end_day,
            warehouse=str(path),
            **step,
        )
    board = load_leaderboard(path, [symbol])
    print_replay_summary(symbol, [d.as_of for d in days], bar.last, board)
    print_leaderboard(board, wide=wide)


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
    """Per symbol: tomorrow's forecast and interval, and each champion's skill against naive
    (``loses to naive`` where it does); the charts; where the full leaderboard is."""
    for day in report.days:
        if day.status == "skipped":
            console.print(f"{day.symbol}: skipped: {day.reason}", highlight=False)
        elif day.status == "reused":
            console.print(f"{day.symbol}: {day.reason}", highlight=False)
    for summary in report.summaries:
        print_summary(summary)
    for plot in report.plots:
        console.print(f"chart: {plot}", highlight=False, soft_wrap=True)
    for summary in report.summaries:
        console.print(
            f"every model beside naive: {next_command('models', path, summary.symbol)}",
            highlight=False,
            soft_wrap=True,
        )


def print_summary(summary: SymbolSummary) -> None:
    """One symbol's next-day forecast, interval and champions, in at most 80 columns."""
    from rich.padding import Padding
    from rich.table import Table

    console.print(f"[bold]{summary.heading()}[/bold]", highlight=False)
    forecast = Table.grid(padding=(0, 2))
    forecast.add_column()
    forecast.add_column(justify="right")
    forecast.add_column()
    for row in summary.forecast_rows():
        forecast.add_row(*row)
    champions = Table.grid(padding=(0, 2))
    for right in (False, False, True, True, False):
        champions.add_column(justify="right" if right else "left")
    for champion in summary.champions:
        *cells, verdict = champion.cells()
        style = "bold red" if verdict == "loses to naive" else ""
        champions.add_row(*cells, f"[{style}]{verdict}[/]" if style else verdict)
    console.print(Padding(forecast, (0, 0, 0, 2), expand=False))
    console.print(Padding(champions, (0, 0, 0, 2), expand=False))


def warehouse_flag(path: Path) -> str:
    """`` --warehouse PATH`` where ``path`` is not the default warehouse, else nothing."""
    from pipeline.settings import load_settings

    return "" if path.resolve() == load_settings().warehouse.resolve() else f" --warehouse {path}"


def next_command(command: str, path: Path, symbol: str | None = None) -> str:
    """A command to try next, with ``--warehouse`` where the warehouse is not the default."""
    return f"nextbar {command}" + (f" --symbol {symbol}" if symbol else "") + warehouse_flag(path)


def print_replay_summary(
    symbol: str, days: list[Any], last: dict[str, Any] | None, board: pd.DataFrame | None
) -> None:
    """Which days a replay covers, its champions' MAE beside naive's on them, and why the
    leaderboard's counts may differ (it scores every stored forecast of the symbol)."""
    span = f": as of {min(days)} .. {max(days)}" if days else ""
    console.print(f"replayed {len(days)} trading days of {symbol}{span}", highlight=False)
    if last is not None:
        console.print(f"  each day's {running_score(last)}", highlight=False)
    if board is None:
        return
    naive = board[board["model"] == "naive"]
    n = int(naive["n"].iloc[0]) if not naive.empty else 0
    console.print(
        f"  the leaderboard below counts every scored {symbol} forecast in the warehouse "
        f"({n} for naive: this replay, earlier ones and live runs)",
        highlight=False,
    )


def load_leaderboard(path: Path, symbols: list[str]) -> pd.DataFrame:
    """The leaderboard (all scored days) of ``symbols``."""
    from warehouse.connection import connect
    from warehouse.forecasts import leaderboard

    with connect(path, read_only=True) as con:
        return leaderboard(con, symbols)


# The leaderboard's columns in the order shown: the key ones first, the rest as width allows.
LEADERBOARD_KEY = ["symbol", "model", "n", "mae", "naive_mae", "skill_vs_naive", "verdict"]


def print_leaderboard(
    board: pd.DataFrame, fmt: OutputFormat = OutputFormat.table, wide: bool = False
) -> None:
    """Every model's scored forecasts beside naive, with its verdict (all windows' columns;
    those the terminal cannot hold are named under the table)."""
    from pipeline.reporting.summary import verdict

    verdicts = [
        verdict(m, None if s != s else s, b)
        for m, s, b in zip(
            board["model"], board["skill_vs_naive"], board["is_beating_naive"], strict=True
        )
    ]
    shown = board.assign(verdict=verdicts).drop(columns=["window_name"], errors="ignore")
    if shown["symbol"].nunique() == 1:  # one symbol's board: the title names it
        title = f"{shown['symbol'].iloc[0]} leaderboard: scored forecasts, every model beside naive"
        shown = shown.drop(columns=["symbol"])
    else:
        title = "leaderboard: scored forecasts, every model beside naive"
    print_frame(
        shown,
        fmt,
        title=title,
        key=LEADERBOARD_KEY,
        wide=wide,
    )

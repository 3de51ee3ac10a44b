"""Commands about models: ``train`` and ``models``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from flows.cli.app import (
    FLAGS,
    VerboseOpt,
    WarehouseOpt,
    WideOpt,
    app,
    models_option,
    parse_date,
    step_flags,
    warehouse_path,
    with_step_flags,
)
from flows.cli.checks import check_stored, symbols_named
from flows.output import OutputFormat, console, print_frame
from pipeline.step_options import TRAIN_OPTIONS

# The flags of train's step options (every one but the seed: settings' model.seed) where they
# differ from run's and replay's; the others are theirs (flows.cli.app.step_flags)
TRAIN_FLAGS = step_flags(
    [name for name in TRAIN_OPTIONS if name != "seed"],
    {
        **FLAGS,
        "models": Annotated[list[str] | None, models_option("all")],
        "epochs": Annotated[
            int | None,
            typer.Option(
                min=1, help="Most epochs, early stopping on validation [default: preset's]"
            ),
        ],
        "window": Annotated[
            int | None, typer.Option(min=1, help="Bars per input window [default: preset's]")
        ],
        "test_size": Annotated[
            int | None,
            typer.Option("--test-size", min=1, help="Last N targets scored as test [300]"),
        ],
        "validation_size": Annotated[
            int | None,
            typer.Option(
                "--validation-size", min=1, help="Targets before test for early stopping [120]"
            ),
        ],
    },
)


@app.command()
@with_step_flags(TRAIN_FLAGS, after="symbol")
def train(
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="Symbol to train")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Use only bars dated <= this day")
    ] = None,
    search_budget: Annotated[
        int | None,
        typer.Option(
            "--search-budget",
            min=0,
            help="Configs drawn per model (linear, gru, lstm) beside the preset's own, ranked on "
            "validation; 0: no search [default: preset's, 4 for default, 0 for seed]",
        ),
    ] = None,
    verbose: VerboseOpt = False,
    warehouse: WarehouseOpt = None,
    **step: Any,
) -> None:
    """Train models on a fresh split; print each one beside naive.

    Rebuilds the split from the stored bars, draws configs per model and ranks them on
    validation only, fits, stores the runs and prints every model's test MAE beside naive's.
    """
    day = parse_date(as_of, "--as-of")
    path = warehouse_path(warehouse)
    from flows.progress import fit_progress
    from flows.train import train as train_flow

    with fit_progress(verbose):
        report = train_flow(
            symbol=symbol,
            as_of=day,
            search_budget=search_budget,
            warehouse=str(path),
            **step,
        )
    if not report.search.empty:
        print_frame(
            report.search.drop(columns=["run_id", "status"]),
            title=f"{symbol}: configs tried on validation only (the test range unseen)",
        )
    print_frame(
        report.table,
        title=f"{symbol}: every model beside the naive baseline (MAE, {report.target})",
    )
    if report.plot:
        console.print(f"chart: {report.plot}")


@app.command()
def models(
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="Symbol")],
    limit: Annotated[int, typer.Option(help="Most rows")] = 30,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="Output format")
    ] = OutputFormat.table,
    wide: WideOpt = False,
    warehouse: WarehouseOpt = None,
) -> None:
    """List a symbol's model runs beside naive, and its champion.

    Each run's MAE, interval and pinball scores beside naive's, the scored forecasts'
    distribution scores, and the champion.
    """
    from flows.cli.daily import print_leaderboard
    from warehouse.connection import connect
    from warehouse.forecasts import distribution_scores, leaderboard
    from warehouse.models import current_champion, list_runs

    path = warehouse_path(warehouse)
    check_stored(path, symbols_named(symbol))
    with connect(path, read_only=True) as con:
        runs = list_runs(con, symbol, limit)
        champion = current_champion(con, symbol)
        scores = distribution_scores(con, symbol)
        board = leaderboard(con, [symbol])
    print_frame(runs, fmt, title=f"{symbol}: model runs", wide=wide)
    if fmt is OutputFormat.table:
        print_leaderboard(board, wide=wide)
        if not scores.empty:
            print_frame(
                scores,
                wide=wide,
                title=f"{symbol}: scored forecasts' distribution beside the probabilistic "
                "baseline (naive, flat 60-error window)",
            )
        if champion:
            console.print(
                f"champion: {champion['model']} (validation MAE {champion['validation_mae']:.4f}, "
                f"run {champion['run_id']})"
            )
        else:
            console.print("no champion yet: run `nextbar train --symbol " + symbol + "`")

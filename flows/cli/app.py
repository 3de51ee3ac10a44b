"""The ``nextbar`` Typer app, its shared options and helpers; commands live beside it."""

from __future__ import annotations

import logging
import os
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

# Quiet Prefect's console chatter and telemetry unless the user asked otherwise.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Prefect's temporary server gets 20 s to start by default: too few on a busy 2-core machine.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# TensorFlow's C++ start-up chatter (no CUDA on a CPU machine, CPU features) is not for users.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

app = typer.Typer(
    help="nextbar: next-trading-day price forecasts, always beside the naive baseline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


WarehouseOpt = Annotated[
    Path | None,
    typer.Option(
        "--warehouse",
        envvar="NEXTBAR_WAREHOUSE",
        help="DuckDB file [default: ./data/nextbar.duckdb]",
    ),
]


PresetOpt = Annotated[
    str, typer.Option(help="default (the best found on validation) | seed (the tutorials' setup)")
]


SymbolsOpt = Annotated[
    list[str] | None, typer.Option("--symbol", "-s", help="Symbol (repeatable); default all")
]


ModelsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--models",
        "-m",
        help="Model kinds (repeatable) [default: naive drift linear gru lstm ensemble "
        "naive_ewma naive_garch naive_har gru_dist lstm_dist]",
    ),
]


RetrainOpt = Annotated[
    int, typer.Option("--retrain-every", help="Full retrain every N trading days")
]


FinetuneOpt = Annotated[
    int, typer.Option("--finetune-epochs", help="Epochs of a warm-start fine-tune")
]


EpochsOpt = Annotated[
    int | None, typer.Option("--epochs", help="Most epochs of a full retrain [default: preset's]")
]


HistoryOpt = Annotated[
    int | None, typer.Option("--history-bars", help="Train on the newest N bars only")
]


def parse_date(value: str | None) -> date | None:
    """A YYYY-MM-DD option value as a date."""
    return datetime.strptime(value, "%Y-%m-%d").date() if value else None


def warehouse_path(path: Path | None) -> Path:
    """The --warehouse option, else the settings' warehouse."""
    from pipeline.settings import Settings

    return path or Settings().warehouse


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors")] = False,
) -> None:
    os.environ["NEXTBAR_DEBUG"] = "1" if debug else ""


def show_progress() -> None:
    """Show per-epoch progress (``nextbar.progress``) through Prefect's console handler."""
    logging.getLogger("nextbar").setLevel(logging.INFO)

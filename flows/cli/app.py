"""The ``nextbar`` Typer app, its shared options and helpers; commands live beside it."""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.quiet_logging import use_quiet_console

# Quiet Prefect's console chatter and telemetry unless the user asked otherwise.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")  # the client's telemetry notice (it ignores the above)
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
    str | None,
    typer.Option(
        help="default (the best found on validation) | seed (the tutorials' setup) "
        "[default: settings' model.preset, else default]"
    ),
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
    int | None,
    typer.Option("--retrain-every", min=1, help="Full retrain every N trading days [default: 5]"),
]


FinetuneOpt = Annotated[
    int | None,
    typer.Option("--finetune-epochs", min=0, help="Epochs of a warm-start fine-tune [default: 3]"),
]


TargetOpt = Annotated[str | None, typer.Option(help="close | open | high | low [default: close]")]


EpochsOpt = Annotated[
    int | None,
    typer.Option("--epochs", min=1, help="Most epochs of a full retrain [default: preset's]"),
]


HistoryOpt = Annotated[
    int | None, typer.Option("--history-bars", min=1, help="Train on the newest N bars only")
]


PolicyOpt = Annotated[
    str | None,
    typer.Option(
        help="Between full retrains: finetune daily, or keep the weights frozen (fast) "
        "[default: finetune for run, frozen for replay]"
    ),
]


VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Print every epoch's losses, not a bar per stage")
]


WideOpt = Annotated[bool, typer.Option("--wide", help="Print every column, however wide")]


# The options of every command that runs the daily step (``run``, ``replay``); None: as the
# settings say (nextbar.toml, NEXTBAR_*), whose defaults the help texts show.
STEP_OPTIONS: dict[str, Any] = {
    "models": ModelsOpt,
    "retrain_every": RetrainOpt,
    "finetune_epochs": FinetuneOpt,
    "epochs": EpochsOpt,
    "history_bars": HistoryOpt,
    "target": TargetOpt,
    "preset": PresetOpt,
    "policy": PolicyOpt,
}


def with_step_options(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` with STEP_OPTIONS added to its options; it receives them in ``**step``."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=hint)
        for name, hint in STEP_OPTIONS.items()
    ]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> None:
        command(**kwargs)

    wrapper.__signature__ = signature.replace(parameters=[*own, *added])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in [*own, *added]}
    return wrapper


def parse_date(value: str | None, option: str = "date") -> date | None:
    """A YYYY-MM-DD option value as a date; a bad one names the option."""
    from pipeline.errors import InputError

    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise InputError(f"{option} {value!r}: not a date (YYYY-MM-DD)") from None


def check_range(start: date | None, end: date | None) -> None:
    """--start must not be after --end."""
    from pipeline.errors import InputError

    if start and end and start > end:
        raise InputError(f"--start {start} is after --end {end}")


def warehouse_path(path: Path | None) -> Path:
    """The --warehouse option, else the settings' warehouse."""
    from pipeline.settings import load_settings

    return path or load_settings().warehouse


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors")] = False,
) -> None:
    os.environ["NEXTBAR_DEBUG"] = "1" if debug else ""
    if not debug:
        use_quiet_console()

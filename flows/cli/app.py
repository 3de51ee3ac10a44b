"""The ``nextbar`` Typer app, its shared options and helpers; commands live beside it."""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click import Context
from typer.core import TyperOption

from flows.cli.checks import check_options
from flows.cli.checks import check_range as check_range
from flows.cli.checks import parse_date as parse_date
from flows.cli.checks import warehouse_path as warehouse_path
from flows.quiet_logging import use_quiet_console
from pipeline.step_options import DAY_OPTIONS, StepOptions

# Quiet Prefect's console chatter and telemetry unless the user asked otherwise.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")  # the client's telemetry notice (it ignores the above)
# Prefect's temporary server gets 20 s to start by default: too few on a busy 2-core machine.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# TensorFlow's C++ start-up chatter (no CUDA on a CPU machine, CPU features) is not for users.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _flag_shows_no_type(option: TyperOption, ctx: Context) -> str | None:
    """A flag takes no value: help shows no ``<bool>`` beside it."""
    return None if option.is_flag else _display_type(option, ctx)


_display_type = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_shows_no_type  # type: ignore[method-assign,assignment]

app = typer.Typer(
    help="nextbar: next-trading-day price forecasts, always beside the naive baseline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Markdown joins a docstring's wrapped lines, and shows "[default: …]" (rich markup took
    # it for a style tag and dropped it).
    rich_markup_mode="markdown",
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
    list[str] | None,
    typer.Option("--symbol", "-s", help="Symbol (repeatable) [default: the watch list]"),
]


# Every kind the training step knows (pipeline.models.registry.STEP_KINDS) and ``all``;
# tests/flows/cli/test_help.py checks that none is missing.
MODEL_CHOICES = (
    "naive | drift | linear | rnn | gru | lstm | naive_ewma | naive_garch | naive_har | "
    "naive_vol | gru_dist | lstm_dist | ensemble | gru_global | lstm_global | "
    "all (every single model)"
)


def models_option(default: str) -> Any:
    """``--models`` (also ``--model``, ``-m``): model kinds, repeatable."""
    return typer.Option(
        "--models",
        "--model",
        "-m",
        help=f"Model kind, repeatable: {MODEL_CHOICES} [default: {default}]",
    )


ModelsOpt = Annotated[
    list[str] | None,
    models_option(
        "settings' model.models, else naive drift linear gru lstm ensemble naive_ewma "
        "naive_garch naive_har gru_dist lstm_dist"
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


TargetOpt = Annotated[
    str | None,
    typer.Option(help="The price to forecast: open | high | low | close [default: close]"),
]


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
        help="Between full retrains: finetune (daily) | frozen (keep the weights: fast) "
        "[default: finetune for run, frozen for replay]"
    ),
]


VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="Print every epoch's losses, not a bar per stage")
]


WideOpt = Annotated[bool, typer.Option("--wide", help="Print every column, however wide")]


# The flags of the step options whose help says more than the option's description
FLAGS: dict[str, Any] = {
    "models": ModelsOpt,
    "retrain_every": RetrainOpt,
    "finetune_epochs": FinetuneOpt,
    "epochs": EpochsOpt,
    "history_bars": HistoryOpt,
    "target": TargetOpt,
    "preset": PresetOpt,
    "policy": PolicyOpt,
}


def generated_flag(name: str) -> Any:
    """The flag ``--name`` of a step option, its help the option's description."""
    field = StepOptions.model_fields[name]
    flag = typer.Option(f"--{name.replace('_', '-')}", help=field.description)
    return Annotated[field.annotation, flag]


def step_flags(names: Iterable[str], flags: Mapping[str, Any] = FLAGS) -> dict[str, Any]:
    """The flags of the step options ``names``: each one's in ``flags``, else generated."""
    return {name: flags.get(name) or generated_flag(name) for name in names}


def with_step_flags(
    flags: Mapping[str, Any], *, after: str | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """A command with ``flags`` (step options' flags by name) added to its options, after its
    option ``after`` (None: last); it receives them in ``**step``, after
    :func:`flows.cli.checks.check_options` has checked all of its options."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(command, eval_str=True)
        keyword = inspect.Parameter.KEYWORD_ONLY  # the wrapper takes keywords only
        given = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
        own = [p.replace(kind=keyword) for p in given]
        added = [
            inspect.Parameter(name, keyword, default=None, annotation=hint)
            for name, hint in flags.items()
        ]
        at = [p.name for p in own].index(after) + 1 if after else len(own)
        parameters = [*own[:at], *added, *own[at:]]

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> None:
            # Every option before any work; bars must be stored unless the command ingests first.
            check_options(kwargs, stored=bool(kwargs.get("skip_ingest", True)))
            command(**kwargs)

        wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
        return wrapper

    return decorate


# The options of every command that runs the daily step (``run``, ``replay``), as the flows
# take them (pipeline.step_options.DAY_OPTIONS); None: as the settings say (nextbar.toml,
# NEXTBAR_*), whose defaults the help texts show.
STEP_OPTIONS: dict[str, Any] = step_flags(DAY_OPTIONS)
with_step_options = with_step_flags(STEP_OPTIONS)


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors")] = False,
) -> None:
    os.environ["NEXTBAR_DEBUG"] = "1" if debug else ""
    if not debug:
        use_quiet_console()

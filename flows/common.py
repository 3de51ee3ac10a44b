"""What every flow shares: settings with the secret resolved, the retry policy, the warehouse
opening, where splits are kept, and recording runs and champions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
from prefect import Task, get_run_logger
from prefect.tasks import exponential_backoff
from pydantic import SecretStr

from flows.calendars import configure_calendars
from flows.concurrency import warehouse_writer
from flows.symbols import resolve_symbols as resolve_symbols  # one place: no Prefect there
from pipeline.data.calendars import today_in
from pipeline.data.horizons import horizon_warning
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import TransientSourceError
from pipeline.evaluation.champion import champion_of
from pipeline.settings import Settings
from pipeline.settings import load_settings as settings_from
from pipeline.splits.split import Split
from pipeline.training.jobs import ModelOutcome
from warehouse.connection import connect
from warehouse.models import record_champion, record_run, record_split

RETRIES = 3
RETRY_DELAYS = exponential_backoff(backoff_factor=10)


def retry_transient_only(task: Task, task_run: object, state: object) -> bool:
    """Retry network and rate-limit failures; never validation or credential errors."""
    try:
        state.result()  # type: ignore[attr-defined]
    except TransientSourceError:
        return True
    except Exception:
        return False
    return False


def load_settings(warehouse: str | None = None) -> Settings:
    """The settings (pipeline.settings.load_settings), ``warehouse`` over them; the token from
    the Prefect Secret block when it is not set."""
    settings = settings_from(warehouse=warehouse)
    if settings.tushare_token is None and not os.environ.get("NEXTBAR_NO_SECRET_BLOCK"):
        settings = settings.model_copy(update={"tushare_token": _secret_block_token()})
    configure_calendars(settings)
    return settings


def warn_calendar_horizons(infos: list[SymbolInfo], today: date | None = None) -> list[str]:
    """One warning line per calendar of ``infos`` within 30 days of its horizon (or past it)
    that nothing covers past it yet (pipeline.data.calendars.horizon_warning); the lines."""
    lines = {}
    for info in infos:
        if info.calendar not in lines:
            lines[info.calendar] = horizon_warning(info, today or today_in(info))
    warned = [line for line in lines.values() if line]
    for line in warned:
        get_run_logger().warning(line)
    return warned


def _secret_block_token() -> SecretStr | None:
    """The Prefect Secret block ``tushare-token``, when one is configured."""
    from prefect.blocks.system import Secret

    try:
        block = Secret.load("tushare-token")
    except (ValueError, RuntimeError):
        return None
    return SecretStr(str(block.get()))  # type: ignore[union-attr]


@contextmanager
def open_warehouse(
    settings: Settings, *, read_only: bool = False
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, opened while holding the ``warehouse-writer`` slot where one is configured.

    DuckDB lets one process hold the file; runs are processes, so every opening waits its turn
    (readers too: a read-only open fails while another process writes).
    """
    with warehouse_writer(), connect(settings.warehouse, read_only=read_only) as con:
        yield con


def keep_split(con: duckdb.DuckDBPyConnection, settings: Settings, split: Split) -> Path:
    """Record ``split`` in the warehouse and save its arrays where the trainers read them."""
    record_split(con, split.to_record())
    return split.save(settings.splits_dir / f"{split.split_id}.npz")


def record_outcomes(
    con: duckdb.DuckDBPyConnection,
    symbol: str,
    outcomes: list[ModelOutcome],
    *,
    purpose: str,
    preset: str,
    selection: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Store every run with its metrics and predictions; ``selection`` adds, per model, how its
    config was chosen (``hyperparameters.search``)."""
    for o in outcomes:
        search = {"search": selection[o.model]} if selection and o.model in selection else {}
        record_run(con, o.to_record(symbol=symbol, purpose=purpose, preset=preset, **search))


def record_champion_of(
    con: duckdb.DuckDBPyConnection, symbol: str, outcomes: list[ModelOutcome]
) -> ModelOutcome | None:
    """Record the outcomes' champion (lowest validation MAE, never test) from now on."""
    champion = champion_of(outcomes)
    if champion is not None:
        record_champion(
            con,
            symbol=symbol,
            run_id=champion.run_id,
            model=champion.model,
            split_id=champion.split_id,
            validation_mae=champion.metric("validation", "mae") or 0.0,
            chosen_at=datetime.now(tz=UTC),
        )
    return champion

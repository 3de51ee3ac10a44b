"""What every flow shares: settings with the secret resolved, the retry policy, the warehouse
opening and where splits are kept."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from prefect import Task
from prefect.tasks import exponential_backoff
from pydantic import SecretStr

from flows.concurrency import warehouse_writer
from pipeline.config import configured_symbols, watch_list
from pipeline.data.calendars import use_extra_sessions
from pipeline.data.sources.tushare_pro import TushareSource
from pipeline.data.symbols import SymbolInfo, get_symbol
from pipeline.errors import TransientSourceError
from pipeline.settings import Settings
from pipeline.splits.split import Split
from warehouse.connection import connect
from warehouse.models import record_split

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
    """Settings from the environment; warehouse overridden; token from a Secret block if unset."""
    settings = Settings()
    if warehouse:
        settings = settings.model_copy(update={"warehouse": Path(warehouse)})
    if settings.tushare_token is None and not os.environ.get("NEXTBAR_NO_SECRET_BLOCK"):
        settings = settings.model_copy(update={"tushare_token": _secret_block_token()})
    if settings.tushare_token is not None:
        # XSHG holidays are published yearly: past the library's last year, ask tushare.
        token = settings.tushare_token.get_secret_value()
        use_extra_sessions(TushareSource(token).trade_cal)
    return settings


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


def resolve_symbols(symbols: list[str] | None) -> list[SymbolInfo]:
    """The named symbols (configured, else inferred from their codes), or the whole watch list."""
    if not symbols:
        return list(watch_list())
    known = configured_symbols()
    return [get_symbol(s.strip().upper(), known) for s in symbols]

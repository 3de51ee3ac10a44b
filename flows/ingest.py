"""Flow ``ingest``: fetch each symbol's new bars, validate them, store them losslessly."""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact

from flows.common import (
    RETRIES,
    RETRY_DELAYS,
    load_settings,
    open_warehouse,
    resolve_symbols,
    retry_transient_only,
)
from pipeline.data import ingest as plan
from pipeline.data.bars import in_volume_unit
from pipeline.data.batch_ingest import Prefetched, fetch_in_batches
from pipeline.data.calendars import find_gaps, today_in
from pipeline.data.symbols import SymbolInfo
from pipeline.data.validation import validate_bars
from pipeline.errors import NextbarError, SourceError, WarehouseBusyError, error_text
from pipeline.settings import Settings
from warehouse.bars import close_range, last_bar_date, last_bar_dates, volume_unit
from warehouse.deferred_failures import defer_failed_ingest, record_deferred_failures
from warehouse.ingests import IngestRequest, record_failed_ingest, store_ingest
from warehouse.symbols import sync_symbols

progress_log = logging.getLogger("nextbar.ingest")  # one record per symbol: a progress bar
# From this many symbols an ingest runs in chunks (flows.ingest_chunks): a task and one
# warehouse opening per chunk, not three tasks and two openings per symbol.
MANY_SYMBOLS = 20


@dataclass(frozen=True)
class SymbolIngest:
    """One row of the ingest summary."""

    symbol: str
    source: str
    start: date | None
    end: date | None
    fetched: int
    new: int
    changed: int
    unchanged: int
    rejected: int
    gaps: int
    status: str
    error: str | None = None
    duplicates: int = 0  # exact duplicate rows in a file, stored once


@dataclass(frozen=True)
class IngestOptions:
    """What the user asked of every symbol's ingest."""

    source: str | None = None
    start: date | None = None
    end: date | None = None
    file: str | None = None
    replace: bool = False
    ignore_code: bool = False  # import a file that names another instrument


@task(name="prepare-warehouse")
def prepare_warehouse(
    settings: Settings, symbols: list[SymbolInfo], options: IngestOptions, asked: list[str]
) -> None:
    """Create or upgrade the warehouse and register the symbols.

    If another process holds the warehouse past the lock wait, each asked symbol's failure
    is kept beside the warehouse and recorded in ``ingest_runs`` by the next ingest.
    """
    try:
        with open_warehouse(settings) as con:
            sync_symbols(con, symbols)
            record_deferred_failures(con, settings.warehouse)
    except WarehouseBusyError as exc:
        for symbol in asked:
            defer_failed_ingest(settings.warehouse, make_request(symbol, options), error_text(exc))
        raise


def make_request(symbol: str, options: IngestOptions) -> IngestRequest:
    return IngestRequest(
        run_id=str(uuid.uuid4()),
        symbol=symbol,
        source="file" if options.file else (options.source or "default"),
        start=options.start,
        end=options.end,
        started_at=datetime.now(tz=UTC),
        replace=options.replace,
    )


@task(name="plan-range", task_run_name="plan-range-{info.symbol}")
def plan_range(
    info: SymbolInfo, settings: Settings, start: date | None, end: date | None
) -> tuple[date, date]:
    """Decide which dates to fetch."""
    with open_warehouse(settings) as con:
        last = last_bar_date(con, info.symbol)
    return plan.plan_range(info, last, settings, start=start, end=end)


@task(
    name="fetch-bars",
    task_run_name="fetch-bars-{info.symbol}",
    retries=RETRIES,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient_only,
)
def fetch_bars(
    info: SymbolInfo, source: str, settings: Settings, span: tuple[date, date]
) -> plan.Fetched:
    """Fetch bars from the network or the bundled history (retried on transient errors only)."""
    return plan.fetch_bars(plan.make_source(source, info, settings), info, *span)


@task(name="fetch-batched")
def fetch_batched(
    infos: list[SymbolInfo], options: IngestOptions, settings: Settings
) -> dict[str, Prefetched]:
    """Fetch the symbols worth batching: A-shares by trading date, Yahoo tickers in chunks."""
    with open_warehouse(settings, read_only=True) as con:
        last = last_bar_dates(con, [i.symbol for i in infos])
    sources = {i.symbol: options.source or i.default_source for i in infos}
    return fetch_in_batches(infos, sources, last, settings, start=options.start, end=options.end)


def store_into(
    con: duckdb.DuckDBPyConnection, info: SymbolInfo, fetched: plan.Fetched, request: IngestRequest
) -> SymbolIngest:
    """Validate, then upsert in one transaction on an open warehouse; report counts and gaps."""
    bars = in_volume_unit(fetched.bars, volume_unit(con, info.symbol))
    checked = validate_bars(bars, today=today_in(info), series_range=close_range(con, info.symbol))
    counts = store_ingest(
        con, request, checked.valid, checked.rejected, duplicates=fetched.duplicates
    )
    stored = con.execute(
        "select date from bars where symbol = ? order by date", [info.symbol]
    ).fetchall()
    gaps = find_gaps(info, [row[0] for row in stored])
    if gaps:
        get_run_logger().warning(
            "%s: %d trading days have no bar (suspensions?), e.g. %s",
            info.symbol,
            len(gaps),
            ", ".join(d.isoformat() for d in gaps[:5]),
        )
    return SymbolIngest(
        symbol=info.symbol,
        source=fetched.source,
        start=request.start,
        end=request.end,
        gaps=len(gaps),
        status="succeeded",
        **{k: v for k, v in asdict(counts).items()},
    )


@task(name="store-bars", task_run_name="store-bars-{info.symbol}")
def store_bars(
    info: SymbolInfo, fetched: plan.Fetched, settings: Settings, request: IngestRequest
) -> SymbolIngest:
    """Validate, then upsert in one transaction; report counts and gaps."""
    with open_warehouse(settings) as con:
        return store_into(con, info, fetched, request)


def failed(info: SymbolInfo, source: str, request: IngestRequest, message: str) -> SymbolIngest:
    """The summary row of a symbol whose ingest stored nothing."""
    return SymbolIngest(
        symbol=info.symbol,
        source=source,
        start=request.start,
        end=request.end,
        fetched=0,
        new=0,
        changed=0,
        unchanged=0,
        rejected=0,
        gaps=0,
        status="failed",
        error=message,
    )


def report_progress(result: SymbolIngest, done: int, total: int) -> None:
    """One ``nextbar.ingest`` record per symbol: the CLI's progress bar over symbols."""
    progress_log.info(
        "ingest %s %s", result.symbol, result.status, extra={"progress": (done, total)}
    )


@task(name="record-failure", task_run_name="record-failure-{request.symbol}")
def record_failure(settings: Settings, request: IngestRequest, error: str) -> None:
    """Note in ``ingest_runs`` that this symbol's ingest stored nothing."""
    with open_warehouse(settings) as con:
        record_failed_ingest(con, request, error)


@flow(name="ingest")
def ingest(
    symbols: list[str] | None = None,
    source: str | None = None,
    start: date | None = None,
    end: date | None = None,
    file: str | None = None,
    warehouse: str | None = None,
    replace: bool = False,
    ignore_code: bool = False,
) -> list[SymbolIngest]:
    """Ingest daily bars for each symbol (default: all configured) from its source or a CSV file.

    Several symbols are fetched in batches where that pays (``pipeline.data.batch_ingest``),
    then each is stored as alone. ``replace`` lets an ingest rewrite stored bars it disagrees
    with (old values are kept); ``ignore_code`` imports a file that names another instrument.
    """
    settings = load_settings(warehouse)
    infos = resolve_symbols(symbols, settings)
    source = source or settings.sources.default
    options = IngestOptions(
        source=source, start=start, end=end, file=file, replace=replace, ignore_code=ignore_code
    )
    known = {i.symbol: i for i in [*resolve_symbols(None, settings), *infos]}
    prepare_warehouse(settings, list(known.values()), options, [i.symbol for i in infos])
    batched = fetch_batched(infos, options, settings) if len(infos) > 1 and not file else {}
    if len(infos) >= MANY_SYMBOLS and not file:
        from flows.ingest_chunks import ingest_in_chunks

        results = ingest_in_chunks(infos, options, settings, batched)
    else:
        results = []
        for done, info in enumerate(infos, start=1):
            results.append(ingest_symbol(info, options, settings, batched.get(info.symbol)))
            report_progress(results[-1], done, len(infos))
    publish_summary(results)
    failures = [r for r in results if r.status != "succeeded"]
    if failures:
        raise NextbarError("; ".join(f"{r.symbol}: {r.error}" for r in failures))
    return results


def ingest_symbol(
    info: SymbolInfo,
    options: IngestOptions,
    settings: Settings,
    prefetched: Prefetched | None = None,
) -> SymbolIngest:
    """Plan, fetch (unless a batch did), store one symbol; a failure is recorded and reported,
    not raised."""
    source_name = "file" if options.file else (options.source or info.default_source)
    request = replace(make_request(info.symbol, options), source=source_name)
    start, end, file = options.start, options.end, options.file
    try:
        if file:
            fetched = plan.read_file(Path(file), info, ignore_code=options.ignore_code)
        elif prefetched is not None:
            request = replace(request, start=prefetched.span[0], end=prefetched.span[1])
            if prefetched.fetched is None:
                raise SourceError(prefetched.error or "the batched fetch returned nothing")
            fetched = prefetched.fetched
        else:
            span = plan_range(info, settings, start, end)
            request = replace(request, start=span[0], end=span[1])
            fetched = fetch_bars(info, source_name, settings, span)
        return store_bars(info, fetched, settings, replace(request, source=fetched.source))
    except Exception as exc:
        message = error_text(exc)
        record_failure(settings, request, message)
        return failed(info, source_name, request, message)


@task(name="publish-summary")
def publish_summary(results: list[SymbolIngest]) -> None:
    """A table artifact with one row per symbol."""
    create_table_artifact(
        key="ingest-summary",
        table=[{k: str(v) for k, v in asdict(r).items()} for r in results],
        description="Bars fetched, new, changed (old values kept), unchanged, rejected per symbol",
    )

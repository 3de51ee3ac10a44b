"""Flow ``ingest``: fetch each symbol's new bars, validate them, store them losslessly."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from prefect import flow, task
from prefect.artifacts import create_table_artifact

from flows.common import (
    RETRIES,
    RETRY_DELAYS,
    load_settings,
    open_warehouse,
    resolve_symbols,
    retry_transient_only,
)
from flows.ingest_chunks import ingest_in_chunks
from flows.ingest_fetch import IngestOptions, fetch_symbol, make_request, report_progress
from flows.ingest_store import SymbolIngest, store_fetched
from pipeline.data import ingest as plan
from pipeline.data.batch_ingest import Prefetched, fetch_in_batches
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import NextbarError, WarehouseBusyError, error_text
from pipeline.settings import Settings
from warehouse.bars import last_bar_date, last_bar_dates
from warehouse.deferred_failures import defer_failed_ingest, record_deferred_failures
from warehouse.ingests import IngestRequest
from warehouse.symbols import sync_symbols

# From this many symbols an ingest runs in chunks (flows.ingest_chunks): a task and one
# warehouse opening per chunk, not three tasks and two openings per symbol.
MANY_SYMBOLS = 20


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


@task(name="store-bars", task_run_name="store-bars-{info.symbol}")
def store_bars(
    info: SymbolInfo, request: IngestRequest, fetched: plan.Fetched | str, settings: Settings
) -> SymbolIngest:
    """Validate, then upsert in one transaction; report counts and gaps (or the failure)."""
    with open_warehouse(settings) as con:
        return store_fetched(con, [(info, request, fetched)])[0]


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
        results = ingest_in_chunks(infos, options, settings, batched)
    else:
        results = []
        for done, info in enumerate(infos, start=1):
            results.append(ingest_symbol(info, options, settings, batched.get(info.symbol)))
            report_progress(info.symbol, results[-1].status, done, len(infos))
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
    request, fetched = fetch_symbol(
        info,
        options,
        settings,
        prefetched,
        lambda i: plan_range(i, settings, options.start, options.end),
        fetch_bars,
    )
    return store_bars(info, request, fetched, settings)


@task(name="publish-summary")
def publish_summary(results: list[SymbolIngest]) -> None:
    """A table artifact with one row per symbol."""
    create_table_artifact(
        key="ingest-summary",
        table=[{k: str(v) for k, v in asdict(r).items()} for r in results],
        description="Bars fetched, new, changed (old values kept), unchanged, rejected per symbol",
    )

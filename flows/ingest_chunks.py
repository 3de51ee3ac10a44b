"""An ingest of many symbols (a watch list): one task and one warehouse opening per chunk of
symbols, so that its cost is linear in the list's length and small per symbol.

Each symbol is still planned, fetched, validated and stored as alone (one transaction each;
a failure is recorded in ``ingest_runs`` and reported, not raised); transient source errors
are retried as the per-symbol fetch task retries them.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date

import duckdb
from prefect import task

from flows.common import RETRIES, RETRY_DELAYS, open_warehouse
from flows.ingest import (
    IngestOptions,
    SymbolIngest,
    failed,
    make_request,
    report_progress,
    store_into,
)
from pipeline.data import ingest as plan
from pipeline.data.batch_ingest import Prefetched
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import SourceError, TransientSourceError, error_text
from pipeline.settings import Settings
from warehouse.bars import last_bar_dates
from warehouse.ingests import record_failed_ingest


def _fetch(
    info: SymbolInfo, source: str, settings: Settings, span: tuple[date, date]
) -> plan.Fetched:
    """plan.fetch_bars, retried on transient errors with the fetch task's delays."""
    delays = list(RETRY_DELAYS(RETRIES))
    for attempt in range(RETRIES + 1):
        try:
            return plan.fetch_bars(plan.make_source(source, info, settings), info, *span)
        except TransientSourceError:
            if attempt == RETRIES:
                raise
            time.sleep(delays[attempt])
    raise AssertionError("unreachable")


def _one(
    con: duckdb.DuckDBPyConnection,
    info: SymbolInfo,
    options: IngestOptions,
    settings: Settings,
    last: dict[str, date | None],
    prefetched: Prefetched | None,
) -> SymbolIngest:
    source = options.source or info.default_source
    request = replace(make_request(info.symbol, options), source=source)
    try:
        if prefetched is not None:
            request = replace(request, start=prefetched.span[0], end=prefetched.span[1])
            if prefetched.fetched is None:
                raise SourceError(prefetched.error or "the batched fetch returned nothing")
            fetched = prefetched.fetched
        else:
            span = plan.plan_range(
                info, last[info.symbol], settings, start=options.start, end=options.end
            )
            request = replace(request, start=span[0], end=span[1])
            fetched = _fetch(info, source, settings, span)
        return store_into(con, info, fetched, replace(request, source=fetched.source))
    except Exception as exc:
        message = error_text(exc)
        record_failed_ingest(con, request, message)
        return failed(info, source, request, message)


@task(name="ingest-chunk", task_run_name="ingest-chunk-{index}")
def ingest_chunk(
    index: int,
    infos: list[SymbolInfo],
    options: IngestOptions,
    settings: Settings,
    batched: dict[str, Prefetched],
    done: int,
    total: int,
) -> list[SymbolIngest]:
    """Ingest a chunk of symbols on one warehouse connection."""
    results = []
    with open_warehouse(settings) as con:
        last = last_bar_dates(con, [i.symbol for i in infos])
        for info in infos:
            results.append(_one(con, info, options, settings, last, batched.get(info.symbol)))
            report_progress(results[-1], done + len(results), total)
    return results


def ingest_in_chunks(
    infos: list[SymbolInfo],
    options: IngestOptions,
    settings: Settings,
    batched: dict[str, Prefetched],
) -> list[SymbolIngest]:
    """Every symbol's ingest, ``[dask] chunk_size`` symbols a task, in order."""
    size = settings.dask.chunk_size
    results: list[SymbolIngest] = []
    for index, first in enumerate(range(0, len(infos), size)):
        chunk = infos[first : first + size]
        mine = {i.symbol: batched[i.symbol] for i in chunk if i.symbol in batched}
        results += ingest_chunk(index, chunk, options, settings, mine, len(results), len(infos))
    return results

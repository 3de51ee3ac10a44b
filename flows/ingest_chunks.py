"""An ingest of many symbols (a watch list): one task and one warehouse opening per chunk of
symbols, so that its cost is linear in the list's length and small per symbol.

Each symbol is planned, fetched and validated as alone; the chunk's bars are then stored
together (``flows.ingest_store``: one transaction, one statement per step, for the chunk). A
symbol's failure is recorded in ``ingest_runs`` and reported, not raised; transient source
errors are retried as the per-symbol fetch task retries them.
"""

from __future__ import annotations

import time
from datetime import date

from prefect import task

from flows.common import RETRIES, RETRY_DELAYS, open_warehouse
from flows.ingest_fetch import IngestOptions, fetch_symbol, report_progress
from flows.ingest_store import SymbolIngest, store_fetched
from pipeline.data import ingest as plan
from pipeline.data.batch_ingest import Prefetched
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import TransientSourceError
from pipeline.settings import Settings
from warehouse.bars import last_bar_dates


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
    """Ingest a chunk of symbols on one warehouse connection, storing them together."""
    with open_warehouse(settings) as con:
        last = last_bar_dates(con, [i.symbol for i in infos])

        def span_of(info: SymbolInfo) -> tuple[date, date]:
            return plan.plan_range(
                info, last[info.symbol], settings, start=options.start, end=options.end
            )

        work = []
        for n, info in enumerate(infos, start=done + 1):
            request, fetched = fetch_symbol(
                info, options, settings, batched.get(info.symbol), span_of, _fetch
            )
            work.append((info, request, fetched))
            # the bar moves as each symbol is fetched: the chunk's store after is quick
            report_progress(
                info.symbol, "failed" if isinstance(fetched, str) else "fetched", n, total
            )
        results = store_fetched(con, work)
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

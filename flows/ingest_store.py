"""The store step of an ingest, for one symbol or a watch list's chunk: validate each
symbol's fetched bars, store them all at once, report each symbol's counts and gaps."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

import duckdb
import pandas as pd
from prefect import get_run_logger

from pipeline.data import ingest as plan
from pipeline.data.bars import in_volume_unit
from pipeline.data.calendars import find_gaps, today_in
from pipeline.data.symbols import SymbolInfo
from pipeline.data.validation import validate_many
from pipeline.errors import error_text
from warehouse.bars import bar_dates, series_facts
from warehouse.ingests import (
    IngestCounts,
    IngestRequest,
    SymbolBars,
    record_failed_ingest,
    store_ingests,
)


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


def store_fetched(
    con: duckdb.DuckDBPyConnection,
    work: list[tuple[SymbolInfo, IngestRequest, plan.Fetched | str]],
) -> list[SymbolIngest]:
    """Validate each symbol's fetched bars, then store them all (``warehouse.ingests``: one
    transaction for the set), on an open warehouse; each symbol's summary row with its gaps.

    ``work``: each symbol's request and its bars, or why there are none. A symbol that fails
    (no bars, a refusal) is recorded in ``ingest_runs`` and reported, not raised.
    """
    facts = series_facts(con, [info.symbol for info, _, _ in work])
    errors: dict[str, str] = {}
    parts: list[tuple[pd.DataFrame, date, tuple[float, float] | None]] = []
    valid: list[tuple[IngestRequest, plan.Fetched]] = []
    for info, request, fetched in work:
        if isinstance(fetched, str):
            errors[info.symbol] = fetched
            continue
        unit, series_range = facts[info.symbol]
        try:
            parts.append((in_volume_unit(fetched.bars, unit), today_in(info), series_range))
        except Exception as exc:
            errors[info.symbol] = error_text(exc)
            continue
        valid.append((request, fetched))
    items = [
        SymbolBars(request, checked.valid, checked.rejected, fetched.duplicates)
        for (request, fetched), checked in zip(valid, validate_many(parts), strict=True)
    ]
    counts: dict[str, IngestCounts] = {}
    for item, outcome in zip(items, store_ingests(con, items), strict=True):
        if isinstance(outcome, Exception):
            errors[item.request.symbol] = error_text(outcome)
        else:
            counts[item.request.symbol] = outcome
    dates = bar_dates(con, list(counts))
    results = []
    for info, request, _ in work:
        if info.symbol in errors:
            record_failed_ingest(con, request, errors[info.symbol])
            results.append(failed(info, request, errors[info.symbol]))
            continue
        gaps = find_gaps(info, dates[info.symbol])
        if gaps:
            get_run_logger().warning(
                "%s: %d trading days have no bar (suspensions?), e.g. %s",
                info.symbol,
                len(gaps),
                ", ".join(d.isoformat() for d in gaps[:5]),
            )
        results.append(
            SymbolIngest(
                symbol=info.symbol,
                source=request.source,
                start=request.start,
                end=request.end,
                gaps=len(gaps),
                status="succeeded",
                **asdict(counts[info.symbol]),
            )
        )
    return results


def failed(info: SymbolInfo, request: IngestRequest, message: str) -> SymbolIngest:
    """The summary row of a symbol whose ingest stored nothing."""
    return SymbolIngest(
        symbol=info.symbol,
        source=request.source,
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

"""What an ingest was asked, and one symbol's fetch: its request and bars, from a file, a
batch's share or its source (the ``ingest`` flow and its chunks both call it)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

from pipeline.data import ingest as plan
from pipeline.data.batch_ingest import Prefetched
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import SourceError, error_text
from pipeline.settings import Settings
from warehouse.ingests import IngestRequest

progress_log = logging.getLogger("nextbar.ingest")  # one record per symbol: a progress bar


@dataclass(frozen=True)
class IngestOptions:
    """What the user asked of every symbol's ingest."""

    source: str | None = None
    start: date | None = None
    end: date | None = None
    file: str | None = None
    replace: bool = False
    ignore_code: bool = False  # import a file that names another instrument


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


def fetch_symbol(
    info: SymbolInfo,
    options: IngestOptions,
    settings: Settings,
    prefetched: Prefetched | None,
    span_of: Callable[[SymbolInfo], tuple[date, date]],
    fetch: Callable[[SymbolInfo, str, Settings, tuple[date, date]], plan.Fetched],
) -> tuple[IngestRequest, plan.Fetched | str]:
    """A symbol's request (with the range fetched) and its bars, or why there are none: from
    the file, the batch's share, or ``fetch`` over the range ``span_of`` plans."""
    source = "file" if options.file else (options.source or info.default_source)
    request = replace(make_request(info.symbol, options), source=source)
    try:
        if options.file:
            fetched = plan.read_file(Path(options.file), info, ignore_code=options.ignore_code)
        elif prefetched is not None:
            request = replace(request, start=prefetched.span[0], end=prefetched.span[1])
            if prefetched.fetched is None:
                raise SourceError(prefetched.error or "the batched fetch returned nothing")
            fetched = prefetched.fetched
        else:
            span = span_of(info)
            request = replace(request, start=span[0], end=span[1])
            fetched = fetch(info, source, settings, span)
    except Exception as exc:
        return request, error_text(exc)
    return replace(request, source=fetched.source), fetched


def report_progress(symbol: str, status: str, done: int, total: int) -> None:
    """One ``nextbar.ingest`` record per symbol: the CLI's progress bar over symbols."""
    progress_log.info("ingest %s %s", symbol, status, extra={"progress": (done, total)})

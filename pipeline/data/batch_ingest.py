"""Batched fetches for an ingest of several symbols: which symbols to batch, and their bars.

- tushare: one ``daily`` and one ``adj_factor`` call per XSHG trading date answer every code at
  once, where the per-code path needs two calls per code (per 6,000 rows). The batch takes the
  set of codes that needs the fewest calls in all: a range that would add more dates to the
  batch than it saves calls is left to the per-code path, longest first (a first full-history
  backfill spans thousands of dates; one call pair per code is cheaper there).
- Yahoo: with two or more Yahoo symbols, they go in yfinance ``download`` chunks, one group
  per distinct range.

A code tushare cannot serve (no token, no permission, no data) falls back to Yahoo as on the
per-code path; a transient failure that outlived the retries is that symbol's error. Symbols
left out here (one symbol, bundled files, no code) take the per-code path.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from math import ceil
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.data.calendars import trading_days
from pipeline.data.ingest import Fetched, fallback_label, plan_range
from pipeline.data.sources.batched import BatchedTushare
from pipeline.data.sources.batched_yahoo import BatchedYahoo
from pipeline.data.sources.tushare_pro import MAX_ROWS
from pipeline.data.symbols import XSHG, SymbolInfo
from pipeline.errors import InputError, SourceError, TransientSourceError, error_text

if TYPE_CHECKING:
    from pipeline.settings import Settings

log = logging.getLogger(__name__)
Span = tuple[date, date]


@dataclass(frozen=True)
class Prefetched:
    """One symbol's share of a batch: the range asked, and its bars or why there are none."""

    span: Span
    fetched: Fetched | None = None
    error: str | None = None


def per_code_calls(days: int) -> int:
    """tushare calls the per-code path makes for a range of ``days`` trading days."""
    return 2 * max(1, ceil(days / MAX_ROWS))


def tushare_batch(days: dict[str, set[date]]) -> list[str]:
    """The symbols to fetch by trading date (two calls a date), given each one's trading days:
    the shortest ranges first, as many as make the fewest calls in all; none if under two."""
    order = sorted(days, key=lambda s: (len(days[s]), s))
    alone = [per_code_calls(len(days[s])) for s in order]
    best, best_calls = 0, sum(alone)
    union: set[date] = set()
    for k, symbol in enumerate(order, start=1):
        union |= days[symbol]
        calls = 2 * len(union) + sum(alone[k:])
        if k >= 2 and calls < best_calls:
            best, best_calls = k, calls
    return order[:best]


def fetch_in_batches(
    infos: list[SymbolInfo],
    sources: dict[str, str],
    last_stored: dict[str, date | None],
    settings: Settings,
    *,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Prefetched]:
    """Bars for the symbols worth batching, each over the range the per-code path would plan
    (``sources``: each symbol's source name; ``last_stored``: its newest stored bar)."""
    spans = {}
    for info in infos:
        try:
            spans[info.symbol] = plan_range(
                info, last_stored[info.symbol], settings, start=start, end=end
            )
        except InputError:
            continue  # the per-code path reports it
    by_symbol = {i.symbol: i for i in infos if i.symbol in spans}
    a_shares = {
        s: set(trading_days(i, *spans[s]))
        for s, i in by_symbol.items()
        if sources[s] == "tushare" and i.tushare_code and i.calendar == XSHG
    }
    out: dict[str, Prefetched] = {}
    yahoo = {s: "yfinance" for s, i in by_symbol.items() if sources[s] == "yfinance"}
    batch = tushare_batch(a_shares)
    if batch:
        token = settings.tushare_token.get_secret_value() if settings.tushare_token else ""
        answers = BatchedTushare(token).fetch_spans({by_symbol[s]: spans[s] for s in batch})
        for symbol, answer in answers.items():
            if isinstance(answer, pd.DataFrame):
                out[symbol] = Prefetched(spans[symbol], Fetched(answer, "tushare"))
            elif isinstance(answer, TransientSourceError) or not by_symbol[symbol].yahoo_ticker:
                out[symbol] = Prefetched(spans[symbol], error=error_text(answer))
            else:
                log.warning("tushare failed for %s (%s); falling back to yfinance", symbol, answer)
                yahoo[symbol] = fallback_label("yfinance", answer)
    yahoo = {s: label for s, label in yahoo.items() if by_symbol[s].yahoo_ticker}
    if len(yahoo) < 2:  # one Yahoo symbol: the per-code path, unless tushare's batch fell back
        yahoo = {s: label for s, label in yahoo.items() if label != "yfinance"}
    return out | _fetch_yahoo([by_symbol[s] for s in yahoo], spans, yahoo)


def _fetch_yahoo(
    infos: list[SymbolInfo], spans: dict[str, Span], labels: dict[str, str]
) -> dict[str, Prefetched]:
    """Yahoo bars in one batch per distinct range; each labelled as its source answered."""
    groups: dict[Span, list[SymbolInfo]] = defaultdict(list)
    for info in infos:
        groups[spans[info.symbol]].append(info)
    source = BatchedYahoo()
    out = {}
    for span, group in groups.items():
        for symbol, answer in source.fetch_many(group, *span).items():
            if isinstance(answer, SourceError):
                out[symbol] = Prefetched(span, error=error_text(answer))
            else:
                out[symbol] = Prefetched(span, Fetched(answer, labels[symbol]))
    return out

"""The guard before an ingest writes: it may not silently rewrite a stored series.

Bars on another price basis first reconcile: when one factor explains the whole overlap (a
forward-adjusted file as of another date, say), the stored history is rebased by it, every
old value kept in ``bar_revisions``, so the series continues without a jump at the seam.

An ingest whose bars would materially change more than ``MAX_CHANGED`` stored final bars, or
whose closes disagree with the stored ones on the overlap (a wrong ``--symbol``, another price
basis), stops and stores nothing unless the user asked for it (``--replace``). A volume in
another unit than the stored series is refused always: units never mix within a series.
"""

from __future__ import annotations

import statistics

import duckdb

from pipeline.data.bars import PRICE_COLUMNS
from pipeline.errors import OverwriteRefusedError

# A price that moved by more than this (relative) is a material change, not float noise.
PRICE_TOLERANCE = 0.005
# Routine re-fetches revise at most the few overlap days; more is a rewrite.
MAX_CHANGED = 5
# The median relative close difference on the overlap above which two series disagree.
OVERLAP_TOLERANCE = 0.02


def check_overlaps(
    con: duckdb.DuckDBPyConnection, replace: set[str]
) -> dict[str, OverwriteRefusedError]:
    """Each symbol of ``classified_bars`` whose bars would rewrite its stored series, with why
    (``replace``: the symbols whose user accepts a rewrite; units are checked always)."""
    refused = _check_units(con)
    moved = " or ".join(
        f"abs(c.{c} / b.{c} - 1) > {PRICE_TOLERANCE}" for c in ("open", "high", "low", "close")
    )
    rows = con.execute(
        f"""
        select
            c.symbol,
            count(*),
            count(*) filter (where c.change = 'changed' and ({moved})),
            median(abs(c.close / b.close - 1)),
            arg_min(
                strftime(c.date, '%Y-%m-%d') || ' close ' || b.close || ' -> ' || c.close,
                c.date
            ) filter (where c.change = 'changed' and ({moved}))
        from classified_bars as c
        join bars as b on b.symbol = c.symbol and b.date = c.date
        where not b.is_partial and not c.is_partial
        group by c.symbol
        """
    ).fetchall()
    for symbol, overlap, changed, median_diff, example in rows:
        if symbol in refused or symbol in replace:
            continue
        if changed > MAX_CHANGED:
            refused[symbol] = OverwriteRefusedError(
                f"{symbol}: this ingest would change {changed} stored bars (first: {example}); "
                "nothing stored. Check the symbol and the price basis, or pass --replace"
            )
        elif overlap >= 2 and median_diff > OVERLAP_TOLERANCE:
            refused[symbol] = OverwriteRefusedError(
                f"{symbol}: the closes disagree with the stored series on the {overlap} "
                f"overlapping days by {median_diff:.1%} (median; e.g. {example}); nothing "
                "stored. Check the symbol and the price basis, or pass --replace"
            )
    return refused


def _check_units(con: duckdb.DuckDBPyConnection) -> dict[str, OverwriteRefusedError]:
    rows = con.execute(
        """
        select c.symbol, min(c.volume_unit), min(b.volume_unit)
        from (select distinct symbol, volume_unit from classified_bars) as c
        join (
            select distinct symbol, volume_unit from bars
            where symbol in (select distinct symbol from classified_bars)
        ) as b on b.symbol = c.symbol and c.volume_unit <> b.volume_unit
        group by c.symbol
        """
    ).fetchall()
    return {
        symbol: OverwriteRefusedError(
            f"{symbol}: the volume is in {new} but the stored series is in {stored}; "
            "units never mix within a series: nothing stored"
        )
        for symbol, new, stored in rows
    }


def rebase_factors(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Per symbol of ``classified_bars``, the one factor new/stored that explains every
    overlapping price, where there is one != 1.

    Only across price bases: between two adjusted series (qfq as of different dates) or an
    adjusted and a raw one. Two raw series never differ by a constant: that is another
    instrument, and the guard refuses it.
    """
    ratios: dict[str, list[float]] = {}
    for symbol, *row in con.execute(
        f"""
        select c.symbol, {", ".join(f"c.{c} / b.{c}" for c in PRICE_COLUMNS)}
        from classified_bars as c
        join bars as b on b.symbol = c.symbol and b.date = c.date
        where not b.is_partial and not c.is_partial
          and (c.price_adjustment <> b.price_adjustment or c.price_adjustment in ('qfq', 'hfq'))
        """
    ).fetchall():
        ratios.setdefault(symbol, []).extend(row)
    factors = {}
    for symbol, found in ratios.items():
        if len(found) < 2 * len(PRICE_COLUMNS):
            continue
        factor = statistics.median(found)
        explains = all(abs(r / factor - 1) <= PRICE_TOLERANCE for r in found)
        if explains and abs(factor - 1) > PRICE_TOLERANCE:
            factors[symbol] = factor
    return factors


def rebase(
    con: duckdb.DuckDBPyConnection, symbol: str, factor: float, run_id: str, at: object
) -> None:
    """Scale every stored price of symbol by factor onto the incoming basis; keep old values."""
    [(source, basis)] = con.execute(
        "select any_value(source), any_value(price_adjustment) from classified_bars "
        "where symbol = ?",
        [symbol],
    ).fetchall()
    con.execute(
        """
        insert into bar_revisions
        select symbol, date, ?::timestamptz, ?, ?, open, high, low, close, volume, amount,
               adj_factor, is_partial, price_adjustment, source, ingest_run_id, ingested_at, ?
        from bars where symbol = ?
        """,
        [at, f"rebased x{factor:.6g} onto the basis of {source}", run_id, source, symbol],
    )
    con.execute(
        """
        update bars set open = open * $f, high = high * $f, low = low * $f, close = close * $f,
               price_adjustment = $basis
        where symbol = $symbol
        """,
        {"f": factor, "basis": basis, "symbol": symbol},
    )

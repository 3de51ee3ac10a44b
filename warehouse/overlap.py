"""The guard before an ingest writes: it may not silently rewrite a stored series.

An ingest whose bars would materially change more than ``MAX_CHANGED`` stored final bars, or
whose closes disagree with the stored ones on the overlap (a wrong ``--symbol``, another price
basis), stops and stores nothing unless the user asked for it (``--replace``). A volume in
another unit than the stored series is refused always: units never mix within a series.
"""

from __future__ import annotations

import duckdb

from pipeline.errors import OverwriteRefusedError

# A price that moved by more than this (relative) is a material change, not float noise.
PRICE_TOLERANCE = 0.005
# Routine re-fetches revise at most the few overlap days; more is a rewrite.
MAX_CHANGED = 5
# The median relative close difference on the overlap above which two series disagree.
OVERLAP_TOLERANCE = 0.02


def check_overlap(con: duckdb.DuckDBPyConnection, symbol: str, *, replace: bool) -> None:
    """Raise OverwriteRefusedError if ``classified_bars`` would rewrite the stored series."""
    _check_units(con, symbol)
    if replace:
        return
    moved = " or ".join(
        f"abs(c.{c} / b.{c} - 1) > {PRICE_TOLERANCE}" for c in ("open", "high", "low", "close")
    )
    [(overlap, changed, median_diff, example)] = con.execute(
        f"""
        select
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
        """
    ).fetchall()
    if changed > MAX_CHANGED:
        raise OverwriteRefusedError(
            f"{symbol}: this ingest would change {changed} stored bars (first: {example}); "
            "nothing stored. Check the symbol and the price basis, or pass --replace"
        )
    if overlap >= 2 and median_diff > OVERLAP_TOLERANCE:
        raise OverwriteRefusedError(
            f"{symbol}: the closes disagree with the stored series on the {overlap} overlapping "
            f"days by {median_diff:.1%} (median; e.g. {example}); nothing stored. "
            "Check the symbol and the price basis, or pass --replace"
        )


def _check_units(con: duckdb.DuckDBPyConnection, symbol: str) -> None:
    rows = con.execute(
        """
        select distinct c.volume_unit, b.volume_unit
        from classified_bars as c, (select distinct volume_unit from bars where symbol = ?) as b
        where c.volume_unit <> b.volume_unit
        """,
        [symbol],
    ).fetchall()
    if rows:
        new, stored = rows[0]
        raise OverwriteRefusedError(
            f"{symbol}: the volume is in {new} but the stored series is in {stored}; "
            "units never mix within a series: nothing stored"
        )

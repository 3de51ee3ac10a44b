"""Row checks on canonical bar frames: what passes is stored, what fails is kept with reasons.

Rules (a row may break several; its reasons are joined with "; "):

- the date is missing, did not parse (the file's text is kept in ``raw_date``) or lies
  outside FIRST_DATE..LAST_DATE (9999-12-31, 1200-01-04);
- the date occurs more than once (every row of that date is rejected: which one is right
  cannot be told);
- open, high, low or close is missing, <= 0, not finite (inf, 1e309) or above MAX_PRICE;
- a price lies more than PRICE_SPREAD times below or above the series' range: the stored
  closes' range when given, else the median close of the frame's rows (1e-300 in a series
  around 1,700 is a broken cell, however consistent its OHLC);
- volume is missing, negative, not finite or above MAX_VOLUME: the volume z-score feature
  reads every bar, so a bar without one would fail every later split (such bars are rejected
  at the door, not stored with a null volume);
- OHLC is inconsistent: low > min(open, close), high < max(open, close) or low > high;
- the date is after today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from pipeline.data.bars import BAR_COLUMNS, PRICE_COLUMNS

FIRST_DATE = pd.Timestamp("1970-01-01")
LAST_DATE = pd.Timestamp("2200-12-31")
# No listed instrument trades anywhere near these; 1e300 is a broken cell, not a price.
MAX_PRICE = 1e9
MAX_VOLUME = 1e16
# A real series moves far less than this against its own range (Moutai: 30 to 2,600 in 24
# years; split-adjusted tech shares about 4,000x in 25); a broken cell is off by far more.
PRICE_SPREAD = 1e3

REJECTED_COLUMNS = ["date", "raw_date", "open", "high", "low", "close", "volume", "reason"]


@dataclass(frozen=True)
class ValidationResult:
    """The rows that passed (canonical columns) and those that failed (with ``reason``)."""

    valid: pd.DataFrame
    rejected: pd.DataFrame


def _add_reason(reasons: pd.Series, failed: pd.Series, *parts: pd.Series | str) -> pd.Series:
    """Append the text made of parts (values shown as text, so that a rejected row says what
    the offending value was) to the reasons of the failed rows. Only failed rows' text is
    built: most frames have none, and thousands of symbols pass through here."""
    failed = failed.fillna(False).astype(bool)
    if not failed.any():
        return reasons
    text = pd.Series("", index=reasons.index[failed], dtype=object)
    for part in parts:
        text = text + (part if isinstance(part, str) else part[failed].astype(str))
    before = reasons[failed]
    out = reasons.copy()
    out[failed] = before.where(before == "", before + "; ") + text
    return out


def _too_big(reasons: pd.Series, values: pd.Series, col: str, limit: float) -> pd.Series:
    """Reject infinite values and values beyond limit."""
    infinite = np.isinf(values)
    reasons = _add_reason(reasons, infinite, f"{col} is not finite (", values, ")")
    return _add_reason(reasons, ~infinite & (values > limit), f"{col} > {limit:g} (", values, ")")


def _far_outside(
    reasons: pd.Series,
    frame: pd.DataFrame,
    part: pd.Series,
    ranges: dict[int, tuple[float, float]],
) -> pd.Series:
    """Reject prices more than PRICE_SPREAD times outside their series' range: its frame's
    entry of ``ranges``, else the median close of the frame's rows."""
    closes = frame["close"].where(reasons == "")  # rows failing already say enough
    bounds = dict(ranges)
    medians = closes.groupby(part).median()
    for k, median in zip(medians.index.to_list(), medians.to_list(), strict=True):
        if k not in ranges and median == median:  # not NaN: the frame has closes
            bounds[k] = (float(median), float(median))
    if not bounds:
        return reasons
    low = part.map({k: min(b) / PRICE_SPREAD for k, b in bounds.items()})
    high = part.map({k: max(b) * PRICE_SPREAD for k, b in bounds.items()})
    shown = part.map(
        {
            k: f" is over {PRICE_SPREAD:g}x outside the series' range ({min(b):g}..{max(b):g})"
            for k, b in bounds.items()
        }
    )
    for col in PRICE_COLUMNS:
        values = frame[col]
        far = (reasons == "") & ((values < low) | (values > high))
        reasons = _add_reason(reasons, far, f"{col} ", values, shown)
    return reasons


def validate_bars(
    frame: pd.DataFrame, *, today: date, series_range: tuple[float, float] | None = None
) -> ValidationResult:
    """Split a canonical frame (optionally with ``raw_date``) into valid and rejected rows.

    ``series_range``: the (lowest, highest) close already stored for the symbol, if any.
    """
    return validate_many([(frame, today, series_range)])[0]


def validate_many(
    parts: list[tuple[pd.DataFrame, date, tuple[float, float] | None]],
) -> list[ValidationResult]:
    """:func:`validate_bars` of each (frame, today, series_range), in one pass over all their
    rows: a watch list's chunk pays pandas' cost per operation once, not once per symbol."""
    if not parts:
        return []
    sizes = [len(f) for f, _, _ in parts]
    frame = pd.concat([f.reset_index(drop=True) for f, _, _ in parts], ignore_index=True)
    part = pd.Series(np.repeat(np.arange(len(parts)), sizes), index=frame.index)
    dates = pd.to_datetime(frame["date"])
    iso_dates = dates.dt.strftime("%Y-%m-%d")
    # Frames from sources other than CSV files have no raw_date: the date is the text.
    has_raw = np.repeat(["raw_date" in f.columns for f, _, _ in parts], sizes)
    raw = frame["raw_date"].where(has_raw, iso_dates) if "raw_date" in frame else iso_dates
    raw_dates = raw.fillna("").astype(str)
    reasons = pd.Series("", index=frame.index, dtype=object)

    blank = raw_dates.str.strip() == ""
    years = pd.to_numeric(raw_dates.str.extract(r"(\d{4})")[0], errors="coerce")
    outside = (years < FIRST_DATE.year) | (years > LAST_DATE.year)
    outside |= (dates < FIRST_DATE) | (dates > LAST_DATE)
    unparsed = dates.isna() & ~blank & ~outside
    reasons = _add_reason(reasons, dates.isna() & blank, "missing date")
    reasons = _add_reason(reasons, unparsed, "unparseable date '", raw_dates, "'")
    reasons = _add_reason(
        reasons,
        outside,
        "date '",
        raw_dates,
        f"' out of range ({FIRST_DATE.date()}..{LAST_DATE.date()})",
    )
    dates = dates.where(~outside)

    # Within each frame; NaT rows are not counted: they are rejected above.
    counts = dates.groupby([part, dates]).transform("size").fillna(0).astype(int)
    reasons = _add_reason(reasons, counts > 1, "duplicate date ", iso_dates, " (", counts, " rows)")

    for col in PRICE_COLUMNS:
        values = frame[col]
        reasons = _add_reason(reasons, values.isna(), f"{col} missing")
        reasons = _add_reason(reasons, values <= 0, f"{col} <= 0 (", values, ")")
        reasons = _too_big(reasons, values, col, MAX_PRICE)
    volume = frame["volume"]
    reasons = _add_reason(reasons, volume.isna(), "volume missing")
    reasons = _add_reason(reasons, volume < 0, "volume < 0 (", volume, ")")
    reasons = _too_big(reasons, volume, "volume", MAX_VOLUME)

    # Comparisons with NaN are False, so a missing price (reported above) adds nothing here.
    low, high = frame["low"], frame["high"]
    body_low = frame[["open", "close"]].min(axis=1, skipna=False)
    body_high = frame[["open", "close"]].max(axis=1, skipna=False)
    reasons = _add_reason(reasons, low > body_low, "low ", low, " > min(open, close) ", body_low)
    reasons = _add_reason(
        reasons, high < body_high, "high ", high, " < max(open, close) ", body_high
    )
    reasons = _add_reason(reasons, low > high, "low ", low, " > high ", high)

    today = part.map({k: pd.Timestamp(t) for k, (_, t, _) in enumerate(parts)})
    told = part.map({k: f" (today is {t})" for k, (_, t, _) in enumerate(parts)})
    reasons = _add_reason(reasons, dates > today, "future date ", iso_dates, told)

    ranges = {k: r for k, (_, _, r) in enumerate(parts) if r is not None}
    reasons = _far_outside(reasons, frame, part, ranges)
    return _split(parts, frame, dates, raw_dates, reasons)


def _split(
    parts: list[tuple[pd.DataFrame, date, tuple[float, float] | None]],
    frame: pd.DataFrame,
    dates: pd.Series,
    raw_dates: pd.Series,
    reasons: pd.Series,
) -> list[ValidationResult]:
    """Each frame's valid rows (its own, as given) and rejected rows (with their reasons)."""
    failed = (reasons != "").to_numpy()
    rejected = frame[["open", "high", "low", "close", "volume"]].assign(
        date=dates, raw_date=raw_dates, reason=reasons.astype(str)
    )[REJECTED_COLUMNS]
    results, first = [], 0
    for own, _, _ in parts:
        rows = slice(first, first + len(own))
        bad = failed[rows]
        first += len(own)
        valid = own.loc[~bad, BAR_COLUMNS] if bad.any() else own[BAR_COLUMNS]
        results.append(
            ValidationResult(
                valid=valid.reset_index(drop=True),
                rejected=rejected.iloc[rows][bad].reset_index(drop=True),
            )
        )
    return results

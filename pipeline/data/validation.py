"""Row checks on canonical bar frames: what passes is stored, what fails is kept with reasons.

Rules (a row may break several; its reasons are joined with "; "):

- the date is missing or did not parse (the file's text is kept in ``raw_date``);
- the date occurs more than once (every row of that date is rejected: which one is right
  cannot be told);
- open, high, low or close is missing or <= 0;
- volume is negative (a missing volume is allowed: some sources have none);
- OHLC is inconsistent: low > min(open, close), high < max(open, close) or low > high;
- the date is after today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from pipeline.data.bars import BAR_COLUMNS, PRICE_COLUMNS

REJECTED_COLUMNS = ["date", "raw_date", "open", "high", "low", "close", "volume", "reason"]


@dataclass(frozen=True)
class ValidationResult:
    """The rows that passed (canonical columns) and those that failed (with ``reason``)."""

    valid: pd.DataFrame
    rejected: pd.DataFrame


def _add_reason(reasons: pd.Series, failed: pd.Series, text: pd.Series | str) -> pd.Series:
    """Append text to the reasons of the failed rows."""
    joined = reasons.where(reasons == "", reasons + "; ") + text
    return joined.where(failed, reasons)


def _str(values: pd.Series) -> pd.Series:
    # Shown in reasons, so that a rejected row says what the offending value was.
    return values.astype(str)


def validate_bars(frame: pd.DataFrame, *, today: date) -> ValidationResult:
    """Split a canonical frame (optionally with ``raw_date``) into valid and rejected rows."""
    dates = pd.to_datetime(frame["date"])
    iso_dates = dates.dt.strftime("%Y-%m-%d")
    # Frames from sources other than CSV files have no raw_date: the date is the text.
    raw_dates = frame.get("raw_date", iso_dates).fillna("").astype(str)
    reasons = pd.Series("", index=frame.index, dtype=object)

    blank = raw_dates.str.strip() == ""
    reasons = _add_reason(reasons, dates.isna() & blank, "missing date")
    reasons = _add_reason(reasons, dates.isna() & ~blank, "unparseable date '" + raw_dates + "'")

    # NaT rows are not counted: value_counts drops them and they are rejected above.
    counts = dates.map(dates.value_counts()).fillna(0).astype(int)
    reasons = _add_reason(
        reasons, counts > 1, "duplicate date " + iso_dates + " (" + counts.astype(str) + " rows)"
    )

    for col in PRICE_COLUMNS:
        values = frame[col]
        reasons = _add_reason(reasons, values.isna(), f"{col} missing")
        reasons = _add_reason(reasons, values <= 0, f"{col} <= 0 (" + _str(values) + ")")
    volume = frame["volume"]
    reasons = _add_reason(reasons, volume < 0, "volume < 0 (" + _str(volume) + ")")

    # Comparisons with NaN are False, so a missing price (reported above) adds nothing here.
    low, high = frame["low"], frame["high"]
    body_low = frame[["open", "close"]].min(axis=1, skipna=False)
    body_high = frame[["open", "close"]].max(axis=1, skipna=False)
    reasons = _add_reason(
        reasons, low > body_low, "low " + _str(low) + " > min(open, close) " + _str(body_low)
    )
    reasons = _add_reason(
        reasons, high < body_high, "high " + _str(high) + " < max(open, close) " + _str(body_high)
    )
    reasons = _add_reason(reasons, low > high, "low " + _str(low) + " > high " + _str(high))

    reasons = _add_reason(
        reasons, dates > pd.Timestamp(today), "future date " + iso_dates + f" (today is {today})"
    )

    failed = reasons != ""
    valid = frame.loc[~failed, BAR_COLUMNS].reset_index(drop=True)
    rejected = frame.loc[failed, ["open", "high", "low", "close", "volume"]].assign(
        date=dates[failed], raw_date=raw_dates[failed], reason=reasons[failed].astype(str)
    )
    return ValidationResult(valid=valid, rejected=rejected[REJECTED_COLUMNS].reset_index(drop=True))

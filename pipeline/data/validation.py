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
    reasons: pd.Series, frame: pd.DataFrame, series_range: tuple[float, float] | None
) -> pd.Series:
    """Reject prices more than PRICE_SPREAD times outside the series' range."""
    closes = frame["close"].where(reasons == "")  # rows failing already say enough
    if series_range is not None:
        bounds = series_range
    elif closes.notna().any():
        bounds = (float(closes.median()),) * 2
    else:
        return reasons
    low, high = min(bounds) / PRICE_SPREAD, max(bounds) * PRICE_SPREAD
    shown = f"{min(bounds):g}..{max(bounds):g}"
    for col in PRICE_COLUMNS:
        values = frame[col]
        far = (reasons == "") & ((values < low) | (values > high))
        reasons = _add_reason(
            reasons,
            far,
            f"{col} ",
            values,
            f" is over {PRICE_SPREAD:g}x outside the series' range ({shown})",
        )
    return reasons


def validate_bars(
    frame: pd.DataFrame, *, today: date, series_range: tuple[float, float] | None = None
) -> ValidationResult:
    """Split a canonical frame (optionally with ``raw_date``) into valid and rejected rows.

    ``series_range``: the (lowest, highest) close already stored for the symbol, if any.
    """
    dates = pd.to_datetime(frame["date"])
    iso_dates = dates.dt.strftime("%Y-%m-%d")
    # Frames from sources other than CSV files have no raw_date: the date is the text.
    raw_dates = frame.get("raw_date", iso_dates).fillna("").astype(str)
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

    # NaT rows are not counted: value_counts drops them and they are rejected above.
    counts = dates.map(dates.value_counts()).fillna(0).astype(int)
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

    reasons = _add_reason(
        reasons, dates > pd.Timestamp(today), "future date ", iso_dates, f" (today is {today})"
    )

    reasons = _far_outside(reasons, frame, series_range)

    failed = reasons != ""
    valid = frame.loc[~failed, BAR_COLUMNS].reset_index(drop=True)
    rejected = frame.loc[failed, ["open", "high", "low", "close", "volume"]].assign(
        date=dates[failed], raw_date=raw_dates[failed], reason=reasons[failed].astype(str)
    )
    return ValidationResult(valid=valid, rejected=rejected[REJECTED_COLUMNS].reset_index(drop=True))

"""Read a user's own daily-history CSV: tushare ``get_k_data``, Yahoo Finance or Investing.com.

The format is recognised from the header line. Cells that do not parse become NaT/NaN
rather than errors, and the date text is kept in ``raw_date``, so that
``pipeline.data.validation`` can reject exactly those rows and say what was in the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.data.bars import canonical
from pipeline.data.symbols import ALWAYS_OPEN, SymbolInfo
from pipeline.data.validation import FIRST_DATE, LAST_DATE
from pipeline.errors import CsvFormatError

_VOLUME_SUFFIXES = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9}


def _dates(raw: pd.Series, *formats: str) -> pd.Series:
    """Parse with the first format that fits each cell; NaT where none does or out of range."""
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    for fmt in formats:
        found = pd.to_datetime(raw, format=fmt, errors="coerce")
        # 9999-12-31 parses at second resolution but fits no nanosecond timestamp.
        in_range = (found >= FIRST_DATE) & (found <= LAST_DATE)
        parsed = parsed.fillna(found.where(in_range).astype("datetime64[ns]"))
    return parsed


def _numbers(raw: pd.Series) -> pd.Series:
    # Investing.com writes thousands separators ("1,234.50"); plain files have none.
    return pd.to_numeric(raw.str.strip().str.replace(",", "", regex=False), errors="coerce")


def _suffixed_volume(raw: pd.Series) -> pd.Series:
    """Investing.com volumes such as "1.23M" or "850.5K"; "-" (no volume) becomes NaN."""
    parts = raw.str.strip().str.upper().str.extract(r"^([0-9.,]+)([KMB]?)$")
    return _numbers(parts[0]) * parts[1].map(_VOLUME_SUFFIXES)


def _parse_tushare(raw: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "raw_date": raw["date"],
            "date": _dates(raw["date"], "%Y-%m-%d"),
            # The file's column order is open, close, high, low; select by name.
            **{c: _numbers(raw[c]) for c in ("open", "high", "low", "close", "volume")},
        }
    )


def _parse_yahoo(raw: pd.DataFrame) -> pd.DataFrame:
    # Yahoo writes "null" for missing cells; to_numeric coerces it to NaN.
    return pd.DataFrame(
        {
            "raw_date": raw["Date"],
            "date": _dates(raw["Date"], "%Y-%m-%d"),
            **{c.lower(): _numbers(raw[c]) for c in ("Open", "High", "Low", "Close", "Volume")},
        }
    )


def _parse_investing(raw: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "raw_date": raw["Date"],
            "date": _dates(raw["Date"], "%b %d, %Y", "%m/%d/%Y"),
            "open": _numbers(raw["Open"]),
            "high": _numbers(raw["High"]),
            "low": _numbers(raw["Low"]),
            "close": _numbers(raw["Price"]),
            "volume": _suffixed_volume(raw["Vol."]),
        }
    )


@dataclass(frozen=True)
class CsvFormat:
    """One supported CSV layout and what its numbers mean."""

    name: str
    header: str  # the header line exactly as the exporting tool writes it
    source: str
    price_adjustment: str
    volume_unit: str
    crypto_volume_unit: str  # the volume unit when the symbol trades 24/7
    parse: Callable[[pd.DataFrame], pd.DataFrame] = field(repr=False, compare=False)

    @property
    def columns(self) -> list[str]:
        """The header's column names, unquoted."""
        return next(csv.reader([self.header]))

    def unit_for(self, info: SymbolInfo) -> str:
        """The volume unit of this format's files for info."""
        return self.crypto_volume_unit if info.calendar == ALWAYS_OPEN else self.volume_unit


FORMATS: tuple[CsvFormat, ...] = (
    CsvFormat(
        name="tushare_k_data",
        header=",date,open,close,high,low,volume,code",
        source="csv:tushare_k_data",
        price_adjustment="qfq",  # get_k_data's default autype
        volume_unit="lots_100",
        crypto_volume_unit="lots_100",
        parse=_parse_tushare,
    ),
    CsvFormat(
        name="yahoo",
        header="Date,Open,High,Low,Close,Adj Close,Volume",
        source="csv:yahoo",
        price_adjustment="split",  # Open..Close are split- but not dividend-adjusted
        volume_unit="shares",
        crypto_volume_unit="usd",
        parse=_parse_yahoo,
    ),
    CsvFormat(
        name="investing",
        header='"Date","Price","Open","High","Low","Vol.","Change %"',
        source="csv:investing",
        price_adjustment="none",
        volume_unit="shares",
        crypto_volume_unit="units",
        parse=_parse_investing,
    ),
)


def _supported() -> str:
    return "; ".join(f"{f.name}: {f.header}" for f in FORMATS)


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise CsvFormatError(f"{path}: the file is empty")
    try:
        # utf-8-sig drops the byte-order mark Investing.com writes.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvFormatError(
            f"{path}: not UTF-8 ({exc.reason}: byte {data[exc.start]:#04x} at offset "
            f"{exc.start}); re-save it as UTF-8 (GBK and Latin-1 are not supported)"
        ) from exc


def _shorten(text: str, limit: int = 80) -> str:
    """A file's text quoted in an error: junk files can be long."""
    return text if len(text) <= limit else text[:limit] + "…"


def detect_format(header_line: str) -> CsvFormat | None:
    """The format whose header matches header_line (quotes and spaces ignored), if any."""
    columns = [c.strip() for c in next(csv.reader([header_line], skipinitialspace=True), [])]
    return next((f for f in FORMATS if f.columns == columns), None)


def read_history_csv(path: Path, info: SymbolInfo) -> pd.DataFrame:
    """Read a history CSV of info into a canonical frame plus a ``raw_date`` text column.

    Rows are ascending by date; rows whose date did not parse (NaT) come last.
    Raises CsvFormatError for an empty, non-UTF-8, unrecognised or header-only file.
    """
    text = _decode(path)
    header_line = text.splitlines()[0]
    fmt = detect_format(header_line)
    if fmt is None:
        raise CsvFormatError(
            f"{path}: unrecognised header {_shorten(header_line.strip())!r}; "
            f"supported formats are {_supported()}"
        )
    # Everything is read as text so that a bad cell becomes NaN/NaT, not a failed read.
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    if raw.empty:
        raise CsvFormatError(f"{path}: the file has a {fmt.name} header but no rows")
    raw.columns = [c.strip() for c in raw.columns]
    # Sort before canonical() so raw_date stays aligned with the rows canonical() keeps
    # (its stable sort is then a no-op).
    parsed = fmt.parse(raw).sort_values("date", kind="stable").reset_index(drop=True)
    bars = canonical(
        parsed,
        volume_unit=fmt.unit_for(info),
        price_adjustment=fmt.price_adjustment,
        source=fmt.source,
    )
    bars["raw_date"] = parsed["raw_date"].astype(str)
    return bars

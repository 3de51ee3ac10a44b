"""Read a user's own daily-history CSV: tushare ``get_k_data`` or pro ``daily``, Yahoo Finance,
Investing.com, or a Chinese terminal export (``pipeline.data.chinese_csv``).

The file may be UTF-8 (with or without a byte-order mark), GBK or GB18030, comma- or
tab-separated, with a title line above the header and a footer below the rows. The format is
recognised from the header line. Cells that do not parse become NaT/NaN
rather than errors, and the date text is kept in ``raw_date``, so that
``pipeline.data.validation`` can reject exactly those rows and say what was in the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd

from pipeline.data import chinese_csv
from pipeline.data.adj_factors import from_adjusted
from pipeline.data.bars import canonical
from pipeline.data.file_codes import stated_codes
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
            "adj_factor": from_adjusted(_numbers(raw["Close"]), _numbers(raw["Adj Close"])),
        }
    )


def _parse_tushare_pro(raw: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "raw_date": raw["trade_date"],
            "date": _dates(raw["trade_date"], "%Y%m%d"),
            **{c: _numbers(raw[c]) for c in ("open", "high", "low", "close", "amount")},
            "volume": _numbers(raw["vol"]),
        }
    )


def _parse_chinese(columns: dict[str, str], raw: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "raw_date": raw[columns["date"]],
            "date": _dates(raw[columns["date"]].str.strip(), *chinese_csv.DATE_FORMATS),
        }
    )
    for column in ("open", "high", "low", "close", "volume", "amount"):
        frame[column] = _numbers(raw[columns[column]]) if column in columns else float("nan")
    frame["amount"] /= 1000  # 成交额 is in CNY; bars.amount, as tushare's, in thousands
    return frame


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
        name="tushare_pro_daily",
        header="ts_code,trade_date,open,high,low,close,pre_close,change,pct_chg,vol,amount",
        source="csv:tushare_pro_daily",
        price_adjustment="none",
        volume_unit="lots_100",
        crypto_volume_unit="lots_100",
        parse=_parse_tushare_pro,
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
    names = ", ".join(f.name for f in FORMATS)
    return f"{names}, or a Chinese export (日期 开盘 最高 最低 收盘 [成交量 成交额])"


def _decode(path: Path) -> str:
    """The file's text: UTF-8 (utf-8-sig drops a byte-order mark), else GB18030 (⊃ GBK)."""
    data = path.read_bytes()
    if not data.strip():
        raise CsvFormatError(f"{path}: the file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise CsvFormatError(
                f"{path}: neither UTF-8 nor GBK/GB18030 ({exc.reason}: byte "
                f"{data[exc.start]:#04x} at offset {exc.start}); re-save it as UTF-8"
            ) from exc


def _shorten(text: str, limit: int = 80) -> str:
    """A file's text quoted in an error: junk files can be long."""
    return text if len(text) <= limit else text[:limit] + "…"


def _separator(line: str) -> str:
    return "\t" if "\t" in line else ","


def detect_format(header_line: str, title: str = "") -> CsvFormat | None:
    """The format whose header matches header_line (quotes and spaces ignored), if any."""
    cells = next(
        csv.reader([header_line], delimiter=_separator(header_line), skipinitialspace=True), []
    )
    columns = [c.strip() for c in cells]
    known = next((f for f in FORMATS if f.columns == columns), None)
    chinese = chinese_csv.chinese_columns(columns)
    if known or chinese is None:
        return known
    unit = chinese_csv.volume_unit(chinese.get("volume"))
    return CsvFormat(
        name="chinese",
        header=",".join(columns),
        source="csv:chinese",
        price_adjustment=chinese_csv.price_adjustment(title),
        volume_unit=unit,
        crypto_volume_unit=unit,
        parse=partial(_parse_chinese, chinese),
    )


def _find_header(path: Path, lines: list[str]) -> tuple[int, CsvFormat]:
    """The header line's index (a title line may precede it) and its format."""
    for at, line in enumerate(lines[:3]):
        fmt = detect_format(line, title=lines[0] if at else "")
        if fmt is not None:
            return at, fmt
    raise CsvFormatError(
        f"{path}: unrecognised header {_shorten(lines[0].strip())!r}; "
        f"supported formats are {_supported()}"
    )


def read_history_csv(path: Path, info: SymbolInfo) -> pd.DataFrame:
    """Read a history CSV of info into a canonical frame plus a ``raw_date`` text column.

    Rows are ascending by date; rows whose date did not parse (NaT) come last.
    Raises CsvFormatError for an empty, undecodable, unrecognised or header-only file.
    """
    return read_history(path, info)[0]


def read_history(path: Path, info: SymbolInfo) -> tuple[pd.DataFrame, dict[str, str]]:
    """:func:`read_history_csv`'s frame, and the codes the file states (code -> where)."""
    lines = _decode(path).splitlines()
    at, fmt = _find_header(path, lines)
    sep = _separator(lines[at])
    # A footer (通达信: 数据来源:通达信) and blank lines have no separator: they are no rows.
    body = [line for line in lines[at + 1 :] if sep in line]
    # Everything is read as text so that a bad cell becomes NaN/NaT, not a failed read.
    raw = pd.read_csv(
        io.StringIO("\n".join([lines[at], *body])),
        sep=sep,
        dtype=str,
        keep_default_na=False,
        skipinitialspace=True,
    )
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
    return bars, stated_codes(raw, lines[0] if at else "")

"""The instrument a history file names itself, and whether it is the one the user said.

A file may say which instrument it holds: tushare's ``code`` (``600519``) or ``ts_code``
(``600519.SH``) column, a Chinese export's 代码 column, or a 通达信 title line
(``600519 贵州茅台 日线 不复权``). A code with its exchange (``600519.SH``, ``600519.SS``,
``SH600519``) must match the symbol's exchange too; six digits alone match the symbol's digits.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pipeline.data.symbols import SymbolInfo
from pipeline.errors import InputError

CODE_COLUMNS = ("code", "ts_code", "代码", "股票代码", "证券代码")
_TITLE_CODE = re.compile(r"^\s*([A-Za-z]{2}\d{6}|\d{6}(?:\.[A-Za-z]{2})?)\s")
_SUFFIXED = re.compile(r"^(\d{6})\.([A-Z]{2})$")
_PREFIXED = re.compile(r"^([A-Z]{2})(\d{6})$")
_EXCHANGES = {"SS": "SH"}  # Yahoo's Shanghai suffix


def stated_codes(raw: pd.DataFrame, title: str) -> dict[str, str]:
    """Each code the file states -> where it says so (a column's name, or "title line")."""
    found: dict[str, str] = {}
    for column in raw.columns:
        if column.strip().lower() in CODE_COLUMNS:
            for value in raw[column].str.strip().unique():
                if value:
                    found.setdefault(value, f"{column.strip()} column")
    if match := _TITLE_CODE.match(title):
        found.setdefault(match.group(1), "title line")
    return found


def _parts(code: str) -> tuple[str, str | None]:
    """(the code without exchange, the exchange or None): ``sh600519`` -> (600519, SH)."""
    code = code.strip().upper()
    if code.isdigit() and len(code) < 6:  # a spreadsheet dropped the leading zeros
        code = code.zfill(6)
    if match := _SUFFIXED.match(code):
        return match.group(1), _EXCHANGES.get(match.group(2), match.group(2))
    if match := _PREFIXED.match(code):
        return match.group(2), match.group(1)
    return code, None


def is_code_of(code: str, info: SymbolInfo) -> bool:
    """Whether a file's code names info's instrument."""
    number, exchange = _parts(code)
    names = {info.symbol, info.tushare_code, info.yahoo_ticker} - {None}
    for name in names:
        own_number, own_exchange = _parts(str(name))
        if number == own_number and exchange in (None, own_exchange):
            return True
    return False


def check_codes(path: Path, codes: dict[str, str], info: SymbolInfo) -> None:
    """Raise InputError when the file names an instrument other than info's."""
    other = {code: where for code, where in codes.items() if not is_code_of(code, info)}
    if other:
        shown = ", ".join(f"{code} ({where})" for code, where in list(other.items())[:3])
        more = f" and {len(other) - 3} more" if len(other) > 3 else ""
        raise InputError(
            f"--file {path} names {shown}{more}, not {info.symbol}: check --symbol, or give "
            f"--ignore-code to import it as {info.symbol} anyway"
        )

"""Exports from Chinese trading terminals (通达信, 同花顺, 东方财富) and data vendors.

Headers are Chinese (代码, 日期 or 时间, 开盘(价), 最高(价), 最低(价), 收盘(价), 成交量(股|手),
成交额(元)), separated by commas or tabs and padded with spaces; a title line may come first
(通达信: ``600519 贵州茅台 日线 不复权``) and a footer last (``数据来源:通达信``). Volume is in
shares unless the header says lots (手); prices are as the terminal exported them.
"""

from __future__ import annotations

import re

# Canonical column -> the header names terminals use for it (parentheses ignored).
_ALIASES = {
    "date": ("日期", "时间", "交易日期"),
    "open": ("开盘", "开盘价"),
    "high": ("最高", "最高价"),
    "low": ("最低", "最低价"),
    "close": ("收盘", "收盘价"),
    "volume": ("成交量",),
    "amount": ("成交额", "成交金额"),
}
_REQUIRED = ("date", "open", "high", "low", "close")
DATE_FORMATS = ("%Y/%m/%d", "%Y-%m-%d", "%Y%m%d")


def _bare(name: str) -> str:
    """A header cell without spaces and its unit in (half- or full-width) parentheses."""
    return re.sub(r"[(（].*?[)）]", "", name).strip()


def chinese_columns(cells: list[str]) -> dict[str, str] | None:
    """Canonical column -> header cell, if cells are a Chinese OHLC header; else None."""
    found = {}
    for cell in cells:
        for column, names in _ALIASES.items():
            if _bare(cell) in names and column not in found:
                found[column] = cell
    return found if all(c in found for c in _REQUIRED) else None


def volume_unit(volume_header: str | None) -> str:
    """lots_100 when the header says 手 (lots of 100 shares), else shares."""
    return "lots_100" if volume_header and "手" in volume_header else "shares"


def price_adjustment(title: str) -> str:
    """The basis a 通达信 title line names (不复权 raw, 前复权 qfq, 后复权 hfq); raw if none."""
    if "前复权" in title:
        return "qfq"
    return "hfq" if "后复权" in title else "none"

"""Every option checked before work: dates, symbols, sources, models, targets, presets,
policies, and the symbols' bars in the warehouse, before Prefect, Keras or a flow starts.

Each check raises InputError naming the option and the reason, so that a bad input fails in
about a second with one line. The rules themselves are the settings' and the pipeline's
(the same constants and functions the flows use); this module only applies them early.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import InputError, UnknownSymbolError

if TYPE_CHECKING:
    from pipeline.data.symbols import SymbolInfo

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: str | None, option: str = "date") -> date | None:
    """A YYYY-MM-DD option value as a date (exactly that form: 2024-5-1 is refused)."""
    if not value:
        return None
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise InputError(f"{option} {value!r}: not a date (YYYY-MM-DD)") from None


def check_range(start: date | None, end: date | None) -> None:
    """--start must not be after --end."""
    if start and end and start > end:
        raise InputError(f"--start {start} is after --end {end}")


def _one_of(option: str, value: str | None, choices: tuple[str, ...] | list[str]) -> None:
    if value is not None and value not in choices:
        raise InputError(f"{option} {value!r}: choose one of {', '.join(choices)}")


def check_source(source: str | None, symbols: list[SymbolInfo] | None = None) -> None:
    """A known --source; ``bundled`` only for the symbols it has a history of."""
    from pipeline.data.sources import SOURCE_NAMES

    _one_of("--source", source, SOURCE_NAMES)
    if source == "bundled":
        from pipeline.data.sources.bundled import BUNDLED_FILES

        names = [entry.symbol for entry in BUNDLED_FILES]
        for info in symbols or ():
            if info.symbol not in names:
                raise UnknownSymbolError(
                    f"--source bundled: no bundled history for {info.symbol}: bundled symbols "
                    f"are {', '.join(names)}"
                )


def check_models(models: list[str] | None) -> None:
    """Known model kinds (--model/--models), as the training step resolves them."""
    from pipeline.choices import resolve_kinds

    if models:
        try:
            resolve_kinds(models)
        except InputError as exc:
            raise InputError(f"--models: {exc}") from None


def check_step(options: dict[str, Any]) -> None:
    """The model, target, preset and policy options of a command, where given."""
    from pipeline.choices import POLICIES, PRESET_NAMES, TARGETS

    check_models(options.get("models"))
    _one_of("--target", options.get("target"), TARGETS)
    _one_of("--preset", options.get("preset"), PRESET_NAMES)
    _one_of("--policy", options.get("policy"), POLICIES)


def symbols_named(codes: list[str] | str | None) -> list[SymbolInfo]:
    """The symbols a command names (configured, else read from their codes), or the watch list."""
    from flows.symbols import resolve_symbols

    return resolve_symbols([codes] if isinstance(codes, str) else codes)


def check_not_future(day: date | None, symbols: list[SymbolInfo], option: str = "--as-of") -> None:
    """``day`` must not be after today where any of ``symbols`` trades: no bar exists yet."""
    from pipeline.data.calendars import today_in

    if day is None or not symbols:
        return
    today = max(today_in(info) for info in symbols)
    if day > today:
        raise InputError(f"{option} {day} is in the future (today is {today}): no bars yet")


def check_stored(
    warehouse: Path, symbols: list[SymbolInfo], as_of: date | None = None, option: str = "--as-of"
) -> None:
    """Each symbol has bars in the warehouse, and ``as_of`` is not after its newest bar's next
    trading day (bars that are not stored cannot be known as of that day)."""
    import pandas as pd

    from pipeline.data.calendars import next_trading_day
    from warehouse.bars import bar_summary
    from warehouse.connection import connect

    with connect(warehouse, read_only=True) as con:
        summary = bar_summary(con)
    newest: dict[str, date] = {
        str(symbol): pd.Timestamp(last).date()
        for symbol, last in zip(summary["symbol"], summary["last_date"], strict=True)
    }
    for info in symbols:
        if info.symbol not in newest:
            raise InputError(
                f"{info.symbol} is not in the warehouse {warehouse}: ingest it first "
                f"(nextbar ingest --symbol {info.symbol})"
            )
        last = newest[info.symbol]
        if as_of is not None and as_of > next_trading_day(info, last):
            raise InputError(
                f"{option} {as_of} is after {info.symbol}'s newest bar ({last}): ingest the "
                f"bars up to that day, or give {option} {last} or earlier"
            )


def warehouse_path(path: Path | None) -> Path:
    """The --warehouse option, else the settings' warehouse."""
    from pipeline.settings import load_settings

    return path or load_settings().warehouse


def check_options(options: dict[str, Any], *, stored: bool) -> None:
    """A command's options by name (``symbol``, ``source``, ``start``, ``end``, ``as_of``,
    ``warehouse`` and the step options), before any work; ``stored``: the command reads the
    symbols' stored bars, so they must be in the warehouse."""
    start = parse_date(options.get("start"), "--start")
    check_range(start, parse_date(options.get("end"), "--end"))
    as_of = parse_date(options.get("as_of"), "--as-of")
    check_step(options)
    symbols = symbols_named(options.get("symbol"))
    check_source(options.get("source"), symbols)
    check_not_future(as_of, symbols)
    if stored:
        check_stored(warehouse_path(options.get("warehouse")), symbols, as_of)

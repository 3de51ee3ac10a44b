"""Settings sections beside the step's: what is watched and where the work runs
(``[[symbols]]``, ``[watchlist]``, ``[dask]``, ``[retention]``, ``[calendar]``) and how
tomorrow's quantiles are calibrated (``[intervals]``); pipeline.settings holds them all."""

from __future__ import annotations

from dataclasses import asdict
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.choices import SCALED_KINDS, STEP_KINDS, VOLATILITY_KINDS, one_of
from pipeline.data.sources import SOURCE_NAMES
from pipeline.data.symbols import SymbolInfo, exchange_session, infer_symbol
from pipeline.errors import InputError
from pipeline.forecast.calibration import DEFAULT_ACI_STEP, DEFAULT_POOL, DEFAULT_SCALE, Calibration

STRICT = ConfigDict(extra="forbid", frozen=True)  # a misspelt key is an error


class SymbolConfig(BaseModel):
    """One ``[[symbols]]`` table: the fields of pipeline.data.symbols.SymbolInfo. For a code
    nextbar can read (600519.SH, ETH-USD, AAPL, 0700.HK, ...) only ``symbol`` is needed and
    every other field given overrides the inferred one; other codes need them all."""

    model_config = STRICT

    symbol: str
    name: str | None = None
    calendar: str | None = None  # XSHG, 24/7 or an exchange-calendars code
    currency: str | None = None
    timezone: str | None = None
    session_close: time | None = None
    tushare_code: str | None = None
    yahoo_ticker: str | None = None
    default_source: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        try:
            ZoneInfo(value) if value is not None else None
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("calendar")
    @classmethod
    def _known_calendar(cls, value: str | None) -> str | None:
        if value is not None and value not in ("XSHG", "24/7"):
            try:
                exchange_session(value)
            except InputError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("default_source")
    @classmethod
    def _known_source(cls, value: str | None) -> str | None:
        return None if value is None else one_of(value, SOURCE_NAMES, "source")

    def to_info(self) -> SymbolInfo:
        """The SymbolInfo the flows use: the inferred one with this table's fields over it."""
        given = self.model_dump(exclude_unset=True)
        try:
            inferred = asdict(infer_symbol(self.symbol))
        except InputError:
            missing = [f for f in _REQUIRED if given.get(f) is None]
            if missing:
                raise InputError(
                    f"[[symbols]] {self.symbol!r}: nextbar cannot infer this code, so give "
                    f'{", ".join(missing)} (e.g. calendar = "XNYS", currency = "USD", '
                    f'timezone = "America/New_York", session_close = 16:00:00)'
                ) from None
            inferred = {"default_source": "yfinance"}
        return SymbolInfo(**{**inferred, **given, "is_inferred": False})


_REQUIRED = ("name", "calendar", "currency", "timezone", "session_close")


class WatchListConfig(BaseModel):
    """``[watchlist]``: the symbols ``nextbar run`` and the deployments take, listed here and/or
    in a file of codes (one a line, ``#`` comments)."""

    model_config = STRICT

    symbols: list[str] = Field(default_factory=list)
    file: Path | None = None  # relative to the configuration file

    def listed(self, base: Path) -> list[tuple[str, str]]:
        """Every listed code, repeats included, with where it is listed (the file's lines
        after the table's)."""
        listed = [(s.strip().upper(), "[watchlist] symbols") for s in self.symbols]
        if self.file is not None:
            path = self.file if self.file.is_absolute() else base / self.file
            if not path.is_file():
                raise InputError(f"[watchlist] file {path}: no such file")
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                code = line.split("#", 1)[0].strip().upper()
                if code:
                    listed.append((code, f"{path.name} line {n}"))
        return listed

    def codes(self, base: Path) -> list[str]:
        """Every listed code once, in order (the file's after the table's)."""
        return list(dict.fromkeys(code for code, _ in self.listed(base)))


class DaskConfig(BaseModel):
    """``[dask]``: where fits and forecasts run. No address: a local cluster of ``workers``
    processes; an address (``tcp://scheduler:8786``): that existing cluster."""

    model_config = STRICT

    address: str | None = None
    workers: int = Field(default=2, ge=1)
    chunk_size: int = Field(default=200, ge=1)  # symbols per task: few task runs, not thousands
    min_symbols: int = Field(default=20, ge=1)  # fewer symbols: fit in this process, no cluster


class RetentionConfig(BaseModel):
    """``[retention]``: which model and split files ``nextbar gc`` keeps."""

    model_config = STRICT

    keep_latest: int = Field(default=1, ge=1)  # per symbol and model, besides champions


class CalendarConfig(BaseModel):
    """``[calendar]``: trading days past exchange-calendars' horizon (see
    pipeline.data.holidays): a holiday file per exchange, ``{XSHG = "xshg-holidays.txt"}``."""

    model_config = STRICT

    holidays_file: dict[str, Path] = Field(default_factory=dict)  # relative to the config file

    @field_validator("holidays_file")
    @classmethod
    def _known_calendars(cls, value: dict[str, Path]) -> dict[str, Path]:
        import exchange_calendars

        known = set(exchange_calendars.get_calendar_names(include_aliases=False))
        for name in value:
            if name not in known:
                raise ValueError(
                    f"[calendar] holidays_file: {name!r} is not an exchange-calendars code "
                    "(XSHG, XNYS, XHKG, ...)"
                )
        return value

    def holiday_paths(self, base: Path) -> dict[str, Path]:
        """Each calendar's holiday file, relative paths taken from ``base``."""
        return {c: p if p.is_absolute() else base / p for c, p in self.holidays_file.items()}


class IntervalsConfig(BaseModel):
    """``[intervals]``: how tomorrow's quantiles are calibrated (pipeline.forecast.intervals)."""

    model_config = STRICT

    pool: int = Field(default=DEFAULT_POOL, ge=20)  # FHS: standardised errors pooled
    aci_step: float = Field(default=DEFAULT_ACI_STEP, ge=0.0, le=0.05)  # ACI on top; 0: off
    scale: str = DEFAULT_SCALE  # the scale kind point models are issued on
    flat: tuple[str, ...] = ()  # point models kept on the flat 60-error window

    @field_validator("scale")
    @classmethod
    def _known_scale(cls, value: str) -> str:
        return one_of(value, VOLATILITY_KINDS, "scale kind")

    @field_validator("flat")
    @classmethod
    def _point_kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for kind in value:
            one_of(kind, [k for k in STEP_KINDS if k not in SCALED_KINDS], "point model")
        return value

    def calibration(self) -> Calibration:
        """The step's calibration."""
        return Calibration(**self.model_dump())

"""The optional ``nextbar.toml``: symbols, watch list, sources, model and split defaults,
retraining policy, the Dask cluster, artifact retention.

Precedence, highest first: environment (``NEXTBAR_*``; nested keys with ``__``, e.g.
``NEXTBAR_MODEL__EPOCHS=5``, lists and tables as JSON), the file, the defaults below. The file is
``$NEXTBAR_CONFIG`` or, when that is unset, ``./nextbar.toml`` if it exists.
deploy/nextbar.example.toml documents every key.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from pipeline.data.ingest import SOURCE_NAMES
from pipeline.data.symbols import DEFAULT_SYMBOLS, SymbolInfo, exchange_session, infer_symbol
from pipeline.errors import InputError
from pipeline.models.registry import STEP_KINDS
from pipeline.splits.config import TARGETS

CONFIG_ENV = "NEXTBAR_CONFIG"
DEFAULT_CONFIG_PATH = Path("nextbar.toml")

_Strict = ConfigDict(extra="forbid")  # a misspelt key is an error, not a silent default


class SymbolConfig(BaseModel):
    """One ``[[symbols]]`` table: the fields of pipeline.data.symbols.SymbolInfo. For a code
    nextbar can read (600519.SH, ETH-USD, AAPL, 0700.HK, ...) only ``symbol`` is needed and
    every other field given overrides the inferred one; other codes need them all."""

    model_config = _Strict

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
        return None if value is None else _check_source(value)

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

    model_config = _Strict

    symbols: list[str] = Field(default_factory=list)
    file: Path | None = None  # relative to the configuration file

    def codes(self, base: Path) -> list[str]:
        """Every listed code once, in order (the file's after the table's)."""
        codes = [s.strip().upper() for s in self.symbols]
        if self.file is not None:
            path = self.file if self.file.is_absolute() else base / self.file
            if not path.is_file():
                raise InputError(f"[watchlist] file {path}: no such file")
            for line in path.read_text(encoding="utf-8").splitlines():
                code = line.split("#", 1)[0].strip().upper()
                if code:
                    codes.append(code)
        return list(dict.fromkeys(codes))


class DaskConfig(BaseModel):
    """``[dask]``: where fits and forecasts run. No address: a local cluster of ``workers``
    processes; an address (``tcp://scheduler:8786``): that existing cluster."""

    model_config = _Strict

    address: str | None = None
    workers: int = Field(default=2, ge=1)
    chunk_size: int = Field(default=200, ge=1)  # symbols per task: few task runs, not thousands
    min_symbols: int = Field(default=20, ge=1)  # fewer symbols: fit in this process, no cluster


class RetentionConfig(BaseModel):
    """``[retention]``: which model and split files ``nextbar gc`` keeps."""

    model_config = _Strict

    keep_latest: int = Field(default=1, ge=1)  # per symbol and model, besides champions


class SourcesConfig(BaseModel):
    """``[sources]``: where bars come from."""

    model_config = _Strict

    # one source for every symbol (e.g. "bundled" offline); None: each symbol's default_source
    default: str | None = None

    @field_validator("default")
    @classmethod
    def _known_source(cls, value: str | None) -> str | None:
        return None if value is None else _check_source(value)


class ModelConfig(BaseModel):
    """``[model]``: which models the daily step fits, and how long."""

    model_config = _Strict

    models: list[str] = Field(default_factory=lambda: ["naive", "drift", "linear", "gru", "lstm"])
    epochs: int = Field(default=50, ge=1)
    seed: int = 42

    @field_validator("models")
    @classmethod
    def _known_models(cls, value: list[str]) -> list[str]:
        unknown = [m for m in value if m not in (*STEP_KINDS, "all")]
        if unknown or not value:
            raise ValueError(f"unknown models {unknown or '(none)'}; choose from {STEP_KINDS}")
        return value


class SplitDefaults(BaseModel):
    """``[split]``: how bars become training samples."""

    model_config = _Strict

    target: str = "close"
    window: int = Field(default=60, ge=1)
    validation_size: int = Field(default=120, ge=1)
    test_size: int = Field(default=300, ge=0)  # train flow only: the daily step tests tomorrow
    history_bars: int | None = Field(default=None, ge=1)  # newest N bars only; None: all

    @field_validator("target")
    @classmethod
    def _known_target(cls, value: str) -> str:
        if value not in TARGETS:
            raise ValueError(f"unknown target {value!r}; choose from {list(TARGETS)}")
        return value


class RetrainConfig(BaseModel):
    """``[retrain]``: full retrain every N trading days, fine-tune in between."""

    model_config = _Strict

    retrain_every: int = Field(default=5, ge=1)
    finetune_epochs: int = Field(default=3, ge=0)


class Config(BaseSettings):
    """Everything ``nextbar.toml`` may set; load it with :func:`load_config`."""

    model_config = SettingsConfigDict(
        env_prefix="NEXTBAR_", env_nested_delimiter="__", extra="ignore"
    )

    symbols: list[SymbolConfig] = Field(default_factory=list)  # empty: the built-in symbols
    watchlist: WatchListConfig = Field(default_factory=WatchListConfig)
    dask: DaskConfig = Field(default_factory=DaskConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    split: SplitDefaults = Field(default_factory=SplitDefaults)
    retrain: RetrainConfig = Field(default_factory=RetrainConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # earlier sources win: the environment over the file over the field defaults
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=config_path()),
        )


def config_path() -> Path:
    """``$NEXTBAR_CONFIG``, else ./nextbar.toml (which need not exist)."""
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_PATH)


def load_config() -> Config:
    """The configuration: environment over the file over the defaults.

    Raises InputError when NEXTBAR_CONFIG names a missing file, or a value is invalid.
    """
    path = config_path()
    if os.environ.get(CONFIG_ENV) and not path.is_file():
        raise InputError(f"{CONFIG_ENV}={path}: no such file")
    try:
        return Config()
    except ValueError as exc:  # pydantic's ValidationError, or a TOML syntax error
        message = f"invalid configuration (file {path}, or NEXTBAR_* variables): {exc}"
        raise InputError(message) from None


def configured_symbols(config: Config | None = None) -> tuple[SymbolInfo, ...]:
    """The configured symbols, or pipeline.data.symbols.DEFAULT_SYMBOLS when none are configured."""
    config = config or load_config()
    if not config.symbols:
        return DEFAULT_SYMBOLS
    infos = tuple(s.to_info() for s in config.symbols)
    names = [i.symbol for i in infos]
    if len(set(names)) != len(names):
        raise InputError(f"symbols are configured more than once: {sorted(names)}")
    return infos


def watch_list(config: Config | None = None) -> tuple[SymbolInfo, ...]:
    """The watch list's symbols (configured tables over inferred ones), or the configured symbols
    when no watch list is set."""
    config = config or load_config()
    codes = config.watchlist.codes(config_path().parent)
    known = configured_symbols(config)
    if not codes:
        return known
    by_name = {i.symbol: i for i in known}
    return tuple(by_name.get(code) or infer_symbol(code) for code in codes)


def _check_source(value: str) -> str:
    if value not in SOURCE_NAMES:
        raise ValueError(f"unknown source {value!r}; choose from {list(SOURCE_NAMES)}")
    return value

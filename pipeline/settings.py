"""The one settings object: paths, the token, sources, model, split, retraining, symbols.

Precedence, highest first: a CLI flag or flow parameter (keyword arguments of
:func:`load_settings`), the environment (``NEXTBAR_*``; a section's key as
``NEXTBAR_<SECTION>__<KEY>``, lists and tables as JSON; ``TUSHARE_TOKEN``), ``nextbar.toml``
(``$NEXTBAR_CONFIG``, else ``./nextbar.toml`` when it exists), then the defaults below; unset
``epochs`` and ``window`` are the preset's. deploy/nextbar.example.toml documents every key.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic import model_validator as after_validation
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from pipeline.choices import POLICIES, one_of
from pipeline.data.sources import SOURCE_NAMES
from pipeline.data.symbols import DEFAULT_SYMBOLS, SymbolInfo
from pipeline.environment import check_environment
from pipeline.errors import InputError
from pipeline.models import backend
from pipeline.settings_checks import (
    check_names,
    explain,
    explain_unparsed,
    read_file,
    watch_list_symbols,
)
from pipeline.settings_sections import (
    STRICT,
    CalendarConfig,
    DaskConfig,
    IntervalsConfig,
    RetentionConfig,
    SymbolConfig,
    WatchListConfig,
)
from pipeline.step_options import ModelOptions, RetrainOptions, SplitOptions

CONFIG_ENV = "NEXTBAR_CONFIG"
DEFAULT_CONFIG_PATH = Path("nextbar.toml")
PATH_DIRS = {"models_dir": "models", "plots_dir": "plots", "splits_dir": "splits"}


class SourcesConfig(BaseModel):
    """``[sources]``: where bars come from."""

    model_config = STRICT

    default: str | None = None  # one source for every symbol; None: each symbol's own

    @field_validator("default")
    @classmethod
    def _known_source(cls, value: str | None) -> str | None:
        return None if value is None else one_of(value, SOURCE_NAMES, "source")


class ModelConfig(ModelOptions):
    """``[model]``: its step options (pipeline.step_options), and the Keras backend."""

    # Keras backend of the networks; KERAS_BACKEND counts as its environment variable too
    backend: str = backend.DEFAULT_BACKEND

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        return one_of(value, backend.BACKENDS, "Keras backend")


class ReplayConfig(BaseModel):
    """``[replay]``: a walk-forward backtest's schedule (``nextbar replay``)."""

    model_config = STRICT

    # full retrain every N trading days; "frozen" keeps the weights in between (the fast path,
    # its cost is the retrains), "finetune" fine-tunes daily as the live step does
    retrain_every: int = Field(default=20, ge=1)
    policy: str = "frozen"

    @field_validator("policy")
    @classmethod
    def _known_policy(cls, value: str) -> str:
        return one_of(value, POLICIES, "policy")


class Settings(BaseSettings):
    """Everything nextbar can be told; build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="NEXTBAR_", env_nested_delimiter="__", extra="ignore"
    )

    warehouse: Path = Path("data/nextbar.duckdb")
    # unset: a folder beside the warehouse (models/, plots/, splits/)
    models_dir: Path = Path("data/models")
    plots_dir: Path = Path("data/plots")
    splits_dir: Path = Path("data/splits")  # split arrays handed to the (GPU) trainer
    tushare_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TUSHARE_TOKEN", "NEXTBAR_TUSHARE_TOKEN")
    )
    # days re-fetched before the last stored bar, to pick up revisions and complete partial bars
    overlap_days: int = Field(default=5, ge=0)
    history_start: str = "2010-01-01"  # where an ingest with no stored bars and no --start begins
    symbols: tuple[SymbolConfig, ...] = ()  # empty: the built-in symbols
    watchlist: WatchListConfig = WatchListConfig()
    dask: DaskConfig = DaskConfig()
    retention: RetentionConfig = RetentionConfig()
    sources: SourcesConfig = SourcesConfig()
    model: ModelConfig = ModelConfig()
    split: SplitOptions = SplitOptions()
    retrain: RetrainOptions = RetrainOptions()
    replay: ReplayConfig = ReplayConfig()
    intervals: IntervalsConfig = IntervalsConfig()
    calendar: CalendarConfig = CalendarConfig()

    @after_validation(mode="before")
    @classmethod
    def _paths_follow_the_warehouse(cls, data: Any) -> Any:
        if isinstance(data, dict):
            warehouse = Path(data.get("warehouse") or cls.model_fields["warehouse"].default)
            for key, folder in PATH_DIRS.items():
                if data.get(key) is None:
                    data = {**data, key: warehouse.parent / folder}
        return data

    def symbol_infos(self) -> tuple[SymbolInfo, ...]:
        """The configured symbols, or pipeline.data.symbols.DEFAULT_SYMBOLS when none are."""
        if not self.symbols:
            return DEFAULT_SYMBOLS
        infos = tuple(s.to_info() for s in self.symbols)
        names = [i.symbol for i in infos]
        if len(set(names)) != len(names):
            raise InputError(f"symbols are configured more than once: {sorted(names)}")
        return infos

    def watch_list(self) -> tuple[SymbolInfo, ...]:
        """The watch list's symbols (configured tables over inferred ones), or the configured
        symbols when no watch list is set. Every code is checked first: InputError lists those
        nextbar cannot read, with their lines; repeats are dropped, with one warning."""
        listed = self.watchlist.listed(config_path().parent)
        known = self.symbol_infos()
        if not listed:
            return known
        return watch_list_symbols(listed, known)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # earlier sources win: flags over the environment over the file over the defaults
        given = {"model": {"backend": backend.GIVEN}} if backend.GIVEN else {}
        return (
            init_settings,
            env_settings,
            InitSettingsSource(settings_cls, init_kwargs=given),  # KERAS_BACKEND
            TomlConfigSettingsSource(settings_cls, toml_file=config_path()),
        )


def config_path() -> Path:
    """``$NEXTBAR_CONFIG``, else ./nextbar.toml (which need not exist)."""
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_PATH)


def load_settings(**flags: Any) -> Settings:
    """The settings, ``flags`` (top-level keys; None: not given) over the environment over
    the file over the defaults.

    The Keras backend they name becomes this process's (and its children's), with JAX's
    compilation cache beside the warehouse (pipeline.models.backend).

    Raises InputError when NEXTBAR_CONFIG names a missing file, the file has a section or key
    that no setting has, a ``NEXTBAR_*`` variable no setting has, or a value is invalid: the
    message names the variable (or the file), the value and what the key takes.
    """
    path = config_path()
    if os.environ.get(CONFIG_ENV) and not path.is_file():
        raise InputError(f"{CONFIG_ENV}={path}: no such file")
    check_environment()
    check_names(Settings)
    in_file = set(read_file(path, Settings)) if path.is_file() else set()
    try:
        settings = Settings(**{k: v for k, v in flags.items() if v is not None})
    except ValidationError as exc:
        raise InputError(explain(exc, path, in_file)) from None
    except SettingsError as exc:
        raise InputError(explain_unparsed(exc)) from None
    backend.use_settings(settings.model.backend, settings.warehouse)
    return settings

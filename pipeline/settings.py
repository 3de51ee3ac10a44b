"""One settings object, read from the environment; the local default needs no credentials."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where things live and how ingestion behaves. Env vars: NEXTBAR_*, TUSHARE_TOKEN."""

    model_config = SettingsConfigDict(env_prefix="NEXTBAR_", extra="ignore")

    warehouse: Path = Path("data/nextbar.duckdb")
    models_dir: Path = Path("data/models")
    plots_dir: Path = Path("data/plots")
    splits_dir: Path = Path("data/splits")  # split arrays handed to the (GPU) trainer
    tushare_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TUSHARE_TOKEN", "NEXTBAR_TUSHARE_TOKEN")
    )
    # days re-fetched before the last stored bar, to pick up revisions and complete partial bars
    overlap_days: int = Field(default=5, ge=0)
    # where an ingest with no stored bars and no --start begins
    history_start: str = "2010-01-01"

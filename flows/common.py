"""What every flow shares: settings with the secret resolved, and the retry policy."""

from __future__ import annotations

import os
from pathlib import Path

from prefect import Task
from prefect.tasks import exponential_backoff
from pydantic import SecretStr

from pipeline.errors import TransientSourceError
from pipeline.settings import Settings

RETRIES = 3
RETRY_DELAYS = exponential_backoff(backoff_factor=10)


def retry_transient_only(task: Task, task_run: object, state: object) -> bool:
    """Retry network and rate-limit failures; never validation or credential errors."""
    try:
        state.result()  # type: ignore[attr-defined]
    except TransientSourceError:
        return True
    except Exception:
        return False
    return False


def load_settings(warehouse: str | None = None) -> Settings:
    """Settings from the environment; warehouse overridden; token from a Secret block if unset."""
    settings = Settings()
    if warehouse:
        settings = settings.model_copy(update={"warehouse": Path(warehouse)})
    if settings.tushare_token is None and not os.environ.get("NEXTBAR_NO_SECRET_BLOCK"):
        settings = settings.model_copy(update={"tushare_token": _secret_block_token()})
    return settings


def _secret_block_token() -> SecretStr | None:
    """The Prefect Secret block ``tushare-token``, when one is configured."""
    from prefect.blocks.system import Secret

    try:
        block = Secret.load("tushare-token")
    except (ValueError, RuntimeError):
        return None
    return SecretStr(str(block.get()))  # type: ignore[union-attr]

"""The ``NEXTBAR_*`` variables that are not settings keys, each with what it takes.

Settings keys (``NEXTBAR_WAREHOUSE``, ``NEXTBAR_MODEL__EPOCHS``, ...) are checked by the
settings object; these are read where they act, through :func:`env_value`, and all of them are
checked when the settings load (:func:`check_environment`). An empty value counts as unset.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.errors import InputError


@dataclass(frozen=True)
class Variable:
    """One variable: its name, what it takes (said in errors), and how its text is read."""

    name: str
    takes: str
    parse: Callable[[str], object] = str


def _seconds(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(text)
    return value


def _deployment(text: str) -> str:
    flow, _, name = text.partition("/")
    if not (flow.strip() and name.strip()) or "/" in name:
        raise ValueError(text)
    return text


LOCK_WAIT = "NEXTBAR_LOCK_WAIT"
VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        Variable("NEXTBAR_CONFIG", "the path of a nextbar.toml"),
        Variable(LOCK_WAIT, "seconds to wait for the warehouse lock: a number >= 0", _seconds),
        Variable("NEXTBAR_DEBUG", "any text; not empty: tracebacks are shown"),
        Variable("NEXTBAR_NO_SECRET_BLOCK", "any text; not empty: no Prefect Secret block"),
        Variable(
            "NEXTBAR_GPU_DEPLOYMENT",
            "a deployment as <flow>/<name>, e.g. fit-models/gpu",
            _deployment,
        ),
        Variable("NEXTBAR_HOME", "the folder the deployments run in (deploy/prefect.yaml)"),
        Variable("NEXTBAR_NOTIFY_BLOCK", "a Prefect notification block's name (deploy/setup.sh)"),
        Variable("NEXTBAR_NOTIFY_BLOCK_ID", "a Prefect block id (deploy/automations.yaml)"),
        Variable("NEXTBAR_SKIP_DEPLOY", "any text; not empty: deploy/setup.sh skips the deploy"),
    )
}


def env_value(name: str) -> object | None:
    """The variable's value as it takes it, None when unset or empty.

    Raises InputError naming the variable, its value and what it takes.
    """
    variable = VARIABLES[name]
    text = os.environ.get(name, "")
    if not text.strip():
        return None
    try:
        return variable.parse(text.strip())
    except ValueError:
        raise InputError(f"{name}={text!r}: takes {variable.takes}") from None


def check_environment() -> None:
    """Check every set variable of :data:`VARIABLES` (InputError for the first bad one)."""
    for name in VARIABLES:
        env_value(name)

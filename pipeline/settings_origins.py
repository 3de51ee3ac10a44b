"""Where each effective setting came from (``nextbar config``): a flag, the environment, the
settings file, beside the warehouse, the preset or the default."""

from __future__ import annotations

import os
import tomllib
from typing import Any

from pipeline.models import backend
from pipeline.settings import PATH_DIRS, Settings, config_path
from pipeline.training.presets import PRESETS


def describe(settings: Settings, flags: dict[str, Any] | None = None) -> list[tuple[str, str, str]]:
    """Every effective setting as (key, value, where it came from); the token only as set."""
    given = {k for k, v in (flags or {}).items() if v is not None}
    path = config_path()
    in_file = _flat(tomllib.loads(path.read_text())) if path.is_file() else {}
    env = {name.upper() for name in os.environ}
    preset = PRESETS[settings.model.preset]
    rows = []
    for key, value in _flat(settings.model_dump(exclude={"symbols"})).items():
        section, _, name = key.rpartition(".")
        names = {f"NEXTBAR_{key.replace('.', '__').upper()}"}
        if section:  # a whole section as JSON
            names.add(f"NEXTBAR_{section.upper()}")
        if key == "tushare_token":
            names.add("TUSHARE_TOKEN")
        if key == "model.backend" and backend.GIVEN:
            names.add(backend.ENV)
        if key in given:
            origin = "flag"
        elif found := sorted(names & env):
            origin = f"environment {found[0]}"
        elif key in in_file:
            origin = f"file {path}"
        elif key in PATH_DIRS:
            origin = "beside the warehouse"
        elif value is None and name in ("epochs", "window"):
            value, origin = getattr(preset, name), f"preset {preset.name}"
        else:
            origin = "default"
        if key == "tushare_token":
            value = "(set, hidden)" if value is not None else None
        if isinstance(value, list | tuple):
            value = ", ".join(map(str, value))
        rows.append((key, "" if value is None else str(value), origin))
    origin = f"file {path}" if "symbols" in in_file else "default"
    if "NEXTBAR_SYMBOLS" in env:
        origin = "environment NEXTBAR_SYMBOLS"
    rows.append(("symbols", ", ".join(i.symbol for i in settings.symbol_infos()), origin))
    return rows


def _flat(data: dict[str, Any]) -> dict[str, Any]:
    """``{"model": {"epochs": 5}}`` as ``{"model.epochs": 5}`` (one level deep; lists kept)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat

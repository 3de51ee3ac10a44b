"""Checks of where settings come from: ``nextbar.toml``'s sections and keys, the ``NEXTBAR_*``
names, and errors that name the variable or file line a bad value came from."""

from __future__ import annotations

import difflib
import json
import logging
import os
import tomllib
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from pipeline.data.symbols import SymbolInfo, infer_symbol
from pipeline.environment import VARIABLES
from pipeline.errors import InputError

log = logging.getLogger(__name__)
_warned: set[str] = set()


def _did_you_mean(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The settings model a field holds (a section, or the tables of a list of them)."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def sections(settings_cls: type[BaseModel]) -> dict[str, type[BaseModel] | None]:
    """Top-level keys -> the model of the section (None for a plain key)."""
    return {k: _model_of(f.annotation) for k, f in settings_cls.model_fields.items()}


def read_file(path: Path, settings_cls: type[BaseModel]) -> dict[str, Any]:
    """The TOML file's contents; InputError for a syntax error or an unknown section or key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    known = sections(settings_cls)
    for key, value in data.items():
        if key not in known:
            what = f"section [{key}]" if isinstance(value, dict | list) else f"key {key!r}"
            raise InputError(f"{path}: unknown {what}{_did_you_mean(key, list(known))}")
        model = known[key]
        if model is None:
            continue
        fields = list(model.model_fields)
        for table in value if isinstance(value, list) else [value]:
            for name in table if isinstance(table, dict) else []:
                if name not in fields:
                    hint = _did_you_mean(name, fields)
                    raise InputError(f"{path}: unknown key {name!r} in [{key}]{hint}")
    return data


def _settings_names(settings_cls: type[BaseModel]) -> set[str]:
    names = set()
    for key, model in sections(settings_cls).items():
        names.add(f"NEXTBAR_{key.upper()}")
        if model is not None:
            names |= {f"NEXTBAR_{key.upper()}__{k.upper()}" for k in model.model_fields}
    return names


def check_names(settings_cls: type[BaseModel]) -> None:
    """An unknown settings-shaped name (``NEXTBAR_MODLE__EPOCHS``) is an InputError; another
    unknown ``NEXTBAR_*`` name is one warning (it may be another tool's)."""
    known = _settings_names(settings_cls) | set(VARIABLES)
    for name in sorted(n.upper() for n in os.environ if n.upper().startswith("NEXTBAR_")):
        if name in known:
            continue
        hint = _did_you_mean(name, sorted(known))
        if "__" in name:
            raise InputError(f"{name}: no such setting{hint}")
        if name not in _warned:
            _warned.add(name)
            log.warning("%s is not a nextbar variable; ignored%s", name, hint)


def _env_name(loc: tuple[int | str, ...]) -> str | None:
    """The set variable a value at loc came from, if any."""
    upper = {n.upper(): n for n in os.environ}
    parts = [str(p).upper() for p in loc if isinstance(p, str)]
    candidates = ["NEXTBAR_" + "__".join(parts[:2]), "NEXTBAR_" + parts[0]]
    if parts[0] == "TUSHARE_TOKEN":
        candidates.append("TUSHARE_TOKEN")
    return next((upper[c] for c in candidates if c in upper), None)


def explain(exc: ValidationError, path: Path, file_keys: set[str]) -> str:
    """The first error of a failed validation: the variable or file it came from, the value,
    what the key takes."""
    errors = exc.errors()
    first = errors[0]
    loc = tuple(first["loc"])
    key = ".".join(str(p) for p in loc)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    name = _env_name(loc) if loc else None
    given = repr(first.get("input"))
    given = given if len(given) <= 80 else given[:80] + "…"
    if name is not None:
        origin = f"{name}={os.environ[name]!r} ({key})"
    elif loc and loc[0] in file_keys:
        origin = f"{path}: {key} = {given}"
    else:
        origin = f"{key} = {given}"
    message = first["msg"]
    if first["type"] == "value_error":  # our own validators' text: "Value error, unknown ..."
        message = message.removeprefix("Value error, ")
    return f"invalid configuration: {origin}: {message}{more}"


def _not_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


def explain_unparsed(exc: Exception) -> str:
    """A variable whose text is not the JSON its key takes (pydantic-settings' SettingsError
    names only the field: ``symbols``, or the section ``model`` of NEXTBAR_MODEL__MODELS)."""
    upper = {n.upper(): n for n in os.environ}
    for part in str(exc).split('"'):
        prefix = f"NEXTBAR_{part.upper()}"
        names = [n for u, n in upper.items() if u == prefix or u.startswith(prefix + "__")]
        bad = [n for n in names if _not_json(os.environ[n])] or names
        if bad:
            return (
                f'{bad[0]}={os.environ[bad[0]]!r}: takes JSON (a list such as ["gru"], or a table)'
            )
    return f"invalid configuration: {exc}"


def watch_list_symbols(
    listed: list[tuple[str, str]], known: tuple[SymbolInfo, ...]
) -> tuple[SymbolInfo, ...]:
    """The listed codes' symbols, each once, in order; every code checked before any is used
    (InputError naming up to five unreadable ones and where they are listed); repeats are
    dropped and counted in one warning."""
    by_name = {i.symbol: i for i in known}
    infos: dict[str, SymbolInfo] = {}
    bad: list[str] = []
    for code, where in listed:
        if code in infos:
            continue
        try:
            infos[code] = by_name.get(code) or infer_symbol(code)
        except InputError:
            bad.append(f"{code!r} ({where})")
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise InputError(
            f"the watch list has {len(bad)} code(s) nextbar cannot read: {shown}; write an "
            "A-share as 600519.SH, a coin as ETH-USD, a Yahoo ticker as AAPL or 0700.HK, or "
            "describe it as a [[symbols]] table"
        )
    repeats = len(listed) - len(infos)
    note = f"watch list: {repeats} repeated code(s) dropped, {len(infos)} symbols"
    if repeats and note not in _warned:
        _warned.add(note)
        log.warning(note)
    return tuple(infos.values())

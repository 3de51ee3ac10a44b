"""Which symbols a command means, read from the settings alone (no Prefect, no warehouse)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.data.symbols import get_symbol

if TYPE_CHECKING:
    from pipeline.data.symbols import SymbolInfo
    from pipeline.settings import Settings


def resolve_symbols(
    symbols: list[str] | None, settings: Settings | None = None
) -> list[SymbolInfo]:
    """The named symbols (configured, else inferred from their codes), or the whole watch list."""
    from pipeline.settings import load_settings

    settings = settings or load_settings()
    if not symbols:
        return list(settings.watch_list())
    known = settings.symbol_infos()
    return [get_symbol(s.strip().upper(), known) for s in symbols]

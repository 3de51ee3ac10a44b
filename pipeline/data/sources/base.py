"""The one interface every bar source implements."""

from __future__ import annotations

from datetime import date
from typing import Protocol

import pandas as pd

from pipeline.data.symbols import SymbolInfo


class BarSource(Protocol):
    """Fetches daily bars of one symbol as a canonical frame (see ``pipeline.data.bars``)."""

    name: str

    def fetch(self, info: SymbolInfo, start: date, end: date) -> pd.DataFrame:
        """Bars dated start..end inclusive, ascending; raises a SourceError subclass on failure."""
        ...

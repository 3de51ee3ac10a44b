"""A watch list's chunk stored as one set: the same bars, revisions, rejected rows and runs as
each symbol stored alone; a refusal leaves the others stored; a rebase is stored alone."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from pipeline.data.bars import canonical
from pipeline.data.symbols import DEFAULT_SYMBOLS, get_symbol
from pipeline.errors import OverwriteRefusedError
from warehouse import ingests
from warehouse.connection import connect
from warehouse.ingests import IngestRequest, SymbolBars, store_ingest, store_ingests
from warehouse.symbols import sync_symbols

COINS = ["ONE-USD", "TWO-USD", "THREE-USD", "FOUR-USD"]
MOUTAI = Path(__file__).resolve().parents[2] / "pipeline" / "data" / "bundled" / "SH600519.csv"


def _coin(closes: list[float], first: str = "2020-01-01") -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "date": pd.date_range(first, periods=len(closes), freq="D"),
            "open": closes,
            "high": [c * 1.1 for c in closes],
            "low": [c * 0.9 for c in closes],
            "close": closes,
            "volume": 10.0,
            "is_partial": False,
        }
    )
    return canonical(frame, volume_unit="usd", price_adjustment="split", source="test")


def _moutai(scale: float, first: int, last: int) -> pd.DataFrame:
    frame = pd.read_csv(MOUTAI).tail(30).reset_index(drop=True).iloc[first:last]
    prices = {c: frame[c] * scale for c in ("open", "high", "low", "close")}
    part = frame[["date", "open", "high", "low", "close", "volume"]].assign(**prices)
    return canonical(part, volume_unit="lots_100", price_adjustment="qfq", source="test")


def _item(symbol: str, valid: pd.DataFrame, rejected: pd.DataFrame | None = None) -> SymbolBars:
    request = IngestRequest(str(uuid.uuid4()), symbol, "test", None, None, datetime.now(tz=UTC))
    return SymbolBars(request, valid, rejected if rejected is not None else pd.DataFrame())


def _rejected_row() -> pd.DataFrame:
    return pd.DataFrame(
        [{"date": pd.Timestamp("2020-02-01"), "raw_date": "2020-02-01", "open": -1.0,
          "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0, "reason": "open <= 0 (-1.0)"}]
    )  # fmt: skip


def _first() -> list[SymbolBars]:
    """What is stored before the set: two coins and Moutai's first 20 days."""
    return [
        _item("ONE-USD", _coin([1.0] * 10)),
        _item("TWO-USD", _coin([5.0] * 5)),
        _item("600519.SH", _moutai(1.0, 0, 20)),
    ]


def _store_first(path: Path, first: list[SymbolBars]) -> None:
    with connect(path) as con:
        sync_symbols(con, [*DEFAULT_SYMBOLS, *(get_symbol(c) for c in COINS)])
        for item in first:
            store_ingest(con, item.request, item.valid, item.rejected)


def _the_set() -> list[SymbolBars]:
    return [
        _item("ONE-USD", _coin([9.0] * 10)),  # rewrites 10 stored bars: refused
        _item("TWO-USD", _coin([5.0, 5.0, 5.0, 5.0, 5.01, 6.0])),  # one revised, one new
        _item("THREE-USD", _coin([2.0, 3.0]), _rejected_row()),  # new, with a rejected row
        _item("600519.SH", _moutai(0.93, 10, 30)),  # another basis: stored history rebased
        _item("FOUR-USD", _coin([])),  # nothing valid: a run with no bars
    ]


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    with connect(path, read_only=True) as con:
        return {
            "bars": con.execute("select * from bars order by all").df(),
            "bar_revisions": con.execute("select * from bar_revisions order by all").df(),
            "rejected_bars": con.execute("select * from rejected_bars order by all").df(),
            "ingest_runs": con.execute(
                "select * exclude (finished_at) from ingest_runs order by all"
            ).df(),
        }


def test_a_set_stores_what_each_symbol_alone_would(tmp_path: Path) -> None:
    together, alone = tmp_path / "together.duckdb", tmp_path / "alone.duckdb"
    first = _first()
    for path in (together, alone):
        _store_first(path, first)
    items = _the_set()
    with connect(together) as con:
        outcomes = store_ingests(con, items)
    with connect(alone) as con:
        for item in items:
            with contextlib.suppress(OverwriteRefusedError):
                store_ingest(con, item.request, item.valid, item.rejected)
    assert isinstance(outcomes[0], OverwriteRefusedError)
    assert [(o.new, o.changed, o.rejected) for o in outcomes[1:]] == [  # type: ignore[union-attr]
        (1, 1, 0),
        (2, 0, 1),
        (10, 0, 0),
        (0, 0, 0),
    ]
    for name, frame in _tables(alone).items():
        pd.testing.assert_frame_equal(_tables(together)[name], frame, check_like=True)
    assert not _tables(together)["bar_revisions"].query("symbol == '600519.SH'").empty


def test_a_set_whose_transaction_fails_is_stored_symbol_by_symbol(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "w.duckdb"
    _store_first(path, _first())
    real = ingests._record_rejected

    def fails_on_many(con: object, items: list[SymbolBars]) -> None:
        if len(items) > 1:
            raise RuntimeError("injected: the set's transaction fails")
        real(con, items)  # type: ignore[arg-type]

    monkeypatch.setattr(ingests, "_record_rejected", fails_on_many)
    with connect(path) as con:
        outcomes = store_ingests(con, _the_set()[1:3])
    assert [o.new for o in outcomes] == [1, 2]  # type: ignore[union-attr]

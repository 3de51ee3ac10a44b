"""Importing users' CSV files through the ingest flow: revisions kept, bad input harmless."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from flows.ingest import ingest
from pipeline.errors import NextbarError
from warehouse.connection import connect

# The bundled BTC file ends with a partial 2024-05-27 bar (close 70009.66); the day's
# final close was 69394.55 (shared/data/README.md). 2024-05-26's close is revised from
# 68518.09375 to 68520; the other new values are made up.
NEWER_YAHOO_CSV = """Date,Open,High,Low,Close,Adj Close,Volume
2024-05-26,69264.289063,69506.226563,68183.890625,68520.000000,68520.000000,15628433737
2024-05-27,68512.179688,70597.882813,68232.500000,69394.554688,69394.554688,25870990717
2024-05-28,69394.554688,69560.0,67300.0,68296.218750,68296.218750,32000000000
2024-05-29,68296.218750,68900.0,67100.0,67578.093750,67578.093750,28000000000
"""


def _table(path: Path, sql: str) -> pd.DataFrame:
    with connect(path, read_only=True) as con:
        return con.execute(sql).df()


def _snapshot(path: Path) -> dict[str, pd.DataFrame]:
    return {t: _table(path, f"select * from {t} order by all") for t in ("bars", "bar_revisions")}


@pytest.fixture
def btc_warehouse(warehouse_path: Path) -> Path:
    ingest(symbols=["BTC-USD"], source="bundled", warehouse=str(warehouse_path))
    return warehouse_path


def test_an_overlapping_newer_file_adds_new_rows_and_keeps_revised_ones(
    btc_warehouse: Path, tmp_path: Path
) -> None:
    newer = tmp_path / "BTC-USD-newer.csv"
    newer.write_text(NEWER_YAHOO_CSV)
    before = _table(btc_warehouse, "select * from bars where date = '2024-05-26'")
    [result] = ingest(symbols=["BTC-USD"], file=str(newer), warehouse=str(btc_warehouse))
    assert (result.new, result.changed, result.unchanged) == (2, 2, 0)
    revisions = _table(btc_warehouse, "select * from bar_revisions order by date")
    # 2024-05-26 differs in the last digits (a revision); 2024-05-27 was partial.
    assert revisions["reason"].tolist()[1] == "partial bar completed"
    assert revisions["old_close"].tolist() == [before["close"][0], 70009.664063]
    assert revisions["reason"].tolist()[0] == "replaced by csv:yahoo"
    final = _table(btc_warehouse, "select close, is_partial from bars where date = '2024-05-27'")
    assert final["close"][0] == pytest.approx(69394.554688)
    assert not final["is_partial"][0]


def test_rejected_rows_are_kept_with_reasons_and_the_rest_stored(
    btc_warehouse: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2024-06-01,100,110,90,105,105,5\n"
        "2024-06-02,-1,110,90,105,105,5\n"  # negative open
        "2024-06-03,100,99,90,105,105,5\n"  # high below close
    )
    [result] = ingest(symbols=["BTC-USD"], file=str(bad), warehouse=str(btc_warehouse))
    assert (result.new, result.rejected) == (1, 2)
    reasons = _table(btc_warehouse, "select reason from rejected_bars order by date")["reason"]
    assert "open" in reasons[0] and "high" in reasons[1]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"when,what\n2020-01-01,1\n", "supported formats"),
        (
            "Date,Open,High,Low,Close,Adj Close,Volume\n2024-06-01,\u00e9".encode("latin-1"),
            "UTF-8",
        ),
    ],
)
def test_a_bad_file_fails_clearly_and_leaves_the_warehouse_intact(
    btc_warehouse: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    before = _snapshot(btc_warehouse)
    with pytest.raises(NextbarError, match=message):
        ingest(symbols=["BTC-USD"], file=str(bad), warehouse=str(btc_warehouse))
    after = _snapshot(btc_warehouse)
    for name in before:
        pd.testing.assert_frame_equal(after[name], before[name])
    runs = _table(btc_warehouse, "select status, error from ingest_runs order by started_at")
    assert runs["status"].iloc[-1] == "failed" and "bad.csv" in runs["error"].iloc[-1]


SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
TDX_EXPORT = SHARED / "SH600519_tdx_export_raw_gbk_2009-01-08_2023-02-10.txt"


def test_a_gbk_terminal_export_stores_every_trading_day_once(warehouse_path: Path) -> None:
    [first] = ingest(symbols=["600519.SH"], file=str(TDX_EXPORT), warehouse=str(warehouse_path))
    [again] = ingest(symbols=["600519.SH"], file=str(TDX_EXPORT), warehouse=str(warehouse_path))
    assert (first.new, first.rejected, first.duplicates) == (3417, 0, 0)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 3417)
    stored = _table(warehouse_path, "select count(*) as n, count(distinct date) as d from bars")
    assert stored["n"][0] == stored["d"][0] == 3417


def test_another_instruments_file_is_refused_and_stores_nothing(
    btc_warehouse: Path,
) -> None:
    # Moutai's Yahoo export given as BTC-USD: same layout and unit, another instrument.
    moutai = SHARED / "600519.SS_yahoo_2018-01-02_2022-04-01.csv"
    before = _snapshot(btc_warehouse)
    with pytest.raises(NextbarError, match=r"would change \d+ stored bars.*nothing stored"):
        ingest(symbols=["BTC-USD"], file=str(moutai), warehouse=str(btc_warehouse))
    after = _snapshot(btc_warehouse)
    for name in before:
        pd.testing.assert_frame_equal(after[name], before[name])


def test_bars_no_model_can_read_are_rejected_and_later_splits_build(
    btc_warehouse: Path, tmp_path: Path
) -> None:
    from pipeline.splits.build import build_split
    from pipeline.training.presets import DEFAULT
    from warehouse.bars import load_bars

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2024-05-28,69394.5,69560.0,67300.0,68296.2,68296.2,\n"  # empty volume
        "2024-05-29,68296.2,68900.0,67100.0,67578.0,67578.0,NaN\n"
        "2024-05-30,1e-300,1e-300,1e-300,1e-300,1e-300,5\n"  # consistent, > 0, no price of BTC
        "2024-05-31,67578.0,68000.0,67000.0,67700.0,67700.0,5\n"
    )
    [result] = ingest(symbols=["BTC-USD"], file=str(bad), warehouse=str(btc_warehouse))
    assert (result.new, result.rejected) == (1, 3)
    reasons = _table(btc_warehouse, "select reason from rejected_bars order by date")["reason"]
    assert reasons.tolist()[:2] == ["volume missing", "volume missing"]
    assert "outside the series' range" in reasons[2]
    # Every model's split of the stored series builds (it failed on the NaN volume before).
    config = DEFAULT.split_config("close", test_size=30, validation_size=30)
    with connect(btc_warehouse, read_only=True) as con:
        bars = load_bars(con, "BTC-USD")
    assert bars["close"].min() > 100
    build_split(bars, config, symbol="BTC-USD")


def test_a_damaged_failed_ingests_file_is_set_aside_and_never_blocks(
    btc_warehouse: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import uuid
    from datetime import UTC, datetime

    from warehouse.deferred_failures import defer_failed_ingest, deferred_path
    from warehouse.ingests import IngestRequest

    request = IngestRequest(str(uuid.uuid4()), "BTC-USD", "bundled", None, None, datetime.now(UTC))
    defer_failed_ingest(btc_warehouse, request, "warehouse is in use")
    waiting = deferred_path(btc_warehouse)
    good = waiting.read_bytes()
    # A truncated write, then junk bytes, around the good line.
    waiting.write_bytes(good[:40] + b"\n" + good + b"\xff\xfe junk\n")
    [result] = ingest(symbols=["BTC-USD"], source="bundled", warehouse=str(btc_warehouse))
    assert result.status == "succeeded"
    failed = _table(btc_warehouse, "select error from ingest_runs where status = 'failed'")
    assert failed["error"].tolist() == ["warehouse is in use"]
    assert not waiting.exists()
    aside = waiting.with_name(waiting.name + ".bad")
    assert aside.read_bytes() == good[:40] + b"\n" + b"\xff\xfe junk\n"
    warnings = [r for r in caplog.records if "damaged line" in r.getMessage()]
    assert len(warnings) == 1 and str(aside) in warnings[0].getMessage()


def test_a_file_naming_another_instrument_is_refused_unless_told(warehouse_path: Path) -> None:
    # The probe: Moutai's tushare file (code column 600519) given as Wuliangye, an empty series.
    moutai = Path(__file__).resolve().parents[2] / "pipeline" / "data" / "bundled" / "SH600519.csv"
    with pytest.raises(NextbarError, match=r"names 600519 \(code column\), not 000858\.SZ"):
        ingest(symbols=["000858.SZ"], file=str(moutai), warehouse=str(warehouse_path))
    assert _table(warehouse_path, "select count(*) as n from bars")["n"][0] == 0
    [result] = ingest(
        symbols=["000858.SZ"], file=str(moutai), warehouse=str(warehouse_path), ignore_code=True
    )
    assert result.new == 2426


def test_a_fifo_is_read_and_a_socket_refused(warehouse_path: Path, tmp_path: Path) -> None:
    import os
    import socket
    import threading

    from flows.cli.app import app

    pipe = tmp_path / "bars.fifo"
    os.mkfifo(pipe)
    writer = threading.Thread(target=pipe.write_text, args=(NEWER_YAHOO_CSV,), daemon=True)
    writer.start()
    args = ["ingest", "--file", str(pipe), "-s", "BTC-USD", "--warehouse", str(warehouse_path)]
    app(args, standalone_mode=False)
    writer.join(timeout=30)
    assert _table(warehouse_path, "select count(*) as n from bars")["n"][0] == 4
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "s.sock"))
        with pytest.raises(NextbarError, match=r"s\.sock: is neither a file nor a pipe"):
            app([*args[:2], str(tmp_path / "s.sock"), *args[3:]], standalone_mode=False)

"""Files Chinese users hold: GBK/GB18030 terminal exports, tushare pro and Yahoo 600519.SS CSVs,
built from real rows of ../shared/data (see its README); and rows no price can be."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.data.csv_formats import read_history_csv
from pipeline.data.ingest import read_file
from pipeline.data.symbols import get_symbol
from pipeline.data.validation import validate_bars
from pipeline.errors import CsvFormatError

SHARED = Path(__file__).resolve().parents[4] / "shared" / "data"
TDX = SHARED / "SH600519_tdx_export_raw_gbk_2009-01-08_2023-02-10.txt"
MOUTAI = get_symbol("600519.SH")
BTC = get_symbol("BTC-USD")
TODAY = date(2026, 1, 1)

# Real 通达信 rows of 600519 around the 2020-06-24 ex-date (raw prices, volume in shares).
TDX_ROWS = [
    line
    for line in TDX.read_bytes().decode("gbk").splitlines()
    if line.startswith(("2020/06/22", "2020/06/23", "2020/06/24"))
]


def _write(tmp_path: Path, text: str, encoding: str) -> Path:
    path = tmp_path / f"export-{encoding}.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_the_tdx_gbk_export_reads_as_it_is() -> None:
    bars = read_history_csv(TDX, MOUTAI)
    checked = validate_bars(bars, today=TODAY)
    assert len(checked.valid) == 3417 and checked.rejected.empty
    assert bars["date"].is_unique
    first = bars.iloc[0]
    assert (first["raw_date"], first["close"], first["volume"]) == ("2009/01/08", 108.53, 1863400)
    assert (first["volume_unit"], first["price_adjustment"]) == ("shares", "none")
    assert first["amount"] == pytest.approx(198641.984)  # CNY -> thousands of CNY


def test_a_gbk_file_with_chinese_headers_and_a_duplicated_row(tmp_path: Path) -> None:
    rows = [",".join(["600519", *line.split("\t")]) for line in TDX_ROWS]
    # Lots (手): the header says so; the volume is stored as the file gives it.
    lines = ["代码,日期,开盘价,最高价,最低价,收盘价,成交量(手),成交额(元)", *rows, rows[1]]
    fetched = read_file(_write(tmp_path, "\n".join(lines), "gbk"), MOUTAI)
    assert fetched.duplicates == 1
    assert len(fetched.bars) == 3
    assert set(fetched.bars["volume_unit"]) == {"lots_100"}


def test_a_gb18030_tab_file_with_title_and_footer(tmp_path: Path) -> None:
    lines = [
        "600519 贵州茅台 日线 前复权",
        "      时间\t    开盘\t    最高\t    最低\t    收盘\t    成交量(股)\t    成交额",
        *TDX_ROWS,
        "数据来源:通达信",
    ]
    bars = read_history_csv(_write(tmp_path, "\n".join(lines), "gb18030"), MOUTAI)
    assert bars["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2020-06-22",
        "2020-06-23",
        "2020-06-24",
    ]
    assert set(bars["price_adjustment"]) == {"qfq"}


def test_a_utf8_bom_file(tmp_path: Path) -> None:
    lines = ["日期,开盘,最高,最低,收盘,成交量", *(",".join(r.split("\t")[:6]) for r in TDX_ROWS)]
    bars = read_history_csv(_write(tmp_path, "\n".join(lines), "utf-8-sig"), MOUTAI)
    assert len(bars) == 3


def test_two_different_rows_for_one_date_are_both_rejected(tmp_path: Path) -> None:
    changed = TDX_ROWS[1].replace("\t", "\t9", 1)  # another open on 2020/06/23
    lines = ["日期\t开盘\t最高\t最低\t收盘\t成交量\t成交额", *TDX_ROWS, changed]
    fetched = read_file(_write(tmp_path, "\n".join(lines), "gbk"), MOUTAI)
    checked = validate_bars(fetched.bars, today=TODAY)
    assert len(checked.valid) == 2
    assert checked.rejected["reason"].str.contains("duplicate date 2020-06-23").sum() == 2


def test_the_tushare_pro_daily_csv_layout() -> None:
    path = SHARED / "SH600519_tushare_pro_daily_raw_2012-01-04_2022-07-01.csv"
    bars = read_history_csv(path, MOUTAI)
    assert len(bars) == 2546 and bars["date"].is_monotonic_increasing
    last = bars.iloc[-1]
    assert (last["close"], last["volume"], last["volume_unit"]) == (2029.05, 21596.45, "lots_100")


def test_the_yahoo_600519_ss_layout() -> None:
    bars = read_history_csv(SHARED / "600519.SS_yahoo_2018-01-02_2022-04-01.csv", MOUTAI)
    assert len(bars) == 1030
    assert (bars["volume_unit"].iloc[0], bars["price_adjustment"].iloc[0]) == ("shares", "split")


def test_infinite_huge_and_out_of_range_rows_are_rejected_one_by_one(tmp_path: Path) -> None:
    real = "2020-01-01,7194.89,7254.33,7174.94,7200.17,7200.17,18565664997"
    bad = [
        "2020-01-02,inf,7212.15,6935.27,6985.47,6985.47,20802083465",
        "2020-01-03,6984.43,1e309,6914.99,7344.88,7344.88,28111481032",
        "2020-01-04,1e300,1e300,1e300,1e300,1e300,18444271275",
        "9999-12-31,7345.38,7427.38,7309.51,7410.66,7410.66,19725074095",
        "1200-01-04,7410.45,7544.5,7400.54,7411.32,7411.32,18444271275",
    ]
    text = "\n".join(["Date,Open,High,Low,Close,Adj Close,Volume", real, *bad])
    checked = validate_bars(read_history_csv(_write(tmp_path, text, "utf-8"), BTC), today=TODAY)
    assert checked.valid["close"].tolist() == [7200.17]
    reasons = checked.rejected.set_index("raw_date")["reason"]
    assert "open is not finite" in reasons["2020-01-02"]
    assert "high is not finite" in reasons["2020-01-03"]
    assert "close > 1e+09" in reasons["2020-01-04"]
    assert "out of range" in reasons["9999-12-31"] and "out of range" in reasons["1200-01-04"]


def test_a_junk_file_gives_a_short_message(tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_text("x" * 4096 + "\n1\n")
    with pytest.raises(CsvFormatError) as err:
        read_history_csv(path, MOUTAI)
    assert len(str(err.value)) < 400

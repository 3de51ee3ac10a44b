"""Reading users' history CSVs: the three formats, and the typed errors for bad files."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from pipeline.data.bars import BAR_COLUMNS
from pipeline.data.csv_formats import FORMATS, detect_format, read_history_csv
from pipeline.data.symbols import get_symbol
from pipeline.errors import CsvFormatError

BUNDLED = Path(__file__).resolve().parents[3] / "pipeline" / "data" / "bundled"
MOUTAI = get_symbol("600519.SH")
BTC = get_symbol("BTC-USD")

INVESTING_CSV = (
    '"Date","Price","Open","High","Low","Vol.","Change %"\n'
    '"Jan 18, 2022","1,905.00","1,920.00","1,933.33","1,890.10","1.23M","-0.83%"\n'
    '"01/17/2022","1,921.00","1,900.00","1,925.50","1,899.00","850.5K","1.10%"\n'
    '"Jan 14, 2022","1,900.10","1,880.00","1,910.00","1,875.00","-","0.50%"\n'
    '"Jan 13, 2022","1,890.60","1,850.00","1,895.00","1,845.00","2B","0.20%"\n'
)


def write(tmp_path: Path, content: str | bytes, name: str = "history.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def test_bundled_tushare_file_parses() -> None:
    bars = read_history_csv(BUNDLED / "SH600519.csv", MOUTAI)
    assert len(bars) == 2426
    assert list(bars.columns) == [*BAR_COLUMNS, "raw_date"]
    first = bars.iloc[0]
    # The file's order is open, close, high, low: 88.702, 87.381, 89.072, 87.362.
    assert (first["open"], first["high"], first["low"], first["close"]) == (
        88.702,
        89.072,
        87.362,
        87.381,
    )
    assert first["volume"] == pytest.approx(107036.13)
    assert first["raw_date"] == "2010-04-26"
    assert bars["date"].iloc[-1] == pd.Timestamp("2020-04-24")
    assert set(bars["volume_unit"]) == {"lots_100"}
    assert set(bars["price_adjustment"]) == {"qfq"}
    assert set(bars["source"]) == {"csv:tushare_k_data"}
    assert bars["date"].is_monotonic_increasing


def test_bundled_yahoo_file_parses() -> None:
    bars = read_history_csv(BUNDLED / "BTC-USD.csv", BTC)
    assert len(bars) == 3541
    assert bars["date"].iloc[0] == pd.Timestamp("2014-09-17")
    assert bars["close"].iloc[-1] == pytest.approx(70009.664063)
    # BTC trades 24/7, so Yahoo's volume column is USD turnover, not a share count.
    assert set(bars["volume_unit"]) == {"usd"}
    assert set(bars["price_adjustment"]) == {"split"}
    assert set(bars["source"]) == {"csv:yahoo"}


def test_yahoo_volume_is_shares_for_an_exchange_listed_symbol(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-02,1,2,0.5,1.5,1.5,100\n",
    )
    assert read_history_csv(path, MOUTAI)["volume_unit"].tolist() == ["shares"]


def test_investing_file_parses_ascending_with_values(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf" + INVESTING_CSV.encode())
    bars = read_history_csv(path, MOUTAI)
    # The file is newest first; both date spellings Investing exports are read.
    assert bars["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2022-01-13",
        "2022-01-14",
        "2022-01-17",
        "2022-01-18",
    ]
    newest = bars.iloc[-1]
    # "Price" is the close; thousands separators are dropped; M means millions.
    assert (newest["open"], newest["high"], newest["low"], newest["close"]) == (
        1920.0,
        1933.33,
        1890.10,
        1905.0,
    )
    assert newest["volume"] == pytest.approx(1.23e6)
    assert bars["volume"].iloc[2] == pytest.approx(850.5e3)
    assert math.isnan(bars["volume"].iloc[1])  # "-" means no volume
    assert bars["volume"].iloc[0] == pytest.approx(2e9)
    assert bars["raw_date"].iloc[2] == "01/17/2022"
    assert set(bars["price_adjustment"]) == {"none"}
    assert set(bars["volume_unit"]) == {"shares"}
    assert set(bars["source"]) == {"csv:investing"}


def test_investing_volume_unit_is_units_for_crypto(tmp_path: Path) -> None:
    path = write(tmp_path, INVESTING_CSV)  # also readable without the BOM
    assert set(read_history_csv(path, BTC)["volume_unit"]) == {"units"}


def test_unparseable_cells_become_nat_and_nan(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ",date,open,close,high,low,volume,code\n"
        "0,2020-01-02,10,11,12,9,100,600519\n"
        "1,2020-13-45,10,abc,12,9,100,600519\n",
    )
    bars = read_history_csv(path, MOUTAI)
    # The bad date sorts last and keeps its text for the validator's reason.
    assert pd.isna(bars["date"].iloc[1])
    assert bars["raw_date"].tolist() == ["2020-01-02", "2020-13-45"]
    assert math.isnan(bars["close"].iloc[1])


def test_unknown_header_lists_the_formats(tmp_path: Path) -> None:
    path = write(tmp_path, "day,price\n2020-01-02,1\n")
    with pytest.raises(CsvFormatError) as err:
        read_history_csv(path, MOUTAI)
    message = str(err.value)
    assert str(path) in message
    assert "'day,price'" in message
    for fmt in FORMATS:
        assert fmt.name in message
    assert "日期 开盘 最高 最低 收盘" in message


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    with pytest.raises(CsvFormatError, match="empty"):
        read_history_csv(path, MOUTAI)


def test_an_undecodable_file_names_the_encoding_problem(tmp_path: Path) -> None:
    # Latin-1 "é" as the very last byte: no UTF-8, GBK or GB18030 sequence.
    content = "Date,Open,High,Low,Close,Adj Close,Volume\n2024-06-01,\u00e9".encode("latin-1")
    path = write(tmp_path, content)
    with pytest.raises(CsvFormatError, match="neither UTF-8 nor GBK/GB18030") as err:
        read_history_csv(path, MOUTAI)
    assert str(path) in str(err.value)


def test_header_only_file(tmp_path: Path) -> None:
    path = write(tmp_path, "Date,Open,High,Low,Close,Adj Close,Volume\n")
    with pytest.raises(CsvFormatError, match="header but no rows"):
        read_history_csv(path, BTC)


def test_detect_format_ignores_quotes_and_spaces() -> None:
    fmt = detect_format('"Date", "Open","High","Low","Close","Adj Close","Volume"')
    assert fmt is not None and fmt.name == "yahoo"

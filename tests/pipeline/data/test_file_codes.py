"""A file that names its instrument must name the --symbol's: columns, title lines, forms."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.data.file_codes import is_code_of
from pipeline.data.ingest import read_file
from pipeline.data.symbols import get_symbol
from pipeline.errors import InputError

MOUTAI, WULIANGYE, PINGAN = (get_symbol(s) for s in ("600519.SH", "000858.SZ", "000001.SZ"))
BUNDLED = Path(__file__).resolve().parents[3] / "pipeline" / "data" / "bundled"


@pytest.mark.parametrize("code", ["600519", "600519.SH", "600519.SS", "SH600519", "sh600519"])
def test_every_form_of_moutais_code_is_moutai(code: str) -> None:
    assert is_code_of(code, MOUTAI)
    assert not is_code_of(code, WULIANGYE)


def test_an_exchange_given_must_match_and_lost_zeros_are_restored() -> None:
    # 000001 is Ping An on Shenzhen but the SSE index on Shanghai.
    assert is_code_of("000001", PINGAN) and is_code_of("1", PINGAN)
    assert not is_code_of("000001.SH", PINGAN)
    assert not is_code_of("600519", get_symbol("BTC-USD"))


def test_a_tushare_file_of_moutai_is_refused_as_wuliangye() -> None:
    with pytest.raises(InputError) as err:
        read_file(BUNDLED / "SH600519.csv", WULIANGYE)
    assert "names 600519 (code column), not 000858.SZ" in str(err.value)
    assert "--ignore-code" in str(err.value)
    assert len(read_file(BUNDLED / "SH600519.csv", WULIANGYE, ignore_code=True).bars) == 2426
    assert len(read_file(BUNDLED / "SH600519.csv", MOUTAI).bars) == 2426


def test_a_title_line_and_a_chinese_code_column_name_the_instrument(tmp_path: Path) -> None:
    tdx = tmp_path / "tdx.txt"
    tdx.write_bytes(
        "600519 贵州茅台 日线 不复权\n日期\t开盘\t最高\t最低\t收盘\t成交量\n"
        "2020/01/02\t10\t12\t9\t11\t100\n".encode("gbk")
    )
    with pytest.raises(InputError, match=r"names 600519 \(title line\), not 601318\.SH"):
        read_file(tdx, get_symbol("601318.SH"))
    assert len(read_file(tdx, MOUTAI).bars) == 1
    vendor = tmp_path / "vendor.csv"
    vendor.write_text("代码,日期,开盘,最高,最低,收盘,成交量\n000858,2020-01-02,10,12,9,11,100\n")
    with pytest.raises(InputError, match=r"names 000858 \(代码 column\), not 600519\.SH"):
        read_file(vendor, MOUTAI)
    assert len(read_file(vendor, WULIANGYE).bars) == 1


def test_a_tushare_pro_file_names_its_ts_code(tmp_path: Path) -> None:
    pro = tmp_path / "pro.csv"
    pro.write_text(
        "ts_code,trade_date,open,high,low,close,pre_close,change,pct_chg,vol,amount\n"
        "600519.SH,20220701,2055.0,2067.77,2015.21,2029.05,2045.0,-15.95,-0.78,21596.45,4385.5\n"
    )
    with pytest.raises(InputError, match=r"names 600519\.SH \(ts_code column\)"):
        read_file(pro, WULIANGYE)

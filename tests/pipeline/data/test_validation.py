"""Each validation rule on a tiny frame; valid rows must come through unchanged."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest

from pipeline.data.bars import BAR_COLUMNS, canonical, empty_bars
from pipeline.data.csv_formats import read_history_csv
from pipeline.data.symbols import get_symbol
from pipeline.data.validation import REJECTED_COLUMNS, validate_bars, validate_many

TODAY = date(2026, 11, 23)
NAN = float("nan")
GOOD = {"open": 10.0, "high": 12.0, "low": 9.0, "close": 11.0, "volume": 100.0}


def bars(*rows: dict[str, object]) -> pd.DataFrame:
    """A canonical frame of rows; each row is GOOD with the given fields replaced."""
    frame = pd.DataFrame([{**GOOD, **row} for row in rows])
    return canonical(frame, volume_unit="shares", price_adjustment="none", source="test")


def reasons(frame: pd.DataFrame) -> list[str]:
    return validate_bars(frame, today=TODAY).rejected["reason"].tolist()


def test_valid_rows_pass_untouched() -> None:
    frame = bars({"date": "2020-01-02"}, {"date": "2020-01-03", "volume": 0.0})
    result = validate_bars(frame, today=TODAY)
    pdt.assert_frame_equal(result.valid, frame)
    assert result.rejected.empty
    assert list(result.rejected.columns) == REJECTED_COLUMNS


def test_bundled_files_are_all_valid() -> None:
    bundled = Path(__file__).resolve().parents[3] / "pipeline" / "data" / "bundled"
    frame = read_history_csv(bundled / "SH600519.csv", get_symbol("600519.SH"))
    result = validate_bars(frame, today=TODAY)
    # The data README checked this file: no nulls, duplicates or inconsistent OHLC.
    assert len(result.valid) == 2426
    assert list(result.valid.columns) == BAR_COLUMNS  # raw_date is dropped


def test_missing_date() -> None:
    # No date and no text for it: nothing to show but that it is missing.
    assert reasons(bars({"date": None})) == ["missing date"]


def test_unparseable_date_keeps_its_text() -> None:
    frame = bars({"date": None}).assign(raw_date="2020-13-45")
    rejected = validate_bars(frame, today=TODAY).rejected
    assert rejected["reason"].tolist() == ["unparseable date '2020-13-45'"]
    assert rejected["raw_date"].tolist() == ["2020-13-45"]
    assert pd.isna(rejected["date"].iloc[0])


def test_duplicate_date_rejects_every_copy() -> None:
    frame = bars(
        {"date": "2020-01-02"}, {"date": "2020-01-02", "close": 11.5}, {"date": "2020-01-03"}
    )
    result = validate_bars(frame, today=TODAY)
    # Which of the two 2020-01-02 rows is right cannot be told, so neither is kept.
    assert result.rejected["reason"].tolist() == ["duplicate date 2020-01-02 (2 rows)"] * 2
    assert result.valid["date"].tolist() == [pd.Timestamp("2020-01-03")]


@pytest.mark.parametrize("column", ["open", "high", "low", "close"])
def test_missing_price(column: str) -> None:
    # NaN compares False, so no OHLC-consistency reason is added on top.
    assert reasons(bars({"date": "2020-01-02", column: NAN})) == [f"{column} missing"]


def test_non_positive_price() -> None:
    # open 0 is below low 9 as well, so the consistency rule also fires.
    assert reasons(bars({"date": "2020-01-02", "open": 0.0})) == [
        "open <= 0 (0.0); low 9.0 > min(open, close) 0.0"
    ]


def test_negative_volume() -> None:
    assert reasons(bars({"date": "2020-01-02", "volume": -5.0})) == ["volume < 0 (-5.0)"]


@pytest.mark.parametrize("volume", [NAN, float("inf")])
def test_missing_or_infinite_volume_is_rejected(volume: float) -> None:
    # The volume z-score reads every bar: a stored NaN failed every later split of the symbol.
    frame = bars({"date": "2020-01-02"}, {"date": "2020-01-03", "volume": volume})
    result = validate_bars(frame, today=TODAY)
    assert result.rejected["reason"].tolist() == [
        "volume missing" if volume != volume else "volume is not finite (inf)"
    ]
    assert result.valid["volume"].notna().all()


def test_price_far_below_the_series_is_rejected() -> None:
    # All four prices 1e-300: consistent OHLC, > 0, yet no price of this series.
    tiny = dict.fromkeys(("open", "high", "low", "close"), 1e-300)
    frame = bars({"date": "2020-01-02"}, {"date": "2020-01-03", **tiny}, {"date": "2020-01-06"})
    result = validate_bars(frame, today=TODAY)
    assert len(result.rejected) == 1
    assert (
        result.rejected["reason"]
        .iloc[0]
        .startswith("open 1e-300 is over 1000x outside the series' range (11..11)")
    )
    assert len(result.valid) == 2


def test_one_new_bar_is_judged_against_the_stored_range() -> None:
    # A daily ingest brings one bar: the stored closes say what the series' range is.
    tiny = dict.fromkeys(("open", "high", "low", "close"), 1e-300)
    frame = bars({"date": "2020-01-03", **tiny})
    assert validate_bars(frame, today=TODAY).rejected.empty  # nothing to compare it with
    rejected = validate_bars(frame, today=TODAY, series_range=(90.0, 2600.0)).rejected
    assert "outside the series' range (90..2600)" in rejected["reason"].iloc[0]
    # Real moves, even large ones, pass.
    real = validate_bars(bars({"date": "2020-01-03"}), today=TODAY, series_range=(1.0, 9000.0))
    assert real.rejected.empty


def test_zero_volume_is_valid() -> None:
    # A day with no trades is real (a suspended stock); only negative volume is impossible.
    assert reasons(bars({"date": "2020-01-02", "volume": 0.0})) == []


def test_low_above_body() -> None:
    # low 10.5 is above open 10: the day cannot have opened below its low.
    assert reasons(bars({"date": "2020-01-02", "low": 10.5})) == [
        "low 10.5 > min(open, close) 10.0"
    ]


def test_high_below_body() -> None:
    # high 10.5 is below close 11: the day cannot have closed above its high.
    assert reasons(bars({"date": "2020-01-02", "high": 10.5})) == [
        "high 10.5 < max(open, close) 11.0"
    ]


def test_future_date() -> None:
    # Tomorrow's bar cannot exist yet; today's may (a partial bar).
    frame = bars({"date": "2026-11-24"}, {"date": "2026-11-23"})
    assert reasons(frame) == ["future date 2026-11-24 (today is 2026-11-23)"]


def test_several_reasons_are_joined() -> None:
    # low above high breaks all three consistency rules; the date is in the future too.
    frame = bars({"date": "2027-01-04", "low": 13.0, "volume": -1.0})
    assert reasons(frame) == [
        "volume < 0 (-1.0); low 13.0 > min(open, close) 10.0; low 13.0 > high 12.0; "
        "future date 2027-01-04 (today is 2026-11-23)"
    ]


def test_rejected_rows_keep_their_values() -> None:
    frame = bars({"date": "2020-01-02"}, {"date": "2020-01-03", "close": -1.0})
    rejected = validate_bars(frame, today=TODAY).rejected
    assert list(rejected.columns) == REJECTED_COLUMNS
    row = rejected.iloc[0]
    assert row["date"] == pd.Timestamp("2020-01-03")
    assert row["raw_date"] == "2020-01-03"  # no raw_date column: the date itself
    assert (row["open"], row["high"], row["low"], row["close"]) == (10.0, 12.0, 9.0, -1.0)


def test_empty_frame() -> None:
    result = validate_bars(empty_bars(), today=TODAY)
    assert result.valid.empty and result.rejected.empty


def test_frames_validated_together_give_what_each_gives_alone() -> None:
    # A watch list's chunk is validated in one pass: duplicates, the series' range and today
    # stay each frame's own.
    with_raw = bars({"date": "2020-01-02"}, {"date": None}).assign(raw_date=["2020-01-02", "x"])
    parts = [
        (bars({"date": "2020-01-02"}, {"date": "2020-01-02"}), TODAY, None),  # a duplicate
        (bars({"date": "2020-01-02"}, {"date": "2026-11-24"}), TODAY, None),  # one in the future
        (bars({"date": "2020-01-02"}, {"date": "2020-01-03", "close": 1e-4}), TODAY, None),
        (bars({"date": "2020-01-02", "open": 1e5, "high": 1e5}), TODAY, (1.0, 2.0)),
        (bars({"date": "2020-01-02"}, {"date": "2026-11-24"}), date(2026, 11, 30), None),
        (with_raw, TODAY, None),
        (bars({"date": "2020-01-02"}).iloc[:0], TODAY, None),
    ]
    together = validate_many(parts)
    assert len(together) == len(parts)
    for (frame, today, series_range), result in zip(parts, together, strict=True):
        alone = validate_bars(frame, today=today, series_range=series_range)
        pdt.assert_frame_equal(result.valid, alone.valid)
        pdt.assert_frame_equal(result.rejected, alone.rejected)
    assert [len(r.rejected) for r in together] == [2, 1, 1, 1, 0, 1, 0]

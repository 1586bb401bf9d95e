"""KPI history loading: file formats, long vs wide, period styles, the grid, and located errors."""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from bsc_toolkit.errors import BSCError, DataError, MissingDependencyError
from bsc_toolkit.history import SINGLE_UNIT, KPIHistory, history_from_frame, load_history

DATA = Path(__file__).resolve().parent / "data"
WIDE = DATA / "history_panel_wide.csv"
LONG = DATA / "history_panel_long.csv"

# The fixture panel on its complete grid: units S1, S2 x 2023Q1..2023Q4 (S2 lacks 2023Q2,
# S1 lacks queue_time in 2023Q4).
EXPECTED_NPS = [20.5, 21.0, 22.5, 23.0, 31.0, np.nan, 30.5, 32.0]
EXPECTED_QUEUE = [4.1, 3.9, 3.6, np.nan, 5.0, np.nan, 4.8, 4.4]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _error(path_or_df, **kw) -> str:
    with pytest.raises(DataError) as exc:
        load_history(path_or_df, **kw)
    return str(exc.value)


def _fixture_frame() -> pd.DataFrame:
    return pd.read_csv(WIDE, dtype={"store": str, "quarter": str})


def _check_fixture(h: KPIHistory) -> None:
    assert h.frequency == "quarterly"
    assert h.is_panel and h.n_units == 2 and h.n_periods == 4
    assert list(h.units) == ["S1", "S2"]
    assert h.period_labels == ["2023Q1", "2023Q2", "2023Q3", "2023Q4"]
    assert_allclose(h.data["nps"].to_numpy(), EXPECTED_NPS)
    assert_allclose(h.data["queue_time"].to_numpy(), EXPECTED_QUEUE)


# ----------------------------------------------------------------- formats
def test_csv_wide_panel_with_gaps_on_grid():
    h = load_history(WIDE, unit="store", period="quarter")
    _check_fixture(h)
    assert h.columns == ["nps", "queue_time", "gdp_growth"]
    assert h.unit_column == "store" and h.period_column == "quarter"
    assert h.source == str(WIDE)
    assert h.data.index.names == ["unit", "t"]
    assert h.latest("nps") == pytest.approx((23.0 + 32.0) / 2)


def test_long_and_wide_give_the_same_history():
    wide = load_history(WIDE, unit="store", controls=["gdp_growth"], kpis=["nps", "queue_time"])
    long = load_history(LONG, unit="store", controls=["gdp_growth"], kpis=["nps", "queue_time"])
    pd.testing.assert_frame_equal(wide.data, long.data)
    assert wide.periods.equals(long.periods)
    assert wide.frequency == long.frequency == "quarterly"
    assert long.controls == ("gdp_growth",) and long.kpis == ["nps", "queue_time"]
    # form detected from the kpi/value columns; forcing wide on long data reads 'kpi' as text column
    assert load_history(LONG, unit="store", form="long").columns == ["nps", "queue_time", "gdp_growth"]


def test_excel_sheet_parquet_duckdb_and_sqlite_read_the_same(tmp_path):
    df = _fixture_frame()
    xlsx = tmp_path / "kpis.xlsx"
    with pd.ExcelWriter(xlsx) as writer:
        pd.DataFrame({"note": ["cover sheet"]}).to_excel(writer, sheet_name="README", index=False)
        df.to_excel(writer, sheet_name="data", index=False)
    _check_fixture(load_history(xlsx, unit="store", sheet="data"))
    _check_fixture(load_history(xlsx, unit="store", sheet=1))

    pq = tmp_path / "kpis.parquet"
    df.to_parquet(pq)
    _check_fixture(load_history(pq, unit="store"))

    # a query over the parquet file sees it as the table `data`
    h = load_history(pq, sql="SELECT * FROM data WHERE store = 'S2'", unit="store")
    assert list(h.units) == ["S2"]
    assert_allclose(h.data["nps"].to_numpy(), [31.0, np.nan, 30.5, 32.0])
    assert h.source.startswith("query 'SELECT")
    # a source given with sql is the table `data`
    h2 = load_history(df, sql="SELECT * FROM data WHERE store = 'S1'", unit="store")
    assert list(h2.units) == ["S1"]

    db = tmp_path / "kpis.db"
    with sqlite3.connect(db) as con:
        df.to_sql("kpis", con, index=False)
    _check_fixture(load_history(sql="SELECT * FROM kpis", database=f"sqlite:///{db}", unit="store"))
    _check_fixture(load_history(sql="SELECT * FROM kpis", database=str(db), unit="store"))


def test_dataframe_and_history_from_frame():
    df = _fixture_frame()
    _check_fixture(load_history(df, unit="store"))
    _check_fixture(load_history(df.set_index(["store", "quarter"]), unit="store", period="quarter"))
    h = history_from_frame(df, period="quarter", unit="store", kpis=["nps"], form="wide")
    assert h.columns == ["nps"]
    assert_allclose(h.data["nps"].to_numpy(), EXPECTED_NPS)


def test_semicolon_csv_na_strings_and_blank_lines(tmp_path):
    p = _write(tmp_path, "semi.csv", "period;revenue;nps\n2021;1.5;NA\n\n2022;n/a;30\n2023;2.5;\n")
    h = load_history(p)
    assert not h.is_panel and h.n_units == 1 and list(h.units) == [SINGLE_UNIT]
    assert h.frequency == "annual"
    assert_allclose(h.data["revenue"].to_numpy(), [1.5, np.nan, 2.5])
    assert_allclose(h.data["nps"].to_numpy(), [np.nan, 30.0, np.nan])
    # the row numbers in errors still count the blank line (as a spreadsheet shows it)
    bad = _write(tmp_path, "bad.csv", "period,revenue\n2021,1\n\n2022,2\n2023,oops\n")
    assert "row 5" in _error(bad)


def test_to_frame_and_to_long_round_trip():
    h = load_history(WIDE, unit="store", period="quarter")
    wide = h.to_frame()
    assert list(wide.columns[:2]) == ["unit", "period"]
    assert wide["period"].tolist()[:2] == ["2023Q1", "2023Q2"]
    back = load_history(h.to_long(), unit="unit", period="period")
    pd.testing.assert_frame_equal(back.data, h.data)
    assert "2023Q1 to 2023Q4" in h.summary and "<table" in h._repr_html_()


def test_controls_and_kpi_selection():
    h = load_history(WIDE, unit="store", kpis=["queue_time"], controls=["gdp_growth"])
    assert h.columns == ["queue_time", "gdp_growth"]
    assert h.controls == ("gdp_growth",)


def test_non_numeric_label_columns_are_noted_when_kpis_not_given(tmp_path):
    p = _write(tmp_path, "lbl.csv", "year,region,revenue\n2020,North,1\n2021,North,2\n")
    h = load_history(p)
    assert h.columns == ["revenue"]
    assert any("region" in n for n in h.notes)


# ------------------------------------------------------------------ periods
@pytest.mark.parametrize(
    ("values", "frequency", "labels"),
    [
        (["2021", "2022", "2024"], "annual", ["2021", "2022", "2023", "2024"]),
        ([2021, 2022, 2023], "annual", ["2021", "2022", "2023"]),
        ([1, 2, 4], "integer", ["1", "2", "3", "4"]),
        (["2024Q1", "2024Q2", "2024Q4"], "quarterly", ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]),
        (["2024-Q3", "2024-Q4", "2025-Q1"], "quarterly", ["2024Q3", "2024Q4", "2025Q1"]),
        (["Q1 2024", "Q2 2024", "Q3 2024"], "quarterly", ["2024Q1", "2024Q2", "2024Q3"]),
        (["2024-11", "2024-12", "2025-01"], "monthly", ["2024-11", "2024-12", "2025-01"]),
        (["2024-W52", "2025-W01", "2025-W02"], "weekly", ["2024-W52", "2025-W01", "2025-W02"]),
        (["2024-02-28", "2024-02-29", "2024-03-01"], "daily", ["2024-02-28", "2024-02-29", "2024-03-01"]),
        (["2024-03-31", "2024-06-30", "2024-12-31"], "quarterly", ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]),
        (["2024-01-31", "2024-02-29", "2024-03-31"], "monthly", ["2024-01", "2024-02", "2024-03"]),
        (["2024-01-01", "2024-01-08", "2024-01-22"], "weekly", ["2024-W01", "2024-W02", "2024-W03", "2024-W04"]),
        (["2023-12-31", "2024-12-31"], "annual", ["2023", "2024"]),
        ([20240131, 20240229, 20240331], "monthly", ["2024-01", "2024-02", "2024-03"]),
        ([202401, 202402, 202403], "monthly", ["2024-01", "2024-02", "2024-03"]),
    ],
)
def test_period_styles_and_frequency_detection(values, frequency, labels):
    df = pd.DataFrame({"period": values, "kpi_a": np.arange(len(values), dtype=float)})
    h = load_history(df)
    assert h.frequency == frequency
    assert h.period_labels == labels
    assert h.data["kpi_a"].notna().sum() == len(values)


def test_datetime_date_and_period_objects():
    dates = pd.to_datetime(["2024-03-31", "2024-06-30", "2024-09-30"])
    h = load_history(pd.DataFrame({"date": dates, "x": [1.0, 2, 3]}))
    assert h.frequency == "quarterly" and h.first_period == "2024Q1"
    h = load_history(pd.DataFrame({"date": [dt.date(2024, 1, 1), dt.date(2024, 2, 1)], "x": [1.0, 2]}))
    assert h.frequency == "monthly"
    per = pd.period_range("2024-01", periods=3, freq="M")
    h = load_history(pd.DataFrame({"period": per, "x": [1.0, 2, 3]}))
    assert h.frequency == "monthly" and h.period_labels == ["2024-01", "2024-02", "2024-03"]


def test_year_and_quarter_columns_are_combined():
    df = pd.DataFrame({"year": [2023, 2023, 2024], "quarter": ["Q4", "Q3", "Q1"], "x": [1.0, 2, 3]})
    h = load_history(df)
    assert h.frequency == "quarterly" and h.period_labels == ["2023Q3", "2023Q4", "2024Q1"]
    assert_allclose(h.data["x"].to_numpy(), [2, 1, 3])
    assert h.period_column == "year+quarter"
    with pytest.raises(DataError, match=r"row 2, column 'quarter': expected a whole number from 1 to 4, found 5"):
        load_history(pd.DataFrame({"year": [2023, 2023], "quarter": [1, 5], "x": [1.0, 2]}))


def test_units_start_at_different_periods_share_one_grid():
    df = pd.DataFrame(
        {"unit": ["B", "B", "A"], "month": ["2024-03", "2024-04", "2024-01"], "x": [3.0, 4.0, 1.0]}
    )
    h = load_history(df, unit="unit")
    assert h.period_labels == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert_allclose(h.data.loc["A", "x"].to_numpy(), [1, np.nan, np.nan, np.nan])
    assert_allclose(h.data.loc["B", "x"].to_numpy(), [np.nan, np.nan, 3, 4])


# ------------------------------------------------------------------- errors
def test_error_non_numeric_cell_names_row_column_and_value(tmp_path):
    p = _write(tmp_path, "k.csv", "unit,period,nps\nA,2024Q1,20\nA,2024Q2,abc\n")
    msg = _error(p, unit="unit")
    assert "k.csv" in msg and "row 3" in msg and "column 'nps'" in msg and "'abc'" in msg
    p = _write(tmp_path, "pct.csv", "period,nps\n2024,1\n2025,12;5\n")
    assert _error(p) == (f"{p}, row 3, column 'nps': expected a number, found '12;5' (empty cells, NA, n/a "
                         "and - count as missing)")
    p = _write(tmp_path, "l.csv", "unit,period,kpi,value\nA,2024Q1,nps,1\nA,2024Q2,nps,x\n")
    msg = _error(p, unit="unit")
    assert "row 3" in msg and "column 'value'" in msg and "'x'" in msg


def test_error_duplicate_rows_show_both_rows(tmp_path):
    p = _write(tmp_path, "d.csv", "unit,period,nps\nA,2024Q1,20\nA,2024Q2,21\nA,2024Q1,22\n")
    msg = _error(p, unit="unit")
    assert "duplicate rows for unit 'A' and period '2024Q1'" in msg and "rows 2 and 4" in msg
    p = _write(tmp_path, "s.csv", "store,period,nps\nA,2024Q1,20\nB,2024Q1,21\n")
    msg = _error(p)
    assert "rows 2 and 3" in msg and "unit='...'" in msg and "candidates: store" in msg
    p = _write(tmp_path, "ld.csv", "unit,period,kpi,value\nA,2024Q1,nps,1\nB,2024Q1,nps,5\nA,2024Q1,nps,2\n")
    msg = _error(p, unit="unit")
    assert "KPI 'nps'" in msg and "rows 2 and 4" in msg


def test_error_missing_kpis_list_what_is_there():
    msg = _error(WIDE, unit="store", kpis=["nps", "retention", "margin"])
    assert "retention, margin" in msg and "the data have: nps, queue_time, gdp_growth" in msg
    msg = _error(LONG, unit="store", kpis=["retention"])
    assert "retention" in msg and "holds: nps, queue_time, gdp_growth" in msg


def test_error_unknown_unit_period_and_control_columns():
    msg = _error(WIDE, unit="unit")
    assert "unit column 'unit' not found" in msg and "store, quarter, nps" in msg
    msg = _error(WIDE, unit="store", period="date")
    assert "period column 'date' not found" in msg and "store, quarter" in msg
    msg = _error(WIDE, unit="store", controls=["gdp"])
    assert "control column(s) 'gdp' not found" in msg and "gdp_growth" in msg
    msg = _error(LONG, unit="store", controls=["gdp"])
    assert "'gdp' not found" in msg and "holds: nps" in msg


def test_error_no_period_column_lists_columns(tmp_path):
    p = _write(tmp_path, "n.csv", "unit,when,nps\nA,2024Q1,20\n")
    msg = _error(p, unit="unit")
    assert "no period column found" in msg and "unit, when, nps" in msg and "period='...'" in msg


def test_error_empty_header_only_and_unreadable_files(tmp_path):
    assert "the file is empty" in _error(_write(tmp_path, "e.csv", ""))
    assert "the file is empty" in _error(_write(tmp_path, "e2.csv", "\n\n"))
    assert "no data rows" in _error(_write(tmp_path, "h.csv", "unit,period,nps\n"), unit="unit")
    assert "file not found" in _error(tmp_path / "nothere.csv")
    assert "is a folder" in _error(tmp_path)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"PK\x03\x04\x00\x00\x00junk")
    assert "binary data" in _error(binary)
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip file")
    assert "cannot read as an Excel workbook" in _error(tmp_path / "bad.xlsx")
    (tmp_path / "bad.parquet").write_bytes(b"nope")
    assert "cannot read as Parquet" in _error(tmp_path / "bad.parquet")
    assert "unknown file type '.json'" in _error(_write(tmp_path, "x.json", "{}"))


def test_error_missing_excel_sheet_lists_sheets(tmp_path):
    xlsx = tmp_path / "k.xlsx"
    _fixture_frame().to_excel(xlsx, sheet_name="kpis", index=False)
    msg = _error(xlsx, unit="store", sheet="data")
    assert "no sheet named 'data'" in msg and "kpis" in msg


def test_error_periods_unreadable_mixed_irregular_missing(tmp_path):
    msg = _error(_write(tmp_path, "p.csv", "period,nps\n2024Q1,1\nfoo,2\n"))
    assert "row 3" in msg and "column 'period'" in msg and "'foo'" in msg and "2024-W05" in msg
    msg = _error(_write(tmp_path, "m.csv", "period,nps\n2024Q1,1\n2024Q2,2\n2024-07,3\n"))
    assert "mix styles" in msg and "row 2" in msg and "row 4" in msg and "'2024-07'" in msg
    irregular = "date,nps\n2024-01-15,1\n2024-01-20,2\n2024-02-03,3\n2024-03-29,4\n2024-05-02,5\n"
    msg = _error(_write(tmp_path, "i.csv", irregular))
    assert "do not fit one frequency" in msg and "column 'date'" in msg and "row 2" in msg
    assert "row 3" in msg and "same week" in msg
    msg = _error(_write(tmp_path, "mp.csv", "period,nps\n2024,1\n,2\n"))
    assert "row 3" in msg and "period is missing" in msg
    msg = _error(_write(tmp_path, "mu.csv", "unit,period,nps\nA,2024,1\n,2025,2\n"), unit="unit")
    assert "row 3" in msg and "unit is missing" in msg


def test_error_sql_problems_name_the_query(tmp_path):
    with pytest.raises(DataError, match=r"query 'SELECT \* FROM nothere'.*query failed"):
        load_history(sql="SELECT * FROM nothere")
    with pytest.raises(DataError, match="without a query"):
        load_history(database="sqlite:///x.db")
    with pytest.raises(DataError, match="not a file"):
        load_history(sql="SELECT 1", database=str(tmp_path / "missing.db"))
    with pytest.raises(BSCError) as exc:  # password masked in the message
        load_history(sql="SELECT 1", database="postgresql://me:s3cret@localhost:1/db")
    assert "s3cret" not in str(exc.value)


def test_missing_sqlalchemy_names_the_extra(tmp_path, monkeypatch):
    db = tmp_path / "k.db"
    sqlite3.connect(db).close()
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    with pytest.raises(MissingDependencyError, match=r"bsc-toolkit\[sql\]"):
        load_history(sql="SELECT 1", database=f"sqlite:///{db}")


def test_bad_form_argument():
    with pytest.raises(DataError, match="`form` must be one of auto, long, wide, got 'tall'"):
        load_history(WIDE, form="tall")


def test_grid_values_are_exact_and_float(tmp_path):
    p = _write(tmp_path, "w.csv", "unit,period,a\n001,1,1\n001,3,3\n002,2,2\n")
    h = load_history(p, unit="unit")
    assert list(h.units) == ["001", "002"]  # ids keep their leading zeros
    assert h.frequency == "integer" and list(h.periods) == [1, 2, 3]
    assert_array_equal(h.data["a"].to_numpy(), [1, np.nan, 3, np.nan, 2, np.nan])
    assert h.data["a"].dtype == np.float64


def test_header_spaces_bom_latin1_and_empty_columns(tmp_path):
    p = _write(tmp_path, "sp.csv", " unit , period ,nps\n001, 2024Q1 ,1\n001,2024Q2,2\n")
    h = load_history(p, unit="unit")
    assert list(h.units) == ["001"] and h.period_labels == ["2024Q1", "2024Q2"]
    bom = tmp_path / "bom.csv"
    bom.write_text("period,nps\n2024,1\n", encoding="utf-8-sig")
    assert load_history(bom).columns == ["nps"]
    latin = tmp_path / "lat.csv"
    latin.write_bytes("period,caf\xe9\n2024,1\n".encode("latin-1"))
    h = load_history(latin)
    assert h.columns == ["caf\xe9"] and any("Latin-1" in n for n in h.notes)
    # a KPI column that is entirely empty is kept (all NaN), not dropped as a label column
    h = load_history(pd.DataFrame({"period": [1, 2], "x": [None, None], "y": [1.0, 2.0]}))
    assert h.columns == ["x", "y"] and h.data["x"].isna().all()

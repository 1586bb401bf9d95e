"""Data intake that forgives what spreadsheets do and never silently changes the sample (issue 11).

The central test writes a public panel (Grunfeld's investment data, statsmodels) twice: once
clean, once as a messy spreadsheet export (unit names in several spellings, numbers with currency
signs, thousands separators, accounting negatives, unicode minus, percent signs, missing markers,
column names that are not KPI ids, a column the scorecard does not use full of junk), and checks
that the evidence engine gives the same n_obs, verdicts and estimates on both.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from bsc_toolkit.errors import DataError
from bsc_toolkit.evidence import validate
from bsc_toolkit.history import DataWarning, load_history
from bsc_toolkit.history.numbers import CellError, parse_numbers
from bsc_toolkit.scorecard import Scorecard

KPIS = ("invest", "value", "capital", "value_change", "cap_ratio")
COLUMNS = {"invest": "Investment ($m)", "value": "Market value", "capital": "Capital stock",
           "value_change": "Value change", "cap_ratio": "Capital/value"}


# ------------------------------------------------------------------ fixtures
def _scorecard(columns: dict[str, str] | None = None) -> Scorecard:
    columns = columns or {}

    def kpi(kid: str, indicator: str) -> dict:
        k = {"id": kid, "name": kid.replace("_", " "), "direction": "up", "indicator": indicator}
        if kid in columns:
            k["column"] = columns[kid]
        return k

    return Scorecard.model_validate({
        "name": "Grunfeld investment",
        "objectives": [
            {"id": "F1", "perspective": "financial", "name": "Invest", "kpis": [kpi("invest", "lagging")]},
            {"id": "C1", "perspective": "customer", "name": "Market value",
             "kpis": [kpi("value", "leading"), kpi("value_change", "leading")]},
            {"id": "P1", "perspective": "internal_process", "name": "Capital",
             "kpis": [kpi("capital", "leading"), kpi("cap_ratio", "leading")]},
        ],
        "links": [
            {"from": "C1", "to": "F1", "sign": "positive", "lags": [1]},
            {"from": "value_change", "to": "invest", "sign": "positive", "lags": [1]},
            {"from": "P1", "to": "F1", "sign": "positive", "lags": [1]},
            {"from": "cap_ratio", "to": "invest", "sign": "negative", "lags": [1]},
        ],
    })


@pytest.fixture(scope="module")
def grunfeld() -> pd.DataFrame:
    """Grunfeld (1958) investment panel: 11 firms x 20 years, as shipped with statsmodels."""
    sm = pytest.importorskip("statsmodels.api")
    d = sm.datasets.grunfeld.load_pandas().data
    d = d.assign(year=d["year"].astype(int), firm=d["firm"].astype(str)).sort_values(["firm", "year"])
    d = d.reset_index(drop=True)
    d[["invest", "value", "capital"]] = d[["invest", "value", "capital"]].round(2)  # as the export shows them
    d["value_change"] = d.groupby("firm")["value"].diff().round(2)
    d["cap_ratio"] = (100 * d["capital"] / d["value"]).round(2)
    rng = np.random.default_rng(11)
    d.loc[rng.random(len(d)) < 0.05, "invest"] = np.nan  # missing values, the same in both twins
    return d


def _spell(name: str, i: int) -> str:
    """Half the rows spell the firm properly; the others as exports do."""
    variants = [name, name.upper() + " ", name.lower(), name.replace(" ", "-"), f"  {name}"]
    if name == "US Steel":
        variants[3] = "U.S. Steel"
    return name if i % 2 == 0 else variants[(i // 2) % 5]


def _money(x: float, i: int) -> str:
    if pd.isna(x):
        return ["n/a", "-", "", "NA"][i % 4]
    text = f"{abs(x):,.2f}"
    if x < 0:
        return [f"({text})", f"\u2212{text}", f"{text}-"][i % 3]
    return [f"${text}", text, f"USD {text}"][i % 3]


def _messy(d: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Firm": [_spell(f, i) for i, f in enumerate(d["firm"])],
        "Year": [f" {y} " for y in d["year"]],
        COLUMNS["invest"]: [_money(x, i) for i, x in enumerate(d["invest"])],
        COLUMNS["value"]: [_money(x, i) for i, x in enumerate(d["value"])],
        COLUMNS["capital"]: [f"{x:,.2f}" for x in d["capital"]],
        COLUMNS["value_change"]: [_money(x, i) for i, x in enumerate(d["value_change"])],
        COLUMNS["cap_ratio"]: [f"{x:.2f}%" for x in d["cap_ratio"]],
        "Notes": ["see memo", "1,5", "n.v.", "12abc"] * (len(d) // 4),  # not a KPI: never parsed
    })


def _to_decimal_comma(df: pd.DataFrame) -> pd.DataFrame:
    """The same export from a German spreadsheet: 1.234,56 and semicolons."""
    swap = str.maketrans({",": ".", ".": ","})
    out = df.copy()
    for c in KPIS:
        out[COLUMNS[c]] = [s.translate(swap) for s in df[COLUMNS[c]]]
    return out


def _links(ev) -> list[tuple]:
    return [(lk["from"], lk["to"], lk["verdict"], lk["n_obs"]) for lk in ev.to_dict()["links"]]


def _effects(ev) -> np.ndarray:
    return np.array([[t["estimate"] for t in lk["terms"]] for lk in ev.to_dict()["links"]], dtype=float)


def _validate(sc, h):
    return validate(sc, h, drivers=False, chains=False, discovery=False, progress=False)


# ------------------------------------------------------------ the two twins
def test_messy_export_gives_the_evidence_of_its_clean_twin(grunfeld, tmp_path):
    clean_path = tmp_path / "clean.csv"
    grunfeld[["firm", "year", *KPIS]].to_csv(clean_path, index=False)
    clean = load_history(clean_path, unit="firm", period="year", scorecard=_scorecard())
    ev_clean = _validate(_scorecard(), clean)
    assert {lk[3] for lk in _links(ev_clean)} <= set(range(150, 220))  # the panel is used, not 96 fragments

    messy_path = tmp_path / "messy.csv"
    _messy(grunfeld).to_csv(messy_path, index=False)
    sc = _scorecard({k: COLUMNS[k] for k in ("invest", "value", "value_change", "cap_ratio")})
    with pytest.warns(DataWarning, match="merged"):
        messy = load_history(messy_path, unit="Firm", scorecard=sc, column_map={"capital": COLUMNS["capital"]})
    assert list(messy.units) == list(clean.units) and messy.period_labels == clean.period_labels
    assert_allclose(messy.data[list(KPIS)].to_numpy(), clean.data[list(KPIS)].to_numpy())
    ev_messy = _validate(sc, messy)
    assert _links(ev_messy) == _links(ev_clean)
    assert_allclose(_effects(ev_messy), _effects(ev_clean), rtol=1e-10)

    # the summary says what was converted, merged and mapped
    s = messy.intake.to_dict()
    assert s["n_units"] == 11 and s["n_periods"] == 20 and s["grid_gaps"] == 0
    us_steel = next(m for m in s["merged_units"] if m["into"] == "US Steel")
    assert sorted(us_steel["variants"]) == sorted(["US STEEL ", "us steel", "U.S. Steel", "  US Steel"])
    assert s["columns_mapped"] == {k: COLUMNS[k] for k in KPIS}
    conv = {c["column"]: c for c in s["conversions"]}
    assert set(conv) == {COLUMNS[k] for k in KPIS}
    d = grunfeld
    dollars = sum(1 for i, x in enumerate(d["invest"]) if pd.notna(x) and x >= 0 and i % 3 == 0)
    usd = sum(1 for i, x in enumerate(d["invest"]) if pd.notna(x) and x >= 0 and i % 3 == 2)
    assert conv[COLUMNS["invest"]]["kinds"]["currency symbol '$'"] == dollars
    assert conv[COLUMNS["invest"]]["kinds"]["currency symbol 'USD'"] == usd
    negatives = d["value_change"] < 0
    assert conv[COLUMNS["value_change"]]["kinds"]["unicode minus"] == sum(
        1 for i, neg in enumerate(negatives) if neg and i % 3 == 1)
    assert conv[COLUMNS["value_change"]]["kinds"]["accounting negatives"] == sum(
        1 for i, neg in enumerate(negatives) if neg and i % 3 != 1)
    assert conv[COLUMNS["cap_ratio"]] == {"column": COLUMNS["cap_ratio"], "what": "percent sign",
                                          "cells": len(d), "kinds": {"percent sign": len(d)}}
    assert conv[COLUMNS["capital"]]["what"] == "thousands separators ','"
    assert conv[COLUMNS["capital"]]["cells"] == int((d["capital"] >= 1000).sum())
    assert "Notes" in s["columns_ignored"]
    short = messy.intake.short.splitlines()
    assert "  merged units: 'American Steel' <- 'AMERICAN STEEL ', 'american steel', 'American-Steel', " \
           "'  American Steel'" in short
    assert "  merged units: ... and 8 more" in short


def test_decimal_comma_export_through_sql_gives_the_same_evidence(grunfeld, tmp_path):
    """The same messy export with 1.234,56 and ';', filtered with a typed SQL query."""
    years = grunfeld["year"] <= 1950
    clean_path = tmp_path / "clean.csv"
    grunfeld.loc[years, ["firm", "year", *KPIS]].to_csv(clean_path, index=False)
    clean = load_history(clean_path, unit="firm", period="year")
    ev_clean = _validate(_scorecard(), clean)

    path = tmp_path / "export_de.csv"
    _to_decimal_comma(_messy(grunfeld)).to_csv(path, sep=";", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        messy = load_history(path, sql='SELECT * FROM data WHERE "Year" <= 1950', unit="Firm",
                             kpis=list(KPIS), column_map=dict(COLUMNS), decimal=",")
    assert messy.last_period == "1950"
    assert_allclose(messy.data[list(KPIS)].to_numpy(), clean.data[list(KPIS)].to_numpy())
    ev_messy = _validate(_scorecard(), messy)
    assert _links(ev_messy) == _links(ev_clean)
    assert_allclose(_effects(ev_messy), _effects(ev_clean), rtol=1e-10)
    what = {c.column: c.what for c in messy.intake.conversions}
    assert what[COLUMNS["capital"]] == "decimal comma; thousands separators '.'"


# ------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    ("text", "decimal", "value", "kind"),
    [
        ("15,032.67", ".", 15032.67, "thousands separators ','"),
        ("1 234.5", ".", 1234.5, "thousands separators space"),
        ("1\u00a0234,5", ",", 1234.5, "thousands separators space"),
        ("1'234", ".", 1234.0, "thousands separators \"'\""),
        ("1.234,5", ",", 1234.5, "thousands separators '.'"),
        ("\u221212.5", ".", -12.5, "unicode minus"),
        ("12.5%", ".", 12.5, "percent sign"),
        ("12,5 %", ",", 12.5, "percent sign"),
        ("$1,200", ".", 1200.0, "currency symbol '$'"),
        ("\u20ac 3.400", ",", 3400.0, "currency symbol '\u20ac'"),
        ("3.400 \u20ac", ",", 3400.0, "currency symbol '\u20ac'"),
        ("EUR 12", ".", 12.0, "currency symbol 'EUR'"),
        ("-$5", ".", -5.0, "currency symbol '$'"),
        ("(123)", ".", -123.0, "accounting negatives"),
        ("($1,200.50)", ".", -1200.5, "accounting negatives"),
        ("123-", ".", -123.0, "accounting negatives"),
        ("1e5", ".", 1e5, None),
        ("  7 ", ".", 7.0, None),
    ],
)
def test_numbers_as_people_write_them(text, decimal, value, kind):
    col = parse_numbers([text], decimal=decimal)
    assert not col.bad.any()
    assert col.values[0] == value
    if kind is None:
        assert not col.kinds
    else:
        assert kind in col.kinds


@pytest.mark.parametrize("marker", ["", " ", "NA", "n/a", "N/A", "-", "--", "\u2014", "null", "#N/A", ".", "nan"])
def test_missing_markers(marker):
    col = parse_numbers([marker, "1"])
    assert np.isnan(col.values[0]) and not col.bad.any() and col.values[1] == 1.0


@pytest.mark.parametrize(
    ("text", "decimal", "hint"),
    [
        ("12,5", ".", " (a decimal comma? read the file with --decimal , (decimal=','))"),
        ("1.234,56", ".", " (a decimal comma? read the file with --decimal , (decimal=','))"),
        ("1.234.567", ".", " (dots as thousands separators? read the file with --decimal , (decimal=','))"),
        ("1.5", ",", " (a decimal point, but the data are read with --decimal , (decimal=','))"),
        ("inf", ".", " (not a finite number)"),
        ("-Infinity", ".", " (not a finite number)"),
        ("1e400", ".", " (too large to be a number)"),
        ("12abc", ".", " (text and digits mixed; write the number alone)"),
        ("1,23,456", ".", ""),
        ("--5", ".", ""),
        ("(5", ".", ""),
    ],
)
def test_not_numbers_get_a_hint(text, decimal, hint):
    col = parse_numbers([text], decimal=decimal)
    assert col.bad.tolist() == [True] and np.isnan(col.values[0])
    assert col.reasons[0] == hint


def test_typed_cells_inf_overflow_bools_and_dates_are_bad():
    col = parse_numbers(pd.Series([1.0, np.inf, -np.inf, np.nan]))
    assert col.bad.tolist() == [False, True, True, False]
    obj = parse_numbers(pd.Series([1, True, pd.Timestamp("2024-01-01"), "2"], dtype=object))
    assert obj.bad.tolist() == [False, True, True, False]
    assert obj.reasons == {1: " (a true/false value)", 2: " (a date, not a number)"}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_bad_cells_are_listed_together_with_row_and_column(tmp_path):
    rows = ["unit,period,sales,nps,margin,notes"]
    for i in range(12):
        sales = ["oops", '"12,5"', "inf"][i % 3] if i < 9 else str(i)
        nps = "x" if i in (2, 4, 6, 8, 10) else "1"
        rows.append(f"A,{2001 + i},{sales},{nps},{'(3)' if i else '1e400'},free text {i}")
    p = _write(tmp_path, "k.csv", "\n".join(rows) + "\n")
    with pytest.raises(CellError) as exc:
        load_history(p, unit="unit", kpis=["sales", "nps", "margin"])
    assert str(exc.value) == "\n".join([
        f"{p}: expected numbers in 15 cells (empty cells, NA, n/a and - count as missing):",
        "  row 2, column 'margin': '1e400' (too large to be a number)",
        "  row 2, column 'sales': 'oops'",
        "  row 3, column 'sales': '12,5' (a decimal comma? read the file with --decimal , (decimal=','))",
        "  row 4, column 'nps': 'x'",
        "  row 4, column 'sales': 'inf' (not a finite number)",
        "  row 5, column 'sales': 'oops'",
        "  row 6, column 'nps': 'x'",
        "  row 8, column 'nps': 'x'",
        "  row 10, column 'nps': 'x'",
        "  ... and 6 more ('sales': 5, 'nps': 1)",
    ])
    assert exc.value.n_bad == 15 and len(exc.value.cells) == 9


def test_one_bad_cell_is_one_located_line(tmp_path):
    p = _write(tmp_path, "k.csv", "period,nps\n2021,1\n2022,1.2.3\n")
    with pytest.raises(DataError) as exc:
        load_history(p)
    assert str(exc.value) == (f"{p}, row 3, column 'nps': expected a number, found '1.2.3' (dots as thousands "
                              "separators? read the file with --decimal , (decimal=','))")


def test_long_form_reads_only_the_rows_of_the_kpis_used(tmp_path):
    p = _write(tmp_path, "l.csv", "unit,period,kpi,value\nA,2021,Sales (EUR),\"1,200\"\nA,2022,Sales (EUR),"
                                  "(300)\nA,2021,comment,see memo\nA,2022,comment,n.v.\n")
    h = load_history(p, unit="unit", kpis=["sales"], column_map={"sales": "Sales (EUR)"})
    assert h.columns == ["sales"] and h.data["sales"].tolist() == [1200.0, -300.0]
    assert h.intake.columns_mapped == {"sales": "Sales (EUR)"}
    assert h.intake.conversions[0].what == "thousands separators ','; accounting negatives"
    with pytest.raises(DataError) as exc:
        load_history(p, unit="unit", column_map={"sales": "Sales (EUR)"})
    assert str(exc.value) == (f"{p}: expected numbers in 2 cells (empty cells, NA, n/a and - count as missing):\n"
                              "  row 4, column 'value': 'see memo'\n  row 5, column 'value': 'n.v.'")


def test_columns_the_scorecard_does_not_use_are_not_parsed(tmp_path):
    sc = _scorecard()
    p = _write(tmp_path, "k.csv", "firm,year,invest,value,capital,value_change,cap_ratio,comment,flag\n"
                                  "A,2001,1,2,3,4,5,\"15,032.67 (est.)\",yes\nA,2002,1,2,3,4,5,??,no\n")
    h = load_history(p, unit="firm", scorecard=sc)
    assert h.columns == [k.id for k in sc.kpis] and set(h.columns) == set(KPIS)
    assert h.notes == ("not read (not KPIs of the scorecard, nor controls): comment, flag",)
    assert h.intake.columns_ignored == ("comment", "flag")


def test_decimal_must_be_dot_or_comma():
    with pytest.raises(DataError) as exc:
        load_history(pd.DataFrame({"period": [1], "x": [1]}), decimal=";")
    assert str(exc.value) == "`decimal` must be '.' or ',', got ';'"


# ----------------------------------------------------------------- keys
def test_unit_spellings_are_merged_with_a_warning_that_names_them():
    df = pd.DataFrame({"state": ["Alabama", "ALABAMA ", "alabama", "Texas", " Texas", "St. Louis", "St Louis"],
                       "year": [1990, 1991, 1992, 1990, 1991, 1990, 1991],
                       "x": [1.0, 2, 3, 4, 5, 6, 7]})
    with pytest.warns(DataWarning) as rec:
        h = load_history(df, unit="state")
    assert str(rec[0].message) == (
        "<DataFrame>: column 'state': unit names that differ only in case, spacing or punctuation were merged: "
        "'Alabama' <- 'ALABAMA ', 'alabama', 'St. Louis' <- 'St Louis'")
    assert list(h.units) == ["Alabama", "St. Louis", "Texas"]  # ' Texas' is 'Texas' with spaces: not a merge
    assert h.data.loc["Alabama", "x"].tolist() == [1.0, 2.0, 3.0]
    assert [m.to_dict() for m in h.intake.merged_units] == [
        {"into": "Alabama", "variants": ["ALABAMA ", "alabama"]},
        {"into": "St. Louis", "variants": ["St Louis"]},
    ]
    assert h.notes == ("column 'state': spaces around unit names removed in 2 row(s)",)


def test_unit_spellings_with_rows_for_one_period_are_refused(tmp_path):
    p = _write(tmp_path, "s.csv", "state,year,x\nNew York,1990,1\nNEW YORK,1990,2\nNew York,1991,3\n"
                                  "new-york,1991,4\nTexas,1990,5\n")
    with pytest.raises(DataError) as exc:
        load_history(p, unit="state")
    assert str(exc.value) == (
        f"{p}, column 'state': unit names that differ only in case, spacing or punctuation cannot be merged "
        "into one unit: 'New York' (row 2) and 'NEW YORK' (row 3) both have period '1990'; 'New York' (row 4) "
        "and 'new-york' (row 5) both have period '1991'. If they are one unit, keep one row per period; if "
        "they are different units, give them names that differ in letters or digits")


def test_long_form_spellings_collide_only_on_the_same_kpi(tmp_path):
    text = "unit,period,kpi,value\nAB,2021,x,1\nab,2021,y,2\nAB,2022,x,3\nA.B.,2022,x,4\n"
    p = _write(tmp_path, "l.csv", text)
    with pytest.raises(DataError) as exc:
        load_history(p, unit="unit")
    assert str(exc.value) == (
        f"{p}, column 'unit': unit names that differ only in case, spacing or punctuation cannot be merged "
        "into one unit: 'AB' (row 4) and 'A.B.' (row 5) both have period '2022' and KPI 'x'. If they are one "
        "unit, keep one row per period; if they are different units, give them names that differ in letters "
        "or digits")
    ok = _write(tmp_path, "ok.csv", text.replace("A.B.,2022,x,4\n", ""))
    with pytest.warns(DataWarning):
        h = load_history(ok, unit="unit")
    assert_allclose(h.data.loc["AB"].to_numpy(), [[1.0, 2.0], [3.0, np.nan]])


def test_grid_gaps_are_reported_per_unit():
    df = pd.DataFrame({"store": ["A"] * 4 + ["B"] * 3, "quarter": ["2024Q1", "2024Q2", "2024Q4", "2025Q2",
                                                                    "2024Q2", "2024Q3", "2024Q4"],
                       "nps": [1.0, 2, 3, 4, 5, np.nan, 7], "sales": [1.0, 2, 3, 4, 5, np.nan, 7]})
    s = load_history(df, unit="store").intake
    # A: 2024Q3 and 2025Q1 are inside its span; B starts late and ends early (no gap) but has an empty row
    assert s.grid_gaps == 3 and s.gap_units == {"A": ["2024Q3", "2025Q1"], "B": ["2024Q3"]}
    assert "grid gaps: 3 (A: 2024Q3, 2025Q1; B: 2024Q3)" in s.short
    single = load_history(pd.DataFrame({"year": [2001, 2002, 2005], "x": [1.0, 2, 3]})).intake.to_dict()
    assert single["gap_units"] is None and single["gap_periods"] == ["2003", "2004"]
    assert single["n_units"] is None and single["merged_units"] is None


def test_summary_dict_has_the_agreed_shape(tmp_path):
    h = load_history(Path(__file__).parent / "data" / "history_panel_wide.csv", unit="store")
    d = h.intake.to_dict()
    agreed = {"source", "layout", "frequency", "n_units", "n_periods", "first_period", "last_period",
              "grid_gaps", "gap_units", "missing_share", "conversions", "merged_units", "columns_mapped", "notes"}
    assert agreed <= set(d)
    assert (d["layout"], d["frequency"], d["n_units"], d["n_periods"]) == ("wide", "quarterly", 2, 4)
    assert (d["first_period"], d["last_period"], d["grid_gaps"]) == ("2023Q1", "2023Q4", 1)
    assert d["gap_units"] == {"S2": ["2023Q2"]}
    assert d["missing_share"] == {"nps": 0.125, "queue_time": 0.25, "gdp_growth": 0.125}
    assert d["conversions"] == [] and d["merged_units"] == [] and d["columns_mapped"] == {}


# -------------------------------------------------------------- columns
def test_header_names_used_twice_are_refused(tmp_path):
    p = _write(tmp_path, "d.csv", "unit,period,nps,sales,nps \nA,2021,1,2,3\n")
    with pytest.raises(DataError) as exc:
        load_history(p, unit="unit")
    assert str(exc.value) == (f"{p}: the header names two columns 'nps' (columns 3 and 5, C and E); give every "
                              "column its own name")
    xlsx = tmp_path / "d.xlsx"
    pd.DataFrame([["A", 2021, 1, 2]], columns=["unit", "period", "x", "y"]).rename(
        columns={"y": "x"}).to_excel(xlsx, index=False)
    with pytest.raises(DataError) as exc:
        load_history(xlsx, unit="unit")
    assert str(exc.value) == (f"{xlsx}: the header names two columns 'x' (columns 3 and 4, C and D); give every "
                              "column its own name")


def test_column_map_and_column_field_errors_name_the_kpi_and_the_column(tmp_path):
    p = _write(tmp_path, "k.csv", "firm,year,Investment ($m),value\nA,2001,1,2\nA,2002,2,3\n")
    sc = _scorecard({"invest": "Investment (USD)"})
    with pytest.raises(DataError) as exc:
        load_history(p, unit="firm", scorecard=sc)
    assert str(exc.value) == (
        f"{p}, column 'Investment (USD)': KPI column(s) missing from the data: invest (reads 'Investment (USD)', "
        "from column: in the scorecard); the data have: Investment ($m), value")
    with pytest.raises(DataError) as exc:
        load_history(p, unit="firm", scorecard=sc, column_map={"revenue": "value"})
    assert str(exc.value) == (
        "`column_map` (--map) names 'revenue', which is not a KPI id of the scorecard (KPIs: invest, value, "
        "value_change, capital, cap_ratio)")
    with pytest.raises(DataError) as exc:
        load_history(p, unit="firm", scorecard=sc, column_map={"invest": "value"})
    assert str(exc.value) == (f"{p}, column 'value': KPIs 'invest' and 'value' both read 'value'; each KPI needs "
                              "its own column (check `column:` and --map)")
    h = load_history(p, unit="firm", scorecard=sc, column_map={"invest": "Investment ($m)"})  # --map wins
    assert h.columns == ["invest", "value"] and h.intake.columns_mapped == {"invest": "Investment ($m)"}
    assert h.notes == ("no column for KPI(s) value_change, capital, cap_ratio: name it with `column:` in the "
                       "scorecard or --map value_change=COLUMN",)


def test_column_map_pairs_must_be_text_and_controls_must_not_clash(tmp_path):
    p = _write(tmp_path, "k.csv", "year,Sales,x\n2001,1,2\n2002,2,3\n")
    with pytest.raises(DataError) as exc:
        load_history(p, column_map={"sales": 3})
    assert str(exc.value) == "`column_map` pairs must be KPI id -> column name (text), got 'sales' -> 3"
    with pytest.raises(DataError) as exc:
        load_history(p, column_map={"x": "Sales"}, controls=["x"])
    assert str(exc.value) == f"{p}, column 'x': 'x' is both a control and a KPI id read from another column"


def test_kpi_column_field_round_trips_and_is_checked(tmp_path):
    from bsc_toolkit.errors import ScorecardError
    from bsc_toolkit.scorecard import load_scorecard

    sc = _scorecard({"invest": "Investment ($m)"})
    (tmp_path / "s.yaml").write_text(sc.to_yaml())
    (tmp_path / "s.json").write_text(sc.to_json())
    for name in ("s.yaml", "s.json"):
        assert load_scorecard(tmp_path / name).kpi("invest").column == "Investment ($m)"
    data = sc.to_dict()
    data["objectives"][0]["kpis"][0]["column"] = "two\nlines"
    (tmp_path / "bad.json").write_text(json.dumps(data))
    with pytest.raises(ScorecardError, match=r"objectives\[0\]\.kpis\[0\]\.column: `column` must be one line"):
        load_scorecard(tmp_path / "bad.json")

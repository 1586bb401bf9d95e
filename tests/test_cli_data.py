"""bsc data, and the data options of bsc validate / bsc lever (--decimal, --map, --sql) as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_cli_errors import _run  # main(argv) in-process: (exit code, stdout, stderr)

FAST = ["--no-drivers", "--no-chains", "--no-discovery"]


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Path:
    """A simulated retail history written twice: clean, and as a messy spreadsheet export."""
    from bsc_toolkit.history import simulate_history
    from bsc_toolkit.scorecard import load_example

    d = tmp_path_factory.mktemp("cli_data")
    sim = simulate_history(load_example("retail"), n_units=6, n_periods=16, seed=4)
    clean = sim.history.to_frame().round(2)  # as the export shows them
    clean.loc[3, "queue_time"] = np.nan  # written as n/a in the messy file
    clean.to_csv(d / "clean.csv", index=False)
    messy = clean.copy()
    messy["unit"] = [u if i % 3 else u.lower() + " " for i, u in enumerate(clean["unit"])]
    messy["basket_value"] = [f"${x:,.2f}" for x in clean["basket_value"]]
    messy["nps"] = [f"({abs(x):.2f})" if x < 0 else f"{x:.2f}" for x in clean["nps"]]
    messy["new_members"] = [f"{x:,.2f}" for x in clean["new_members"]]
    messy = messy.rename(columns={"basket_value": "Basket (EUR)", "new_members": "New members, total"})
    messy["queue_time"] = messy["queue_time"].astype(object)
    messy.loc[3, "queue_time"] = "n/a"
    messy.to_csv(d / "messy.csv", index=False)
    # the same export with decimal commas and semicolons
    de = messy.copy()
    swap = str.maketrans({",": ".", ".": ","})
    for c in de.columns[2:]:
        if not pd.api.types.is_float_dtype(de[c]):  # numbers written as text; floats get decimal=","
            de[c] = [s.translate(swap) for s in messy[c].astype(str)]
    de.to_csv(d / "messy_de.csv", sep=";", index=False, decimal=",")
    return d


MAP = ["--map", "basket_value=Basket (EUR),new_members=New members, total"]


def test_bsc_data_prints_what_was_read_and_writes_the_json(ws, capsys, monkeypatch):
    monkeypatch.chdir(ws)
    code, out, err = _run(["data", "messy.csv", "--unit", "unit", "--json", "data.json"], capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == ("Data read from messy.csv: panel of 6 units x 16 quarterly periods (2022Q1 to 2025Q4), "
                        "wide form, 96 rows")
    assert "  converted: Basket (EUR): currency symbol '$' (96 cells)" in lines
    assert "  merged units: 'U001' <- 'u001 '" in lines
    assert any(line.startswith("  missing: queue_time 1%") for line in lines)
    data = json.loads((ws / "data.json").read_text())
    assert data["n_units"] == 6 and data["n_periods"] == 16 and data["layout"] == "wide"
    assert {m["into"] for m in data["merged_units"]} == {f"U00{i}" for i in range(1, 7)}
    assert [c["column"] for c in data["conversions"]] == ["Basket (EUR)", "queue_time"]
    assert not [p for p in ws.iterdir() if p.name.endswith(".tmp")]


def test_bsc_data_json_to_stdout_is_only_json(ws, capsys, monkeypatch):
    monkeypatch.chdir(ws)
    code, out, _ = _run(["data", "clean.csv", "--unit", "unit", "--period", "period", "--json", "-"], capsys)
    assert code == 0 and json.loads(out)["grid_gaps"] == 0


def test_bsc_data_with_a_typed_query_and_decimal_commas(ws, capsys, monkeypatch):
    monkeypatch.chdir(ws)
    code, out, err = _run(["data", "messy_de.csv", "--unit", "unit", "--decimal", ",", "--sql",
                           "select * from data where period >= '2025Q1' and \"Basket (EUR)\" > 0"], capsys)
    assert code == 0, err
    assert out.splitlines()[0].startswith("Data read from query 'select * from data where period >= '2025Q1'")
    assert "x 4 quarterly periods (2025Q1 to 2025Q4)" in out.splitlines()[0]


def test_validate_with_map_prints_the_data_summary_and_matches_the_clean_file(ws, capsys, monkeypatch):
    monkeypatch.chdir(ws)
    code, clean_out, _ = _run(["validate", "retail", "--data", "clean.csv", "--unit", "unit", "--period", "period",
                               *FAST, "--json", "clean.json"], capsys)
    assert code == 0
    for data, extra in (("messy.csv", []), ("messy_de.csv", ["--decimal", ","])):
        code, out, err = _run(["validate", "retail", "--data", data, "--unit", "unit", *MAP, *extra, *FAST,
                               "--json", "messy.json"], capsys)
        assert code == 0, err
        head = out.split("\n\n")[0].splitlines()
        assert head[0].startswith(f"Data read from {data}: panel of 6 units x 16 quarterly periods")
        assert any(line.startswith("  merged units: 'U001' <- 'u001 '") for line in head)
        assert "  columns: basket_value <- 'Basket (EUR)', new_members <- 'New members, total'" in head
        clean_links = json.loads((ws / "clean.json").read_text())["links"]
        messy_links = json.loads((ws / "messy.json").read_text())["links"]
        assert [(x["from"], x["to"], x["verdict"], x["n_obs"]) for x in messy_links] == [
            (x["from"], x["to"], x["verdict"], x["n_obs"]) for x in clean_links]


def test_lever_reads_the_data_the_same_way(ws, capsys, monkeypatch):
    monkeypatch.chdir(ws)
    code, _, err = _run(["validate", "retail", "--data", "messy.csv", "--unit", "unit", *MAP, *FAST, "--quiet",
                         "--json", "ev_messy.json"], capsys)
    assert code == 0, err
    code, out, err = _run(["lever", "retail", "--data", "messy.csv", "--unit", "unit", *MAP, "--evidence",
                           "ev_messy.json", "--kpi", "training_hours", "--change", "2", "--draws", "50"], capsys)
    assert code == 0, err
    assert "training_hours" in out


def test_map_and_decimal_usage_errors_exit_2_with_one_line(ws, capsys, monkeypatch):
    monkeypatch.chdir(ws)
    base = ["validate", "retail", "--data", "messy.csv", "--unit", "unit"]
    code, _, err = _run([*base, "--map", "basket_value"], capsys)
    assert code == 2 and err == (
        "bsc validate: error: argument --map: expected KPI=COLUMN pairs separated by commas (e.g. "
        "revenue='Sales (EUR)',nps=NPS), got 'basket_value' (see 'bsc validate --help')\n")
    code, _, err = _run([*base, "--map", "nps=a,nps=b"], capsys)
    assert code == 2 and err == ("bsc validate: error: argument --map: KPI 'nps' is mapped twice in 'nps=a,nps=b' "
                                 "(see 'bsc validate --help')\n")
    code, _, err = _run([*base, "--map", "nps=a", "--map", "nps=b"], capsys)
    assert code == 2 and err == "bsc validate: error: --map gives KPI 'nps' twice (see 'bsc validate --help')\n"
    code, _, err = _run([*base, "--decimal", ";"], capsys)
    assert code == 2 and err.startswith("bsc validate: error: argument --decimal: invalid choice: ';'")


def test_data_errors_exit_1_with_the_message(ws, capsys, monkeypatch):
    monkeypatch.chdir(ws)
    code, _, err = _run(["validate", "retail", "--data", "messy.csv", "--unit", "unit", "--map", "revenue=x",
                         *FAST], capsys)
    assert code == 1 and err == (
        "bsc validate: error: `column_map` (--map) names 'revenue', which is not a KPI id of the scorecard "
        "(KPIs: lfl_sales_growth, online_revenue_share, gross_margin, opex_ratio, customer_retention, nps, "
        "basket_value, new_members, on_shelf_availability, queue_time, inventory_days, waste_rate, ... (17 in "
        "all))\n")
    bad = pd.read_csv(ws / "clean.csv", dtype={"nps": object})
    bad.loc[[2, 5, 7], "nps"] = ["abc", "1,5", "inf"]
    bad.to_csv(ws / "bad.csv", index=False)
    code, _, err = _run(["data", "bad.csv", "--unit", "unit"], capsys)
    assert code == 1 and err == (
        "bsc data: error: bad.csv: expected numbers in 3 cells (empty cells, NA, n/a and - count as missing):\n"
        "  row 4, column 'nps': 'abc'\n"
        "  row 7, column 'nps': '1,5' (a decimal comma? read the file with --decimal , (decimal=','))\n"
        "  row 9, column 'nps': 'inf' (not a finite number)\n")
    code, _, err = _run(["data", "messy.csv", "--unit", "unit", "--sql", "COPY data TO 'x.csv'"], capsys)
    assert code == 1 and err == (
        "bsc data: error: query 'COPY data TO 'x.csv'' on messy.csv: only a SELECT query is run, not COPY: the "
        "query reads the data (table 'data') and cannot write files, attach databases, install or load "
        "extensions, or change settings\n")
    assert not (ws / "x.csv").exists()


def test_help_names_the_sql_table_and_the_unit_name_rule(capsys):
    code, out, _ = _run(["data", "--help"], capsys)
    assert code == 0
    flat = " ".join(out.split())
    assert "the query sees the file as the table `data`" in flat
    assert "are MERGED into the most frequent spelling" in flat and "the file is REFUSED with the pairs listed" in flat
    code, out, _ = _run(["validate", "--help"], capsys)
    flat = " ".join(out.split())
    assert "which the query sees as table `data`" in flat and "--map KPI=COL,..." in flat


def test_cli_data_runs_as_a_program(ws):
    """The console entry point, in a fresh interpreter: exit code and one stderr line for a missing file."""
    r = subprocess.run([sys.executable, "-m", "bsc_toolkit.cli", "data", str(ws / "nope.csv")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and r.stderr == f"bsc data: error: {ws / 'nope.csv'}: file not found\n"

"""OKRs derived from a scorecard (bsc_toolkit.generate.okr)."""

from __future__ import annotations

import pytest
import yaml

from bsc_toolkit.errors import GenerationError
from bsc_toolkit.generate import derive_okrs, generate_scorecard
from bsc_toolkit.generate.okr import quarter_labels, step_targets
from bsc_toolkit.scorecard import load_scorecard


def test_step_targets_direction_aware_and_rounded():
    assert step_targets(1.5, 4.0, "up", 4) == [2.2, 2.8, 3.4, 4.0]  # 2.125 rounded up, not down
    assert step_targets(24.0, 19.0, "down", 4) == [22.7, 21.5, 20.2, 19.0]  # 22.75 rounded down
    assert step_targets(140, 200, "up", 4, "count") == [155, 170, 185, 200]
    assert step_targets(6, 0, "down", 4, "count") == [4, 3, 1, 0]  # whole numbers for counts
    assert step_targets(99.5, 99.95, "up", 3) == [99.65, 99.8, 99.95]
    assert step_targets(10, 10, "up", 2) == [10, 10]
    assert step_targets(5, 3, "up", 2) == [3, 3]  # target behind baseline: hold, never plan a decline
    assert step_targets(None, 7, "up", 2) == [7, 7]
    assert step_targets(1, None, "up", 2) == [None, None]


def test_quarter_labels():
    assert quarter_labels("2026Q3", 4) == ("2026Q3", "2026Q4", "2027Q1", "2027Q2")
    with pytest.raises(GenerationError, match=r"`start` must be a quarter like '2026Q1', got '2026-03'"):
        quarter_labels("2026-03", 4)
    with pytest.raises(GenerationError, match="quarters"):
        quarter_labels("2026Q1", 0)


def test_derive_okrs_from_retail(retail):
    okrs = derive_okrs(retail, quarters=4, start="2026Q1")
    assert len(okrs.objectives) == len(retail.objectives)
    assert all(2 <= len(o.key_results) <= 4 for o in okrs.objectives)
    f1 = okrs.objectives[0]
    kr = f1.key_results[0]
    assert kr.kpi == "lfl_sales_growth" and kr.targets == {"2026Q1": 2.2, "2026Q2": 2.8, "2026Q3": 3.4, "2026Q4": 4.0}
    assert kr.text == "Raise Like-for-like sales growth from 1.5% to 4% by 2026Q4"
    opex = next(k for k in okrs.objectives[1].key_results if k.kpi == "opex_ratio")
    assert opex.text.startswith("Cut ") and list(opex.targets.values()) == [20.6, 20.2, 19.8, 19.5]
    # one-KPI objectives get a second key result: an initiative or a driver KPI
    p2 = next(o for o in okrs.objectives if o.id == "P2")
    assert [k.kind for k in p2.key_results] == ["kpi", "initiative"]
    ini = p2.key_results[1]  # self-checkout, 2026-03-01 to 2026-11-30: done by Q4, partly by Q1
    assert ini.targets["2026Q4"] == 100 and 0 < ini.targets["2026Q1"] < 25
    c2 = next(o for o in okrs.objectives if o.id == "C2")
    assert [k.kind for k in c2.key_results] == ["kpi", "driver"]


def test_okr_outputs(tmp_path, retail):
    okrs = derive_okrs(retail, quarters=2, start="2026Q4")
    data = yaml.safe_load(okrs.to_yaml())
    assert data["quarters"] == ["2026Q4", "2027Q1"] and data["objectives"][0]["id"] == "F1"
    md = okrs.to_markdown()
    assert md.startswith("# OKRs 2026Q4–2027Q1: Northwind Retail") and "| 2026Q4 | 2027Q1 |" in md
    df = okrs.to_frame()
    assert list(df.columns[-2:]) == ["2026Q4", "2027Q1"] and len(df) == sum(len(o.key_results) for o in okrs.objectives)
    for name in ("okrs.yaml", "okrs.md", "okrs.json"):
        p = okrs.save(tmp_path / name)
        assert p.read_text().strip()
    assert "OKRs for 'Northwind Retail'" in okrs.summary


def test_okrs_escape_hostile_text(data_dir):
    sc = load_scorecard(data_dir / "hostile_scorecard.yaml")
    okrs = derive_okrs(sc)
    html = okrs._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>" not in okrs.to_markdown()


def test_okrs_for_a_generated_scorecard():
    sc = generate_scorecard("hospital", provider="offline")
    okrs = derive_okrs(sc, quarters=8, start="2026Q1")
    assert len(okrs.quarters) == 8
    for o in okrs.objectives:
        assert 2 <= len(o.key_results) <= 4
        for kr in o.key_results:
            if kr.kind == "kpi" and kr.baseline is not None and kr.target is not None:
                vals = list(kr.targets.values())
                assert vals[-1] == kr.target
                assert vals == sorted(vals, reverse=kr.target < kr.baseline)


# ------------------------------------------------------------------ OKRs that follow the evidence and the data
def _history(periods, values: dict):
    import pandas as pd

    from bsc_toolkit.history import history_from_frame

    return history_from_frame(pd.DataFrame({"period": periods, **values}), period="period")


def _evidence(verdict_c2: str) -> dict:
    # C2 (Grow the basket) has one KPI; its driver candidate is the link P1 -> C2
    return {"format": "bsc-evidence/1", "links": [{"from": "P1", "to": "C2", "verdict": verdict_c2},
                      {"from": "waste_rate", "to": "C2", "verdict": "not_supported"}]}


def test_okr_drivers_only_from_supported_links(retail):
    c2 = lambda okrs: next(o for o in okrs.objectives if o.id == "C2")  # noqa: E731
    sup = c2(derive_okrs(retail, start="2026Q1", evidence=_evidence("supported")))
    assert [k.kind for k in sup.key_results] == ["kpi", "driver"]
    assert sup.key_results[1].text.startswith("Driver (supported by the data): ")
    # the same link contradicted by the data is no driver: the objective falls back to a review routine
    con = c2(derive_okrs(retail, start="2026Q1", evidence=_evidence("contradicted")))
    assert [k.kind for k in con.key_results] == ["kpi", "routine"]
    # without evidence a driver is said to be untested
    none = c2(derive_okrs(retail, start="2026Q1"))
    assert none.key_results[1].text.startswith("Driver (untested link): ")


def test_okrs_start_from_the_latest_actual_with_annual_cadence(retail):
    # lfl_sales_growth: baseline 1.5, target 4.0 (direction up); the data end at 3.1 in 2024
    h = _history([2019, 2020, 2021, 2022, 2023, 2024], {"lfl_sales_growth": [1.0, 1.2, 2.0, 2.2, 2.9, 3.1]})
    okrs = derive_okrs(retail, history=h)
    assert okrs.cadence == "annual" and okrs.quarters == ("2025", "2026", "2027", "2028")
    kr = next(k for k in okrs.objectives[0].key_results if k.kpi == "lfl_sales_growth")
    assert kr.baseline == 3.1 and kr.text == ("Raise Like-for-like sales growth from 3.1% (latest actual, 2024) "
                                              "to 4% by 2028")
    vals = list(kr.targets.values())
    assert vals[-1] == 4.0 and vals == sorted(vals) and vals[0] > 3.1
    assert "latest actual" in okrs.basis
    # an explicit start wins; a quarter label does not fit annual OKRs
    assert derive_okrs(retail, history=h, start="2030").quarters[0] == "2030"
    with pytest.raises(GenerationError, match=r"`start` must be a year like '2026' for annual OKRs, got '2030Q1'"):
        derive_okrs(retail, history=h, start="2030Q1")


def test_okrs_after_quarterly_data_and_targets_already_met(retail):
    h = _history(["2025Q2", "2025Q3", "2025Q4"], {"lfl_sales_growth": [4.0, 4.4, 4.6]})
    okrs = derive_okrs(retail, history=h)
    assert okrs.cadence == "quarterly" and okrs.quarters[0] == "2026Q1"
    kr = next(k for k in okrs.objectives[0].key_results if k.kpi == "lfl_sales_growth")
    assert kr.text == "Keep Like-for-like sales growth at or above 4% (now 4.6%, 2025Q4)"
    assert set(kr.targets.values()) == {4.0}  # no planned decline, no step below the target


def test_report_cli_start_option(tmp_path, capsys):
    from bsc_toolkit.cli import main

    code = main(["report", "retail", "--kind", "client", "--format", "html", "--renderer", "pandoc",
                 "--start", "2027Q3", "-o", str(tmp_path), "--quiet"])
    assert code == 0
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Quarterly OKRs, 2027Q3 to 2028Q2" in html
    code = main(["report", "retail", "--kind", "client", "--format", "html", "--start", "next year",
                 "-o", str(tmp_path / "x"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and "`start` must be a quarter like '2026Q1', got 'next year'" in err
    assert len(err.strip().splitlines()) == 1

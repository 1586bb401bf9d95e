"""Lint findings on crafted scorecards: each rule fires when it should and only then."""

from __future__ import annotations

import pytest
from scorecard_builders import build

from bsc_toolkit.scorecard import Scorecard, lint, list_examples, load_example


def lint_data(data) -> set[str]:
    return lint(Scorecard.model_validate(data)).codes()


def test_crafted_baseline_is_clean():
    f = lint(Scorecard.model_validate(build()))  # 12 objectives x 2 KPIs = 24 KPIs
    assert f.ok_strict, f.summary
    assert len(f) == 0


@pytest.mark.parametrize("name", [n for n in list_examples()])
def test_shipped_examples_pass_lint(name):
    f = lint(load_example(name))
    assert f.ok_strict, f.summary


def test_too_few_and_too_many_kpis():
    few = lint(Scorecard.model_validate(build(2, 1)))  # 8 KPIs
    assert [x.message for x in few.by_code("kpi-count")] == ["8 KPIs in total, fewer than 15"]
    many = lint(Scorecard.model_validate(build(4, 2)))  # 32 KPIs
    (finding,) = many.by_code("kpi-count")
    assert "32 KPIs" in finding.message and "cut to 15–25" in finding.advice


def test_objectives_per_perspective_and_empty_perspective():
    data = build({"learning_growth": 5, "internal_process": 3, "customer": 3, "financial": 1}, 1)
    f = lint(Scorecard.model_validate(data))
    msgs = {x.where: x.message for x in f.by_code("objectives-per-perspective")}
    assert "5 objective(s) in Learning & Growth" in msgs["learning_growth"]
    assert "1 objective(s) in Financial" in msgs["financial"]
    data = build({"learning_growth": 3, "internal_process": 3, "customer": 3, "financial": 0}, 2)
    f = lint(Scorecard.model_validate(data))
    assert f.by_code("perspective-empty")[0].where == "financial"


def test_objective_without_kpi_is_an_error_and_too_many_kpis_warn():
    data = build()
    data["objectives"][0]["kpis"] = []
    f = lint(Scorecard.model_validate(data))
    assert not f.ok and f.by_code("objective-without-kpi")[0].where == "L1"
    data = build(3, 3)
    f = lint(Scorecard.model_validate(data))
    assert len(f.by_code("kpis-per-objective")) == 12


def test_missing_direction_is_error_missing_target_warning():
    data = build()
    del data["objectives"][2]["kpis"][0]["direction"]
    del data["objectives"][3]["kpis"][1]["target"]
    f = lint(Scorecard.model_validate(data))
    assert [x.where for x in f.by_code("missing-direction")] == ["L3.l3_k1"]
    assert f.by_code("missing-direction")[0].severity == "error"
    assert [x.where for x in f.by_code("missing-target")] == ["P1.p1_k2"]
    assert f.by_code("missing-target")[0].severity == "warning"


def test_target_worse_than_baseline_and_threshold_order():
    data = build()
    data["objectives"][0]["kpis"][0].update(baseline=30.0, target=20.0)
    data["objectives"][1]["kpis"][0].update(direction="down", thresholds={"red": 5, "green": 9})
    codes = lint_data(data)
    assert {"target-direction", "threshold-order"} <= codes


def test_downward_and_skipping_links():
    data = build()
    data["links"].append({"from": "F1", "to": "C1"})  # downward, also makes a cycle C1->F1->C1
    data["links"].append({"from": "L2", "to": "C2"})  # skips Internal Process
    f = lint(Scorecard.model_validate(data))
    (down,) = f.by_code("downward-link")
    assert "from Financial to Customer" in down.message
    (skip,) = f.by_code("skip-link")
    assert "skips Internal Process" in skip.message and skip.severity == "info"
    (cyc,) = f.by_code("cycle")
    assert cyc.severity == "error" and "C1 → F1 → C1" in cyc.message


def test_dead_end_objective_and_unlinked_financial():
    data = build()
    data["links"] = [lk for lk in data["links"] if lk["from"] != "P2"]
    data["links"] = [lk for lk in data["links"] if lk["to"] != "F3"]
    f = lint(Scorecard.model_validate(data))
    assert [x.where for x in f.by_code("dead-end-objective")] == ["C3", "P2"] or \
        sorted(x.where for x in f.by_code("dead-end-objective")) == ["C3", "P2"]
    assert [x.where for x in f.by_code("unlinked-financial")] == ["F3"]


def test_no_leading_driver_for_lagging_financial_kpi():
    data = build(indicator="lagging")
    f = lint(Scorecard.model_validate(data))
    assert sorted(x.where for x in f.by_code("no-leading-driver")) == ["F1", "F2", "F3"]
    # one leading KPI at the bottom of F1's chain is enough for F1
    data["objectives"][0]["kpis"][0]["indicator"] = "leading"  # L1 -> P1 -> C1 -> F1
    f = lint(Scorecard.model_validate(data))
    assert sorted(x.where for x in f.by_code("no-leading-driver")) == ["F2", "F3"]


def test_unbalanced_perspectives():
    data = build({"learning_growth": 2, "internal_process": 4, "customer": 2, "financial": 2}, 1)
    for o in data["objectives"]:
        if o["id"].startswith("P"):
            o["kpis"].append(dict(o["kpis"][0], id=o["kpis"][0]["id"] + "b"))
    f = lint(Scorecard.model_validate(data))
    (u,) = f.by_code("unbalanced")
    assert "Internal Process holds 8 of 14 KPIs (57%)" in u.message


def test_extreme_weights():
    data = build()
    data["objectives"][0]["kpis"][0]["weight"] = 1
    data["objectives"][0]["kpis"][1]["weight"] = 50
    data["perspective_weights"] = {"financial": 10, "customer": 1, "internal_process": 1, "learning_growth": 1}
    f = lint(Scorecard.model_validate(data))
    msgs = [x.message for x in f.by_code("extreme-weights")]
    assert any("differ by a factor of 50" in m for m in msgs)
    assert any("'financial' carries 77%" in m for m in msgs)


def test_every_finding_has_advice():
    data = build(4, 3, indicator=None)
    data["links"].append({"from": "F1", "to": "L1"})
    f = lint(Scorecard.model_validate(data))
    assert len(f) > 5
    assert all(x.advice and x.message for x in f)

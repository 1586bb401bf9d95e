"""Status and scores against hand-computed values."""

from __future__ import annotations

import pytest
from numpy.testing import assert_allclose
from scorecard_builders import build

from bsc_toolkit.scorecard import KPI, Scorecard, Thresholds, kpi_status, score, status_for_score


def test_up_kpi_baseline_target_convention():
    k = KPI(id="nps", name="NPS", direction="up", baseline=20, target=40)
    # baseline -> 3.33, target -> 6.67, linear: 30 is halfway -> 5.0
    assert_allclose(kpi_status(k, 20).score, 10 / 3)
    assert_allclose(kpi_status(k, 40).score, 20 / 3)
    assert_allclose(kpi_status(k, 30).score, 5.0)
    assert_allclose(kpi_status(k, 60).score, 10.0)  # 10/3 + 40/20*10/3 = 10
    assert kpi_status(k, 100).score == 10.0  # clipped
    assert kpi_status(k, -100).score == 0.0
    assert [kpi_status(k, a).status for a in (15, 25, 40, 45)] == ["red", "amber", "green", "green"]


def test_down_kpi_is_mirrored():
    k = KPI(id="wait", name="Wait", direction="down", baseline=10, target=4)
    assert_allclose(kpi_status(k, 7).score, 5.0)
    assert_allclose(kpi_status(k, 4).score, 20 / 3)
    assert_allclose(kpi_status(k, 1).score, 20 / 3 + 3 / 6 * 10 / 3)  # 8.33
    assert kpi_status(k, 11).status == "red"
    assert kpi_status(k, 3.9).status == "green"


def test_thresholds_override_baseline_and_target():
    k = KPI(id="up", name="Uptime", direction="up", baseline=99.0, target=99.95,
            thresholds=Thresholds(red=99.5, green=99.9))
    s = kpi_status(k, 99.7)
    assert s.basis == "thresholds" and s.status == "amber"
    assert_allclose(s.score, 10 / 3 + 0.2 / 0.4 * 10 / 3)
    assert kpi_status(k, 99.4).status == "red"


def test_no_actual_and_target_only():
    k = KPI(id="x", name="X", direction="up", target=5)
    assert kpi_status(k).status == "no_data"
    s = kpi_status(k, 6)
    assert s.status == "green" and s.score is None and s.basis == "target only"
    assert kpi_status(k, 4).status == "red"
    assert status_for_score(None) == "no_data"


def test_weighted_rollups_hand_computed():
    data = build(2, 2)
    sc = Scorecard.model_validate(data)
    # KPIs baseline 10 -> target 20; score(a) = 10/3 + (a-10)/10*10/3
    def s(a):
        return 10 / 3 + (a - 10) / 10 * 10 / 3

    actuals = {k.id: 15.0 for k in sc.kpis}  # everything 5.0
    actuals["f1_k1"] = 20.0  # 6.667
    actuals["f1_k2"] = 10.0  # 3.333
    sc = sc.with_actuals(actuals)
    # weights on F1's KPIs: 3 and 1 -> (3*6.667 + 1*3.333)/4 = 5.833
    objs = [o.model_dump(by_alias=True, exclude_none=True) for o in sc.objectives]
    for o in objs:
        if o["id"] == "F1":
            o["kpis"][0]["weight"] = 3
            o["kpis"][1]["weight"] = 1
            o["weight"] = 2  # F1 counts twice in Financial
    sc = sc.replace(objectives=objs, perspective_weights={"financial": 2, "customer": 1,
                                                          "internal_process": 1, "learning_growth": 1})
    r = score(sc)
    f1 = (3 * s(20) + 1 * s(10)) / 4
    assert_allclose(r.objective("F1").score, f1)
    assert_allclose(r.objective("F2").score, 5.0)
    fin = (2 * f1 + 1 * 5.0) / 3
    assert_allclose(r.perspective("financial").score, fin)
    assert_allclose(r.overall.score, (2 * fin + 3 * 5.0) / 5)
    assert r.overall.status == "amber"
    assert r.kpi("f1_k1").status == "green" and r.kpi("f1_k2").status == "amber"


def test_weights_need_not_sum_to_one_and_extremes_are_reported():
    sc = Scorecard.model_validate(build(2, 2))
    objs = [o.model_dump(by_alias=True, exclude_none=True) for o in sc.objectives]
    objs[0]["kpis"][0]["weight"] = 100
    objs[0]["kpis"][1]["weight"] = 1
    sc = sc.replace(objectives=objs).with_actuals({"l1_k1": 20, "l1_k2": 10})
    r = score(sc)
    assert_allclose(r.objective("L1").score, (100 * 20 / 3 + 10 / 3) / 101)
    assert "extreme-weights" in r.findings.codes()


def test_missing_scores_are_left_out_and_counted():
    sc = Scorecard.model_validate(build(2, 2)).with_actuals({"c1_k1": 20})
    r = score(sc)
    c1 = r.objective("C1")
    assert c1.n_scored == 1 and c1.n_total == 2
    assert_allclose(c1.score, 20 / 3)
    assert r.objective("C2").score is None and r.objective("C2").status == "no_data"
    assert r.perspective("customer").n_scored == 1


def test_score_report_frame_and_html(retail):
    r = score(retail)
    df = r.to_frame()
    assert set(df["level"]) == {"kpi", "objective", "perspective", "scorecard"}
    assert len(df[df.level == "kpi"]) == len(retail.kpis)
    assert "<table>" in r._repr_html_()
    assert "Overall" in r.summary
    with pytest.raises(KeyError):
        score(retail, {"not_a_kpi": 1})

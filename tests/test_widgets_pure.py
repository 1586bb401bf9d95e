"""Widgets: the pure functions underneath, and the ipywidgets objects driven without a browser."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bsc_toolkit.errors import DataError, EstimationError, MissingDependencyError
from bsc_toolkit.widgets import (
    dashboard_report,
    estimate_power,
    link_explorer,
    link_view,
    power_simulator,
    status_dashboard,
    what_if,
    what_if_sliders,
)


# ------------------------------------------------------------------ what-if
def test_what_if_propagates_supported_long_run_effects(sample_evidence_path):
    """Hand arithmetic on the long-run effects in tests/data/evidence_retail_sample.json."""
    r = what_if(sample_evidence_path, {"training_hours": 1.0})
    osa, queue = 0.4951858508367566, -0.6176916901183808
    retention = osa * 0.4262115436959253
    basket = osa * 0.734987632838584
    assert_allclose(r.change("on_shelf_availability"), osa)
    assert_allclose(r.change("queue_time"), queue)
    assert_allclose(r.change("customer_retention"), retention)
    assert_allclose(r.change("nps"), queue * -0.40526719662194965)
    assert_allclose(r.change("gross_margin"), retention * 0.7345845805097556)
    # lfl_sales_growth: only via C2 -> F1 (C1 -> F1 has no estimate, P2 -> C3 is contradicted)
    assert_allclose(r.change("lfl_sales_growth"), basket * 0.7982579342041851)
    assert r.change("new_members") == 0.0            # contradicted links carry nothing
    assert r.change("inventory_days") == 0.0         # insufficient data carries nothing
    assert "not a forecast" in r.summary
    assert list(r.to_frame().columns[:4]) == ["kpi", "direct", "induced", "change"]


def test_what_if_levels_and_unknown_kpi(sample_evidence_path):
    r = what_if(sample_evidence_path, {"staff_turnover": -2.0}, levels={"queue_time": 5.0})
    row = r.to_frame().set_index("kpi").loc["queue_time"]
    assert_allclose(row["level_after"], 5.0 - 2.0 * 0.5479820666192318)
    with pytest.raises(DataError, match="revenue_typo"):
        what_if(sample_evidence_path, {"revenue_typo": 1.0})


def test_what_if_refuses_a_loop(sample_evidence_path):
    import json

    d = json.loads(sample_evidence_path.read_text())
    back = dict(d["links"][0], **{"from": "P1", "to": "L1", "from_kpi": "on_shelf_availability",
                                  "to_kpi": "training_hours"})
    d["links"].append(back)
    with pytest.raises(EstimationError, match="loop through .*training_hours"):
        what_if(d, {"training_hours": 1.0})


# --------------------------------------------------------------- dashboard
def test_dashboard_report_recomputes_status():
    # retail: nps baseline 18 (red level), target 35 (green level)
    assert dashboard_report("retail", {"nps": 10}).kpi("nps").status == "red"
    assert dashboard_report("retail", {"nps": 40}).kpi("nps").status == "green"
    assert_allclose(dashboard_report("retail", {"nps": 26.5}).kpi("nps").score, 5.0)
    with pytest.raises(DataError, match="not_a_kpi"):
        dashboard_report("retail", {"not_a_kpi": 1})


def test_status_dashboard_widget_updates_on_input():
    d = status_dashboard("retail")
    d.inputs["nps"].value = 10.0
    red = d.result.value
    d.inputs["nps"].value = 60.0
    assert d.result.value != red
    assert "Net Promoter Score" in d.result.value


# -------------------------------------------------------------------- power
def test_estimate_power_large_effect_and_no_effect():
    strong = estimate_power(effect=1.0, n_units=10, n_periods=12, n_sims=8, seed=0)
    assert strong.power == 1.0 and strong.counts["supported"] == 8
    none = estimate_power(effect=0.0, n_units=10, n_periods=12, n_sims=8, seed=0)
    assert none.power <= 0.25
    assert "false-positive rate" in none.summary
    assert none.ci_low <= none.power <= none.ci_high


def test_estimate_power_is_reproducible_and_checks_arguments():
    a = estimate_power(0.3, 5, 8, n_sims=5, seed=4)
    b = estimate_power(0.3, 5, 8, n_sims=5, seed=4)
    assert a.counts == b.counts
    with pytest.raises(DataError, match="`n_periods` must be a whole number >= 3, got 2"):
        estimate_power(0.3, 5, 2)
    with pytest.raises(DataError, match="`alpha`"):
        estimate_power(0.3, 5, 8, alpha=1.5)


def test_wilson_interval_matches_statsmodels():
    """The Monte Carlo interval is the Wilson score interval (independent implementation:
    statsmodels.stats.proportion.proportion_confint(method="wilson"))."""
    from statsmodels.stats.proportion import proportion_confint

    from bsc_toolkit.widgets.power import _wilson

    for k, n in [(8, 10), (0, 20), (37, 40)]:
        assert_allclose(_wilson(k, n), proportion_confint(k, n, alpha=0.05, method="wilson"), rtol=1e-6)


def test_power_simulator_slider_changes_result():
    w = power_simulator(effect=0.0, n_units=5, n_periods=6, n_sims=3)
    before = w.children[1].value
    w.children[0].children[0].value = 1.0  # effect slider
    assert w.children[1].value != before
    assert "+1.00 SD" in w.children[1].value


# -------------------------------------------------------------------- links
@pytest.fixture(scope="module")
def small_run():
    from bsc_toolkit.evidence import validate
    from bsc_toolkit.history import simulate_history
    from bsc_toolkit.scorecard import load_example

    sc = load_example("retail")
    sim = simulate_history(sc, n_units=8, n_periods=12, seed=3)
    return sim, validate(sc, sim.history, transform="none")


def test_link_view_profile_peaks_at_planted_lag(small_run):
    sim, ev = small_run
    v = link_view(ev, sim.history, "P1 -> C1")  # planted at lag 1
    assert v.lag == 1 and v.verdict == ev.link("P1", "C1").verdict
    prof = v.lag_profile.set_index("lag")
    assert list(prof.index) == [0, 1, 2]
    assert prof["estimate"].abs().idxmax() == 1
    # the lag-1 single-lag model is the evidence's own model: same estimate
    assert_allclose(prof.loc[1, "estimate"], ev.link("P1", "C1").terms[0].estimate, rtol=1e-8)
    # within-unit demeaned scatter: per-unit means are zero
    assert_allclose(v.scatter.groupby("unit")["x"].mean(), 0, atol=1e-9)
    assert len(v.scatter) == 8 * (12 - 1)


def test_link_view_bad_link_names_the_links(small_run):
    sim, ev = small_run
    with pytest.raises(DataError, match="no link 'X9 -> F1'.*L1 -> P1"):
        link_view(ev, sim.history, "X9 -> F1")


def test_link_explorer_dropdown_changes_output(small_run):
    sim, ev = small_run
    w = link_explorer(ev, sim.history)
    first = w.result.value
    assert "bsc-verdict" in first and "data:image/png;base64," in first
    w.dropdown.value = "C1 -> F2"
    assert w.result.value != first
    assert "C1 &rarr; F2" in w.result.value


def test_what_if_sliders_move_outcomes(small_run):
    sim, ev = small_run
    w = what_if_sliders(ev, sim.history)
    assert "training_hours" in w.sliders
    before = w.result.value
    w.sliders["training_hours"].value = w.sliders["training_hours"].max
    assert w.result.value != before and "on_shelf_availability" in w.result.value


def test_missing_ipywidgets_names_the_extra(monkeypatch, sample_evidence_path):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(MissingDependencyError, match=r"bsc-toolkit\[notebooks\]"):
        what_if_sliders(sample_evidence_path)


def test_html_is_escaped():
    from bsc_toolkit.scorecard import load_example

    sc = load_example("retail")
    data = sc.to_dict()
    data["objectives"][0]["name"] = "<script>alert(1)</script>"
    from bsc_toolkit.scorecard import scorecard_from_data
    from bsc_toolkit.widgets.dashboard import dashboard_html

    html = dashboard_html(dashboard_report(scorecard_from_data(data)))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert np.isfinite(dashboard_report(sc).overall.score)

"""Driver models: joint test of all leading KPIs and the out-of-sample check, on planted truth."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _evidence_extras_helpers import chain_card, chain_sim
from _evidence_helpers import ar_panel, history_from_arrays, two_kpi_scorecard
from numpy.testing import assert_allclose

from bsc_toolkit.evidence import DriverModel, load_evidence, validate
from bsc_toolkit.evidence.drivers import leading_kpis

FAST = dict(chains=False, discovery=False, transform="none")


@pytest.fixture(scope="module")
def planted():
    sim = chain_sim(n_units=40, n_periods=30, seed=3)
    return sim, validate(chain_card(), sim.history, **FAST)


def test_leading_kpis_walk_the_links_backwards():
    assert leading_kpis(chain_card(), "y") == [("v", True), ("w", False), ("x", False)]
    assert leading_kpis(chain_card(), "x") == []


def test_driver_model_finds_the_planted_drivers_and_beats_the_baseline(planted):
    sim, ev = planted
    (dm,) = ev.drivers
    assert isinstance(dm, DriverModel) and dm["outcome_kpi"] == "y" and dm["status"] == "estimated"
    by = {d["kpi"]: d for d in dm["drivers"]}
    assert set(by) == {"v", "w", "x"} and by["v"]["direct"] and not by["x"]["direct"]
    assert by["v"]["lags"] == [1] and by["v"]["lag_selection"] == "explicit"
    truth = {t["from_kpi"]: t for t in sim.truth}
    lr = by["v"]["long_run"]
    assert lr["ci_low"] < truth["v"]["effect"] < lr["ci_high"]  # the planted direct effect
    assert lr["p_value"] < 1e-6
    assert dm["joint_test"]["p_value"] < 1e-6 and dm["joint_test"]["df_num"] == len(by["w"]["lags"]) + len(
        by["x"]["lags"]) + 1
    oos = dm["out_of_sample"]
    assert oos["status"] == "estimated" and oos["n_splits"] >= 2
    assert oos["relative_rmse"] < 0.95 and oos["dm_p_value"] < 0.05 and oos["adds_information"]
    assert oos["conclusion"].startswith("leading KPIs add out-of-sample information")
    assert all(f["rmse"] > 0 and f["n_test"] > 0 for f in oos["folds"])
    assert "F(" in dm.summary and "Out of sample" in dm.summary
    assert list(dm.to_frame()["kpi"]) == ["v", "w", "x"]


def test_out_of_sample_does_not_beat_the_baseline_when_drivers_are_null():
    sim = chain_sim(n_units=40, n_periods=30, seed=5, null=[0, 1, 2])
    (dm,) = validate(chain_card(), sim.history, **FAST).drivers
    oos = dm["out_of_sample"]
    assert dm["joint_test"]["p_value"] > 0.01
    assert not oos["adds_information"] and "add out-of-sample information" not in oos["conclusion"]
    assert oos["relative_rmse"] > 0.98


def test_single_driver_model_equals_the_link_test():
    """With one leading KPI the driver model IS the link's model: same design, same numbers."""
    rng = np.random.default_rng(11)
    x, y = ar_panel(rng, 25, 20, beta=0.4)
    card = two_kpi_scorecard([{"from": "L1", "to": "F1", "sign": "positive", "lags": [1]}])
    h = history_from_arrays({"x": x, "y": y, "w": rng.normal(size=x.shape), "v": rng.normal(size=x.shape)})
    for transform in ("none", "detrend", "diff"):
        ev = validate(card, h, transform=transform, chains=False, discovery=False)
        (dm,) = ev.drivers
        lk = ev.links[0]
        assert_allclose(dm["drivers"][0]["long_run"]["estimate"], lk.long_run.estimate, rtol=1e-10)
        assert_allclose(dm["drivers"][0]["long_run"]["std_error"], lk.long_run.std_error, rtol=1e-8)
        assert_allclose(dm["joint_test"]["p_value"], lk.joint_p_value, rtol=1e-8)


def test_forecasts_use_training_periods_only():
    """Changing the outcome in the test periods cannot change the forecasts (no leakage)."""
    from bsc_toolkit.evidence.data import PanelArrays
    from bsc_toolkit.evidence.design import Spec
    from bsc_toolkit.evidence.design import build_sample as build_multi
    from bsc_toolkit.evidence.drivers import fit_predict as _fit_predict

    sim = chain_sim(n_units=10, n_periods=20, seed=1)
    pa = PanelArrays.from_history(sim.history)
    for transform in ("none", "detrend"):
        spec = Spec(transform, "", "both", "clustered", True)
        d = build_multi(pa, "y", [("v", [1]), ("w", [1])], 1, (), spec)
        train = np.flatnonzero(d.t < 12)
        test = np.flatnonzero(d.t == 12)
        cols = np.arange(d.X.shape[1])
        before = _fit_predict(d, spec, cols, train, test)
        d.y[test] += 100.0
        assert_allclose(_fit_predict(d, spec, cols, train, test), before, rtol=1e-12)


def test_insufficient_data_gives_reasons():
    sim = chain_sim(n_units=6, n_periods=4, seed=2)
    (dm,) = validate(chain_card(), sim.history, **FAST).drivers
    assert dm["status"] == "insufficient_data" and dm["out_of_sample"] is None
    assert "too few" in dm["reason"]
    # estimable, but too short to hold out periods for an out-of-sample check
    sim = chain_sim(n_units=30, n_periods=5, seed=2)
    (dm,) = validate(chain_card(), sim.history, **FAST).drivers
    assert dm["status"] == "estimated"
    assert dm["out_of_sample"]["status"] == "insufficient_data"
    assert "too few periods for an out-of-sample check" in dm["out_of_sample"]["reason"]


def test_single_series_driver_model_and_json_round_trip(tmp_path):
    sim = chain_sim(n_units=1, n_periods=80, seed=4)
    ev = validate(chain_card(), sim.history, transform="none", bootstrap=99)
    (dm,) = ev.drivers
    assert dm["method"]["covariance"] == "hac" and dm["method"]["engine"] == "statsmodels"
    assert dm["out_of_sample"]["status"] == "estimated"
    path = ev.save(tmp_path / "ev.json")
    d = json.loads(path.read_text())
    assert d["drivers"][0]["outcome_kpi"] == "y" and "NaN" not in path.read_text()
    back = load_evidence(path)
    assert back.to_dict() == ev.to_dict()
    assert isinstance(back.drivers[0], DriverModel) and back.drivers[0].summary == dm.summary
    assert "Driver models" in ev.summary and "Chains" in ev.summary

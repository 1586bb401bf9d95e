"""Simulated KPI histories: shape, determinism, levels, planted truth, traps, and the CLI round trip."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from bsc_toolkit.errors import DataError
from bsc_toolkit.history import SINGLE_UNIT, Simulation, load_history, simulate_history
from bsc_toolkit.scorecard import Scorecard


def _within_ols(h, y: str, regressors: list[tuple[str, int]]):
    """Fixed-effects (within) OLS of y_t on its own lag 1 and the given (column, lag) terms.

    Returns the coefficients of the regressors (own lag first) and their standard errors.
    """
    d = h.data
    g = d.groupby(level=0)
    cols = {"y": d[y], "y_l1": g[y].shift(1)}
    for col, lag in regressors:
        cols[f"{col}_l{lag}"] = g[col].shift(lag) if lag else d[col]
    frame = pd.DataFrame(cols).dropna()
    demeaned = frame - frame.groupby(level=0).transform("mean")
    x = demeaned.drop(columns="y").to_numpy()
    yy = demeaned["y"].to_numpy()
    beta, *_ = np.linalg.lstsq(x, yy, rcond=None)
    resid = yy - x @ beta
    dof = len(yy) - x.shape[1] - frame.index.get_level_values(0).nunique()
    cov = np.linalg.inv(x.T @ x) * (resid @ resid) / dof
    return beta, np.sqrt(np.diag(cov))


def _truth(sim: Simulation, frm: str, to: str) -> dict:
    return next(t for t in sim.truth if (t["from"], t["to"]) == (frm, to))


def test_shape_labels_and_panel(retail):
    sim = simulate_history(retail, n_units=7, n_periods=10, seed=1)
    h = sim.history
    assert h.is_panel and h.n_units == 7 and h.n_periods == 10
    assert h.columns == [k.id for k in retail.kpis]
    assert h.data.shape == (70, 17) and not h.data.isna().any().any()
    assert list(h.units)[:2] == ["U001", "U002"]
    assert h.frequency == "quarterly" and h.period_labels[0] == "2023Q3" and h.last_period == "2025Q4"
    assert len(sim.truth) == len(retail.links)
    frame = sim.to_frame()
    assert list(frame.columns[:2]) == ["unit", "period"] and len(frame) == 70


def test_single_series(retail):
    sim = simulate_history(retail, n_units=1, n_periods=12, frequency="monthly", start="2019-01")
    h = sim.history
    assert not h.is_panel and list(h.units) == [SINGLE_UNIT]
    assert h.period_labels[0] == "2019-01" and h.period_labels[-1] == "2019-12"
    assert "unit" not in sim.to_frame().columns


def test_deterministic_for_a_seed(retail):
    a = simulate_history(retail, n_units=5, n_periods=8, seed=11)
    b = simulate_history(retail, n_units=5, n_periods=8, seed=11)
    c = simulate_history(retail, n_units=5, n_periods=8, seed=12)
    assert_array_equal(a.history.data.to_numpy(), b.history.data.to_numpy())
    assert a.truth == b.truth
    assert not np.allclose(a.history.data.to_numpy(), c.history.data.to_numpy())


def test_levels_at_baseline_and_truth_in_kpi_units(retail):
    sim = simulate_history(retail, n_units=20, n_periods=16, seed=2)
    means = sim.history.data.mean()
    for kpi in retail.kpis:
        assert means[kpi.id] == pytest.approx(kpi.baseline, rel=1e-9, abs=1e-9)
    for t in sim.truth:
        s_from, s_to = sim.scales[t["from_kpi"]]["scale"], sim.scales[t["to_kpi"]]["scale"]
        assert t["effect"] == pytest.approx(t["effect_std"] * s_to / s_from)
        expected = 0.5 if t["expected_sign"] == "positive" else -0.5
        assert t["effect_std"] == expected and t["planted"] == "effect"
        assert t["long_run_effect"] == pytest.approx(t["effect"] / (1 - 0.5))


def test_planted_effect_recovered_by_plain_regression(retail):
    # P1 (on_shelf_availability) -> C1 (customer_retention), lag 1; C1 has no other driver.
    sim = simulate_history(retail, n_units=80, n_periods=40, effects={("P1", "C1"): 0.8}, seed=5)
    truth = _truth(sim, "P1", "C1")
    beta, se = _within_ols(sim.history, "customer_retention", [("on_shelf_availability", 1)])
    assert truth["effect_std"] == 0.8 and truth["lag"] == 1
    assert_allclose(beta[1], truth["effect"], rtol=0.10)
    assert abs(beta[1] - truth["effect"]) < 3 * se[1]
    assert_allclose(beta[0], 0.5, atol=0.06)  # persistence (small Nickell bias, T = 40)


def test_null_and_reverse_do_what_they_say(retail):
    sim = simulate_history(retail, n_units=80, n_periods=40, null=[("P1", "C1")], seed=5)
    t = _truth(sim, "P1", "C1")
    assert t["planted"] == "null" and t["effect"] == 0 and t["planted_sign"] == "none"
    beta, se = _within_ols(sim.history, "customer_retention", [("on_shelf_availability", 1)])
    assert abs(beta[1]) < 3 * se[1]

    sim = simulate_history(retail, n_units=80, n_periods=40, reverse=["P1:C1"], seed=5)
    t = _truth(sim, "P1", "C1")
    assert t["planted"] == "reverse" and t["effect"] == 0 and t["reverse_effect_std"] == 0.5
    fwd, fwd_se = _within_ols(sim.history, "customer_retention", [("on_shelf_availability", 1)])
    assert abs(fwd[1]) < 3 * fwd_se[1]
    # on_shelf_availability's drivers: customer_retention (reversed), training_hours, forecast_coverage
    rev, _ = _within_ols(
        sim.history, "on_shelf_availability",
        [("customer_retention", 1), ("training_hours", 1), ("forecast_coverage", 1)],
    )
    assert_allclose(rev[1], t["reverse_effect"], rtol=0.15)


def test_effects_by_index_kpi_ids_and_against_the_hypothesis(retail):
    sim = simulate_history(
        retail, n_units=3, n_periods=6,
        effects={0: 0.2, ("on_shelf_availability", "customer_retention"): 1.0, "L1:P2": -0.3},
    )
    assert sim.truth[0]["effect_std"] == 0.2
    assert _truth(sim, "P1", "C1")["effect_std"] == 1.0
    t = _truth(sim, "L1", "P2")  # expected negative; -0.3 plants +0.3: against the hypothesis
    assert t["effect_std"] == pytest.approx(0.3) and t["planted_sign"] == "positive"


def test_trend_makes_unlinked_kpis_correlate(retail):
    # online_revenue_share and certified_staff are on no link: independent AR(1) series
    flat = simulate_history(retail, n_units=20, n_periods=24, seed=4)
    trending = simulate_history(retail, n_units=20, n_periods=24, trend=0.3, seed=4)
    r_flat = flat.history.data[["online_revenue_share", "certified_staff"]].corr().iloc[0, 1]
    r_trend = trending.history.data[["online_revenue_share", "certified_staff"]].corr().iloc[0, 1]
    assert abs(r_flat) < 0.15 and r_trend > 0.6
    # the random part is the same: only the trend was added (in KPI units: trend x scale x t)
    diff = trending.history.data["certified_staff"] - flat.history.data["certified_staff"]
    step = 0.3 * flat.scales["certified_staff"]["scale"]
    t = trending.history.data.index.get_level_values(1).to_numpy()
    assert_allclose(diff.to_numpy(), step * t, atol=1e-9)


def test_seasonality_repeats_each_year(retail):
    base = simulate_history(retail, n_units=2, n_periods=12, seed=3)
    seas = simulate_history(retail, n_units=2, n_periods=12, seasonality=2.0, seed=3)
    diff = (seas.history.data - base.history.data).loc["U001", "nps"].to_numpy()
    assert np.abs(diff).max() > 0
    assert_allclose(diff[:8], diff[4:12], atol=1e-9)  # quarterly: period 4
    annual = simulate_history(retail, n_units=2, n_periods=5, frequency="annual", seasonality=1.0)
    assert any("seasonality ignored" in n for n in annual.notes)


def test_bad_arguments_are_named(retail):
    with pytest.raises(DataError, match="`persistence` must be < 1, got 1"):
        simulate_history(retail, persistence=1)
    with pytest.raises(DataError, match="`noise` must be > 0"):
        simulate_history(retail, noise=0)
    with pytest.raises(DataError, match="`frequency` must be one of .*got 'yearly'"):
        simulate_history(retail, frequency="yearly")
    with pytest.raises(DataError, match="`n_units` must be >= 1, got 0"):
        simulate_history(retail, n_units=0)
    with pytest.raises(DataError, match=r"`effects`: X -> Y is not a link of the scorecard \(links: L1:P1"):
        simulate_history(retail, effects={("X", "Y"): 1})
    with pytest.raises(DataError, match="in both `null` and `reverse`"):
        simulate_history(retail, null=["P1:C1"], reverse=["P1:C1"])
    with pytest.raises(DataError, match="`start` '2020-03' is a monthly label but the frequency is 'quarterly'"):
        simulate_history(retail, start="2020-03")


def _tiny(links: list[dict]) -> Scorecard:
    return Scorecard.model_validate({
        "name": "Tiny",
        "objectives": [
            {"id": "A", "perspective": "customer", "name": "A", "kpis": [{"id": "a", "name": "a"}]},
            {"id": "B", "perspective": "financial", "name": "B", "kpis": [{"id": "b", "name": "b"}]},
        ],
        "links": links,
    })


def test_lag0_loop_and_explosive_effects_are_refused():
    loop = _tiny([{"from": "A", "to": "B", "lags": [0]}, {"from": "B", "to": "A", "lags": [0]}])
    with pytest.raises(DataError, match="lag 0 form a loop among a, b"):
        simulate_history(loop, n_units=2, n_periods=5)
    feedback = _tiny([{"from": "A", "to": "B"}, {"from": "B", "to": "A"}])
    with pytest.raises(DataError, match="explosive"):
        simulate_history(feedback, n_units=2, n_periods=5, effects={0: 1.5, 1: 1.5})
    sim = simulate_history(feedback, n_units=2, n_periods=5, effects={0: 0.3, 1: 0.3})
    assert sim.history.data.notna().all().all()


def test_save_round_trip_wide_and_long(retail, tmp_path):
    sim = simulate_history(retail, n_units=4, n_periods=6, seed=9)
    paths = sim.save(tmp_path / "wide")
    back = load_history(paths.history, unit="unit", period="period")
    assert_array_equal(back.data.to_numpy(), sim.history.data.to_numpy())
    assert back.period_labels == sim.history.period_labels
    truth = json.loads(paths.truth.read_text())
    assert truth["format"] == "bsc-simulation-truth/1" and truth["links"] == sim.truth
    paths = sim.save(tmp_path / "long", long=True)
    assert paths.history.read_text().splitlines()[0] == "unit,period,kpi,value"
    back = load_history(paths.history, unit="unit", period="period")
    assert_array_equal(back.data[sim.history.columns].to_numpy(), sim.history.data.to_numpy())
    single = simulate_history(retail, n_units=1, n_periods=6, frequency="weekly")
    back = load_history(single.save(tmp_path / "single").history, period="period")
    assert back.frequency == "weekly" and not back.is_panel
    assert_array_equal(back.data.to_numpy(), single.history.data.to_numpy())


def test_cli_round_trip(retail, tmp_path, capsys):
    from bsc_toolkit.cli import main

    out = tmp_path / "sim"
    rc = main(["simulate", "retail", "-o", str(out), "--units", "3", "--periods", "8", "--seed", "3",
               "--effect", "P1:C1=0.8", "--null", "C3:F1", "--reverse", "L1:P2", "--trend", "0.1"])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "3 units x 8 quarterly periods" in printed and "history.csv" in printed
    expected = simulate_history(retail, n_units=3, n_periods=8, seed=3, effects={"P1:C1": 0.8},
                                null=["C3:F1"], reverse=["L1:P2"], trend=0.1)
    back = load_history(out / "history.csv", unit="unit", period="period")
    assert_array_equal(back.data.to_numpy(), expected.history.data.to_numpy())
    truth = json.loads((out / "truth.json").read_text())
    planted = {(t["from"], t["to"]): t["planted"] for t in truth["links"]}
    assert planted[("C3", "F1")] == "null" and planted[("L1", "P2")] == "reverse"
    assert planted[("P1", "C1")] == "effect"

    rc = main(["simulate", "retail", "-o", str(tmp_path / "bad"), "--null", "X:Y"])
    err = capsys.readouterr().err
    assert rc == 1 and "X -> Y is not a link" in err
    assert not (tmp_path / "bad" / "history.csv").exists()
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "retail", "-o", str(tmp_path / "bad"), "--effect", "P1:C1"])
    assert exc.value.code == 2 and "expected FROM:TO=VALUE" in capsys.readouterr().err


def test_medium_panel_is_fast():
    """25 KPIs x 1,000 units x 60 periods in well under a few seconds (vectorised over units)."""
    sc = _big_scorecard()
    t0 = time.perf_counter()
    sim = simulate_history(sc, n_units=1000, n_periods=60, seed=1)
    assert time.perf_counter() - t0 < 5
    assert sim.history.data.shape == (60_000, 25)


@pytest.mark.slow
def test_large_panel_takes_seconds():
    sc = _big_scorecard()
    t0 = time.perf_counter()
    sim = simulate_history(sc, n_units=5000, n_periods=120, seed=1)
    assert time.perf_counter() - t0 < 20
    assert sim.history.data.shape == (600_000, 25)


def _big_scorecard() -> Scorecard:
    persp = ["learning_growth", "internal_process", "customer", "financial"]
    objectives, ids = [], []
    n = 0
    for p in persp:
        for o in range(3):
            oid = f"{p[0].upper()}{o + 1}"
            ids.append(oid)
            count = 3 if (p, o) == ("financial", 2) else 2
            objectives.append({"id": oid, "perspective": p, "name": oid, "kpis": [
                {"id": f"k{n + j}", "name": f"KPI {n + j}", "baseline": 10.0, "target": 12.0} for j in range(count)
            ]})
            n += count
    links = [{"from": ids[i], "to": ids[i + 3], "lags": [i % 2]} for i in range(9)]
    return Scorecard.model_validate({"name": "Big", "objectives": objectives, "links": links})

"""Independent review of the chains bootstrap, the lever simulation, discovery and the driver model.

Each check rebuilds the number another way: a bootstrap replication as an LSDV fit
(statsmodels, explicit dummies) on the panel with units repeated; the lever's point
path as a hand-written impulse response; the discovery q-values with
``multipletests`` over the candidate family only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _evidence_extras_helpers import chain_card, chain_sim
from numpy.testing import assert_allclose
from test_evidence_review_core import add_lags, lsdv

from bsc_toolkit.evidence import PanelArrays, simulate_lever, validate
from bsc_toolkit.evidence.chains import bootstrap_link, bootstrap_weights
from bsc_toolkit.evidence.chains import summarize_draws as _summ

FAST = dict(drivers=False, chains=False, discovery=False)


@pytest.mark.parametrize("transform,effects", [("detrend", "both"), ("diff", "both"), ("none", "unit")])
def test_bootstrap_replication_equals_lsdv_on_the_resampled_panel(transform, effects):
    sim = chain_sim(n_units=10, n_periods=12, seed=5)
    ev = validate(chain_card(), sim.history, transform=transform, effects=effects, cov="clustered", **FAST)
    lk = ev.links[0]  # x -> w
    pa = PanelArrays.from_history(sim.history)
    W, kind, _ = bootstrap_weights(pa, 2, seed=11)
    assert kind == "unit" and (W.sum(axis=1) == 10).all()
    _, bb, _ = bootstrap_link(lk, pa, W, kind)
    x, w = pa.col("x"), pa.col("w")
    for r in range(2):
        reps = np.repeat(np.arange(10), W[r].astype(int))  # unit i drawn c_i times, copies distinct
        df = pd.DataFrame({"x": x[reps].ravel(), "w": w[reps].ravel(),
                           "unit": np.repeat(np.arange(len(reps)), 12), "t": np.tile(np.arange(12), len(reps))})
        diff = transform == "diff"
        if diff:
            df["dw"] = df.groupby("unit")["w"].diff()
        xs = add_lags(df, "x", [1], diff=diff) + add_lags(df, "w", [1], diff=diff)
        res = lsdv(df, "dw" if diff else "w", xs, unit=effects in ("unit", "both"),
                   time=effects == "both", unit_trend=transform == "detrend")[0].fit()
        assert_allclose(bb[r], res.params[xs].to_numpy(), rtol=1e-7)


def test_bootstrap_summary_is_a_percentile_interval():
    rng = np.random.default_rng(0)
    draws = rng.normal(1.0, 0.5, size=999)
    s = _summ(draws, 1.0, 0.05)
    assert_allclose([s["ci_low"], s["ci_high"]], np.quantile(draws, [0.025, 0.975]))
    assert_allclose(s["std_error"], draws.std(ddof=1))


def test_lever_point_path_is_the_hand_computed_impulse_response():
    sim = chain_sim(n_units=20, n_periods=40, seed=3)
    card = chain_card()
    ev = validate(card, sim.history, transform="none", **FAST)
    assert all(lk.verdict == "supported" for lk in ev.links)
    H = 6
    for kind in ("step", "pulse"):
        res = simulate_lever(ev, sim.history, card, "L1", 2.0, horizon=H, draws=200, kind=kind)
        d = {"x": np.zeros(H + 1)}
        d["x"][:] = 2.0 if kind == "step" else 0.0
        d["x"][0] = 2.0
        prev = "x"
        for lk in ev.links:  # x -> w -> v -> y, lag 1 each, one own lag
            # the lever runs on the bias-corrected dynamics recorded with the link (evidence/dynamics.py)
            b, rho = (c["corrected"] for c in lk.to_dict()["dynamics"]["coefficients"])
            cur = np.zeros(H + 1)
            for h in range(1, H + 1):
                cur[h] = rho * cur[h - 1] + b * d[prev][h - 1]
            d[lk.to_kpi] = cur
            prev = lk.to_kpi
        for k in "xwvy":
            assert_allclose(res.paths[k]["point"], d[k], rtol=1e-9, atol=1e-12)


def test_discovery_family_is_separate_and_bh_over_candidates_only():
    from statsmodels.stats.multitest import multipletests

    from bsc_toolkit.evidence import estimate_link

    sim = chain_sim(n_units=25, n_periods=20, seed=8)
    card = chain_card()
    kw = dict(transform="none", drivers=False, chains=False)
    with_d = validate(card, sim.history, discovery=True, **kw)
    without = validate(card, sim.history, discovery=False, **kw)
    assert [lk.q_value for lk in with_d.links] == [lk.q_value for lk in without.links]
    # the candidate family: every ordered pair the map does not link in either direction
    pa = PanelArrays.from_history(sim.history)
    linked = {(lk.from_kpi, lk.to_kpi) for lk in with_d.links}
    linked |= {(b, a) for a, b in linked}
    pairs = [(a, b) for a in "xwvy" for b in "xwvy" if a != b and (a, b) not in linked]
    assert with_d.discovery["candidates"]["n_pairs"] == len(pairs) == 6
    p = {}
    for a, b in pairs:
        r = estimate_link(pa, b, a, max_lag=2, transform="none", effects="both", cov="clustered")
        p[(a, b)] = r.p_value
    q = dict(zip(p, multipletests(list(p.values()), method="fdr_bh")[1], strict=True))
    for s in with_d.suggestions:
        if s["kind"] == "candidate":
            assert_allclose(s["q_value"], q[(s["from_kpi"], s["to_kpi"])], rtol=1e-10)
    assert sum(s["kind"] == "candidate" for s in with_d.suggestions) == sum(v <= 0.05 for v in q.values())


def test_out_of_sample_says_what_used_the_full_sample():
    sim = chain_sim(n_units=15, n_periods=24, seed=4)
    ev = validate(chain_card(), sim.history, drivers=True, chains=False, discovery=False)
    oos = ev.drivers[0]["out_of_sample"]
    assert oos["status"] == "estimated"
    note = oos["full_sample_choices"]
    assert "transform" in note and "full sample" in note


def test_driver_model_standardized_effect_matches_the_link_single_series_detrend():
    sim = chain_sim(n_units=1, n_periods=80, seed=9, trend=0.05)
    card = chain_card([{"from": "C1", "to": "F1", "sign": "positive", "lags": [1]}])
    ev = validate(card, sim.history, transform="detrend", drivers=True, chains=False, discovery=False)
    (dm,) = ev.drivers
    (drv,) = dm["drivers"]
    lk = ev.links[0]
    assert_allclose(drv["long_run"]["estimate"], lk.long_run.estimate, rtol=1e-9)
    assert_allclose(drv["standardized_effect"], lk.standardized_effect, rtol=1e-9)


def test_reverse_causality_caveat_on_the_link():
    from _evidence_helpers import history_from_arrays, two_kpi_scorecard

    rng = np.random.default_rng(2)
    N, T = 20, 24
    x, y = np.zeros((N, T + 30)), np.zeros((N, T + 30))
    ex, ey = rng.normal(size=(2, N, T + 30))
    for t in range(1, T + 30):
        y[:, t] = 0.5 * y[:, t - 1] + ey[:, t]
        x[:, t] = 0.5 * x[:, t - 1] + 0.5 * y[:, t - 1] + ex[:, t]
    h = history_from_arrays({"x": x[:, 30:], "y": y[:, 30:], "w": x[:, 30:] * 0, "v": x[:, 30:] * 0})
    card = two_kpi_scorecard([{"from": "L1", "to": "F1", "sign": "positive", "lags": [1]}])
    lk = validate(card, h, transform="none", drivers=False, chains=False).links[0]
    assert any(c.startswith("feedback: the reverse direction (y -> x)") for c in lk.caveats), lk.caveats
    lk0 = validate(card, h, transform="none", drivers=False, chains=False, discovery=False).links[0]
    assert not any("feedback" in c for c in lk0.caveats)


def test_lever_refuses_evidence_of_another_scorecard(tmp_path):
    from bsc_toolkit.errors import DataError

    sim = chain_sim(n_units=10, n_periods=20, seed=1)
    ev = validate(chain_card(), sim.history, transform="none", **FAST)
    path = ev.save(tmp_path / "ev.json")
    other = chain_card([{"from": "L1", "to": "C1", "sign": "positive", "lags": [1]}])
    with pytest.raises(DataError, match=r"ev\.json.*does not belong to this scorecard.*L1 -> P1"):
        simulate_lever(str(path), sim.history, other, "L1", 1.0)
    with pytest.raises(DataError, match="not 'Northwind Retail'"):
        simulate_lever(ev, sim.history, "retail", "L1", 1.0)

"""Chains: indirect effects with a vectorised cluster / moving-block bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from _evidence_extras_helpers import chain_card, chain_sim
from numpy.testing import assert_allclose

from bsc_toolkit.evidence import ChainEffect, validate
from bsc_toolkit.evidence.chains import bootstrap_link, bootstrap_weights, chain_paths
from bsc_toolkit.evidence.data import PanelArrays
from bsc_toolkit.evidence.estimators import fit_fast

FAST = dict(drivers=False, discovery=False)


def _planted_product(sim, key="effect"):
    return float(np.prod([t[key] for t in sim.truth]))


def test_chain_paths_follow_the_links():
    sim = chain_sim(n_units=8, n_periods=10)
    ev = validate(chain_card(), sim.history, transform="none", chains=False, drivers=False, discovery=False)
    (path,) = chain_paths(chain_card(), ev.links)
    assert [(lk.from_, lk.to) for lk in path] == [("L1", "P1"), ("P1", "C1"), ("C1", "F1")]


def test_chain_ci_covers_the_planted_product():
    sim = chain_sim(n_units=40, n_periods=30, seed=8)
    ev = validate(chain_card(), sim.history, transform="none", bootstrap=299, seed=1, **FAST)
    (ch,) = ev.chains
    assert isinstance(ch, ChainEffect) and ch["path"] == ["L1", "P1", "C1", "F1"]
    assert ch["all_steps_supported"] and ch["supported_steps"] == [0, 1, 2]
    ie = ch["indirect_effect"]
    assert_allclose(ie["estimate"], np.prod([lk.long_run.estimate for lk in ev.links]), rtol=1e-12)
    assert ie["ci_low"] < _planted_product(sim) < ie["ci_high"]
    assert ie["ci_low"] > 0 and "excludes zero" in ch["reason"]
    # the bootstrap SE and the Sobel (delta-method) SE agree roughly
    assert 0.5 < ie["std_error"] / ch["sobel"]["std_error"] < 2
    bs = ch["bootstrap"]
    assert bs["replications"] == 299 and bs["valid"] == 299 and "units" in bs["method"]
    assert "indirect_multiplier" in ch
    # seedable
    again = validate(chain_card(), sim.history, transform="none", bootstrap=299, seed=1, **FAST).chains[0]
    assert again["indirect_effect"] == ie


@pytest.mark.parametrize("effects", ["both", "unit", "time", "none"])
def test_weighted_normal_equations_equal_a_fit_on_the_resampled_panel(effects):
    """A replication with unit counts c equals PanelOLS on the panel with unit i repeated c_i times."""
    sim = chain_sim(n_units=12, n_periods=10, seed=2)
    ev = validate(chain_card(), sim.history, transform="none", effects=effects, cov="clustered",
                  chains=False, drivers=False, discovery=False)
    lk = ev.links[1]
    pa = PanelArrays.from_history(sim.history)
    b_hat, _, _ = bootstrap_link(lk, pa, np.ones((1, 12)), "unit")
    assert_allclose(b_hat[:2], [lk.terms[0].estimate, lk.own_terms[0].estimate], rtol=1e-9)
    W, _, _ = bootstrap_weights(pa, 3, seed=4)
    _, bb, _ = bootstrap_link(lk, pa, W, "unit")
    for r in range(3):
        reps = np.repeat(np.arange(12), W[r].astype(int))
        x, y = pa.lagged("w", 1, False), pa.col("v")
        rows = [(y[i, t], x[i, t], y[i, t - 1], k, t) for k, i in enumerate(reps) for t in range(1, 10)]
        a = np.array(rows)
        X = a[:, 1:3] if effects != "none" else np.column_stack([a[:, 1:3], np.ones(len(a))])
        fit = fit_fast(a[:, 0], X, a[:, 3].astype(int), a[:, 4].astype(int) - 1, effects=effects,
                       cov="unadjusted", unit_trends=False)
        assert_allclose(bb[r], fit.params, rtol=1e-8)


def test_single_series_uses_a_moving_block_bootstrap():
    sim = chain_sim(n_units=1, n_periods=90, seed=6)
    ev = validate(chain_card(), sim.history, transform="none", bootstrap=199, seed=3, **FAST)
    (ch,) = ev.chains
    bs = ch["bootstrap"]
    assert bs["block_length"] == 5 and "moving-block" in bs["method"] and bs["valid"] >= 190
    pa = PanelArrays.from_history(sim.history)
    W, kind, _ = bootstrap_weights(pa, 50, 0)
    assert kind == "period" and W.shape == (50, 90) and (W.sum(axis=1) == 90).all()


def test_chain_with_an_unestimable_step_gives_a_reason():
    sim = chain_sim(n_units=20, n_periods=12, seed=1)
    h = sim.history
    data = h.data.copy()
    data["v"] = 1.0  # a constant customer KPI: the middle steps cannot be estimated
    from dataclasses import replace

    ev = validate(chain_card(), replace(h, data=data), transform="none", **FAST)
    (ch,) = ev.chains
    assert ch["status"] == "insufficient_data" and ch["indirect_effect"] is None
    assert "P1 -> C1" in ch["reason"]


def test_no_bootstrap_gives_sobel_intervals():
    sim = chain_sim(n_units=20, n_periods=15, seed=2)
    (ch,) = validate(chain_card(), sim.history, transform="none", bootstrap=0, **FAST).chains
    assert ch["bootstrap"]["replications"] == 0
    assert_allclose(ch["indirect_effect"]["std_error"], ch["sobel"]["std_error"])


@pytest.mark.slow
def test_chain_bootstrap_coverage_monte_carlo():
    """Coverage of the 90% percentile CI of the indirect effect over 40 simulated panels."""
    hits = 0
    n = 40
    for s in range(n):
        sim = chain_sim(n_units=30, n_periods=25, seed=100 + s)
        (ch,) = validate(chain_card(), sim.history, transform="none", alpha=0.10, bootstrap=199, seed=s,
                         **FAST).chains
        ie = ch["indirect_effect"]
        hits += ie["ci_low"] < _planted_product(sim) < ie["ci_high"]
    assert hits / n >= 0.75  # nominal 0.90; Nickell bias in short panels costs a little

"""The bias-aware option ``estimator="iv-fd"`` (Anderson-Hsiao IV in first differences).

The reference is two-stage least squares written out in numpy on a long pandas frame
(differences and lags by ``groupby(unit)``), with explicit period dummies and the
cluster-robust sandwich with Stata's small-sample factor G/(G-1) (n-1)/(n-K)
(ivreg2 ``small``; Cameron and Miller 2015, section VI.A).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _evidence_helpers import ar_panel, history_from_arrays, two_kpi_scorecard
from numpy.testing import assert_allclose

from bsc_toolkit.errors import DataError
from bsc_toolkit.evidence import PanelArrays, estimate_link, validate


def _long(cols: dict[str, np.ndarray]) -> pd.DataFrame:
    N, T = next(iter(cols.values())).shape
    df = pd.DataFrame({k: v.ravel() for k, v in cols.items()})
    df["unit"] = np.repeat(np.arange(N), T)
    df["t"] = np.tile(np.arange(T), N)
    g = df.groupby("unit")
    df["dy"] = g["y"].diff()
    df["dx"] = g["x"].diff()
    gd = df.groupby("unit")
    df["dx_L1"] = gd["dx"].shift(1)
    df["dy_L1"] = gd["dy"].shift(1)
    df["dy_L2"] = gd["dy"].shift(2)
    df["y_L2"] = gd["y"].shift(2)
    return df


def _tsls(y, X, Z):
    Pz = Z @ np.linalg.pinv(Z.T @ Z) @ Z.T
    Xh = Pz @ X
    A = np.linalg.inv(Xh.T @ X)
    b = A @ (Xh.T @ y)
    return b, Xh, A


def _cluster(Xh, e, A, g, n, K):
    S = np.zeros((Xh.shape[1], Xh.shape[1]))
    for gg in np.unique(g):
        s = Xh[g == gg].T @ e[g == gg]
        S += np.outer(s, s)
    G = len(np.unique(g))
    return A @ S @ A * G / (G - 1) * (n - 1) / (n - K)


@pytest.mark.parametrize("cov", ["clustered", "unadjusted"])
def test_iv_fd_equals_2sls_by_hand(cov):
    from scipy import stats

    rng = np.random.default_rng(11)
    x, y = ar_panel(rng, 25, 12, beta=0.4, rho=0.2)
    cols = {"x": x, "y": y}
    r = estimate_link(PanelArrays.from_history(history_from_arrays(cols)), "y", "x", lags=[1],
                      own_lags=1, effects="both", cov=cov, transform="none", estimator="iv-fd")
    df = _long(cols).dropna(subset=["dy", "dx_L1", "dy_L1", "dy_L2", "y_L2"])
    D = pd.get_dummies(df["t"], prefix="p", dtype=float).to_numpy()  # a dummy per period
    yv = df["dy"].to_numpy()
    X = np.column_stack([df[["dx_L1", "dy_L1"]].to_numpy(), D])
    Z = np.column_stack([df[["dx_L1"]].to_numpy(), D, df[["y_L2", "dy_L2"]].to_numpy()])
    b, Xh, A = _tsls(yv, X, Z)
    e = yv - X @ b
    n, K = X.shape
    g = df["unit"].to_numpy()
    G = 25
    if cov == "clustered":
        V = _cluster(Xh, e, A, g, n, K)
        df_inf = G - 1
    else:
        V = A * (e @ e) / (n - K)
        df_inf = n - K
    assert r.verdict != "insufficient_data", r.reason
    assert r.n_obs == n and r.method["estimator"] == "iv-fd" and r.method["df_inference"] == df_inf
    assert r.method["df_resid"] == n - K  # residual df; inference df recorded apart (G-1 when clustered)
    assert_allclose([r.terms[0].estimate, r.own_terms[0].estimate], b[:2], rtol=1e-8)
    assert_allclose([r.terms[0].std_error, r.own_terms[0].std_error], np.sqrt(np.diag(V))[:2], rtol=1e-8)
    assert_allclose(r.p_value, 2 * stats.t.sf(abs(b[0]) / np.sqrt(V[0, 0]), df_inf), rtol=1e-8)
    rho = b[1]
    assert_allclose(r.long_run_multiplier.estimate, b[0] / (1 - rho), rtol=1e-8)
    # first stage: d y(t-1) on the exogenous terms and both instruments, Wald / 2 with the same
    # covariance type (linearmodels: first_stage.diagnostics)
    W = np.column_stack([df[["dx_L1"]].to_numpy(), D, df[["y_L2", "dy_L2"]].to_numpy()])
    d1 = df["dy_L1"].to_numpy()
    c = np.linalg.lstsq(W, d1, rcond=None)[0]
    u = d1 - W @ c
    B = np.linalg.inv(W.T @ W)
    if cov == "clustered":
        Vf = _cluster(W, u, B, g, n, W.shape[1])
    else:
        Vf = B * (u @ u) / (n - W.shape[1])
    F = c[-2:] @ np.linalg.solve(Vf[-2:, -2:], c[-2:]) / 2
    assert_allclose(r.method["first_stage"]["f_stat"], F, rtol=1e-7)
    assert r.method["instruments"] == ["y.L2 (level)", "y.L2 (difference)"]


def _reverse(rng, N, T, burn=30):
    """y drives x (x = 0.5 x(-1) + 0.5 y(-1) + e); no x -> y link; unit effects."""
    S = T + burn
    ex, ey = rng.normal(size=(N, S)), rng.normal(size=(N, S))
    x = np.zeros((N, S))
    y = np.zeros((N, S))
    for t in range(1, S):
        y[:, t] = 0.5 * y[:, t - 1] + ey[:, t]
        x[:, t] = 0.5 * x[:, t - 1] + 0.5 * y[:, t - 1] + ex[:, t]
    a = rng.normal(size=(N, 1))
    return x[:, burn:] + a, y[:, burn:] + 3 * a


def test_reversed_link_is_less_often_contradicted_with_iv_fd_lean():
    """20 runs of a purely reversed link (30 units x 12 periods, where the OLS bias is large):
    OLS-FE's estimates lean negative and are often 'contradicted'; iv-fd's are centred near 0."""
    rng = np.random.default_rng(2025)
    card = two_kpi_scorecard([{"from": "L1", "to": "F1", "sign": "positive", "lags": [1]}])
    est = {"ols": [], "iv-fd": []}
    contra = {"ols": 0, "iv-fd": 0}
    reps = 20
    for _ in range(reps):
        x, y = _reverse(rng, 30, 12)
        h = history_from_arrays({"x": x, "y": y, "w": 0 * x, "v": 0 * x})
        for e in est:
            lk = validate(card, h, estimator=e, drivers=False, chains=False, discovery=False).links[0]
            contra[e] += lk.verdict == "contradicted"
            if lk.long_run.estimate is not None:
                est[e].append(lk.long_run.estimate)
    print(f"\nreversed link, 30 x 12, {reps} runs: contradicted {contra}; mean long-run "
          f"{ {k: round(float(np.mean(v)), 4) for k, v in est.items()} }")
    assert contra["iv-fd"] < contra["ols"]
    assert contra["iv-fd"] <= 3
    assert abs(np.mean(est["iv-fd"])) < abs(np.mean(est["ols"]))
    assert len(est["iv-fd"]) >= reps - 4  # few weak-instrument runs


def test_planted_effect_is_found_with_iv_fd_lean():
    rng = np.random.default_rng(77)
    card = two_kpi_scorecard([{"from": "L1", "to": "F1", "sign": "positive", "lags": [1]}])
    sup = 0
    for _ in range(10):
        x, y = ar_panel(rng, 20, 24, beta=0.25)
        h = history_from_arrays({"x": x, "y": y, "w": 0 * x, "v": 0 * x})
        lk = validate(card, h, estimator="iv-fd", drivers=False, chains=False, discovery=False).links[0]
        sup += lk.verdict == "supported"
    assert sup >= 6


def test_iv_fd_guards():
    rng = np.random.default_rng(3)
    # random-walk outcome: its past level and change do not predict its next change (weak)
    y = np.cumsum(rng.normal(size=(25, 20)), axis=1)
    x = rng.normal(size=(25, 20))
    pa = PanelArrays.from_history(history_from_arrays({"x": x, "y": y}))
    r = estimate_link(pa, "y", "x", lags=[1], transform="none", estimator="iv-fd")
    assert r.verdict == "insufficient_data" and "weak instrument: first-stage F" in r.reason, r.reason
    assert r.method["first_stage"]["f_stat"] < 10
    # too few periods
    pa = PanelArrays.from_history(history_from_arrays({"x": x[:, :5], "y": y[:, :5]}))
    r = estimate_link(pa, "y", "x", lags=[1], transform="none", estimator="iv-fd")
    assert r.verdict == "insufficient_data" and "too few periods for iv-fd" in r.reason, r.reason
    # options that do not fit
    single = history_from_arrays({"x": x[0], "y": y[0], "w": x[0], "v": x[0]})
    card = two_kpi_scorecard([{"from": "L1", "to": "F1", "sign": "positive", "lags": [1]}])
    with pytest.raises(DataError, match="needs a panel"):
        validate(card, single, estimator="iv-fd")
    h = history_from_arrays({"x": x, "y": y, "w": x, "v": x})
    with pytest.raises(DataError, match="effects must be 'unit' or 'both'"):
        validate(card, h, estimator="iv-fd", effects="time")
    with pytest.raises(DataError, match="supports cov"):
        validate(card, h, estimator="iv-fd", cov="hac")
    with pytest.raises(DataError, match="`estimator` must be one of"):
        validate(card, h, estimator="gmm")


def test_iv_fd_in_the_evidence_file_levers_and_chains(tmp_path):
    from bsc_toolkit.evidence import load_evidence, simulate_lever
    from bsc_toolkit.history import simulate_history
    from bsc_toolkit.scorecard import load_example

    sc = load_example("retail")
    sim = simulate_history(sc, n_units=20, n_periods=16, seed=4)
    ev = validate(sc, sim.history, estimator="iv-fd", discovery=False, drivers=False, bootstrap=19)
    d = ev.to_dict()
    assert d["settings"]["estimator"] == "iv-fd"
    est = [lk for lk in ev.links if lk.verdict != "insufficient_data"]
    assert est and all(lk.method["estimator"] == "iv-fd" for lk in est)
    assert all(lk.method["first_stage"]["f_stat"] >= 10 for lk in est)
    assert all(c["bootstrap"]["replications"] == 0 and "iv-fd" in c["bootstrap"]["note"]
               for c in d["chains"] if c["status"] == "estimated")
    p = tmp_path / "ev.json"
    ev.save(p)
    back = load_evidence(p)
    assert back.links[0].method == ev.links[0].method
    sup = [lk for lk in ev.links if lk.verdict == "supported"]
    if sup:  # re-estimation with the recorded iv-fd design must match the evidence
        res = simulate_lever(ev, sim.history, sc, sup[0].from_kpi, 1.0, draws=50)
        assert res is not None
    ols = validate(sc, sim.history, discovery=False, drivers=False, chains=False)
    assert ols.to_dict()["settings"]["estimator"] == "ols"
    assert all(lk.method["estimator"] == "PanelOLS" for lk in ols.links)


def test_cli_help_explains_the_estimator(capsys):
    from bsc_toolkit.cli import main

    with pytest.raises(SystemExit):
        main(["validate", "--help"])
    out = capsys.readouterr().out
    assert "--estimator {ols,iv-fd}" in out and "Anderson-Hsiao" in out and "first-stage F" in out

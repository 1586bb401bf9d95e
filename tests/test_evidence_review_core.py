"""Independent review of the link test: every number rebuilt without the engine's helpers.

References are computed here from a long pandas frame with lags made by
``groupby(unit).shift`` (so they cannot cross units) and fitted with statsmodels
OLS with explicit unit/time/trend dummies (LSDV), linearmodels PanelOLS, or a
Newey-West covariance written out in numpy. Known small-sample factors:

* LSDV ``HC1`` = PanelOLS ``robust`` (debiased): both scale by n / (n - K_all);
* statsmodels cluster (``use_correction=True``) on the LSDV fit scales by
  G/(G-1) (n-1)/(n-K_all); Stata's ``xtreg, fe vce(cluster)`` (linearmodels'
  ``group_debias``) does not count a unit effect nested in the clusters, so it
  uses (n-1)/(n-k) instead (Cameron and Miller 2015, section VI.A).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from _evidence_helpers import ar_panel, history_from_arrays, two_kpi_scorecard
from numpy.testing import assert_allclose

from bsc_toolkit.evidence import PanelArrays, estimate_link, validate


# ------------------------------------------------------------------ reference
def long_frame(cols: dict[str, np.ndarray]) -> pd.DataFrame:
    N, T = next(iter(cols.values())).shape
    df = pd.DataFrame({k: v.ravel() for k, v in cols.items()})
    df["unit"] = np.repeat(np.arange(N), T)
    df["t"] = np.tile(np.arange(T), N)
    return df


def add_lags(df: pd.DataFrame, col: str, lags, *, diff: bool = False, name: str | None = None) -> list[str]:
    g = df.groupby("unit")[col]
    base = g.diff() if diff else df[col]
    out = []
    for lag in lags:
        nm = f"{name or col}_L{lag}"
        df[nm] = base.groupby(df["unit"]).shift(lag) if lag else base
        out.append(nm)
    return out


def lsdv(df: pd.DataFrame, y: str, xs: list[str], *, unit: bool, time: bool, unit_trend: bool = False,
         trend: bool = False):
    """statsmodels OLS with explicit dummies; returns (model, design frame)."""
    import statsmodels.api as sm

    d = df.dropna(subset=[y, *xs]).copy()
    X = d[xs].astype(float)
    if unit:
        X = X.join(pd.get_dummies(d["unit"], prefix="u", dtype=float))
    if time:
        X = X.join(pd.get_dummies(d["t"], prefix="t", drop_first=unit, dtype=float))
    if unit_trend:
        units = sorted(d["unit"].unique())
        for i in units[1 if time else 0:]:
            X[f"tr{i}"] = np.where(d["unit"] == i, d["t"].astype(float), 0.0)
    if trend:
        X["trend"] = d["t"].astype(float)
    if not unit and not time:
        X["const"] = 1.0
    return sm.OLS(d[y].astype(float), X), d


@pytest.fixture(scope="module")
def gappy():
    """A 12 x 16 panel with a hole inside one unit and the first period missing in another."""
    rng = np.random.default_rng(2024)
    x, y = ar_panel(rng, 12, 16, beta=0.4)
    z = rng.normal(size=x.shape)
    x = x.copy()
    y = y.copy()
    x[2, 7] = np.nan
    y[5, 0] = np.nan
    return {"x": x, "y": y, "z": z}


# ------------------------------------------------------------ 1 lag construction
@pytest.mark.parametrize("effects", ["both", "unit", "time", "none"])
def test_lags_never_cross_units_or_gaps_lsdv(gappy, effects):
    """Unbalanced (a gap, a missing first period): estimates and SEs = LSDV with explicit dummies."""
    pa = PanelArrays.from_history(history_from_arrays(gappy))
    r = estimate_link(pa, "y", "x", lags=[0, 2], own_lags=1, controls=["z"], effects=effects,
                      cov="unadjusted", transform="none")
    df = long_frame(gappy)
    xs = add_lags(df, "x", [0, 2]) + add_lags(df, "y", [1]) + ["z"]
    mod, d = lsdv(df, "y", xs, unit=effects in ("unit", "both"), time=effects in ("time", "both"))
    res = mod.fit()
    assert r.n_obs == len(d) == int(res.nobs)
    assert r.method["df_resid"] == int(res.df_resid)
    got = [t.estimate for t in r.terms] + [t.estimate for t in r.own_terms]
    assert_allclose(got, res.params[xs[:3]].to_numpy(), rtol=1e-7, atol=1e-10)
    got_se = [t.std_error for t in r.terms] + [t.std_error for t in r.own_terms]
    assert_allclose(got_se, res.bse[xs[:3]].to_numpy(), rtol=1e-7)
    # the rows lost: 2 periods per unit to lag 2 (not counted as dropped); the hole in x removes
    # the two rows that use it (x.L0 in period 7, x.L2 in period 9); y missing in period 0 of unit
    # 5 only touches periods already lost to the lags
    assert r.n_dropped == 12 * 14 - len(d) == 2


def test_lag_zero_only_when_listed_and_bic_on_common_sample():
    """BIC choice: argmin over p of an LSDV fit on the sample that allows max_lag lags."""
    rng = np.random.default_rng(7)
    x, y = ar_panel(rng, 30, 20, beta=0.3, lag=2)
    cols = {"x": x, "y": y}
    pa = PanelArrays.from_history(history_from_arrays(cols))
    r = estimate_link(pa, "y", "x", max_lag=3, own_lags=1, transform="none")
    assert r.method["lag_selection"] == "bic" and 0 not in r.lags
    df = long_frame(cols)
    add_lags(df, "x", [1, 2, 3])
    add_lags(df, "y", [1])
    common = df.dropna(subset=["x_L3", "y_L1"])
    bic = {}
    for p in (1, 2, 3):
        mod, d = lsdv(common, "y", [f"x_L{j}" for j in range(1, p + 1)] + ["y_L1"], unit=True, time=True)
        assert len(d) == 30 * 17  # the same sample for every p
        bic[p] = mod.fit().bic
    assert r.lags == tuple(range(1, min(bic, key=bic.get) + 1))
    # the criterion values in the detail differ from statsmodels' only by a constant
    txt = r.method["lag_selection_detail"]
    vals = {int(s.split(":")[0].strip()[2:]): float(s.split(":")[1]) for s in txt.split("(")[1].rstrip(")").split(",")}
    diffs = [vals[p] - bic[p] for p in (1, 2, 3)]
    assert_allclose(diffs, diffs[0], atol=0.2)


def test_link_max_lag_overrides_the_run():
    rng = np.random.default_rng(8)
    x, y = ar_panel(rng, 10, 20, beta=0.3)
    h = history_from_arrays({"x": x, "y": y, "w": x * 0, "v": x * 0})
    card = two_kpi_scorecard([{"from": "L1", "to": "F1", "sign": "positive", "max_lag": 3}])
    lk = validate(card, h, max_lag=1, transform="none", drivers=False, chains=False,
                  discovery=False).links[0]
    assert "p=3" in lk.method["lag_selection_detail"]
    lk1 = validate(two_kpi_scorecard([{"from": "L1", "to": "F1", "sign": "positive"}]), h, max_lag=1,
                   transform="none", drivers=False, chains=False, discovery=False).links[0]
    assert "p=2" not in lk1.method["lag_selection_detail"] and lk1.lags == (1,)


# ------------------------------------------------------------------ 2 transforms
def test_diff_differences_within_unit_and_lags_the_differenced_driver(gappy):
    pa = PanelArrays.from_history(history_from_arrays(gappy))
    r = estimate_link(pa, "y", "x", lags=[1], own_lags=1, effects="unit", cov="unadjusted",
                      transform="diff")
    df = long_frame(gappy)
    df["dy"] = df.groupby("unit")["y"].diff()
    xs = add_lags(df, "x", [1], diff=True) + add_lags(df, "y", [1], diff=True)
    res = lsdv(df, "dy", xs, unit=True, time=False)[0].fit()
    assert_allclose([r.terms[0].estimate, r.own_terms[0].estimate], res.params[xs], rtol=1e-8)
    assert_allclose([r.terms[0].std_error, r.own_terms[0].std_error], res.bse[xs], rtol=1e-8)
    assert r.method["df_resid"] == int(res.df_resid)


@pytest.mark.parametrize("effects", ["both", "unit", "time", "none"])
def test_detrend_puts_the_right_trend_in_the_panel_regression(gappy, effects):
    """unit effects: unit-specific trends (N, or N-1 with time effects); time only: no trend term
    (the time effects absorb a common trend); no effects: one common trend."""
    pa = PanelArrays.from_history(history_from_arrays(gappy))
    r = estimate_link(pa, "y", "x", lags=[1], own_lags=1, effects=effects, cov="unadjusted",
                      transform="detrend")
    df = long_frame(gappy)
    xs = add_lags(df, "x", [1]) + add_lags(df, "y", [1])
    ue, te = effects in ("unit", "both"), effects in ("time", "both")
    res = lsdv(df, "y", xs, unit=ue, time=te, unit_trend=ue, trend=effects == "none")[0].fit()
    assert r.method["df_resid"] == int(res.df_resid)
    assert_allclose([r.terms[0].estimate, r.own_terms[0].estimate], res.params[xs], rtol=1e-6)
    # unbalanced two-way with unit trends: effects and trends projected out together (alternating
    # projections), which is the LSDV fit exactly
    assert_allclose([r.terms[0].std_error, r.own_terms[0].std_error], res.bse[xs], rtol=1e-6)
    if effects == "time":
        assert "time effects already absorb a common trend" in r.method["transform_reason"]


def test_detrend_single_series_has_t_and_constant():
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    x, y = ar_panel(rng, 1, 60, beta=0.5)
    x, y = x[0] + 0.1 * np.arange(60), y[0] + 0.05 * np.arange(60)
    pa = PanelArrays.from_history(history_from_arrays({"x": x, "y": y}))
    r = estimate_link(pa, "y", "x", lags=[1], own_lags=1, cov="unadjusted", transform="detrend")
    t = np.arange(1, 60, dtype=float)
    res = sm.OLS(y[1:], np.column_stack([x[:-1], y[:-1], t, np.ones(59)])).fit()
    assert_allclose(r.terms[0].estimate, res.params[0], rtol=1e-9)
    assert_allclose(r.terms[0].std_error, res.bse[0], rtol=1e-9)
    assert r.method["df_resid"] == 59 - 4
    # standardized effect: sds of the detrended driver lag and outcome on the same sample
    xd = x[:-1] - np.polyval(np.polyfit(t, x[:-1], 1), t)
    yd = y[1:] - np.polyval(np.polyfit(t, y[1:], 1), t)
    assert_allclose(r.standardized_effect, res.params[0] * xd.std() / yd.std(), rtol=1e-9)


# ------------------------------------------------------- 3 effects & covariance
@pytest.fixture(scope="module")
def balanced():
    rng = np.random.default_rng(99)
    x, y = ar_panel(rng, 15, 14, beta=0.3)
    z = rng.normal(size=x.shape)
    return {"x": x, "y": y, "z": z}


@pytest.mark.parametrize("effects", ["both", "unit", "time"])
@pytest.mark.parametrize("engine", ["fast", "linearmodels"])
def test_robust_is_hc1_and_clustered_is_stata_on_lsdv(balanced, effects, engine):
    pa = PanelArrays.from_history(history_from_arrays(balanced))
    df = long_frame(balanced)
    xs = add_lags(df, "x", [1, 2]) + add_lags(df, "y", [1]) + ["z"]
    mod, d = lsdv(df, "y", xs, unit=effects in ("unit", "both"), time=effects in ("time", "both"))
    n, K = len(d), mod.exog.shape[1]
    k = len(xs)
    G = d["unit"].nunique()
    kw = dict(lags=[1, 2], own_lags=1, controls=["z"], effects=effects, transform="none", engine=engine)
    rob = estimate_link(pa, "y", "x", cov="robust", **kw)
    hc1 = mod.fit(cov_type="HC1")
    assert_allclose([t.std_error for t in rob.terms], hc1.bse[xs[:2]], rtol=1e-8)
    cl = estimate_link(pa, "y", "x", cov="clustered", **kw)
    smc = mod.fit(cov_type="cluster", cov_kwds={"groups": d["unit"].to_numpy()})
    factor = 1.0
    if effects == "unit":  # the unit effect is nested in the clusters: not counted (Stata)
        factor = (n - K) / (n - k)
    assert_allclose([t.std_error for t in cl.terms], smc.bse[xs[:2]] * math.sqrt(factor), rtol=1e-8)
    assert G == 15
    # long-run SE = sqrt(a'Va) with a = (1, 1, 0, ...)
    V = smc.cov_params().loc[xs[:2], xs[:2]].to_numpy() * factor
    assert_allclose(cl.long_run.std_error, math.sqrt(V.sum()), rtol=1e-8)


def newey_west(X: np.ndarray, e: np.ndarray, L: int) -> np.ndarray:
    """Bartlett-kernel HAC sandwich, written out (Newey and West 1987), n/(n-k) factor."""
    n, k = X.shape
    u = X * e[:, None]
    S = u.T @ u
    for lag in range(1, L + 1):
        G = u[lag:].T @ u[:-lag]
        S += (1 - lag / (L + 1)) * (G + G.T)
    B = np.linalg.inv(X.T @ X)
    return B @ S @ B * n / (n - k)


def test_single_series_hac_is_newey_west_by_hand_and_lrm_delta_method():
    from scipy import stats

    rng = np.random.default_rng(12)
    x, y = ar_panel(rng, 1, 90, beta=0.4)
    x, y = x[0], y[0]
    pa = PanelArrays.from_history(history_from_arrays({"x": x, "y": y}))
    r = estimate_link(pa, "y", "x", lags=[1, 2], own_lags=2, transform="none", cov="hac")
    X = np.column_stack([x[1:-1], x[:-2], y[1:-1], y[:-2], np.ones(88)])
    yy = y[2:]
    b = np.linalg.lstsq(X, yy, rcond=None)[0]
    e = yy - X @ b
    L = int(math.floor(4 * (88 / 100) ** (2 / 9)))
    V = newey_west(X, e, L)
    assert f"{L} lag" in r.method["covariance_detail"]
    assert_allclose([t.estimate for t in r.terms], b[:2], rtol=1e-9)
    assert_allclose([t.std_error for t in r.terms], np.sqrt(np.diag(V))[:2], rtol=1e-9)
    # t(df_resid) inference for the term p-values
    tval = b[0] / math.sqrt(V[0, 0])
    assert_allclose(r.terms[0].p_value, 2 * stats.t.sf(abs(tval), 88 - 5), rtol=1e-8)
    # long-run multiplier and its delta-method SE, gradient by finite differences
    def lrm(p):
        return (p[0] + p[1]) / (1 - p[2] - p[3])

    g = np.array([(lrm(b + h) - lrm(b - h)) / 2e-6 for h in np.eye(5) * 1e-6])
    assert_allclose(r.long_run_multiplier.estimate, lrm(b), rtol=1e-9)
    assert_allclose(r.long_run_multiplier.std_error, math.sqrt(g @ V @ g), rtol=1e-5)
    # joint F test of both driver lags with the HAC covariance
    W = b[:2] @ np.linalg.solve(V[:2, :2], b[:2]) / 2
    assert_allclose(r.joint_p_value, stats.f.sf(W, 2, 83), rtol=1e-7)


def test_standardized_effect_is_within_unit_sd_ratio(balanced):
    """Two-way panel: sd of the driver lag and the outcome after the two-way within transform."""
    pa = PanelArrays.from_history(history_from_arrays(balanced))
    r = estimate_link(pa, "y", "x", lags=[1], own_lags=1, effects="both", transform="none")
    df = long_frame(balanced)
    add_lags(df, "x", [1])
    add_lags(df, "y", [1])
    d = df.dropna(subset=["x_L1", "y_L1"]).copy()

    def within(v):
        return v - d.groupby("unit")[v.name].transform("mean") - d.groupby("t")[v.name].transform("mean") + v.mean()

    sx, sy = within(d["x_L1"]).std(ddof=0), within(d["y"]).std(ddof=0)
    assert_allclose(r.standardized_effect, r.long_run.estimate * sx / sy, rtol=1e-9)


# ---------------------------------------------------------------- 5 verdicts
def test_verdicts_use_bh_q_of_the_long_run_test_and_the_sign():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(5)
    x, y = ar_panel(rng, 25, 20, beta=0.35)
    w = rng.normal(size=x.shape)
    v = 0.5 * y + rng.normal(size=x.shape)
    h = history_from_arrays({"x": x, "y": y, "w": w, "v": v})
    card = two_kpi_scorecard([
        {"from": "L1", "to": "F1", "sign": "positive", "lags": [1]},   # planted, expected sign
        {"from": "L1", "to": "C1", "sign": "negative", "lags": [1]},   # via y: positive, contradicted
        {"from": "P1", "to": "F1", "sign": "positive", "lags": [1]},   # noise
    ])
    ev = validate(card, h, transform="none", drivers=False, chains=False, discovery=False)
    p = [lk.long_run.p_value for lk in ev.links]
    q = multipletests(p, method="fdr_bh")[1]
    assert_allclose([lk.q_value for lk in ev.links], q, rtol=1e-12)
    assert [lk.p_value for lk in ev.links] == p
    exp = []
    for lk, qv in zip(ev.links, q, strict=True):
        if qv > 0.05:
            exp.append("not_supported")
        else:
            exp.append("supported" if (lk.long_run.estimate > 0) == (lk.expected_sign == "positive")
                       else "contradicted")
    assert [lk.verdict for lk in ev.links] == exp
    assert exp[0] == "supported" and exp[1] == "contradicted"


def _single(**cols):
    return PanelArrays.from_history(history_from_arrays(cols))


@pytest.mark.parametrize("case", ["driver_is_control", "outcome_is_driver", "perfect_fit", "all_missing",
                                  "constant_after_diff", "few_periods_panel", "one_unit_left"])
def test_guards_give_insufficient_data_with_a_reason_and_never_raise(case):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 12))
    y = rng.normal(size=(6, 12))
    kw: dict = dict(lags=[1], own_lags=1, transform="none")
    if case == "driver_is_control":
        cols, kw = {"x": x, "y": y, "z": x.copy()}, dict(kw, lags=[0], controls=["z"])
        frag = "collinear design"
    elif case == "outcome_is_driver":
        cols, frag = {"x": y.copy(), "y": y}, "collinear design"
    elif case == "perfect_fit":
        xx = rng.normal(size=(6, 12))
        yy = np.c_[np.zeros((6, 1)), 2.0 * xx[:, :-1]]
        cols, frag = {"x": xx, "y": yy}, "exact"
        kw = dict(kw, own_lags=0)
    elif case == "all_missing":
        yy = y.copy()
        yy[:, ::2] = np.nan  # every other period: no row has y and its own lag
        cols, frag = {"x": x, "y": yy}, "no period has"
    elif case == "constant_after_diff":
        cols = {"x": np.tile(np.arange(12.0), (6, 1)) * 2 + rng.normal(size=(6, 1)), "y": y}
        kw = dict(kw, transform="diff")
        frag = "does not vary within units after transform 'diff'"
    elif case == "few_periods_panel":
        cols, frag = {"x": x[:, :3], "y": y[:, :3]}, "too few"
        kw = dict(kw, lags=[1, 2])
    else:
        xx = x.copy()
        xx[1:, :] = np.nan
        cols, frag = {"x": xx, "y": y}, "only one unit has complete data"
    pa = PanelArrays.from_history(history_from_arrays(cols))
    r = estimate_link(pa, "y", "x", **kw)
    assert r.verdict == "insufficient_data", (case, r.reason)
    assert frag in r.reason, r.reason
    assert r.long_run.estimate is None and r.p_value is None
    d = r.to_dict()
    assert d["q_value"] is None and d["terms"] == []


# ------------------------------------------------------ review fixes (t(G-1), trends)
def test_clustered_p_values_use_g_minus_1_like_statsmodels(balanced):
    """statsmodels' cluster covariance does inference with t(G-1) (df_resid_inference); so does
    Stata's xtreg, fe vce(cluster). Two-way effects: the covariances are identical, so p-values too."""
    from scipy import stats

    pa = PanelArrays.from_history(history_from_arrays(balanced))
    df = long_frame(balanced)
    xs = add_lags(df, "x", [1, 2]) + add_lags(df, "y", [1])
    mod, d = lsdv(df, "y", xs, unit=True, time=True)
    smc = mod.fit(cov_type="cluster", cov_kwds={"groups": d["unit"].to_numpy()}, use_t=True)
    for engine in ("fast", "linearmodels"):
        r = estimate_link(pa, "y", "x", lags=[1, 2], own_lags=1, effects="both", cov="clustered",
                          transform="none", engine=engine)
        assert r.method["df_inference"] == 14 and "G-1 = 14" in r.method["covariance_detail"]
        assert r.method["df_resid"] > 14  # the residual df is recorded too, not overwritten by G-1
        assert_allclose([t.p_value for t in r.terms], smc.pvalues[xs[:2]], rtol=1e-7)
        assert_allclose([r.terms[0].ci_low, r.terms[0].ci_high], smc.conf_int().loc[xs[0]], rtol=1e-7)
        W = smc.wald_test(np.eye(len(smc.params))[:2], use_f=True, scalar=True)
        assert_allclose(r.joint_p_value, float(W.pvalue), rtol=1e-6)
        lr_t = r.long_run.estimate / r.long_run.std_error
        assert_allclose(r.long_run.p_value, 2 * stats.t.sf(abs(lr_t), 14), rtol=1e-10)


def test_unit_trend_test_is_the_lsdv_f_test():
    from bsc_toolkit.evidence.stationarity import unit_trend_test

    rng = np.random.default_rng(4)
    a = rng.normal(size=(8, 20)).cumsum(axis=1) * 0.3 + rng.normal(size=(8, 20))
    df = long_frame({"v": a})
    add_lags(df, "v", [1])
    restricted, d = lsdv(df, "v", ["v_L1"], unit=True, time=False)
    full, _ = lsdv(df, "v", ["v_L1"], unit=True, time=False, unit_trend=True)
    f_p = full.fit().compare_f_test(restricted.fit())[1]
    assert_allclose(unit_trend_test(a, time_demeaned=False), f_p, rtol=1e-8)


def test_auto_detrends_a_shared_unit_trend_that_kpss_misses():
    """20 units x 24 periods, independent AR(1) series sharing unit-specific trends (the power
    study's det_trend scenario, seed chosen where per-unit KPSS rejects in <= 25% of units)."""
    from bsc_toolkit.evidence.stationarity import classify_panel

    rng = np.random.default_rng(31)
    N, T = 20, 24
    e = rng.normal(size=(2, N, T + 30))
    z = np.zeros_like(e)
    for t in range(1, T + 30):
        z[:, :, t] = 0.5 * z[:, :, t - 1] + e[:, :, t]
    slope = rng.uniform(0.1, 0.4, size=(N, 1)) * np.arange(T)
    x, y = z[0, :, 30:] + slope, z[1, :, 30:] + slope
    cx, cy = (classify_panel(v, time_demean=True) for v in (x, y))
    assert "trend" in cx.kind or "trend" in cy.kind or "unit root" in (cx.kind + cy.kind)
    pa = PanelArrays.from_history(history_from_arrays({"x": x, "y": y}))
    r = estimate_link(pa, "y", "x", lags=[1])
    assert r.method["transform"] in ("detrend", "diff"), r.method["transform_reason"]


def test_unbalanced_two_way_unit_trends_clustered_equal_linearmodels_with_trend_regressors(gappy):
    """The projected fit (effects and unit trends out together) = linearmodels PanelOLS with the
    N-1 unit-trend columns as regressors: estimates, clustered SEs and degrees of freedom."""
    from linearmodels import PanelOLS

    pa = PanelArrays.from_history(history_from_arrays(gappy))
    r = estimate_link(pa, "y", "x", lags=[1], own_lags=1, effects="both", cov="clustered",
                      transform="detrend")
    df = long_frame(gappy)
    xs = add_lags(df, "x", [1]) + add_lags(df, "y", [1])
    d = df.dropna(subset=["y", *xs]).copy()
    for i in sorted(d["unit"].unique())[1:]:
        d[f"tr{i}"] = np.where(d["unit"] == i, d["t"].astype(float), 0.0)
    exog = d[[*xs, *(c for c in d if c.startswith("tr"))]].set_axis(pd.MultiIndex.from_frame(d[["unit", "t"]]))
    dep = d["y"].set_axis(exog.index)
    res = PanelOLS(dep, exog, entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True, group_debias=True)
    assert r.method["df_resid"] == int(res.df_resid)
    assert_allclose([r.terms[0].estimate, r.own_terms[0].estimate], res.params[xs], rtol=1e-7)
    assert_allclose([r.terms[0].std_error, r.own_terms[0].std_error], res.std_errors[xs], rtol=1e-6)

"""The test of one link: fast path vs linearmodels/statsmodels, derived estimates, guard rails."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _evidence_helpers import ar_panel, history_from_arrays
from numpy.testing import assert_allclose

from bsc_toolkit.errors import DataError
from bsc_toolkit.evidence import PanelArrays, estimate_link


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(11)
    x, y = ar_panel(rng, 25, 20, beta=0.4)
    z = rng.normal(size=x.shape)
    return PanelArrays.from_history(history_from_arrays({"x": x, "y": y, "z": z}))


def _vals(r):
    d = r.to_dict()
    return np.array([[t[k] for k in ("estimate", "std_error", "p_value", "ci_low", "ci_high")]
                     for t in d["terms"] + d["own_terms"]])


@pytest.mark.parametrize("transform", ["none", "diff", "detrend"])
@pytest.mark.parametrize("effects", ["both", "unit", "time", "none"])
@pytest.mark.parametrize("cov", ["clustered", "robust", "unadjusted"])
def test_fast_path_matches_linearmodels(panel, transform, effects, cov):
    kw = dict(lags=[0, 1, 2], own_lags=1, controls=["z"], transform=transform, effects=effects, cov=cov)
    fast = estimate_link(panel, "y", "x", engine="fast", **kw)
    lm = estimate_link(panel, "y", "x", engine="linearmodels", **kw)
    assert fast.method["engine"].startswith("numpy") and lm.method["engine"] == "linearmodels"
    assert fast.method["df_resid"] == lm.method["df_resid"]
    assert_allclose(_vals(fast), _vals(lm), rtol=1e-8)
    assert_allclose(fast.long_run.std_error, lm.long_run.std_error, rtol=1e-8)
    assert_allclose(fast.joint_p_value, lm.joint_p_value, rtol=1e-7)


def test_linearmodels_path_is_plain_panelols(panel):
    """Independent check: the linearmodels path equals a PanelOLS fit written out by hand."""
    from linearmodels import PanelOLS

    r = estimate_link(panel, "y", "x", lags=[1], own_lags=1, transform="none", engine="linearmodels")
    x, y = panel.col("x"), panel.col("y")
    N, T = x.shape
    idx = pd.MultiIndex.from_product([range(N), range(T)])
    df = pd.DataFrame({"y": y.ravel(), "x1": np.c_[np.full((N, 1), np.nan), x[:, :-1]].ravel(),
                       "y1": np.c_[np.full((N, 1), np.nan), y[:, :-1]].ravel()}, index=idx).dropna()
    res = PanelOLS(df.y, df[["x1", "y1"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True, group_debias=True)
    assert_allclose([r.terms[0].estimate, r.own_terms[0].estimate], res.params.values, rtol=1e-10)
    assert_allclose([r.terms[0].std_error, r.own_terms[0].std_error], res.std_errors.values, rtol=1e-10)
    assert r.n_obs == res.nobs == N * (T - 1)


def test_unit_trends_equal_explicit_trend_dummies():
    """detrend in a panel = unit-specific trend regressors (LSDV), DoF included."""
    from linearmodels import PanelOLS

    rng = np.random.default_rng(3)
    N, T = 6, 15
    x, y = ar_panel(rng, N, T, beta=0.3)
    x = x + rng.normal(size=(N, 1)) * np.arange(T)
    pa = PanelArrays.from_history(history_from_arrays({"x": x, "y": y}))
    for eng in ("fast", "linearmodels"):
        r = estimate_link(pa, "y", "x", lags=[1], own_lags=1, transform="detrend", effects="both",
                          cov="unadjusted", engine=eng)
        idx = pd.MultiIndex.from_product([range(N), range(T)])
        df = pd.DataFrame({"y": y.ravel(), "x1": np.c_[np.full((N, 1), np.nan), x[:, :-1]].ravel(),
                           "y1": np.c_[np.full((N, 1), np.nan), y[:, :-1]].ravel()}, index=idx)
        tt = np.tile(np.arange(T, dtype=float), N)
        for i in range(1, N):  # N-1 slopes: time effects absorb the common trend
            df[f"tr{i}"] = np.where(np.repeat(np.arange(N), T) == i, tt, 0.0)
        df = df.dropna()
        res = PanelOLS(df.y, df.drop(columns="y"), entity_effects=True, time_effects=True).fit(
            cov_type="unadjusted")
        assert_allclose(r.terms[0].estimate, res.params["x1"], rtol=1e-8)
        assert_allclose(r.terms[0].std_error, res.std_errors["x1"], rtol=1e-8)


@pytest.mark.parametrize("effects", ["both", "unit", "time"])
@pytest.mark.parametrize("cov", ["clustered", "robust", "unadjusted"])
@pytest.mark.parametrize("transform", ["none", "detrend"])
def test_unbalanced_sample_numpy_path_equals_linearmodels(panel, effects, cov, transform):
    """Gaps and a late start: the numpy path (alternating projections for two-way effects) gives
    linearmodels' PanelOLS numbers: estimates, standard errors, degrees of freedom."""
    x, y = panel.col("x").copy(), panel.col("y").copy()
    x[3, 7] = np.nan
    x[5, 2] = np.nan
    y[8, :5] = np.nan
    pa = PanelArrays(panel.units, panel.n_periods, {**panel.columns, "x": x, "y": y}, True)
    kw = dict(lags=[1, 2], own_lags=1, transform=transform, effects=effects, cov=cov)
    fast = estimate_link(pa, "y", "x", **kw)
    lm = estimate_link(pa, "y", "x", engine="linearmodels", **kw)
    assert fast.method["engine"].startswith("numpy") and "unbalanced" in fast.method["engine"]
    assert lm.method["engine"] == "linearmodels"
    assert fast.n_obs == lm.n_obs and fast.n_dropped == lm.n_dropped > 0
    assert fast.method["df_resid"] == lm.method["df_resid"]
    assert fast.method["df_inference"] == lm.method["df_inference"]
    got = [t.estimate for t in (*fast.terms, *fast.own_terms)]
    ref = [t.estimate for t in (*lm.terms, *lm.own_terms)]
    assert_allclose(got, ref, rtol=1e-7, atol=1e-10)
    got = [t.std_error for t in (*fast.terms, *fast.own_terms)]
    ref = [t.std_error for t in (*lm.terms, *lm.own_terms)]
    assert_allclose(got, ref, rtol=1e-7)


def test_single_series_matches_statsmodels_hac():
    import statsmodels.api as sm

    rng = np.random.default_rng(5)
    x, y = ar_panel(rng, 1, 120, beta=0.5)
    pa = PanelArrays.from_history(history_from_arrays({"x": x[0], "y": y[0]}))
    r = estimate_link(pa, "y", "x", lags=[1, 2], own_lags=1, transform="none")
    assert r.method["covariance"] == "hac" and "4 lag" in r.method["covariance_detail"]
    X = np.column_stack([x[0, 1:-1], x[0, :-2], y[0, 1:-1], np.ones(118)])
    res = sm.OLS(y[0, 2:], X).fit(cov_type="HAC", cov_kwds={"maxlags": 4, "use_correction": True}, use_t=True)
    assert_allclose([t.estimate for t in r.terms], res.params[:2], rtol=1e-10)
    assert_allclose([t.std_error for t in r.terms], res.bse[:2], rtol=1e-10)
    V = res.cov_params()
    assert_allclose(r.long_run.estimate, res.params[:2].sum(), rtol=1e-10)
    assert_allclose(r.long_run.std_error, np.sqrt(V[:2, :2].sum()), rtol=1e-10)
    # long-run multiplier with its delta-method SE
    b, rho = res.params[:2].sum(), res.params[2]
    g = np.array([1 / (1 - rho), 1 / (1 - rho), b / (1 - rho) ** 2, 0])
    assert_allclose(r.long_run_multiplier.estimate, b / (1 - rho), rtol=1e-10)
    assert_allclose(r.long_run_multiplier.std_error, np.sqrt(g @ V @ g), rtol=1e-10)
    # joint Wald test of the two driver lags
    w = res.f_test(np.eye(4)[:2])
    assert_allclose(r.joint_p_value, float(w.pvalue), rtol=1e-8)


def test_bic_picks_the_planted_lag_length():
    rng = np.random.default_rng(9)
    x, y = ar_panel(rng, 40, 30, beta=0.6, lag=2)
    pa = PanelArrays.from_history(history_from_arrays({"x": x, "y": y}))
    r = estimate_link(pa, "y", "x", max_lag=3, transform="none")
    assert r.method["lag_selection"] == "bic"
    assert r.lags == (1, 2)
    assert "BIC" in r.method["lag_selection_detail"]
    assert any("BIC" in c for c in r.caveats)


def test_auto_transform_differences_random_walks():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(10, 40)).cumsum(axis=1)
    y = rng.normal(size=(10, 40)).cumsum(axis=1)
    pa = PanelArrays.from_history(history_from_arrays({"x": x, "y": y}))
    r = estimate_link(pa, "y", "x", lags=[1])
    assert r.method["transform"] == "diff"
    assert "unit root" in r.method["transform_reason"]


def test_auto_transform_keeps_stationary_levels_and_detrends_trends():
    rng = np.random.default_rng(4)
    x, y = ar_panel(rng, 1, 150, beta=0.5)
    pa = PanelArrays.from_history(history_from_arrays({"x": x[0], "y": y[0]}))
    r = estimate_link(pa, "y", "x", lags=[1])
    assert r.method["transform"] == "none", r.method["transform_reason"]
    tr = np.arange(150) * 0.2
    pa2 = PanelArrays.from_history(history_from_arrays({"x": x[0] + tr, "y": y[0] + tr}))
    r2 = estimate_link(pa2, "y", "x", lags=[1])
    assert r2.method["transform"] == "detrend", r2.method["transform_reason"]
    assert "trend" in r2.method["transform_reason"]


def test_nickell_caveat_in_short_panels(panel):
    r = estimate_link(panel, "y", "x", lags=[1], transform="none")
    assert any("Nickell" in c for c in r.caveats)
    r0 = estimate_link(panel, "y", "x", lags=[1], own_lags=0, transform="none")
    assert not any("Nickell" in c for c in r0.caveats)


# ------------------------------------------------------------------ guard rails
def _single(**cols):
    return PanelArrays.from_history(history_from_arrays(cols))


def test_too_few_periods_for_the_lags():
    rng = np.random.default_rng(0)
    pa = _single(x=rng.normal(size=9), y=rng.normal(size=9))
    r = estimate_link(pa, "y", "x", lags=[1, 2], own_lags=1, transform="none")
    assert r.verdict == "insufficient_data"
    assert "too few periods for the lags: 7 usable periods" in r.reason
    assert "at least 9 needed" in r.reason
    assert r.long_run.estimate is None and r.terms == ()
    assert r.to_dict()["p_value"] is None


def test_constant_driver_and_outcome():
    rng = np.random.default_rng(0)
    r = estimate_link(_single(x=np.full(40, 3.0), y=rng.normal(size=40)), "y", "x", lags=[1],
                      transform="none")
    assert r.verdict == "insufficient_data" and "driver 'x'" in r.reason and "constant" in r.reason
    r = estimate_link(_single(x=rng.normal(size=40), y=np.full(40, 1.0)), "y", "x", lags=[1],
                      transform="none")
    assert r.verdict == "insufficient_data" and "outcome 'y' is constant" in r.reason
    # constant within units (differs only between units) in a panel with unit effects
    x = np.repeat(rng.normal(size=(6, 1)), 20, axis=1)
    pa = PanelArrays.from_history(history_from_arrays({"x": x, "y": rng.normal(size=(6, 20))}))
    r = estimate_link(pa, "y", "x", lags=[1], transform="none")
    assert r.verdict == "insufficient_data" and "does not vary within units" in r.reason
    assert "unit effects absorb it" in r.reason
    # the same in every unit each period: the time effects absorb it
    pa = PanelArrays.from_history(history_from_arrays({"x": np.tile(rng.normal(size=20), (6, 1)),
                                                       "y": rng.normal(size=(6, 20))}))
    r = estimate_link(pa, "y", "x", lags=[1], transform="none", effects="both")
    assert "same in every unit in each period" in r.reason and "time effects absorb it" in r.reason
    # a unit's level plus a common change (years of experience): neither alone, both together
    exper = rng.integers(0, 20, size=(6, 1)) + np.arange(20)[None, :]
    pa = PanelArrays.from_history(history_from_arrays({"x": exper.astype(float), "y": rng.normal(size=(6, 20))}))
    r = estimate_link(pa, "y", "x", lags=[1], transform="none", effects="both")
    assert r.verdict == "insufficient_data" and "unit and time effects are removed" in r.reason
    assert "effects='unit'" in r.reason
    assert estimate_link(pa, "y", "x", lags=[1], transform="none", effects="unit").verdict != "insufficient_data"


def test_collinear_design_names_the_term():
    rng = np.random.default_rng(0)
    x = rng.normal(size=50)
    pa = _single(x=x, y=rng.normal(size=50), z=2 * np.r_[np.nan, x[:-1]] + 1)
    r = estimate_link(pa, "y", "x", lags=[1], controls=["z"], transform="none")
    assert r.verdict == "insufficient_data"
    assert "collinear design: z" in r.reason


def test_driver_missing_and_too_few_observations():
    rng = np.random.default_rng(0)
    r = estimate_link(_single(x=np.full(30, np.nan), y=rng.normal(size=30)), "y", "x", lags=[1])
    assert r.verdict == "insufficient_data" and "driver 'x' has no values" in r.reason
    x = rng.normal(size=30)
    x[5:] = np.nan
    r = estimate_link(_single(x=x, y=rng.normal(size=30)), "y", "x", lags=[1], transform="none")
    assert r.verdict == "insufficient_data"
    assert "too few observations for the parameters" in r.reason or "no period" in r.reason
    assert r.n_dropped > 0


def test_missing_values_dropped_and_counted():
    rng = np.random.default_rng(1)
    x, y = ar_panel(rng, 1, 60, beta=0.5)
    y = y[0].copy()
    y[[10, 20, 30]] = np.nan
    r = estimate_link(_single(x=x[0], y=y), "y", "x", lags=[1], own_lags=1, transform="none")
    # each missing y removes the row itself and the next row (own lag): 6 of 59 rows
    assert r.n_obs == 53 and r.n_dropped == 6


def test_bad_options_raise_clear_errors():
    rng = np.random.default_rng(0)
    pa = _single(x=rng.normal(size=30), y=rng.normal(size=30))
    with pytest.raises(DataError, match="effects 'both' need a panel"):
        estimate_link(pa, "y", "x", effects="both")
    with pytest.raises(DataError, match="clustered' needs a panel"):
        estimate_link(pa, "y", "x", cov="clustered")
    with pytest.raises(DataError, match="column 'nope'"):
        estimate_link(pa, "y", "x", controls=["nope"])

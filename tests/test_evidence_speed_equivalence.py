"""The fast paths equal the straightforward ones: vectorised unit-root tests = statsmodels,
our Benjamini-Hochberg = statsmodels' multipletests, batched regressions = one-by-one link tests."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bsc_toolkit.evidence.stationarity import adf_fixed_lag, kpss_auto, mackinnon_p


@pytest.mark.parametrize("n", [15, 24, 61])
@pytest.mark.parametrize("regression", ["c", "ct"])
def test_vectorised_adf_and_kpss_equal_statsmodels(n: int, regression: str) -> None:
    from statsmodels.tsa.stattools import adfuller, kpss

    rng = np.random.default_rng(n)
    S = np.cumsum(rng.normal(size=(12, n)), axis=1) * rng.choice([0.3, 1.0], size=(12, 1))
    S += rng.normal(size=(12, n))
    S[:4] = rng.normal(size=(4, n)) + 0.05 * np.arange(n)  # trend-stationary rows
    S[4:6] *= 1e5  # KPI-scale numbers
    want_adf = [adfuller(x, maxlag=1, regression=regression, autolag=None, result_object=False)[1]
                for x in S]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want_kpss = [kpss(x, regression=regression, nlags="auto")[1] for x in S]
    assert_allclose(adf_fixed_lag(S, regression), want_adf, rtol=1e-9, atol=1e-11)
    assert_allclose(kpss_auto(S, regression), want_kpss, rtol=1e-12, atol=1e-14)


def test_mackinnon_p_equals_statsmodels_over_its_range() -> None:
    from statsmodels.tsa.adfvalues import mackinnonp

    for reg in ("c", "ct"):
        stats = np.linspace(-20, 3, 461)
        assert_allclose(mackinnon_p(stats, reg), [mackinnonp(s, regression=reg) for s in stats],
                        rtol=1e-12, atol=1e-15)


def test_bh_qvalues_equal_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    from bsc_toolkit.evidence.inference import bh_qvalues

    rng = np.random.default_rng(4)
    for n in (1, 2, 7, 300):
        p = np.concatenate([rng.uniform(size=n), rng.uniform(0, 1e-4, size=n // 3)])
        p[: n // 4] = p[0]  # ties
        assert_allclose(bh_qvalues(p), multipletests(p, method="fdr_bh")[1], rtol=1e-15)
    assert bh_qvalues([]).size == 0


def test_rolling_origin_equals_sklearn_time_series_split() -> None:
    from sklearn.model_selection import TimeSeriesSplit

    from bsc_toolkit.evidence.drivers import rolling_origin

    for n, k, size in ((20, 5, 3), (11, 2, 4), (60, 5, 1)):
        want = list(TimeSeriesSplit(n_splits=k, test_size=size).split(np.arange(n)))
        got = rolling_origin(n, k, size)
        assert len(got) == len(want)
        for (a, b), (c, d) in zip(got, want, strict=True):
            assert a.tolist() == c.tolist() and b.tolist() == d.tolist()


def _random_history(n_units: int, n_periods: int, n_kpis: int, seed: int, holes: bool = False):
    import pandas as pd

    from bsc_toolkit.history.frame import KPIHistory

    rng = np.random.default_rng(seed)
    cols = {}
    prev = None
    for k in range(n_kpis):
        e = rng.normal(size=(n_units, n_periods))
        a = np.empty_like(e)
        a[:, 0] = e[:, 0]
        for t in range(1, n_periods):
            a[:, t] = 0.5 * a[:, t - 1] + e[:, t]
        a += rng.normal(size=(n_units, 1)) * 2  # unit effects
        if k % 3 == 1:
            a += 0.08 * np.arange(n_periods) * rng.uniform(0.5, 1.5, size=(n_units, 1))  # trends
        if k % 3 == 2:
            a = np.cumsum(e, axis=1)  # a unit root
        if prev is not None and k % 2 == 1:
            a[:, 1:] += 0.4 * prev[:, :-1]
        if holes and k == 0:
            a[1, 3] = np.nan
        cols[f"k{k}"] = a.ravel() * (1000 if k == 3 else 1)
        prev = a
    idx = pd.MultiIndex.from_product([range(n_units), range(n_periods)], names=["unit", "t"])
    return KPIHistory(data=pd.DataFrame(cols, index=idx), periods=pd.RangeIndex(n_periods),
                      frequency="monthly", is_panel=True, source="random")


def _assert_same_results(a, b) -> None:
    da, db = a.to_dict(), b.to_dict()
    assert set(da) == set(db)
    for key in da:
        va, vb = da[key], db[key]
        if key in ("terms", "own_terms"):
            assert [t["name"] for t in va] == [t["name"] for t in vb]
            for ta, tb in zip(va, vb, strict=True):
                for f in ("estimate", "std_error", "p_value", "ci_low", "ci_high"):
                    assert_allclose(ta[f], tb[f], rtol=1e-10, atol=1e-12)
        elif key in ("long_run", "long_run_multiplier"):
            for f in va:
                if va[f] is None:
                    assert vb[f] is None
                else:
                    assert_allclose(va[f], vb[f], rtol=1e-10, atol=1e-12)
        elif key in ("standardized_effect", "p_value", "joint_p_value") and va is not None:
            assert_allclose(va, vb, rtol=1e-10, atol=1e-12)
        else:
            assert va == vb, (key, va, vb)


@pytest.mark.parametrize("effects,cov,holes,stream", [("both", "clustered", False, False),
                                                      ("unit", "clustered", False, True),
                                                      ("time", "unadjusted", False, False),
                                                      ("both", "clustered", True, True)])
def test_batched_link_tests_equal_one_by_one(effects: str, cov: str, holes: bool, stream: bool,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ordered pair of 7 KPIs (auto transform: levels, detrend and differences all occur),
    BIC lags and explicit ones, controls: the batched engine equals estimate_link to 1e-10."""
    from bsc_toolkit.evidence import batch, estimate_link
    from bsc_toolkit.evidence.batch import LinkRequest, test_links
    from bsc_toolkit.evidence.data import PanelArrays
    from bsc_toolkit.evidence.options import Options

    if stream:  # the large-panel path: cluster scores from residuals, tiny block budget
        monkeypatch.setattr(batch, "CLUSTER_GRAM_BYTES", 0)
        monkeypatch.setattr(batch, "BLOCK_BYTES", 1)
    h = _random_history(40, 30, 7, seed=11 if not holes else 12, holes=holes)
    reqs = [LinkRequest(f"k{b}", f"k{a}", lags=None if (a + b) % 3 else [1, 2])
            for a in range(6) for b in range(6) if a != b]
    reqs.append(LinkRequest("k5", "k4", lags=[0, 1]))
    opts = Options(effects=effects, cov=cov).resolve(is_panel=True)
    pa = PanelArrays.from_history(h)
    batched = test_links(pa, reqs, opts)
    kinds = set()
    for r, got in zip(reqs, batched, strict=True):
        want = estimate_link(PanelArrays.from_history(h), r.y_col, r.x_col, lags=r.lags, effects=effects,
                             cov=cov)
        _assert_same_results(got, want)
        kinds.add(want.method["transform"])
    assert len(kinds) >= 2, kinds  # several transforms were exercised
    # most links went through the batched engine (the rest: holes in k0, near-edge guards)
    # with holes, k0 and k1 (built from k0) have gaps: their 18 pairs take the one-by-one path
    assert pa.blocks.get("n_batched", 0) >= (12 if holes else 0.9 * len(reqs)), pa.blocks.get("n_batched")
    ctrl = test_links(PanelArrays.from_history(h), [LinkRequest("k1", "k0", lags=[1])],
                      opts.replace(controls=("k6",)))[0]
    _assert_same_results(ctrl, estimate_link(PanelArrays.from_history(h), "k1", "k0", lags=[1],
                                             controls=["k6"], effects=effects, cov=cov))


@pytest.mark.parametrize("cov", ["clustered", "unadjusted", "robust"])
def test_numpy_two_stage_least_squares_equals_linearmodels(cov: str) -> None:
    """The iv-fd estimator's numpy 2SLS = linearmodels IV2SLS(debiased=True): estimates, covariance,
    first-stage F, its p-value and the partial R-squared (one and two own lags, with and without
    period dummies and unit intercepts)."""
    from _evidence_helpers import ar_panel, history_from_arrays

    from bsc_toolkit.evidence.data import PanelArrays
    from bsc_toolkit.evidence.ivfd import build_iv_fd, fit_iv_fd, fit_iv_fd_numpy

    rng = np.random.default_rng(3)
    x, y = ar_panel(rng, 25, 14, beta=0.4, rho=0.3)
    gappy = {"x": x.copy(), "y": y.copy()}
    gappy["x"][3, 6] = np.nan  # an unbalanced sample: two-way partialling iterates
    gappy["y"][7, 0:4] = np.nan
    for arrays in ({"x": x, "y": y}, gappy):
        pa = PanelArrays.from_history(history_from_arrays(arrays))
        for own in (1, 2):
            for te in (True, False):
                for ui in (False, True):
                    d = build_iv_fd(pa, "y", "x", [1, 2], own, (), time_effects=te, unit_intercepts=ui)
                    a = fit_iv_fd(d, cov=cov)
                    # dummies as columns, and partialled out (what the numpy engine uses)
                    dp = build_iv_fd(pa, "y", "x", [1, 2], own, (), time_effects=te, unit_intercepts=ui,
                                     partial=True)
                    assert dp.absorbed == d.n_structural and dp.X.shape[1] == d.X.shape[1] - d.n_structural
                    for b in (fit_iv_fd_numpy(d, cov=cov), fit_iv_fd_numpy(dp, cov=cov)):
                        k = len(b.params)
                        assert_allclose(b.params, a.params[:k], rtol=1e-9, atol=1e-11)
                        assert_allclose(b.cov, a.cov[:k, :k], rtol=1e-8, atol=1e-14)
                        assert (b.df_resid, b.df_inference) == (a.df_resid, a.df_inference)
                        for key in ("f_stat", "p_value", "partial_r2"):
                            assert_allclose(b.first_stage[key], a.first_stage[key], rtol=1e-8, atol=1e-14)


def test_ar_filter_equals_scipy_lfilter():
    from scipy.signal import lfilter

    from bsc_toolkit.evidence.stationarity import _ar_filter

    V = np.random.default_rng(0).normal(size=(3, 4, 50))
    for rho in (np.array([0.5]), np.array([0.6, -0.2])):
        assert_allclose(_ar_filter(V, rho), lfilter([1.0], np.r_[1.0, -rho], V, axis=-1), rtol=1e-12, atol=1e-12)


def _assert_same_dynamics(a, b) -> None:
    assert a.names == b.names and a.split == b.split and a.n_units == b.n_units
    for f in ("raw", "corrected", "raw_draws", "corrected_draws"):
        x, y = getattr(a, f), getattr(b, f)
        assert (x is None) == (y is None), f
        if x is not None:
            assert_allclose(x, y, rtol=1e-10, atol=1e-12, err_msg=f)
    assert (a.stability is None) == (b.stability is None)
    if a.stability is not None:
        assert_allclose(a.stability["f_stat"], b.stability["f_stat"], rtol=1e-9)
        assert_allclose(a.stability["p_value"], b.stability["p_value"], rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("n_units,n_periods,effects,transform", [
    (30, 24, "both", "none"),      # few units: the weighted refits of the bootstrap
    (30, 25, "unit", "detrend"),   # odd length (both splits), unit effects, unit trends
    (220, 17, "both", "detrend"),  # many units: the first-order (linear) bootstrap; trends + time effects
    (220, 16, "unit", "diff"),
])
def test_batched_dynamics_equal_one_by_one(n_units: int, n_periods: int, effects: str, transform: str) -> None:
    """The dynamics of links sharing their rows, computed together, equal link_dynamics per link."""
    from bsc_toolkit.evidence.batch import LinkRequest, test_links
    from bsc_toolkit.evidence.data import PanelArrays
    from bsc_toolkit.evidence.dynamics import (
        batch_dynamics,
        bootstrap_weights,
        link_dynamics,
        link_sample,
    )
    from bsc_toolkit.evidence.options import Options

    h = _random_history(n_units, n_periods, 6, seed=n_units + n_periods)
    pa = PanelArrays.from_history(h)
    opts = Options(effects=effects, transform=transform, own_lags=1).resolve(is_panel=True)
    reqs = [LinkRequest(f"k{b}", f"k{a}", lags=[1]) for a, b in ((0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0))]
    reqs += [LinkRequest("k2", "k0", lags=[1, 2]), LinkRequest("k4", "k3", lags=[1, 2])]
    links = [lk for lk in test_links(pa, reqs, opts) if lk.verdict != "insufficient_data"]
    W = bootstrap_weights(pa, 199, 3)[0]
    groups: dict = {}
    for lk in links:
        d, spec = link_sample(lk, pa)
        groups.setdefault((d.n, d.X.shape[1]), []).append((lk, d, spec))
    checked = 0
    for items in groups.values():
        for (lk, _, _), got in zip(items, batch_dynamics(items, pa, W), strict=True):
            want = link_dynamics(lk, pa, W)
            assert not isinstance(want, str), want
            _assert_same_dynamics(got, want)
            checked += 1
    assert checked >= 6


def test_batched_link_estimates_equal_one_by_one() -> None:
    """link_estimates_many = link_estimates per fit, explosive own lags and a singular block included."""
    from bsc_toolkit.evidence.inference import link_estimates, link_estimates_many

    rng = np.random.default_rng(5)
    for lags, own in (([1], 1), ([1, 2], 2), ([0, 1, 2], 0), ([1], 0)):
        k = len(lags) + own + 1  # and a control
        P = 40
        b = rng.normal(size=(P, k)) * 0.4
        if own:
            b[3, len(lags)] = 1.3  # explosive: no multiplier, a caveat
        A = rng.normal(size=(P, k, k))
        V = A @ A.transpose(0, 2, 1) / 50
        V[5] = 0.0  # no standard errors at all
        names = [[f"x.L{g}" for g in lags] + [f"y.L{j}" for j in range(1, own + 1)] + ["c"]] * P
        many = link_estimates_many(names, lags, own, b, V, 37, 0.05)
        for i in range(P):
            cav: list[str] = []
            want = link_estimates(names[i], lags, own, b[i], V[i], 37, 0.05, cav)
            got, got_cav = many[i]
            assert got_cav == cav
            assert json.dumps(got, sort_keys=True, default=str).count("null") == json.dumps(
                want, sort_keys=True, default=str).count("null")
            for key in ("terms", "own_terms"):
                for x, y in zip(got[key], want[key], strict=True):
                    assert x["name"] == y["name"] and x["lag"] == y["lag"]
                    for f in ("estimate", "std_error", "ci_low", "ci_high", "p_value"):
                        assert (x[f] is None) == (y[f] is None)
                        if x[f] is not None:
                            assert_allclose(x[f], y[f], rtol=1e-12, atol=1e-15)
            for key in ("long_run", "long_run_multiplier"):
                assert (key in got) == (key in want)
                for f in (want.get(key) or {}):
                    assert (got[key][f] is None) == (want[key][f] is None), (key, f)
                    if want[key][f] is not None:
                        assert_allclose(got[key][f], want[key][f], rtol=1e-12, atol=1e-15)
            for key in ("p_value", "joint_p_value"):
                assert (got[key] is None) == (want[key] is None), key
                if want[key] is not None:
                    assert_allclose(got[key], want[key], rtol=1e-12, atol=1e-15)


def test_batched_panel_adf_equals_one_by_one() -> None:
    from bsc_toolkit.evidence.stationarity import adf_pvalues, adf_pvalues_many

    rng = np.random.default_rng(8)
    arrays = [np.cumsum(rng.normal(size=(30, 40)), axis=1), rng.normal(size=(25, 22)),
              rng.normal(size=(3, 10)),  # too short: None
              np.where(rng.uniform(size=(30, 40)) < 0.1, np.nan, rng.normal(size=(30, 40)))]
    for td in (False, True):
        got = adf_pvalues_many(arrays, time_demean=td)
        for a, g in zip(arrays, got, strict=True):
            want = adf_pvalues(a, panel=True, time_demean=td)
            assert (g is None) == (want is None)
            if want is not None:
                assert_allclose(g, want, rtol=1e-12)


@pytest.mark.parametrize("lags", [[1], None])
def test_lagged_controls_batched_equal_linearmodels(lags) -> None:
    """The robustness grid's conditional specification (other drivers as lagged regressors): the
    batched engine gives linearmodels' PanelOLS numbers, explicit lags and BIC lags alike."""
    from bsc_toolkit.evidence.batch import LinkRequest, test_links
    from bsc_toolkit.evidence.data import PanelArrays
    from bsc_toolkit.evidence.options import Options

    h = _random_history(30, 20, 6, seed=5)
    o = Options(transform="none", lagged_controls=(("k3", 1), ("k4", 2))).resolve(is_panel=True)
    reqs = [LinkRequest("k1", "k0", lags=lags), LinkRequest("k5", "k2", lags=lags)]
    pa = PanelArrays.from_history(h)
    fast = test_links(pa, reqs, o)
    assert pa.blocks.get("n_batched", 0) == 2  # both through the batched engine
    ref = test_links(PanelArrays.from_history(h), reqs, o.replace(engine="linearmodels"))
    for a, b in zip(fast, ref, strict=True):
        assert a.method["other_drivers"] == ["k3.L1", "k4.L2"] and a.n_obs == b.n_obs == 30 * 18
        for f in ("estimate", "std_error", "p_value"):
            assert_allclose(getattr(a.long_run, f), getattr(b.long_run, f), rtol=1e-7)
        assert [t.name for t in a.terms] == [t.name for t in b.terms]


@pytest.mark.parametrize("start,trend_col", [(0, False), (2, True), (3, False)])
def test_complete_sample_equals_the_searched_one(start, trend_col) -> None:
    """select_sample takes every row in order when all are complete; the rows it finds by search
    when one unit has a missing outcome are the same rows, values and codes for the others."""
    from bsc_toolkit.evidence.design import select_sample

    rng = np.random.default_rng(start)
    arrays = [rng.normal(size=(6, 12)) for _ in range(4)]
    names = ["x.L1", "x.L2", "y.L1"]
    full = select_sample(arrays, names, start, trend_col, False, 2, 1)
    holed = [a.copy() for a in arrays]
    holed[0][2, :] = np.nan  # unit 2 has no outcome: the search path
    part = select_sample(holed, names, start, trend_col, False, 2, 1)
    keep = full.unit_index != 2
    np.testing.assert_array_equal(part.y, full.y[keep])
    np.testing.assert_array_equal(part.X, full.X[keep])
    np.testing.assert_array_equal(part.unit_index, full.unit_index[keep])
    np.testing.assert_array_equal(part.period_index, full.period_index[keep])
    np.testing.assert_array_equal(part.t, full.t[keep])
    np.testing.assert_array_equal(part.u, np.unique(full.u[keep], return_inverse=True)[1])
    assert full.balanced and part.balanced and full.names == part.names
    assert full.n == 6 * (12 - start) and full.n_candidates == part.n_candidates
    np.testing.assert_array_equal(full.u, np.repeat(np.arange(6), 12 - start))
    np.testing.assert_array_equal(full.period_index, np.tile(np.arange(start, 12), 6))

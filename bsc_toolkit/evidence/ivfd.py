"""Bias-aware link test for short panels: Anderson-Hsiao IV in first differences (``iv-fd``).

With unit fixed effects and the outcome's own lag, the within (PanelOLS) estimate
is biased in short panels (Nickell 1981): the own lag is correlated with the
unit mean of the errors. When the outcome also feeds back into the driver, the
driver's past becomes correlated with that mean too, and a purely reversed link
can come out significant with the wrong sign. Anderson and Hsiao (1981, 1982)
remove the unit effects by first differences instead and instrument the
differenced own lag::

    dy[i,t] = sum_l b_l dx[i,t-l] + sum_j rho_j dy[i,t-j] + c' dz[i,t] + g_t + de[i,t]

* ``dy[i,t-1]`` (which contains ``e[i,t-1]``) is instrumented by the outcome two
  periods back, its level ``y[i,t-2]`` (Anderson-Hsiao) and its difference
  ``dy[i,t-2]`` (:data:`INSTRUMENT`; valid when the level errors are serially
  uncorrelated; the difference is free of the unit effects, which make the level
  a weak instrument when units differ a lot in level); further own lags
  ``dy[i,t-j]``, j >= 2, are exogenous (then the level is the only instrument);
* the driver lags enter in differences (valid for lags >= 1 when the driver is
  predetermined, i.e. it may respond to the outcome's PAST -- feedback -- but not to
  the current shock; lag 0 needs a strictly exogenous driver);
* time effects: a dummy per period in the differenced equation; without time
  effects a constant (a common drift);
* unit-specific linear trends (``transform`` ``detrend``, or ``auto`` finding a
  trend-stationary series) become unit intercepts in the differenced equation;
* estimated by two-stage least squares (linearmodels ``IV2SLS``, ``debiased=True``;
  unit-clustered errors scale by G/(G-1) (n-1)/(n-K)); t and F inference with
  G-1 degrees of freedom like the OLS link test.

Guard rails: fewer than :data:`MIN_USABLE_PERIODS` periods in the differenced
sample, too few observations for the parameters, fewer than 5 clusters, or a
first-stage F below :data:`MIN_FIRST_STAGE_F` (Staiger and Stock's rule of thumb
for one endogenous regressor) give ``insufficient_data`` with the reason.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataError, EstimationError
from . import guards
from .covariance import cluster_scores
from .data import PanelArrays
from .design import Spec, all_untested, decide_auto
from .inference import f_sf, link_estimates
from .lags import bic_lag_order
from .options import Options
from .results import LinkResult, insufficient_link
from .within import absorb

#: caveat of a link whose driver lags were chosen by BIC (the same words as the OLS link test)
BIC_CAVEAT = "driver lags chosen by BIC on the same data: p-values are conditional on that choice"

__all__ = ["MIN_FIRST_STAGE_F", "MIN_USABLE_PERIODS", "IVDesign", "IVFit", "build_iv_fd", "estimate_iv_fd",
           "fit_iv_fd"]

#: first-stage F below this: weak instrument, no verdict (Staiger and Stock 1997)
MIN_FIRST_STAGE_F = 10.0
#: excluded instrument(s) for d y(t-1): "level" y(t-2) (Anderson-Hsiao), "diff" d y(t-2), or "both".
#: "both" (the default): in simulations (20 units x 24 periods, unit effects 3x the noise) the level
#: alone was weak (F < 10) in 21-26% of runs, the pair in 4-8%, with the same bias correction
INSTRUMENT = "both"
#: fewest periods in the differenced estimation sample
MIN_USABLE_PERIODS = 3


@dataclass
class IVDesign:
    """The differenced equation: outcome, regressors, instrument, sample codes."""

    y: np.ndarray
    X: np.ndarray  # driver lags, own lags (the first is endogenous), controls, dummies/const
    names: list[str]
    Z_excl: np.ndarray  # excluded instrument(s), n x q
    instr_names: list[str]
    endog: list[int]  # columns of X that are instrumented
    u: np.ndarray
    t: np.ndarray
    n_candidates: int
    start: int
    n_structural: int  # trailing dummy/const columns
    #: period/unit dummies (or the constant) partialled out of y, X and Z_excl instead of entering X
    #: (Frisch-Waugh: the same 2SLS coefficients and sandwich); counted in K for degrees of freedom
    absorbed: int = 0

    @property
    def n_params(self) -> int:
        """K: the regressors in X plus the partialled-out dummies."""
        return int(self.X.shape[1]) + self.absorbed


@dataclass
class IVFit:
    params: np.ndarray
    cov: np.ndarray
    df_resid: int  # n - K
    df_inference: int
    nobs: int
    first_stage: dict[str, Any] | None
    note: str


def build_iv_fd(
    pa: PanelArrays, y_col: str, x_col: str, lags: Sequence[int], own_lags: int, controls: Sequence[str],
    *, time_effects: bool, unit_intercepts: bool, instrument: str | None = None, partial: bool = False,
) -> IVDesign:
    """Rows of the differenced equation where every term and the instrument are present.

    The period dummies and unit intercepts (or the constant) enter X as columns, or, with
    ``partial``, are partialled out of the outcome, the regressors and the instruments (within
    transformation; alternating projections for an unbalanced two-way sample) and only counted:
    the same two-stage least-squares coefficients and covariance (Frisch-Waugh), without a dense
    column per unit -- thousands of units stay fast.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from bsc_toolkit.history.frame import KPIHistory
    >>> from bsc_toolkit.evidence.data import PanelArrays
    >>> rng = np.random.default_rng(0)
    >>> idx = pd.MultiIndex.from_product([["a", "b", "c"], range(6)])
    >>> h = KPIHistory(pd.DataFrame(rng.normal(size=(18, 2)), index=idx, columns=["x", "y"]),
    ...                pd.RangeIndex(6), is_panel=True)
    >>> d = build_iv_fd(PanelArrays.from_history(h), "y", "x", [1], 1, (), time_effects=True,
    ...                 unit_intercepts=False)
    >>> d.names[:2], d.instr_names, len(d.y)
    (['x.L1', 'y.L1'], ['y.L2 (level)', 'y.L2 (difference)'], 9)
    """
    instrument = instrument or INSTRUMENT
    lags = [int(v) for v in lags]
    start = max(max(lags) + 1, own_lags + 1, 2 if own_lags else 1)
    N, T = len(pa.units), pa.n_periods
    arrays, names = pa.regressors(y_col, [(x_col, lags)], own_lags, controls, diff=True)
    inames: list[str] = []
    if own_lags:
        if instrument in ("level", "both"):
            arrays.append(pa.lagged(y_col, 2, False))
            inames.append(f"{y_col}.L2 (level)")
        if instrument == "diff" or (instrument == "both" and own_lags < 2):
            # with two or more own lags d y(t-2) is a regressor (exogenous) already
            arrays.append(pa.lagged(y_col, 2, True))
            inames.append(f"{y_col}.L2 (difference)")
    n_inst = len(inames)
    if instrument in ("diff", "both"):
        start = max(start, 3)
    stack = np.stack([a[:, start:] for a in arrays], axis=-1) if T > start else np.empty((N, 0, len(arrays)))
    ok = np.isfinite(stack).all(axis=-1)
    uu, tt = np.nonzero(ok)
    vals = stack[uu, tt]
    tt = tt + start
    y = vals[:, 0]
    k0 = len(names)
    X = vals[:, 1:1 + k0]
    Zx = vals[:, 1 + k0:]
    u_codes = np.unique(uu, return_inverse=True)[1] if len(uu) else uu
    periods = np.unique(tt)
    struct: list[np.ndarray] = []
    snames: list[str] = []
    if time_effects:
        drop_first = unit_intercepts
        for p in periods[1 if drop_first else 0:]:
            struct.append((tt == p).astype(float))
            snames.append(f"_period_{int(p)}")
    elif not unit_intercepts:
        struct.append(np.ones(len(y)))
        snames.append("const")
    if unit_intercepts:
        for i in range(int(u_codes.max()) + 1 if len(u_codes) else 0):
            struct.append((u_codes == i).astype(float))
            snames.append(f"_unit_{i}")
    t_codes = (tt - tt.min() if len(tt) else tt).astype(np.int64)
    u_codes = u_codes.astype(np.int64)
    Zx = Zx.reshape(len(y), n_inst)
    if partial and snames and len(y):
        M = _partial_structural(np.column_stack([y, X, Zx]), u_codes, t_codes, time_effects, unit_intercepts)
        return IVDesign(M[:, 0], M[:, 1:1 + k0], list(names), M[:, 1 + k0:], inames,
                        [len(lags)] if own_lags else [], u_codes, t_codes, N * max(T - start, 0), start, 0,
                        absorbed=len(snames))
    if struct:
        X = np.column_stack([X, *struct])
    X = X.reshape(len(y), len(names) + len(snames))
    return IVDesign(y, X, [*names, *snames], Zx, inames, [len(lags)] if own_lags else [], u_codes,
                    t_codes, N * max(T - start, 0), start, len(snames))


def _partial_structural(M: np.ndarray, u: np.ndarray, t: np.ndarray, time_effects: bool,
                        unit_intercepts: bool) -> np.ndarray:
    """The columns of M net of the differenced equation's structural terms: period dummies and
    unit intercepts (the two-way within transformation), either one, or the constant."""
    if not (time_effects or unit_intercepts):
        return M - M.mean(axis=0)
    effects = "both" if time_effects and unit_intercepts else "time" if time_effects else "unit"
    return absorb(M, u, t, effects, False, balanced=False)


def _sandwich(H: np.ndarray, e: np.ndarray, A: np.ndarray, u: np.ndarray, cov: str, k: int) -> np.ndarray:
    """Covariance of a (two-stage) least-squares fit with linearmodels' ``debiased=True`` conventions.

    ``H`` holds the (projected) regressors, ``A = (H'X)^-1``; ``k`` the number of parameters.
    """
    n = len(e)
    if cov == "unadjusted":
        return A * float(e @ e) / (n - k)
    he = H * e[:, None]
    if cov == "robust":
        return A @ (he.T @ he) @ A.T * n / (n - k)
    s = cluster_scores(he, u)
    g = s.shape[0]
    return A @ (s.T @ s) @ A.T * g / (g - 1) * (n - 1) / (n - k)


def _first_stage_numpy(d: IVDesign, cov: str) -> dict[str, Any]:
    """First-stage diagnostics of the instrumented column as linearmodels reports them (tested)."""
    from scipy.special import chdtrc

    n = len(d.y)
    j = d.endog[0]
    exog = np.delete(d.X, d.endog, axis=1)
    W = np.column_stack([exog, d.Z_excl])
    x = d.X[:, j]
    pw = np.linalg.pinv(W)
    b = pw @ x
    e = x - W @ b
    q = d.Z_excl.shape[1]
    k_w = W.shape[1] + d.absorbed
    C = _sandwich(W, e, pw @ pw.T, d.u, cov, k_w)[-q:, -q:]
    stat = float(b[-q:] @ np.linalg.solve(C, b[-q:]))
    f = stat / q
    p = float(f_sf(f, q, n - k_w)) if cov == "unadjusted" else float(chdtrc(q, stat))
    px = np.linalg.pinv(exog) if exog.shape[1] else np.zeros((0, n))
    ex = x - exog @ (px @ x) if exog.shape[1] else x
    ez = d.Z_excl - exog @ (px @ d.Z_excl) if exog.shape[1] else d.Z_excl
    r = ex - ez @ np.linalg.lstsq(ez, ex, rcond=None)[0]
    return {"f_stat": f, "p_value": p, "partial_r2": 1 - float(r @ r) / float(ex @ ex), "n_instruments": q}


def fit_iv_fd_numpy(d: IVDesign, *, cov: str) -> IVFit:
    """Two-stage least squares in numpy, with the conventions of linearmodels' ``IV2SLS(debiased=True)``
    (equal to it to rounding; a test checks estimates, covariances and first-stage statistics)."""
    if cov not in ("unadjusted", "robust", "clustered"):
        raise DataError(f"estimator 'iv-fd' supports cov unadjusted, robust or clustered, got {cov!r}")
    n, K = len(d.y), d.n_params
    if d.endog:
        exog = np.delete(d.X, d.endog, axis=1)
        Z = np.column_stack([exog, d.Z_excl])
        H = Z @ (np.linalg.pinv(Z) @ d.X)  # projected regressors
    else:
        H = d.X
    try:
        A = np.linalg.inv(H.T @ d.X)
    except np.linalg.LinAlgError as exc:
        raise EstimationError(f"iv-fd: two-stage least squares failed: {exc}") from None
    b = A @ (H.T @ d.y)
    e = d.y - d.X @ b
    V = _sandwich(H, e, A, d.u, cov, K)
    fs = _first_stage_numpy(d, cov) if d.endog else None
    df_resid, df_inf, note = _iv_df(n - K, cov, d.u)
    return IVFit(b, (V + V.T) / 2, df_resid, df_inf, n, fs, note)


def _iv_df(df_resid: int, cov: str, u: np.ndarray) -> tuple[int, int, str]:
    n_u = len(np.unique(u))
    if cov == "clustered" and n_u - 1 < df_resid:
        return df_resid, n_u - 1, (f"unit-clustered (G/(G-1) (n-1)/(n-K)): t and F inference with G-1 = "
                                   f"{n_u - 1} degrees of freedom (residual df {df_resid})")
    return df_resid, df_resid, ""


def fit_iv_fd(d: IVDesign, *, cov: str) -> IVFit:
    """Two-stage least squares with linearmodels ``IV2SLS`` (``debiased=True``).

    ``cov``: ``unadjusted``, ``robust`` or ``clustered`` (by unit). The first-stage F is
    linearmodels' ``first_stage.diagnostics`` ``f.stat``: the Wald statistic of the
    excluded instrument in the first-stage regression with the model's covariance
    (for one instrument the square of its t statistic).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from bsc_toolkit.history.frame import KPIHistory
    >>> from bsc_toolkit.evidence.data import PanelArrays
    >>> rng = np.random.default_rng(0)
    >>> idx = pd.MultiIndex.from_product([[f"u{i}" for i in range(30)], range(12)])
    >>> h = KPIHistory(pd.DataFrame(rng.normal(size=(360, 2)), index=idx, columns=["x", "y"]),
    ...                pd.RangeIndex(12), is_panel=True)
    >>> d = build_iv_fd(PanelArrays.from_history(h), "y", "x", [1], 1, (), time_effects=True,
    ...                 unit_intercepts=False)
    >>> f = fit_iv_fd(d, cov="clustered")
    >>> f.df_inference, f.first_stage["f_stat"] > 10
    (29, True)
    """
    import pandas as pd
    from linearmodels.iv import IV2SLS

    if cov not in ("unadjusted", "robust", "clustered"):
        raise DataError(f"estimator 'iv-fd' supports cov unadjusted, robust or clustered, got {cov!r}")
    if d.absorbed:
        raise ValueError("fit_iv_fd needs the dummies as columns: build the design with partial=False")
    n, K = d.X.shape
    endog = list(d.endog)
    exog_cols = [j for j in range(K) if j not in endog]
    ex = pd.DataFrame(d.X[:, exog_cols], columns=[d.names[j] for j in exog_cols])
    en = pd.DataFrame(d.X[:, endog], columns=[d.names[j] for j in endog]) if endog else None
    zz = pd.DataFrame(d.Z_excl, columns=d.instr_names) if endog else None
    kw: dict[str, Any] = {"debiased": True}
    if cov == "clustered":
        kw.update(cov_type="clustered", clusters=pd.Series(d.u, name="unit"))
    else:
        kw.update(cov_type=cov)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res: Any = IV2SLS(pd.Series(d.y, name="dy"), ex, en, zz).fit(**kw)
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise EstimationError(f"iv-fd: linearmodels IV2SLS failed: {exc}") from None
    order = [d.names[j] for j in range(K)]
    b = res.params.reindex(order).to_numpy(dtype=float)
    V = res.cov.reindex(index=order, columns=order).to_numpy(dtype=float)
    fs = None
    if endog:
        diag = res.first_stage.diagnostics
        row = diag.loc[d.names[endog[0]]]
        q = len(d.instr_names)
        # linearmodels reports the Wald statistic (chi2(q)) unless the covariance is unadjusted
        f = float(row["f.stat"]) / (q if cov != "unadjusted" else 1)
        fs = {"f_stat": f, "p_value": float(row["f.pval"]), "partial_r2": float(row["partial.rsquared"]),
              "n_instruments": q}
    df_resid, df_inf, note = _iv_df(n - K, cov, d.u)
    return IVFit(b, V, df_resid, df_inf, n, fs, note)


def _iv_transform(pa: PanelArrays, y_col: str, x_col: str, opts: Options, caveats: list[str]) -> tuple[bool, str]:
    """Whether unit-specific trends enter (as unit intercepts of the differenced equation), and why."""
    if opts.transform != "auto":
        return opts.transform == "detrend", f"as requested (transform='{opts.transform}')"
    cols = (y_col, x_col)
    tr, why = decide_auto(pa, cols, opts.effects)
    if all_untested(pa, cols, opts.effects):
        caveats.append("short panel: too few periods for trend tests; unit-specific trends shared "
                       "by driver and outcome would be unit intercepts in the differenced "
                       "equation, which iv-fd then leaves out (spurious link); consider "
                       "transform='detrend'")
    if tr == "diff":
        caveats.append("iv-fd with a unit root not ruled out: the level instrument is weak when "
                       "the outcome is close to a random walk (see the first-stage F)")
    return tr == "detrend", "auto: " + why


def _iv_lags(pa: PanelArrays, y_col: str, x_col: str, lags: Sequence[int] | None, opts: Options,
             method: dict[str, Any], caveats: list[str]) -> tuple[list[int], str | None]:
    """Explicit lags, lag 0, or 1..p by BIC on the differenced equation (OLS)."""
    if lags is not None:
        method["lag_selection"] = "explicit"
        return sorted(int(v) for v in lags), None
    if opts.max_lag <= 0:
        method["lag_selection"] = "explicit"
        caveats.append("max_lag 0: the contemporaneous value of the driver only")
        return [0], None
    T, o = pa.n_periods, opts
    start = max(o.max_lag + 1, o.own_lags + 1, 2)
    if T - start < MIN_USABLE_PERIODS:
        return [], (f"too few periods for iv-fd: {max(T - start, 0)} usable periods after "
                    f"differencing, lags 1-{o.max_lag} and the instrument y(t-2), at least "
                    f"{MIN_USABLE_PERIODS} needed ({start + MIN_USABLE_PERIODS} periods in all, the "
                    f"data have {T})")
    time_eff = o.effects == "both"
    spec = Spec("diff", "", "time" if time_eff else "none", o.cov, True)
    choice = bic_lag_order(pa, y_col, [(x_col, None)], o.max_lag, o.own_lags, o.controls, spec,
                           max(o.max_lag, o.own_lags) + 1)
    method["lag_selection"] = "bic"
    method["lag_selection_detail"] = choice.detail() + " (OLS on the differenced equation)"
    return list(range(1, choice.p + 1)), None


def _iv_guards(d: IVDesign, y_col: str, cov: str) -> str | None:
    n, K, ns = len(d.y), d.n_params, d.n_structural + d.absorbed
    n_u = int(len(np.unique(d.u))) if n else 0
    if float(np.std(d.y)) <= 1e-10 * max(float(np.abs(d.y).max()), 1e-300):
        return f"outcome '{y_col}' is constant in first differences"
    k = d.X.shape[1]
    order = list(range(k - d.n_structural, k)) + list(range(k - d.n_structural))
    why = guards.collinear(d.X, d.names, order, " of the differenced equation")
    if why:
        return why
    if n - K < guards.MIN_DF_RESID:
        return (f"too few observations for iv-fd: {n} observations in the differenced equation, {K} "
                f"coefficients (incl. {ns} period/unit dummies), residual degrees of freedom {n - K} < "
                f"{guards.MIN_DF_RESID}")
    if cov == "clustered" and n_u < guards.MIN_CLUSTERS:
        return (f"unit-clustered errors need at least {guards.MIN_CLUSTERS} units, the sample has {n_u}; "
                f"use cov='robust'")
    return None


def _first_stage(d: IVDesign, fit: IVFit, method: dict[str, Any], caveats: list[str]) -> str | None:
    """Record the first stage; a reason when the instrument is weak."""
    if fit.first_stage is None:
        method.update(instruments=[], endogenous=[], first_stage=None)
        caveats.append("iv-fd without own lags: nothing to instrument, OLS on the differenced equation")
        return None
    fs = fit.first_stage
    method["instruments"] = list(d.instr_names)
    method["endogenous"] = [f"{d.names[j]} (differenced)" for j in d.endog]
    method["first_stage"] = {
        "f_stat": fs["f_stat"], "p_value": fs["p_value"], "partial_r2": fs["partial_r2"],
        "min_f": MIN_FIRST_STAGE_F, "n_instruments": fs["n_instruments"],
        "test": ("Wald statistic of the excluded instrument(s) in the first-stage regression "
                 "with the model's covariance, divided by their number (linearmodels "
                 "first_stage.diagnostics f.stat; one instrument: t squared)")}
    if math.isfinite(fs["f_stat"]) and fs["f_stat"] >= MIN_FIRST_STAGE_F:
        return None
    return (f"weak instrument: first-stage F = {fs['f_stat']:.2f} < {MIN_FIRST_STAGE_F:g} for "
            f"{d.names[d.endog[0]]} (differenced) instrumented by {' and '.join(d.instr_names)}; the "
            f"iv-fd estimate would be unreliable (use estimator='ols')")


def _iv_standardized(d: IVDesign, effect: float | None) -> float | None:
    """sds of the differenced driver and outcome after the dummies."""
    if effect is None:
        return None
    K, ns = d.X.shape[1], d.n_structural
    R = np.column_stack([d.y, d.X[:, 0]])
    if ns:
        S = d.X[:, K - ns:]
        R = R - S @ np.linalg.lstsq(S, R, rcond=None)[0]
    sy, sx = float(np.std(R[:, 0])), float(np.std(R[:, 1]))
    return effect * sx / sy if sy > 0 else None


def estimate_iv_fd(
    pa: PanelArrays, y_col: str, x_col: str, *, base: dict[str, Any], method: dict[str, Any],
    lags: Sequence[int] | None, opts: Options,
) -> LinkResult:
    """The ``iv-fd`` link test; called by :func:`.linktest.estimate_link` (same result shape)."""
    time_eff = opts.effects == "both"
    caveats: list[str] = []
    method["estimator"] = "iv-fd"
    method["engine"] = ("linearmodels IV2SLS" if opts.engine == "linearmodels"
                        else "numpy two-stage least squares (linearmodels IV2SLS conventions)")
    unit_int, why = _iv_transform(pa, y_col, x_col, opts, caveats)
    method["transform"] = "detrend" if unit_int else "diff"
    method["transform_reason"] = (
        "iv-fd: first differences within unit remove the unit effects"
        + ("; unit-specific linear trends enter as unit intercepts in the differenced equation"
           if unit_int else "") + f" ({why})")
    method["time_effects"] = ("a dummy per period in the differenced equation" if time_eff
                              else "none (a constant in the differenced equation: a common drift)")
    lag_list, reason = _iv_lags(pa, y_col, x_col, lags, opts, method, caveats)
    if reason:
        return insufficient_link(base, reason)
    method["lags"] = lag_list
    if 0 in lag_list:
        caveats.append("iv-fd with driver lag 0: the differenced driver d x(t) is valid only if the "
                       "driver is strictly exogenous (it does not respond to the outcome)")
    d = build_iv_fd(pa, y_col, x_col, lag_list, opts.own_lags, opts.controls, time_effects=time_eff,
                    unit_intercepts=unit_int, partial=opts.engine != "linearmodels")
    T = pa.n_periods
    if T - d.start < MIN_USABLE_PERIODS:
        return insufficient_link(
            base, f"too few periods for iv-fd: {max(T - d.start, 0)} usable periods after differencing, "
            f"{guards.lag_text(lag_list)}, {opts.own_lags} own lag(s) and the instrument y(t-2), at least "
            f"{MIN_USABLE_PERIODS} needed (the data have {T})")
    n = len(d.y)
    base.update(n_obs=n, n_dropped=int(d.n_candidates - n), n_units=int(len(np.unique(d.u))) if n else 0,
                n_periods=int(len(np.unique(d.t))) if n else 0)
    if n == 0:
        return insufficient_link(base, "no period has the differenced outcome, every driver lag, control "
                                       "and the instrument all present")
    reason = _iv_guards(d, y_col, opts.cov)
    if reason:
        return insufficient_link(base, reason)
    try:
        fit = (fit_iv_fd(d, cov=opts.cov) if opts.engine == "linearmodels"
               else fit_iv_fd_numpy(d, cov=opts.cov))
    except EstimationError as exc:
        return insufficient_link(base, str(exc))
    reason = _first_stage(d, fit, method, caveats)
    if reason:
        return insufficient_link(base, reason)
    method["df_resid"], method["df_inference"] = fit.df_resid, fit.df_inference
    method["covariance_detail"] = "; ".join(
        x for x in (f"{d.n_structural + d.absorbed} period/unit dummies counted in K"
                    + (" (partialled out)" if d.absorbed else ""), fit.note) if x)
    out = dict(base)
    out.update(link_estimates(d.names, lag_list, opts.own_lags, fit.params, fit.cov, fit.df_inference,
                              opts.alpha, caveats))
    out["standardized_effect"] = _iv_standardized(d, out["long_run"]["estimate"])
    out.update(q_value=None, verdict="not_supported",
               reason="provisional: verdict set after the multiple-testing correction")
    if lags is None:
        caveats.append(BIC_CAVEAT)
    caveats.append("iv-fd (Anderson-Hsiao): consistent in short panels when the level errors are "
                   "serially uncorrelated and the driver is predetermined, but less precise than "
                   "the OLS fixed-effects test (wider intervals, lower power)")
    out["caveats"] = caveats
    return LinkResult(out)

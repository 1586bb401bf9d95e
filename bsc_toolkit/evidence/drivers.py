"""Driver models: each lagging Financial KPI regressed jointly on every leading KPI that reaches it.

For a lagging Financial KPI ``y`` the leading KPIs are found by walking the
scorecard's links backwards (direct drivers, drivers of drivers, ...; an
objective stands for its primary KPI). The model has the design of the link
tests (:mod:`.linktest`)::

    y[i,t] = sum_k sum_l b_kl x_k[i,t-l] + sum_j rho_j y[i,t-j] + c' z[i,t] (+ trend) + a_i + d_t + e

with each driver's explicit lags when a direct link lists them, otherwise lags
1..p with one p <= max_lag chosen by BIC for the joint model; the same transform
(``auto``: ADF/KPSS over all the model's series), effects and covariance. It
reports a joint Wald (F) test that all leading KPIs add nothing, each driver's
long-run effect (sum of its lag coefficients) with a CI, and an out-of-sample
check: rolling-origin splits over periods (scikit-learn ``TimeSeriesSplit``,
pooled across units), one-step-ahead forecasts of the model and of an
own-past-only baseline, both refitted on each training window (unit effects and
trends estimated on the training periods only), RMSE/MAE per fold and overall,
the relative RMSE and an approximate Diebold-Mariano test of equal accuracy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import guards
from .data import PanelArrays
from .design import Sample, Spec, absorbed, build_sample, make_spec, method_dict
from .estimators import fit
from .inference import estimate, f_sf, t_sf
from .lags import bic_lag_order
from .within import absorb, n_effects, n_trends

if TYPE_CHECKING:
    from ..scorecard.model import Link, Scorecard


__all__ = ["driver_models", "leading_kpis", "lagging_financial_kpis"]

#: default number of rolling-origin folds
N_SPLITS = 5


# ------------------------------------------------------------------ the map
def _kpi_edges(scorecard: Scorecard) -> list[tuple[str, str, Link]]:
    out = []
    for lk in scorecard.links:
        try:
            out.append((scorecard.kpi_for(lk.source).id, scorecard.kpi_for(lk.target).id, lk))
        except KeyError:
            continue
    return out


def lagging_financial_kpis(scorecard: Scorecard) -> list[str]:
    """KPIs of Financial objectives that are lagging (or not marked leading), in scorecard order.

    Examples
    --------
    >>> from bsc_toolkit.scorecard import load_example
    >>> lagging_financial_kpis(load_example("retail"))[:2]
    ['lfl_sales_growth', 'online_revenue_share']
    """
    out = []
    for o, k in scorecard.iter_kpis():
        if o.perspective.value == "financial" and k.indicator != "leading":
            out.append(k.id)
    return out


def leading_kpis(scorecard: Scorecard, kpi: str) -> list[tuple[str, bool]]:
    """The KPIs that reach ``kpi`` through the links, as ``(kpi id, is a direct driver)``.

    Walks the links backwards (breadth first). Other lagging Financial KPIs are
    not leading indicators and are left out, as is ``kpi`` itself.

    Examples
    --------
    >>> from bsc_toolkit.scorecard import load_example
    >>> [k for k, direct in leading_kpis(load_example("retail"), "lfl_sales_growth") if direct]
    ['customer_retention', 'basket_value', 'new_members']
    """
    edges = _kpi_edges(scorecard)
    lag_fin = set(lagging_financial_kpis(scorecard))
    seen: dict[str, bool] = {}
    frontier = [kpi]
    depth = 0
    while frontier:
        nxt = []
        for tgt in frontier:
            for f, t, _ in edges:
                if t == tgt and f != kpi and f not in seen and f not in lag_fin:
                    seen[f] = depth == 0
                    nxt.append(f)
        frontier = nxt
        depth += 1
    return list(seen.items())


# ---------------------------------------------------------------- main entry
def driver_models(
    scorecard: Scorecard,
    pa: PanelArrays,
    *,
    effects: str,
    cov: str,
    own_lags: int = 1,
    controls: Sequence[str] = (),
    max_lag: int = 2,
    transform: str = "auto",
    alpha: float = 0.05,
    engine: str = "auto",
    n_splits: int = N_SPLITS,
) -> list[dict[str, Any]]:
    """One driver model per lagging Financial KPI reached by at least one link.

    ``effects``/``cov`` must already be resolved (not ``auto``). Never raises for
    weak data: a model that cannot be estimated gets ``status`` ``insufficient_data``
    and a ``reason``; an impossible out-of-sample check gets its own reason.

    Examples
    --------
    >>> from bsc_toolkit.history import simulate_history  # doctest: +SKIP
    >>> sim = simulate_history("retail", n_units=20, n_periods=30)  # doctest: +SKIP
    >>> pa = PanelArrays.from_history(sim.history)  # doctest: +SKIP
    >>> dm = driver_models(load_example("retail"), pa, effects="both", cov="clustered")  # doctest: +SKIP
    >>> dm[0]["joint_test"]["p_value"] < 0.05  # doctest: +SKIP
    True
    """
    out = []
    edges = _kpi_edges(scorecard)
    for y in lagging_financial_kpis(scorecard):
        if y not in pa.columns:
            continue
        lead = [(k, d) for k, d in leading_kpis(scorecard, y) if k in pa.columns]
        if not lead:
            continue
        explicit: dict[str, list[int]] = {}
        for f, t, lk in edges:
            if t == y and lk.lags is not None and f in dict(lead):
                explicit.setdefault(f, [])
                explicit[f] = sorted(set(explicit[f]) | set(lk.lags))
        out.append(_one_model(scorecard, pa, y, lead, explicit, effects=effects, cov=cov,
                              own_lags=own_lags, controls=controls, max_lag=max_lag,
                              transform=transform, alpha=alpha, engine=engine, n_splits=n_splits))
    return out


def _objective(scorecard: Scorecard, kpi: str) -> tuple[str | None, str | None]:
    try:
        o = scorecard.objective_of(kpi)
        return o.id, o.perspective.value
    except KeyError:
        return None, None


def _choose(pa: PanelArrays, y: str, lead: list[tuple[str, bool]], explicit: dict[str, list[int]],
            spec: Spec, *, max_lag: int, own_lags: int, controls: Sequence[str]) -> tuple[dict[str, list[int]], str, str | None]:
    """Each driver's lags (explicit, or 1..p with one p by BIC): ``(lags, detail, reason)``."""
    bic_drivers = [k for k, _ in lead if k not in explicit]
    p_sel, detail = 1, ""
    if bic_drivers and max_lag > 0:
        start = max([max_lag, own_lags, *[max(v) for v in explicit.values()]]) + (1 if spec.diff else 0)
        T = pa.n_periods
        if T - start < 3:
            return {}, "", (f"too few periods for the lags: {max(T - start, 0)} usable periods after lags "
                            f"1-{max_lag} and {own_lags} own lag(s), at least 3 needed")
        choice = bic_lag_order(pa, y, [(k, explicit.get(k)) for k, _ in lead], max_lag, own_lags, controls,
                               spec, start)
        p_sel = choice.p
        detail = choice.detail("lags 1..p of the drivers without explicit lags, p by BIC of the joint model")
    elif bic_drivers:
        p_sel = 0
    lags = {k: (explicit[k] if k in explicit else list(range(1, p_sel + 1)) if p_sel else [0])
            for k, _ in lead}
    return lags, detail, None


def _guard(d: Sample, ya: np.ndarray, Xa: np.ndarray, spec: Spec, y: str) -> str | None:
    if float(np.std(ya)) <= 1e-10 * max(float(np.abs(d.y).max()), 1e-300):
        return f"outcome '{y}' is constant after transform '{spec.transform}'"
    why = guards.collinear(Xa, d.names, d.structural_first(), "")
    if why:
        return why
    k, n_u, n_t = d.X.shape[1], d.n_units, d.n_periods
    neff = n_effects(spec.absorb_effects, n_u, n_t) if spec.is_panel else 0
    ntr = n_trends(spec.absorb_effects, n_u) if spec.unit_trends else 0
    return guards.too_few_df(d.n, k, neff, 0, d.n - k - neff - ntr) or guards.too_few_clusters(spec, n_u)


def _driver_effects(d: Sample, Xa: np.ndarray, ya: np.ndarray, b: np.ndarray, V: np.ndarray, df: int,
                    alpha: float, drivers_info: list[dict[str, Any]]) -> None:
    """Each driver's terms, cumulative effect and standardized effect (in place)."""
    se = np.sqrt(np.clip(np.diag(V), 0, None))
    # standardized effects like the link tests: sds after the transform and the effects; without
    # absorbed effects, the constant and trend are partialled out (a detrended single series)
    struct = [j for j, nm in enumerate(d.names) if nm in ("const", "trend")]
    Sx = Xa[:, struct]

    def resid(v: np.ndarray) -> np.ndarray:
        return v - Sx @ np.linalg.lstsq(Sx, v, rcond=None)[0] if struct else v

    sy = float(np.std(resid(ya)))
    pos = 0
    for di in drivers_info:
        idx = np.arange(pos, pos + len(di["lags"]))
        pos += len(di["lags"])
        lr = float(b[idx].sum())
        lr_se = math.sqrt(max(float(V[np.ix_(idx, idx)].sum()), 0.0))
        di["terms"] = [{"name": d.names[j], "lag": lag, **estimate(float(b[j]), float(se[j]), df, alpha)}
                       for j, lag in zip(idx, di["lags"], strict=True)]
        di["long_run"] = estimate(lr, lr_se, df, alpha)
        sx = float(np.std(resid(Xa[:, idx[0]])))
        di["standardized_effect"] = lr * sx / sy if sy > 0 else None


def _joint(b: np.ndarray, V: np.ndarray, m: int, df: int, cov: str) -> dict[str, Any]:
    bd, Vd = b[:m], V[:m, :m]
    F: float | None = None
    jp: float | None = None
    try:
        stat = float(bd @ np.linalg.solve(Vd, bd)) / m
        F, jp = stat, float(f_sf(stat, m, df))
    except np.linalg.LinAlgError:
        pass
    return {"null": "every lag of every leading KPI has coefficient zero (the leading KPIs add nothing)",
            "statistic": F, "df_num": m, "df_den": int(df), "p_value": jp,
            "test": f"Wald F test with the model's {cov} covariance"}


def _caveats(spec: Spec, own_lags: int, n_t: int, drivers_info: list[dict[str, Any]]) -> list[str]:
    out = []
    if spec.is_panel and own_lags and spec.effects in ("unit", "both") and n_t < 30:
        out.append(f"Nickell bias: unit fixed effects with {n_t} usable periods bias the own-lag "
                   f"coefficients towards zero")
    if any(0 in (di["lags"] or []) for di in drivers_info):
        out.append("a driver enters with lag 0: its out-of-sample 'forecasts' use the same period's "
                   "driver value (a nowcast)")
    if any(di["lag_selection"] == "bic" for di in drivers_info):
        out.append("lags of drivers without explicit link lags chosen by BIC on the same data")
    out.append("the joint test is not part of the links' FDR correction (one test per Financial KPI)")
    return out


def _full_sample_choices(spec: Spec, drivers_info: list[dict[str, Any]]) -> str:
    full = []
    if spec.transform_reason.startswith("auto"):
        full.append(f"the transform ('{spec.transform}', chosen by ADF/KPSS)")
    if any(di["lag_selection"] == "bic" for di in drivers_info):
        full.append("the driver lags (chosen by BIC)")
    head = (" and ".join(full) + " were decided on the full sample, test periods included: a mild "
            "look-ahead; ") if full else "no design choice used the test periods; "
    return head + "coefficients, unit effects and unit trends of each fold come from its training periods only"


def _one_model(
    scorecard: Scorecard, pa: PanelArrays, y: str, lead: list[tuple[str, bool]], explicit: dict[str, list[int]],
    *, effects: str, cov: str, own_lags: int, controls: Sequence[str], max_lag: int, transform: str,
    alpha: float, engine: str, n_splits: int,
) -> dict[str, Any]:
    obj, _ = _objective(scorecard, y)
    drivers_info: list[dict[str, Any]] = []
    for k, direct in lead:
        o, p = _objective(scorecard, k)
        drivers_info.append({"kpi": k, "objective": o, "perspective": p, "direct": direct,
                             "lags": explicit.get(k), "lag_selection": "explicit" if k in explicit else "bic"})
    res: dict[str, Any] = {
        "outcome": obj, "outcome_kpi": y, "drivers": drivers_info, "status": "estimated", "reason": "",
        "joint_test": None, "n_obs": 0, "n_units": 0, "n_periods": 0, "method": {},
        "out_of_sample": None, "caveats": [],
    }
    cols = [y] + [k for k, _ in lead]
    for c in cols:
        if not np.isfinite(pa.col(c)).any():
            return _fail(res, f"KPI '{c}' has no values in the data")
    spec = make_spec(pa, cols, transform=transform, effects=effects, cov=cov)
    lag_of, lag_detail, why = _choose(pa, y, lead, explicit, spec, max_lag=max_lag, own_lags=own_lags,
                                      controls=controls)
    if why:
        return _fail(res, why)
    bic_drivers = [k for k, _ in lead if k not in explicit]
    for di in drivers_info:
        di["lags"] = lag_of[di["kpi"]]
    d = build_sample(pa, y, [(k, lag_of[k]) for k, _ in lead], own_lags, controls, spec)
    res.update(n_obs=d.n, n_units=d.n_units, n_periods=d.n_periods)
    res["method"] = method_dict(spec, own_lags=own_lags, controls=controls, engine="",
                                lag_selection="explicit/bic" if explicit and bic_drivers else
                                ("explicit" if not bic_drivers else "bic"))
    if lag_detail:
        res["method"]["lag_selection_detail"] = lag_detail
    if d.n == 0:
        return _fail(res, "no period has the outcome, every driver lag and control all present")
    ya, Xa = absorbed(d, spec)
    why = _guard(d, ya, Xa, spec, y)
    if why:
        return _fail(res, why)
    f, eng = fit(d, spec, engine)
    res["method"].update(engine=eng, df_resid=f.df_resid, df_inference=f.df_inference)
    if f.note:
        res["method"]["covariance_detail"] = f.note
    _driver_effects(d, Xa, ya, f.params, f.cov, f.df_inference, alpha, drivers_info)
    m = d.n_driver_terms
    jt = res["joint_test"] = _joint(f.params, f.cov, m, f.df_inference, cov)
    F, jp = jt["statistic"], jt["p_value"]
    res["own_lag_sum"] = float(f.params[m:m + own_lags].sum()) if own_lags else None
    res["reason"] = (f"joint test of {len(lead)} leading KPI(s): F({m}, {f.df_inference}) = "
                     f"{F:.3g}, p = {jp:.3g}" if F is not None else "joint test not computable")
    res["joint_significant"] = bool(jp is not None and jp <= alpha)
    oos = out_of_sample(d, spec, n_splits=n_splits, alpha=alpha, periods=pa.period_labels)
    if oos.get("status") == "estimated":
        oos["full_sample_choices"] = _full_sample_choices(spec, drivers_info)
    res["out_of_sample"] = oos
    res["caveats"] = _caveats(spec, own_lags, d.n_periods, drivers_info)
    return res


def _fail(res: dict[str, Any], reason: str) -> dict[str, Any]:
    res["status"] = "insufficient_data"
    res["reason"] = reason
    res["out_of_sample"] = None
    return res


# ----------------------------------------------------------- out of sample
def rolling_origin(n: int, n_splits: int, test_size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Expanding-window folds over ``n`` ordered periods: the ``(train, test)`` index arrays of
    ``sklearn.model_selection.TimeSeriesSplit(n_splits, test_size=test_size).split`` (a test checks it).
    """
    idx = np.arange(n)
    starts = range(n - n_splits * test_size, n, test_size)
    return [(idx[:s], idx[s:s + test_size]) for s in starts]


def fit_predict(d: Sample, spec: Spec, cols: np.ndarray, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Fit on the training rows only (effects, unit trends included) and forecast the test rows."""
    X = d.X[:, cols]
    u_tr, t_tr = d.u[train], d.t[train]
    eff = spec.absorb_effects
    # re-code the training sample so that absorb sees 0..n-1 codes
    uc = np.unique(u_tr, return_inverse=True)[1]
    tc = t_tr - t_tr.min()  # grid spacing kept: unit trends stay linear in time
    bal = len(train) == len(np.unique(u_tr)) * len(np.unique(t_tr))
    Z = absorb(np.column_stack([d.y[train], X[train]]), uc, tc, eff, spec.unit_trends, balanced=bal)
    ya, Xa = Z[:, 0], Z[:, 1:]
    if Xa.shape[1]:
        b, *_ = np.linalg.lstsq(Xa, ya, rcond=None)
    else:
        b = np.zeros(0)
    r = d.y[train] - X[train] @ b  # what the effects (and trends) must explain
    pred = X[test] @ b
    if spec.is_panel and eff in ("unit", "both"):
        nu = int(d.u.max()) + 1
        tt = d.t.astype(float)
        cnt = np.bincount(d.u[train], minlength=nu)
        mr = np.bincount(d.u[train], weights=r, minlength=nu) / np.maximum(cnt, 1)
        fallback = float(r.mean())
        a = np.where(cnt > 0, mr, fallback)
        if spec.unit_trends:
            mt = np.bincount(d.u[train], weights=tt[train], minlength=nu) / np.maximum(cnt, 1)
            tcen = tt[train] - mt[d.u[train]]
            stt = np.bincount(d.u[train], weights=tcen * tcen, minlength=nu)
            stv = np.bincount(d.u[train], weights=tcen * (r - a[d.u[train]]), minlength=nu)
            g = np.where(stt > 0, stv / np.where(stt > 0, stt, 1), 0.0)
            pred = pred + a[d.u[test]] + g[d.u[test]] * (tt[test] - mt[d.u[test]])
        else:
            pred = pred + a[d.u[test]]
    else:  # time effects of future periods are unknown: use the training mean (zero-mean effects)
        pred = pred + float(r.mean())
    return pred


def out_of_sample(d: Sample, spec: Spec, *, n_splits: int = N_SPLITS, alpha: float = 0.05,
                  periods: Sequence[str] | None = None) -> dict[str, Any]:
    """Rolling-origin one-step-ahead forecasts: the driver model vs. an own-past-only baseline.

    Folds are consecutive blocks of periods (``sklearn.model_selection.TimeSeriesSplit``
    on the sample's periods, expanding training window); each test period is forecast
    from the fit on all earlier periods only, pooled over units.
    """
    k = d.X.shape[1]
    m = d.n_driver_terms
    full_cols = np.arange(k)
    base_cols = np.arange(m, k)
    period_codes = np.unique(d.t)
    n_t = len(period_codes)
    n_u = len(np.unique(d.u))
    # fewest training periods: enough for the effects plus, per unit, the parameters
    if spec.is_panel:
        min_train = 3 + (1 if spec.unit_trends else 0)
        min_train = max(min_train, int(math.ceil((k + guards.MIN_DF_RESID) / max(n_u, 1))) + 2)
    else:
        min_train = k + guards.MIN_DF_RESID + 2
    splits = min(n_splits, n_t - min_train)
    info: dict[str, Any] = {
        "scheme": "rolling origin, expanding window over periods (sklearn TimeSeriesSplit), one-step-ahead "
                  "forecasts pooled over units; model and baseline refitted on each training window, unit "
                  "effects and trends estimated on the training periods only",
        "baseline": "own past only: the same model without the leading KPIs (own lags, controls, effects)",
    }
    if splits < 2:
        info.update(status="insufficient_data",
                    reason=f"too few periods for an out-of-sample check: {n_t} usable periods, at least "
                           f"{min_train} needed to train plus 2 to test")
        return info
    test_size = max(1, (n_t - min_train) // splits)
    def lab(c: Any) -> Any:
        return periods[int(c)] if periods is not None and int(c) < len(periods) else int(c)

    folds = []
    e_m_all, e_b_all, t_all = [], [], []
    for tr_p, te_p in rolling_origin(n_t, splits, test_size):
        train = np.flatnonzero(np.isin(d.t, period_codes[tr_p]))
        test = np.flatnonzero(np.isin(d.t, period_codes[te_p]))
        e_m = d.y[test] - fit_predict(d, spec, full_cols, train, test)
        e_b = d.y[test] - fit_predict(d, spec, base_cols, train, test)
        e_m_all.append(e_m)
        e_b_all.append(e_b)
        t_all.append(d.t[test])
        pidx_tr = d.period_index[train]
        pidx_te = d.period_index[test]
        folds.append({
            "train": [lab(pidx_tr.min()), lab(pidx_tr.max())], "test": [lab(pidx_te.min()), lab(pidx_te.max())],
            "n_train": int(len(train)), "n_test": int(len(test)),
            "rmse": float(np.sqrt(np.mean(e_m ** 2))), "mae": float(np.mean(np.abs(e_m))),
            "rmse_baseline": float(np.sqrt(np.mean(e_b ** 2))), "mae_baseline": float(np.mean(np.abs(e_b))),
        })
    em, eb, tt = np.concatenate(e_m_all), np.concatenate(e_b_all), np.concatenate(t_all)
    rmse, rmse_b = float(np.sqrt(np.mean(em ** 2))), float(np.sqrt(np.mean(eb ** 2)))
    # Diebold-Mariano on per-period mean loss differences (units pooled within a period)
    dl = eb ** 2 - em ** 2
    per = np.unique(tt)
    dt = np.array([dl[tt == p].mean() for p in per])
    M = len(dt)
    sd = float(np.std(dt, ddof=1)) if M > 1 else 0.0
    if M > 2 and sd > 0:
        dm = float(dt.mean() / (sd / math.sqrt(M)))
        dm *= math.sqrt((M - 1) / M)  # Harvey-Leybourne-Newbold correction for 1-step forecasts
        dm_p = float(t_sf(dm, M - 1))
    else:
        dm, dm_p = None, None
    rel = rmse / rmse_b if rmse_b > 0 else None
    adds = bool(rel is not None and rel < 1 and dm_p is not None and dm_p <= alpha)
    if adds:
        concl = (f"leading KPIs add out-of-sample information: RMSE {rel:.3f} x the baseline's, "
                 f"DM p = {dm_p:.3g}")
    elif rel is not None and rel < 1:
        concl = (f"no clear out-of-sample gain: RMSE {rel:.3f} x the baseline's, but the difference is not "
                 f"significant (DM p = {_p(dm_p)})")
    else:
        concl = (f"leading KPIs do not improve the forecasts: RMSE {rel if rel is not None else float('nan'):.3f} "
                 f"x the baseline's (DM p = {_p(dm_p)})")
    info.update(
        status="estimated", n_splits=int(splits), test_periods_per_fold=int(test_size), folds=folds,
        n_forecasts=int(len(em)), rmse=rmse, mae=float(np.mean(np.abs(em))), rmse_baseline=rmse_b,
        mae_baseline=float(np.mean(np.abs(eb))), relative_rmse=rel, dm_statistic=dm, dm_p_value=dm_p,
        dm_note=("approximate Diebold-Mariano test (one-sided: the model is more accurate) on the "
                 f"per-period mean squared-error differences over {M} test periods, pooled over units, "
                 "Harvey-Leybourne-Newbold correction, t(M-1); the models are nested, which makes it "
                 "conservative"),
        adds_information=adds, conclusion=concl,
    )
    if spec.transform == "diff":
        info["note"] = "errors of the differenced outcome (equal to the errors of its one-step level forecast)"
    return info


def _p(p: float | None) -> str:
    return "n/a" if p is None else f"{p:.3g}"

"""Inference from a coefficient vector and its covariance: t and F tests, intervals, lag choice.

Distributions come straight from ``scipy.special`` (``stdtr``/``stdtrit``/``fdtrc``, the
functions ``scipy.stats.t`` and ``scipy.stats.f`` call), so that thousands of small
tests cost no distribution objects. The derived quantities of a link:

* the **cumulative effect over the lag window**: the sum of the driver's lag coefficients
  (Wooldridge's long-run propensity; stored as ``long_run`` in the evidence file);
* the joint Wald (F) test that every driver lag is zero;
* the **long-run multiplier** ``sum(b) / (1 - sum(rho))``: the permanent response once the
  outcome's own dynamics have played out (delta-method standard error), defined only
  when the own lags sum to less than one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import special

__all__ = [
    "NO_ESTIMATE", "bh_qvalues", "bic", "bic_choose", "estimate", "f_sf", "link_estimates", "link_estimates_many",
    "long_run_summary",
    "norm_quantile", "norm_sf", "t_quantile", "t_sf", "wald_f",
]

#: an estimate that could not be computed (the evidence file's "no result")
NO_ESTIMATE: Mapping[str, float | None] = {"estimate": None, "std_error": None, "ci_low": None,
                                           "ci_high": None, "p_value": None}


def t_quantile(p: float, df: float) -> float:
    """Quantile of Student's t (``scipy.stats.t(df).ppf(p)``)."""
    return float(special.stdtrit(df, p))


def t_sf(x: float | np.ndarray, df: float | np.ndarray) -> Any:
    """Survival function of Student's t (``scipy.stats.t(df).sf(x)``); float or array like ``x``."""
    return special.stdtr(df, -np.asarray(x))


def f_sf(x: float | np.ndarray, dfn: float | np.ndarray, dfd: float | np.ndarray) -> Any:
    """Survival function of the F distribution (``scipy.stats.f(dfn, dfd).sf(x)``); float or array."""
    return special.fdtrc(dfn, dfd, x)


def estimate(est: float, se: float, df: int, alpha: float) -> dict[str, float | None]:
    """An estimate with its standard error, ``1 - alpha`` interval and two-sided p-value, t(df).

    Examples
    --------
    >>> e = estimate(0.5, 0.25, 30, 0.05)
    >>> round(e["ci_low"], 4), round(e["p_value"], 4)
    (-0.0106, 0.0546)
    """
    if not (math.isfinite(est) and math.isfinite(se)) or se <= 0:
        return {"estimate": est if math.isfinite(est) else None,
                "std_error": se if math.isfinite(se) else None,
                "ci_low": None, "ci_high": None, "p_value": None}
    q = t_quantile(1 - alpha / 2, df)
    return {"estimate": est, "std_error": se, "ci_low": est - q * se, "ci_high": est + q * se,
            "p_value": float(2 * t_sf(abs(est / se), df))}


def wald_f(b: np.ndarray, V: np.ndarray, idx: np.ndarray, df: int) -> tuple[float | None, float | None]:
    """Wald F statistic and p-value of ``b[idx] = 0`` with covariance ``V``; (None, None) if singular."""
    try:
        w = float(b[idx] @ np.linalg.solve(V[np.ix_(idx, idx)], b[idx]))
    except np.linalg.LinAlgError:
        return None, None
    F = w / len(idx)
    return F, float(f_sf(F, len(idx), df))


def long_run_summary(
    b: np.ndarray, V: np.ndarray, n_drv: int, own_lags: int, df: int, alpha: float,
    caveats: list[str],
) -> tuple[dict[str, float | None], float | None, dict[str, float | None] | None]:
    """Cumulative effect, joint Wald test and long-run multiplier of the first ``n_drv`` terms.

    The driver lags are ``b[:n_drv]``, the outcome's own lags the next ``own_lags`` terms.
    Returns ``(cumulative, joint_p, multiplier)``; the multiplier is None without own lags
    and :data:`NO_ESTIMATE` (with a caveat appended) when the own lags sum to 1 or more.
    """
    di = np.arange(n_drv)
    oi = np.arange(n_drv, n_drv + own_lags)
    lr = float(b[di].sum())
    lr_se = float(math.sqrt(max(float(V[np.ix_(di, di)].sum()), 0.0)))
    cumulative = estimate(lr, lr_se, df, alpha)
    _, joint_p = wald_f(b, V, di, df)
    multiplier = None
    if own_lags > 0:
        rho = float(b[oi].sum())
        if rho < 1:
            g = np.zeros(len(b))
            g[di] = 1 / (1 - rho)
            g[oi] = lr / (1 - rho) ** 2
            lrm_se = float(math.sqrt(max(float(g @ V @ g), 0.0)))
            multiplier = estimate(lr / (1 - rho), lrm_se, df, alpha)
        else:
            multiplier = dict(NO_ESTIMATE)
            caveats.append(f"own lags sum to {rho:.3f} >= 1: no finite long-run multiplier")
    return cumulative, joint_p, multiplier


def bic(y: np.ndarray, X: np.ndarray) -> float | None:
    """BIC of an OLS fit of ``y`` on ``X`` (n log(SSR/n) + k log n); None when not computable."""
    n, k = X.shape
    if n <= k:
        return None
    b = _ls_coefficients(X, y)
    ssr = float(np.sum((y - X @ b) ** 2))
    if ssr <= 0:
        return None
    return n * math.log(ssr / n) + k * math.log(n)


def _ls_coefficients(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least squares: normal equations for long, well-conditioned designs, else ``lstsq`` (SVD)."""
    n, k = X.shape
    if n > 20_000 and k:
        G = X.T @ X
        d = np.sqrt(np.maximum(np.diag(G), 1e-300))
        ev = np.linalg.eigvalsh(G / d[:, None] / d[None, :])
        if ev[0] > 1e-8 * ev[-1]:
            return np.linalg.solve(G, X.T @ y)
    return np.linalg.lstsq(X, y, rcond=None)[0]


def bic_choose(y: np.ndarray, X: np.ndarray, candidates: Mapping[int, Sequence[int]]) -> tuple[int | None, str]:
    """The lag order whose column set has the lowest BIC on one common sample.

    ``candidates`` maps each order p to the columns of ``X`` its model uses. Returns
    ``(p, "p=1: -12.3, p=2: -10.1")``, or ``(None, "")`` when no BIC is computable.
    """
    crit: dict[int, float] = {}
    for p, cols in candidates.items():
        c = bic(y, X[:, list(cols)])
        if c is not None:
            crit[p] = c
    if not crit:
        return None, ""
    best = min(crit, key=lambda p: crit[p])
    return best, ", ".join(f"p={p}: {c:.1f}" for p, c in crit.items())


def link_estimates(
    names: Sequence[str], lags: Sequence[int], own_lags: int, b: np.ndarray, V: np.ndarray, df: int,
    alpha: float, caveats: list[str],
) -> dict[str, Any]:
    """The numbers of a link in the evidence-file shape, from a fit whose first columns are the
    driver lags and then the own lags: ``terms``, ``own_terms``, ``long_run`` (the cumulative
    effect), ``long_run_multiplier`` (with own lags), ``p_value``, ``joint_p_value``."""
    se = np.sqrt(np.clip(np.diag(V), 0, None))
    nl = len(lags)
    terms = [{"name": names[j], "lag": int(lags[j]), **estimate(float(b[j]), float(se[j]), df, alpha)}
             for j in range(nl)]
    own_terms = [{"name": names[nl + j], "lag": j + 1,
                  **estimate(float(b[nl + j]), float(se[nl + j]), df, alpha)} for j in range(own_lags)]
    cumulative, joint_p, multiplier = long_run_summary(b, V, nl, own_lags, df, alpha, caveats)
    out: dict[str, Any] = {"terms": terms, "own_terms": own_terms, "long_run": cumulative}
    if multiplier is not None:
        out["long_run_multiplier"] = multiplier
    out.update(p_value=cumulative["p_value"], joint_p_value=joint_p)
    return out


def link_estimates_many(
    names: Sequence[Sequence[str]], lags: Sequence[int], own_lags: int, b: np.ndarray, V: np.ndarray,
    df: int, alpha: float,
) -> list[tuple[dict[str, Any], list[str]]]:
    """:func:`link_estimates` of many fits of the same shape at once (``b``: P x k, ``V``: P x k x k):
    the same numbers (to rounding), the t and F functions called once on arrays instead of a few
    times per link. Returns, per fit, the record and the caveats :func:`link_estimates` would add."""
    P, k = b.shape
    nl = len(lags)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(np.clip(np.einsum("pii->pi", V), 0, None))
        lr = b[:, :nl].sum(axis=1)
        lr_se = np.sqrt(np.maximum(V[:, :nl, :nl].sum(axis=(1, 2)), 0.0))
        rho = b[:, nl:nl + own_lags].sum(axis=1)
        g = np.zeros((P, k))
        g[:, :nl] = (1 / (1 - rho))[:, None]
        g[:, nl:nl + own_lags] = (lr / (1 - rho) ** 2)[:, None]
        lrm = lr / (1 - rho)
        lrm_se = np.sqrt(np.maximum(np.einsum("pi,pij,pj->p", g, V, g), 0.0))
        est = np.column_stack([b[:, :nl + own_lags], lr, lrm])
        ses = np.column_stack([se[:, :nl + own_lags], lr_se, lrm_se])
        good = np.isfinite(est) & np.isfinite(ses) & (ses > 0)
        q = t_quantile(1 - alpha / 2, df)
        pv = 2 * t_sf(np.abs(np.where(good, est / np.where(good, ses, 1.0), 0.0)), df)
    F = np.full(P, np.nan)
    try:
        Vd = V[:, :nl, :nl]
        F = np.einsum("pi,pi->p", b[:, :nl], np.linalg.solve(Vd, b[:, :nl, None])[..., 0]) / nl
        singular = np.zeros(P, bool)
    except np.linalg.LinAlgError:  # one singular block: each fit on its own, as link_estimates does
        singular = np.ones(P, bool)
    joint = f_sf(F, nl, df)

    def rec(i: int, j: int) -> dict[str, float | None]:
        e, s = float(est[i, j]), float(ses[i, j])
        if not good[i, j]:
            return {"estimate": e if math.isfinite(e) else None, "std_error": s if math.isfinite(s) else None,
                    "ci_low": None, "ci_high": None, "p_value": None}
        return {"estimate": e, "std_error": s, "ci_low": e - q * s, "ci_high": e + q * s, "p_value": float(pv[i, j])}

    out = []
    for i in range(P):
        caveats: list[str] = []
        terms = [{"name": names[i][j], "lag": int(lags[j]), **rec(i, j)} for j in range(nl)]
        own = [{"name": names[i][nl + j], "lag": j + 1, **rec(i, nl + j)} for j in range(own_lags)]
        cumulative = rec(i, nl + own_lags)
        r: dict[str, Any] = {"terms": terms, "own_terms": own, "long_run": cumulative}
        if own_lags > 0:
            if rho[i] < 1:
                r["long_run_multiplier"] = rec(i, nl + own_lags + 1)
            else:
                r["long_run_multiplier"] = dict(NO_ESTIMATE)
                caveats.append(f"own lags sum to {float(rho[i]):.3f} >= 1: no finite long-run multiplier")
        jp = wald_f(b[i], V[i], np.arange(nl), df)[1] if singular[i] else float(joint[i])
        r.update(p_value=cumulative["p_value"], joint_p_value=jp)
        out.append((r, caveats))
    return out


def norm_sf(x: float) -> float:
    """Survival function of the standard normal (``scipy.stats.norm.sf``)."""
    return float(special.ndtr(-x))


def norm_quantile(p: float) -> float:
    """Quantile of the standard normal (``scipy.stats.norm.ppf``)."""
    return float(special.ndtri(p))


def bh_qvalues(pvals: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values (``statsmodels.stats.multitest.multipletests(method="fdr_bh")[1]``).

    Examples
    --------
    >>> bh_qvalues([0.01, 0.04, 0.03, 0.5]).round(3).tolist()
    [0.04, 0.053, 0.053, 0.5]
    """
    p = np.asarray(pvals, dtype=float)
    if p.size == 0:
        return p
    order = np.argsort(p)
    n = p.size
    raw = p[order] * n / np.arange(1, n + 1)
    q = np.minimum.accumulate(raw[::-1])[::-1]
    q[q > 1] = 1
    out = np.empty(n)
    out[order] = q
    return out

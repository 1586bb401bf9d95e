"""Estimators behind one :func:`fit`: numpy fast path, linearmodels PanelOLS, statsmodels OLS.

All three give the same numbers where they overlap (the fast path equals PanelOLS to
about 1e-12 on balanced samples and to about 1e-9 on unbalanced ones; tests check it).
:func:`fit` picks the engine the run asked for: ``auto`` uses the numpy path for panel
samples without HAC, linearmodels for ``engine="linearmodels"`` (the reference) and HAC,
statsmodels for a single series.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataError
from .covariance import COVARIANCE, hac_lags, inference_df
from .design import Sample, Spec
from .within import absorb, count_effects, n_effects, n_trends

__all__ = ["Fit", "fit", "fit_fast", "fit_linearmodels", "fit_statsmodels"]

FAST = "numpy (balanced fast path)"
#: unbalanced samples: two-way effects by alternating projections (to 1e-13), the same numbers as
#: linearmodels' PanelOLS (tested on samples with gaps and missing first periods)
FAST_UNBALANCED = "numpy (within transformation, unbalanced sample)"


@dataclass(frozen=True)
class Fit:
    """Coefficients, covariance and degrees of freedom of one fitted model.

    ``df_resid`` is the residual degrees of freedom; ``df_inference`` the degrees of
    freedom of the t and F tests (G-1 with unit-clustered errors when that is smaller).
    """

    params: np.ndarray
    cov: np.ndarray
    df_resid: int
    df_inference: int
    nobs: int
    estimator: str
    note: str = ""


def _join(*notes: str) -> str:
    return "; ".join(x for x in notes if x)


def fit_fast(
    y: np.ndarray, X: np.ndarray, u: np.ndarray, t: np.ndarray, *, effects: str, cov: str,
    unit_trends: bool, balanced: bool = True,
) -> Fit:
    """Vectorised PanelOLS (same conventions as linearmodels) for a balanced sample, or, with
    ``balanced=False``, an unbalanced one (two-way effects by alternating projections).

    ``y`` and ``X`` are raw (not yet absorbed); for ``effects="none"`` X must hold a constant.
    Unit-trend slopes are counted for the units with two or more observations (one fewer with
    time effects, which absorb their common part), as an LSDV regression's rank counts them.
    """
    if cov not in COVARIANCE:
        raise DataError(f"the fast path supports cov {', '.join(COVARIANCE)}, got {cov!r}")
    Z = absorb(np.column_stack([y, X]), u, t, effects, unit_trends, balanced=balanced)
    yy, XX = Z[:, 0], Z[:, 1:]
    n, k = XX.shape
    n_u = len(np.unique(u))
    n_t = len(np.unique(t))
    neff = n_effects(effects, n_u, n_t)
    n_tr_units = int(np.sum(np.bincount(np.unique(u, return_inverse=True)[1]) >= 2))
    ntr = n_trends(effects, n_tr_units) if unit_trends else 0
    extra = (neff + ntr) if count_effects(effects, cov) else 0
    xtxi = np.linalg.inv(XX.T @ XX)
    b = xtxi @ (XX.T @ yy)
    e = yy - XX @ b
    V = COVARIANCE[cov](XX, e, xtxi, u, n - extra - k)
    V = (V + V.T) / 2
    df_resid = n - k - neff - ntr
    df_inf, note = inference_df(df_resid, cov, n_u)
    trends = f"{ntr} unit trend slopes counted in the degrees of freedom" if unit_trends else ""
    return Fit(b, V, df_resid, df_inf, n, "PanelOLS", _join(trends, note))


def _is_balanced(u: np.ndarray, t: np.ndarray) -> bool:
    return len(u) == len(np.unique(u)) * len(np.unique(t))


def fit_linearmodels(
    y: np.ndarray, X: np.ndarray, names: list[str], u: np.ndarray, t: np.ndarray, *, effects: str,
    cov: str, unit_trends: bool,
) -> Fit:
    """PanelOLS fit (linearmodels) of the same design; unit trends partialled out beforehand."""
    import pandas as pd
    from linearmodels import PanelOLS

    k = X.shape[1]
    if unit_trends and effects == "both" and not _is_balanced(u, t):
        # unbalanced two-way sample with unit trends: the trends cannot be partialled out before
        # linearmodels absorbs the effects, and N-1 trend regressors (LSDV) make a dense n x N
        # least-squares problem (minutes for a few thousand units): project all of them out
        # together (alternating projections to 1e-13) and fit the rest in numpy
        return fit_fast(y, X, u, t, effects=effects, cov=cov, unit_trends=True, balanced=False)
    if unit_trends:  # Frisch-Waugh: unit-specific trends (with unit means) out of every column
        Z = absorb(np.column_stack([y, X]), u, t, "unit", True, balanced=True)
        y, X = Z[:, 0], Z[:, 1:]
    idx = pd.MultiIndex.from_arrays([u, t], names=["unit", "t"])
    dep = pd.Series(y, index=idx, name="y")
    exog = pd.DataFrame(X, index=idx, columns=names)
    mod = PanelOLS(dep, exog, entity_effects=effects in ("unit", "both"),
                   time_effects=effects in ("time", "both"))
    kw: dict[str, Any] = {"debiased": True}
    if cov == "clustered":
        kw.update(cov_type="clustered", cluster_entity=True, group_debias=True)
    elif cov == "hac":
        kw.update(cov_type="kernel", kernel="bartlett")
    else:
        kw.update(cov_type=cov)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = mod.fit(**kw)
    V = np.asarray(res.cov, dtype=float)[:k, :k]
    df_resid = int(res.df_resid)
    note = ""
    if unit_trends:
        n_u = len(np.unique(u))
        n = X.shape[0]
        neff = n_effects(effects, n_u, len(np.unique(t)))
        ntr = n_trends(effects, n_u)
        if count_effects(effects, cov):
            dof = n - neff - k
            V = V * dof / (dof - ntr)
        df_resid -= ntr
        note = f"{ntr} unit trend slopes counted in the degrees of freedom"
    df_inf, note_df = inference_df(df_resid, cov, len(np.unique(u)))
    return Fit(np.asarray(res.params, dtype=float)[:k], V, df_resid, df_inf, int(res.nobs), "PanelOLS",
               _join(note, note_df))


def fit_statsmodels(y: np.ndarray, X: np.ndarray, *, cov: str) -> Fit:
    """OLS for a single series (X holds the constant)."""
    import statsmodels.api as sm

    mod = sm.OLS(y, X)
    note = ""
    if cov == "unadjusted":
        res = mod.fit(use_t=True)
    elif cov == "robust":
        res = mod.fit(cov_type="HC1", use_t=True)
    elif cov == "hac":
        L = hac_lags(len(y))
        res = mod.fit(cov_type="HAC", cov_kwds={"maxlags": L, "use_correction": True}, use_t=True)
        note = (f"Newey-West HAC, Bartlett kernel, {L} lag(s) by floor(4(n/100)^(2/9)), "
                f"small-sample factor n/(n-k), t({int(round(res.df_resid))}) inference")
    else:
        raise DataError(f"covariance '{cov}' needs a panel; use unadjusted, robust or hac")
    df = int(round(res.df_resid))
    return Fit(np.asarray(res.params, float), np.asarray(res.cov_params(), float), df, df,
               int(res.nobs), "OLS", note)


def uses_fast_path(d: Sample, spec: Spec, engine: str) -> bool:
    """Whether :func:`fit` would take the numpy path for this sample (balanced or not)."""
    if not spec.is_panel or spec.cov == "hac":
        return False
    return engine in ("fast", "auto")


def fit(d: Sample, spec: Spec, engine: str = "auto") -> tuple[Fit, str]:
    """Fit a sample with the engine the run asked for; returns the fit and the engine's name."""
    if not spec.is_panel:
        return fit_statsmodels(d.y, d.X, cov=spec.cov), "statsmodels"
    if uses_fast_path(d, spec, engine):
        return (fit_fast(d.y, d.X, d.u, d.t, effects=spec.effects, cov=spec.cov,
                         unit_trends=spec.unit_trends, balanced=d.balanced), FAST if d.balanced else FAST_UNBALANCED)
    return (fit_linearmodels(d.y, d.X, d.names, d.u, d.t, effects=spec.effects, cov=spec.cov,
                             unit_trends=spec.unit_trends), "linearmodels")

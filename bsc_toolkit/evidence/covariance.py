"""Covariance estimators of the numpy fast path, as a lookup table (after linearmodels).

Each estimator takes the within-transformed regressors ``X``, residuals ``e``,
``(X'X)^-1``, unit codes and the degrees-of-freedom denominator and returns the
coefficient covariance with linearmodels' PanelOLS conventions (``debiased=True``;
clustered: ``group_debias=True``, Stata's ``xtreg, fe vce(cluster)``). HAC for a
single series is statsmodels' (see :mod:`.estimators`); for panels it is the
Driscoll-Kraay kernel covariance of linearmodels.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["COVARIANCE", "cluster_scores", "hac_lags", "inference_df"]


def _unadjusted(X: np.ndarray, e: np.ndarray, xtxi: np.ndarray, u: np.ndarray, dof: int) -> np.ndarray:
    return xtxi * float(e @ e) / dof


def _robust(X: np.ndarray, e: np.ndarray, xtxi: np.ndarray, u: np.ndarray, dof: int) -> np.ndarray:
    xe = X * e[:, None]
    return xtxi @ (xe.T @ xe) @ xtxi * (len(e) / dof)


def cluster_scores(xe: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Sums of the rows of ``xe`` per cluster code ``u`` (rows sorted by cluster: one reduceat)."""
    if len(u) and bool(np.all(np.diff(u) >= 0)):
        return np.add.reduceat(xe, np.r_[0, np.flatnonzero(np.diff(u)) + 1], axis=0)
    s = np.zeros((int(u.max()) + 1 if len(u) else 0, xe.shape[1]))
    np.add.at(s, u, xe)
    return s


def _clustered(X: np.ndarray, e: np.ndarray, xtxi: np.ndarray, u: np.ndarray, dof: int) -> np.ndarray:
    n = len(e)
    s = cluster_scores(X * e[:, None], u)
    g = s.shape[0]
    return xtxi @ (s.T @ s) @ xtxi * (n / dof) * (g / (g - 1)) * ((n - 1) / n)


CovFn = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int], np.ndarray]

#: covariance estimators of the fast path; a new one is one entry
COVARIANCE: dict[str, CovFn] = {
    "unadjusted": _unadjusted,
    "robust": _robust,
    "clustered": _clustered,
}


def inference_df(df_resid: int, cov: str, n_clusters: int) -> tuple[int, str]:
    """Degrees of freedom for t and F: G-1 with unit-clustered errors (Stata's convention).

    Cluster-robust covariances have about G-1 degrees of freedom whatever the number of
    observations (Cameron and Miller 2015, section VI.D); t(n-k) over-rejects with few units.
    """
    if cov == "clustered" and n_clusters - 1 < df_resid:
        return n_clusters - 1, (f"unit-clustered: t and F inference with G-1 = {n_clusters - 1} "
                                f"degrees of freedom (residual df {df_resid})")
    return df_resid, ""


def hac_lags(n: int) -> int:
    """Newey-West (1994) rule of thumb: floor(4 (n/100)^(2/9))."""
    return int(math.floor(4 * (n / 100) ** (2 / 9)))

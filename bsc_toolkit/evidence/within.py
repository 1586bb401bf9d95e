"""The within transform: fixed effects (and unit-specific trends) partialled out of columns.

``absorb`` removes unit means, period means or both (one pass for balanced samples,
alternating projections for unbalanced two-way samples) and, on request, a linear
trend per unit. The counting helpers say how many parameters the effects use, with
linearmodels' PanelOLS conventions, so that degrees of freedom match it exactly.
"""

from __future__ import annotations

import numpy as np

__all__ = ["absorb", "absorb_rows", "count_effects", "group_mean", "n_effects", "n_trends", "unit_detrend"]


def group_mean(v: np.ndarray, g: np.ndarray, n: int) -> np.ndarray:
    """Mean of ``v`` per group code ``g`` (0..n-1); 0 for empty groups."""
    cnt = np.bincount(g, minlength=n)
    s = np.bincount(g, weights=v, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, s / np.maximum(cnt, 1), 0.0)


def unit_detrend(v: np.ndarray, u: np.ndarray, t: np.ndarray, nu: int) -> np.ndarray:
    """``v`` minus a unit-specific intercept and linear trend in ``t`` (least squares per unit)."""
    tm = group_mean(t, u, nu)[u]
    tc = t - tm
    vc = v - group_mean(v, u, nu)[u]
    stt = np.bincount(u, weights=tc * tc, minlength=nu)
    stv = np.bincount(u, weights=tc * vc, minlength=nu)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(stt > 0, stv / np.where(stt > 0, stt, 1), 0.0)
    return vc - slope[u] * tc


def absorb(
    X: np.ndarray, u: np.ndarray, t: np.ndarray, effects: str, unit_trends: bool,
    *, balanced: bool, tol: float = 1e-13, max_iter: int = 2000, copy: bool = True,
) -> np.ndarray:
    """Partial unit/time effects (and unit-specific trends) out of each column of X.

    Balanced samples need one pass; unbalanced two-way designs use alternating
    projections until convergence.

    Examples
    --------
    >>> import numpy as np
    >>> u = np.array([0, 0, 1, 1]); t = np.array([0, 1, 0, 1])
    >>> absorb(np.array([[1.0], [3.0], [2.0], [6.0]]), u, t, "unit", False, balanced=True).ravel().tolist()
    [-1.0, 1.0, -2.0, 2.0]
    """
    X = np.array(X, dtype=float, copy=True) if copy or X.dtype != float else X  # copy=False: in place
    if effects == "none":
        return X
    nu = int(u.max()) + 1 if len(u) else 0
    nt = int(t.max()) + 1 if len(t) else 0
    if balanced and _is_rectangle(u, t, nu, nt):
        return _absorb_rectangle(X, nu, nt, effects, unit_trends)
    tf = t.astype(float)

    def unit_step(v: np.ndarray) -> np.ndarray:
        if unit_trends:
            return unit_detrend(v, u, tf, nu)
        return v - group_mean(v, u, nu)[u]

    def time_step(v: np.ndarray) -> np.ndarray:
        return v - group_mean(v, t, nt)[t]

    for j in range(X.shape[1]):
        v = X[:, j]
        if effects == "unit":
            v = unit_step(v)
        elif effects == "time":
            v = time_step(v)
        else:
            v = time_step(unit_step(v))
            if not balanced:
                scale = max(float(np.abs(X[:, j]).max()), 1.0)
                for _ in range(max_iter):
                    w = time_step(unit_step(v))
                    if float(np.abs(w - v).max()) <= tol * scale:
                        v = w
                        break
                    v = w
        X[:, j] = v
    return X


def _is_rectangle(u: np.ndarray, t: np.ndarray, nu: int, nt: int) -> bool:
    """Rows are every unit (in order) times every period (in order): reshape instead of bincount."""
    n = len(u)
    if n == 0 or n != nu * nt:
        return False
    return bool(np.array_equal(u, np.repeat(np.arange(nu), nt)) and np.array_equal(t, np.tile(np.arange(nt), nu)))


def _absorb_rectangle(X: np.ndarray, nu: int, nt: int, effects: str, unit_trends: bool) -> np.ndarray:
    """:func:`absorb` for a complete unit-major rectangle: the same projections, all columns at once,
    in place on the copy ``X`` (one pass per projection)."""
    Z = X.reshape(nu, nt, -1)
    if effects in ("unit", "both"):
        Z -= Z.mean(axis=1, keepdims=True)
        if unit_trends and nt > 1:
            tc = np.arange(nt, dtype=float) - (nt - 1) / 2.0
            slope = np.matmul(tc, Z) / float(tc @ tc)  # units x columns
            Z -= tc[None, :, None] * slope[:, None, :]
    if effects in ("time", "both"):
        Z -= Z.mean(axis=0, keepdims=True)
    return X


def absorb_rows(Z3: np.ndarray, effects: str, unit_trends: bool) -> None:
    """:func:`absorb` of a complete rectangle whose columns are stored as rows: ``Z3`` is
    columns x units x periods, changed in place (the same projections as
    :func:`_absorb_rectangle`, each along contiguous memory)."""
    nt = Z3.shape[2]
    if effects in ("unit", "both"):
        Z3 -= Z3.mean(axis=2, keepdims=True)
        if unit_trends and nt > 1:
            tc = np.arange(nt, dtype=float) - (nt - 1) / 2.0
            slope = (Z3 @ tc) / float(tc @ tc)  # columns x units
            Z3 -= slope[:, :, None] * tc
    if effects in ("time", "both"):
        Z3 -= Z3.mean(axis=1, keepdims=True)


def n_effects(effects: str, n_u: int, n_t: int) -> int:
    """Effects counted like linearmodels' PanelOLS (no constant in the model)."""
    if effects == "unit":
        return n_u
    if effects == "time":
        return n_t
    if effects == "both":
        return n_u + n_t - 1
    return 0


def n_trends(effects: str, n_u: int) -> int:
    """Identified unit-trend slopes: time effects absorb their common part (one slope)."""
    return n_u - 1 if effects == "both" else n_u


def count_effects(effects: str, cov: str) -> bool:
    """linearmodels' auto_df: a single effect nested in the clusters is not counted."""
    return not (cov == "clustered" and effects == "unit")

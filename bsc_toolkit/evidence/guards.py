"""Guard rails: each check that can stop a model is a small function returning a reason or None.

A reason becomes the ``insufficient_data`` verdict of a link (or the ``reason`` of a
driver model), so every message says what is missing and how much was needed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .data import PanelArrays
from .design import Sample, Spec

__all__ = [
    "MIN_CLUSTERS", "MIN_DF_RESID", "collinear_terms", "constant_driver", "constant_outcome",
    "exact_fit", "lag_text", "near_collinear", "no_values", "too_few_clusters", "too_few_df",
    "too_few_periods", "collinear",
]

#: fewest residual degrees of freedom for a verdict
MIN_DF_RESID = 5
#: fewest units for unit-clustered errors
MIN_CLUSTERS = 5


def lag_text(lags: Sequence[int]) -> str:
    """``lag 1``, ``lags 1-3`` or ``lags 0,2``.

    Examples
    --------
    >>> lag_text([1]), lag_text([1, 2, 3]), lag_text([0, 2])
    ('lag 1', 'lags 1-3', 'lags 0,2')
    """
    lags = list(lags)
    if len(lags) > 1 and lags == list(range(lags[0], lags[-1] + 1)):
        return f"lags {lags[0]}-{lags[-1]}"
    return ("lag " if len(lags) == 1 else "lags ") + ",".join(str(x) for x in lags)


def no_values(pa: PanelArrays, col: str, role: str) -> str | None:
    seen: dict[str, bool] = pa.blocks.setdefault("has_values", {})
    if col not in seen:
        seen[col] = bool(np.isfinite(pa.col(col)).any())
    if not seen[col]:
        return f"{role} '{col}' has no values in the data"
    return None


def too_few_periods(usable: int, need: int, T: int, lags: str, own_lags: int, diff: bool,
                    *, total: bool = False) -> str | None:
    """Too few usable periods after the lags (and differencing)."""
    if usable >= need:
        return None
    extra = f"{need + (T - usable)} periods in all, the data have {T}" if total else f"the data have {T}"
    return (f"too few periods for the lags: {max(usable, 0)} usable periods after {lags} and "
            f"{own_lags} own lag(s){' and differencing' if diff else ''}, at least {need} needed "
            f"({extra})")


def _flat(v: np.ndarray, raw: np.ndarray) -> bool:
    return float(np.std(v)) <= 1e-10 * max(float(np.abs(raw).max()), 1e-300)


def _no_variation(spec: Spec, raw: np.ndarray, d: Sample) -> str:
    """How a series (``raw``: as the model sees it before the effects) lost all its variation, in
    the words of the effects that absorbed it."""
    tr = f"after transform '{spec.transform}'"
    if not spec.has_effects:
        return f"is constant {tr}"
    scale = max(float(np.abs(raw).max()), 1e-300)

    def flat_within(codes: np.ndarray) -> bool:
        n = int(codes.max()) + 1
        cnt = np.maximum(np.bincount(codes, minlength=n), 1)
        mean = np.bincount(codes, weights=raw, minlength=n) / cnt
        return float(np.abs(raw - mean[codes]).max()) <= 1e-10 * scale

    if spec.effects in ("time", "both") and d.n_units == 1:
        return (f"has no variation left {tr}: only one unit has complete data, and with time effects a "
                f"single unit leaves nothing to compare")
    if spec.effects in ("unit", "both") and flat_within(d.u):
        return f"does not vary within units {tr}, so the unit effects absorb it"
    if spec.effects in ("time", "both") and flat_within(d.t - d.t.min()):
        return f"is the same in every unit in each period {tr}, so the time effects absorb it"
    if spec.effects == "both":
        return (f"has no variation left once the unit and time effects are removed {tr}: it is a unit's "
                f"own level plus a change common to all units (as years of experience or age are), so "
                f"its effect cannot be told apart from those effects; try effects='unit'")
    return f"has no variation left within units {tr}"


def constant_outcome(d: Sample, ya: np.ndarray, spec: Spec, y_col: str) -> str | None:
    within_y = ya if spec.has_effects else d.y - d.y.mean()
    if float(np.std(within_y)) <= 1e-10 * max(float(np.abs(d.y).max()), 1e-300):
        return f"outcome '{y_col}' {_no_variation(spec, d.y, d)}"
    return None


def constant_driver(d: Sample, Xa: np.ndarray, spec: Spec, x_col: str) -> str | None:
    for j in range(d.n_driver_terms):
        col = Xa[:, j] if spec.has_effects else d.X[:, j] - d.X[:, j].mean()
        if _flat(col, d.X[:, j]):
            return f"driver '{x_col}' ({d.names[j]}) {_no_variation(spec, d.X[:, j], d)}"
    return None


def collinear_terms(Xa: np.ndarray, names: list[str]) -> list[str]:
    """Names of columns that add no rank (after effects were absorbed).

    Columns are taken in order; a column is named when it is (numerically) zero or when the
    normalised columns kept so far plus it have a smallest-to-largest singular value ratio
    below 1e-9. The singular values come from the triangular factor of one QR decomposition
    (``M[:, cols] = Q R[:, cols]`` has the singular values of ``R[:, cols]``), so the check
    costs one pass over the rows however many columns there are.
    """
    norms = np.linalg.norm(Xa, axis=0)
    keep: list[int] = []
    bad: list[str] = []
    zero = norms <= 1e-12 * max(1.0, float(norms.max())) if len(norms) else np.zeros(0, bool)
    live = np.flatnonzero(~zero)
    if not zero.any() and _well_conditioned(Xa / norms):
        return []  # every subset has a singular-value ratio at least the full design's, far above 1e-9
    R = np.asarray(np.linalg.qr(Xa[:, live] / norms[live], mode="r")) if len(live) else np.zeros((0, 0))
    pos = {int(j): i for i, j in enumerate(live)}
    for j in range(Xa.shape[1]):
        if zero[j]:
            bad.append(names[j])
            continue
        cand = [pos[c] for c in keep] + [pos[j]]
        s = np.linalg.svd(R[:, cand], compute_uv=False)
        if s[-1] / s[0] < 1e-9:
            bad.append(names[j])
        else:
            keep.append(j)
    return bad


def _well_conditioned(M: np.ndarray) -> bool:
    """Smallest/largest singular value of M above 1e-6, judged from its Gram (cheap for long M)."""
    ev = np.linalg.eigvalsh(M.T @ M)
    return bool(ev[0] > 1e-12 * ev[-1])


def collinear(Xa: np.ndarray, names: list[str], order: list[int], where: str) -> str | None:
    """Terms that are linear combinations of the others (structural terms tried first)."""
    bad = collinear_terms(Xa[:, order], [names[j] for j in order])
    if not bad:
        return None
    return (f"collinear design: {', '.join(bad)} {'is' if len(bad) == 1 else 'are'} a linear "
            f"combination of the other terms{where}")


def exact_fit(ya: np.ndarray, Xa: np.ndarray, within_y: np.ndarray, y_col: str, x_col: str) -> str | None:
    """The outcome is an exact linear function of the regressors: no sampling error to test against."""
    bz = np.linalg.lstsq(Xa, ya, rcond=None)[0]
    ssr = float(np.sum((ya - Xa @ bz) ** 2))
    if ssr <= 1e-20 * max(float(np.sum(within_y ** 2)), 1e-300) or ssr == 0.0:
        return (f"exact fit: outcome '{y_col}' is an exact linear function of the model's terms (no "
                f"residual variation), so there is nothing to test; is it computed from '{x_col}'?")
    return None


def too_few_df(n: int, k: int, neff: int, n_tr: int, df_resid: int) -> str | None:
    if df_resid >= MIN_DF_RESID:
        return None
    return (f"too few observations for the parameters: {n} observations, {k} coefficients"
            f"{f' and {neff} fixed effects' if neff else ''}"
            f"{f' and {n_tr} unit trends' if n_tr else ''}, residual degrees of freedom "
            f"{df_resid} < {MIN_DF_RESID}")


def too_few_clusters(spec: Spec, n_units: int) -> str | None:
    if spec.is_panel and spec.cov == "clustered" and n_units < MIN_CLUSTERS:
        return (f"unit-clustered errors need at least {MIN_CLUSTERS} units, the sample has {n_units}; "
                f"use cov='robust'")
    return None


def near_collinear(Xa: np.ndarray) -> str | None:
    """A caveat (not a stop) for badly conditioned designs."""
    s = np.linalg.svd(Xa / np.maximum(np.linalg.norm(Xa, axis=0), 1e-300), compute_uv=False)
    cond = float(s[0] / s[-1])
    if cond > 1e6:
        return f"near-collinear design (condition number {cond:.2g}); estimates are imprecise"
    return None

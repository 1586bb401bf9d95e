"""Design pieces shared by the driver models, chains, discovery and levers.

The link test (:mod:`.linktest`) builds one driver's lags; the joint models here
need several drivers with their own lag lists. The conventions are exactly those
of :func:`~bsc_toolkit.evidence.linktest.estimate_link`: the same transform
decision (ADF/KPSS, cached on the :class:`~.linktest.PanelArrays`), the same
effects/trend handling, the same estimators (numpy fast path for balanced
panels, linearmodels otherwise, statsmodels for a single series).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .linktest import (
    Fit,
    PanelArrays,
    Sample,
    absorb,
    fit_fast,
    fit_linearmodels,
    fit_statsmodels,
    select_sample,
)

__all__ = ["Spec", "MultiDesign", "resolve_transform", "make_spec", "build_multi", "fit_design"]


@dataclass(frozen=True)
class Spec:
    """How a model treats trends and effects (resolved from the run's settings)."""

    transform: str  # none | detrend | diff
    transform_reason: str
    effects: str  # as requested (none for a single series)
    cov: str
    is_panel: bool

    @property
    def diff(self) -> bool:
        return self.transform == "diff"

    @property
    def unit_trends(self) -> bool:
        return self.transform == "detrend" and self.is_panel and self.effects in ("unit", "both")

    @property
    def trend_col(self) -> bool:
        return (self.transform == "detrend" and not self.unit_trends
                and not (self.is_panel and self.effects == "time"))

    @property
    def const(self) -> bool:
        return self.effects == "none" or not self.is_panel

    @property
    def absorb_effects(self) -> str:
        return self.effects if self.is_panel else "none"


def resolve_transform(pa: PanelArrays, cols: Sequence[str], transform: str, effects: str) -> tuple[str, str]:
    """The transform for a model of these columns; ``auto`` decides like the link tests."""
    if transform != "auto":
        return transform, f"as requested (transform='{transform}')"
    from .stationarity import classify_panel, classify_series, decide

    key = ("class", pa.is_panel, effects in ("time", "both"))
    classes = {}
    for c in cols:
        ck = (*key, c)
        if ck not in pa.cache:
            pa.cache[ck] = (classify_panel(pa.col(c), time_demean=key[2]) if pa.is_panel
                            else classify_series(pa.col(c)[0]))
        classes[c] = pa.cache[ck]
    tr, why = decide(classes)
    return tr, "auto: " + why


def make_spec(pa: PanelArrays, cols: Sequence[str], *, transform: str, effects: str, cov: str) -> Spec:
    tr, why = resolve_transform(pa, cols, transform, effects)
    return Spec(tr, why, effects, cov, pa.is_panel)


@dataclass
class MultiDesign(Sample):
    """A regression sample (see :class:`.linktest.Sample`) with several drivers' lag terms first.

    ``n_driver_terms`` driver-lag columns come first, then ``n_own`` own lags.
    """

    n_driver_terms: int
    n_own: int


def build_multi(
    pa: PanelArrays, y_col: str, drivers: Sequence[tuple[str, Sequence[int]]], own_lags: int,
    controls: Sequence[str], spec: Spec, start: int | None = None,
) -> MultiDesign:
    """Rows where the outcome, every driver lag, own lag and control are present.

    Column order: driver lags (in the order given), own lags 1..own_lags,
    controls, ``trend``, ``const`` -- the order :func:`.linktest._build` uses.
    """
    diff = spec.diff
    all_lags = [lag for _, lags in drivers for lag in lags]
    if start is None:
        start = max([*all_lags, own_lags, 0]) + (1 if diff else 0)
    arrays, names = pa.regressors(y_col, drivers, own_lags, controls, diff)
    s = select_sample(arrays, names, start, spec.trend_col, spec.const)
    return MultiDesign(s.y, s.X, s.names, s.u, s.t, s.unit_index, s.period_index, s.n_candidates,
                       s.balanced, len(all_lags), own_lags)


def fit_design(d: MultiDesign, spec: Spec, engine: str = "auto") -> tuple[Fit, str]:
    """Fit with the engine the link tests would use; returns the fit and the engine name."""
    if spec.is_panel:
        use_fast = engine == "fast" or (engine == "auto" and d.balanced and spec.cov != "hac")
        if spec.cov == "hac" or not d.balanced:
            use_fast = False
        if use_fast:
            return (fit_fast(d.y, d.X, d.u, d.t, effects=spec.effects, cov=spec.cov,
                             unit_trends=spec.unit_trends), "numpy (balanced fast path)")
        return (fit_linearmodels(d.y, d.X, d.names, d.u, d.t, effects=spec.effects, cov=spec.cov,
                                 unit_trends=spec.unit_trends), "linearmodels")
    return fit_statsmodels(d.y, d.X, cov=spec.cov), "statsmodels"


def absorbed(d: MultiDesign, spec: Spec) -> tuple[np.ndarray, np.ndarray]:
    """y and X with the effects (and unit trends) partialled out, as the estimators see them."""
    Z = absorb(np.column_stack([d.y, d.X]), d.u, d.t, spec.absorb_effects, spec.unit_trends,
               balanced=d.balanced)
    return Z[:, 0], Z[:, 1:]


def method_dict(spec: Spec, *, own_lags: int, controls: Sequence[str], engine: str,
                df_resid: int | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "estimator": "PanelOLS" if spec.is_panel else "OLS", "transform": spec.transform,
        "transform_reason": spec.transform_reason, "effects": spec.effects,
        "covariance": spec.cov, "own_lags": own_lags, "controls": list(controls), "engine": engine,
    }
    if df_resid is not None:
        out["df_resid"] = int(df_resid)
    out.update(extra)
    return out

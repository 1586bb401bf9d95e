"""The design layer: how a model treats trends and effects (:class:`Spec`) and its sample.

* :func:`resolve_transform` -- the one place ``transform="auto"`` is decided (ADF/KPSS
  classes of the model's series, cached on the :class:`~.data.PanelArrays`);
* :class:`Sample` -- the complete-case rows of a regression: outcome, regressors (driver
  lags first, then own lags, controls, ``trend``, ``const``), unit and period codes;
* :func:`build_sample` -- one builder for link tests, driver models, chains and levers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .data import PanelArrays
from .within import absorb

__all__ = ["Sample", "Spec", "absorbed", "build_sample", "make_spec", "method_dict",
           "resolve_transform", "select_sample"]


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
        """Unit-specific linear trends partialled out within units (detrend, panel, unit effects)."""
        return self.transform == "detrend" and self.is_panel and self.effects in ("unit", "both")

    @property
    def trend_col(self) -> bool:
        """A ``trend`` regressor (detrend without unit trends, unless time effects absorb it)."""
        return (self.transform == "detrend" and not self.unit_trends
                and not (self.is_panel and self.effects == "time"))

    @property
    def const(self) -> bool:
        return self.effects == "none" or not self.is_panel

    @property
    def absorb_effects(self) -> str:
        return self.effects if self.is_panel else "none"

    @property
    def has_effects(self) -> bool:
        return self.is_panel and self.effects != "none"

    def explain(self) -> str:
        """``transform_reason`` with what the transform means for this model."""
        why = self.transform_reason
        if self.transform == "detrend" and self.is_panel and self.effects == "time":
            why += "; time effects already absorb a common trend"
        if self.unit_trends:
            why += "; unit-specific linear trends partialled out within units"
        return why


def resolve_transform(pa: PanelArrays, cols: Sequence[str], transform: str, effects: str) -> tuple[str, str]:
    """The transform for a model of these columns; ``auto`` decides from their ADF/KPSS classes."""
    if transform != "auto":
        return transform, f"as requested (transform='{transform}')"
    tr, why = decide_auto(pa, cols, effects)
    return tr, "auto: " + why


def series_classes(pa: PanelArrays, cols: Sequence[str], effects: str, *, diff: bool = False) -> dict[str, Any]:
    """ADF/KPSS class of each column (cached): per-unit tests on the series the model sees
    (``diff``: on the first differences, to see whether a unit root remains after differencing)."""
    from .stationarity import classify_panel, classify_series

    time_dm = effects in ("time", "both")
    classes = {}
    for c in cols:
        key = (pa.is_panel, time_dm, c + ("\0diff" if diff else ""))
        if key not in pa.class_cache:
            a = pa.lagged(c, 0, True) if diff else pa.col(c)
            pa.class_cache[key] = (classify_panel(a, time_demean=time_dm) if pa.is_panel
                                   else classify_series(a[0]))
        classes[c] = pa.class_cache[key]
    return classes


def unit_root_left(pa: PanelArrays, cols: Sequence[str], effects: str, *, diff: bool = False) -> list[str]:
    """The columns in which ADF does not reject a unit root (p > 0.10 with and without a trend), in
    levels or, with ``diff``, in first differences (cached; ADF only, no KPSS or trend test)."""
    from .stationarity import adf_pvalues

    time_dm = effects in ("time", "both")
    cache: dict[Any, Any] = pa.blocks.setdefault("adf", {})
    out = []
    for c in cols:
        key = (time_dm, c, diff)
        if key not in cache:
            a = pa.lagged(c, 0, True) if diff else pa.col(c)
            cache[key] = adf_pvalues(a if pa.is_panel else a[0], panel=pa.is_panel, time_demean=time_dm)
        p = cache[key]
        if p is not None and min(p) > 0.10:
            out.append(c)
    return out


def prefetch_unit_roots(pa: PanelArrays, cols: Sequence[str], effects: Sequence[str]) -> None:
    """Fill the cache of :func:`unit_root_left` for these columns (levels and first differences)
    under each of these effects, the panel tests of all of them in one batch."""
    from .stationarity import adf_pvalues_many

    if not pa.is_panel:
        return
    cache: dict[Any, Any] = pa.blocks.setdefault("adf", {})
    for time_dm in sorted({e in ("time", "both") for e in effects}):
        todo = [(c, diff) for c in dict.fromkeys(cols) for diff in (False, True) if (time_dm, c, diff) not in cache]
        if not todo:
            continue
        arrays = [pa.lagged(c, 0, True) if diff else pa.col(c) for c, diff in todo]
        for (c, diff), p in zip(todo, adf_pvalues_many(arrays, time_demean=time_dm), strict=True):
            cache[(time_dm, c, diff)] = p


def decide_auto(pa: PanelArrays, cols: Sequence[str], effects: str) -> tuple[str, str]:
    from .stationarity import decide

    return decide(series_classes(pa, cols, effects))


def all_untested(pa: PanelArrays, cols: Sequence[str], effects: str) -> bool:
    """True when every column was too short for the unit-root tests."""
    return all(c.kind == "untested" for c in series_classes(pa, cols, effects).values())


def make_spec(pa: PanelArrays, cols: Sequence[str], *, transform: str, effects: str, cov: str) -> Spec:
    tr, why = resolve_transform(pa, cols, transform, effects)
    return Spec(tr, why, effects, cov, pa.is_panel)


@dataclass(frozen=True)
class Sample:
    """The complete-case rows of a design.

    ``X`` holds ``n_driver_terms`` driver-lag columns first, then ``n_own`` own lags, the
    controls, ``trend`` and ``const`` (when the spec asks for them).
    """

    y: np.ndarray
    X: np.ndarray
    names: list[str]
    u: np.ndarray  # unit codes 0..n_u-1 within the sample
    t: np.ndarray  # period positions on the grid, 0 = the sample's first period
    unit_index: np.ndarray  # position of each row's unit in pa.units
    period_index: np.ndarray  # position of each row's period on the grid
    n_candidates: int  # rows the sample could have had (units x periods from `start`)
    balanced: bool
    n_driver_terms: int = 0
    n_own: int = 0

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def n_units(self) -> int:
        """Units in the sample (codes ``u`` are 0..n_units-1)."""
        return int(self.u.max()) + 1 if self.n else 0

    @property
    def n_periods(self) -> int:
        """Distinct periods in the sample."""
        return int(np.count_nonzero(np.bincount(self.t))) if self.n else 0

    def structural_first(self) -> list[int]:
        """Column order with ``const``/``trend`` first (so that a duplicating term is named)."""
        return ([j for j, nm in enumerate(self.names) if nm in ("const", "trend")]
                + [j for j, nm in enumerate(self.names) if nm not in ("const", "trend")])


def select_sample(
    arrays: Sequence[np.ndarray], names: list[str], start: int, trend_col: bool, const: bool,
    n_driver_terms: int = 0, n_own: int = 0,
) -> Sample:
    """Rows (from period ``start`` on) where the outcome ``arrays[0]`` and every regressor exist.

    Appends a ``trend`` column (grid position + 1) and a ``const`` column when asked.
    """
    N, T = arrays[0].shape
    stack = np.stack([a[:, start:] for a in arrays], axis=-1)  # N x T' x m
    ok = np.isfinite(stack).all(axis=-1)
    complete = bool(ok.all())
    if complete:  # every row (the usual case): the rows in order, no search and no gather
        Tp = ok.shape[1]
        uu = np.repeat(np.arange(N, dtype=np.int64), Tp)
        tt = np.tile(np.arange(Tp, dtype=np.int64), N)
        vals = stack.reshape(N * Tp, stack.shape[-1])
    else:
        uu, tt = np.nonzero(ok)
        vals = stack[uu, tt]
    tt = tt + start
    y = vals[:, 0]
    X = vals[:, 1:]
    names = list(names)
    if trend_col:
        X = np.column_stack([X, tt.astype(float) + 1.0])
        names.append("trend")
    if const:
        X = np.column_stack([X, np.ones(len(y))])
        names.append("const")
    # re-code units to 0..n-1 in the sample; periods keep their spacing on the grid (0 = first
    # period in the sample), so that unit trends stay linear in time when a whole period is missing
    # np.nonzero lists rows unit by unit: codes from the runs of equal units (no sort needed)
    if complete:  # every unit in every period: the codes are the positions
        u_codes, t_codes, balanced = uu, tt - start, True
    else:
        u_codes = (np.cumsum(np.r_[True, uu[1:] != uu[:-1]]) - 1) if len(uu) else uu
        t_codes = tt - tt.min() if len(tt) else tt
        rows = ok.any(axis=1)
        balanced = bool(ok[rows].all(axis=0).sum() == ok[rows].any(axis=0).sum()) if rows.any() else True
    return Sample(y, X, names, u_codes.astype(np.int64), t_codes.astype(np.int64),
                  uu.astype(np.int64), tt.astype(np.int64), N * max(T - start, 0), balanced,
                  n_driver_terms, n_own)


def sample_start(drivers: Sequence[tuple[str, Sequence[int]]], own_lags: int, diff: bool) -> int:
    """First usable period: the longest lag (driver or own), one more after differencing."""
    all_lags = [lag for _, lags in drivers for lag in lags]
    return max([*all_lags, own_lags, 0]) + (1 if diff else 0)


def build_sample(
    pa: PanelArrays, y_col: str, drivers: Sequence[tuple[str, Sequence[int]]], own_lags: int,
    controls: Sequence[str], spec: Spec, start: int | None = None,
    lagged_controls: Sequence[tuple[str, int]] = (),
) -> Sample:
    """Rows where the outcome, every driver lag, own lag and control are present.

    Column order: driver lags (in the order given), own lags 1..own_lags,
    controls, lagged controls, ``trend``, ``const``.
    """
    if start is None:
        start = sample_start([*drivers, *((c, [g]) for c, g in lagged_controls)], own_lags, spec.diff)
    arrays, names = pa.regressors(y_col, drivers, own_lags, controls, spec.diff, lagged_controls)
    n_drv = sum(len(lags) for _, lags in drivers)
    return select_sample(arrays, names, start, spec.trend_col, spec.const, n_drv, own_lags)


def absorbed(d: Sample, spec: Spec) -> tuple[np.ndarray, np.ndarray]:
    """y and X with the effects (and unit trends) partialled out, as the estimators see them."""
    Z = absorb(np.column_stack([d.y, d.X]), d.u, d.t, spec.absorb_effects, spec.unit_trends,
               balanced=d.balanced)
    return Z[:, 0], Z[:, 1:]


def method_dict(spec: Spec, *, own_lags: int, controls: Sequence[str], engine: str,
                **extra: Any) -> dict[str, Any]:
    """The ``method`` record of a model (what was estimated, how)."""
    out: dict[str, Any] = {
        "estimator": "PanelOLS" if spec.is_panel else "OLS", "transform": spec.transform,
        "transform_reason": spec.transform_reason, "effects": spec.effects,
        "covariance": spec.cov, "own_lags": own_lags, "controls": list(controls), "engine": engine,
    }
    out.update(extra)
    return out

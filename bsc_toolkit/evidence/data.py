"""The data layer: KPI history as arrays (units x periods) with typed caches.

:class:`PanelArrays` holds every numeric column of a :class:`~bsc_toolkit.history.frame.KPIHistory`
on its complete unit x period grid. A run builds it once; every model of the run
(link tests, driver models, chains, discovery, levers) draws lagged and differenced
columns from its caches, so each is computed once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import DataError

if TYPE_CHECKING:
    from ..history.frame import KPIHistory
    from .stationarity import SeriesClass

__all__ = ["LAG_CACHE_BYTES", "PanelArrays"]

#: bytes of lagged and differenced columns kept per PanelArrays
LAG_CACHE_BYTES = 400_000_000


@dataclass
class PanelArrays:
    """KPI history as arrays (units x periods) with the caches shared by the models of a run.

    Attributes
    ----------
    units : list
        Unit labels in grid order (one pseudo-unit for a single series).
    n_periods : int
        Periods on the complete grid.
    columns : dict of str to ndarray
        Every numeric column, shape ``(n_units, n_periods)``, NaN where missing.
    is_panel : bool
    source : str
        Where the data came from (for messages).
    period_labels : list of str or None
        The history's own period labels (``2024Q1``), for fold descriptions.

    Examples
    --------
    >>> import numpy as np
    >>> pa = PanelArrays(["a", "b"], 3, {"x": np.arange(6.0).reshape(2, 3)}, True)
    >>> pa.lagged("x", 1, diff=False)[0].tolist()
    [nan, 0.0, 1.0]
    """

    units: list[Any]
    n_periods: int
    columns: dict[str, np.ndarray]
    is_panel: bool
    source: str = "<data>"
    period_labels: list[str] | None = None
    #: lagged/differenced columns: (column, lag, diff) -> array
    lag_cache: dict[tuple[str, int, bool], np.ndarray] = field(default_factory=dict, repr=False)
    #: ADF/KPSS classes: (is_panel, time-demeaned, column [+ "\0diff"]) -> SeriesClass
    class_cache: dict[tuple[bool, bool, str], SeriesClass] = field(default_factory=dict, repr=False)
    #: derived arrays of later layers (within-transformed blocks), keyed by their layer
    blocks: dict[Any, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_history(cls, history: KPIHistory) -> PanelArrays:
        """Arrays from a :class:`~bsc_toolkit.history.frame.KPIHistory` (complete grid)."""
        data = history.data.sort_index()
        units = list(data.index.get_level_values(0).unique())
        T = int(history.n_periods)
        N = len(units)
        if len(data) != N * T:
            raise DataError(
                f"KPI history is not on a complete grid: {len(data)} rows for {N} units x {T} periods",
                file=str(getattr(history, "source", None) or "<data>"),
            )
        cols: dict[str, np.ndarray] = {}
        for c in data.columns:
            try:
                cols[str(c)] = data[c].to_numpy(dtype=float, na_value=np.nan).reshape(N, T)
            except (TypeError, ValueError):
                continue  # non-numeric columns are not usable as KPIs or controls
        labels = _labels(history)
        return cls(units, T, cols, bool(getattr(history, "is_panel", N > 1)),
                   str(getattr(history, "source", "<data>")), labels)

    @property
    def n_units(self) -> int:
        return len(self.units)

    def col(self, name: str) -> np.ndarray:
        return self.columns[name]

    def lagged(self, name: str, lag: int, diff: bool) -> np.ndarray:
        """Column ``name`` lagged by ``lag`` periods within each unit (first-differenced when ``diff``).

        Kept in a cache bounded by :data:`LAG_CACHE_BYTES` (least recently used dropped first).
        """
        key = (name, lag, diff)
        out = self.lag_cache.get(key)
        if out is None and (lag or diff):
            cached = sum(a.nbytes for a in self.lag_cache.values())
            while self.lag_cache and cached + self.columns[name].nbytes > LAG_CACHE_BYTES:
                cached -= self.lag_cache.pop(next(iter(self.lag_cache))).nbytes
        if out is None:
            a = self.columns[name]
            if diff:
                a = self.lagged(name, 0, False)
                d = np.full_like(a, np.nan)
                d[:, 1:] = a[:, 1:] - a[:, :-1]
                a = d
            if lag:
                b = np.full_like(a, np.nan)
                b[:, lag:] = a[:, :-lag]
                a = b
            out = a
            self.lag_cache[key] = out
        return out

    def regressors(
        self, y_col: str, drivers: Sequence[tuple[str, Sequence[int]]], own_lags: int,
        controls: Sequence[str], diff: bool, lagged_controls: Sequence[tuple[str, int]] = (),
    ) -> tuple[list[np.ndarray], list[str]]:
        """Outcome and regressor arrays (units x periods) with their names.

        The first array is the outcome (no name); then each driver at each of its lags
        (``x.L1``), the outcome's own lags ``1..own_lags`` (``y.L1``), the controls and the
        lagged controls (``z.L1``), all differenced within unit when ``diff``.
        """
        arrays = [self.lagged(y_col, 0, diff)]
        names: list[str] = []
        for col, lags in drivers:
            for lag in lags:
                arrays.append(self.lagged(col, lag, diff))
                names.append(f"{col}.L{lag}")
        for j in range(1, own_lags + 1):
            arrays.append(self.lagged(y_col, j, diff))
            names.append(f"{y_col}.L{j}")
        for c in controls:
            arrays.append(self.lagged(c, 0, diff))
            names.append(c)
        for c, lag in lagged_controls:
            arrays.append(self.lagged(c, lag, diff))
            names.append(f"{c}.L{lag}")
        return arrays, names


def _labels(history: Any) -> list[str] | None:
    """Period labels as text from the history (``2024Q1``, ``2024-W05``), when it provides them."""
    try:
        labels = history.period_labels
    except (AttributeError, TypeError, ValueError, KeyError):
        return None
    return [str(x) for x in labels] if labels is not None else None

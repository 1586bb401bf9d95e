"""Seasonality: detect strong period-of-year patterns and, on request, control for them.

For monthly, quarterly and weekly data each grid period has a position in its year (month
1-12, quarter 1-4, ISO week 1-53). A KPI is *strongly seasonal* when, after removing each
unit's mean and linear trend, the period-of-year means explain at least
:data:`STRONG_R2` of the remaining variance with an F test p-value below :data:`STRONG_P`.
``seasonal=True`` adds period-of-year indicators (the first position is the reference) as
controls; with time effects in the model they are absorbed already (seasons common to all units
are part of the period effects), so nothing is added.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .data import PanelArrays
from .inference import f_sf

__all__ = ["STRONG_P", "STRONG_R2", "add_season_columns", "season_positions", "seasonality"]

STRONG_R2 = 0.2
STRONG_P = 0.001
_SEASON_NAMES = {"monthly": "month", "quarterly": "quarter", "weekly": "week"}


def season_positions(periods: Any, frequency: str) -> np.ndarray | None:
    """Period-of-year position of each grid period (1-based), or None for other frequencies."""
    if frequency not in _SEASON_NAMES:
        return None
    try:
        if frequency == "monthly":
            return np.asarray(periods.month, dtype=np.int64)
        if frequency == "quarterly":
            return np.asarray(periods.quarter, dtype=np.int64)
        return np.asarray(periods.week, dtype=np.int64)
    except AttributeError:
        return None


def seasonality(pa: PanelArrays, columns: Sequence[str], seasons: np.ndarray | None) -> dict[str, tuple[float, float]]:
    """``{column: (R², p)}`` for the strongly seasonal columns (see the module docstring)."""
    if seasons is None or len(np.unique(seasons)) < 2:
        return {}
    out = {}
    T = pa.n_periods
    tc = np.arange(T, dtype=float)
    for c in columns:
        a = pa.col(c)
        ok = np.isfinite(a)
        if ok.sum() < 3 * len(np.unique(seasons)):
            continue
        r = np.full_like(a, np.nan)
        for i in range(a.shape[0]):  # unit mean and linear trend out
            m = ok[i]
            if m.sum() >= 3:
                X = np.column_stack([np.ones(m.sum()), tc[m]])
                r[i, m] = a[i, m] - X @ np.linalg.lstsq(X, a[i, m], rcond=None)[0]
        v = r[np.isfinite(r)]
        s = np.broadcast_to(seasons, a.shape)[np.isfinite(r)]
        if v.size == 0 or float(v @ v) <= 0:
            continue
        levels = np.unique(s)
        means = np.array([v[s == k].mean() for k in levels])
        ssb = float(sum((s == k).sum() * mk ** 2 for k, mk in zip(levels, means, strict=True)))
        ssw = float(v @ v) - ssb
        df1 = len(levels) - 1
        df2 = v.size - len(levels) - 2 * a.shape[0]
        if df2 <= 0 or ssw <= 0:
            continue
        r2 = ssb / float(v @ v)
        p = float(f_sf((ssb / df1) / (ssw / df2), df1, df2))
        if r2 >= STRONG_R2 and p < STRONG_P:
            out[c] = (r2, p)
    return out


def add_season_columns(pa: PanelArrays, seasons: np.ndarray, frequency: str) -> list[str]:
    """Add period-of-year indicators (all but the first position) to ``pa``; returns their names."""
    word = _SEASON_NAMES.get(frequency, "season")
    names = []
    for k in np.unique(seasons)[1:]:
        name = f"{word}_{int(k)}"
        while name in pa.columns:
            name = "_" + name
        pa.columns[name] = np.broadcast_to((seasons == k).astype(float), (pa.n_units, pa.n_periods)).copy()
        names.append(name)
    return names


def season_word(frequency: str) -> str:
    return _SEASON_NAMES.get(frequency, "season")

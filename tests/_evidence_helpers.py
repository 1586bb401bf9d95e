"""Helpers for the evidence tests: KPIHistory objects and tiny scorecards built in code."""

from __future__ import annotations

import numpy as np
import pandas as pd


def history_from_arrays(cols: dict[str, np.ndarray], *, periods=None, frequency="annual", source="<test>"):
    """KPIHistory from arrays of shape (units, periods) (1-d arrays: a single series)."""
    from bsc_toolkit.history.frame import SINGLE_UNIT, KPIHistory

    arrs = {k: np.atleast_2d(np.asarray(v, dtype=float)) for k, v in cols.items()}
    n_units, n_periods = next(iter(arrs.values())).shape
    is_panel = n_units > 1
    units = [f"u{i:03d}" for i in range(n_units)] if is_panel else [SINGLE_UNIT]
    idx = pd.MultiIndex.from_product([units, range(n_periods)], names=["unit", "t"])
    df = pd.DataFrame({k: v.ravel() for k, v in arrs.items()}, index=idx)
    per = pd.Index(periods) if periods is not None else pd.RangeIndex(2000, 2000 + n_periods)
    return KPIHistory(data=df, periods=per, frequency=frequency, is_panel=is_panel, source=source,
                      unit_column="unit" if is_panel else None)


def history_from_frame_single(df: pd.DataFrame, period: str, source: str):
    """KPIHistory for one series from a frame with a period column (sorted, complete)."""
    from bsc_toolkit.history.frame import SINGLE_UNIT, KPIHistory

    df = df.sort_values(period)
    idx = pd.MultiIndex.from_product([[SINGLE_UNIT], range(len(df))], names=["unit", "t"])
    data = df.drop(columns=[period]).astype(float).set_index(idx)
    return KPIHistory(data=data, periods=pd.Index(df[period].to_numpy()), frequency="annual",
                      is_panel=False, source=source, period_column=period)


def two_kpi_scorecard(links):
    """A tiny valid scorecard with KPIs x, y, w, v (one objective each) and the given links."""
    from bsc_toolkit.scorecard import Scorecard

    def obj(oid, persp, kid):
        return {"id": oid, "perspective": persp, "name": f"Objective {oid}",
                "kpis": [{"id": kid, "name": kid, "direction": "up"}]}

    return Scorecard.model_validate({
        "name": "Test card",
        "objectives": [obj("L1", "learning_growth", "x"), obj("P1", "internal_process", "w"),
                       obj("C1", "customer", "v"), obj("F1", "financial", "y")],
        "links": links,
    })


def ar_panel(rng, n_units, n_periods, *, beta=0.0, lag=1, rho=0.5, burn=20):
    """Driver x (AR(1)) and outcome y = rho y(-1) + beta x(-lag) + e, plus unit effects."""
    T = n_periods + burn
    x = np.zeros((n_units, T))
    y = np.zeros((n_units, T))
    ex = rng.normal(size=(n_units, T))
    ey = rng.normal(size=(n_units, T))
    for t in range(1, T):
        x[:, t] = 0.5 * x[:, t - 1] + ex[:, t]
        y[:, t] = rho * y[:, t - 1] + (beta * x[:, t - lag] if t >= lag else 0) + ey[:, t]
    a = rng.normal(size=(n_units, 1))
    return x[:, burn:] + a, y[:, burn:] + 2 * a

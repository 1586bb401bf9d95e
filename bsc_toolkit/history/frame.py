"""KPIHistory: KPI data over time, for one company or a panel of units.

Internally the data are *wide* and on a *complete, regular period grid*: the
index is ``(unit, period)`` where ``period`` is a position ``0..T-1`` on the
grid (``periods[t]`` gives the label), and every unit has every period (missing
values are NaN). That makes a lag a plain ``groupby(unit).shift(k)``: lag 1 is
always the previous period of the same unit, never a gap.

A single company series has one unit (``is_panel`` is False).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from .summary import DataSummary, LoadLog

__all__ = ["KPIHistory", "SINGLE_UNIT"]

#: the unit label used for a single company series
SINGLE_UNIT = "_single"


@dataclass(frozen=True)
class KPIHistory:
    """KPI history in wide form on a complete period grid.

    Attributes
    ----------
    data : DataFrame
        Index ``(unit, t)`` with ``t`` in ``0..n_periods-1``; columns are KPI ids
        and control variables (float).
    periods : Index
        Label of each grid position (int years, ``pandas.Period`` or strings).
    frequency : str
        ``annual``, ``quarterly``, ``monthly``, ``weekly``, ``daily`` or
        ``integer`` (a plain integer time index); stated in results.
    is_panel : bool
        True when there is more than one unit (or a unit column was given).
    source : str
        Where the data came from (file name or query), for messages and reports.
    unit_column, period_column : str
        The names of the unit and period columns in the source.
    controls : tuple of str
        Columns that are control variables rather than KPIs.
    notes : tuple of str
        What the loader did that a user should know (ignored columns, encoding).
    load_log : LoadLog or None
        What the loader changed (number conversions, merged unit spellings,
        mapped columns); see :attr:`intake`.

    Examples
    --------
    >>> import pandas as pd
    >>> from bsc_toolkit.history import load_history
    >>> h = load_history(pd.DataFrame({"period": ["2024Q1", "2024Q2"], "nps": [20, 24]}))
    >>> h
    KPIHistory(single series x 2 quarterly periods, 1 columns, source='<DataFrame>')
    >>> h.period_labels, h.latest("nps")
    (['2024Q1', '2024Q2'], 24.0)
    """

    data: pd.DataFrame
    periods: pd.Index
    frequency: str = "integer"
    is_panel: bool = False
    source: str = "<data>"
    unit_column: str | None = None
    period_column: str = "period"
    controls: tuple[str, ...] = field(default_factory=tuple)
    notes: tuple[str, ...] = field(default_factory=tuple)
    load_log: LoadLog | None = field(default=None, repr=False, compare=False)

    # ------------------------------------------------------------ properties
    @cached_property
    def intake(self) -> DataSummary:
        """What was read: units, periods, grid gaps, missing shares, conversions, merges.

        ``intake.to_dict()`` is the shape stored in the evidence file; ``intake.short``
        is what ``bsc validate`` prints, ``intake.text`` what ``bsc data`` prints.
        """
        return _summarize(self)

    @property
    def units(self) -> pd.Index:
        return self.data.index.get_level_values(0).unique()

    @property
    def n_units(self) -> int:
        return len(self.units)

    @property
    def n_periods(self) -> int:
        return len(self.periods)

    @property
    def columns(self) -> list[str]:
        return list(self.data.columns)

    def series(self, column: str) -> pd.Series:
        """One column as a Series indexed by (unit, t)."""
        return self.data[column]

    def period_label(self, t: int) -> object:
        return self.periods[t]

    def latest(self, column: str) -> float | None:
        """Latest non-missing value of a column (mean over units at the last period that has data)."""
        s = self.data[column].dropna()
        if s.empty:
            return None
        last_t = s.index.get_level_values(1).max()
        return float(s.xs(last_t, level=1).mean())

    @property
    def period_labels(self) -> list[str]:
        """Period labels as text: ``2024``, ``2024Q1``, ``2024-03``, ``2024-W05``, ``2024-03-31``."""
        from .periods import format_periods

        return format_periods(self.periods, self.frequency)

    @property
    def first_period(self) -> str:
        return self.period_labels[0]

    @property
    def last_period(self) -> str:
        return self.period_labels[-1]

    @property
    def kpis(self) -> list[str]:
        """Columns that are not controls."""
        return [c for c in self.data.columns if c not in self.controls]

    def _label_values(self) -> np.ndarray:
        if self.frequency in ("integer", "annual"):
            return np.asarray(self.period_labels if self.frequency == "annual" else self.periods).astype(np.int64)
        return np.asarray(self.period_labels, dtype=object)

    def to_frame(self, labels: bool = True) -> pd.DataFrame:
        """Tidy wide frame with ``unit`` (panels only) and ``period`` columns.

        With ``labels`` the period column holds the labels (int years for annual
        data, int for an integer index, text such as ``2024Q1`` otherwise);
        without, the grid position ``0..n_periods-1``.
        """
        df = self.data.reset_index()
        df = df.rename(columns={df.columns[0]: "unit", df.columns[1]: "period"})
        if labels:
            df["period"] = self._label_values()[df["period"].to_numpy()]
        if not self.is_panel:
            df = df.drop(columns="unit")
        return df

    def to_long(self, dropna: bool = True) -> pd.DataFrame:
        """Long form: ``[unit,] period, kpi, value`` (one row per observed value)."""
        wide = self.to_frame()
        ids = ["unit", "period"] if self.is_panel else ["period"]
        long = wide.melt(id_vars=ids, var_name="kpi", value_name="value")
        if dropna:
            long = long.dropna(subset=["value"])
        return long.reset_index(drop=True)

    @property
    def summary(self) -> str:
        """A short text description: shape, periods, frequency, missing share per column."""
        kind = f"panel of {self.n_units} units" if self.is_panel else "single series"
        lines = [
            f"KPI history from {self.source}: {kind}, {self.n_periods} {self.frequency} periods "
            f"({self.first_period} to {self.last_period})" if self.n_periods else f"KPI history from {self.source}",
        ]
        if self.controls:
            lines.append(f"controls: {', '.join(self.controls)}")
        miss = self.data.isna().mean()
        lines.append(f"{len(self.columns)} columns; share missing on the grid:")
        for c in self.columns:
            lines.append(f"  {c:<32} {miss[c]:6.1%}")
        lines.extend(f"note: {n}" for n in self.notes)
        log = self.load_log
        if log is not None:
            lines.extend(f"converted: {c.column}: {c.what} ({c.cells:,} cells)" for c in log.conversions)
            lines.extend(f"merged units: {m.into!r} <- {', '.join(repr(v) for v in m.variants)}"
                         for m in log.merged_units)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        head = html.escape(self.summary.splitlines()[0])
        table = self.to_frame().head(10).to_html(index=False, na_rep="", float_format=lambda x: f"{x:.4g}")
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return f"<div><p>{head}</p>{table}" + (f"<ul>{notes}</ul>" if notes else "") + "</div>"

    def __repr__(self) -> str:
        kind = f"panel of {self.n_units} units" if self.is_panel else "single series"
        return (
            f"KPIHistory({kind} x {self.n_periods} {self.frequency} periods, "
            f"{len(self.columns)} columns, source={self.source!r})"
        )


def _summarize(history: KPIHistory) -> DataSummary:
    """The data summary of any KPIHistory (loaded, simulated or built in code).

    A *grid gap* is a period inside a unit's own span (between its first and last period
    with data) where the unit has no value at all; periods before a unit starts or after it
    ends are not gaps.
    """
    log = history.load_log or LoadLog()
    labels = _labels(history)
    gaps = _gaps(history, labels)
    panel = bool(history.is_panel)
    miss = history.data.isna().mean() if len(history.data) else None
    return DataSummary(
        source=str(history.source),
        layout=log.layout,
        frequency=str(history.frequency),
        n_units=history.n_units if panel else None,
        n_periods=history.n_periods,
        first_period=labels[0] if labels else None,
        last_period=labels[-1] if labels else None,
        grid_gaps=sum(len(v) for v in gaps.values()),
        gap_units=gaps if panel else None,
        gap_periods=None if panel else next(iter(gaps.values()), []),
        missing_share={str(c): round(float(miss[c]), 4) if miss is not None else 1.0 for c in history.columns},
        conversions=log.conversions,
        merged_units=log.merged_units if panel else None,
        columns_mapped=dict(log.columns_mapped),
        notes=tuple(history.notes),
        unit_column=history.unit_column if panel else None,
        period_column=history.period_column,
        units=[str(u) for u in history.units] if panel else None,
        controls=tuple(history.controls),
        n_rows=log.n_rows,
        columns_ignored=log.columns_ignored,
    )


def _labels(history: KPIHistory) -> list[str]:
    try:
        return [str(x) for x in history.period_labels]
    except (AttributeError, TypeError, ValueError, KeyError):
        return [str(x) for x in history.periods]


def _gaps(history: KPIHistory, labels: list[str]) -> dict[str, list[str]]:
    """Per unit: the period labels inside its span where it has no value at all."""
    data = history.data
    if data.empty or data.shape[1] == 0:
        return {}
    codes, uniques = pd.factorize(data.index.get_level_values(0))
    frame = pd.DataFrame({"u": codes, "t": np.asarray(data.index.get_level_values(1), dtype=np.int64)})
    seen = frame[data.notna().any(axis=1).to_numpy()]
    span = seen.groupby("u")["t"].agg(["min", "max", "nunique"])
    holes = span[span["max"] - span["min"] + 1 > span["nunique"]]
    out: dict[str, list[str]] = {}
    for u, row in holes.iterrows():
        have = set(seen.loc[seen["u"] == u, "t"].tolist())
        missing = [i for i in range(int(row["min"]), int(row["max"]) + 1) if i not in have]
        out[str(uniques[int(u)])] = [labels[i] if 0 <= i < len(labels) else str(i) for i in missing]
    return out

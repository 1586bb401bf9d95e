"""KPIHistory: KPI data over time, for one company or a panel of units.

Internally the data are *wide* and on a *complete, regular period grid*: the
index is ``(unit, period)`` where ``period`` is a position ``0..T-1`` on the
grid (``periods[t]`` gives the label), and every unit has every period (missing
values are NaN). That makes a lag a plain ``groupby(unit).shift(k)``: lag 1 is
always the previous period of the same unit, never a gap.

A single company series has one unit (``is_panel`` is False).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

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
    """

    data: pd.DataFrame
    periods: pd.Index
    frequency: str = "integer"
    is_panel: bool = False
    source: str = "<data>"
    unit_column: str | None = None
    period_column: str = "period"
    controls: tuple[str, ...] = field(default_factory=tuple)

    # ------------------------------------------------------------ properties
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

    def to_frame(self, labels: bool = True) -> pd.DataFrame:
        """Tidy wide frame with ``unit`` (panels only) and ``period`` columns."""
        df = self.data.reset_index()
        df = df.rename(columns={df.columns[0]: "unit", df.columns[1]: "period"})
        if labels:
            df["period"] = np.asarray(self.periods)[df["period"].to_numpy()]
        if not self.is_panel:
            df = df.drop(columns="unit")
        return df

    def __repr__(self) -> str:
        kind = f"panel of {self.n_units} units" if self.is_panel else "single series"
        return (
            f"KPIHistory({kind} x {self.n_periods} {self.frequency} periods, "
            f"{len(self.columns)} columns, source={self.source!r})"
        )

    # ---------------------------------------------------------- construction
    @classmethod
    def from_wide(
        cls,
        df: pd.DataFrame,
        *,
        period: str = "period",
        unit: str | None = None,
        columns: Sequence[str] | None = None,
        controls: Sequence[str] = (),
        source: str = "<data>",
    ) -> KPIHistory:
        """Build from a wide frame whose periods are already sortable and regular.

        This is the minimal constructor for frames built in code (tests,
        simulations). :func:`bsc_toolkit.history.load_history` is the full loader:
        files, SQL, long form, period parsing and located errors.
        """
        from .load import history_from_frame

        return history_from_frame(
            df, period=period, unit=unit, kpis=columns, controls=controls, source=source, form="wide"
        )

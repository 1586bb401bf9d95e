"""What was read: the data summary of a KPI history (``KPIHistory.intake``).

:class:`DataSummary` says what the loader made of a file: units, periods and
frequency, gaps in the unit x period grid, the share of missing values per
column, which columns had numbers written the way people write them (and what
was converted), which unit spellings were merged, and which columns feed which
KPI. ``to_dict()`` is the stable shape other tools store (the evidence file's
``"data"`` key); :attr:`DataSummary.short` is what ``bsc validate`` prints and
:attr:`DataSummary.text` what ``bsc data`` prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .._format import fmt_count, fmt_share

__all__ = ["Conversion", "DataSummary", "LoadLog", "MergedUnit"]

_SHORT_ITEMS = 3  # items per section in the short (console) summary
_FULL_ITEMS = 200  # items per section in the full text (the JSON is complete)


@dataclass(frozen=True)
class Conversion:
    """Number conversions in one column: ``what`` in words, ``cells`` changed, count per kind."""

    column: str
    what: str
    cells: int
    kinds: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "what": self.what, "cells": self.cells, "kinds": dict(self.kinds)}


@dataclass(frozen=True)
class MergedUnit:
    """Unit spellings merged into one unit: ``into`` the label kept, ``variants`` as written in the data."""

    into: str
    variants: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"into": self.into, "variants": list(self.variants)}


@dataclass(frozen=True)
class LoadLog:
    """What the loader did to the data, kept on the :class:`~bsc_toolkit.history.KPIHistory`."""

    layout: str | None = None  # "long" | "wide"
    n_rows: int | None = None  # data rows read (blank rows not counted)
    conversions: tuple[Conversion, ...] = ()
    merged_units: tuple[MergedUnit, ...] = ()
    columns_mapped: tuple[tuple[str, str], ...] = ()  # (KPI id, source column)
    columns_ignored: tuple[str, ...] = ()


@dataclass(frozen=True)
class DataSummary:
    """What was read from a KPI history source (``KPIHistory.intake`` builds it).

    Examples
    --------
    >>> import pandas as pd
    >>> from bsc_toolkit.history import load_history
    >>> df = pd.DataFrame({"store": ["A", "A", "A", "B"], "year": [2021, 2022, 2024, 2021],
    ...                    "sales": ["$1,200", "(300)", "1,500", "n/a"]})
    >>> s = load_history(df, unit="store").intake
    >>> s.n_units, s.n_periods, s.grid_gaps, s.gap_units
    (2, 4, 1, {'A': ['2023']})
    >>> s.to_dict()["conversions"][0]["what"]
    "thousands separators ','; currency symbol '$'; accounting negatives; missing markers 'n/a'"
    >>> print(s.short)
    Data read from <DataFrame>: panel of 2 units x 4 annual periods (2021 to 2024), wide form, 4 rows
      grid gaps: 1 (A: 2023)
      missing: sales 62%
      converted: sales: thousands separators ','; currency symbol '$'; accounting negatives; missing markers 'n/a' (4 cells)
    """

    source: str
    layout: str | None
    frequency: str
    n_units: int | None
    n_periods: int
    first_period: str | None
    last_period: str | None
    grid_gaps: int
    gap_units: dict[str, list[str]] | None
    missing_share: dict[str, float]
    conversions: tuple[Conversion, ...] = ()
    merged_units: tuple[MergedUnit, ...] | None = None
    columns_mapped: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    # beyond the agreed shape (added keys)
    gap_periods: list[str] | None = None
    unit_column: str | None = None
    period_column: str | None = None
    units: list[str] | None = None
    controls: tuple[str, ...] = ()
    n_rows: int | None = None
    columns_ignored: tuple[str, ...] = ()

    # --------------------------------------------------------------- export
    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready), in field order. Unit fields are None for a single series."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in ("conversions", "merged_units"):
                v = None if v is None else [x.to_dict() for x in v]
            elif isinstance(v, (tuple, dict)):
                v = list(v) if isinstance(v, tuple) else dict(v)
            out[f.name] = v
        return out

    @property
    def short(self) -> str:
        """A few lines for the console (``bsc validate``): only what needs attention."""
        return "\n".join(self._lines(_SHORT_ITEMS, full=False))

    @property
    def text(self) -> str:
        """Everything, one section per line group (``bsc data``)."""
        return "\n".join(self._lines(_FULL_ITEMS, full=True))

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        import html

        return "<pre>" + html.escape(self.text) + "</pre>"

    # -------------------------------------------------------------- render
    def _lines(self, n: int, *, full: bool) -> list[str]:
        kind = (f"panel of {fmt_count(self.n_units or 0, 'unit')}" if self.n_units is not None
                else "single series")
        span = f" ({self.first_period} to {self.last_period})" if self.first_period is not None else ""
        head = f"Data read from {self.source}: {kind} x {fmt_count(self.n_periods, self.frequency + ' period')}{span}"
        if self.layout:
            head += f", {self.layout} form"
        if self.n_rows is not None:
            head += f", {fmt_count(self.n_rows, 'row')}"
        lines = [head]
        if full:
            if self.unit_column:
                lines.append(f"  unit column: '{self.unit_column}'; units: {_cut(self.units or [], n)}")
            lines.append(f"  period column: '{self.period_column}'")
            if self.controls:
                lines.append(f"  controls: {', '.join(self.controls)}")
        gaps = self._gap_text(n)
        if gaps or full:
            lines.append(f"  grid gaps: {gaps or 'none'}")
        miss = {c: v for c, v in self.missing_share.items() if v > 0}
        order = list(miss) if full else sorted(miss, key=lambda c: -miss[c])
        text = _cut([f"{c} {fmt_share(miss[c])}" for c in order], n)
        rest = len(self.missing_share) - len(miss)
        if full and rest:
            text += ("; " if text else "") + f"no missing values in {'the other ' if miss else ''}" + fmt_count(
                rest, "column")
        if text:
            lines.append(f"  missing: {text}")
        lines += [f"  converted: {c.column}: {c.what} ({fmt_count(c.cells, 'cell')})" for c in self.conversions[:n]]
        if len(self.conversions) > n:
            lines.append(f"  converted: ... and {fmt_count(len(self.conversions) - n, 'more column')}")
        for m in (self.merged_units or ())[:n]:
            lines.append(f"  merged units: {m.into!r} <- {', '.join(repr(v) for v in m.variants)}")
        if self.merged_units and len(self.merged_units) > n:
            lines.append(f"  merged units: ... and {len(self.merged_units) - n} more")
        if self.columns_mapped:
            lines.append("  columns: " + _cut([f"{k} <- {v!r}" for k, v in self.columns_mapped.items()], n))
        lines += [f"  note: {x}" for x in self.notes]
        return lines

    def _gap_text(self, n: int) -> str:
        if not self.grid_gaps:
            return ""
        if self.gap_units is None:
            return f"{self.grid_gaps} ({_cut(self.gap_periods or [], n)})"
        parts = [f"{u}: {_cut(p, n)}" for u, p in self.gap_units.items()]
        return f"{self.grid_gaps} ({_cut(parts, n, sep='; ')})"


def _cut(items: list[str], n: int, sep: str = ", ") -> str:
    shown = sep.join(str(x) for x in items[:n])
    return shown + (f"{sep}... ({len(items)} in all)" if len(items) > n else "")

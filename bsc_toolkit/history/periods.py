"""Period labels: parsing, frequency detection and formatting.

Every period value in a KPI history is turned into a *frequency* and an
*ordinal* (an integer position on that frequency's calendar: pandas' Period
ordinal, or the value itself for a plain integer index). Consecutive periods
have consecutive ordinals, so the complete grid of a history is simply
``range(min_ordinal, max_ordinal + 1)``.

Accepted period styles
----------------------
========================  ===============================================
integers                   ``2024`` (years, 1000-2999 -> annual) or ``1, 2, 3`` (integer index)
quarters                   ``2024Q1``, ``2024-Q1``, ``2024 Q1``, ``Q1 2024``
months                     ``2024-03``, ``2024/03``, ``2024M03``
ISO weeks                  ``2024-W05``, ``2024W05`` (weeks run Monday to Sunday)
dates                      ``2024-03-31`` (also with a time, or a datetime column);
                           the frequency is detected from the dates
========================  ===============================================
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = [
    "FREQUENCIES",
    "PANDAS_FREQ",
    "format_periods",
    "parse_period_label",
    "period_index",
]

#: frequencies a KPI history can have, coarsest first
FREQUENCIES: tuple[str, ...] = ("annual", "quarterly", "monthly", "weekly", "daily", "integer")

#: pandas Period frequency of each calendar frequency
PANDAS_FREQ: dict[str, str] = {"annual": "Y", "quarterly": "Q", "monthly": "M", "weekly": "W", "daily": "D"}

_NAMES = {"annual": "year", "quarterly": "quarter", "monthly": "month", "weekly": "week", "daily": "day"}

ACCEPTED = "2024, 2024Q1, 2024-Q1, 2024-03, 2024-W05, 2024-03-31 or a plain integer index"

_RE_INT = re.compile(r"^[+-]?\d+$")
_RE_FLOAT_INT = re.compile(r"^[+-]?\d+\.0*$")
_RE_Q1 = re.compile(r"^(\d{4})\s*[-/_ ]?\s*[Qq]([1-4])$")
_RE_Q2 = re.compile(r"^[Qq]([1-4])\s*[-/_ ]?\s*(\d{4})$")
_RE_W = re.compile(r"^(\d{4})\s*-?\s*[Ww](\d{1,2})$")
_RE_M = re.compile(r"^(\d{4})(?:[-/.]|\s*[Mm])(\d{1,2})$")
_RE_D = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_RE_PWEEK = re.compile(r"^(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Parsed:
    """One parsed period value: its kind and either an ordinal or a timestamp."""

    kind: str  # a calendar frequency, "int" or "date"
    value: int | pd.Timestamp


def _fail(value: object, why: str = "") -> ValueError:
    return ValueError(f"cannot read {value!r} as a period{why}; use {ACCEPTED}")


def parse_period_label(value: object) -> Parsed:
    """Parse one period value into its kind and ordinal (or timestamp for dates).

    Raises ValueError (without location; the caller adds column and row).

    Examples
    --------
    >>> parse_period_label("2024Q1").kind
    'quarterly'
    >>> parse_period_label("2024-W05").kind
    'weekly'
    >>> parse_period_label(3)
    Parsed(kind='int', value=3)
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        raise ValueError("the period is missing")
    if isinstance(value, (bool, np.bool_)):
        raise _fail(value)
    if isinstance(value, pd.Period):
        head = value.freqstr[:1].upper()
        kind = {"Y": "annual", "A": "annual", "Q": "quarterly", "M": "monthly", "W": "weekly", "D": "daily"}.get(head)
        if kind is None:
            raise _fail(value, f" (unsupported period frequency {value.freqstr})")
        return Parsed(kind, int(pd.Period(value.start_time, PANDAS_FREQ[kind]).ordinal))
    if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date, np.datetime64)):
        return Parsed("date", pd.Timestamp(value))
    if isinstance(value, (int, np.integer)):
        return Parsed("int", int(value))
    if isinstance(value, (float, np.floating)):
        if float(value).is_integer():
            return Parsed("int", int(value))
        raise _fail(value, " (not a whole number)")
    text = str(value).strip()
    if not text:
        raise ValueError("the period is missing")
    if _RE_INT.match(text) or _RE_FLOAT_INT.match(text):
        return Parsed("int", int(float(text)))
    m = _RE_Q1.match(text)
    if m:
        return Parsed("quarterly", _ordinal(f"{m.group(1)}Q{m.group(2)}", "Q", value))
    m = _RE_Q2.match(text)
    if m:
        return Parsed("quarterly", _ordinal(f"{m.group(2)}Q{m.group(1)}", "Q", value))
    m = _RE_W.match(text)
    if m:
        try:
            monday = _dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            raise _fail(value, " (no such ISO week)") from None
        return Parsed("weekly", int(pd.Period(monday, "W").ordinal))
    m = _RE_M.match(text)
    if m:
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise _fail(value, " (month must be 1-12)")
        return Parsed("monthly", _ordinal(f"{m.group(1)}-{month:02d}", "M", value))
    m = _RE_PWEEK.match(text)
    if m:
        start = pd.Timestamp(m.group(1))
        if start.dayofweek != 0 or pd.Timestamp(m.group(2)) - start != pd.Timedelta(days=6):
            raise _fail(value, " (a week range must run Monday to Sunday)")
        return Parsed("weekly", int(pd.Period(start, "W").ordinal))
    if _RE_D.match(text):
        try:
            return Parsed("date", pd.Timestamp(text).tz_localize(None) if "T" in text or "Z" in text else pd.Timestamp(text))
        except (ValueError, TypeError):
            raise _fail(value, " (no such date)") from None
    raise _fail(value)


def _ordinal(text: str, code: str, original: object) -> int:
    try:
        return int(pd.Period(text, code).ordinal)
    except (ValueError, TypeError):
        raise _fail(original) from None


def period_index(ordinals: Sequence[int] | np.ndarray, frequency: str) -> pd.Index:
    """The period labels of grid ordinals: a PeriodIndex, or an integer Index.

    Examples
    --------
    >>> period_index([216, 217], "quarterly")
    PeriodIndex(['2024Q1', '2024Q2'], dtype='period[Q-DEC]', name='period')
    """
    ords = np.asarray(ordinals, dtype=np.int64)
    if frequency == "integer":
        return pd.Index(ords, name="period")
    # pandas-stubs lacks PeriodIndex.from_ordinals (pandas >= 2.2)
    index = pd.PeriodIndex.from_ordinals(ords, freq=PANDAS_FREQ[frequency])  # type: ignore[attr-defined]
    return index.rename("period")


def format_periods(periods: pd.Index, frequency: str) -> list[str]:
    """Human labels: ``2024``, ``2024Q1``, ``2024-03``, ``2024-W05``, ``2024-03-31``, ``7``.

    These are the labels written to files; :func:`parse_period_label` reads
    every one of them back to the same period.

    Examples
    --------
    >>> format_periods(period_index([216, 217], "quarterly"), "quarterly")
    ['2024Q1', '2024Q2']
    """
    if frequency == "integer" or not isinstance(periods, pd.PeriodIndex):
        return [str(x) for x in periods]
    if frequency == "annual":
        return [str(y) for y in periods.year]
    if frequency == "quarterly":
        return [f"{y}Q{q}" for y, q in zip(periods.year, periods.quarter, strict=True)]
    if frequency == "monthly":
        return [f"{y}-{m:02d}" for y, m in zip(periods.year, periods.month, strict=True)]
    if frequency == "weekly":
        out = []
        for ts in periods.start_time:
            iso = ts.isocalendar()
            out.append(f"{iso[0]}-W{iso[1]:02d}")
        return out
    return [ts.strftime("%Y-%m-%d") for ts in periods.start_time]


def frequency_name(kind: str) -> str:
    """'quarter' for 'quarterly' etc. (used in messages)."""
    return _NAMES.get(kind, kind)


def parse_start(start: object, frequency: str) -> int:
    """Ordinal of a user-given start period for ``frequency`` (simulation).

    Accepts a label in any accepted style; a date is placed in its period.

    Examples
    --------
    >>> parse_start("2020Q1", "quarterly") == pd.Period("2020Q1", "Q").ordinal
    True
    """
    try:
        p = parse_period_label(start)
    except ValueError as exc:
        raise DataError(f"`start` {exc}") from None
    if frequency == "integer":
        if p.kind != "int":
            raise DataError(f"`start` must be a whole number for frequency 'integer', got {start!r}")
        return int(p.value)
    code = PANDAS_FREQ[frequency]
    if isinstance(p.value, pd.Timestamp):  # p.kind == "date"
        return int(pd.Period(p.value, code).ordinal)
    if p.kind == "int":
        if frequency == "annual":
            return int(pd.Period(str(p.value), "Y").ordinal)
        raise DataError(
            f"`start` {start!r} is not a {frequency_name(frequency)} label for frequency "
            f"'{frequency}' (e.g. {format_periods(period_index([pd.Period('2020-01-01', code).ordinal], frequency), frequency)[0]})"
        )
    if p.kind != frequency:
        raise DataError(f"`start` {start!r} is a {p.kind} label but the frequency is '{frequency}'")
    return int(p.value)

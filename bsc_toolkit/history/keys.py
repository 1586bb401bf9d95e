"""Keys of a KPI history: unit labels and periods, read from a raw table.

Units
-----
Unit labels are stripped of surrounding whitespace. Labels that differ only in
case, spacing or punctuation (``"ALABAMA "``, ``"Alabama"``, ``"alabama"``;
``"U.S. Steel"`` and ``"US Steel"``) are never silently treated as different
units: they are **merged** into the most frequent spelling, and the merge is
reported (:class:`MergedUnit`, a note and a :class:`DataWarning`). When two such
spellings both have a row for the same period (and KPI), they cannot be one unit
written two ways, and the load is **refused** with an error listing the pairs.

Periods
-------
Every period value becomes a *frequency* and an *ordinal* on that frequency's
calendar (see :mod:`bsc_toolkit.history.periods`); dates get the coarsest
frequency that gives every (unit, date) its own period.
"""

from __future__ import annotations

import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_datetime64_any_dtype, is_numeric_dtype

from ..errors import DataError
from .numbers import show_cell
from .periods import PANDAS_FREQ, Parsed, parse_period_label
from .readers import RawTable, listing
from .summary import MergedUnit

__all__ = ["PERIOD_NAMES", "DataWarning", "UnitKeys", "detect_period", "period_ordinals",
           "unit_keys"]

#: column names recognised as the period column, in order of preference
PERIOD_NAMES: tuple[str, ...] = ("period", "date", "time", "year", "quarter", "month", "week")
_MAX_PAIRS = 5  # near-duplicate pairs listed in one error


class DataWarning(UserWarning):
    """The data were changed on load in a way a user should know (e.g. unit spellings merged)."""


@dataclass(frozen=True)
class UnitKeys:
    """Unit code of every row (after merging), the labels, and each row's spelling before merging."""

    codes: np.ndarray
    labels: list[Any]
    spelling: np.ndarray  # code of the exact (stripped) label of each row, before merging
    spellings: list[Any]  # the raw label of each spelling code, as first written
    merged: tuple[MergedUnit, ...] = ()


def unit_key(label: Any) -> str:
    """The comparison key of a unit label: case, spacing and punctuation removed.

    Examples
    --------
    >>> unit_key(" ALABAMA "), unit_key("U.S. Steel"), unit_key("us-steel"), unit_key(7)
    ('alabama', 'ussteel', 'ussteel', '7')
    >>> unit_key("--")  # nothing but punctuation: the label itself
    '--'
    """
    text = unicodedata.normalize("NFKC", str(label)).strip()
    key = "".join(ch for ch in text.casefold() if ch.isalnum())
    return key or text


def unit_keys(table: RawTable, unit: str) -> UnitKeys:
    """Codes and sorted labels of the unit column; near-duplicate spellings merged (and reported)."""
    s = table.df[unit]
    raw_codes, uniques = pd.factorize(s, use_na_sentinel=True)
    _check_missing(table, unit, raw_codes, [_plain(u) for u in uniques])
    stripped = [_clean_label(u) for u in uniques]
    padded = [j for j, u in enumerate(uniques) if isinstance(u, str) and u != u.strip()]
    if padded:
        n_rows = int(np.isin(raw_codes, padded).sum())
        table.notes.append(f"column '{unit}': spaces around unit names removed in {n_rows:,} row(s)")
    # one code per stripped label ("A " and "A" are one spelling); 1 and "1" compare as text
    mixed = len({type(v) for v in stripped}) > 1
    texts = [str(v) for v in stripped] if mixed else stripped
    spell_of: dict[Any, int] = {}
    spell_code = np.array([spell_of.setdefault(t, len(spell_of)) for t in texts], dtype=np.int64)
    spelling = spell_code[raw_codes]
    spell_labels = list(spell_of)
    raw_first = [_plain(uniques[int(np.flatnonzero(spell_code == k)[0])]) for k in range(len(spell_labels))]
    # spellings with one comparison key are one unit: the most frequent spelling names it
    counts = np.bincount(spelling, minlength=len(spell_labels))
    groups: dict[str, list[int]] = {}
    for k, lab in enumerate(spell_labels):
        groups.setdefault(unit_key(lab), []).append(k)
    unit_of = np.empty(len(spell_labels), dtype=np.int64)
    labels: list[Any] = []
    merged: list[MergedUnit] = []
    for members in groups.values():
        keep = max(members, key=lambda k: (counts[k], -k))
        unit_of[members] = len(labels)
        labels.append(spell_labels[keep])
        if len(members) > 1:
            merged.append(MergedUnit(str(spell_labels[keep]),
                                     _variants(uniques, spell_code, members, keep, spell_labels[keep])))
    order = _sort_order(labels)
    rank = np.empty(len(order), dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
    codes = rank[unit_of[spelling]]
    return UnitKeys(codes, [labels[i] for i in order], spelling, raw_first, tuple(merged))


def _variants(uniques: Any, spell_code: np.ndarray, members: list[int], keep: int, label: Any) -> tuple[str, ...]:
    """The raw spellings (as written) of a unit other than the kept label itself."""
    out = []
    for j, k in enumerate(spell_code):
        if k in members:
            raw = _plain(uniques[j])
            if not (k == keep and raw == label):
                out.append(str(raw))
    return tuple(dict.fromkeys(out))


def report_merges(source: str, unit: str, merged: tuple[MergedUnit, ...]) -> None:
    """A DataWarning naming every merge of unit spellings (the data summary lists them too)."""
    if not merged:
        return
    parts = [f"{m.into!r} <- {', '.join(repr(v) for v in m.variants)}" for m in merged]
    warnings.warn(f"{source}: column '{unit}': unit names that differ only in case, spacing or punctuation "
                  f"were merged: {listing(parts, 10)}", DataWarning, stacklevel=4)


def near_duplicate_error(table: RawTable, unit: str, keys: UnitKeys, pairs: list[tuple[int, int]],
                         what: Callable[[int], str]) -> DataError:
    """The error for rows of two spellings of one unit that share a period (and KPI): not mergeable."""
    shown = []
    for a, b in pairs[:_MAX_PAIRS]:
        sa, sb = keys.spellings[keys.spelling[a]], keys.spellings[keys.spelling[b]]
        shown.append(f"{show_cell(sa)} (row {table.row(a)}) and {show_cell(sb)} (row {table.row(b)}) "
                     f"both have {what(b)}")
    more = f"; ... and {len(pairs) - _MAX_PAIRS} more" if len(pairs) > _MAX_PAIRS else ""
    return table.err(
        "unit names that differ only in case, spacing or punctuation cannot be merged into one unit: "
        + "; ".join(shown) + more + ". If they are one unit, keep one row per period; if they are different "
        "units, give them names that differ in letters or digits", column=unit)


def _check_missing(table: RawTable, col: str, codes: np.ndarray, uniques: list[Any], what: str = "unit") -> None:
    bad = codes < 0
    for j, u in enumerate(uniques):
        if isinstance(u, str) and not u.strip():
            bad |= codes == j
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise table.err(f"the {what} is missing (every row needs one)", column=col, pos=pos)


def _clean_label(v: Any) -> Any:
    v = _plain(v)
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _sort_order(labels: list[Any]) -> list[int]:
    try:
        return sorted(range(len(labels)), key=lambda i: labels[i])
    except TypeError:
        return sorted(range(len(labels)), key=lambda i: str(labels[i]))


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def labels_of(table: RawTable, col: str, what: str) -> tuple[np.ndarray, list[Any]]:
    """Codes and stripped labels of an id column (KPI names in long form); a missing id is an error."""
    codes, uniques = pd.factorize(table.df[col], use_na_sentinel=True)
    _check_missing(table, col, codes, list(uniques), what)
    labels = [_clean_label(u) for u in uniques]
    first: dict[Any, int] = {}
    remap = np.array([first.setdefault((type(v).__name__, v), j) for j, v in enumerate(labels)], dtype=np.int64)
    keep = sorted(set(remap.tolist()))
    dense = np.empty(len(labels), dtype=np.int64)
    dense[keep] = np.arange(len(keep))
    return dense[remap][codes], [labels[j] for j in keep]


# ------------------------------------------------------------------- periods
def detect_period(table: RawTable, exclude: set[str], lower: dict[str, str]) -> list[str]:
    """The period column(s) by name: period, date, time; year with quarter or month; year, ..."""
    avail = {k: v for k, v in lower.items() if v not in exclude}
    for name in ("period", "date", "time"):
        if name in avail:
            return [avail[name]]
    for sub in ("quarter", "month"):
        if "year" in avail and sub in avail:
            return [avail["year"], avail[sub]]
    for name in ("year", "quarter", "month", "week"):
        if name in avail:
            return [avail[name]]
    raise table.err(
        "no period column found; name it with period='...' (looked for a column called "
        f"{', '.join(PERIOD_NAMES)}); the columns are: {listing(list(table.df.columns))}",
    )


def period_ordinals(table: RawTable, period_cols: list[str], unit_codes: np.ndarray) -> tuple[str, np.ndarray]:
    """Frequency and ordinal of every row."""
    if len(period_cols) == 2:
        return _year_and_sub(table, *period_cols)
    col = period_cols[0]
    s = table.df[col]
    if is_datetime64_any_dtype(s):
        if s.isna().any():
            raise table.err("the period is missing (every row needs one)", column=col,
                            pos=int(np.flatnonzero(s.isna().to_numpy())[0]))
        ts = pd.DatetimeIndex(s)
        return _date_frequency(table, col, ts.tz_localize(None) if ts.tz is not None else ts, unit_codes)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    _check_missing(table, col, codes, list(uniques), "period")
    parsed: list[Parsed] = []
    for j, value in enumerate(uniques):
        try:
            parsed.append(parse_period_label(value))
        except ValueError as exc:
            raise table.err(str(exc), column=col, pos=int(np.flatnonzero(codes == j)[0])) from None
    kinds = [p.kind for p in parsed]
    if len(set(kinds)) > 1:
        raise _mixed_styles(table, col, codes, uniques, kinds)
    kind = kinds[0]
    if kind == "date":
        return _date_frequency(table, col, pd.DatetimeIndex([parsed[c].value for c in codes]), unit_codes)
    values = np.array([p.value for p in parsed], dtype=np.int64)
    if kind != "int":
        return kind, values[codes]
    if values.min() >= 1000 and values.max() <= 2999:
        return "annual", values[codes] - 1970
    packed = _packed_dates(values)
    if packed is None:
        return "integer", values[codes]
    kind_p, conv = packed
    table.notes.append(f"column '{col}': read numbers like {values[0]} as "
                       + ("dates (YYYYMMDD)" if kind_p == "date" else "months (YYYYMM)"))
    if kind_p == "date":
        return _date_frequency(table, col, pd.DatetimeIndex(conv[codes]), unit_codes)
    return "monthly", conv[codes]


def _mixed_styles(table: RawTable, col: str, codes: np.ndarray, uniques: Any, kinds: list[str]) -> DataError:
    first: dict[str, int] = {}
    for j, k in enumerate(kinds):
        first.setdefault(k, j)
    (ka, ja), (kb, jb) = sorted(first.items(), key=lambda kv: kv[1])[:2]
    ra = table.row(int(np.flatnonzero(codes == ja)[0]))
    rb = table.row(int(np.flatnonzero(codes == jb)[0]))
    return table.err(
        f"periods mix styles: row {ra} has {uniques[ja]!r} ({_kind_text(ka)}) but row {rb} has "
        f"{uniques[jb]!r} ({_kind_text(kb)}); use one style for the whole column",
        column=col,
    )


def _packed_dates(values: np.ndarray) -> tuple[str, np.ndarray] | None:
    """Numbers that are all valid YYYYMMDD dates or YYYYMM months (as exported by many systems)."""
    if values.min() >= 10000101 and values.max() <= 29991231:
        ts = pd.to_datetime(values.astype(str), format="%Y%m%d", errors="coerce")
        if not ts.isna().any():
            return "date", np.asarray(ts)
    if values.min() >= 100001 and values.max() <= 299912:
        months = values % 100
        if ((months >= 1) & (months <= 12)).all():
            return "monthly", (values // 100 - 1970) * 12 + months - 1
    return None


def _kind_text(kind: str) -> str:
    return {"int": "a number", "date": "a date"}.get(kind, f"{kind} label")


def _year_and_sub(table: RawTable, ycol: str, scol: str) -> tuple[str, np.ndarray]:
    per_year = 4 if scol.lower() == "quarter" else 12
    freq = "quarterly" if per_year == 4 else "monthly"
    years = _whole_numbers(table, ycol, 1000, 2999, table.df[ycol])
    sub = table.df[scol]
    if not is_numeric_dtype(sub):
        sub = sub.astype(str).str.strip().str.lstrip("QqMm")
    sub_vals = _whole_numbers(table, scol, 1, per_year, sub)
    return freq, (years - 1970) * per_year + (sub_vals - 1)


def _whole_numbers(table: RawTable, col: str, lo: int, hi: int, series: pd.Series) -> np.ndarray:
    num = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(num) | (np.mod(np.nan_to_num(num), 1) != 0) | (num < lo) | (num > hi)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise table.err(f"expected a whole number from {lo} to {hi}, found {show_cell(table.df[col].iloc[pos])}",
                        column=col, pos=pos)
    return num.astype(np.int64)


def _date_frequency(table: RawTable, col: str, ts: pd.DatetimeIndex, unit_codes: np.ndarray) -> tuple[str, np.ndarray]:
    """The coarsest frequency that gives every (unit, date) its own period."""
    pairs = pd.DataFrame({"u": unit_codes, "d": ts.normalize()}).drop_duplicates()
    pair_pos = pairs.index.to_numpy()
    collision: tuple[str, int, int] | None = None  # (frequency, pos a, pos b) of the last collision
    chosen = "daily"
    for name in ("annual", "quarterly", "monthly", "weekly", "daily"):
        ords = pd.DatetimeIndex(pairs["d"]).to_period(PANDAS_FREQ[name]).asi8
        key = pd.Series(ords * (int(unit_codes.max()) + 1) + pairs["u"].to_numpy())
        if not key.duplicated(keep=False).any():
            chosen = name
            break
        first_dup = int(np.flatnonzero(key.duplicated().to_numpy())[0])
        other = int(np.flatnonzero((key == key.iloc[first_dup]).to_numpy())[0])
        collision = (name, int(pair_pos[other]), int(pair_pos[first_dup]))
    if collision is not None:
        ords_pairs = pd.DatetimeIndex(pairs["d"]).to_period(PANDAS_FREQ[chosen]).asi8
        g = pd.DataFrame({"u": pairs["u"].to_numpy(), "o": ords_pairs}).groupby("u")["o"]
        fill = len(pairs) / (g.max() - g.min() + 1).sum()
        if fill < 0.5:
            name, a, b = collision
            raise table.err(
                f"dates do not fit one frequency: row {table.row(a)} ({show_cell(table.df[col].iloc[a])}) and "
                f"row {table.row(b)} ({show_cell(table.df[col].iloc[b])}) fall in the same "
                f"{_UNIT_NAMES[name]}, and a {chosen} grid would be {1 - fill:.0%} empty; "
                "aggregate to one row per period first (e.g. monthly averages)",
                column=col,
            )
    return chosen, ts.to_period(PANDAS_FREQ[chosen]).asi8.astype(np.int64)


_UNIT_NAMES = {"annual": "year", "quarterly": "quarter", "monthly": "month", "weekly": "week", "daily": "day"}

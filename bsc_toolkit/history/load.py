"""Load KPI history from files, SQL or a DataFrame onto a complete period grid.

:func:`load_history` reads CSV, Excel (.xlsx), Parquet, a pandas DataFrame or
the result of a SQL query (DuckDB, or any SQLAlchemy database URL), in long form
(``[unit,] period, kpi, value``) or wide form (``[unit,] period, <kpi id>...``),
detects the period style and frequency, and puts every unit on one complete,
regular grid of periods (missing periods become NaN).

The pieces live in their own modules: :mod:`~bsc_toolkit.history.readers`
(files), :mod:`~bsc_toolkit.history.sql` (queries), :mod:`~bsc_toolkit.history.numbers`
(numbers as people write them), :mod:`~bsc_toolkit.history.keys` (units and
periods) and :mod:`~bsc_toolkit.history.summary` (what was read). This module
selects the columns a run uses, maps them to KPI ids, and builds the grid.

Everything that can be wrong with the input is reported as a
:class:`~bsc_toolkit.errors.DataError` naming the file, the column and the row;
cells that are not numbers are collected over all the columns used and reported
together.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import DataError
from .frame import SINGLE_UNIT, KPIHistory
from .keys import (
    PERIOD_NAMES,
    UnitKeys,
    detect_period,
    labels_of,
    near_duplicate_error,
    period_ordinals,
    report_merges,
    unit_keys,
)
from .numbers import DECIMALS, BadCells, NumberColumn, parse_numbers, show_cell
from .periods import format_periods, period_index
from .readers import RawTable, check_header, from_frame, listing, read_source
from .sql import is_database, mask_url, run_query
from .summary import Conversion, LoadLog

if TYPE_CHECKING:
    from ..scorecard import Scorecard

__all__ = ["history_from_frame", "load_history"]

_MAX_GRID = 200_000  # periods on one grid; more means the period column is not what we think
_FORMS = ("auto", "long", "wide")
_BOTH = "give either a data file/DataFrame or a database for the query, not both"


@dataclass
class _Request:
    """What the caller asked for, checked."""

    unit: str | None
    period: str | None
    kpis: list[str] | None
    controls: list[str]
    form: str
    decimal: str
    scorecard_kpis: dict[str, str | None] = field(default_factory=dict)  # KPI id -> `column:` (or None)
    column_map: dict[str, str] = field(default_factory=dict)
    has_scorecard: bool = False


# --------------------------------------------------------------- public API
def load_history(
    source: str | os.PathLike[str] | pd.DataFrame | None = None,
    *,
    unit: str | None = None,
    period: str | None = None,
    kpis: Sequence[str] | None = None,
    controls: Sequence[str] = (),
    form: str = "auto",
    sql: str | None = None,
    database: str | None = None,
    sheet: str | int | None = None,
    scorecard: Scorecard | str | os.PathLike[str] | None = None,
    column_map: Mapping[str, str] | None = None,
    decimal: str = ".",
) -> KPIHistory:
    """Load a KPI history from a file, a DataFrame or a SQL query.

    Parameters
    ----------
    source : path, DataFrame or None
        A CSV (``.csv``, ``.txt``, ``.tsv``; the separator is detected), Excel
        (``.xlsx``) or Parquet file, or a DataFrame; with ``sql``, also a database
        (``.duckdb``, ``.db``, ``.sqlite`` or a SQLAlchemy URL). May be omitted when
        ``sql`` or ``database`` is given. With ``sql``, a data file or DataFrame is
        the table ``data`` of the query.
    unit : str, optional
        Column naming the unit (store, region, company) of a panel. Omit it for a
        single company series. Names are stripped of surrounding spaces; names that
        differ only in case, spacing or punctuation are merged (reported in
        ``.intake`` and as a :class:`~bsc_toolkit.history.keys.DataWarning`), or
        refused when both spellings have a row for the same period.
    period : str, optional
        Column holding the period. When omitted, a column named ``period``,
        ``date``, ``time``, ``year``, ``quarter``, ``month`` or ``week`` is used
        (case-insensitive); ``year`` together with ``quarter`` or ``month`` columns
        is combined into quarters or months.
    kpis : list of str, optional
        KPI ids the caller needs; missing ones are an error listing what is there.
        When given, only these KPIs (and the controls) are read. When omitted (and
        no ``scorecard``), every other column (wide form) or every ``kpi`` value
        (long form) is a KPI, except wide columns without a single number (noted
        and ignored).
    controls : list of str
        Extra variables (columns in wide form, ``kpi`` values in long form) kept
        as control variables.
    form : {"auto", "long", "wide"}
        ``auto`` reads long form when the table has ``kpi`` and ``value`` columns.
    sql : str, optional
        One SELECT query, run in a sandboxed DuckDB over the data (table ``data``,
        with typed columns), or against ``database``. Other statements (COPY,
        ATTACH, INSTALL, LOAD, PRAGMA, SET, ...) are refused, and the query
        cannot read other files.
    database : str, optional
        A SQLAlchemy URL (``sqlite:///kpis.db``, ``postgresql://user@host/db``), a
        SQLite file path, or a DuckDB file (``.duckdb``) to run ``sql`` against.
    sheet : str or int, optional
        Excel sheet name or 0-based position (default: the first sheet).
    scorecard : Scorecard, file or example name, optional
        Read the scorecard's KPIs (a KPI's ``column:`` names its column when it
        differs from the id), and only those and the controls: other columns are
        not parsed at all. KPIs without a column are left out (the evidence
        engine names the links that need them).
    column_map : mapping of KPI id to column, optional
        Column names for KPIs (``{"revenue": "Sales (EUR)"}``); overrides
        ``column:`` in the scorecard. The history names the columns by KPI id.
    decimal : {".", ","}
        Decimal mark of numbers written as text. With ``","`` a dot is a thousands
        separator (``1.234,5``).

    Returns
    -------
    KPIHistory
        Wide data on a complete regular grid of periods for every unit; the
        detected frequency is in ``.frequency``, and ``.intake`` says what was
        read and converted.

    Raises
    ------
    DataError
        With file, column and row: unreadable or empty files, unknown columns,
        cells that are not numbers (all of them together), duplicate (unit,
        period) rows, unreadable or irregular periods, missing KPIs, refused
        queries.
    MissingDependencyError
        When a reader's optional package is not installed.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"store": ["A", "A", "B"], "quarter": ["2024Q1", "2024Q3", "2024Q1"],
    ...                    "nps": [20, 22, 31]})
    >>> h = load_history(df, unit="store")
    >>> h.frequency, h.n_units, h.n_periods
    ('quarterly', 2, 3)
    >>> h.to_frame()["nps"].tolist()  # the gap 2024Q2 is on the grid as NaN
    [20.0, nan, 22.0, 31.0, nan, nan]
    >>> df = pd.DataFrame({"year": [2022, 2023], "Sales (EUR)": ["1.234,5", "2.000"]})
    >>> load_history(df, column_map={"sales": "Sales (EUR)"}, decimal=",").data["sales"].tolist()
    [1234.5, 2000.0]
    """
    req = _request(unit, period, kpis, controls, form, decimal, scorecard, column_map)
    keys = [k for k in (unit, period) if k] + [*PERIOD_NAMES, "kpi"]
    table = _read(source, sql=sql, database=database, sheet=sheet, decimal=decimal, keys=keys)
    return _build(table, req)


def history_from_frame(
    df: pd.DataFrame,
    *,
    period: str | None = None,
    unit: str | None = None,
    kpis: Sequence[str] | None = None,
    controls: Sequence[str] = (),
    source: str = "<DataFrame>",
    form: str = "auto",
    scorecard: Scorecard | str | os.PathLike[str] | None = None,
    column_map: Mapping[str, str] | None = None,
    decimal: str = ".",
) -> KPIHistory:
    """Build a :class:`KPIHistory` from a DataFrame (long or wide form).

    Unit and period may be columns or levels of the index. Rows are counted
    from 1 in messages. See :func:`load_history` for the parameters.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"year": [2021, 2022, 2023], "revenue": [1.0, 1.2, 1.5]})
    >>> h = history_from_frame(df, period="year")
    >>> h.frequency, h.is_panel, h.period_labels
    ('annual', False, ['2021', '2022', '2023'])
    """
    req = _request(unit, period, kpis, controls, form, decimal, scorecard, column_map)
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}", file=source)
    if any(name is not None for name in df.index.names):
        df = df.reset_index()
    return _build(from_frame(df, source, 1), req)


# ---------------------------------------------------------------- requests
def _request(unit: str | None, period: str | None, kpis: Sequence[str] | None, controls: Sequence[str],
             form: str, decimal: str, scorecard: Scorecard | str | os.PathLike[str] | None,
             column_map: Mapping[str, str] | None) -> _Request:
    if form not in _FORMS:
        raise DataError(f"`form` must be one of {', '.join(_FORMS)}, got {form!r}")
    if decimal not in DECIMALS:
        raise DataError(f"`decimal` must be '.' or ',', got {decimal!r}")
    kpi_list = None if kpis is None else list(dict.fromkeys([kpis] if isinstance(kpis, str) else kpis))
    ctrl = list(dict.fromkeys([controls] if isinstance(controls, str) else controls))
    req = _Request(unit, period, kpi_list, ctrl, form, decimal)
    if scorecard is not None:
        if isinstance(scorecard, (str, os.PathLike)):
            from ..scorecard import load_scorecard

            scorecard = load_scorecard(scorecard)
        req.scorecard_kpis = {k.id: getattr(k, "column", None) for k in scorecard.kpis}
        req.has_scorecard = True
    for kpi, col in (column_map or {}).items():
        if not isinstance(kpi, str) or not kpi.strip() or not isinstance(col, str) or not col.strip():
            raise DataError(f"`column_map` pairs must be KPI id -> column name (text), got {kpi!r} -> {col!r}")
        if req.has_scorecard and kpi not in req.scorecard_kpis:
            raise DataError(f"`column_map` (--map) names '{kpi}', which is not a KPI id of the scorecard "
                            f"(KPIs: {listing(list(req.scorecard_kpis), 12)})")
        req.column_map[kpi.strip()] = col.strip()
    return req


def _read(source: str | os.PathLike[str] | pd.DataFrame | None, *, sql: str | None, database: str | None, sheet: str | int | None,
          decimal: str, keys: list[str]) -> RawTable:
    if sql is None:
        if database is not None:
            raise DataError(f"`database` ({mask_url(database)}) was given without a query: pass "
                            f"sql='SELECT ...'")
        if source is not None and not isinstance(source, pd.DataFrame) and is_database(source):
            raise DataError("this is a database; name what to read with a query: sql='SELECT * FROM "
                            "<table>' (--sql)", file=mask_url(str(source)))
        return read_source(source, sheet=sheet, keys=keys, decimal=decimal)
    if source is not None and not isinstance(source, pd.DataFrame) and is_database(source):
        if database is not None:
            raise DataError(_BOTH, file=mask_url(str(source)))
        source, database = None, str(source)  # the file named is the database the query runs against
    # a query may use any column as unit or period: every CSV cell stays text for typed_frame to type
    base = read_source(source, sheet=sheet, keys=None, decimal=decimal) if source is not None else None
    return run_query(sql, database=database, base=base, decimal=decimal)


# ---------------------------------------------------------------- building
def _build(table: RawTable, req: _Request) -> KPIHistory:
    cols = check_header(list(table.df.columns), table.source)
    table.df = table.df.set_axis(cols, axis=1)
    if table.df.shape[1] == 0:
        raise table.err("the table has no columns (expected a header row and data rows)")
    if len(table.df) == 0:
        raise table.err(f"no data rows (the columns are: {listing(cols)})")
    lower = {c.lower(): c for c in cols}
    form = req.form
    if form == "auto":
        form = "long" if ("kpi" in lower and "value" in lower) else "wide"
    if form == "long" and not ("kpi" in lower and "value" in lower):
        raise table.err(f"long form needs columns 'kpi' and 'value'; the columns are: {listing(cols)}")
    for what, name in (("unit", req.unit), ("period", req.period)):
        if name is not None and name not in cols:
            raise table.err(f"{what} column '{name}' not found; the columns are: {listing(cols)}", column=name)
    if req.unit is not None and req.unit == req.period:
        raise table.err("the unit and period columns must differ", column=req.unit)

    keys = unit_keys(table, req.unit) if req.unit is not None else None
    unit_codes = keys.codes if keys is not None else np.zeros(len(table.df), dtype=np.int64)
    unit_labels = keys.labels if keys is not None else [SINGLE_UNIT]
    period_cols = ([req.period] if req.period is not None else
                   detect_period(table, {req.unit} if req.unit else set(), lower))
    frequency, ordinals = period_ordinals(table, period_cols, unit_codes)
    omin, omax = int(ordinals.min()), int(ordinals.max())
    n_t = omax - omin + 1
    if n_t > _MAX_GRID:
        raise table.err(
            f"the periods span {n_t:,} {frequency} periods (from {_label(omin, frequency)} to "
            f"{_label(omax, frequency)}); dates written as numbers like 20240301 should be written "
            "as 2024-03-01",
            column="+".join(period_cols),
        )
    slot = unit_codes * n_t + (ordinals - omin)
    used = set(period_cols) | ({req.unit} if req.unit else set())
    grid = _Grid(slot, len(unit_labels) * n_t, keys, period_cols)
    builder = _long_values if form == "long" else _wide_values
    names, data, log = builder(table, req, grid, used, lower)
    if keys is not None:
        report_merges(table.source, req.unit or "", keys.merged)
    index = pd.MultiIndex.from_arrays(
        [np.repeat(np.asarray(unit_labels, dtype=object), n_t), np.tile(np.arange(n_t), len(unit_labels))],
        names=["unit", "t"],
    )
    return KPIHistory(
        data=pd.DataFrame(data, index=index, columns=pd.Index(names, dtype=object)),
        periods=period_index(np.arange(omin, omax + 1), frequency),
        frequency=frequency,
        is_panel=req.unit is not None,
        source=table.source,
        unit_column=req.unit,
        period_column="+".join(period_cols),
        controls=tuple(req.controls),
        notes=tuple(table.notes),
        load_log=LoadLog(layout=form, n_rows=len(table.df), conversions=log[0],
                         merged_units=keys.merged if keys is not None else (),
                         columns_mapped=log[1], columns_ignored=log[2]),
    )


@dataclass(frozen=True)
class _Grid:
    slot: np.ndarray  # grid position (unit * n_t + t) of every row
    size: int
    keys: UnitKeys | None
    period_cols: list[str]


_Log = tuple[tuple[Conversion, ...], tuple[tuple[str, str], ...], tuple[str, ...]]


def _label(ordinal: int, frequency: str) -> str:
    return format_periods(period_index([ordinal], frequency), frequency)[0]


# ------------------------------------------------------------- selection
def _select(table: RawTable, req: _Request, available: list[str],
            where: str) -> tuple[dict[str, str], list[str], bool]:
    """KPI id -> source name (column, or ``kpi`` value in long form), the names left unread, and
    whether every name was taken (no scorecard and no ``kpis``, or a scorecard none of whose KPIs is here).

    ``where`` describes the names for messages ("the data have" / "column 'kpi' holds").
    """
    avail = set(available)
    wanted: dict[str, str] = {}
    explicit: dict[str, str] = {}  # KPI id -> why the name is expected (for messages)
    for kid, col in req.scorecard_kpis.items():
        if kid in req.column_map:
            wanted[kid], explicit[kid] = req.column_map[kid], "--map"
        elif col:
            wanted[kid], explicit[kid] = col, "column: in the scorecard"
        elif kid in avail:
            wanted[kid] = kid
    for kid, col in req.column_map.items():
        if kid not in wanted:
            wanted[kid], explicit[kid] = col, "--map"
    for kid in req.kpis or ():
        wanted.setdefault(kid, kid)
        explicit.setdefault(kid, "")
    automatic = req.kpis is None and (not req.has_scorecard or not wanted)
    if automatic and req.has_scorecard:
        table.notes.append("none of the scorecard's KPIs is a column here (name columns with `column:` or "
                           "--map); every column was read")
    elif req.has_scorecard:
        absent = [k for k in req.scorecard_kpis if k not in wanted]
        if absent:
            table.notes.append(f"no column for KPI(s) {listing(absent, 12)}: name it with `column:` in the "
                               f"scorecard or --map {absent[0]}=COLUMN")
    if automatic:
        taken = set(wanted.values())
        for name in available:
            if name not in taken and name not in req.column_map:
                wanted.setdefault(name, name)
    clash = [c for c in req.controls if c in wanted and wanted[c] != c]
    if clash:
        raise table.err(f"'{clash[0]}' is both a control and a KPI id read from another column", column=clash[0])
    for c in req.controls:  # a control is not a KPI, even when a KPI has its name
        wanted.pop(c, None)
        explicit.pop(c, None)
    missing = [k for k in explicit if wanted[k] not in avail]
    if missing:
        what = ", ".join(f"{k} (reads '{wanted[k]}', from {explicit[k]})" if wanted[k] != k else k
                         for k in missing)
        raise table.err(f"KPI column(s) missing from the data: {what}; {where}: {listing(available)}",
                        column=wanted[missing[0]])
    by_source: dict[str, str] = {}
    for kid, src in wanted.items():
        if src in by_source:
            raise table.err(f"KPIs '{by_source[src]}' and '{kid}' both read '{src}'; each KPI needs its own "
                            "column (check `column:` and --map)", column=src)
        by_source[src] = kid
    unread = [a for a in available if a not in by_source and a not in req.controls]
    return wanted, unread, automatic


def _conversion(table: RawTable, name: str, col: NumberColumn) -> Conversion | None:
    col = table.converted.get(name, col)
    if not col.kinds:
        return None
    return Conversion(name, col.what, col.converted, dict(col.kinds))


# ---------------------------------------------------------------- wide form
def _wide_values(table: RawTable, req: _Request, grid: _Grid, used: set[str],
                 lower: dict[str, str]) -> tuple[list[str], np.ndarray, _Log]:
    df = table.df
    others = [c for c in df.columns if c not in used]
    missing_controls = [c for c in req.controls if c not in others]
    if missing_controls:
        raise table.err(
            f"control column(s) {', '.join(repr(c) for c in missing_controls)} not found; "
            f"the columns are: {listing(list(df.columns))}",
            column=missing_controls[0],
        )
    wanted, unread, automatic = _select(table, req, others, "the data have")
    bad = BadCells(table.source)
    names: list[str] = []
    arrays: list[np.ndarray] = []
    conversions: list[Conversion] = []
    ignored: list[str] = []
    for name, src in [*wanted.items(), *((c, c) for c in req.controls)]:
        col = parse_numbers(df[src], req.decimal)
        if automatic and src == name and name not in req.controls and col.bad.any() and _no_numbers(col):
            ignored.append(src)
            continue
        bad.add(src, col, df[src], table.rows)
        names.append(name)
        arrays.append(col.values)
        conv = _conversion(table, src, col)
        if conv is not None:
            conversions.append(conv)
    bad.raise_if_any()
    if ignored:
        table.notes.append(f"ignored column(s) without numbers: {', '.join(ignored)}")
    _note_unread(table, req, unread, automatic)
    if not names:
        raise table.err(
            f"no KPI columns with numbers found (the columns are: {listing(list(df.columns))}); "
            "for long form the columns must be called 'kpi' and 'value'",
        )
    _check_wide_duplicates(table, req, grid)
    data = np.full((grid.size, len(names)), np.nan)
    for j, arr in enumerate(arrays):
        data[grid.slot, j] = arr
    mapped = tuple((k, v) for k, v in wanted.items() if k != v)
    return names, data, (tuple(conversions), mapped, tuple([*ignored, *unread]))


def _note_unread(table: RawTable, req: _Request, unread: list[str], automatic: bool) -> None:
    if unread and not automatic:
        why = "KPIs of the scorecard" if req.has_scorecard else "among the KPIs asked for"
        table.notes.append(f"not read (not {why}, nor controls): {listing(unread, 12)}")


def _no_numbers(col: NumberColumn) -> bool:
    """A label column: filled cells, none of which is a number."""
    return bool(np.isnan(col.values).all())


# ---------------------------------------------------------------- long form
def _long_values(table: RawTable, req: _Request, grid: _Grid, used: set[str],
                 lower: dict[str, str]) -> tuple[list[str], np.ndarray, _Log]:
    df = table.df
    kcol, vcol = lower["kpi"], lower["value"]
    kraw, klabels = labels_of(table, kcol, "KPI name")
    present = list(dict.fromkeys(str(x) for x in klabels))
    absent_controls = [c for c in req.controls if c not in present]
    if absent_controls:
        raise table.err(
            f"control(s) {', '.join(repr(c) for c in absent_controls)} not found; in long form controls "
            f"are values of column '{kcol}', which holds: {listing(present)}",
            column=kcol,
        )
    wanted, unread, _ = _select(table, req, present, f"column '{kcol}' holds")
    names = list(dict.fromkeys([*wanted, *req.controls]))
    source_of = {**wanted, **{c: c for c in req.controls}}
    code_of = {source_of[n]: i for i, n in enumerate(names)}
    label_code = np.array([code_of.get(str(lab), -1) for lab in klabels], dtype=np.int64)
    kc = label_code[kraw]
    keep = kc >= 0
    raw = df[vcol][keep].reset_index(drop=True)  # only the rows of the KPIs a run uses are read
    col = parse_numbers(raw, req.decimal)
    bad = BadCells(table.source)
    bad.add(vcol, col, raw, table.rows[keep])
    bad.raise_if_any()
    kc_safe = np.where(keep, kc, 0)
    key = np.where(keep, grid.slot * len(names) + kc_safe, -1 - np.arange(len(kc)))
    pairs = _duplicate_pairs(key)
    if pairs is not None:
        _raise_duplicates(table, req, grid, pairs, kcol, lambda b: f"KPI {names[kc_safe[b]]!r}")
    data = np.full((grid.size, len(names)), np.nan)
    data[grid.slot[keep], kc[keep]] = col.values
    _note_unread(table, req, unread, False)
    conv = _conversion(table, vcol, col)
    mapped = tuple((k, v) for k, v in wanted.items() if k != v)
    return names, data, ((conv,) if conv else (), mapped, tuple(unread))


# --------------------------------------------------------------- duplicates
def _duplicate_pairs(key: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(first row, repeated row) positions of every repeated key, or None."""
    s = pd.Series(key)
    dup = s.duplicated().to_numpy()
    if not dup.any():
        return None
    first = pd.Series(np.arange(len(key))).groupby(key).transform("first").to_numpy()
    b = np.flatnonzero(dup)
    return first[b], b


def _check_wide_duplicates(table: RawTable, req: _Request, grid: _Grid) -> None:
    pairs = _duplicate_pairs(grid.slot)
    if pairs is not None:
        _raise_duplicates(table, req, grid, pairs, None, None)


def _raise_duplicates(table: RawTable, req: _Request, grid: _Grid, pairs: tuple[np.ndarray, np.ndarray],
                      kcol: str | None, kpi_of: Callable[[int], str] | None) -> None:
    """The error for repeated (unit, period[, KPI]) rows: near-duplicate unit names first, else the first pair."""
    firsts, dups = pairs
    df = table.df

    def per(b: int) -> str:
        return " ".join(show_cell(df[c].iloc[b]) for c in grid.period_cols)

    keys = grid.keys
    if keys is not None:
        near = keys.spelling[firsts] != keys.spelling[dups]
        if near.any():
            what = (lambda b: f"period {per(b)}") if kpi_of is None else (lambda b: f"period {per(b)} and {kpi_of(b)}")
            raise near_duplicate_error(table, req.unit or "", keys,
                                       list(zip(firsts[near].tolist(), dups[near].tolist(), strict=True)), what)
    a, b = int(firsts[0]), int(dups[0])
    column = grid.period_cols[0] if len(grid.period_cols) == 1 else None
    if kpi_of is not None:
        who = f"unit {show_cell(df[req.unit].iloc[b])}, " if req.unit is not None else ""
        tail = "" if req.unit is not None else (
            f"; if the data hold several units, name the unit column with unit='...'{_unit_hint(table, grid)}")
        raise table.err(f"duplicate rows for {who}period {per(b)}, {kpi_of(b)}: rows {table.row(a)} and "
                        f"{table.row(b)}{tail}", column=kcol)
    if req.unit is not None:
        raise table.err(
            f"duplicate rows for unit {show_cell(df[req.unit].iloc[b])} and period {per(b)}: rows {table.row(a)} "
            f"and {table.row(b)} (each unit may have one row per period)", column=column)
    raise table.err(
        f"duplicate rows for period {per(b)}: rows {table.row(a)} and {table.row(b)}; if the data hold several "
        f"units (stores, regions, companies), name the unit column with unit='...'{_unit_hint(table, grid)}",
        column=column)


def _unit_hint(table: RawTable, grid: _Grid) -> str:
    df = table.df
    exclude = set(grid.period_cols)
    named = {"unit", "id", "store", "region", "company", "firm", "state", "country"}
    cands = [
        c for c in df.columns
        if c not in exclude and c.lower() not in ("kpi", "value")
        and (c.lower() in named or _mostly_text(df[c]))
    ]
    return f" (candidates: {', '.join(cands)})" if cands else ""


def _mostly_text(s: pd.Series) -> bool:
    """A column of labels rather than numbers (CSV cells are all text, so look at the cells)."""
    col = parse_numbers(s.head(200))
    return bool(col.bad.mean() > 0.5) if len(col.bad) else False


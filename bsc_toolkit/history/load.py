"""Load KPI history from files, SQL or a DataFrame onto a complete period grid.

:func:`load_history` reads CSV, Excel (.xlsx), Parquet, a pandas DataFrame or
the result of a SQL query (DuckDB, or any SQLAlchemy database URL), in long form
(``[unit,] period, kpi, value``) or wide form (``[unit,] period, <kpi id>...``),
detects the period style and frequency, and puts every unit on one complete,
regular grid of periods (missing periods become NaN). Everything that can be
wrong with the input is reported as a :class:`~bsc_toolkit.errors.DataError`
naming the file, the column and the row.

Row numbers in messages are the ones a spreadsheet user sees for CSV and Excel
files (the header is row 1, the first data row is row 2). For Parquet files,
SQL results and DataFrames, rows are counted from 1 (the first record).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import (
    is_bool_dtype,
    is_datetime64_any_dtype,
    is_numeric_dtype,
)

from ..errors import DataError, MissingDependencyError
from .frame import SINGLE_UNIT, KPIHistory
from .periods import PANDAS_FREQ, Parsed, format_periods, parse_period_label, period_index

__all__ = ["history_from_frame", "load_history"]

#: cell texts that count as missing values (case-insensitive, after stripping)
NA_STRINGS = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a", "<na>", "nat"})

#: column names recognised as the period column, in order of preference
PERIOD_NAMES: tuple[str, ...] = ("period", "date", "time", "year", "quarter", "month", "week")

_MAX_GRID = 200_000  # periods on one grid; more means the period column is not what we think
_FORMS = ("auto", "long", "wide")
_CSV_SUFFIXES = {".csv", ".txt", ".tsv", ".tab"}
_EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_PARQUET_SUFFIXES = {".parquet", ".pq", ".parq"}


# --------------------------------------------------------------------- tables
@dataclass
class _Table:
    """A raw table with the row numbers its user sees, and where it came from."""

    df: pd.DataFrame
    source: str
    rows: np.ndarray  # user-facing row number of each df row
    notes: list[str] = field(default_factory=list)

    def row(self, pos: int) -> int:
        return int(self.rows[pos])


def _from_frame(df: pd.DataFrame, source: str, first_row: int) -> _Table:
    return _Table(df=df, source=source, rows=np.arange(len(df), dtype=np.int64) + first_row)


def _err(table: _Table, message: str, *, column: str | None = None, pos: int | None = None) -> DataError:
    return DataError(message, file=table.source, column=column, row=None if pos is None else table.row(pos))


def _list(names: Sequence[object], n: int = 30) -> str:
    names = [str(x) for x in names]
    s = ", ".join(names[:n])
    return s + (f", ... ({len(names)} in all)" if len(names) > n else "")


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
) -> KPIHistory:
    """Load a KPI history from a file, a DataFrame or a SQL query.

    Parameters
    ----------
    source : path, DataFrame or None
        A CSV (``.csv``, ``.txt``, ``.tsv``; the separator is detected), Excel
        (``.xlsx``) or Parquet file, or a DataFrame. May be omitted when ``sql``
        is given; when both are given, the query sees the source as table ``data``.
    unit : str, optional
        Column naming the unit (store, region, company) of a panel. Omit it for a
        single company series.
    period : str, optional
        Column holding the period. When omitted, a column named ``period``,
        ``date``, ``time``, ``year``, ``quarter``, ``month`` or ``week`` is used
        (case-insensitive); ``year`` together with ``quarter`` or ``month`` columns
        is combined into quarters or months.
    kpis : list of str, optional
        KPI ids the caller needs; missing ones are an error listing what is there.
        When given, only these KPIs (and the controls) are kept. When omitted,
        every other column (wide form) or every ``kpi`` value (long form) is a
        KPI, except wide columns without a single number (noted and ignored).
    controls : list of str
        Extra variables (columns in wide form, ``kpi`` values in long form) kept
        as control variables.
    form : {"auto", "long", "wide"}
        ``auto`` reads long form when the table has ``kpi`` and ``value`` columns.
    sql : str, optional
        A query. Without ``database`` it runs in DuckDB, which reads files named
        in the query directly (``SELECT * FROM 'kpis.parquet' WHERE region = 'EU'``).
    database : str, optional
        A SQLAlchemy URL (``sqlite:///kpis.db``, ``postgresql://user@host/db``), a
        SQLite file path, or a DuckDB file (``.duckdb``) to run ``sql`` against.
    sheet : str or int, optional
        Excel sheet name or 0-based position (default: the first sheet).

    Returns
    -------
    KPIHistory
        Wide data on a complete regular grid of periods for every unit; the
        detected frequency is in ``.frequency``.

    Raises
    ------
    DataError
        With file, column and row: unreadable or empty files, unknown columns,
        non-numeric cells, duplicate (unit, period) rows, unreadable or
        irregular periods, missing KPIs.
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
    """
    if form not in _FORMS:
        raise DataError(f"`form` must be one of {', '.join(_FORMS)}, got {form!r}")
    table = _read_source(source, sql=sql, database=database, sheet=sheet, unit=unit, period=period)
    return _build(table, unit=unit, period=period, kpis=kpis, controls=controls, form=form)


def history_from_frame(
    df: pd.DataFrame,
    *,
    period: str | None = None,
    unit: str | None = None,
    kpis: Sequence[str] | None = None,
    controls: Sequence[str] = (),
    source: str = "<DataFrame>",
    form: str = "auto",
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
    if form not in _FORMS:
        raise DataError(f"`form` must be one of {', '.join(_FORMS)}, got {form!r}")
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}", file=source)
    if any(name is not None for name in df.index.names):
        df = df.reset_index()
    return _build(_from_frame(df, source, 1), unit=unit, period=period, kpis=kpis,
                  controls=controls, form=form)


# ------------------------------------------------------------------ readers
def _text_columns(unit: str | None, period: str | None) -> Callable[[list[str]], list[str]]:
    """Which header names to read as text (ids and periods keep leading zeros)."""

    def pick(header: list[str]) -> list[str]:
        names = {h.strip().lower(): h for h in header}
        out = [h for h in header if h.strip() in {unit, period}]
        out += [names[n] for n in (*PERIOD_NAMES, "kpi") if n in names]
        return list(dict.fromkeys(out))

    return pick


def _read_source(
    source: Any,
    *,
    sql: str | None,
    database: str | None,
    sheet: str | int | None,
    unit: str | None,
    period: str | None,
) -> _Table:
    text_cols = _text_columns(unit, period)
    if sql is not None or database is not None:
        if sql is None:
            raise DataError(f"`database` ({_mask_url(database)}) was given without a query: pass sql='SELECT ...'")
        base = None
        if source is not None:
            base = source if isinstance(source, pd.DataFrame) else _read_file(source, sheet, text_cols).df
        return _read_sql(sql, database, base)
    if source is None:
        raise DataError("no data given: pass a file, a DataFrame or sql='SELECT ...'")
    if isinstance(source, pd.DataFrame):
        df = source.reset_index() if any(n is not None for n in source.index.names) else source
        return _from_frame(df, "<DataFrame>", 1)
    if isinstance(source, (str, os.PathLike)):
        return _read_file(source, sheet, text_cols)
    raise DataError(
        f"cannot read KPI history from a {type(source).__name__}; pass a file path, a DataFrame or sql="
    )


def _read_file(path_like: Any, sheet: str | int | None, text_cols: Callable[[list[str]], list[str]]) -> _Table:
    path = Path(path_like)
    label = str(path_like)
    if not path.exists():
        raise DataError("file not found", file=label)
    if path.is_dir():
        raise DataError("is a folder, not a data file", file=label)
    suffix = path.suffix.lower()
    if sheet is not None and suffix not in _EXCEL_SUFFIXES:
        raise DataError(f"`sheet` ({sheet!r}) applies to Excel workbooks (.xlsx) only, but this is a "
                        f"'{suffix or '(no extension)'}' file", file=label)
    if suffix in _CSV_SUFFIXES:
        return _read_csv(path, label, text_cols)
    if suffix in _EXCEL_SUFFIXES:
        return _read_excel(path, label, sheet)
    if suffix in _PARQUET_SUFFIXES:
        return _read_parquet(path, label)
    if suffix == ".xls":
        raise DataError("old-style .xls workbooks cannot be read; save the sheet as .xlsx or .csv", file=label)
    raise DataError(
        f"unknown file type '{suffix or '(none)'}'; expected .csv/.txt/.tsv (CSV), .xlsx (Excel) or "
        ".parquet, or pass sql='SELECT ...'",
        file=label,
    )


def _read_csv(path: Path, label: str, text_cols: Callable[[list[str]], list[str]]) -> _Table:
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        raise DataError(f"cannot read the file: {exc.strerror or exc}", file=label) from None
    if not head.strip():
        raise DataError("the file is empty (expected a header row and data rows)", file=label)
    if b"\x00" in head:
        raise DataError(
            "cannot read as CSV: the file holds binary data (Excel workbooks must end in .xlsx, "
            "Parquet files in .parquet)",
            file=label,
        )
    notes: list[str] = []
    encoding = "utf-8-sig"
    try:
        text = head.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            encoding = "latin-1"
            notes.append(f"{label} is not UTF-8; read as Latin-1")
        text = head[: exc.start].decode(encoding)
    first_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    counts = {s: first_line.count(s) for s in (",", ";", "\t", "|")}
    sep = max(counts, key=lambda s: counts[s]) if any(counts.values()) else ","
    try:
        raw_header = [str(c) for c in pd.read_csv(path, sep=sep, encoding=encoding, nrows=0).columns]
    except Exception:  # reported by the full read below
        raw_header = []
    wanted = set(text_cols([h.strip() for h in raw_header]))
    dtypes = {h: str for h in raw_header if h.strip() in wanted}
    try:
        df = pd.read_csv(path, sep=sep, encoding=encoding, dtype=dtypes or None, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise DataError("the file is empty (expected a header row and data rows)", file=label) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise DataError(f"cannot read as CSV: {_first_line(exc)}", file=label) from None
    table = _from_frame(df, label, 2)
    table.notes.extend(notes)
    return _drop_blank_rows(table)


def _read_excel(path: Path, label: str, sheet: str | int | None) -> _Table:
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            "reading Excel files needs openpyxl: pip install openpyxl (it comes with bsc-toolkit)"
        ) from None
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # zipfile.BadZipFile, InvalidFileException, ...
        raise DataError(f"cannot read as an Excel workbook (.xlsx): {_first_line(exc)}", file=label) from None
    with book:
        names = list(book.sheet_names)
        target: str | int = 0 if sheet is None else sheet
        if isinstance(target, str) and target not in names:
            raise DataError(f"no sheet named {target!r}; the workbook has: {_list(names)}", file=label)
        if isinstance(target, int) and not 0 <= target < len(names):
            raise DataError(
                f"sheet position {target} does not exist; the workbook has {len(names)} sheet(s): {_list(names)}",
                file=label,
            )
        sheet_name = names[target] if isinstance(target, int) else target
        try:
            df = pd.read_excel(book, sheet_name=sheet_name)
        except Exception as exc:
            raise DataError(f"cannot read sheet {sheet_name!r}: {_first_line(exc)}", file=label) from None
    if df.shape[1] == 0:
        raise DataError(f"sheet {sheet_name!r} is empty (expected a header row and data rows)", file=label)
    table = _from_frame(df, f"{label}[{sheet_name}]" if sheet is not None else label, 2)
    return _drop_blank_rows(table)


def _read_parquet(path: Path, label: str) -> _Table:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise MissingDependencyError("reading Parquet files needs pyarrow: pip install pyarrow") from None
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # ArrowInvalid, OSError, ...
        raise DataError(f"cannot read as Parquet: {_first_line(exc)}", file=label) from None
    if any(n is not None for n in df.index.names):
        df = df.reset_index()
    return _from_frame(df, label, 1)


def _mask_url(url: str | None) -> str:
    if url is None:
        return "<none>"
    if "://" not in url:
        return url
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        head, _, tail = url.partition("://")
        return f"{head}://{tail.rsplit('@', 1)[-1]}" if "@" in tail else url


def _read_sql(sql: str, database: str | None, base: pd.DataFrame | None) -> _Table:
    short = " ".join(sql.split())
    short = short if len(short) <= 80 else short[:77] + "..."
    if database is None or (("://" not in database) and database.lower().endswith((".duckdb", ".ddb"))):
        label = f"query '{short}'" + (f" on {database}" if database else "")
        return _from_frame(_run_duckdb(sql, database, base, label), label, 1)
    url = database
    if "://" not in database:
        p = Path(database)
        if not p.is_file():
            raise DataError(
                f"`database` must be a SQLAlchemy URL (e.g. sqlite:///kpis.db, postgresql://user@host/db), "
                f"a SQLite file or a .duckdb file; got {database!r}, which is not a file"
            )
        url = f"sqlite:///{p.resolve()}"
    label = f"query '{short}' on {_mask_url(url)}"
    try:
        import sqlalchemy
    except ImportError:
        raise MissingDependencyError(
            "reading from a database URL needs SQLAlchemy: pip install 'bsc-toolkit[sql]'"
        ) from None
    if base is not None:
        raise DataError("give either a source file/DataFrame or `database`, not both", file=label)
    try:
        engine = sqlalchemy.create_engine(url)
    except ModuleNotFoundError as exc:
        raise MissingDependencyError(
            f"the database driver '{exc.name}' for {_mask_url(url)} is not installed: pip install {exc.name}"
        ) from None
    except Exception as exc:  # ArgumentError for a malformed URL, NoSuchModuleError
        raise DataError(f"cannot open the database: {_first_line(exc)}", file=label) from None
    try:
        with engine.connect() as conn:
            df = pd.read_sql_query(sqlalchemy.text(sql), conn)
    except Exception as exc:  # OperationalError, ProgrammingError, ...
        raise DataError(f"the query failed: {_first_line(exc)}", file=label) from None
    finally:
        engine.dispose()
    return _from_frame(df, label, 1)


def _run_duckdb(sql: str, database: str | None, base: pd.DataFrame | None, label: str) -> pd.DataFrame:
    try:
        import duckdb
    except ImportError:
        raise MissingDependencyError("SQL queries without `database` run in DuckDB: pip install duckdb") from None
    try:
        con = duckdb.connect(database or ":memory:", read_only=bool(database))
    except Exception as exc:
        raise DataError(f"cannot open the DuckDB database: {_first_line(exc)}", file=label) from None
    try:
        if base is not None:
            con.register("data", base)
        return con.execute(sql).df()
    except Exception as exc:  # duckdb.Error subclasses: CatalogException, ParserException, IOException
        raise DataError(f"the query failed: {_first_line(exc)}", file=label) from None
    finally:
        con.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _drop_blank_rows(table: _Table) -> _Table:
    df = table.df
    df.columns = [str(c) for c in df.columns]
    # drop unnamed all-empty columns (trailing separators, Excel formatting)
    empty_unnamed = [c for c in df.columns if c.startswith("Unnamed:") and df[c].isna().all()]
    if empty_unnamed:
        df = df.drop(columns=empty_unnamed)
    if df.shape[1]:
        keep = ~df.isna().all(axis=1).to_numpy()
        if not keep.all():
            df = df.loc[keep].reset_index(drop=True)
            table.rows = table.rows[keep]
    table.df = df
    return table


# --------------------------------------------------------------- building
def _build(
    table: _Table,
    *,
    unit: str | None,
    period: str | None,
    kpis: Sequence[str] | None,
    controls: Sequence[str],
    form: str,
) -> KPIHistory:
    df = table.df
    cols = [str(c).strip() for c in df.columns]
    seen: set[str] = set()
    for c in cols:
        if c in seen:
            raise _err(table, f"the column name '{c}' appears more than once in the header", column=c)
        seen.add(c)
    df = df.set_axis(cols, axis=1)
    table.df = df
    if df.shape[1] == 0:
        raise _err(table, "the table has no columns (expected a header row and data rows)")
    if len(df) == 0:
        raise _err(table, f"no data rows (the columns are: {_list(cols)})")
    if isinstance(kpis, str):
        kpis = [kpis]
    if isinstance(controls, str):
        controls = [controls]
    kpis = None if kpis is None else list(dict.fromkeys(kpis))
    controls = list(dict.fromkeys(controls))
    lower = {c.lower(): c for c in cols}

    if form == "auto":
        form = "long" if ("kpi" in lower and "value" in lower) else "wide"
    if form == "long" and not ("kpi" in lower and "value" in lower):
        raise _err(table, f"long form needs columns 'kpi' and 'value'; the columns are: {_list(cols)}")

    if unit is not None and unit not in cols:
        raise _err(table, f"unit column '{unit}' not found; the columns are: {_list(cols)}", column=unit)
    if period is not None and period not in cols:
        raise _err(table, f"period column '{period}' not found; the columns are: {_list(cols)}", column=period)
    if unit is not None and unit == period:
        raise _err(table, "the unit and period columns must differ", column=unit)

    # units
    if unit is not None:
        unit_codes, unit_labels = _units(table, unit)
    else:
        unit_codes, unit_labels = np.zeros(len(df), dtype=np.int64), [SINGLE_UNIT]

    # periods
    if period is None:
        period_cols = _detect_period(table, exclude={unit} if unit else set(), lower=lower)
    else:
        period_cols = [period]
    frequency, ordinals = _periods(table, period_cols, unit_codes, unit is not None)
    period_label = "+".join(period_cols)

    omin, omax = int(ordinals.min()), int(ordinals.max())
    n_t = omax - omin + 1
    if n_t > _MAX_GRID:
        raise _err(
            table,
            f"the periods span {n_t:,} {frequency} periods (from {_label(omin, frequency)} to "
            f"{_label(omax, frequency)}); dates written as numbers like 20240301 should be written "
            "as 2024-03-01",
            column=period_label,
        )
    t = ordinals - omin
    n_u = len(unit_labels)
    slot = unit_codes * n_t + t

    used = set(period_cols) | ({unit} if unit else set())
    if form == "long":
        names, values = _long_values(table, lower, slot, kpis, controls, unit, period_cols)
        data = np.full((n_u * n_t, len(names)), np.nan)
        data[values[0], values[1]] = values[2]
    else:
        names, columns = _wide_values(table, used, kpis, controls)
        _check_duplicates(table, slot, unit, period_cols)
        data = np.full((n_u * n_t, len(names)), np.nan)
        for j, arr in enumerate(columns):
            data[slot, j] = arr

    index = pd.MultiIndex.from_arrays(
        [np.repeat(np.asarray(unit_labels, dtype=object), n_t), np.tile(np.arange(n_t), n_u)],
        names=["unit", "t"],
    )
    frame = pd.DataFrame(data, index=index, columns=pd.Index(names, dtype=object))
    return KPIHistory(
        data=frame,
        periods=period_index(np.arange(omin, omax + 1), frequency),
        frequency=frequency,
        is_panel=unit is not None,
        source=table.source,
        unit_column=unit,
        period_column=period_label,
        controls=tuple(controls),
        notes=tuple(table.notes),
    )


def _label(ordinal: int, frequency: str) -> str:
    return format_periods(period_index([ordinal], frequency), frequency)[0]


def _labels(table: _Table, col: str, what: str) -> tuple[np.ndarray, list[Any]]:
    """Codes and (stripped) labels of an id column; a missing id is an error naming the row."""
    codes, uniques = pd.factorize(table.df[col], use_na_sentinel=True)
    if (codes < 0).any():
        pos = int(np.flatnonzero(codes < 0)[0])
        raise _err(table, f"the {what} is missing (every row needs one)", column=col, pos=pos)
    labels: list[Any] = []
    for j, u in enumerate(uniques):
        v = _plain(u)
        if isinstance(v, str):
            v = v.strip()
            if v == "":
                pos = int(np.flatnonzero(codes == j)[0])
                raise _err(table, f"the {what} is missing (every row needs one)", column=col, pos=pos)
        elif isinstance(v, float) and v.is_integer():
            v = int(v)
        labels.append(v)
    # labels equal after stripping share one code
    first: dict[Any, int] = {}
    remap = np.array([first.setdefault((type(v).__name__, v), j) for j, v in enumerate(labels)], dtype=np.int64)
    keep = sorted(set(remap.tolist()))
    dense = np.empty(len(labels), dtype=np.int64)
    dense[keep] = np.arange(len(keep))
    return dense[remap][codes], [labels[j] for j in keep]


def _units(table: _Table, unit: str) -> tuple[np.ndarray, list[Any]]:
    codes, labels = _labels(table, unit, "unit")
    try:
        order = sorted(range(len(labels)), key=lambda i: labels[i])
    except TypeError:  # mixed types (Excel numbers and text): compare as text, 1 and '1' are one unit
        text = [str(x) for x in labels]
        uniq = sorted(set(text))
        merged = np.array([uniq.index(x) for x in text], dtype=np.int64)
        return merged[codes], uniq
    rank = np.empty(len(order), dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
    return rank[codes], [labels[i] for i in order]


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _detect_period(table: _Table, exclude: set[str], lower: dict[str, str]) -> list[str]:
    avail = {k: v for k, v in lower.items() if v not in exclude}
    for name in ("period", "date", "time"):
        if name in avail:
            return [avail[name]]
    if "year" in avail and "quarter" in avail:
        return [avail["year"], avail["quarter"]]
    if "year" in avail and "month" in avail:
        return [avail["year"], avail["month"]]
    for name in ("year", "quarter", "month", "week"):
        if name in avail:
            return [avail[name]]
    raise _err(
        table,
        "no period column found; name it with period='...' (looked for a column called "
        f"{', '.join(PERIOD_NAMES)}); the columns are: {_list(list(table.df.columns))}",
    )


def _periods(
    table: _Table, period_cols: list[str], unit_codes: np.ndarray, panel: bool
) -> tuple[str, np.ndarray]:
    """Frequency and ordinal of every row."""
    if len(period_cols) == 2:
        return _year_and_sub(table, *period_cols)
    col = period_cols[0]
    s = table.df[col]
    if is_datetime64_any_dtype(s):
        if s.isna().any():
            pos = int(np.flatnonzero(s.isna().to_numpy())[0])
            raise _err(table, "the period is missing (every row needs one)", column=col, pos=pos)
        ts = pd.DatetimeIndex(s)
        if ts.tz is not None:
            ts = ts.tz_localize(None)
        return _date_frequency(table, col, ts, unit_codes, panel)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if (codes < 0).any():
        pos = int(np.flatnonzero(codes < 0)[0])
        raise _err(table, "the period is missing (every row needs one)", column=col, pos=pos)
    parsed: list[Parsed] = []
    for j, value in enumerate(uniques):
        try:
            parsed.append(parse_period_label(value))
        except ValueError as exc:
            pos = int(np.flatnonzero(codes == j)[0])
            raise _err(table, str(exc), column=col, pos=pos) from None
    kinds = [p.kind for p in parsed]
    kind_set = set(kinds)
    if len(kind_set) > 1:
        first: dict[str, int] = {}
        for j, k in enumerate(kinds):
            first.setdefault(k, j)
        (ka, ja), (kb, jb) = sorted(first.items(), key=lambda kv: kv[1])[:2]
        ra = table.row(int(np.flatnonzero(codes == ja)[0]))
        rb = table.row(int(np.flatnonzero(codes == jb)[0]))
        raise _err(
            table,
            f"periods mix styles: row {ra} has {uniques[ja]!r} ({_kind_text(ka)}) but row {rb} has "
            f"{uniques[jb]!r} ({_kind_text(kb)}); use one style for the whole column",
            column=col,
        )
    kind = kinds[0]
    if kind == "date":
        ts = pd.DatetimeIndex([parsed[c].value for c in codes])
        return _date_frequency(table, col, ts, unit_codes, panel)
    values = np.array([p.value for p in parsed], dtype=np.int64)
    if kind == "int":
        if values.min() >= 1000 and values.max() <= 2999:
            return "annual", values[codes] - 1970
        packed = _packed_dates(values)
        if packed is not None:
            kind_p, conv = packed
            table.notes.append(
                f"column '{col}': read numbers like {values[0]} as "
                + ("dates (YYYYMMDD)" if kind_p == "date" else "months (YYYYMM)")
            )
            if kind_p == "date":
                return _date_frequency(table, col, pd.DatetimeIndex(conv[codes]), unit_codes, panel)
            return "monthly", conv[codes]
        return "integer", values[codes]
    return kind, values[codes]


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


def _year_and_sub(table: _Table, ycol: str, scol: str) -> tuple[str, np.ndarray]:
    per_year = 4 if scol.lower() == "quarter" else 12
    freq = "quarterly" if per_year == 4 else "monthly"
    years = _whole_numbers(table, ycol, 1000, 2999)
    sub = table.df[scol]
    if not is_numeric_dtype(sub):
        sub = sub.astype(str).str.strip().str.lstrip("QqMm")
    sub_vals = _whole_numbers(table, scol, 1, per_year, series=sub, original=table.df[scol])
    return freq, (years - 1970) * per_year + (sub_vals - 1)


def _whole_numbers(
    table: _Table, col: str, lo: int, hi: int, series: pd.Series | None = None,
    original: pd.Series | None = None,
) -> np.ndarray:
    s = table.df[col] if series is None else series
    orig = table.df[col] if original is None else original
    num = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(num) | (np.mod(np.nan_to_num(num), 1) != 0) | (num < lo) | (num > hi)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise _err(table, f"expected a whole number from {lo} to {hi}, found {_show(orig.iloc[pos])}",
                   column=col, pos=pos)
    return num.astype(np.int64)


def _date_frequency(
    table: _Table, col: str, ts: pd.DatetimeIndex, unit_codes: np.ndarray, panel: bool
) -> tuple[str, np.ndarray]:
    """The coarsest frequency that gives every (unit, date) its own period."""
    days = ts.normalize()
    pairs = pd.DataFrame({"u": unit_codes, "d": days}).drop_duplicates()
    pair_pos = pairs.index.to_numpy()
    previous: tuple[str, int, int] | None = None  # (frequency, pos a, pos b) of a collision
    chosen = "daily"
    for name in ("annual", "quarterly", "monthly", "weekly", "daily"):
        ords = pd.DatetimeIndex(pairs["d"]).to_period(PANDAS_FREQ[name]).asi8
        key = pd.Series(ords * (int(unit_codes.max()) + 1) + pairs["u"].to_numpy())
        dup = key.duplicated(keep=False).to_numpy()
        if not dup.any():
            chosen = name
            break
        first_dup = int(np.flatnonzero(key.duplicated().to_numpy())[0])
        other = int(np.flatnonzero((key == key.iloc[first_dup]).to_numpy())[0])
        previous = (name, int(pair_pos[other]), int(pair_pos[first_dup]))
    ords_rows = ts.to_period(PANDAS_FREQ[chosen]).asi8
    if previous is not None:
        ords_pairs = pd.DatetimeIndex(pairs["d"]).to_period(PANDAS_FREQ[chosen]).asi8
        g = pd.DataFrame({"u": pairs["u"].to_numpy(), "o": ords_pairs}).groupby("u")["o"]
        span = (g.max() - g.min() + 1).sum()
        fill = len(pairs) / span
        if fill < 0.5:
            name, a, b = previous
            raise _err(
                table,
                f"dates do not fit one frequency: row {table.row(a)} ({_show(table.df[col].iloc[a])}) and "
                f"row {table.row(b)} ({_show(table.df[col].iloc[b])}) fall in the same "
                f"{_unit_name(name)}, and a {chosen} grid would be {1 - fill:.0%} empty; "
                "aggregate to one row per period first (e.g. monthly averages)",
                column=col,
            )
    return chosen, ords_rows.astype(np.int64)


def _show(v: Any) -> str:
    v = _plain(v)
    if isinstance(v, (pd.Timestamp,)):
        return v.strftime("%Y-%m-%d")
    return repr(v)


def _unit_name(freq: str) -> str:
    return {"annual": "year", "quarterly": "quarter", "monthly": "month", "weekly": "week", "daily": "day"}[freq]


def _numeric(table: _Table, col: str, s: pd.Series, only: np.ndarray | None = None) -> np.ndarray:
    """A column as float; non-numeric cells (in rows ``only``, default all) are an error naming row and value."""
    if is_bool_dtype(s):
        raise _err(table, f"expected numbers, found {s.iloc[0]!r} (a true/false column)", column=col, pos=0)
    if is_numeric_dtype(s):
        return s.to_numpy(dtype=float, na_value=np.nan)
    obj = s.astype(object)
    is_str = obj.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    cleaned = obj.where(~is_str, obj.astype(str).str.strip())
    missing = cleaned.isna().to_numpy() | (
        is_str & cleaned.astype(str).str.lower().isin(NA_STRINGS).to_numpy()
    )
    cleaned = cleaned.where(~missing, np.nan)
    bools = obj.map(lambda v: isinstance(v, (bool, np.bool_))).to_numpy(dtype=bool)
    num = pd.to_numeric(cleaned.where(~bools, "x"), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(num) & ~missing
    if only is not None:
        bad &= only
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        value = s.iloc[pos]
        raise _err(table, f"expected a number, found {_show(value)}{_hint(value)}", column=col, pos=pos)
    return num


def _hint(value: Any) -> str:
    text = str(value).strip()
    if text.endswith("%"):
        return " (write percentages without the % sign, e.g. 12.5)"
    if "," in text and text.replace(",", "").replace(".", "").lstrip("-").isdigit():
        return " (a decimal comma or thousands separator? write 1234.5)"
    return " (empty cells and NA count as missing)"


def _wide_values(
    table: _Table, used: set[str], kpis: list[str] | None, controls: list[str]
) -> tuple[list[str], list[np.ndarray]]:
    df = table.df
    others = [c for c in df.columns if c not in used]
    missing_controls = [c for c in controls if c not in df.columns or c in used]
    if missing_controls:
        raise _err(
            table,
            f"control column(s) {', '.join(repr(c) for c in missing_controls)} not found; "
            f"the columns are: {_list(list(df.columns))}",
            column=missing_controls[0],
        )
    if kpis is not None:
        missing = [k for k in kpis if k not in others]
        if missing:
            raise _err(
                table,
                f"KPI column(s) missing from the data: {', '.join(missing)}; the data have: {_list(others)}",
                column=missing[0],
            )
        names = list(dict.fromkeys([*kpis, *controls]))
        return names, [_numeric(table, c, df[c]) for c in names]
    names, arrays, ignored = [], [], []
    for c in others:
        s = df[c]
        if c not in controls and not is_numeric_dtype(s) and not is_bool_dtype(s):
            obj = s.astype(object)
            present = ~(obj.isna() | obj.astype(str).str.strip().str.lower().isin(NA_STRINGS))
            if present.any() and pd.to_numeric(obj[present], errors="coerce").isna().all():
                ignored.append(c)
                continue
        names.append(c)
        arrays.append(_numeric(table, c, s))
    if ignored:
        table.notes.append(f"ignored column(s) without numbers: {', '.join(ignored)}")
    if not names:
        raise _err(
            table,
            f"no KPI columns with numbers found (the columns are: {_list(list(df.columns))}); "
            "for long form the columns must be called 'kpi' and 'value'",
        )
    return names, arrays


def _check_duplicates(table: _Table, slot: np.ndarray, unit: str | None, period_cols: list[str]) -> None:
    key = pd.Series(slot)
    dup = key.duplicated().to_numpy()
    if not dup.any():
        return
    b = int(np.flatnonzero(dup)[0])
    a = int(np.flatnonzero(slot == slot[b])[0])
    df = table.df
    per = " ".join(_show(df[c].iloc[b]) for c in period_cols)
    if unit is not None:
        raise _err(
            table,
            f"duplicate rows for unit {_show(df[unit].iloc[b])} and period {per}: rows {table.row(a)} and "
            f"{table.row(b)} (each unit may have one row per period)",
            column=period_cols[0] if len(period_cols) == 1 else None,
        )
    hint = _unit_hint(table, set(period_cols))
    raise _err(
        table,
        f"duplicate rows for period {per}: rows {table.row(a)} and {table.row(b)}; "
        f"if the data hold several units (stores, regions, companies), name the unit column with "
        f"unit='...'{hint}",
        column=period_cols[0] if len(period_cols) == 1 else None,
    )


def _unit_hint(table: _Table, exclude: set[str]) -> str:
    df = table.df
    cands = [
        c for c in df.columns
        if c not in exclude and c.lower() != "kpi"
        and (not is_numeric_dtype(df[c]) or c.lower() in {"unit", "id", "store", "region", "company", "firm"})
    ]
    return f" (candidates: {', '.join(cands)})" if cands else ""


def _long_values(
    table: _Table,
    lower: dict[str, str],
    slot: np.ndarray,
    kpis: list[str] | None,
    controls: list[str],
    unit: str | None,
    period_cols: list[str],
) -> tuple[list[str], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    df = table.df
    kcol, vcol = lower["kpi"], lower["value"]
    kraw, klabels = _labels(table, kcol, "KPI name")
    klabels = [str(x) for x in klabels]
    present = list(dict.fromkeys(klabels))
    if kpis is not None:
        absent = [k for k in kpis if k not in present]
        if absent:
            raise _err(
                table,
                f"KPI(s) missing from the data: {', '.join(absent)}; column '{kcol}' holds: {_list(present)}",
                column=kcol,
            )
    absent_controls = [c for c in controls if c not in present]
    if absent_controls:
        raise _err(
            table,
            f"control(s) {', '.join(repr(c) for c in absent_controls)} not found; in long form controls "
            f"are values of column '{kcol}', which holds: {_list(present)}",
            column=kcol,
        )
    names = list(dict.fromkeys([*kpis, *controls])) if kpis is not None else present
    code_of = {n: i for i, n in enumerate(names)}
    label_code = np.array([code_of.get(lab, -1) for lab in klabels], dtype=np.int64)
    kcode = label_code[kraw]
    keep = kcode >= 0
    values = _numeric(table, vcol, df[vcol], only=keep)
    kc = np.where(keep, kcode, 0)
    key = slot * len(names) + kc
    key_s = pd.Series(np.where(keep, key, -1 - np.arange(len(key))))
    dup = key_s.duplicated().to_numpy()
    if dup.any():
        b = int(np.flatnonzero(dup)[0])
        a = int(np.flatnonzero(key_s.to_numpy() == key_s.iloc[b])[0])
        per = " ".join(_show(df[c].iloc[b]) for c in period_cols)
        who = f"unit {_show(df[unit].iloc[b])}, " if unit is not None else ""
        raise _err(
            table,
            f"duplicate rows for {who}period {per}, KPI {names[kc[b]]!r}: rows {table.row(a)} and "
            f"{table.row(b)}" + ("" if unit is not None else
                                 f"; if the data hold several units, name the unit column with unit='...'"
                                 f"{_unit_hint(table, set(period_cols))}"),
            column=kcol,
        )
    return names, (slot[keep], kc[keep], values[keep])

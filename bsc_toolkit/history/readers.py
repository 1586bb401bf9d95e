"""Readers: CSV, Excel and Parquet files and DataFrames into one raw table.

A :class:`RawTable` is what every reader returns (the SQL readers in
:mod:`bsc_toolkit.history.sql` too): the cells as read, the row number a user
sees for each of them, and notes about the reading. CSV cells stay text here;
:mod:`bsc_toolkit.history.numbers` reads them as numbers later, and only in the
columns a run uses.

Row numbers are the ones a spreadsheet user sees for CSV and Excel files (the
header is row 1, the first data row is row 2, blank lines count). For Parquet
files, SQL results and DataFrames, rows are counted from 1 (the first record).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

from .._format import letter_label
from ..errors import DataError, MissingDependencyError
from .numbers import NumberColumn

__all__ = ["RawTable", "check_header", "from_frame", "listing", "read_source"]

CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".tab"})
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq", ".parq"})
_HEAD_BYTES = 65536


@dataclass
class RawTable:
    """A raw table with the row numbers its user sees, and where it came from.

    ``converted`` holds number conversions already made while reading (the SQL
    path types its table before the query runs), by column name.
    """

    df: pd.DataFrame
    source: str
    rows: np.ndarray  # user-facing row number of each df row
    notes: list[str] = field(default_factory=list)
    converted: dict[str, NumberColumn] = field(default_factory=dict)

    def row(self, pos: int) -> int:
        return int(self.rows[pos])

    def err(self, message: str, *, column: str | None = None, pos: int | None = None) -> DataError:
        """A DataError located in this table (file, column and the user's row number)."""
        return DataError(message, file=self.source, column=column, row=None if pos is None else self.row(pos))


def from_frame(df: pd.DataFrame, source: str, first_row: int) -> RawTable:
    return RawTable(df=df, source=source, rows=np.arange(len(df), dtype=np.int64) + first_row)


def listing(names: Sequence[object], n: int = 30) -> str:
    """``a, b, c`` (the first ``n``, then how many in all).

    Examples
    --------
    >>> listing(["a", "b", "c"], n=2)
    'a, b, ... (3 in all)'
    """
    texts = [str(x) for x in names]
    s = ", ".join(texts[:n])
    return s + (f", ... ({len(texts)} in all)" if len(texts) > n else "")


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def check_header(names: Sequence[object], source: str) -> list[str]:
    """Header names as text, stripped; a name used twice is an error naming both columns.

    Examples
    --------
    >>> check_header([" unit", "nps "], "k.csv")
    ['unit', 'nps']
    >>> check_header(["unit", "nps", "sales", "nps"], "k.csv")
    Traceback (most recent call last):
    ...
    bsc_toolkit.errors.DataError: k.csv: the header names two columns 'nps' (columns 2 and 4, B and D); give every column its own name
    """
    clean = [str(c).strip() for c in names]
    first: dict[str, int] = {}
    for j, c in enumerate(clean):
        if c in first and c:
            i = first[c]
            raise DataError(
                f"the header names two columns '{c}' (columns {i + 1} and {j + 1}, {_letters(i)} and "
                f"{_letters(j)}); give every column its own name", file=source)
        first.setdefault(c, j)
    return clean


def _letters(j: int) -> str:
    """Spreadsheet column letters of 0-based position ``j``: A, B, ..., Z, AA."""
    return letter_label(j, upper=True)


# ------------------------------------------------------------------ dispatch
def read_source(source: str | os.PathLike[str] | pd.DataFrame | None, *, sheet: str | int | None = None, keys: Collection[str] | None = (),
                decimal: str = ".") -> RawTable:
    """Read a file (CSV, Excel, Parquet) or take a DataFrame as a raw table.

    ``keys`` are column names read as text from CSV files (unit, period, kpi),
    compared case-insensitively; ``None`` reads every CSV cell as text.
    """
    if source is None:
        raise DataError("no data given: pass a file, a DataFrame or sql='SELECT ...'")
    if isinstance(source, pd.DataFrame):
        if sheet is not None:
            raise DataError(f"`sheet` ({sheet!r}) applies to Excel workbooks (.xlsx) only, not to a DataFrame")
        df = source.reset_index() if any(n is not None for n in source.index.names) else source
        return from_frame(df, "<DataFrame>", 1)
    if isinstance(source, (str, os.PathLike)):
        return read_file(source, sheet, keys, decimal)
    raise DataError(
        f"cannot read KPI history from a {type(source).__name__}; pass a file path, a DataFrame or sql="
    )


def read_file(path_like: str | os.PathLike[str], sheet: str | int | None, keys: Collection[str] | None = (),
              decimal: str = ".") -> RawTable:
    path = Path(path_like)
    label = str(path_like)
    if not path.exists():
        raise DataError("file not found", file=label)
    if path.is_dir():
        raise DataError("is a folder, not a data file", file=label)
    suffix = path.suffix.lower()
    if sheet is not None and suffix not in EXCEL_SUFFIXES:
        raise DataError(f"`sheet` ({sheet!r}) applies to Excel workbooks (.xlsx) only, but this is a "
                        f"'{suffix or '(no extension)'}' file", file=label)
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, label, keys, decimal)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, label, sheet)
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path, label)
    if suffix == ".xls":
        raise DataError("old-style .xls workbooks cannot be read; save the sheet as .xlsx or .csv", file=label)
    raise DataError(
        f"unknown file type '{suffix or '(none)'}'; expected .csv/.txt/.tsv (CSV), .xlsx (Excel) or "
        ".parquet, or a database (.duckdb, .db, .sqlite) with sql='SELECT ...'",
        file=label,
    )


# ----------------------------------------------------------------------- CSV
def _sniff(path: Path, label: str) -> tuple[str, str, str, list[str]]:
    """Encoding, separator, decoded head and notes of a CSV file."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEAD_BYTES)
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
        if exc.start < len(head) - 4:  # not just a character cut at the end of the head
            encoding = "latin-1"
            notes.append(f"{label} is not UTF-8; read as Latin-1")
        text = head[: exc.start].decode(encoding)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    counts = {s: first.count(s) for s in (",", ";", "\t", "|")}
    sep = max(counts, key=lambda s: counts[s]) if any(counts.values()) else ","
    return encoding, sep, text, notes


def _read_csv(path: Path, label: str, keys: Collection[str] | None, decimal: str) -> RawTable:
    encoding, sep, text, notes = _sniff(path, label)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    header = next(csv.reader(io.StringIO(lines[0] if lines else ""), delimiter=sep), [])
    names = check_header(header, label)
    # ids and periods stay text (leading zeros); with a decimal comma every cell stays text, since pandas
    # would read 1.234 as a decimal; otherwise pandas reads plain numbers, and any column holding something
    # else arrives as text for parse_numbers (only empty cells are missing here, so NA and - are reported)
    every = keys is None or decimal != "."
    lower = {n.lower() for n in keys or ()}
    text_cols = {raw: str for raw, n in zip(header, names, strict=True) if n.lower() in lower}
    try:
        df = pd.read_csv(path, sep=sep, encoding=encoding, dtype=(str if every else text_cols or None),
                         keep_default_na=False, na_values=[""], skip_blank_lines=False, low_memory=False)
    except pd.errors.EmptyDataError:
        raise DataError("the file is empty (expected a header row and data rows)", file=label) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise DataError(f"cannot read as CSV: {first_line(exc)}", file=label) from None
    table = from_frame(df, label, 2)
    table.notes.extend(notes)
    return _drop_blank(table)


# --------------------------------------------------------------------- Excel
def _read_excel(path: Path, label: str, sheet: str | int | None) -> RawTable:
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            "reading Excel files needs openpyxl: pip install openpyxl (it comes with bsc-toolkit)"
        ) from None
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # zipfile.BadZipFile, InvalidFileException, ...
        raise DataError(f"cannot read as an Excel workbook (.xlsx): {first_line(exc)}", file=label) from None
    with book:
        names = list(book.sheet_names)
        target: str | int = 0 if sheet is None else sheet
        if isinstance(target, str) and target not in names:
            raise DataError(f"no sheet named {target!r}; the workbook has: {listing(names)}", file=label)
        if isinstance(target, int) and not 0 <= target < len(names):
            raise DataError(
                f"sheet position {target} does not exist; the workbook has {len(names)} sheet(s): "
                f"{listing(names)}",
                file=label,
            )
        sheet_name = names[target] if isinstance(target, int) else target
        where = f"{label}[{sheet_name}]" if sheet is not None else label
        try:
            head = pd.read_excel(book, sheet_name=sheet_name, header=None, nrows=1)
            df = pd.read_excel(book, sheet_name=sheet_name)
        except Exception as exc:
            raise DataError(f"cannot read sheet {sheet_name!r}: {first_line(exc)}", file=label) from None
    if df.shape[1] == 0:
        raise DataError(f"sheet {sheet_name!r} is empty (expected a header row and data rows)", file=label)
    if len(head):
        check_header([v for v in head.iloc[0].tolist() if not (isinstance(v, float) and np.isnan(v))], where)
    return _drop_blank(from_frame(df, where, 2))


# ------------------------------------------------------------------- Parquet
def _read_parquet(path: Path, label: str) -> RawTable:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise MissingDependencyError("reading Parquet files needs pyarrow: pip install pyarrow") from None
    try:
        df = pd.read_parquet(path)
    except Exception as exc:  # ArrowInvalid, OSError, ...
        raise DataError(f"cannot read as Parquet: {first_line(exc)}", file=label) from None
    if any(n is not None for n in df.index.names):
        df = df.reset_index()
    return from_frame(df, label, 1)


def _blank_cells(df: pd.DataFrame) -> pd.DataFrame:
    """True where a cell is empty: missing, or text of only spaces."""
    blank = df.isna()
    for c in df.columns:
        s = df[c]
        if not (is_numeric_dtype(s) or is_bool_dtype(s) or is_datetime64_any_dtype(s)):
            blank[c] = blank[c].to_numpy() | s.astype(str).str.strip().eq("").to_numpy()
    return blank


def _drop_blank(table: RawTable) -> RawTable:
    """Drop unnamed empty columns (trailing separators, Excel formatting) and blank rows (row numbers kept)."""
    df = table.df
    df.columns = [str(c) for c in df.columns]
    blank = _blank_cells(df)
    empty_unnamed = [c for c in df.columns if c.startswith("Unnamed:") and blank[c].all()]
    if empty_unnamed:
        df = df.drop(columns=empty_unnamed)
        blank = blank.drop(columns=empty_unnamed)
    if df.shape[1]:
        keep = ~blank.all(axis=1).to_numpy()
        if not keep.all():
            df = df.loc[keep].reset_index(drop=True)
            table.rows = table.rows[keep]
    table.df = df
    return table

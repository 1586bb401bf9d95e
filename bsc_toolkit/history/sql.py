"""SQL: a query over the data file (DuckDB, sandboxed) or against a database.

Over a file (CSV, Excel, Parquet) or a DataFrame, the query runs in an
in-memory DuckDB that sees the data as the table ``data`` with *typed* columns
(numbers as people write them become numbers, ISO dates become timestamps, codes
with leading zeros stay text), so ``WHERE year <= 1996`` and
``WHERE date >= '2020-01-01'`` work. The same typing the loader applies without
SQL is used, so a query sees the values the rest of the toolkit sees.

The DuckDB connection is a sandbox: the data are registered by the toolkit,
then external access is switched off (no file, network or extension access;
``COPY``, ``ATTACH``, ``INSTALL``, ``LOAD`` and ``EXPORT`` fail), Python
variables are not visible, extensions are neither installed nor loaded
automatically, and the configuration is locked (``SET`` cannot undo any of it).
On top of that, only one ``SELECT`` statement is run: other statement types
(``PRAGMA``, ``SET``, ``CREATE`` ...) are refused before anything runs.

Against a database (``database=``: a SQLAlchemy URL, a SQLite file or a DuckDB
file), the query must also be one ``SELECT`` (or ``WITH ... SELECT``); DuckDB
files are opened read-only in the same sandbox, other databases in a
transaction that is rolled back.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from ..errors import DataError, MissingDependencyError
from .numbers import NumberColumn, parse_numbers
from .readers import RawTable, check_header, first_line, from_frame

__all__ = ["DATABASE_SUFFIXES", "TABLE", "is_database", "mask_url", "run_query", "typed_frame"]

#: the table name under which a query sees the data file
TABLE = "data"
#: file suffixes that name a database (the query runs against it) rather than a data file
DATABASE_SUFFIXES = (".duckdb", ".ddb", ".db", ".sqlite", ".sqlite3")
_DUCKDB_SUFFIXES = (".duckdb", ".ddb")
#: pip package of a database driver module, where the names differ
_DRIVER_PACKAGES = {"MySQLdb": "mysqlclient", "psycopg2": "psycopg2-binary", "psycopg": "'psycopg[binary]'",
                    "pymysql": "PyMySQL", "cx_Oracle": "cx_Oracle", "oracledb": "oracledb",
                    "pyodbc": "pyodbc", "pymssql": "pymssql", "duckdb_engine": "duckdb-engine"}
_SANDBOX = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "python_enable_replacements": False,
}
_SHORT = 160  # longer queries are shortened in messages
_ISO_DATE = r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"


def is_database(path: object) -> bool:
    """True when ``path`` names a database for a query (a URL, or a .duckdb/.db/.sqlite file).

    Examples
    --------
    >>> is_database("shop.duckdb"), is_database("sqlite:///k.db"), is_database("kpis.csv")
    (True, True, False)
    """
    if not isinstance(path, (str, Path)):
        return False
    text = str(path)
    return "://" in text or text.lower().endswith(DATABASE_SUFFIXES)


def mask_url(url: str | None) -> str:
    """A database URL without its password."""
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


def _label(sql: str, where: str | None) -> str:
    short = " ".join(sql.split())
    short = short if len(short) <= _SHORT else short[: _SHORT - 3] + "..."
    return f"query '{short}'" + (f" on {where}" if where else "")


def run_query(sql: str, *, database: str | None = None, base: RawTable | None = None,
              decimal: str = ".") -> RawTable:
    """Run one SELECT over ``base`` (as table ``data``) or against ``database``; the result as a raw table."""
    if not isinstance(sql, str) or not sql.strip():
        raise DataError("the query is empty; pass sql='SELECT ... FROM data'")
    if database is None or (("://" not in database) and database.lower().endswith(_DUCKDB_SUFFIXES)):
        label = _label(sql, database or (base.source if base is not None else None))
        if base is not None and database is not None:
            raise DataError("give either a data file/DataFrame or a database for the query, not both", file=label)
        converted: dict[str, NumberColumn] = {}
        frame = None
        if base is not None:
            frame, converted = typed_frame(base, decimal)
        table = from_frame(_run_duckdb(sql, database, frame, label), label, 1)
        table.converted = converted
        return table
    return _run_sqlalchemy(sql, database, base)


# ------------------------------------------------------------------- typing
def typed_frame(table: RawTable, decimal: str = ".") -> tuple[pd.DataFrame, dict[str, NumberColumn]]:
    """The table with typed columns for SQL: numbers, ISO dates, or text.

    A text column becomes numeric when every filled cell reads as a number (as
    people write them); codes with leading zeros (``007``) stay text. Returns the
    frame and the number conversions made, by column.

    Examples
    --------
    >>> from bsc_toolkit.history.readers import from_frame
    >>> t = from_frame(pd.DataFrame({"id": ["007", "010"], "year": ["1995", "1996"],
    ...                              "sales": ["$1,200", "(300)"], "d": ["2020-01-31", ""]}), "k.csv", 2)
    >>> frame, conv = typed_frame(t)
    >>> [str(frame[c].dtype) for c in frame.columns], sorted(conv)
    (['object', 'Int64', 'float64', 'datetime64[ns]'], ['sales'])
    """
    out: dict[str, pd.Series] = {}
    converted: dict[str, NumberColumn] = {}
    for c in table.df.columns:
        s = table.df[c]
        if is_numeric_dtype(s) or not (s.dtype == object or pd.api.types.is_string_dtype(s)):
            out[c] = s
            continue
        text = s.astype(object).where(s.notna(), "").map(lambda v: v.strip() if isinstance(v, str) else v)
        filled = text.map(lambda v: v != "")
        if not filled.any():
            out[c] = s.astype(object)
            continue
        filled_text = text[filled].astype(str)
        if filled_text.str.fullmatch(r"0\d+").any():  # codes with leading zeros (007, 0123) stay text
            out[c] = s.astype(object)
            continue
        if filled_text.str.fullmatch(_ISO_DATE).all():
            out[c] = pd.to_datetime(text.where(filled, None), errors="coerce").astype("datetime64[ns]")
            continue
        col = parse_numbers(s, decimal)
        if col.bad.any() or np.isnan(col.values[filled.to_numpy()]).all():
            out[c] = s.astype(object)
            continue
        vals = pd.Series(col.values)
        whole = (vals.dropna() % 1 == 0).all() and vals.abs().max() < 2**53
        integers = whole and not filled_text.str.contains(r"[.,eE]").any()
        out[c] = vals.astype("Int64") if integers else vals
        if col.kinds:
            converted[c] = col
    frame = pd.DataFrame({c: pd.Series(v).reset_index(drop=True) for c, v in out.items()})
    return frame, converted


# ------------------------------------------------------------------- checks
def _check_duckdb_statement(sql: str, label: str) -> None:
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except Exception as exc:  # duckdb.ParserException
        raise DataError(f"the query failed: {first_line(exc)}", file=label) from None
    if not statements:
        raise DataError("the query is empty; pass sql='SELECT ... FROM data'", file=label)
    if len(statements) > 1:
        raise DataError(f"give one SELECT statement, not {len(statements)} (separated by ';')", file=label)
    kind = str(statements[0].type).rsplit(".", 1)[-1].upper()
    if kind != "SELECT":
        raise DataError(_refusal(_first_word(sql) or kind), file=label)


def _refusal(word: str) -> str:
    hint = ("; long-form data (unit, period, kpi, value) are read as they are, no PIVOT needed"
            if word == "PIVOT" else "")
    return (f"only a SELECT query is run, not {word}: the query reads the data (table '{TABLE}') and "
            f"cannot write files, attach databases, install or load extensions, or change settings{hint}")


def _first_word(sql: str) -> str:
    text = _strip_comments(sql).strip().lstrip("(")
    m = re.match(r"[A-Za-z_]+", text)
    return m.group(0).upper() if m else ""


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*|/\*.*?\*/", " ", sql, flags=re.S)


def _check_generic_statement(sql: str, label: str) -> None:
    """One SELECT (or WITH) statement, for databases whose SQL dialect DuckDB cannot parse for us."""
    text = _strip_comments(sql)
    body = re.sub(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", "''", text)  # no ';' inside quotes
    parts = [p for p in body.split(";") if p.strip()]
    if len(parts) > 1:
        raise DataError(f"give one SELECT statement, not {len(parts)} (separated by ';')", file=label)
    word = _first_word(text)
    if not word:
        raise DataError("the query is empty; pass sql='SELECT ... FROM <table>'", file=label)
    if word not in ("SELECT", "WITH"):
        raise DataError(_refusal(word), file=label)


# ------------------------------------------------------------------- DuckDB
def _run_duckdb(sql: str, database: str | None, frame: pd.DataFrame | None, label: str) -> pd.DataFrame:
    try:
        import duckdb
    except ImportError:
        raise MissingDependencyError("SQL queries without `database` run in DuckDB: pip install duckdb") from None
    _check_duckdb_statement(sql, label)
    if database is not None and not Path(database).is_file():
        raise DataError("the DuckDB database file does not exist", file=database)
    try:
        con = duckdb.connect(database or ":memory:", read_only=bool(database), config=dict(_SANDBOX))
    except Exception as exc:
        raise DataError(f"cannot open the DuckDB database: {first_line(exc)}", file=label) from None
    try:
        if frame is not None:
            con.register(TABLE, frame)
        con.execute("SET lock_configuration = true")
        result = con.execute(sql)
        names = [d[0] for d in result.description or []]
        check_header(names, label)
        return result.df()
    except DataError:
        raise
    except Exception as exc:  # duckdb.Error subclasses: CatalogException, BinderException, PermissionException
        raise DataError(_duckdb_message(exc), file=label) from None
    finally:
        con.close()


def _duckdb_message(exc: BaseException) -> str:
    text = first_line(exc)
    if "disabled by configuration" in text or "disabled through configuration" in text:
        return (f"the query failed: {text} (the query can read only the data, as table '{TABLE}'; "
                "pass a file as the data source instead of naming it inside the query)")
    return f"the query failed: {text}"


# --------------------------------------------------------------- SQLAlchemy
def _run_sqlalchemy(sql: str, database: str, base: RawTable | None) -> RawTable:
    url = database
    if "://" not in database:
        p = Path(database)
        if not p.is_file():
            raise DataError(
                f"`database` must be a SQLAlchemy URL (e.g. sqlite:///kpis.db, postgresql://user@host/db), "
                f"a SQLite file or a .duckdb file; got {database!r}, which is not a file"
            )
        url = f"sqlite:///{p.resolve()}"
    label = _label(sql, mask_url(url))
    if base is not None:
        raise DataError("give either a data file/DataFrame or a database for the query, not both", file=label)
    _check_generic_statement(sql, label)
    try:
        import sqlalchemy
    except ImportError:
        raise MissingDependencyError(
            "reading from a database URL needs SQLAlchemy: pip install 'bsc-toolkit[sql]'"
        ) from None
    try:
        engine = sqlalchemy.create_engine(url)
    except ModuleNotFoundError as exc:
        module = exc.name or "the driver"
        raise MissingDependencyError(
            f"the database driver '{module}' for {mask_url(url)} is not installed: "
            f"pip install {_DRIVER_PACKAGES.get(module, module)}"
        ) from None
    except Exception as exc:  # ArgumentError for a malformed URL, NoSuchModuleError
        raise DataError(f"cannot open the database: {first_line(exc)}", file=label) from None
    try:
        with engine.connect() as conn:  # never committed: rolled back when the block ends
            result = conn.execute(sqlalchemy.text(sql))
            names = list(result.keys())
            check_header(names, label)
            df = pd.DataFrame(result.fetchall(), columns=names)
    except DataError:
        raise
    except Exception as exc:  # OperationalError, ProgrammingError, ...
        raise DataError(f"the query failed: {first_line(exc)}", file=label) from None
    finally:
        engine.dispose()
    return from_frame(df, label, 1)

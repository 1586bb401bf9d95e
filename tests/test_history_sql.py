"""SQL over KPI history: typed columns for DuckDB, one SELECT only, and a sandbox (issue 11 item 4, issue 18 item 7).

Every refusal is tested twice where it matters: the statement check refuses it with a clear
message, and with that check switched off DuckDB's own sandbox still blocks it.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from bsc_toolkit.errors import DataError, MissingDependencyError
from bsc_toolkit.history import load_history
from bsc_toolkit.history import sql as sqlmod
from bsc_toolkit.history.readers import from_frame

CSV = ("state,year,date,sales,id\n"
       "Alabama,1995,2019-12-31,\"1,200.5\",007\n"
       "Alabama,1996,2020-12-31,\"$2,000\",007\n"
       "Alabama,1997,2021-12-31,(300),007\n"
       "Texas,1995,2019-12-31,900,010\n"
       "Texas,1996,2020-12-31,n/a,010\n")


@pytest.fixture
def kpis_csv(tmp_path, monkeypatch) -> Path:
    """kpis.csv in the current folder (relative names keep queries and messages short)."""
    monkeypatch.chdir(tmp_path)
    p = Path("kpis.csv")
    p.write_text(CSV, encoding="utf-8")
    return p


def _refused(word: str) -> str:
    return (f"only a SELECT query is run, not {word}: the query reads the data (table 'data') and cannot write "
            "files, attach databases, install or load extensions, or change settings")


def _message(source, sql, **kw) -> str:
    with pytest.raises(DataError) as exc:
        load_history(source, sql=sql, **kw)
    return str(exc.value)


# ------------------------------------------------------------------- types
def test_query_sees_typed_columns_numbers_dates_and_codes(kpis_csv):
    h = load_history(kpis_csv, sql="select state, year, sales from data where year <= 1996", unit="state")
    assert h.period_labels == ["1995", "1996"] and list(h.units) == ["Alabama", "Texas"]
    assert_allclose(h.data["sales"].to_numpy(), [1200.5, 2000.0, 900.0, np.nan])
    h = load_history(kpis_csv, sql="select state, year, sales from data where sales > 1000", unit="state")
    assert list(h.units) == ["Alabama"] and h.data["sales"].tolist() == [1200.5, 2000.0]
    h = load_history(kpis_csv, sql="select state, year, sales from data where date >= '2020-06-01'", unit="state")
    assert h.period_labels == ["1996", "1997"]
    h = load_history(kpis_csv, sql="select id as unit, year, sales from data where id = '010'", unit="unit")
    assert list(h.units) == ["010"]  # codes with leading zeros stay text
    conv = h.intake.conversions  # conversions made before the query are reported for the columns used
    assert [(c.column, c.what) for c in conv] == [
        ("sales", "thousands separators ','; currency symbol '$'; accounting negatives; missing markers 'n/a'")]


def test_typed_frame_types_each_column_as_duckdb_sees_it():
    t = from_frame(pd.DataFrame({"id": ["007", "010"], "year": [" 1995", "1996 "], "sales": ["$1,200", "(3)"],
                                 "when": ["2020-01-31", ""], "ratio": ["12.5%", "7%"],
                                 "label": ["North", "1,5"]}), "k.csv", 2)
    frame, conv = sqlmod.typed_frame(t)
    assert {c: str(frame[c].dtype) for c in frame} == {
        "id": "object", "year": "Int64", "sales": "float64", "when": "datetime64[ns]", "ratio": "float64",
        "label": "object"}
    assert frame["sales"].tolist() == [1200.0, -3.0] and frame["ratio"].tolist() == [12.5, 7.0]
    assert sorted(conv) == ["ratio", "sales"]


def test_excel_and_parquet_are_typed_too(tmp_path):
    df = pd.DataFrame({"state": ["A", "A", "B"], "year": [1995, 1997, 1995], "sales": ["1,200", "900", "(5)"]})
    xlsx, pq = tmp_path / "k.xlsx", tmp_path / "k.parquet"
    df.to_excel(xlsx, index=False)
    df.to_parquet(pq)
    for path in (xlsx, pq):
        h = load_history(path, sql="select * from data where year <= 1996 and sales < 1000", unit="state")
        assert list(h.units) == ["B"] and h.data["sales"].tolist() == [-5.0]


# -------------------------------------------------------- refused statements
@pytest.mark.parametrize(
    ("sql", "word"),
    [
        ("COPY data TO '{out}'", "COPY"),
        ("ATTACH '{db}' AS other", "ATTACH"),
        ("INSTALL httpfs", "INSTALL"),
        ("LOAD httpfs", "LOAD"),
        ("EXPORT DATABASE '{dir}'", "EXPORT"),
        ("PRAGMA version", "PRAGMA"),
        ("SET threads = 1", "SET"),
        ("CREATE TABLE t AS SELECT 1", "CREATE"),
        ("-- a comment first\n  DROP TABLE data", "DROP"),
    ],
)
def test_statements_other_than_select_are_refused(kpis_csv, tmp_path, sql, word):
    out, db, folder = Path("out.csv"), Path("other.db"), Path("export")
    query = sql.format(out=out, db=db, dir=folder)
    label = f"query '{' '.join(query.split())}' on {kpis_csv}"
    assert _message(kpis_csv, query, unit="state") == f"{label}: {_refused(word)}"
    assert not out.exists() and not db.exists() and not folder.exists()


def test_pivot_is_refused_with_a_hint():
    msg = _message(None, "PIVOT data ON kpi USING sum(value)")
    assert msg.endswith(_refused("PIVOT") + "; long-form data (unit, period, kpi, value) are read as they are, "
                        "no PIVOT needed")


@pytest.mark.parametrize(
    "sql",
    [
        "COPY data TO '{out}'",
        "ATTACH '{db}' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "EXPORT DATABASE '{dir}'",
        "SET enable_external_access = true",
        "SELECT * FROM read_csv('{other}')",
        "SELECT * FROM '{other}'",
        "SELECT * FROM read_text('{other}')",
        "SELECT * FROM glob('{tmp}/*')",
    ],
)
def test_the_sandbox_holds_without_the_statement_check(kpis_csv, tmp_path, monkeypatch, sql):
    """DuckDB itself refuses file, network and extension access and the unlocking SET."""
    monkeypatch.setattr(sqlmod, "_check_duckdb_statement", lambda sql, label: None)
    other = Path("other.csv")
    other.write_text("secret\n42\n")
    out, db, folder = Path("out.csv"), Path("other.db"), Path("export")
    query = sql.format(out=out, db=db, dir=folder, other=other, tmp=".")
    msg = _message(kpis_csv, query, unit="state")
    assert msg.startswith(f"query '{query}' on {kpis_csv}: the query failed: ")
    assert ("disabled by configuration" in msg or "disabled through configuration" in msg
            or "configuration has been locked" in msg)
    assert not out.exists() and not db.exists() and not folder.exists()


def test_reading_another_file_inside_the_query_is_refused(kpis_csv):
    other = Path("other.csv")
    other.write_text("secret\n42\n")
    for query in (f"select * from read_csv('{other}')", f"select * from '{other}'"):
        msg = _message(kpis_csv, query)
        assert msg.startswith(f"query '{query}' on {kpis_csv}: the query failed: Permission Error: ")
        assert msg.endswith("(the query can read only the data, as table 'data'; pass a file as the data "
                            "source instead of naming it inside the query)")


def test_python_variables_are_not_visible_to_the_query(kpis_csv):
    secret = pd.DataFrame({"x": [1]})  # noqa: F841 - DuckDB's replacement scan would find it by name
    msg = _message(kpis_csv, "select * from secret")
    assert msg.startswith(f"query 'select * from secret' on {kpis_csv}: the query failed: Catalog Error: ")
    assert "secret" in msg


def test_one_statement_only_and_not_empty(kpis_csv):
    assert _message(kpis_csv, "select * from data; select 1") == (
        f"query 'select * from data; select 1' on {kpis_csv}: give one SELECT statement, not 2 (separated by ';')")
    assert _message(kpis_csv, "   ") == "the query is empty; pass sql='SELECT ... FROM data'"
    assert _message(kpis_csv, "-- nothing") == (
        f"query '-- nothing' on {kpis_csv}: the query is empty; pass sql='SELECT ... FROM data'")


def test_query_errors_show_the_query_and_duckdbs_message(kpis_csv):
    msg = _message(kpis_csv, "select nope from data")
    assert msg.startswith(f"query 'select nope from data' on {kpis_csv}: the query failed: Binder Error: ")
    assert '"nope"' in msg and "\n" not in msg
    msg = _message(kpis_csv, "selec * from data")
    assert msg.startswith(f"query 'selec * from data' on {kpis_csv}: the query failed: Parser Error: ")


def test_result_columns_named_twice_are_refused(kpis_csv):
    assert _message(kpis_csv, "select year, sales, sales from data") == (
        f"query 'select year, sales, sales from data' on {kpis_csv}: the header names two columns 'sales' "
        "(columns 2 and 3, B and C); give every column its own name")


# ---------------------------------------------------------------- databases
def _sqlite(tmp_path: Path) -> Path:
    db = tmp_path / "kpis.db"
    with sqlite3.connect(db) as con:
        pd.DataFrame({"store": ["A", "A"], "year": [2021, 2022], "nps": [1.0, 2.0]}).to_sql("kpis", con, index=False)
    return db


def test_sqlite_queries_are_one_select_and_change_nothing(tmp_path):
    db = _sqlite(tmp_path)
    h = load_history(db, sql="WITH k AS (SELECT * FROM kpis) SELECT * FROM k", unit="store")
    assert h.data["nps"].tolist() == [1.0, 2.0]
    url = f"sqlite:///{db.resolve()}"
    label = f"query 'DELETE FROM kpis' on {url}"
    assert _message(db, "DELETE FROM kpis") == f"{label}: {_refused('DELETE')}"
    assert _message(db, "SELECT * FROM kpis; DROP TABLE kpis") == (
        f"query 'SELECT * FROM kpis; DROP TABLE kpis' on {url}: give one SELECT statement, not 2 (separated by ';')")
    assert _message(db, "-- nothing to run") == (
        f"query '-- nothing to run' on {url}: the query is empty; pass sql='SELECT ... FROM <table>'")
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from kpis").fetchone() == (2,)


def test_a_semicolon_inside_quotes_is_not_a_second_statement(tmp_path):
    db = _sqlite(tmp_path)
    h = load_history(db, sql="SELECT * FROM kpis WHERE store <> 'x;y'", unit="store")
    assert h.n_units == 1


def test_duckdb_database_is_read_only_and_sandboxed(tmp_path):
    import duckdb

    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table kpis as select 'A' as store, 2021 as year, 1.5 as nps")
    con.close()
    h = load_history(path, sql="select * from kpis", unit="store")
    assert h.data["nps"].tolist() == [1.5]
    assert _message(path, "drop table kpis") == f"query 'drop table kpis' on {path}: {_refused('DROP')}"
    assert _message(path, "select * from kpis", database=str(tmp_path / "x.duckdb")) == (
        f"{path}: give either a data file/DataFrame or a database for the query, not both")
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("select count(*) from kpis").fetchone() == (1,)
    con.close()


def test_a_missing_duckdb_file_is_named(tmp_path):
    missing = tmp_path / "gone.duckdb"
    assert _message(missing, "select 1") == f"{missing}: the DuckDB database file does not exist"


def test_a_database_without_a_query_says_what_to_do(tmp_path):
    db = _sqlite(tmp_path)
    assert _message(db, None) == (f"{db}: this is a database; name what to read with a query: "
                                  "sql='SELECT * FROM <table>' (--sql)")


@pytest.mark.skipif(importlib.util.find_spec("MySQLdb") is not None,
                    reason="mysqlclient is installed here, so its absence cannot be shown")
def test_missing_mysql_driver_names_the_pip_package():
    with pytest.raises(MissingDependencyError) as exc:
        load_history(sql="SELECT 1", database="mysql://me:pw@localhost/db")
    assert str(exc.value) == ("the database driver 'MySQLdb' for mysql://me:***@localhost/db is not installed: "
                              "pip install mysqlclient")

"""bsc data: show what a KPI history file holds, as the toolkit reads it (no scorecard needed).

The data-loading options shared by ``bsc data``, ``bsc validate`` and ``bsc lever``
(``--unit``, ``--period``, ``--sheet``, ``--sql``, ``--decimal``, ``--map``) are
defined here once: :func:`add_data_arguments` and :func:`load_from_args`.
"""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING

from ._common import UsageError

if TYPE_CHECKING:
    from ..history import KPIHistory
    from ..scorecard import Scorecard

NAME = "data"
HELP = "show what a KPI history file holds: units, periods, gaps, missing values, conversions"
DESCRIPTION = """\
Read a KPI history (CSV, Excel, Parquet, or a SQL query) the way `bsc validate`
reads it, and say what was read: units, periods and frequency, gaps in the
unit x period grid, the share of missing values per column, which columns had
numbers written with thousands separators, currency or percent signs (and how
many cells were converted), and which unit names were merged. No scorecard is
needed: every column other than the unit and period is read as a KPI, except
columns without any number.

Numbers are read as people write them:
  1,234.5  1 234.5  1'234   thousands separators (with --decimal , : 1.234,5)
  −12  (12)  12-            negatives: unicode minus, accounting styles
  12.5%                     percent sign (the number stays 12.5)
  $1,200  EUR 3.400  3.400 € currency symbols and codes
  empty  NA  n/a  -  .      missing
Anything else is an error that lists the bad cells (up to 10, with row and
column, then how many more).

Unit names: surrounding spaces are removed; names that differ only in case,
spacing or punctuation ("ALABAMA ", "Alabama", "alabama") are MERGED into the
most frequent spelling and listed under "merged units". When two such spellings
both have a row for the same period they cannot be one unit, and the file is
REFUSED with the pairs listed.

A grid gap is a period inside a unit's span (between its first and last period
with data) where the unit has no value at all.

With --sql the query sees the file as the table `data`, with typed columns
(numbers, dates, text), so `where year <= 1996` works. Only one SELECT is run:
the query cannot write files, attach databases, install or load extensions or
change settings. When FILE is a database (.duckdb, .db, .sqlite or a
SQLAlchemy URL), the query runs against it.

Examples (`bsc simulate retail -o .` makes a history.csv to try them on):
  bsc data history.csv --unit unit --period period
  bsc data history.csv --unit unit --period period --json data.json
  bsc data history.csv --unit unit --sql "select * from data where period >= '2025Q1'"
  bsc data kpis.csv --period year --decimal ,
  bsc data shop.duckdb --sql "select * from kpis" --unit store

Exit codes: 0 success, 1 bad input (the message says what and where), 2 usage error.
"""

_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PAIR_SPLIT = re.compile(r",(?=\s*[A-Za-z_][A-Za-z0-9_]*\s*=)")


def column_map(text: str) -> dict[str, str]:
    """Argument type of ``--map``: ``revenue=Sales (EUR),nps=NPS`` -> {'revenue': 'Sales (EUR)', 'nps': 'NPS'}.

    A comma starts a new pair only when ``id=`` follows, so column names may hold commas.

    Examples
    --------
    >>> column_map("revenue=Sales (EUR), nps = NPS score")
    {'revenue': 'Sales (EUR)', 'nps': 'NPS score'}
    >>> column_map("margin=Margin, net")
    {'margin': 'Margin, net'}
    """
    out: dict[str, str] = {}
    for part in _PAIR_SPLIT.split(text):
        kpi, eq, col = part.partition("=")
        kpi, col = kpi.strip(), col.strip()
        if not eq or not _ID.fullmatch(kpi) or not col:
            raise argparse.ArgumentTypeError(
                f"expected KPI=COLUMN pairs separated by commas (e.g. revenue='Sales (EUR)',nps=NPS), got '{part}'")
        if kpi in out:
            raise argparse.ArgumentTypeError(f"KPI '{kpi}' is mapped twice in '{text}'")
        out[kpi] = col
    return out


def add_data_arguments(p: argparse.ArgumentParser, *, with_map: bool = True) -> None:
    """The options that say how to read a KPI history (all commands that load one use these)."""
    p.add_argument("--unit", metavar="COL", help="column with the unit (store, branch...); omit for one series")
    p.add_argument("--period", metavar="COL",
                   help="column with the period (default: a column named period, date, year, quarter...)")
    p.add_argument("--sheet", metavar="S", help="sheet name for Excel files (default: the first sheet)")
    p.add_argument("--sql", metavar="QUERY",
                   help="one SELECT over the data, which the query sees as table `data` with typed columns "
                        "(e.g. \"select * from data where year <= 1996\"); when the data file is a database "
                        "(.duckdb, .db, .sqlite, URL), the query runs against it")
    p.add_argument("--decimal", choices=[".", ","], default=".", metavar="MARK",
                   help="decimal mark of numbers written as text: '.' (default) or ','; with ',' a dot "
                        "separates thousands: 1.234,5")
    if with_map:
        p.add_argument("--map", type=column_map, action="append", default=[], metavar="KPI=COL,...",
                       help="read a KPI from a column with another name, e.g. --map revenue='Sales (EUR)' "
                            "(overrides `column:` in the scorecard)")


def load_from_args(args: argparse.Namespace, source: str, *, scorecard: Scorecard | None = None,
                   controls: tuple[str, ...] = ()) -> KPIHistory:
    """Load the KPI history the data options describe (unit-name merges are shown by the summary)."""
    import warnings

    from ..history import DataWarning, load_history

    mapping: dict[str, str] = {}
    for part in getattr(args, "map", None) or []:
        twice = sorted(set(part) & set(mapping))
        if twice:
            raise UsageError(f"--map gives KPI '{twice[0]}' twice")
        mapping.update(part)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return load_history(source, unit=args.unit, period=args.period, controls=controls, sql=args.sql,
                            sheet=args.sheet, scorecard=scorecard, column_map=mapping or None,
                            decimal=args.decimal)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="KPI history: CSV, Excel, Parquet, or a database for --sql")
    add_data_arguments(p, with_map=False)
    p.add_argument("--json", metavar="OUT", help="write the complete summary as JSON here; '-' for stdout")


def run(args: argparse.Namespace) -> int:
    from ._common import check_output_file, write_json

    check_output_file(args.json, "--json")
    history = load_from_args(args, args.file)
    summary = history.intake
    if args.json:
        write_json(summary.to_dict(), args.json)
    if args.json != "-":
        print(summary.text)
    return 0

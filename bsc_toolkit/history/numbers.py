"""Numbers as people write them: reading KPI cells that came from spreadsheets.

:func:`parse_numbers` turns one column into floats and says what it had to do:

=====================  ==============================================  =================
written                 read as                                          reported as
=====================  ==============================================  =================
``1,234.5``             1234.5 (``decimal=","``: ``1.234,5``)           thousands separators
``1 234.5``, ``1'234``  1234.5, 1234 (space, no-break space, apostrophe) thousands separators
``−12`` (U+2212)        -12                                              unicode minus
``12.5%``               12.5 (the number as written, in percent)         percent sign
``$1,200``, ``€ 3.400`` 1200, 3400 (symbols and ISO codes such as EUR)   currency symbol
``(123)``, ``123-``     -123                                             accounting negatives
``""``, NA, n/a, -      missing                                          missing markers
=====================  ==============================================  =================

Anything else is a *bad cell*. Bad cells are not raised one at a time:
:class:`BadCells` collects them over every column a run uses, and
:meth:`BadCells.raise_if_any` raises one :class:`CellError` that lists up to
``MAX_LISTED`` of them with row and column, and counts the rest.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

from ..errors import DataError

__all__ = [
    "DECIMALS",
    "MISSING_MARKERS",
    "BadCells",
    "CellError",
    "NumberColumn",
    "is_missing_text",
    "parse_numbers",
]

#: cell texts that count as missing values (compared case-insensitively, after stripping)
MISSING_MARKERS: frozenset[str] = frozenset(
    {"", "na", "n/a", "n.a.", "nan", "null", "none", "#n/a", "<na>", "nat", "-", "--", "\u2013", "\u2014",
     ".", "..", ":"}
)
#: the decimal marks a column can be read with
DECIMALS: tuple[str, ...] = (".", ",")
#: at most this many bad cells are listed in one error (the rest are counted)
MAX_LISTED = 10
_MAX_PER_COLUMN = 4  # listed per column, so one broken column does not hide the others

_SPACES = "\u00a0\u2007\u2009\u202f"  # no-break, figure, thin and narrow no-break spaces
_MINUSES = "\u2212\u2012\u2013\ufe63\uff0d"  # unicode minus, figure dash, en dash, small/fullwidth minus
_SYMBOLS = "$€£¥₹₩₽₺₪₫₱฿₴₦"
_CODES = ("EUR", "USD", "GBP", "CHF", "JPY", "CNY", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK",
          "HUF", "INR", "BRL", "MXN", "ZAR", "RUB", "TRY", "KRW", "SGD", "HKD")
_CURRENCY = re.compile(
    rf"^(?:(?P<pre>[{_SYMBOLS}]|{'|'.join(_CODES)}|US\$|R\$|A\$|C\$|Fr\.?|kr)\s*(?P<a>.*)"
    rf"|(?P<b>.*?)\s*(?P<post>[{_SYMBOLS}]|{'|'.join(_CODES)}|kr|zł|Kč|Fr\.?))$"
)
_PLAIN = {".": re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"),
          ",": re.compile(r"^[+-]?(?:\d+,?\d*|,\d+)(?:[eE][+-]?\d+)?$")}
_MAX_TEXT = 64  # longer cells are not numbers (and are shortened in messages)
_GROUPED = ("thousands separators", "currency symbol", "missing markers")  # kinds with details


@dataclass(frozen=True)
class NumberColumn:
    """One column read as numbers.

    Attributes
    ----------
    values : ndarray of float
        The numbers; NaN for missing and bad cells.
    bad : ndarray of bool
        Cells that are not numbers (and not missing).
    reasons : dict of int to str
        For bad cells (by position): a hint for the message, e.g.
        ``" (a decimal comma? ...)"``; empty when there is nothing to add.
    kinds : Counter
        Conversions applied, e.g. ``{"thousands separators ','": 120}``.
    converted : int
        Cells that needed at least one conversion.
    """

    values: np.ndarray
    bad: np.ndarray
    reasons: dict[int, str] = field(default_factory=dict)
    kinds: Counter[str] = field(default_factory=Counter)
    converted: int = 0

    @property
    def what(self) -> str:
        """The conversions in words: ``"thousands separators ','; currency symbols '$', 'EUR'"``."""
        groups: dict[str, list[str]] = {}
        for k in self.kinds:
            cat = next((g for g in _GROUPED if k.startswith(g + " ")), k)
            groups.setdefault(cat, [])
            if k != cat:
                groups[cat].append(k[len(cat):].strip())
        out = []
        for cat, details in groups.items():
            name = cat + "s" if cat == "currency symbol" and len(details) > 1 else cat
            out.append(f"{name} {', '.join(details)}" if details else name)
        return "; ".join(out)


def is_missing_text(text: str) -> bool:
    """True for an empty cell or a usual missing marker (NA, n/a, -, ...).

    Examples
    --------
    >>> [is_missing_text(x) for x in ("", " NA ", "n/a", "-", "0", "none")]
    [True, True, True, True, False, True]
    """
    return text.strip(" \t\r\n" + _SPACES).lower() in MISSING_MARKERS


def parse_numbers(values: pd.Series | np.ndarray | list[Any], decimal: str = ".") -> NumberColumn:
    """Read a column of cells (text or numbers) as floats, the way people write numbers.

    Parameters
    ----------
    values : Series, array or list
        The cells; numbers pass through (and must be finite), text is parsed.
    decimal : {".", ","}
        The decimal mark of text cells. With ``","`` the dot (or a space) is the
        thousands separator: ``1.234,5`` is 1234.5.

    Returns
    -------
    NumberColumn
        The values, which cells are bad (with a hint each), and what was converted.

    Examples
    --------
    >>> col = parse_numbers(["1,234.5", "$1,200", "(12)", "−3", "12.5%", "n/a", "abc"])
    >>> col.values.tolist()[:6]
    [1234.5, 1200.0, -12.0, -3.0, 12.5, nan]
    >>> col.bad.tolist()
    [False, False, False, False, False, False, True]
    >>> col.what
    "thousands separators ','; currency symbol '$'; accounting negatives; unicode minus; percent sign; missing markers 'n/a'"
    >>> parse_numbers(["1.234,5", "€ 3.400"], decimal=",").values.tolist()
    [1234.5, 3400.0]
    """
    if decimal not in DECIMALS:
        raise DataError(f"`decimal` must be '.' or ',', got {decimal!r}")
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    n = len(s)
    if is_bool_dtype(s):
        return NumberColumn(np.full(n, np.nan), s.notna().to_numpy(dtype=bool),
                            dict.fromkeys(range(n), " (a true/false value)"))
    if is_datetime64_any_dtype(s):
        return NumberColumn(np.full(n, np.nan), s.notna().to_numpy(dtype=bool),
                            dict.fromkeys(range(n), " (a date, not a number)"))
    if is_numeric_dtype(s):
        out = s.to_numpy(dtype=float, na_value=np.nan)
        bad = np.isinf(out)
        return NumberColumn(np.where(bad, np.nan, out), bad, dict.fromkeys(np.flatnonzero(bad).tolist(),
                                                                           " (not a finite number)"))
    return _parse_objects(s.astype(object).to_numpy(), decimal)


def _parse_objects(cells: np.ndarray, decimal: str) -> NumberColumn:
    n = len(cells)
    out = np.full(n, np.nan)
    bad = np.zeros(n, dtype=bool)
    reasons: dict[int, str] = {}
    kinds: Counter[str] = Counter()
    converted = 0
    done, comma_cells = _fast_path(cells, decimal, out)
    if comma_cells:
        kinds["decimal comma"] += comma_cells
    markers: dict[str, None] = {}
    for i in np.flatnonzero(~done):
        value, why, used = _parse_cell(cells[i], decimal)
        if why is not None:
            bad[i] = True
            reasons[int(i)] = why
            continue
        out[i] = value
        if used:
            kinds.update(used)
            converted += 1
            if "missing markers" in used:
                markers[_marker(cells[i])] = None
    if markers:
        count = kinds.pop("missing markers")
        kinds[f"missing markers {', '.join(repr(m) for m in sorted(markers))}"] = count
    return NumberColumn(out, bad, reasons, kinds, converted)


def _fast_path(cells: np.ndarray, decimal: str, out: np.ndarray) -> tuple[np.ndarray, int]:
    """Plain numbers (the bulk of a file), converted in C; returns which cells are done and decimal commas seen."""
    series = pd.Series(cells, dtype=object)
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if decimal == ".":
        num = np.array(pd.to_numeric(series, errors="coerce"), dtype=float)
        comma_cells = 0
    else:  # a dot is a thousands separator here: cells with dots take the careful path
        text = series.astype(str)
        has_comma = text.str.contains(",", regex=False).to_numpy(dtype=bool)
        num = np.array(pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce"), dtype=float)
        num[text.str.contains(".", regex=False).to_numpy(dtype=bool)] = np.nan
        comma_cells = int((np.isfinite(num) & has_comma).sum())
    done = np.isfinite(num)
    if kind not in ("string", "floating", "integer", "mixed-integer-float", "decimal", "empty"):
        done &= np.fromiter((isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in cells),
                            dtype=bool, count=len(cells))  # true/false and dates are never numbers
    out[done] = num[done]
    return done, comma_cells


def _marker(v: Any) -> str:
    return str(v).strip(" \t\r\n" + _SPACES)


def _parse_cell(v: Any, decimal: str) -> tuple[float, str | None, list[str]]:
    """One cell: (value, None, conversions used) or (nan, hint, []) for a bad cell."""
    if v is None or v is pd.NA or v is pd.NaT:
        return np.nan, None, []
    if isinstance(v, (bool, np.bool_)):
        return np.nan, " (a true/false value)", []
    if isinstance(v, (int, float, np.integer, np.floating, _decimal.Decimal)):
        x = float(v)
        if math.isnan(x):
            return np.nan, None, []
        return (x, None, []) if math.isfinite(x) else (np.nan, " (not a finite number)", [])
    if isinstance(v, (pd.Timestamp, _dt.date, _dt.datetime, _dt.time, np.datetime64)):
        return np.nan, " (a date, not a number)", []
    if not isinstance(v, str):
        return np.nan, f" (a {type(v).__name__}, not a number)", []
    text = v.strip(" \t\r\n" + _SPACES)
    if text.lower() in MISSING_MARKERS:
        return np.nan, None, (["missing markers"] if text else [])
    if len(text) > _MAX_TEXT:
        return np.nan, "", []
    return _parse_text(text, decimal)


def _parse_text(text: str, decimal: str) -> tuple[float, str | None, list[str]]:
    used: list[str] = []
    body = text
    if any(c in body for c in _MINUSES):
        body = body.translate({ord(c): "-" for c in _MINUSES})
        used.append("unicode minus")
    negative = False
    for _ in range(4):  # peel at most one layer of each kind: (), sign, currency, percent
        step = _peel(body, used)
        if step is None:
            break
        body, neg = step
        negative ^= neg
    value, why, grouped = _core(body.strip(), decimal, text)
    if why is not None:
        return np.nan, why, []
    if grouped:
        used.insert(0, grouped)
    if not math.isfinite(value):
        return np.nan, " (too large to be a number)", []
    return (-value if negative else value), None, used


def _peel(body: str, used: list[str]) -> tuple[str, bool] | None:
    """Remove one wrapper (parentheses, sign, currency, percent); None when nothing is left to peel."""
    b = body.strip(" " + _SPACES)
    if len(b) > 2 and b[0] == "(" and b[-1] == ")" and "accounting negatives" not in used:
        used.append("accounting negatives")
        return b[1:-1], True
    if len(b) > 1 and b[-1] == "-" and b[-2].isdigit() and "accounting negatives" not in used:
        used.append("accounting negatives")  # trailing minus, as SAP and some ledgers export
        return b[:-1], True
    if len(b) > 1 and b[0] in "+-" and (b[1] in _SYMBOLS or b[1] == "(" or b[1].isalpha()):
        return b[1:], b[0] == "-"  # a sign in front of a currency symbol: -$1,200, -EUR 5
    if len(b) > 1 and b[-1] == "%" and not any(u.startswith("percent") for u in used):
        used.append("percent sign")
        return b[:-1], False
    m = _CURRENCY.match(b)
    if m and not any(u.startswith("currency") for u in used):
        sym = m.group("pre") or m.group("post")
        rest = m.group("a") if m.group("pre") else m.group("b")
        if rest and (rest[0].isdigit() or rest[0] in "(-+.,") or (rest and rest[-1] in ")"):
            used.append(f"currency symbol {sym!r}")
            return rest, False
    return None


def _core(body: str, decimal: str, original: str) -> tuple[float, str | None, str]:
    """The digits: (value, None, grouping note) or (nan, hint, '')."""
    sign = ""
    if body[:1] in "+-":
        sign, body = body[0], body[1:]
    if body[:1] not in "+-" and _PLAIN[decimal].match(body):
        return float(sign + body.replace(",", ".")), None, ""
    seps = ",. '\u2019" + _SPACES
    group = [c for c in seps if c != decimal and c in body]
    if len(group) == 1:
        g = group[0]
        int_part, _, frac = body.partition(decimal)
        parts = int_part.split(g)
        if (parts[0].isdigit() and 1 <= len(parts[0]) <= 3 and all(len(p) == 3 and p.isdigit() for p in parts[1:])
                and (frac == "" or frac.isdigit()) and body.count(decimal) <= 1):
            value = float(sign + "".join(parts) + ("." + frac if frac else ""))
            shown = "space" if g in " " + _SPACES else repr(g)
            return value, None, f"thousands separators {shown}"
    return np.nan, _hint(original, body, decimal), ""


def _hint(original: str, body: str, decimal: str) -> str:
    low = original.lower()
    if low.lstrip("+-") in ("inf", "infinity", "nan"):
        return " (not a finite number)"
    other = "," if decimal == "." else "."
    last = max(body.rfind(","), body.rfind("."))
    if last >= 0 and re.fullmatch(rf"[\d.,' {_SPACES}]+", body):
        mark, tail = body[last], body[last + 1:]
        if mark == other and (len(tail) != 3 or decimal in body):  # 1,5 or 1.234,56 read with '.'
            return (" (a decimal comma? read the file with --decimal , (decimal=','))" if decimal == "."
                    else " (a decimal point, but the data are read with --decimal , (decimal=','))")
        if mark == decimal and body.count(decimal) > 1:
            return (" (dots as thousands separators? read the file with --decimal , (decimal=','))"
                    if decimal == "." else
                    " (commas as thousands separators? the data are read with --decimal , (decimal=','))")
    if re.search(r"\d", original) and re.search(r"[A-Za-z]", original):
        return " (text and digits mixed; write the number alone)"
    return ""


# ------------------------------------------------------------------ bad cells
@dataclass(frozen=True)
class BadCell:
    """One cell that is not a number: where it is, what it holds and a hint."""

    row: int
    column: str
    value: str
    hint: str = ""

    def format(self) -> str:
        return f"row {self.row}, column '{self.column}': {self.value}{self.hint}"


class CellError(DataError):
    """Cells that should hold numbers but do not; ``cells`` lists the first ones, ``n_bad`` counts all."""

    def __init__(self, message: str, *, file: str | None, cells: list[BadCell], n_bad: int,
                 row: int | None = None, column: str | None = None):
        self.cells = cells
        self.n_bad = n_bad
        super().__init__(message, file=file, row=row, column=column)


class BadCells:
    """Collects bad cells over all the columns a run uses, then raises once.

    Examples
    --------
    >>> bad = BadCells("k.csv")
    >>> col = parse_numbers(["1", "x", "12,5"])
    >>> bad.add("nps", col, pd.Series(["1", "x", "12,5"]), rows=np.array([2, 3, 4]))
    >>> print(str(bad.error()))  # doctest: +NORMALIZE_WHITESPACE
    k.csv: expected numbers in 2 cells (empty cells, NA, n/a and - count as missing):
      row 3, column 'nps': 'x'
      row 4, column 'nps': '12,5' (a decimal comma? read the file with --decimal , (decimal=','))
    """

    def __init__(self, source: str):
        self.source = source
        self.cells: list[BadCell] = []
        self.n_bad = 0
        self.per_column: Counter[str] = Counter()

    def add(self, column: str, col: NumberColumn, raw: pd.Series, rows: np.ndarray,
            only: np.ndarray | None = None) -> None:
        """Record the bad cells of ``col`` (restricted to rows ``only``); ``rows`` are user-facing numbers."""
        bad = col.bad if only is None else col.bad & only
        where = np.flatnonzero(bad)
        if not len(where):
            return
        self.n_bad += len(where)
        self.per_column[column] += len(where)
        room = min(_MAX_PER_COLUMN, MAX_LISTED - len(self.cells))
        for pos in where[: max(room, 0)]:
            self.cells.append(BadCell(int(rows[pos]), column, show_cell(raw.iloc[pos]), col.reasons.get(int(pos), "")))

    def error(self) -> CellError | None:
        if not self.n_bad:
            return None
        self.cells.sort(key=lambda c: (c.row, c.column))
        if self.n_bad == 1:
            c = self.cells[0]
            hint = c.hint or " (empty cells, NA, n/a and - count as missing)"
            return CellError(f"expected a number, found {c.value}{hint}", file=self.source, cells=self.cells,
                             n_bad=1, row=c.row, column=c.column)
        lines = [f"{self.source}: expected numbers in {self.n_bad:,} cells (empty cells, NA, n/a and - count "
                 "as missing):"]
        lines += [f"  {c.format()}" for c in self.cells]
        rest = self.n_bad - len(self.cells)
        if rest:
            listed = Counter(c.column for c in self.cells)
            by_col = ", ".join(f"'{k}': {v - listed[k]:,}" for k, v in self.per_column.items() if v > listed[k])
            lines.append(f"  ... and {rest:,} more ({by_col})")
        return CellError("\n".join(lines), file=None, cells=self.cells, n_bad=self.n_bad)

    def raise_if_any(self) -> None:
        err = self.error()
        if err is not None:
            raise err


def show_cell(v: Any) -> str:
    """A cell as it appears in messages: ``'abc'``, ``inf``, ``2024-03-01`` (shortened when long).

    Examples
    --------
    >>> show_cell("abc"), show_cell(float("inf")), show_cell(pd.Timestamp("2024-03-01")), show_cell(True)
    ("'abc'", 'inf', '2024-03-01', 'True')
    """
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, str):
        return repr(v if len(v) <= _MAX_TEXT else v[: _MAX_TEXT - 3] + "...")
    return str(v)

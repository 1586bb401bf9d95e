"""One number formatter for everything a user reads: console, strategy map, report, widgets.

Rules (the same everywhere, so a number looks the same on the map and in the report):

* three significant figures for estimates (``0.495``, ``-0.0481``, ``1.10``);
* KPI-scale numbers (``|x| >= 1000``) as whole numbers with thousands separators
  (``80,000``, ``12,346``), never ``8e+04``;
* tiny numbers in fixed notation down to ``1e-6`` (``0.000120``); below that,
  numbers are written as ``1.20e-07``, the only place an exponent appears;
* p- and q-values with three decimals and ``<0.001`` below that;
* a missing value (None or NaN) is an en dash ``–``;
* counts with the right grammar: ``1 link``, ``2 links``.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["MISSING", "fmt_num", "fmt_p", "p_phrase", "fmt_ci", "fmt_count", "fmt_lags", "fmt_value",
           "fmt_share", "as_float"]

#: what a missing number prints as
MISSING = "\u2013"
_MINUS = "-"


def as_float(x: Any) -> float | None:
    """``x`` as a finite float, or None (None, NaN, inf, non-numbers).

    Examples
    --------
    >>> as_float("1.5"), as_float(float("nan")), as_float(None), as_float(3)
    (1.5, None, None, 3.0)
    """
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def fmt_num(x: Any, digits: int = 3, sign: bool = False) -> str:
    """A number with ``digits`` significant figures, thousands separators, no exponent at KPI scale.

    Examples
    --------
    >>> fmt_num(0.4951858), fmt_num(-0.0481, sign=True), fmt_num(1.1), fmt_num(12345.6)
    ('0.495', '-0.0481', '1.10', '12,346')
    >>> fmt_num(80000.0), fmt_num(0.000123), fmt_num(1.202e-07, sign=True), fmt_num(None)
    ('80,000', '0.000123', '+1.20e-07', '–')
    >>> fmt_num(0.00001158, sign=True)
    '+1.16e-05'

    >>> fmt_num(0.0), fmt_num(999.6), fmt_num(-1234.5, sign=True)
    ('0', '1,000', '-1,234')
    """
    f = as_float(x)
    if f is None:
        return MISSING
    plus = "+" if sign and f > 0 else ""
    if f == 0:
        return "0"
    a = abs(f)
    if a < 1e-4:  # 1.16e-06, not 0.00000116: the zeros are hard to count
        return f"{plus}{f:.{max(digits - 1, 1)}e}"
    mag = int(math.floor(math.log10(a)))
    decimals = max(digits - 1 - mag, 0)
    rounded = round(f, decimals)
    if abs(rounded) >= 1000 or decimals == 0:
        return f"{plus}{round(f):,.0f}"
    # rounding can carry into a new digit (0.9996 -> 1.000); recompute the decimals then
    if rounded != 0 and int(math.floor(math.log10(abs(rounded)))) > mag:
        decimals = max(decimals - 1, 0)
    return f"{plus}{f:,.{decimals}f}"


def fmt_p(p: Any) -> str:
    """A p- or q-value: three decimals, ``<0.001`` below that, ``–`` when missing.

    Examples
    --------
    >>> fmt_p(0.0125), fmt_p(0.00001), fmt_p(1), fmt_p(None)
    ('0.013', '<0.001', '1.000', '–')
    """
    f = as_float(p)
    if f is None:
        return MISSING
    if f < 0.001:
        return "<0.001"
    return f"{min(f, 1.0):.3f}"


def p_phrase(p: Any, name: str = "q") -> str:
    """``q = 0.012`` or ``q < 0.001`` (``q not available`` when missing).

    Examples
    --------
    >>> p_phrase(0.0125), p_phrase(1e-6, "p"), p_phrase(None)
    ('q = 0.013', 'p < 0.001', 'q not available')
    """
    f = fmt_p(p)
    if f == MISSING:
        return f"{name} not available"
    return f"{name} < 0.001" if f.startswith("<") else f"{name} = {f}"


def fmt_ci(lo: Any, hi: Any, digits: int = 3) -> str:
    """A confidence interval ``[lo, hi]`` (``–`` when either end is missing).

    Examples
    --------
    >>> fmt_ci(0.2525, 0.7378), fmt_ci(-1200.5, 35000), fmt_ci(None, 1)
    ('[0.253, 0.738]', '[-1,200, 35,000]', '–')
    """
    if as_float(lo) is None or as_float(hi) is None:
        return MISSING
    return f"[{fmt_num(lo, digits)}, {fmt_num(hi, digits)}]"


def fmt_count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 link``, ``2 links``, ``0 links`` (``plural`` for irregular nouns).

    Examples
    --------
    >>> fmt_count(1, "link"), fmt_count(3, "link"), fmt_count(2, "analysis", "analyses")
    ('1 link', '3 links', '2 analyses')
    >>> fmt_count(12000, "row")
    '12,000 rows'
    """
    word = noun if n == 1 else (plural or noun + "s")
    return f"{n:,} {word}"


def fmt_value(x: Any, unit: str = "", digits: int = 3, sign: bool = False) -> str:
    """A number with its KPI unit: ``74.0%``, ``1,200 EUR``, ``+0.40 h``.

    Units that are symbols (``%``, ``pp``, ``‰``) follow without a space.

    Examples
    --------
    >>> fmt_value(74, "%"), fmt_value(1200, "EUR"), fmt_value(0.4, "h", sign=True), fmt_value(None, "%")
    ('74.0%', '1,200 EUR', '+0.400 h', '–')
    """
    s = fmt_num(x, digits, sign)
    if s == MISSING or not unit:
        return s
    unit = str(unit).strip()
    return f"{s}{unit}" if unit in {"%", "pp", "\u2030"} else f"{s} {unit}"


def fmt_share(x: Any) -> str:
    """A share in [0, 1] as a whole percentage: ``83%`` (``<1%`` and ``>99%`` at the ends).

    Examples
    --------
    >>> fmt_share(0.8333), fmt_share(1.0), fmt_share(0.004), fmt_share(0.996), fmt_share(None)
    ('83%', '100%', '<1%', '>99%', '–')
    """
    f = as_float(x)
    if f is None:
        return MISSING
    if 0 < f < 0.005:
        return "<1%"
    if 0.995 <= f < 1:
        return ">99%"
    return f"{f * 100:.0f}%"


def fmt_lags(lags: Any) -> str:
    """Lags in words that cannot be mistaken for objective ids: ``lag 1``, ``lags 1–2``, ``lags 0, 2``.

    Examples
    --------
    >>> fmt_lags([1]), fmt_lags([1, 2, 3]), fmt_lags((0, 2)), fmt_lags([])
    ('lag 1', 'lags 1–3', 'lags 0, 2', '–')
    """
    vals = sorted({int(x) for x in (lags or []) if x is not None})
    if not vals:
        return MISSING
    if len(vals) == 1:
        return f"lag {vals[0]}"
    if vals == list(range(vals[0], vals[-1] + 1)):
        return f"lags {vals[0]}\u2013{vals[-1]}"
    return "lags " + ", ".join(str(v) for v in vals)


def letter_label(i: int, *, upper: bool = False) -> str:
    """Letters for the 0-based position ``i``: a, b, ..., z, aa, ab, ... (spreadsheet columns with
    ``upper``: A, ..., Z, AA).

    Examples
    --------
    >>> letter_label(0), letter_label(25), letter_label(26), letter_label(27, upper=True)
    ('a', 'z', 'aa', 'AB')
    """
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr((65 if upper else 97) + r) + out
    return out

"""Tables for reading: a DataFrame's numbers written by the one shared formatter.

Notebooks show evidence tables (``evidence.to_frame()``, driver models, chains, lever
paths). Rounded with ``.round(3)`` they print q-values as ``0.000`` and small effects as
``1.202e-07``; :func:`readable` writes them the way the console, the map and the report
do (:mod:`bsc_toolkit._format`): three significant figures, ``<0.001`` for p- and
q-values, thousands separators, an en dash for a missing value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .._format import MISSING, fmt_num, fmt_p

__all__ = ["is_p_column", "readable"]

_P_NAME = re.compile(r"(^|[\s_])(p|q)(_value|-value)?($|[\s_])", re.IGNORECASE)


def is_p_column(name: Any) -> bool:
    """True for the name of a p- or q-value column (``q_value``, ``joint p``, ``DM p``, ``p``).

    Examples
    --------
    >>> [is_p_column(c) for c in ("q_value", "joint p", "DM p", "p_value", "persistence", "lags")]
    [True, True, True, True, False, False]
    """
    return bool(_P_NAME.search(str(name)))


def readable(
    df: Any,
    *,
    p_columns: Iterable[str] | None = None,
    signed: Iterable[str] = (),
    digits: int = 3,
) -> Any:
    """A copy of ``df`` with its numbers as text from the shared formatter, for display.

    Parameters
    ----------
    df : pandas.DataFrame
    p_columns : iterable of str, optional
        Columns holding p- or q-values (``0.013``, ``<0.001``); by default every column whose
        name says so (:func:`is_p_column`).
    signed : iterable of str
        Columns written with their sign (changes and effects: ``+0.475``).
    digits : int
        Significant figures of the other numbers.

    Returns
    -------
    pandas.DataFrame
        Same index and columns; numeric columns become text, others are unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"link": ["L1 -> P1"], "long_run": [0.4751], "q_value": [2e-9],
    ...                    "tiny": [1.202e-07], "n_obs": [12000]})
    >>> readable(df, signed=["long_run"]).iloc[0].tolist()
    ['L1 -> P1', '+0.475', '<0.001', '1.20e-07', '12,000']
    """
    import pandas as pd

    out = df.copy()
    pcols = set(p_columns) if p_columns is not None else {c for c in out.columns if is_p_column(c)}
    sign = set(signed)
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            continue
        if col in pcols:
            out[col] = [fmt_p(x) for x in s]
        elif pd.api.types.is_integer_dtype(s):
            out[col] = [f"{int(x):,}" for x in s]
        else:
            out[col] = [fmt_num(x, digits, sign=col in sign) for x in s]
        out[col] = out[col].astype(object).where(out[col].notna(), MISSING)
    return out

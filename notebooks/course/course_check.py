"""Answer checking for the Balanced Scorecard course notebooks.

``check_answer(question, answer)`` raises ``AssertionError`` (with a hint) when an
answer is wrong, so a notebook with a wrong answer fails when it is run — also under
``pytest --nbval``. The answer key holds only SHA-256 hashes of normalised answers,
so students cannot read the answers off this file; teachers find them in
``ANSWERS.md`` beside it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

#: question id -> (sha256 of the normalised answer, hint shown on a wrong answer)
KEY: dict[str, tuple[str, str]] = {}


def normalise(answer: Any) -> str:
    """A canonical text for an answer: case-folded strings, sorted collections, rounded numbers.

    Examples
    --------
    >>> normalise({"B", "a"}) == normalise(["A", "b"])
    True
    >>> normalise(3) == normalise(3.0)
    True
    """
    if isinstance(answer, bool):
        return str(answer).lower()
    if isinstance(answer, (int, float)):
        return f"{float(answer):.2f}"
    if isinstance(answer, str):
        return " ".join(answer.strip().lower().split())
    if isinstance(answer, Iterable):
        return "[" + ",".join(sorted(normalise(a) for a in answer)) + "]"
    raise TypeError(f"cannot check an answer of type {type(answer).__name__}")


def digest(answer: Any) -> str:
    return hashlib.sha256(normalise(answer).encode("utf-8")).hexdigest()


def _register(question: str, answer: Any, hint: str) -> None:
    KEY[question] = (digest(answer), hint)


def check_answer(question: str, answer: Any) -> str:
    """Check an exercise answer; raise AssertionError with a hint when it is wrong.

    Examples
    --------
    >>> check_answer("c4.code_too_many", "kpi-count")
    'c4.code_too_many: correct'
    """
    if question not in KEY:
        raise KeyError(f"no question {question!r}; questions: {', '.join(sorted(KEY))}")
    want, hint = KEY[question]
    if digest(answer) != want:
        raise AssertionError(f"{question}: {answer!r} is not right. Hint: {hint}")
    return f"{question}: correct"


# The answer key (hashed at import; the plain answers are in ANSWERS.md for teachers).
_register("c1.n_chains", 16, "count every path of links from a Learning & Growth objective up to a "
          "Financial objective (use the `chains` list computed above)")
_register("c1.upward_share", 1.0, "the share of links whose end is exactly one perspective level above "
          "its start")
_register("c2.peak_lag", 3, "three links of one period each lie between training and revenue")
_register("c2.lagging", {"retention", "revenue"}, "lagging indicators are outcomes: look at `indicator`")
_register("c3.trend_verdict", "not_supported", "read `evidence_trend.links[0].verdict`")
_register("c3.true_direction", "F1 -> P1", "which direction did the proper test support?")
_register("c4.n_kpis", 50, "len(bloated.kpis)")
_register("c4.code_too_many", "kpi-count", "the lint rule about the total number of KPIs")
_register("c4.strategic", "b", "a strategic KPI measures the objective's outcome, not an activity that "
          "is easy to count")
_register("c5.periods_for_80", 12, "the smallest number of periods in the table whose power is at least 0.8")

"""Answer checking for the Balanced Scorecard course notebooks.

``check_answer(question, answer)`` says whether an exercise answer is right:

* ``"c1.n_chains: not answered yet"`` while the answer is still ``...`` (the student
  version of each notebook hands the exercises out that way);
* ``"c1.n_chains: correct"`` for a right answer;
* ``"c1.n_chains: 3 is not right. Hint: ..."`` for a wrong one.

It never raises for an answer, so a student can run the whole notebook at any time. The
answer key holds only SHA-256 hashes of normalised answers, so the answers are not in
plain sight; teachers find them in ``ANSWERS.md`` and in the solved notebooks
(``solutions/``). Answers read off a table the notebook computes (Monte Carlo power, say)
are checked against that table with :func:`check_reading` instead of a fixed key.
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


NOT_ANSWERED = "not answered yet"


def _unanswered(question: str, answer: Any) -> str | None:
    if answer is Ellipsis or answer is None:
        return f"{question}: {NOT_ANSWERED} (replace the ... with your answer and run the cell again)"
    return None


def check_answer(question: str, answer: Any) -> str:
    """Say whether an exercise answer is right: ``correct``, ``not right`` with a hint, or not answered yet.

    Examples
    --------
    >>> check_answer("c4.code_too_many", "kpi-count")
    'c4.code_too_many: correct'
    >>> check_answer("c4.code_too_many", ...)
    'c4.code_too_many: not answered yet (replace the ... with your answer and run the cell again)'
    >>> check_answer("c4.code_too_many", "too-many")
    "c4.code_too_many: 'too-many' is not right. Hint: the lint rule about the total number of KPIs"
    """
    if question not in KEY:
        raise KeyError(f"no question {question!r}; questions: {', '.join(sorted(KEY))}")
    want, hint = KEY[question]
    blank = _unanswered(question, answer)
    if blank:
        return blank
    try:
        right = digest(answer) == want
    except TypeError:  # an answer of a type no key can hold (a function, a DataFrame, ...)
        right = False
    return f"{question}: correct" if right else f"{question}: {answer!r} is not right. Hint: {hint}"


# The answer key: SHA-256 digests of the normalised answers (the plain answers are in
# ANSWERS.md for teachers). Regenerate a digest with `digest(answer)`.
KEY.update(
    {
        "c1.n_chains": (
            "be1019d175511e37e0287e7390b1752fef7212e375167190e68065b881787407",
            "count every path of links from a Learning & Growth objective up to a Financial objective (use the `chains` list computed above)",
        ),
        "c1.upward_share": (
            "cf9dcf6da8a82be1335c398a4005def7ee3a53d4698c59dbc6b2b14e72d1263c",
            "the share of links whose end is exactly one perspective level above its start",
        ),
        "c2.peak_lag": (
            "a97491cd3cfa6d9c0d32b3a1964131f90ca1a9105d748da9a298cd0f7a987a4f",
            "three links of one period each lie between training and revenue",
        ),
        "c2.lagging": (
            "cfc2ac676cbcdf915a243739225506b0cddffbdf88febb20eba7f34623a616e7",
            "lagging indicators are outcomes: look at `indicator`",
        ),
        "c3.trend_verdict": (
            "ec2a184a3a4dfd21f103015272486bb7e46e568809c30fd8cc745ba63c276dd3",
            "read `evidence_trend.links[0].verdict`",
        ),
        "c3.true_direction": (
            "e30bab281bb60fdbf90f107bab7b7f13e17b31d94f32895721e7d83b8a3e0bce",
            "which direction did the proper test support?",
        ),
        "c4.n_kpis": (
            "a99210875f112a6e8ab130a4a4fb700a903c05dfe49bc3c4ec22ce3827cb20be",
            "len(bloated.kpis)",
        ),
        "c4.code_too_many": (
            "021d8344ecc327fafb5a0cf597d2fd77dea77221e6b77c26b05d49afa7240b2b",
            "the lint rule about the total number of KPIs",
        ),
        "c4.strategic": (
            "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d",
            "a strategic KPI measures the objective's outcome, not an activity that is easy to count",
        ),
    }
)


def periods_for_power(curve: Any, power: float = 0.8) -> int | None:
    """The smallest number of periods in a power curve whose estimated power reaches ``power``."""
    ok = curve.loc[curve["power"] >= power, "n_periods"]
    return int(ok.min()) if len(ok) else None


def check_reading(question: str, answer: Any, expected: Any, hint: str) -> str:
    """Check an answer read off a table computed in the notebook (so it has no fixed key).

    Examples
    --------
    >>> check_reading("c5.x", 12, 12, "read the table"), check_reading("c5.x", ..., 12, "read the table")[:24]
    ('c5.x: correct', 'c5.x: not answered yet (')
    """
    blank = _unanswered(question, answer)
    if blank:
        return blank
    try:
        right = normalise(answer) == normalise(expected)
    except TypeError:
        right = False
    return f"{question}: correct" if right else f"{question}: {answer!r} is not right. Hint: {hint}"

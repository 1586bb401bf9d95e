"""Offline interpretation: short narratives built from the numbers alone (no LLM).

Used when no ``narrative`` Markdown is given (``bsc_toolkit.generate.narrate``
writes a richer one). Every number is formatted from the evidence dict, and all
scorecard text is escaped, so the result is safe Markdown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._format import fmt_num, p_phrase
from ._markdown import md_escape

if TYPE_CHECKING:
    from ..scorecard import Scorecard

__all__ = ["VERDICT_ORDER", "end_name", "offline_narrative", "verdict_counts"]

VERDICT_ORDER = ("supported", "contradicted", "not_supported", "insufficient_data")


def verdict_counts(evidence: Mapping[str, Any]) -> dict[str, int]:
    """Number of links per verdict, in :data:`VERDICT_ORDER` (zeros included).

    Examples
    --------
    >>> verdict_counts({"links": [{"verdict": "supported"}, {"verdict": "supported"}]})["supported"]
    2
    """
    c = Counter(str(lk.get("verdict")) for lk in evidence.get("links") or [])
    out = {v: c.get(v, 0) for v in VERDICT_ORDER}
    for k, n in c.items():
        if k not in out:
            out[k] = n
    return out


def end_name(scorecard: Scorecard | None, ident: str) -> str:
    """Readable name of a link end (objective or KPI id); the id itself when unknown.

    Examples
    --------
    >>> from bsc_toolkit.scorecard import load_example
    >>> end_name(load_example("retail"), "L1")
    'Skilled store teams'
    """
    if scorecard is None:
        return str(ident)
    try:
        o = scorecard.objective(ident)
        return o.name
    except KeyError:
        pass
    try:
        return scorecard.kpi(ident).name
    except KeyError:
        return str(ident)


def _link_phrase(scorecard: Scorecard | None, lk: Mapping[str, Any]) -> str:
    return f"{md_escape(end_name(scorecard, str(lk.get('from'))))} → {md_escape(end_name(scorecard, str(lk.get('to'))))}"


def _effect_phrase(lk: Mapping[str, Any]) -> str:
    lr = lk.get("long_run") or {}
    est = lr.get("estimate")
    if est is None:
        return ""
    return f"cumulative effect over the lag window {fmt_num(est, sign=True)}, {p_phrase(lk.get('q_value'))}"


def offline_narrative(scorecard: Scorecard, evidence: Mapping[str, Any]) -> str:
    """A short plain-language reading of the evidence, from the verdict counts and estimates.

    Examples
    --------
    >>> from bsc_toolkit.scorecard import load_example
    >>> ev = {"links": [{"from": "L1", "to": "P1", "verdict": "supported",
    ...        "long_run": {"estimate": 0.5}, "q_value": 0.01}]}
    >>> "1 of the 1 hypothesised links" in offline_narrative(load_example("retail"), ev)
    True
    """
    links = list(evidence.get("links") or [])
    n = len(links)
    c = verdict_counts(evidence)
    if n == 0:
        return "The evidence file contains no tested links, so there is nothing to interpret yet.\n"
    paras = [
        f"{c['supported']} of the {n} hypothesised links are supported by the data, "
        f"{c['contradicted']} are contradicted (a clear effect with the opposite sign), "
        f"{c['not_supported']} are not supported (no effect distinguishable from noise) and "
        f"{c['insufficient_data']} could not be tested with the data available."
    ]

    def strength(lk: Mapping[str, Any]) -> float:
        v = lk.get("standardized_effect")
        if v is None:
            v = (lk.get("long_run") or {}).get("estimate")
        return abs(float(v)) if v is not None else 0.0

    sup = sorted((lk for lk in links if lk.get("verdict") == "supported"), key=strength, reverse=True)
    if sup:
        best = sup[0]
        paras.append(
            f"The strongest supported link is {_link_phrase(scorecard, best)} ({_effect_phrase(best)}). "
            "Supported links are the parts of the strategy the data back up; they are still associations "
            "in past data, not proof of cause and effect."
        )
    con = [lk for lk in links if lk.get("verdict") == "contradicted"]
    if con:
        items = "; ".join(f"{_link_phrase(scorecard, lk)} ({_effect_phrase(lk)})" for lk in con[:5])
        paras.append(
            f"Review first the contradicted link{'s' if len(con) > 1 else ''}: {items}. "
            "Here the data point the other way from the strategy's assumption."
        )
    if c["not_supported"]:
        paras.append(
            f"For the {c['not_supported']} link{'s' if c['not_supported'] != 1 else ''} that are not supported, the "
            "data neither confirm nor refute the assumption: the effect may be absent, smaller than the data can "
            "detect, or take longer than the lags tested."
        )
    if c["insufficient_data"]:
        paras.append(
            f"{c['insufficient_data']} link{'s' if c['insufficient_data'] != 1 else ''} could not be tested; "
            "the evidence table gives the reason for each (for example too few periods for the lags)."
        )
    return "\n\n".join(paras) + "\n"

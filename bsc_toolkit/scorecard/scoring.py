"""Status (red/amber/green) and 0–10 scores, rolled up with weights.

The convention is the one scorecard software users know from "goal / red flag"
scoring: a KPI's *green* level (its goal) scores 6.67, its *red* level (the red
flag) scores 3.33, and the score moves linearly with the actual value and is
clipped to 0–10. At or beyond green the status is green, worse than red it is
red, in between amber. The levels come from the KPI's ``thresholds``; without
them the target is the green level and the baseline the red one ("worse than
where we started is red"). Direction ``down`` mirrors everything, because the
same formula is used with green below red.

Objective, perspective and scorecard scores are weighted means of the scores
below them; weights need not sum to one (they are normalised), missing weights
count as 1, and items without a score are left out (and counted).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Literal

from .findings import Finding, Findings
from .lint import weight_findings
from .model import KPI, PERSPECTIVE_ORDER, Scorecard

__all__ = ["KPIStatus", "RollUp", "ScoreReport", "kpi_status", "score", "status_for_score"]

Status = Literal["green", "amber", "red", "no_data"]
RED_SCORE = 10.0 / 3.0
GREEN_SCORE = 20.0 / 3.0


@dataclass(frozen=True)
class KPIStatus:
    """Status and score of one KPI, and how they were computed."""

    kpi: str
    name: str
    actual: float | None
    red: float | None
    green: float | None
    status: Status
    score: float | None
    basis: str

    @property
    def colour(self) -> str:
        return STATUS_COLOURS[self.status]


#: colour-blind-safe status colours (Okabe–Ito inspired) used by maps and reports
STATUS_COLOURS: dict[str, str] = {"green": "#1a9850", "amber": "#f1a340", "red": "#d73027", "no_data": "#bdbdbd"}


def status_for_score(score: float | None) -> Status:
    """Map a 0–10 score to a status: green ≥ 6.67, red < 3.33, amber between."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return "no_data"
    if score >= GREEN_SCORE - 1e-9:
        return "green"
    if score < RED_SCORE - 1e-9:
        return "red"
    return "amber"


def kpi_status(kpi: KPI, actual: float | None = None) -> KPIStatus:
    """Direction-aware status and 0–10 score of a KPI.

    Parameters
    ----------
    kpi : KPI
    actual : float, optional
        Overrides ``kpi.actual``.

    Examples
    --------
    >>> from bsc_toolkit.scorecard import KPI, kpi_status
    >>> k = KPI(id="nps", name="NPS", direction="up", baseline=20, target=40)
    >>> s = kpi_status(k, 30)
    >>> s.status, round(s.score, 2)
    ('amber', 5.0)
    """
    a = kpi.actual if actual is None else float(actual)
    if kpi.thresholds is not None:
        red, green, basis = kpi.thresholds.red, kpi.thresholds.green, "thresholds"
    elif kpi.baseline is not None and kpi.target is not None:
        red, green, basis = kpi.baseline, kpi.target, "baseline→target"
    elif kpi.target is not None:
        red, green, basis = None, kpi.target, "target only"
    else:
        red, green, basis = None, None, "no target"
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return KPIStatus(kpi.id, kpi.name, None, red, green, "no_data", None, basis)
    if green is None:
        return KPIStatus(kpi.id, kpi.name, a, red, green, "no_data", None, basis)
    if red is None or red == green:
        # no range to interpolate: met or not met
        up = kpi.direction != "down"
        met = a >= green if up else a <= green
        return KPIStatus(kpi.id, kpi.name, a, red, green, "green" if met else "red", None, basis)
    s = RED_SCORE + (a - red) / (green - red) * (GREEN_SCORE - RED_SCORE)
    s = min(10.0, max(0.0, s))
    return KPIStatus(kpi.id, kpi.name, a, red, green, status_for_score(s), s, basis)


@dataclass(frozen=True)
class RollUp:
    """A weighted score of a group (objective, perspective or the whole scorecard)."""

    level: str
    id: str
    name: str
    score: float | None
    status: Status
    n_scored: int
    n_total: int
    parent: str = ""


def _wmean(items: Iterable[tuple[float | None, float]]) -> tuple[float | None, int]:
    num = den = 0.0
    k = 0
    for s, w in items:
        if s is None or w <= 0:
            continue
        num += s * w
        den += w
        k += 1
    return (num / den if den > 0 else None), k


@dataclass(frozen=True)
class ScoreReport:
    """Statuses of every KPI and weighted roll-ups, with findings about weights."""

    scorecard: str
    kpis: tuple[KPIStatus, ...]
    objectives: tuple[RollUp, ...]
    perspectives: tuple[RollUp, ...]
    overall: RollUp
    findings: Findings = field(default_factory=Findings)

    def kpi(self, id: str) -> KPIStatus:
        for k in self.kpis:
            if k.kpi == id:
                return k
        raise KeyError(id)

    def objective(self, id: str) -> RollUp:
        for o in self.objectives:
            if o.id == id:
                return o
        raise KeyError(id)

    def perspective(self, id: str) -> RollUp:
        for p in self.perspectives:
            if p.id == id:
                return p
        raise KeyError(id)

    def to_frame(self):
        """One row per KPI, objective, perspective and the overall score."""
        import pandas as pd

        rows = [
            {"level": "kpi", "id": k.kpi, "name": k.name, "actual": k.actual, "red": k.red,
             "green": k.green, "score": k.score, "status": k.status, "basis": k.basis}
            for k in self.kpis
        ]
        rows += [
            {"level": r.level, "id": r.id, "name": r.name, "score": r.score, "status": r.status,
             "basis": f"{r.n_scored} of {r.n_total} scored"}
            for r in (*self.objectives, *self.perspectives, self.overall)
        ]
        return pd.DataFrame(rows)

    @property
    def summary(self) -> str:
        def fmt(s: float | None) -> str:
            return "  -  " if s is None else f"{s:5.2f}"

        lines = [f"Scores for '{self.scorecard}' (0-10; green >= 6.67, red < 3.33)",
                 f"Overall {fmt(self.overall.score)} {self.overall.status}"]
        for p in self.perspectives:
            lines.append(f"  {p.name:<18} {fmt(p.score)} {p.status}")
            for o in self.objectives:
                if o.parent == p.id:
                    lines.append(f"    {o.id:<8} {o.name[:40]:<40} {fmt(o.score)} {o.status}")
        lines.append("KPIs:")
        for k in self.kpis:
            act = "-" if k.actual is None else f"{k.actual:g}"
            lines.append(f"  {k.kpi:<28} actual {act:>10}  score {fmt(k.score)}  {k.status:<7} ({k.basis})")
        if len(self.findings):
            lines.append(str(self.findings))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{escape(k.kpi)}</td><td>{escape(k.name)}</td><td>{'' if k.actual is None else f'{k.actual:g}'}</td>"
            f"<td>{'' if k.score is None else f'{k.score:.2f}'}</td>"
            f"<td style='background:{k.colour}'>{k.status}</td></tr>"
            for k in self.kpis
        )
        score_txt = "-" if self.overall.score is None else f"{self.overall.score:.2f}"
        return (f"<p><b>{escape(self.scorecard)}</b>: overall {score_txt} ({self.overall.status})</p>"
                f"<table><thead><tr><th>KPI</th><th>name</th><th>actual</th><th>score</th><th>status</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>")


def score(sc: Scorecard, actuals: Mapping[str, float | None] | None = None) -> ScoreReport:
    """Status and score of every KPI, rolled up to objectives, perspectives and the scorecard.

    Parameters
    ----------
    sc : Scorecard
    actuals : mapping, optional
        KPI id -> actual value; overrides the ``actual`` values in the scorecard.

    Examples
    --------
    >>> from bsc_toolkit.scorecard import load_example, score
    >>> report = score(load_example("retail"))
    >>> report.overall.status in {"green", "amber", "red"}
    True
    """
    if actuals:
        sc = sc.with_actuals(actuals)
    kpi_rows: list[KPIStatus] = []
    obj_rows: list[RollUp] = []
    findings: list[Finding] = []
    by_obj: dict[str, RollUp] = {}
    for o in sc.objectives:
        stats = [kpi_status(k) for k in o.kpis]
        kpi_rows.extend(stats)
        s, k = _wmean((st.score, 1.0 if kp.weight is None else kp.weight) for st, kp in zip(stats, o.kpis, strict=True))
        r = RollUp("objective", o.id, o.name, s, status_for_score(s), k, len(o.kpis), o.perspective.value)
        obj_rows.append(r)
        by_obj[o.id] = r
        ws = {kp.id: kp.weight for kp in o.kpis if kp.weight is not None}
        if ws and len(ws) == len(o.kpis):
            findings.extend(weight_findings(ws, f"objective {o.id}"))
    persp_rows: list[RollUp] = []
    for p in reversed(PERSPECTIVE_ORDER):  # Financial first, as people read a scorecard
        objs = sc.objectives_in(p)
        s, k = _wmean((by_obj[o.id].score, 1.0 if o.weight is None else o.weight) for o in objs)
        persp_rows.append(RollUp("perspective", p.value, p.label, s, status_for_score(s), k, len(objs)))
    pw = sc.perspective_weights or {}
    s, k = _wmean((r.score, float(pw.get(p, 1.0))) for r, p in zip(persp_rows, reversed(PERSPECTIVE_ORDER), strict=True))
    overall = RollUp("scorecard", "overall", sc.name, s, status_for_score(s), k, len(persp_rows))
    if pw:
        findings.extend(weight_findings({p.value: w for p, w in pw.items()}, "perspective_weights"))
    report = ScoreReport(sc.name, tuple(kpi_rows), tuple(obj_rows), tuple(persp_rows), overall,
                         Findings.of(findings, title="Weights"))
    return report

"""OKRs derived from a scorecard: short-cycle goals that step towards the targets.

The Balanced Scorecard is the strategic measurement system; OKRs are the quarterly
commitments that move it. :func:`derive_okrs` turns each objective into an OKR
objective with 2-4 key results whose targets step from where the KPI stands to its
target (direction-aware, rounded sensibly).

With a KPI history the starting point is the latest actual in the data (not the
scorecard's baseline), the cadence follows the data's frequency (annual data give
yearly OKRs, anything finer quarterly ones) and the first period is the one after the
data's last. With evidence, a driver key result is only drawn from a link the data
*support*; without evidence, driver key results say that the link is untested.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._io import atomic_write
from ..errors import GenerationError
from ..scorecard import KPI, Scorecard
from ._markdown import md_escape

if TYPE_CHECKING:
    from .._typing import EvidenceSource
    from ..history import KPIHistory

__all__ = ["KeyResult", "OKRObjective", "OKRSet", "derive_okrs", "okr_periods", "quarter_labels", "step_targets"]


@dataclass(frozen=True)
class KeyResult:
    """One key result: a measurable statement with a target per quarter.

    ``kind`` is ``"kpi"`` (moves a scorecard KPI), ``"driver"`` (a leading KPI of a
    linked driver objective), ``"initiative"`` (delivers an initiative; targets in %
    complete) or ``"routine"`` (reviews held; targets in %).
    """

    id: str
    text: str
    kind: str
    unit: str
    targets: dict[str, float | None]
    kpi: str | None = None
    direction: str | None = None
    baseline: float | None = None
    target: float | None = None


@dataclass(frozen=True)
class OKRObjective:
    """An OKR objective made from a scorecard objective."""

    id: str
    name: str
    perspective: str
    key_results: tuple[KeyResult, ...]
    owner: str | None = None


@dataclass(frozen=True)
class OKRSet:
    """OKRs for a number of quarters, derived from a scorecard.

    Examples
    --------
    >>> from bsc_toolkit.scorecard import load_example
    >>> okrs = derive_okrs(load_example("retail"), quarters=4, start="2026Q1")
    >>> okrs.quarters
    ('2026Q1', '2026Q2', '2026Q3', '2026Q4')
    """

    scorecard: str
    quarters: tuple[str, ...]
    objectives: tuple[OKRObjective, ...] = field(default_factory=tuple)
    #: ``quarterly`` or ``annual``: the length of one OKR cycle (``quarters`` holds their labels)
    cadence: str = "quarterly"
    #: where the key results start from, in words (for reports)
    basis: str = "each key result steps from the scorecard's baseline towards the target"

    @property
    def summary(self) -> str:
        n_kr = sum(len(o.key_results) for o in self.objectives)
        kind = "Annual OKRs" if self.cadence == "annual" else "OKRs"
        head = (f"{kind} for '{self.scorecard}', {self.quarters[0]}-{self.quarters[-1]}: "
                f"{len(self.objectives)} objectives, {n_kr} key results")
        out = [head]
        for o in self.objectives:
            out.append(f"  {o.id} {o.name}")
            for kr in o.key_results:
                steps = ", ".join(f"{q} {_fmt(v)}" for q, v in kr.targets.items())
                out.append(f"    {kr.id}: {kr.text} [{steps}]")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.summary

    def to_dict(self) -> dict[str, Any]:
        return {"scorecard": self.scorecard, "quarters": list(self.quarters), "cadence": self.cadence,
                "basis": self.basis,
                "objectives": [asdict(o) | {"key_results": [asdict(k) for k in o.key_results]}
                               for o in self.objectives]}

    def to_frame(self):
        """One row per key result, one column per quarter."""
        import pandas as pd

        rows = []
        for o in self.objectives:
            for kr in o.key_results:
                rows.append({"objective": o.id, "objective_name": o.name, "perspective": o.perspective,
                             "key_result": kr.id, "text": kr.text, "kind": kr.kind, "kpi": kr.kpi,
                             "unit": kr.unit, "baseline": kr.baseline, "target": kr.target, **kr.targets})
        cols = ["objective", "objective_name", "perspective", "key_result", "text", "kind", "kpi", "unit",
                "baseline", "target", *self.quarters]
        return pd.DataFrame(rows, columns=cols)

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)

    def to_markdown(self) -> str:
        q = self.quarters
        lines = [f"# OKRs {q[0]}–{q[-1]}: {md_escape(self.scorecard)}", ""]
        for o in self.objectives:
            lines += [f"## {md_escape(o.id)}: {md_escape(o.name)}", "",
                      "| Key result | " + " | ".join(q) + " |", "|---|" + "---:|" * len(q)]
            for kr in o.key_results:
                cells = " | ".join(_fmt(kr.targets.get(x)) for x in q)
                lines.append(f"| {md_escape(kr.text)} | {cells} |")
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write atomically: ``.md`` Markdown, ``.json`` JSON, anything else YAML."""
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix == ".md":
            text = self.to_markdown()
        elif suffix == ".json":
            text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
        else:
            text = self.to_yaml()
        return atomic_write(p, text)

    def _repr_html_(self) -> str:
        q = self.quarters
        head = "".join(f"<th>{escape(x)}</th>" for x in q)
        rows = []
        for o in self.objectives:
            rows.append(f"<tr><th colspan='{len(q) + 1}' style='text-align:left'>{escape(o.id)}: "
                        f"{escape(o.name)}</th></tr>")
            for kr in o.key_results:
                cells = "".join(f"<td>{escape(_fmt(kr.targets.get(x)))}</td>" for x in q)
                rows.append(f"<tr><td>{escape(kr.text)}</td>{cells}</tr>")
        title = escape(self.summary.splitlines()[0])
        return (f"<p><b>{title}</b></p><table><thead><tr><th>key result</th>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table>")


def _fmt(v: float | None) -> str:
    if v is None:
        return "–"
    if float(v).is_integer():
        return f"{int(v):d}" if abs(v) < 1e15 else f"{v:g}"
    return f"{v:g}"


def quarter_labels(start: str, quarters: int) -> tuple[str, ...]:
    """Labels of ``quarters`` consecutive quarters from ``start`` ("2026Q1").

    Examples
    --------
    >>> quarter_labels("2026Q3", 3)
    ('2026Q3', '2026Q4', '2027Q1')
    """
    m = re.fullmatch(r"\s*(\d{4})\s*-?\s*Q([1-4])\s*", str(start), flags=re.I)
    if not m:
        raise GenerationError(f"`start` must be a quarter like '2026Q1', got {start!r}")
    if not isinstance(quarters, int) or quarters < 1 or quarters > 40:
        raise GenerationError(f"`quarters` must be a whole number from 1 to 40, got {quarters!r}")
    y, q = int(m.group(1)), int(m.group(2)) - 1
    return tuple(f"{y + (q + i) // 4}Q{(q + i) % 4 + 1}" for i in range(quarters))


def okr_periods(start: str, n: int, cadence: str = "quarterly") -> tuple[str, ...]:
    """Labels of ``n`` consecutive OKR periods: quarters (``2026Q1``) or years (``2026``).

    Examples
    --------
    >>> okr_periods("2026", 3, "annual")
    ('2026', '2027', '2028')
    >>> okr_periods("2026Q4", 2)
    ('2026Q4', '2027Q1')
    """
    if cadence == "annual":
        m = re.fullmatch(r"\s*(\d{4})\s*", str(start))
        if not m:
            raise GenerationError(f"`start` must be a year like '2026' for annual OKRs, got {start!r}")
        if not isinstance(n, int) or n < 1 or n > 40:
            raise GenerationError(f"`quarters` must be a whole number from 1 to 40, got {n!r}")
        return tuple(str(int(m.group(1)) + i) for i in range(n))
    if cadence != "quarterly":
        raise GenerationError(f"`cadence` must be 'quarterly' or 'annual', got {cadence!r}")
    return quarter_labels(start, n)


def _next_period(history: KPIHistory, cadence: str) -> str | None:
    """The OKR period after the history's last period (None when the periods are plain integers)."""
    periods = history.periods
    if not len(periods) or history.frequency == "integer":
        return None
    last = periods[-1]
    year = getattr(last, "year", None)
    if year is None:
        return None
    if cadence == "annual":
        return str(int(year) + 1)
    quarter = getattr(last, "quarter", None)
    if quarter is None:
        return None
    q = int(quarter)
    return f"{int(year) + (q == 4)}Q{q % 4 + 1}"


def _decimals(x: float) -> int:
    s = f"{x:.6f}".rstrip("0").rstrip(".")
    return len(s.split(".")[1]) if "." in s else 0


def step_targets(baseline: float | None, target: float | None, direction: str | None, quarters: int,
                 unit: str = "") -> list[float | None]:
    """Quarterly targets from baseline to target: a straight path, rounded sensibly.

    Rounding keeps the precision of the baseline and target (one more decimal if the
    steps would otherwise repeat), rounds intermediate steps towards the ambition
    (up for ``direction="up"``, down for ``"down"``) so no quarter asks for less than
    the straight path, and ends exactly at the target. Counts stay whole numbers.

    Examples
    --------
    >>> step_targets(1.5, 4.0, "up", 4)
    [2.2, 2.8, 3.4, 4.0]
    >>> step_targets(24.0, 19.0, "down", 4)
    [22.7, 21.5, 20.2, 19.0]
    """
    if target is None:
        return [None] * quarters
    if baseline is None or baseline == target:
        return [float(target)] * quarters
    worse = (target < baseline) if direction == "up" else (target > baseline) if direction == "down" else False
    if worse:  # a target behind the baseline: hold the target, do not plan a decline
        return [float(target)] * quarters
    whole = unit.lower() in ("count", "number", "#") and float(baseline).is_integer() and float(target).is_integer()
    d = 0 if whole else max(_decimals(baseline), _decimals(target), 1 if abs(target - baseline) < quarters * 2 else 0)
    up = target > baseline
    for _ in range(4):
        f = 10**d
        vals = []
        for i in range(1, quarters + 1):
            raw = baseline + (target - baseline) * i / quarters
            r = (math.ceil(raw * f - 1e-9) if up else math.floor(raw * f + 1e-9)) / f
            vals.append(float(target) if i == quarters else r)
        distinct = len(set(vals)) == len(vals)
        if distinct or whole or d >= 3:
            break
        d += 1
    return [round(v, d) for v in vals]


def _kpi_kr(kr_id: str, k: KPI, qs: tuple[str, ...], kind: str = "kpi", lead: str = "",
            actual: tuple[float, str] | None = None, every: str = "quarter") -> KeyResult:
    """A key result for KPI ``k``; ``actual`` = (latest value, its period) replaces the baseline as the start."""
    start = k.baseline
    start_txt = ""
    if actual is not None:
        start = _round_like(actual[0], k)
        start_txt = f" (latest actual, {actual[1]})"
    steps = step_targets(start, k.target, k.direction, len(qs), k.unit)
    bare = k.unit.lower() in ("", "score", "count", "index", "number", "#", "rate", "ratio")
    unit = "" if bare else (k.unit if k.unit == "%" else f" {k.unit}")
    better_or_met = start is not None and k.target is not None and (
        (k.direction == "up" and start >= k.target) or (k.direction == "down" and start <= k.target))
    if k.target is None:
        text = f"{lead}Track {k.name} every {every} and agree a target"
    elif start is None or start == k.target:
        text = f"{lead}Reach {k.name} of {_fmt(k.target)}{unit} by {qs[-1]}"
    elif better_or_met:
        side = "at or above" if k.direction == "up" else "at or below"
        now = f"now {_fmt(start)}{unit}" + (f", {actual[1]}" if actual is not None else "")
        text = f"{lead}Keep {k.name} {side} {_fmt(k.target)}{unit} ({now})"
    else:
        verb = "Raise" if (k.direction == "up" or (k.direction is None and k.target > start)) else "Cut"
        text = f"{lead}{verb} {k.name} from {_fmt(start)}{unit}{start_txt} to {_fmt(k.target)}{unit} by {qs[-1]}"
    return KeyResult(kr_id, text, kind, k.unit, dict(zip(qs, steps, strict=True)), k.id, k.direction,
                     start, k.target)


def _round_like(value: float, k: KPI) -> float:
    """An actual rounded to the precision of the KPI's baseline/target (at least one decimal, three significant)."""
    d = max([_decimals(x) for x in (k.baseline, k.target) if x is not None] or [1])
    if abs(value) > 0:
        d = max(d, min(6, 2 - int(math.floor(math.log10(abs(value))))))
    return round(float(value), min(d, 6))


def _quarter_end(label: str) -> _dt.date:
    if re.fullmatch(r"\d{4}", label):  # a year
        return _dt.date(int(label), 12, 31)
    y, q = int(label[:4]), int(label[-1])
    return _dt.date(y + (q == 4), 1 if q == 4 else 3 * q + 1, 1) - _dt.timedelta(days=1)


def _progress(qs: tuple[str, ...], start: _dt.date | None, end: _dt.date | None) -> list[int]:
    """Planned % complete at each period end: linear from start to end (or over the periods)."""
    if start is None or end is None or end <= start:
        return [round(100 * (i + 1) / len(qs)) for i in range(len(qs))]
    span = (end - start).days
    return [max(0, min(100, round(100 * (_quarter_end(q) - start).days / span))) for q in qs]


def derive_okrs(scorecard: Scorecard, *, quarters: int = 4, start: str | None = None,
                evidence: EvidenceSource | None = None, history: KPIHistory | None = None,
                cadence: str | None = None) -> OKRSet:
    """Derive OKRs from a scorecard: one OKR objective per scorecard objective.

    Each objective gets 2-4 key results: one per KPI (targets stepping from where the KPI
    stands to its target); if that makes fewer than two, the initiatives serving the
    objective (percent complete per period), then the leading KPI of a driver objective
    linked into it, and finally a review routine.

    Parameters
    ----------
    scorecard : Scorecard
    quarters : int
        Number of OKR periods (1-40).
    start : str, optional
        First period: a quarter (``"2026Q1"``) or, for annual OKRs, a year (``"2026"``).
        Default: the period after the history's last; without a history ``"2026Q1"``
        (``"2026"`` for annual OKRs), so results do not change with the day they are run.
    evidence : Evidence, dict or path, optional
        Link verdicts: a driver key result is drawn only from a ``supported`` link.
        Without evidence, driver key results are labelled untested. Read by
        :func:`bsc_toolkit.evidence.load_evidence` (malformed evidence is a ``DataError``).
    history : KPIHistory, optional
        Key results start from each KPI's latest actual in the data, and the cadence
        follows the data (annual data: yearly OKRs; finer data: quarterly).
    cadence : {"quarterly", "annual"}, optional
        Overrides the cadence taken from the history.

    Examples
    --------
    >>> from bsc_toolkit.scorecard import load_example
    >>> okrs = derive_okrs(load_example("retail"), start="2026Q1")
    >>> all(2 <= len(o.key_results) <= 4 for o in okrs.objectives)
    True
    """
    freq = history.frequency if history is not None else None
    if cadence is None:
        cadence = "annual" if freq == "annual" else "quarterly"
    if start is None:
        start = (_next_period(history, cadence) if history is not None else None) or (
            "2026" if cadence == "annual" else "2026Q1")
    qs = okr_periods(start, quarters, cadence)
    every = "year" if cadence == "annual" else "quarter"
    verdicts = _link_verdicts(evidence)
    latest = _latest_actuals(scorecard, history)
    out: list[OKRObjective] = []
    for o in scorecard.objectives:
        krs: list[KeyResult] = []

        def next_id(o: Any = o, krs: list[KeyResult] = krs) -> str:
            return f"{o.id}.KR{len(krs) + 1}"

        for k in o.kpis[:4]:
            krs.append(_kpi_kr(next_id(), k, qs, actual=latest.get(k.id), every=every))
        for ini in scorecard.initiatives:
            if len(krs) >= 2:
                break
            if o.id in ini.objectives:
                pct = _progress(qs, ini.start, ini.end)
                due = f" by {ini.end.isoformat()}" if ini.end else f" by {qs[-1]}"
                krs.append(KeyResult(next_id(), f"Deliver the initiative {ini.name}{due}", "initiative",
                                     "% complete", dict(zip(qs, [float(p) for p in pct], strict=True))))
        if len(krs) < 2:
            used = {kr.kpi for kr in krs}
            for lk in scorecard.links:
                try:
                    into = scorecard.objective_of(lk.target).id == o.id
                    k = scorecard.kpi_for(lk.source)
                except KeyError:
                    continue
                if not into or k.id in used or k.indicator == "lagging":
                    continue
                verdict = verdicts.get((str(lk.source), str(lk.target)))
                if verdicts and verdict != "supported":
                    continue  # the data do not back this link: it is no driver to steer by
                lead = "Driver (supported by the data): " if verdict == "supported" else "Driver (untested link): "
                krs.append(_kpi_kr(next_id(), k, qs, kind="driver", lead=lead, actual=latest.get(k.id), every=every))
                break
        if len(krs) < 2:
            k0 = o.kpis[0].name if o.kpis else o.name
            krs.append(KeyResult(next_id(), f"Review {k0} with its owner every month and agree actions",
                                 "routine", "% of reviews held", dict.fromkeys(qs, 100.0)))
        out.append(OKRObjective(o.id, o.name, o.perspective.value, tuple(krs), o.owner))
    basis = ("each key result steps from the latest actual in the KPI history towards the target" if latest else
             "each key result steps from the scorecard's baseline towards the target")
    if verdicts:
        basis += "; driver key results come only from links the data support"
    return OKRSet(scorecard.name, qs, tuple(out), cadence=cadence, basis=basis)


def _link_verdicts(evidence: EvidenceSource | None) -> dict[tuple[str, str], str]:
    """(from, to) -> verdict from the evidence (empty without evidence)."""
    if evidence is None:
        return {}
    # the evidence stage comes after this one: its reader is loaded only when evidence is read
    from ..evidence import load_evidence

    return {(lk.from_, lk.to): lk.verdict for lk in load_evidence(evidence).links}


def _latest_actuals(scorecard: Scorecard, history: KPIHistory | None) -> dict[str, tuple[float, str]]:
    """KPI id -> (latest value in the history, the period it is from)."""
    if history is None:
        return {}
    out: dict[str, tuple[float, str]] = {}
    cols = set(history.data.columns)
    for k in scorecard.kpis:
        if k.id not in cols:
            continue
        s = history.data[k.id].dropna()
        if s.empty:
            continue
        last_t = int(s.index.get_level_values(1).max())
        try:
            label = str(history.period_labels[last_t])
        except (AttributeError, IndexError, TypeError, ValueError):
            label = str(last_t)
        out[k.id] = (float(s.xs(last_t, level=1).mean()), label)
    return out

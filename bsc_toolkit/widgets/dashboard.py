"""A scorecard status dashboard: type actuals, statuses and scores recompute.

:func:`dashboard_report` is the pure part (actuals -> :class:`ScoreReport`);
:func:`status_dashboard` puts one input per KPI in front of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING, Any

from .._format import MISSING, fmt_num
from ..errors import DataError

if TYPE_CHECKING:
    from .._typing import ScorecardSource
    from ..scorecard import Scorecard, ScoreReport

__all__ = ["dashboard_html", "dashboard_report", "status_dashboard"]


def _scorecard(sc: ScorecardSource) -> Scorecard:
    from ..scorecard import Scorecard, load_scorecard

    return sc if isinstance(sc, Scorecard) else load_scorecard(sc)


def dashboard_report(scorecard: ScorecardSource, actuals: Mapping[str, float | None] | None = None) -> ScoreReport:
    """Statuses and scores for these actuals (KPI id -> value); the dashboard's pure core.

    Parameters
    ----------
    scorecard : Scorecard, path or example name
    actuals : mapping, optional
        KPI id -> actual value (None clears it); others keep the scorecard's ``actual``.

    Returns
    -------
    ScoreReport

    Raises
    ------
    DataError
        When an actual names a KPI the scorecard does not have (the message lists them).

    Examples
    --------
    >>> r = dashboard_report("retail", {"nps": 60})
    >>> r.kpi("nps").status
    'green'
    """
    from ..scorecard import score

    sc = _scorecard(scorecard)
    known = {k.id for k in sc.kpis}
    unknown = sorted(set(actuals or {}) - known)
    if unknown:
        raise DataError(f"actuals given for KPI id(s) not in scorecard '{sc.name}': {', '.join(unknown)}; "
                        f"known KPIs: {', '.join(sorted(known))}")
    return score(sc, dict(actuals or {}))


def dashboard_html(report: ScoreReport) -> str:
    """HTML of the roll-up (overall, perspectives, objectives) with status colours.

    Examples
    --------
    >>> "Overall" in dashboard_html(dashboard_report("retail"))
    True
    """
    from ..scorecard import STATUS_COLOURS

    def cell(r: Any) -> str:
        s = MISSING if r.score is None else fmt_num(r.score)
        return (f"<td>{s}</td><td style='background:{STATUS_COLOURS[r.status]};color:#000'>"
                f"{escape(r.status)}</td>")

    rows = [f"<tr><th align=left>Overall</th>{cell(report.overall)}</tr>"]
    for p in report.perspectives:
        rows.append(f"<tr><th align=left>{escape(p.name)}</th>{cell(p)}</tr>")
        for o in report.objectives:
            if o.parent == p.id:
                rows.append(f"<tr><td>&nbsp;&nbsp;{escape(o.id)} {escape(o.name)}</td>{cell(o)}</tr>")
    return (f"<div class='bsc-dashboard'><b>{escape(report.scorecard)}</b>"
            f"<table><thead><tr><th></th><th>score</th><th>status</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def status_dashboard(scorecard: ScorecardSource, actuals: Mapping[str, float] | None = None) -> Any:
    """One number input per KPI; the roll-up and every KPI's status recompute on change.

    Inputs start at the KPI's ``actual`` (else its baseline, else its target).

    Returns
    -------
    ipywidgets.HBox
        Left: the inputs (``.inputs`` maps KPI id -> widget); right: an HTML widget
        with the roll-up and the KPI table (``.result``).

    Examples
    --------
    >>> d = status_dashboard("retail")          # doctest: +SKIP
    >>> d.inputs["nps"].value = 60              # the table recomputes  # doctest: +SKIP
    """
    from ._deps import require_ipywidgets
    from ._snapshot import snapshot_box

    W = require_ipywidgets()
    sc = _scorecard(scorecard)
    start = dict(actuals or {})
    inputs: dict[str, Any] = {}
    for k in sc.kpis:
        v = start.get(k.id, k.actual if k.actual is not None else (k.baseline if k.baseline is not None
                                                                    else k.target))
        label = f"{k.id}" + (f" ({k.unit})" if k.unit else "")
        inputs[k.id] = W.FloatText(value=0.0 if v is None else float(v), description=label,
                                   style={"description_width": "14em"},
                                   layout=W.Layout(width="24em"))
    result = W.HTML()
    result.add_class("bsc-dashboard-result")

    def update(_: Any = None) -> None:
        rep = dashboard_report(sc, {kid: w.value for kid, w in inputs.items()})
        result.value = dashboard_html(rep) + rep._repr_html_()

    for w in inputs.values():
        w.observe(update, names="value")
    update()
    box = snapshot_box("HBox", [W.VBox(list(inputs.values())), result], name="status_dashboard",
                       title="Status dashboard", controls=lambda: "actuals as in the table", result=result)
    box.inputs = inputs
    box.result = result
    return box

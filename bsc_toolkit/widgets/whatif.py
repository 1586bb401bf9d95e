"""What-if on the estimated long-run effects of supported links (not a lever simulation).

Given changes to some KPIs, :func:`what_if` propagates them through the links whose
verdict is ``supported``, using each link's long-run multiplier (the long-run
effect ``sum(b) / (1 - sum(rho))`` when own lags were used, else the sum of the
driver-lag coefficients) in KPI units, and adds up the effects along every path.
It is arithmetic on estimates, clearly labelled as such: it assumes the estimated
effects are causal, linear and additive, and it ignores their uncertainty.

For *when* the effects arrive and how uncertain they are, use the lever simulation
instead: :func:`bsc_toolkit.widgets.lever_sliders` (widget) over
:func:`bsc_toolkit.evidence.simulate_lever`, which propagates a step or pulse period
by period with the estimated lags and own lags and gives a band from the coefficients'
sampling distribution. This what-if stays as the quick end-of-horizon arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from .._format import MISSING, fmt_num
from ..errors import DataError, EstimationError

if TYPE_CHECKING:
    import pandas as pd

    from .._typing import EvidenceSource
    from ..evidence import LinkResult
    from ..history import KPIHistory

__all__ = ["LABEL", "WhatIfResult", "what_if", "what_if_sliders"]

LABEL = ("What-if from the estimated long-run effects of supported links - arithmetic on "
         "estimates (assumed causal, linear and additive; uncertainty ignored), not a forecast")


def _weight(lk: LinkResult) -> float | None:
    lrm = lk.long_run_multiplier
    if lrm is not None and lrm.estimate is not None:
        return float(lrm.estimate)
    return None if lk.long_run.estimate is None else float(lk.long_run.estimate)


@dataclass(frozen=True)
class WhatIfResult:
    """Changes to KPIs and their knock-on effects.

    ``rows``: one dict per KPI that moves: ``kpi``, ``change`` (total, KPI units),
    ``direct`` (the change you set), ``induced`` (from supported links), ``via``
    (the links it came through), and with levels ``level_before``/``level_after``.
    """

    changes: dict[str, float]
    rows: tuple[dict[str, Any], ...]
    edges: tuple[tuple[str, str, float], ...]
    label: str = LABEL

    def change(self, kpi: str) -> float:
        for r in self.rows:
            if r["kpi"] == kpi:
                return float(r["change"])
        return 0.0

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        cols = ["kpi", "direct", "induced", "change", "level_before", "level_after", "via"]
        return pd.DataFrame([{c: r.get(c) for c in cols} for r in self.rows], columns=cols)

    @property
    def summary(self) -> str:
        lines = [self.label, f"{'KPI':<28}{'set':>10}{'induced':>12}{'total':>12}  via"]
        for r in self.rows:
            lines.append(f"{r['kpi'][:27]:<28}{fmt_num(r['direct'], sign=True):>10}"
                         f"{fmt_num(r['induced'], sign=True):>12}{fmt_num(r['change'], sign=True):>12}  {r['via']}")
        if not self.edges:
            lines.append("(no supported links with an estimate: nothing propagates)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary

    def _repr_html_(self) -> str:
        df = self.to_frame()
        for col in ("direct", "induced", "change"):
            df[col] = [fmt_num(x, sign=True) for x in df[col]]
        for col in ("level_before", "level_after"):
            df[col] = [fmt_num(x) for x in df[col]]
        body = df.to_html(index=False, na_rep=MISSING)
        return f"<p><i>{escape(self.label)}</i></p>{body}"


def what_if(
    evidence: EvidenceSource,
    changes: Mapping[str, float],
    *,
    levels: Mapping[str, float] | None = None,
    verdicts: Sequence[str] = ("supported",),
) -> WhatIfResult:
    """Propagate KPI changes through the long-run effects of supported links.

    Parameters
    ----------
    evidence : Evidence, dict or path
        From :func:`bsc_toolkit.evidence.validate` (or an evidence JSON file).
    changes : mapping
        KPI id -> change in the KPI's own units (e.g. ``{"training_hours": 2}``).
    levels : mapping, optional
        KPI id -> current level, to show levels before and after.
    verdicts : sequence of str
        Which links carry effects (default only ``supported``).

    Returns
    -------
    WhatIfResult

    Raises
    ------
    DataError
        When a change names a KPI that is on no link of the evidence.
    EstimationError
        When the carrying links form a loop (effects would feed back without end).

    Examples
    --------
    >>> r = what_if("tests/data/evidence_retail_sample.json", {"training_hours": 1.0})  # doctest: +SKIP
    >>> r.change("on_shelf_availability")  # doctest: +SKIP
    """
    from ..evidence import load_evidence

    ev = load_evidence(evidence)
    edges: list[tuple[str, str, float]] = []
    names: dict[tuple[str, str], str] = {}
    kpis: set[str] = set()
    for lk in ev.links:
        kpis.update((lk.from_kpi, lk.to_kpi))
        w = _weight(lk)
        if lk.verdict in verdicts and w is not None:
            edges.append((lk.from_kpi, lk.to_kpi, w))
            names[(lk.from_kpi, lk.to_kpi)] = f"{lk.from_}->{lk.to}"
    unknown = sorted(set(changes) - kpis)
    if unknown:
        raise DataError(f"what-if changes name KPI(s) on no link of the evidence: {', '.join(unknown)}; "
                        f"KPIs on links: {', '.join(sorted(kpis))}")
    order = _topological(kpis, edges)
    total = {k: float(changes.get(k, 0.0)) for k in kpis}
    via: dict[str, list[str]] = {k: [] for k in kpis}
    for node in order:
        for a, b, w in edges:
            if a == node and total[a] != 0.0:
                total[b] += w * total[a]
                via[b].append(names[(a, b)])
    rows = []
    for k in order:
        direct = float(changes.get(k, 0.0))
        if total[k] == 0.0 and direct == 0.0:
            continue
        row: dict[str, Any] = {"kpi": k, "direct": direct, "induced": total[k] - direct,
                               "change": total[k], "via": ", ".join(via[k])}
        if levels and k in levels and levels[k] is not None:
            row["level_before"] = float(levels[k])
            row["level_after"] = float(levels[k]) + total[k]
        rows.append(row)
    return WhatIfResult({k: float(v) for k, v in changes.items()}, tuple(rows), tuple(edges))


def _topological(nodes: set[str], edges: list[tuple[str, str, float]]) -> list[str]:
    indeg = dict.fromkeys(nodes, 0)
    for _, b, _w in edges:
        indeg[b] += 1
    ready = sorted(n for n, d in indeg.items() if d == 0)
    out: list[str] = []
    while ready:
        n = ready.pop(0)
        out.append(n)
        for a, b, _w in edges:
            if a == n:
                indeg[b] -= 1
                if indeg[b] == 0:
                    ready.append(b)
                    ready.sort()
    if len(out) != len(nodes):
        loop = sorted(n for n in nodes if n not in out)
        raise EstimationError(f"the supported links form a loop through {', '.join(loop)}; "
                              "a what-if on long-run effects needs links without feedback")
    return out


def what_if_sliders(
    evidence: EvidenceSource,
    history: KPIHistory | None = None,
    *,
    drivers: Sequence[str] | None = None,
) -> Any:
    """Sliders for driver KPIs -> knock-on changes along supported links (clearly labelled).

    Parameters
    ----------
    evidence : Evidence, dict or path
    history : KPIHistory, optional
        Used for slider ranges (+-2 standard deviations) and current levels (the mean
        of the last period).
    drivers : list of str, optional
        KPIs to get sliders; default every KPI that starts a supported link.

    Returns
    -------
    ipywidgets.VBox
        ``.sliders`` maps KPI id -> slider, ``.result`` is the HTML widget.
    """
    from ..evidence import load_evidence
    from ._deps import require_ipywidgets
    from ._snapshot import control_settings, snapshot_box

    W = require_ipywidgets()
    ev = load_evidence(evidence)
    if drivers is None:
        drivers = sorted({lk.from_kpi for lk in ev.links if lk.verdict == "supported"
                          and _weight(lk) is not None})
    levels: dict[str, float] = {}
    sliders: dict[str, Any] = {}
    for k in drivers:
        span = 10.0
        if history is not None and k in history.data.columns:
            import numpy as np

            col = history.data[k].to_numpy(dtype=float)
            sd = float(np.nanstd(col))
            span = 2 * sd if sd > 0 else span
            last = history.data[k].groupby(level=1).mean().iloc[-1]
            levels[k] = float(last)
        step = float(f"{span / 50:.2g}") or 0.01
        sliders[k] = W.FloatSlider(value=0.0, min=-span, max=span, step=step, description=k,
                                   continuous_update=False, readout_format=".3g",
                                   style={"description_width": "12em"}, layout=W.Layout(width="34em"))
    if history is not None:
        import numpy as np

        for name in history.data.columns:
            if name not in levels:
                levels[str(name)] = float(np.nanmean(history.data[name].groupby(level=1).mean().iloc[-1]))
    result = W.HTML()
    result.add_class("bsc-whatif-result")

    def update(_: Any = None) -> None:
        ch = {k: s.value for k, s in sliders.items() if s.value != 0}
        result.value = what_if(ev, ch, levels=levels or None)._repr_html_()

    for s in sliders.values():
        s.observe(update, names="value")
    update()
    box = snapshot_box("VBox", [W.HTML(f"<b>{escape(LABEL)}</b>"), *sliders.values(), result],
                       name="what_if_sliders", title="What-if on long-run effects",
                       controls=lambda: control_settings([s for s in sliders.values() if s.value != 0])
                       or "no change set", result=result)
    box.sliders = sliders
    box.result = result
    return box

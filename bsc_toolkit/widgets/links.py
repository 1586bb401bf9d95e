"""Explore one cause-and-effect link: lagged scatter, lag profile and the verdict.

:func:`link_view` is the pure part: for a link of an :class:`~bsc_toolkit.evidence.Evidence`
and the KPI history it was computed from, it returns the verdict, the points of a
lagged scatter (driver ``lag`` periods earlier against the outcome, both demeaned
within each unit, which is the variation a fixed-effects model uses) and a *lag
profile*: the driver's effect estimated with one lag at a time (0..max lag) with the
same settings as the evidence run. :func:`link_explorer` puts a dropdown of links in
front of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from .._format import fmt_ci, fmt_num, p_phrase
from ..errors import DataError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from .._typing import EvidenceSource
    from ..evidence import Evidence, LinkResult
    from ..history import KPIHistory

    #: a link of the evidence: its position, ``"FROM -> TO"`` (ids or KPI ids) or ``(from, to)``
    LinkKey = int | str | tuple[str, str]

__all__ = ["LinkView", "link_explorer", "link_view", "link_names"]

def _colour(verdict: str) -> str:
    """The verdict's colour on the strategy map, so a verdict looks the same in both."""
    from ..strategy_map import EDGE_STYLES

    style = EDGE_STYLES.get(verdict)
    return style.colour if style else "#333333"


def link_names(evidence: EvidenceSource) -> list[str]:
    """``"FROM -> TO"`` for every link of the evidence, in file order.

    Examples
    --------
    >>> link_names("tests/data/evidence_retail_sample.json")[0]  # doctest: +SKIP
    'L1 -> P1'
    """
    from ..evidence import load_evidence

    return [f"{lk.from_} -> {lk.to}" for lk in load_evidence(evidence).links]


def _pick(ev: Evidence, link: LinkKey) -> LinkResult:
    names = [f"{lk.from_} -> {lk.to}" for lk in ev.links]
    if isinstance(link, int) and not isinstance(link, bool):
        if 0 <= link < len(ev.links):
            return ev.links[link]
    elif isinstance(link, (str, tuple)):
        key = link if isinstance(link, str) else " -> ".join(map(str, link))
        key = key.replace("->", " -> ").replace("  ", " ").strip()
        key = " ".join(key.split())
        for lk, n in zip(ev.links, names, strict=True):
            if n == key or f"{lk.from_kpi} -> {lk.to_kpi}" == key:
                return lk
    raise DataError(f"no link {link!r} in the evidence for '{ev.scorecard}'; links: {', '.join(names)}")


@dataclass(frozen=True)
class LinkView:
    """What the link explorer shows for one link.

    Attributes
    ----------
    link : LinkResult
    lag : int
        Driver lag of the scatter (the link's first tested lag, else 1).
    scatter : DataFrame
        ``unit, period, x, y``: driver at ``t - lag`` and outcome at ``t``, demeaned per unit.
    lag_profile : DataFrame
        ``lag, estimate, ci_low, ci_high, p_value, n_obs``: one model per single lag.
    """

    link: LinkResult
    lag: int
    scatter: pd.DataFrame
    lag_profile: pd.DataFrame

    @property
    def verdict(self) -> str:
        return self.link.verdict

    @property
    def summary(self) -> str:
        lk = self.link
        lines = [f"{lk.from_} -> {lk.to} ({lk.from_kpi} -> {lk.to_kpi}), expected {lk.expected_sign}",
                 f"verdict: {lk.verdict} - {lk.reason}",
                 "lag profile (one model per lag, same settings, not FDR-corrected):"]
        for r in self.lag_profile.to_dict("records"):
            if r["estimate"] != r["estimate"]:  # NaN
                lines.append(f"  lag {r['lag']}: no estimate")
            else:
                lines.append(f"  lag {r['lag']}: {fmt_num(r['estimate'], sign=True)} "
                             f"{fmt_ci(r['ci_low'], r['ci_high'])} {p_phrase(r['p_value'], 'p')}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary

    def to_frame(self) -> pd.DataFrame:
        return self.lag_profile.copy()

    def figure(self) -> Figure:
        """A matplotlib figure: lagged scatter (left) and lag profile (right)."""
        from ._deps import new_figure

        lk = self.link
        fig, (a1, a2) = new_figure(2)
        colour = _colour(lk.verdict)
        s = self.scatter
        a1.scatter(s["x"], s["y"], s=9, alpha=0.5, color=colour, edgecolors="none")
        if len(s) > 2:
            import numpy as np

            b = np.polyfit(s["x"], s["y"], 1)
            xs = np.linspace(s["x"].min(), s["x"].max(), 2)
            a1.plot(xs, b[0] * xs + b[1], color="#000000", lw=1)
        a1.set_xlabel(f"{lk.from_kpi} (t-{self.lag}), within unit")
        a1.set_ylabel(f"{lk.to_kpi} (t), within unit")
        a1.set_title(f"{lk.from_} -> {lk.to}: {lk.verdict}", fontsize=10, color=colour)
        p = self.lag_profile.dropna(subset=["estimate"])
        a2.axhline(0, color="#999999", lw=0.8)
        if len(p):
            a2.errorbar(p["lag"], p["estimate"], yerr=[p["estimate"] - p["ci_low"], p["ci_high"] - p["estimate"]],
                        fmt="o", color=colour, capsize=3)
        a2.set_xticks(list(self.lag_profile["lag"]))
        a2.set_xlabel("driver lag (periods)")
        a2.set_ylabel("effect per unit of driver")
        a2.set_title("lag profile (one lag per model)", fontsize=10)
        fig.tight_layout()
        return fig

    def _repr_html_(self) -> str:
        from ._deps import figure_png, png_html

        lk = self.link
        colour = _colour(lk.verdict)
        head = (f"<p><b>{escape(lk.from_)} &rarr; {escape(lk.to)}</b> "
                f"({escape(lk.from_kpi)} &rarr; {escape(lk.to_kpi)}), expected {escape(lk.expected_sign)}<br>"
                f"verdict: <b class='bsc-verdict' style='color:{colour}'>{escape(lk.verdict)}</b> - "
                f"{escape(lk.reason)}</p>")
        return head + png_html(figure_png(self.figure()), f"lagged scatter and lag profile of {lk.from_} -> {lk.to}")


def _within(a: Any) -> Any:
    import numpy as np

    with np.errstate(invalid="ignore"):
        return a - np.nanmean(a, axis=1, keepdims=True)


def link_view(evidence: EvidenceSource, history: KPIHistory, link: LinkKey = 0, *,
              max_lag: int | None = None) -> LinkView:
    """Verdict, lagged scatter and lag profile of one link (the link explorer's pure core).

    Parameters
    ----------
    evidence : Evidence, dict or path
    history : KPIHistory
        The data the evidence was computed from.
    link : int, str or tuple
        Position in ``evidence.links``, ``"L1 -> P1"`` (ids or KPI ids) or ``("L1", "P1")``.
    max_lag : int, optional
        Largest lag of the profile; default the run's ``max_lag`` (at least the link's lags).

    Returns
    -------
    LinkView

    Raises
    ------
    DataError
        When the link is not in the evidence or its KPIs are not in the history.

    Examples
    --------
    >>> from bsc_toolkit.history import simulate_history
    >>> from bsc_toolkit.evidence import validate
    >>> from bsc_toolkit.scorecard import load_example
    >>> sim = simulate_history("retail", n_units=8, n_periods=10, seed=3)
    >>> ev = validate(load_example("retail"), sim.history)  # doctest: +SKIP
    >>> link_view(ev, sim.history, "L1 -> P1").verdict  # doctest: +SKIP
    'supported'
    """
    import numpy as np
    import pandas as pd

    from ..evidence import PanelArrays, estimate_link, load_evidence

    ev = load_evidence(evidence)
    lk = _pick(ev, link)
    cols = set(map(str, history.data.columns))
    missing = [c for c in (lk.from_kpi, lk.to_kpi) if c not in cols]
    if missing:
        raise DataError(f"link {lk.from_} -> {lk.to}: KPI column(s) {', '.join(missing)} not in the history "
                        f"({getattr(history, 'source', '<data>')}); columns: {', '.join(sorted(cols))}")
    pa = PanelArrays.from_history(history)
    lag = int(lk.lags[0]) if lk.lags else 1
    x, y = pa.col(lk.from_kpi), pa.col(lk.to_kpi)
    T = pa.n_periods
    if lag >= T:
        raise DataError(f"link {lk.from_} -> {lk.to}: lag {lag} needs more than {T} periods")
    xl = np.full_like(x, np.nan)
    xl[:, lag:] = x[:, : T - lag]
    ok = ~(np.isnan(xl) | np.isnan(y))
    xw = _within(np.where(ok, xl, np.nan))
    yw = _within(np.where(ok, y, np.nan))
    units = np.repeat(np.array(pa.units, dtype=object), T).reshape(len(pa.units), T)
    periods = np.tile(np.arange(T), (len(pa.units), 1))
    scatter = pd.DataFrame({"unit": units[ok], "period": periods[ok], "x": xw[ok], "y": yw[ok]})

    s = ev.settings
    top = max([int(s.get("max_lag", 2) or 0), *[int(v) for v in lk.lags]]) if max_lag is None else int(max_lag)
    transform = str(lk.method.get("transform"))
    if transform not in ("none", "detrend", "diff"):
        transform = str(s.get("transform") or "auto")
    rows = []
    for L in range(0, top + 1):
        r = estimate_link(pa, lk.to_kpi, lk.from_kpi, from_=lk.from_, to=lk.to, expected_sign=lk.expected_sign,
                          lags=[L], own_lags=int(s.get("own_lags", 1)), controls=tuple(s.get("controls", ())),
                          effects=s.get("effects", "auto"), cov=s.get("covariance", s.get("cov", "auto")),
                          transform=transform, alpha=float(s.get("alpha", 0.05)))
        t = r.terms[0] if r.terms else None
        rows.append({"lag": L, "estimate": np.nan if t is None else t.estimate,
                     "ci_low": np.nan if t is None else t.ci_low, "ci_high": np.nan if t is None else t.ci_high,
                     "p_value": np.nan if t is None else t.p_value, "n_obs": r.n_obs})
    return LinkView(lk, lag, scatter, pd.DataFrame(rows))


def link_explorer(evidence: EvidenceSource, history: KPIHistory, *, max_lag: int | None = None) -> Any:
    """A dropdown of the evidence's links -> lagged scatter, lag profile and verdict.

    Returns
    -------
    ipywidgets.VBox
        ``.dropdown`` (the link chooser) and ``.result`` (an HTML widget with the verdict
        and the figure); changing the dropdown recomputes the view. Its output also holds a
        static snapshot of the current link (``.snapshot_html()``), which HTML exports show.

    Examples
    --------
    >>> w = link_explorer(ev, sim.history)  # doctest: +SKIP
    >>> w.dropdown.value = "P1 -> C1"       # doctest: +SKIP
    """
    from ..evidence import load_evidence
    from ._deps import require_ipywidgets
    from ._snapshot import snapshot_box

    W = require_ipywidgets()
    ev = load_evidence(evidence)
    names = [f"{lk.from_} -> {lk.to}" for lk in ev.links]
    if not names:
        raise DataError(f"the evidence for '{ev.scorecard}' has no links to explore")
    dd = W.Dropdown(options=names, value=names[0], description="link")
    dd.add_class("bsc-link-choice")
    result = W.HTML()
    result.add_class("bsc-link-result")

    def update(_: Any = None) -> None:
        result.value = link_view(ev, history, dd.value, max_lag=max_lag)._repr_html_()

    dd.observe(update, names="value")
    update()
    box = snapshot_box("VBox", [dd, result], name="link_explorer", title="Link explorer", controls=[dd],
                       result=result)
    box.dropdown = dd
    box.result = result
    return box

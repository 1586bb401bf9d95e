"""Lever simulation widget: "if this KPI moves, what happens to the Financial KPIs, and when?"

:func:`lever_view` is the pure part. It calls
:func:`bsc_toolkit.evidence.simulate_lever`, which imposes a change on one KPI
(a permanent ``step`` or a one-period ``pulse``) and propagates it, period by
period, through the links whose verdict is ``supported`` -- each with its estimated
lag and own-lag coefficients, drawn from their sampling distribution. The view
keeps the KPIs that matter for the question: the lever, the Financial KPIs it
reaches, and the KPIs on the way between them (the chain); it gives their median
path with the band, a small table and the links on the way that do not carry the
change because they are not supported.

:func:`lever_sliders` puts a dropdown (the lever KPI), a slider (the change, in the
KPI's own units, range from the data's standard deviation), a step/pulse toggle and
a horizon slider in front of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

from .._format import MISSING, fmt_num, fmt_value
from ..errors import DataError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from .._typing import EvidenceSource, ScorecardSource
    from ..evidence import Evidence, LeverResult
    from ..history import KPIHistory
    from ..scorecard import Scorecard

__all__ = ["LeverView", "lever_choices", "lever_range", "lever_sliders", "lever_view"]

#: coefficient draws per update in the widget (fast; the static call can use more)
WIDGET_DRAWS = 300

_LEVEL = {"learning_growth": 0, "internal_process": 1, "customer": 2, "financial": 3}
_PERSPECTIVE_COLOUR = {"learning_growth": "#009E73", "internal_process": "#E69F00",
                       "customer": "#56B4E9", "financial": "#0072B2"}


def _mpl(text: str) -> str:
    """User text for matplotlib: ``$`` would start mathtext (and can fail to parse)."""
    return text.replace("$", r"\$")


def _load(evidence: EvidenceSource, scorecard: ScorecardSource) -> tuple[Evidence, Scorecard]:
    from ..evidence import load_evidence
    from ..scorecard import Scorecard, load_scorecard

    ev = load_evidence(evidence)
    sc = scorecard if isinstance(scorecard, Scorecard) else load_scorecard(scorecard)
    return ev, sc


def lever_choices(evidence: EvidenceSource, scorecard: ScorecardSource) -> list[str]:
    """KPIs that can act as levers: those with at least one supported outgoing link.

    Ordered from Learning & Growth to Financial (the usual place to pull a lever
    first), in scorecard order within a perspective.

    Parameters
    ----------
    evidence : Evidence, dict or path
    scorecard : Scorecard, path or example name

    Returns
    -------
    list of str
        KPI ids.

    Examples
    --------
    >>> lever_choices("tests/data/evidence_retail_sample.json", "retail")[:2]  # doctest: +SKIP
    ['training_hours', 'staff_turnover']
    """
    ev, sc = _load(evidence, scorecard)
    starts = {lk.from_kpi for lk in ev.links if lk.verdict == "supported" and lk.from_kpi != lk.to_kpi}
    out = [k.id for k in sc.kpis if k.id in starts]
    out.sort(key=lambda k: _LEVEL.get(sc.perspective_of(k).value, 9))  # stable: file order within
    return out


def _nice(x: float) -> float:
    """``x`` rounded to two significant digits (slider steps and defaults that read well)."""
    if not math.isfinite(x) or x == 0:
        return 0.0
    return float(f"{x:.2g}")


def lever_range(history: KPIHistory, kpi: str) -> dict[str, float]:
    """Slider range for a change in ``kpi``, in its own units, from the data's standard deviation.

    The default change is one standard deviation of the KPI (over all units and
    periods) rounded to two significant digits; the step is 1/20 of that default and the
    range three defaults either way (about +-3 standard deviations). So the default, the
    ends and every value the arrow keys or a mouse click reach lie on one grid of steps:
    keyboard and mouse land on the same values, and the default is one of them.

    Parameters
    ----------
    history : KPIHistory
    kpi : str
        A column of the history.

    Returns
    -------
    dict
        ``sd``, ``value`` (the default change), ``min``, ``max``, ``step``.

    Raises
    ------
    DataError
        When the KPI is not a column of the history.

    Examples
    --------
    >>> from bsc_toolkit.history import simulate_history
    >>> sim = simulate_history("retail", n_units=4, n_periods=8, seed=1)
    >>> r = lever_range(sim.history, "training_hours")
    >>> r["min"] == -r["max"] and r["value"] > 0
    True
    >>> round((r["value"] - r["min"]) / r["step"], 9).is_integer()  # the default is on the grid
    True
    """
    import numpy as np

    cols = [str(c) for c in history.data.columns]
    if kpi not in cols:
        raise DataError(f"KPI '{kpi}' is not a column of the KPI history "
                        f"({getattr(history, 'source', '<data>')}); columns: {', '.join(cols)}")
    col = history.data[kpi].to_numpy(dtype=float)
    sd = float(np.nanstd(col)) if np.isfinite(col).any() else float("nan")
    if not (math.isfinite(sd) and sd > 0):
        mean = float(np.nanmean(col)) if np.isfinite(col).any() else 0.0
        sd = abs(mean) * 0.1 if mean else 1.0
    value = _nice(sd)
    step = float(f"{value / 20:.6g}")
    top = float(f"{3 * value:.6g}")
    return {"sd": sd, "value": value, "min": -top, "max": top, "step": step}


def _chain_kpis(res: LeverResult) -> tuple[list[str], list[str]]:
    """(lever + KPIs on a supported path from the lever to a Financial KPI, other KPIs that move)."""
    moved = [k for k in res.paths if k != res.lever]
    fin = [k for k in moved if res.perspective.get(k) == "financial"]
    if not fin:
        return [res.lever, *moved], []
    edges = [(x["from_kpi"], x["to_kpi"]) for x in res.propagated]
    leads_to_fin = set(fin)
    grown = True
    while grown:
        grown = False
        for a, b in edges:
            if b in leads_to_fin and a not in leads_to_fin:
                leads_to_fin.add(a)
                grown = True
    shown = [res.lever] + [k for k in moved if k in leads_to_fin]
    other = [k for k in moved if k not in leads_to_fin]
    return shown, other


@dataclass(frozen=True)
class LeverView:
    """What the lever widget shows for one setting.

    Attributes
    ----------
    result : LeverResult
        The full simulation (every KPI the change reaches).
    shown : tuple of str
        The lever, the Financial KPIs it reaches and the KPIs on the way (in that
        order: lever first, then by perspective from Learning to Financial).
    also_moved : tuple of str
        KPIs that move but lead to no Financial KPI (listed, not plotted).
    table : DataFrame
        One row per shown KPI: ``kpi, perspective, unit, level_now, after_1, at_horizon,
        low, high`` (changes are deviations from the no-change path in KPI units;
        ``low``/``high`` bound the band at the horizon).
    units : dict
        KPI id -> unit text.
    """

    result: LeverResult
    shown: tuple[str, ...]
    also_moved: tuple[str, ...]
    table: pd.DataFrame
    units: dict[str, str]

    @property
    def lever(self) -> str:
        return self.result.lever

    @property
    def financial(self) -> list[str]:
        """Financial KPIs the change reaches."""
        return [k for k in self.shown if self.result.perspective.get(k) == "financial" and k != self.lever]

    @property
    def not_propagated(self) -> list[dict[str, Any]]:
        """Links on the way whose verdict is not ``supported`` (they carry nothing)."""
        return list(self.result.not_propagated)

    def to_frame(self) -> pd.DataFrame:
        """The small table (a copy)."""
        return self.table.copy()

    def path_frame(self) -> pd.DataFrame:
        """Median path and band per period for the shown KPIs (tidy: kpi, period, median, low, high)."""
        df = self.result.to_frame()
        return df[df["kpi"].isin(self.shown)].reset_index(drop=True)

    def _headline(self) -> str:
        r = self.result
        how = "permanently (step)" if r.kind == "step" else "for one period (pulse)"
        unit = self.units.get(r.lever, "")
        return (f"{r.lever} {fmt_value(r.change, unit, sign=True)} {how}; "
                f"{r.horizon} periods; median and {100 * r.band:g}% band of {r.draws:,} coefficient draws")

    @property
    def summary(self) -> str:
        r = self.result
        lines = [self._headline()]
        if not self.financial:
            lines.append("No Financial KPI is reached through supported links."
                         if len(r.paths) > 1 else
                         "No supported link leads away from this KPI: nothing downstream moves.")
        if len(self.table) > 1:
            lines.append(f"{'KPI':<28}{'now':>10}{'after 1':>11}{'after ' + str(r.horizon):>11}   band")
            for row in self.table.itertuples(index=False):
                if row.kpi == r.lever:
                    continue
                tag = " (F)" if row.perspective == "financial" else ""
                lines.append(f"{(str(row.kpi) + tag)[:27]:<28}{fmt_num(row.level_now):>10}"
                             f"{fmt_num(row.after_1, sign=True):>11}{fmt_num(row.at_horizon, sign=True):>11}"
                             f"   [{fmt_num(row.low, sign=True)}, {fmt_num(row.high, sign=True)}]")
        if self.also_moved:
            lines.append("Also moves (on no path to a Financial KPI): " + ", ".join(self.also_moved))
        if r.not_propagated:
            lines.append("Not propagated (links not supported): " + ", ".join(
                f"{x['from_kpi']} -> {x['to_kpi']} ({x['verdict']})" for x in r.not_propagated))
        else:
            lines.append("Not propagated: none (every link met on the way is supported)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary

    def figure(self) -> Figure:
        """A matplotlib figure: one small panel per shown KPI, median path and band."""
        import numpy as np
        from matplotlib.figure import Figure  # Agg canvas: no GUI, no pyplot state
        from matplotlib.ticker import MaxNLocator

        r = self.result
        kpis = list(self.shown)
        ncols = min(3, len(kpis))
        nrows = math.ceil(len(kpis) / ncols)
        fig = Figure(figsize=(3.4 * ncols, 2.3 * nrows + 0.6))
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
        h = np.arange(r.horizon + 1)
        for i, ax in enumerate(axes.flat):
            if i >= len(kpis):
                ax.set_visible(False)
                continue
            k = kpis[i]
            p = r.paths[k]
            colour = _PERSPECTIVE_COLOUR.get(r.perspective.get(k, ""), "#333333")
            ax.fill_between(h, p["low"], p["high"], color=colour, alpha=0.25, lw=0, step=None)
            ax.plot(h, p["median"], color=colour, lw=2, marker="o", ms=2.5)
            ax.axhline(0, color="#777777", lw=0.8)
            unit = self.units.get(k, "")
            ax.set_title(_mpl(f"{k}{' (lever)' if k == r.lever else ''}"), fontsize=10, loc="left")
            ax.set_ylabel(_mpl(f"change{f' ({unit})' if unit else ''}"), fontsize=9)
            ax.tick_params(labelsize=9, labelbottom=True)  # periods readable under every panel
            ax.yaxis.set_major_locator(MaxNLocator(4))  # few ticks: each costs drawing time
            ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
            if i // ncols == nrows - 1 or i + ncols >= len(kpis):
                ax.set_xlabel("periods after the change", fontsize=9)
        fig.suptitle(_mpl(self._headline()), fontsize=10, x=0.01, ha="left")
        # fixed margins instead of tight_layout: a third of the drawing time, which the widget feels
        fig.subplots_adjust(left=0.1 if ncols > 1 else 0.18, right=0.98, bottom=0.6 / fig.get_figheight(),
                            top=1 - 0.7 / fig.get_figheight(), wspace=0.42, hspace=0.62)
        return fig

    def png(self, dpi: int = 96) -> bytes:
        """The figure as PNG bytes (for the widget's HTML and for files)."""
        import io

        buf = io.BytesIO()
        self.figure().savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()

    def table_html(self) -> str:
        """The table, the not-propagated links and the notes as HTML (text escaped)."""
        r = self.result
        fmt = self.table.copy()
        fmt["level_now"] = [fmt_num(x) for x in fmt["level_now"]]
        for col in ("after_1", "at_horizon", "low", "high"):  # changes: always with their sign
            fmt[col] = [fmt_num(x, sign=True) for x in fmt[col]]
        body = fmt.to_html(index=False, na_rep=MISSING, escape=True, classes="bsc-lever-table")
        parts = [f"<p><b>{escape(self._headline())}</b></p>", body]
        if not self.financial:
            parts.append("<p>No Financial KPI is reached through supported links.</p>")
        if self.also_moved:
            parts.append("<p>Also moves (on no path to a Financial KPI): "
                         + escape(", ".join(self.also_moved)) + "</p>")
        if r.not_propagated:
            items = "".join(f"<li>{escape(x['from'])} &rarr; {escape(x['to'])} ({escape(x['from_kpi'])} "
                            f"&rarr; {escape(x['to_kpi'])}): <i>{escape(x['verdict'])}</i></li>"
                            for x in r.not_propagated)
            parts.append(f"<p>Not propagated (links not supported):</p><ul class='bsc-lever-notprop'>{items}</ul>")
        else:
            parts.append("<p>Not propagated: none (every link met on the way is supported).</p>")
        parts.append("<p><small>" + "<br>".join(escape(n) for n in r.notes) + "</small></p>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        from ._deps import png_html

        return png_html(self.png(), f"lever simulation of {self.lever}") + self.table_html()


def lever_view(
    evidence: EvidenceSource,
    history: KPIHistory,
    scorecard: ScorecardSource,
    kpi: str | None = None,
    change: float | None = None,
    *,
    kind: str = "step",
    horizon: int = 8,
    draws: int = WIDGET_DRAWS,
    seed: int = 0,
    band: float = 0.9,
) -> LeverView:
    """Simulate a change in one KPI and keep what the lever widget shows (its pure core).

    Parameters
    ----------
    evidence : Evidence, dict or path
        From :func:`bsc_toolkit.evidence.validate`.
    history : KPIHistory
        The data the evidence was computed from (the coefficients are re-estimated from it).
    scorecard : Scorecard, path or example name
    kpi : str, optional
        The lever (a KPI id or an objective id); default the first of :func:`lever_choices`.
    change : float, optional
        Size of the move in the KPI's units; default one standard deviation (:func:`lever_range`).
    kind : {"step", "pulse"}
        A permanent change, or one that lasts a single period.
    horizon : int
        Periods to simulate after the change.
    draws : int
        Coefficient draws for the band (300 keeps the widget fast).
    seed : int
        Seed of the draws (the same settings give the same picture).
    band : float
        Coverage of the band.

    Returns
    -------
    LeverView

    Raises
    ------
    DataError
        When no KPI has a supported outgoing link (and ``kpi`` is not given), or from
        :func:`~bsc_toolkit.evidence.simulate_lever` (unknown KPI, bad settings, a
        history that does not reproduce the evidence).

    Examples
    --------
    >>> from bsc_toolkit.evidence import validate
    >>> from bsc_toolkit.history import simulate_history
    >>> sim = simulate_history("retail", n_units=10, n_periods=14, seed=3)
    >>> ev = validate("retail", sim.history, discovery=False, chains=False)  # doctest: +SKIP
    >>> v = lever_view(ev, sim.history, "retail", "training_hours", 2.0)  # doctest: +SKIP
    >>> v.financial  # doctest: +SKIP
    ['lfl_sales_growth', 'gross_margin']
    """
    from ..evidence import simulate_lever

    ev, sc = _load(evidence, scorecard)
    if kpi is None:
        choices = lever_choices(ev, sc)
        if not choices:
            counts = ", ".join(f"{k} {v}" for k, v in ev.counts().items())
            raise DataError(f"no KPI of '{sc.name}' has a supported outgoing link, so no lever moves "
                            f"anything (verdicts: {counts}); pass `kpi` to simulate one anyway")
        kpi = choices[0]
    if change is None:
        try:
            lever_id = sc.kpi_for(kpi).id
        except KeyError:
            lever_id = kpi  # simulate_lever names the problem
        change = lever_range(history, lever_id)["value"] if lever_id in map(str, history.data.columns) else 1.0
    res = simulate_lever(ev, history, sc, kpi, change, horizon=horizon, draws=draws, seed=seed, kind=kind,
                         band=band)
    shown, other = _chain_kpis(res)
    shown.sort(key=lambda k: (k != res.lever, _LEVEL.get(res.perspective.get(k, ""), 9)))
    units = {k.id: (k.unit or "") for k in sc.kpis}
    import pandas as pd

    H = res.horizon
    rows = []
    for k in shown:
        p = res.paths[k]
        now = res.baseline.get(k)
        rows.append({"kpi": k, "perspective": res.perspective.get(k), "unit": units.get(k, ""),
                     "level_now": float(now) if now is not None else math.nan,
                     "after_1": float(p["median"][min(1, H)]), "at_horizon": float(p["median"][H]),
                     "low": float(p["low"][H]), "high": float(p["high"][H])})
    table = pd.DataFrame(rows, columns=["kpi", "perspective", "unit", "level_now", "after_1", "at_horizon",
                                        "low", "high"])
    return LeverView(res, tuple(shown), tuple(other), table, units)


def lever_sliders(
    evidence: EvidenceSource,
    history: KPIHistory,
    scorecard: ScorecardSource,
    *,
    horizon: int = 8,
    max_horizon: int = 24,
    draws: int = WIDGET_DRAWS,
    seed: int = 0,
) -> Any:
    """A lever dropdown, change slider, step/pulse toggle and horizon slider -> paths and table.

    Parameters
    ----------
    evidence : Evidence, dict or path
    history : KPIHistory
        The data the evidence was computed from.
    scorecard : Scorecard, path or example name
    horizon : int
        Initial horizon (periods).
    max_horizon : int
        Largest horizon on the slider.
    draws : int
        Coefficient draws per update.
    seed : int
        Seed of the draws.

    Returns
    -------
    ipywidgets.VBox
        ``.dropdown`` (lever KPI), ``.change`` (FloatSlider, KPI units), ``.kind``
        (ToggleButtons step/pulse), ``.horizon`` (IntSlider), ``.result`` (HTML with
        the figure, table and the links not propagated) and ``.view`` (a callable
        returning the current :class:`LeverView`). Its output also holds a static
        snapshot of the current result (``.snapshot_html()``), which HTML exports show.

    Raises
    ------
    DataError
        When no KPI has a supported outgoing link.

    Examples
    --------
    >>> w = lever_sliders(ev, sim.history, "retail")  # doctest: +SKIP
    >>> w.change.value = 2 * w.change.value          # doctest: +SKIP
    """
    from ._deps import require_ipywidgets
    from ._snapshot import snapshot_box

    W = require_ipywidgets()
    ev, sc = _load(evidence, scorecard)
    choices = lever_choices(ev, sc)
    if not choices:
        counts = ", ".join(f"{k} {v}" for k, v in ev.counts().items())
        raise DataError(f"no KPI of '{sc.name}' has a supported outgoing link, so there is no lever to "
                        f"move (verdicts: {counts})")
    if isinstance(max_horizon, bool) or not isinstance(max_horizon, int) or max_horizon < 1:
        raise DataError(f"`max_horizon` must be a whole number >= 1, got {max_horizon!r}")
    units = {k.id: (k.unit or "") for k in sc.kpis}
    style = {"description_width": "8em"}
    dd = W.Dropdown(options=choices, value=choices[0], description="lever KPI", style=style,
                    layout=W.Layout(width="30em"))
    rng0 = lever_range(history, choices[0])
    change = W.FloatSlider(value=rng0["value"], min=rng0["min"], max=rng0["max"], step=rng0["step"],
                           description="change", continuous_update=False, readout_format=".3g", style=style,
                           layout=W.Layout(width="34em"))
    unit_label = W.HTML(escape(units.get(choices[0], "")))
    kind = W.ToggleButtons(options=["step", "pulse"], value="step", description="kind", style=style,
                           tooltips=["the lever stays changed from period 0 on", "the change lasts one period"])
    hor = W.IntSlider(value=min(max(int(horizon), 1), max_horizon), min=1, max=max_horizon, step=1,
                      description="horizon", continuous_update=False, style=style, layout=W.Layout(width="34em"))
    result = W.HTML()
    result.add_class("bsc-lever-result")
    for w, name in ((dd, "kpi"), (change, "change"), (kind, "kind"), (hor, "horizon")):
        w.add_class(f"bsc-lever-{name}")  # stable hooks for styling and browser tests
    state = {"busy": False}

    def view() -> LeverView:
        return lever_view(ev, history, sc, dd.value, change.value, kind=kind.value, horizon=hor.value,
                          draws=draws, seed=seed)

    def update(_: Any = None) -> None:
        if state["busy"]:
            return
        try:
            result.value = view()._repr_html_()
        except DataError as exc:  # shown in the widget, not raised into the event loop
            result.value = f"<p class='bsc-lever-error'>{escape(str(exc))}</p>"

    def new_lever(_: Any = None) -> None:
        r = lever_range(history, dd.value)
        state["busy"] = True
        try:
            # one message to the browser with range and value together (hold_sync): sent one by one,
            # the slider clamps the old value into the new range and sends that back, so the lever
            # would start at the new maximum instead of its 1-SD default; cross-validation of
            # min/max/value happens once, at the end (hold_trait_notifications)
            with change.hold_sync(), change.hold_trait_notifications():
                change.min, change.max, change.step, change.value = r["min"], r["max"], r["step"], r["value"]
            unit_label.value = escape(units.get(dd.value, ""))
        finally:
            state["busy"] = False
        update()

    dd.observe(new_lever, names="value")
    for w in (change, kind, hor):
        w.observe(update, names="value")
    update()
    head = W.HTML("<b>Lever simulation</b>: the change is propagated period by period through the "
                  "<i>supported</i> links only (estimated lags and own lags, coefficient uncertainty "
                  "drawn from the models); paths are changes against no change, in each KPI's units.")
    box = snapshot_box("VBox", [head, dd, W.HBox([change, unit_label]), kind, hor, result],
                       name="lever_sliders", title="Lever simulation", result=result,
                       controls=lambda: (f"lever KPI {dd.value}, change "
                                         f"{fmt_value(change.value, units.get(dd.value, ''), sign=True)}, "
                                         f"{kind.value}, horizon {hor.value}"))
    box.dropdown = dd
    box.change = change
    box.kind = kind
    box.horizon = hor
    box.result = result
    box.view = view
    return box

"""Report charts (matplotlib, Agg backend), one consistent style.

Each chart function draws a figure and saves it twice with :func:`save_figure`:
SVG (sharp in HTML) and PNG (PDF and DOCX). All text drawn comes from data and
is drawn as text, never interpreted (matplotlib's mathtext is switched off for
user strings by escaping ``$``).

* :func:`status_dashboard` — every KPI's 0–10 score by perspective, coloured by status
* :func:`kpi_trends` — KPI history (mean over units, with the unit range) against targets
* :func:`coefficient_plot` — every link's standardized effect with its CI, coloured by verdict,
  labelled with the cumulative effect in KPI units
* :func:`lag_profiles` — per-lag estimates with CIs for every link
* :func:`specification_curves` — each link's effect across a grid of specifications
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._format import as_float
from .._io import atomic_path
from .style import STATUS_COLOURS, VERDICT_LABELS, apply_matplotlib_style, verdict_colours

if TYPE_CHECKING:
    from ..history import KPIHistory
    from ..scorecard import Scorecard

__all__ = ["coefficient_plot", "kpi_trends", "lag_profiles", "save_figure", "singular_unit", "specification_curves",
           "status_dashboard"]


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _text(s: object, width: int = 48) -> str:
    """User text for a chart label: one line, shortened, ``$`` escaped (no mathtext)."""
    t = " ".join(str(s).split())
    if len(t) > width:
        t = t[: width - 1] + "…"
    return t.replace("$", r"\$")


def save_figure(fig: Any, out_dir: str | Path, name: str) -> dict[str, Path]:
    """Save ``fig`` as ``out_dir/name.svg`` and ``out_dir/name.png`` (atomically) and close it.

    Examples
    --------
    >>> import tempfile, matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig = plt.figure(); _ = fig.gca().plot([1, 2])
    >>> sorted(save_figure(fig, tempfile.mkdtemp(), "demo"))
    ['png', 'svg']
    """
    plt = _plt()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    try:
        for ext in ("svg", "png"):
            target = out / f"{name}.{ext}"
            with atomic_path(target) as tmp:
                fig.savefig(tmp, format=ext, metadata={"Date": None} if ext == "svg" else None)
            paths[ext] = target
    finally:
        plt.close(fig)
    return paths


# --------------------------------------------------------------------- dashboard
def status_dashboard(scorecard: Scorecard, out_dir: str | Path, *, actuals: Mapping[str, float | None] | None = None,
                     name: str = "status_dashboard") -> dict[str, Path]:
    """Perspective status dashboard: each KPI's 0–10 score as a bar coloured by its status.

    Parameters
    ----------
    scorecard : Scorecard
    out_dir : path
        Folder for ``name.svg`` and ``name.png``.
    actuals : mapping, optional
        KPI id -> actual value, overriding the scorecard's ``actual`` values.

    Examples
    --------
    >>> import tempfile
    >>> from bsc_toolkit.scorecard import load_example
    >>> paths = status_dashboard(load_example("retail"), tempfile.mkdtemp())
    >>> paths["svg"].suffix
    '.svg'
    """
    from ..scorecard import PERSPECTIVE_ORDER, score
    from ..scorecard.scoring import GREEN_SCORE, RED_SCORE

    plt = _plt()
    rep = score(scorecard, dict(actuals) if actuals else None)
    rows: list[tuple[str, Any]] = []  # (perspective label, KPIStatus) in display order
    for p in reversed(PERSPECTIVE_ORDER):
        for o in scorecard.objectives_in(p):
            for k in o.kpis:
                rows.append((p.label, rep.kpi(k.id)))
    n = max(len(rows), 1)
    with plt.rc_context(apply_matplotlib_style()):
        fig, ax = plt.subplots(figsize=(7.2, 0.26 * n + 1.3))
        ys = list(range(n))[::-1]
        for y, (_, st) in zip(ys, rows, strict=False):
            val = st.score
            if val is None:
                ax.barh(y, 10, color="none", edgecolor=STATUS_COLOURS["no_data"], hatch="///", height=0.62)
                txt = "no data" if st.actual is None else "met" if st.status == "green" else "not met"
                ax.text(0.15, y, txt, va="center", fontsize=7, color="#555")
            else:
                ax.barh(y, max(val, 0.08), color=STATUS_COLOURS[st.status], height=0.62)
                ax.text(min(val, 10) + 0.12, y, f"{val:.1f}", va="center", fontsize=7, color="#333")
        ax.set_yticks(ys, [_text(st.name, 40) for _, st in rows])
        ax.axvline(RED_SCORE, color="#999", lw=0.8, ls="--")
        ax.axvline(GREEN_SCORE, color="#999", lw=0.8, ls="--")
        ax.set_xlim(0, 10.9)
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_xlabel("score (0–10): red < 3.33 ≤ amber < 6.67 ≤ green")
        ax.grid(axis="y", visible=False)
        # perspective separators and labels
        prev = None
        for y, (plabel, _) in zip(ys, rows, strict=False):
            if plabel != prev:
                if prev is not None:
                    ax.axhline(y + 0.5, color="#555", lw=0.8)
                ax.text(10.85, y + 0.32, plabel, ha="right", va="top", fontsize=7.5, fontweight="bold",
                        color="#0072B2")
                prev = plabel
        overall = "–" if rep.overall.score is None else f"{rep.overall.score:.2f}"
        ax.set_title(f"KPI status by perspective (overall score {overall}, {rep.overall.status.replace('_', ' ')})",
                     loc="left")
        fig.tight_layout()
        return save_figure(fig, out_dir, name)


# --------------------------------------------------------------------- trends
def kpi_trends(scorecard: Scorecard, history: KPIHistory, out_dir: str | Path, *, kpis: Sequence[str] | None = None,
               max_panels: int = 16, name: str = "kpi_trends") -> dict[str, Path]:
    """KPI trend lines against targets: one small panel per KPI.

    For a panel of units the line is the mean over units and the band the
    10–90% range across units. The target (dashed) and baseline (dotted) are
    drawn when the scorecard has them.

    Examples
    --------
    >>> import tempfile, numpy as np, pandas as pd
    >>> from bsc_toolkit.scorecard import load_example
    >>> from bsc_toolkit.history.frame import KPIHistory
    >>> idx = pd.MultiIndex.from_product([["a"], range(8)], names=["unit", "t"])
    >>> h = KPIHistory(pd.DataFrame({"nps": np.arange(8.0)}, index=idx), pd.RangeIndex(8))
    >>> kpi_trends(load_example("retail"), h, tempfile.mkdtemp())["png"].suffix
    '.png'
    """
    import numpy as np

    plt = _plt()
    cols = [k.id for k in scorecard.kpis if k.id in history.data.columns]
    if kpis is not None:
        cols = [c for c in cols if c in set(kpis)]
    cols = cols[:max_panels]
    if not cols:
        from ..errors import DataError

        raise DataError(
            "none of the scorecard's KPIs is a column of the history "
            f"(KPIs: {', '.join(k.id for k in scorecard.kpis)[:200]})", file=str(history.source)
        )
    import textwrap

    from matplotlib.ticker import StrMethodFormatter

    # at most about nine inches tall, so the chart fits on one A4 page
    ncol = 4 if len(cols) > 9 else 3 if len(cols) > 4 else min(2, len(cols))
    nrow = math.ceil(len(cols) / ncol)
    try:
        labels = [str(p) for p in history.period_labels]
    except (AttributeError, TypeError, ValueError):
        labels = [str(p) for p in history.periods]
    x = np.arange(history.n_periods)
    with plt.rc_context(apply_matplotlib_style()):
        fig, axes = plt.subplots(nrow, ncol, figsize=(7.2, (1.7 if ncol == 4 else 2.0) * nrow + 0.6), squeeze=False,
                                 sharex=True)
        wrap = 21 if ncol == 4 else 30
        for ax, col in zip(axes.flat, cols, strict=False):
            k = scorecard.kpi(col)
            wide = history.data[col].unstack(level=0)  # t x unit
            wide = wide.reindex(range(history.n_periods))
            mean = wide.mean(axis=1)
            if history.n_units > 1:
                lo = wide.quantile(0.1, axis=1)
                hi = wide.quantile(0.9, axis=1)
                ax.fill_between(x, lo.to_numpy(float), hi.to_numpy(float), color="#0072B2", alpha=0.15, lw=0)
            ax.plot(x, mean.to_numpy(float), color="#0072B2", lw=1.4)
            if k.target is not None:
                ax.axhline(k.target, color="#009E73", lw=1, ls="--")
            if k.baseline is not None:
                ax.axhline(k.baseline, color="#999999", lw=0.8, ls=":")
            unit = f" ({_text(k.unit, 10)})" if k.unit else ""
            # titles wrap onto two lines at most, so neighbouring panels' titles never overlap
            title = textwrap.shorten(_text(k.name, 60) + unit, width=56, placeholder="…")
            ax.set_title("\n".join(textwrap.wrap(title, wrap)[:2]), fontsize=7.5, loc="left")
            ax.tick_params(labelsize=6.5)
            # KPI-scale ticks with thousands separators, never 8e+04 or an offset
            ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.10g}"))
        for ax in list(axes.flat)[len(cols):]:
            ax.set_visible(False)
        # at most three period labels per panel (first, middle, last), so labels never run together
        n_lab = len(labels)
        ticks = sorted({0, (n_lab - 1) // 2, n_lab - 1}) if n_lab else []
        for ax in axes.flat:
            ax.set_xticks([x[i] for i in ticks], [labels[i] for i in ticks])
            ax.tick_params(axis="x", labelbottom=True, labelsize=6)
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color="#0072B2", lw=1.4, label="mean over units" if history.n_units > 1 else "value"),
                   Line2D([], [], color="#009E73", lw=1, ls="--", label="target"),
                   Line2D([], [], color="#999999", lw=0.8, ls=":", label="baseline")]
        fig.legend(handles=handles, loc="lower center", ncol=3, bbox_to_anchor=(0.5, -0.01))
        fig.tight_layout(rect=(0, 0.04, 1, 1))
        return save_figure(fig, out_dir, name)


# --------------------------------------------------------------------- evidence
def _link_label(link: Mapping[str, Any]) -> str:
    return f"{link.get('from')} → {link.get('to')}"


_num = as_float  # a finite float, or None


def singular_unit(unit: str) -> str:
    """'minute' for 'minutes' (a unit after the number 1); symbols and short units stay.

    Examples
    --------
    >>> singular_unit("minutes"), singular_unit("EUR"), singular_unit("pp"), singular_unit("hours per week")
    ('minute', 'EUR', 'pp', 'hour per week')
    """
    words = unit.split(" ", 1)
    w = words[0]
    if len(w) > 3 and w.isalpha() and w.islower() and w.endswith("s") and not w.endswith("ss"):
        words[0] = w[:-1]
    return " ".join(words)


def _std_scale(link: Mapping[str, Any]) -> float | None:
    """Factor from KPI units to standardized units: standardized effect / cumulative effect (same transform)."""
    est = _num((link.get("long_run") or {}).get("estimate"))
    std = _num(link.get("standardized_effect"))
    if est is None or std is None or est == 0:
        return None
    return std / est


def _units_of(scorecard: Scorecard | None, link: Mapping[str, Any]) -> tuple[str, str]:
    out = []
    for key in ("from_kpi", "to_kpi"):
        unit = ""
        if scorecard is not None:
            try:
                unit = str(scorecard.kpi(str(link.get(key))).unit or "").strip()
            except (KeyError, AttributeError):
                unit = ""
        out.append("pp" if unit == "%" else unit)
    return out[0], out[1]


def coefficient_plot(evidence: Mapping[str, Any], out_dir: str | Path, *, scorecard: Scorecard | None = None,
                     name: str = "coefficients") -> dict[str, Path]:
    """Every link's effect on one standardized axis with its 95% CI, coloured by verdict, labelled in KPI units.

    Links are measured in very different units (hours, percentage points, euros): on a
    common "KPI units" axis an effect of ±200 flattens every other link to zero. The axis
    here is the standardized effect (outcome standard deviations per driver standard
    deviation); the CI is the cumulative effect's CI rescaled by the same factor (the
    standardized effect is the cumulative effect times sd(driver)/sd(outcome)). Beside
    each link its cumulative effect is written in KPI units. Links without an estimate
    say "no estimate".

    Examples
    --------
    >>> import tempfile
    >>> ev = {"links": [{"from": "A", "to": "B", "verdict": "supported", "standardized_effect": 0.4,
    ...        "long_run": {"estimate": 200.0, "ci_low": 100.0, "ci_high": 300.0}}]}
    >>> coefficient_plot(ev, tempfile.mkdtemp())["svg"].suffix
    '.svg'
    """
    from .._format import fmt_value

    plt = _plt()
    colours = verdict_colours()
    links = list(evidence.get("links") or [])
    n = max(len(links), 1)
    with plt.rc_context(apply_matplotlib_style()):
        fig, ax = plt.subplots(figsize=(7.2, 0.32 * n + 1.5))
        ys = list(range(n))[::-1]
        seen: set[str] = set()
        finite: list[float] = [0.0]
        labels: list[tuple[int, str]] = []
        for y, lk in zip(ys, links, strict=False):
            lr = lk.get("long_run") or {}
            scale = _std_scale(lk)
            verdict = str(lk.get("verdict", "insufficient_data"))
            col = colours.get(verdict, "#777777")
            lab = VERDICT_LABELS.get(verdict, verdict) if verdict not in seen else None
            seen.add(verdict)
            est_raw = _num(lr.get("estimate"))
            if scale is None or est_raw is None:
                ax.plot([], [], "s", color=col, label=lab)
                ax.text(0, y, "  no estimate" if est_raw is None else "  no standardized effect", va="center",
                        ha="left", fontsize=7, color="#777")
                continue
            est = est_raw * scale
            lo, hi = _num(lr.get("ci_low")), _num(lr.get("ci_high"))
            if lo is not None and hi is not None:
                a, b = sorted((lo * scale, hi * scale))
                ax.plot([a, b], [y, y], color=col, lw=2, solid_capstyle="butt")
                finite += [a, b]
            finite.append(est)
            ax.plot([est], [y], "o", color=col, ms=5, label=lab, markeredgecolor="white", markeredgewidth=0.6)
            fu, tu = _units_of(scorecard, lk)
            per = f" per 1 {singular_unit(fu)}" if fu else ""
            labels.append((y, _text(f"{fmt_value(est_raw, tu, sign=True)}{per}", 30)))
        ax.axvline(0, color="#333", lw=0.8)
        ax.set_yticks(ys, [_text(_link_label(lk), 40) for lk in links])
        ax.set_ylim(-0.7, n - 0.3)
        ax.grid(axis="y", visible=False)
        lo_all, hi_all = min(finite), max(finite)
        pad = 0.08 * (hi_all - lo_all or 1.0)
        ax.set_xlim(lo_all - pad, hi_all + pad)
        trans = ax.get_yaxis_transform()
        for y, text in labels:
            ax.text(1.01, y, text, transform=trans, va="center", ha="left", fontsize=6.8, color="#333")
        ax.set_xlabel("standardized effect (SD of outcome per SD of driver) with 95% CI")
        ax.set_title("Effect of each hypothesised link (right: cumulative effect in KPI units)", loc="left")
        fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=4, fontsize=7.5,
                   bbox_to_anchor=(0.5, 0.0))
        fig.tight_layout(rect=(0, 0.9 / (0.32 * n + 1.5), 0.8, 1))
        return save_figure(fig, out_dir, name)


def specification_curves(evidence: Mapping[str, Any], out_dir: str | Path, *, max_panels: int = 12,
                         name: str = "robustness") -> dict[str, Path]:
    """Specification curves, one small panel per link with a robustness grid.

    Each panel shows the link's effect with its 95% CI in every specification, sorted by
    effect and coloured by that specification's verdict; the reported (headline)
    specification is ringed. Effects are standardized when every specification has
    ``std_effect``, else in KPI units.

    Examples
    --------
    >>> import tempfile
    >>> ev = {"links": [{"from": "A", "to": "B", "verdict": "supported", "long_run": {"estimate": 0.4},
    ...        "robustness": {"n_specs": 2, "label": "robust", "specs": [
    ...        {"verdict": "supported", "effect": 0.4, "ci_low": 0.2, "ci_high": 0.6},
    ...        {"verdict": "not_supported", "effect": 0.1, "ci_low": -0.1, "ci_high": 0.3}]}}]}
    >>> specification_curves(ev, tempfile.mkdtemp())["png"].suffix
    '.png'
    """
    plt = _plt()
    colours = verdict_colours()
    links = [lk for lk in evidence.get("links") or [] if (lk.get("robustness") or {}).get("specs")][:max_panels]
    ncol = 2 if len(links) > 1 else 1
    nrow = max(math.ceil(len(links) / ncol), 1)
    with plt.rc_context(apply_matplotlib_style()):
        fig, axes = plt.subplots(nrow, ncol, figsize=(7.2, 1.9 * nrow + 0.6), squeeze=False)
        for ax, lk in zip(axes.flat, links, strict=False):
            specs = list((lk.get("robustness") or {}).get("specs") or [])
            use_std = all(_num(sp.get("std_effect")) is not None for sp in specs)
            headline = _num((lk.get("long_run") or {}).get("estimate"))
            pts = []
            for sp in specs:
                e = _num(sp.get("effect"))
                if e is None:
                    continue
                lo, hi = _num(sp.get("ci_low")), _num(sp.get("ci_high"))
                std = _num(sp.get("std_effect"))
                f = std / e if use_std and std is not None and e != 0 else 1.0
                pts.append((e * f, None if lo is None else lo * f, None if hi is None else hi * f,
                            str(sp.get("verdict")), e))
            pts.sort(key=lambda t: t[0])
            head_i = None
            if headline is not None and pts:
                head_i = min(range(len(pts)), key=lambda i: abs(pts[i][4] - headline))
            # one collection per kind of mark (hundreds of single-point lines draw slowly)
            cols = [colours.get(v, "#777777") for _, _, _, v, _ in pts]
            bars = [(i, lo, hi, c) for i, ((_, lo, hi, _, _), c) in enumerate(zip(pts, cols, strict=True))
                    if lo is not None and hi is not None]
            if bars:
                ax.vlines([b[0] for b in bars], [b[1] for b in bars], [b[2] for b in bars],
                          colors=[b[3] for b in bars], lw=1.2)
            if pts:
                ax.scatter(range(len(pts)), [p[0] for p in pts], c=cols, s=14, zorder=3, linewidths=0)
            if head_i is not None:
                ax.plot([head_i], [pts[head_i][0]], "o", ms=8, mfc="none", mec="#000", mew=1.0, zorder=4)
            ax.axhline(0, color="#333", lw=0.7)
            ax.set_xticks([])
            ax.set_xlim(-0.8, max(len(pts), 1) - 0.2)
            rob = lk.get("robustness") or {}
            tag = f" ({rob.get('label')})" if rob.get("label") in ("robust", "fragile") else ""
            ax.set_title(_text(_link_label(lk) + tag, 44), fontsize=7.5, loc="left")
            ax.set_ylabel("std. effect" if use_std else "effect (KPI units)", fontsize=7)
            ax.tick_params(labelsize=6.5)
            ax.set_xlabel(f"{len(pts)} specifications, sorted", fontsize=6.5)
        for ax in list(axes.flat)[len(links):]:
            ax.set_visible(False)
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], ls="", marker="o", color=colours[v], label=VERDICT_LABELS[v])
                   for v in ("supported", "contradicted", "not_supported", "insufficient_data")]
        handles.append(Line2D([], [], ls="", marker="o", mfc="none", mec="#000", ms=8, label="reported"))
        fig.legend(handles=handles, loc="lower center", ncol=5, bbox_to_anchor=(0.5, 0.0), fontsize=7)
        fig.tight_layout(rect=(0, 0.06, 1, 1))
        return save_figure(fig, out_dir, name)


def lag_profiles(evidence: Mapping[str, Any], out_dir: str | Path, *, name: str = "lag_profiles") -> dict[str, Path]:
    """Per-lag estimates (with 95% CIs) of each link: how the effect unfolds over periods.

    One row per link; each lag tested is a marker of its own shape (lag 0 a
    circle, lag 1 a square, ...), slightly offset, coloured by the link's verdict.

    Examples
    --------
    >>> import tempfile
    >>> ev = {"links": [{"from": "A", "to": "B", "verdict": "supported", "terms": [
    ...     {"lag": 1, "estimate": 0.5, "ci_low": 0.2, "ci_high": 0.8}]}]}
    >>> lag_profiles(ev, tempfile.mkdtemp())["png"].suffix
    '.png'
    """
    plt = _plt()
    colours = verdict_colours()
    links = [lk for lk in (evidence.get("links") or []) if lk.get("terms")]
    markers = ["o", "s", "^", "D", "v", "P", "X", "*"]
    n = max(len(links), 1)
    all_lags = sorted({t.get("lag") for lk in links for t in lk["terms"] if t.get("lag") is not None})
    pos = {lag: i for i, lag in enumerate(all_lags)}
    width = 0.6
    step = width / max(len(all_lags), 1)
    # one scale for every link: standardized when every link has a standardized effect (KPI units differ
    # by orders of magnitude between links), else the KPI units of the file
    scales = {id(lk): _std_scale(lk) for lk in links}
    standardized = bool(links) and all(v is not None for v in scales.values())
    with plt.rc_context(apply_matplotlib_style()):
        fig, ax = plt.subplots(figsize=(7.2, 0.3 * n + 1.4))
        if not links:
            ax.axis("off")
            ax.text(0.5, 0.5, "no per-lag estimates in the evidence", ha="center", va="center")
            return save_figure(fig, out_dir, name)
        ys = list(range(n))[::-1]
        finite: list[float] = [0.0]
        for y, lk in zip(ys, links, strict=False):
            col = colours.get(str(lk.get("verdict")), "#777777")
            scale = scales[id(lk)]
            f = scale if standardized and scale is not None else 1.0
            for t in lk["terms"]:
                lag, e = t.get("lag"), _num(t.get("estimate"))
                if lag is None or e is None:
                    continue
                e *= f
                off = (pos[lag] - (len(all_lags) - 1) / 2) * step
                lo, hi = _num(t.get("ci_low")), _num(t.get("ci_high"))
                if lo is not None and hi is not None:
                    lo, hi = sorted((lo * f, hi * f))
                if lo is not None and hi is not None:
                    ax.plot([lo, hi], [y - off, y - off], color=col, lw=1.3)
                    finite += [lo, hi]
                ax.plot([e], [y - off], markers[pos[lag] % len(markers)], color=col, ms=4.5,
                        markeredgecolor="white", markeredgewidth=0.5)
                finite.append(e)
        ax.axvline(0, color="#333", lw=0.8)
        ax.set_yticks(ys, [_text(_link_label(lk), 40) for lk in links])
        ax.set_ylim(-0.7, n - 0.3)
        ax.grid(axis="y", visible=False)
        pad = 0.08 * (max(finite) - min(finite) or 1.0)
        ax.set_xlim(min(finite) - pad, max(finite) + pad)
        ax.set_xlabel("standardized estimate per lag (SD of outcome per SD of driver) with 95% CI" if standardized
                      else "estimate per lag (KPI units) with 95% CI")
        ax.set_title("Lag profiles: the effect of the driver 0, 1, 2, ... periods later", loc="left")
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], ls="", marker=markers[pos[lag] % len(markers)], color="#555",
                          label=f"lag {lag}") for lag in all_lags]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), title="lag", title_fontsize=8)
        fig.tight_layout()
        return save_figure(fig, out_dir, name)

"""One visual style for every report: palette, verdict/status colours, fonts, CSS.

Charts (matplotlib), the HTML stylesheet, the typst template and the Lua filter
all take their colours from here, so a "supported" link is the same colour in
the coefficient plot, the evidence table and the strategy map.
"""

from __future__ import annotations

from typing import Any

from ..scorecard.scoring import STATUS_COLOURS

__all__ = [
    "PALETTE",
    "STATUS_COLOURS",
    "STATUS_LABELS",
    "VERDICT_COLOURS",
    "VERDICT_LABELS",
    "CALLOUT_COLOURS",
    "report_css",
    "apply_matplotlib_style",
    "verdict_colours",
]

#: Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008), in plotting order
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",
)

#: colours of the evidence verdicts (Okabe–Ito), the same as the strategy map's arrows
VERDICT_COLOURS: dict[str, str] = {
    "supported": "#0072B2",
    "contradicted": "#D55E00",
    "not_supported": "#8C8C8C",
    "insufficient_data": "#BDBDBD",
}
VERDICT_LABELS: dict[str, str] = {
    "supported": "supported",
    "contradicted": "contradicted",
    "not_supported": "not supported",
    "insufficient_data": "insufficient data",
}
STATUS_LABELS: dict[str, str] = {"green": "green", "amber": "amber", "red": "red", "no_data": "no data"}

#: border colours of Quarto callouts (note, tip, warning, important, caution)
CALLOUT_COLOURS: dict[str, str] = {
    "note": "#0072B2",
    "tip": "#009E73",
    "warning": "#E69F00",
    "important": "#D55E00",
    "caution": "#CC79A7",
}


def verdict_colours() -> dict[str, str]:
    """Verdict colours, taken from :mod:`bsc_toolkit.strategy_map` when it defines them.

    Examples
    --------
    >>> verdict_colours()["supported"].startswith("#")
    True
    """
    out = dict(VERDICT_COLOURS)
    try:  # the map is drawn by another stage; share its edge colours
        from ..strategy_map import EDGE_STYLES
    except Exception:
        return out
    # insufficient_data keeps its lighter grey: the map tells it apart by a dotted line
    for k in ("supported", "contradicted", "not_supported"):
        colour = getattr(EDGE_STYLES.get(k), "colour", None)
        if isinstance(colour, str) and colour.startswith("#"):
            out[k] = colour
    return out


MPL_RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.prop_cycle": None,  # filled in by apply_matplotlib_style
    "figure.dpi": 100,
    "savefig.dpi": 180,
    "svg.fonttype": "path",
    "svg.hashsalt": "bsc-toolkit",  # stable SVG ids: reproducible output
}


def apply_matplotlib_style() -> dict[str, Any]:
    """The rcParams every chart is drawn with (use as ``matplotlib.rc_context(...)``).

    Examples
    --------
    >>> rc = apply_matplotlib_style()
    >>> rc["font.size"]
    9
    """
    from cycler import cycler

    rc = dict(MPL_RC)
    rc["axes.prop_cycle"] = cycler(color=list(PALETTE))
    return rc


def report_css() -> str:
    """The stylesheet embedded in HTML reports rendered by the pandoc fallback.

    Examples
    --------
    >>> ".badge.verdict-supported" in report_css()
    True
    """
    s, v, c = STATUS_COLOURS, verdict_colours(), CALLOUT_COLOURS
    rules = [
        "body{font-family:-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;"
        "max-width:60rem;margin:2rem auto;padding:0 1.2rem;color:#222;line-height:1.5;font-size:16px}",
        "header#title-block-header{border-bottom:3px solid #0072B2;margin-bottom:1.5rem}",
        "h1.title{font-size:2rem;margin-bottom:.2rem}",
        "p.subtitle{font-size:1.15rem;color:#555;margin-top:0}",
        "p.date{color:#777}",
        "h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}",
        "table{border-collapse:collapse;margin:1rem 0;font-size:.9rem;width:100%}",
        "th,td{padding:.3rem .5rem;border-bottom:1px solid #e3e3e3;vertical-align:top;text-align:left}",
        "thead th{border-bottom:2px solid #555;background:#f6f6f6}",
        "caption,figcaption{color:#444;font-size:.9rem;text-align:left;padding:.3rem 0}",
        "figure{margin:1.2rem 0}",
        "figure img,figure svg{max-width:100%;height:auto}",
        ".badge{display:inline-block;padding:0 .45em;border-radius:.3em;color:#fff;"
        "font-size:.85em;font-weight:600;white-space:nowrap}",
        ".callout{border-left:5px solid #0072B2;background:#f7f9fc;padding:.5rem 1rem;margin:1.2rem 0;"
        "border-radius:0 .3rem .3rem 0}",
        ".callout-title{font-weight:700;margin:.2rem 0 .4rem 0}",
        "code{background:#f2f2f2;padding:0 .2em;border-radius:.2em}",
        "nav#TOC{background:#fafafa;border:1px solid #eee;padding:.5rem 1rem;margin-bottom:1.5rem}",
        "footer.bsc{margin-top:3rem;color:#888;font-size:.8rem;border-top:1px solid #eee}",
    ]
    for k, col in s.items():
        fg = "#222" if k in ("amber", "no_data") else "#fff"
        rules.append(f".badge.status-{k.replace('_', '-')}{{background:{col};color:{fg}}}")
    for k, col in v.items():
        fg = "#222" if k == "insufficient_data" else "#fff"
        rules.append(f".badge.verdict-{k.replace('_', '-')}{{background:{col};color:{fg}}}")
    for k, col in c.items():
        rules.append(f".callout.callout-{k}{{border-left-color:{col}}}")
        rules.append(f".callout.callout-{k} .callout-title{{color:{col}}}")
    rules.append("@media print{body{max-width:none}}")
    return "\n".join(rules) + "\n"

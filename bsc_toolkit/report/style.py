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


#: the letter each badge carries, so a badge reads the same in greyscale and for colour-blind readers
BADGE_LETTERS: dict[str, str] = {
    "verdict-supported": "S",
    "verdict-contradicted": "C",
    "verdict-not-supported": "N",
    "verdict-insufficient-data": "I",
    "status-green": "G",
    "status-amber": "A",
    "status-red": "R",
    "status-no-data": "–",
    "robust": "R",
    "fragile": "F",
}

#: badges whose background is light (dark text on them)
LIGHT_BADGES = frozenset({"status-amber", "status-no-data", "verdict-insufficient-data"})


def badge_colours() -> dict[str, str]:
    """Badge class -> background colour, for every badge a report can contain.

    Examples
    --------
    >>> badge_colours()["verdict-contradicted"].startswith("#")
    True
    """
    out = {f"status-{k.replace('_', '-')}": v for k, v in STATUS_COLOURS.items()}
    out.update({f"verdict-{k.replace('_', '-')}": v for k, v in verdict_colours().items()})
    out.update({"robust": "#009E73", "fragile": "#E69F00"})
    return out


def report_css() -> str:
    """The one stylesheet of HTML reports, for Quarto's output and the pandoc fallback's alike.

    Badges get their background and text colour here (Bootstrap's ``.badge``, which
    Quarto loads, has white text and no background of its own).

    Examples
    --------
    >>> ".badge.verdict-supported" in report_css()
    True
    """
    c = CALLOUT_COLOURS
    rules = [
        "body{font-family:-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:#222;"
        "line-height:1.5}",
        "body:not(.quarto-light):not(.quarto-dark){max-width:60rem;margin:2rem auto;padding:0 1.2rem;font-size:16px}",
        "header#title-block-header{border-bottom:3px solid #0072B2;margin-bottom:1.5rem}",
        "h1.title{font-size:2rem;margin-bottom:.2rem}",
        "p.subtitle{font-size:1.15rem;color:#555;margin-top:0}",
        "p.date{color:#777}",
        "h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}",
        "table{border-collapse:collapse;margin:1rem 0;font-size:.9rem;width:100%}",
        "th,td{padding:.3rem .5rem;border-bottom:1px solid #e3e3e3;vertical-align:top;overflow-wrap:anywhere;"
        "hyphens:none}",
        "thead th{border-bottom:2px solid #555;background:#f6f6f6}",
        "caption,figcaption{color:#444;font-size:.9rem;text-align:left;padding:.3rem 0}",
        "figure{margin:1.2rem 0}",
        "figure img,figure svg{max-width:100%;height:auto}",
        # a tall strategy map is narrowed to fit page 1 of the PDF; on screen it keeps its size
        "#fig-strategy-map img{width:80%!important}",
        ".badge{display:inline-block;padding:.05em .5em;border-radius:.3em;font-size:.85em;font-weight:600;"
        "white-space:nowrap;line-height:1.4;vertical-align:baseline}",
        ".badge .badge-letter{display:inline-block;font-weight:800;margin-right:.35em;padding:0 .25em;"
        "border-radius:.2em;background:rgba(255,255,255,.28)}",
        ".caveat-mark{font-size:.8em;vertical-align:super;color:#D55E00;font-weight:700}",
        ".callout{border-left:5px solid #0072B2;background:#f7f9fc;padding:.5rem 1rem;margin:1.2rem 0;"
        "border-radius:0 .3rem .3rem 0}",
        ".callout-title{font-weight:700;margin:.2rem 0 .4rem 0}",
        "code{background:#f2f2f2;padding:0 .2em;border-radius:.2em}",
        "nav#TOC{background:#fafafa;border:1px solid #eee;padding:.5rem 1rem;margin-bottom:1.5rem}",
        "nav.bsc-formats{float:right;margin:0 0 1rem 1.5rem;font-size:.9rem;border:1px solid #eee;"
        "padding:.3rem .9rem;background:#fafafa}",
        "nav.bsc-formats h2{font-size:.95rem;margin:.2rem 0;border:0}",
        "nav.bsc-formats ul{margin:.2rem 0;padding-left:1.1rem}",
        "footer.bsc{margin-top:3rem;color:#888;font-size:.8rem;border-top:1px solid #eee}",
    ]
    for k, col in badge_colours().items():
        fg = "#222" if k in LIGHT_BADGES else "#fff"
        rules.append(f".badge.{k}{{background:{col};color:{fg}}}")
    for k, col in c.items():
        rules.append(f".callout.callout-{k}{{border-left-color:{col}}}")
        rules.append(f".callout.callout-{k} .callout-title{{color:{col}}}")
    rules.append("@media print{body{max-width:none}nav.bsc-formats{display:none}}")
    return "\n".join(rules) + "\n"


def typst_string(text: object) -> str:
    """A typst string literal holding ``text`` (quotes and backslashes escaped, whitespace collapsed, doubled
    braces kept from forming a Quarto shortcode).

    Examples
    --------
    >>> typst_string('A "quoted" \\\\ #title')
    '"A \\\\"quoted\\\\" \\\\\\\\ #title"'
    """
    from ._text import neutralise_shortcodes

    # Quarto runs shortcodes in included files too: {{ never reaches it
    s = neutralise_shortcodes(" ".join(str(text).split()))
    s = s.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{s}"'


def typst_style(title: object) -> str:
    """The typst style of every PDF (header with the title, footer with page numbers, tables, badges).

    Both renderers include it in the document header (Quarto: ``include-in-header``;
    the fallback: pandoc's ``--include-in-header``), so their PDFs look alike. The
    title is written as a typst string literal (never as markup).

    Examples
    --------
    >>> "breakable: true" in typst_style("Acme")
    True
    """
    from ._text import template_path

    static = template_path("bsc-style.typ").read_text(encoding="utf-8")
    return f"#let bsc-title = {typst_string(title)}\n" + static

"""Build the DOT source of a strategy map.

The layout follows the maps in Kaplan & Norton's books: the four perspectives
are horizontal lanes, Financial on top and Learning & Growth at the bottom, each
labelled on the left; objectives are rounded boxes listing their KPIs; the
cause-and-effect links run upward. The DOT text is written by hand (not through
the ``graphviz`` package) so that every piece of user text goes through one
escaping function and the output is byte-for-byte stable for snapshot tests.

Layout devices: ``rankdir=BT`` with ``newrank=true`` and one ``rank=same``
group per lane; an invisible chain between the lane-label nodes fixes the lane
order even where no link crosses; an invisible flat edge from each lane label to
the lane's objectives keeps the label at the left.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._format import fmt_count, fmt_num, fmt_p, fmt_share, fmt_value
from ..errors import ScorecardError
from ..scorecard.model import KPI, PERSPECTIVE_ORDER, Link, Objective, Perspective, Scorecard
from ._escape import dot_quote, html_text, wrap_html
from .overlay import (
    EDGE_STYLES,
    LinkEvidence,
    Overlay,
    build_overlay,
    caveat_key,
    effect_label,
    lighter,
    pen_width,
)
from .result import StrategyMap

if TYPE_CHECKING:
    from .._typing import EvidenceSource, ScorecardSource
    from ..scorecard.scoring import ScoreReport

__all__ = ["LANE_COLOURS", "strategy_map"]

FONT = "Helvetica,Arial,sans-serif"
WRAP = 22
LEGEND_WRAP = 64

#: lane fill and border per perspective (light tints, readable in greyscale)
LANE_COLOURS: dict[Perspective, tuple[str, str]] = {
    Perspective.financial: ("#f3f6fb", "#9fb3cc"),
    Perspective.customer: ("#f4f9f4", "#a3c2a3"),
    Perspective.internal_process: ("#fbf8f1", "#cdbf9c"),
    Perspective.learning_growth: ("#f8f4fa", "#bba7c7"),
}
NODE_FILL = "#ffffff"
PARENT_FILL = ("#f2f2f2", "#a6a6a6")
STATUS_GLYPH = {"green": ("G", "#ffffff"), "amber": ("A", "#000000"), "red": ("R", "#ffffff"),
                "no_data": ("\u2013", "#000000")}


def _kpi_value_line(k: KPI) -> str:
    parts = []
    if k.actual is not None:
        parts.append(fmt_value(k.actual, k.unit) if k.target is None else fmt_num(k.actual))
    if k.target is not None:
        parts.append(("target " if k.actual is None else "/ target ") + fmt_value(k.target, k.unit))
    if k.direction:
        parts.append("\u2191" if k.direction == "up" else "\u2193")
    return " ".join(parts)


def _objective_label(o: Objective, statuses: Mapping[str, str], show_kpis: bool) -> Html:
    rows = [
        f'<TR><TD COLSPAN="2" ALIGN="CENTER" BALIGN="CENTER"><FONT POINT-SIZE="8" COLOR="#666666">'
        f"{html_text(o.id)}</FONT><BR/><B>{wrap_html(o.name, WRAP)}</B></TD></TR>"
    ]
    if show_kpis and o.kpis:
        rows.append('<TR><TD COLSPAN="2" HEIGHT="3"></TD></TR>')
        for k in o.kpis:
            st = statuses.get(k.id)
            if st in STATUS_GLYPH:
                glyph, fg = STATUS_GLYPH[st]
                from ..scorecard.scoring import STATUS_COLOURS

                bar = (f'<TD WIDTH="11" BGCOLOR="{STATUS_COLOURS[st]}" VALIGN="MIDDLE">'
                       f'<FONT POINT-SIZE="7" COLOR="{fg}">{glyph}</FONT></TD>')
            else:
                bar = '<TD WIDTH="11"></TD>'
            value = _kpi_value_line(k)
            value_html = (f'<BR/><FONT POINT-SIZE="8" COLOR="#555555">{html_text(value)}</FONT>'
                          if value else "")
            rows.append(
                f'<TR>{bar}<TD ALIGN="LEFT" BALIGN="LEFT">{wrap_html(k.name, WRAP + 4)}{value_html}</TD></TR>'
            )
    return Html('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1" CELLPADDING="1">'
                + "".join(rows) + "</TABLE>>")


def _resolve_statuses(sc: Scorecard, statuses: Mapping[str, str] | ScoreReport | None) -> dict[str, str]:
    """KPI id -> status from the argument (mapping or ScoreReport) or from ``score(sc)``."""
    from ..scorecard.scoring import ScoreReport, score

    if statuses is None:
        statuses = score(sc)
    if isinstance(statuses, ScoreReport):
        return {s.kpi: s.status for s in statuses.kpis if s.actual is not None}
    if not isinstance(statuses, Mapping):
        raise TypeError(f"`statuses` must be a mapping KPI id -> status or a ScoreReport, "
                        f"got {type(statuses).__name__}")
    return {str(k): str(v) for k, v in statuses.items()}


def _check_statuses(sc: Scorecard, statuses: Mapping[str, str]) -> None:
    from ..errors import Problem

    known = {k.id for k in sc.kpis}
    problems = []
    for kid, st in statuses.items():
        if kid not in known:
            problems.append(Problem(f"statuses.{kid}", f"no KPI '{kid}' in scorecard '{sc.name}'"))
        elif st not in STATUS_GLYPH:
            problems.append(Problem(f"statuses.{kid}",
                                    f"status must be one of green, amber, red, no_data, got {st!r}"))
    if problems:
        raise ScorecardError(problems)


def _node_id(prefix: str, ident: str) -> str:
    return dot_quote(f"{prefix}{ident}")


class Html(str):
    """An HTML-like label built here from escaped parts; written unquoted as ``<...>``.

    Only values of this type are written raw: every other string is quoted with
    :func:`dot_quote`, whatever it looks like.
    """


def _attrs(**kw: Any) -> str:
    parts = []
    for k, v in kw.items():
        if v is None:
            continue
        if isinstance(v, Html):
            parts.append(f"{k}={v}")
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            parts.append(f"{k}={v}")
        else:
            parts.append(f"{k}={dot_quote(v)}")
    return "[" + ", ".join(parts) + "]"


def _kpi_mention(sc: Scorecard, end: str) -> str | None:
    """The KPI's name when a link end names a KPI (not an objective)."""
    if any(o.id == end for o in sc.objectives):
        return None
    try:
        return sc.kpi(end).name
    except KeyError:
        return None


def _edge_label(lines: list[tuple[str, str]]) -> Html | None:
    """HTML-like edge label from (text, colour) lines; None when empty."""
    lines = [(t, c) for t, c in lines if t]
    if not lines:
        return None
    body = "<BR/>".join(f'<FONT COLOR="{c}">{wrap_html(t, WRAP + 4)}</FONT>' for t, c in lines)
    return Html(f"<{body}>")


class _Caveats:
    """Numbers the kinds of caveat met on the map's links: \u26a01, \u26a02, ... in order of appearance."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.links: dict[str, list[str]] = {}

    def mark(self, link: str, caveats: tuple[str, ...]) -> str:
        """``\u26a01,2`` for a link's caveats (empty when it has none)."""
        nums = []
        for c in caveats:
            key = caveat_key(c)
            n = self.ids.setdefault(key, len(self.ids) + 1)
            if link not in self.links.setdefault(key, []):
                self.links[key].append(link)
            if n not in nums:
                nums.append(n)
        return ("\u26a0" + ",".join(map(str, sorted(nums)))) if nums else ""


def _robustness_tip(rob: Mapping[str, Any] | None) -> str | None:
    if not rob or rob.get("label") not in ("robust", "fragile"):
        return None
    n = rob.get("n_specs")
    counts = rob.get("verdict_counts") or {}
    parts = [f"robustness: {rob['label']}"]
    if isinstance(n, int) and n > 0:
        parts.append(f"{fmt_share(rob.get('agree_share'))} of {fmt_count(n, 'specification')} agree")
    if counts:
        parts.append("(" + ", ".join(f"{str(k).replace('_', ' ')} {v}" for k, v in counts.items()) + ")")
    return " ".join(parts)


def _no_verdict_text(reason: str) -> str:
    """``no verdict: too few periods for the lags`` from an insufficient-data reason."""
    key = caveat_key(reason) if reason else ""
    return f"no verdict: {key}" if key else "no verdict"


def _link_edge(sc: Scorecard, lk: Link, le: LinkEvidence | None, has_evidence: bool,
               caveats: _Caveats) -> tuple[str, set[str]]:
    """One DOT edge statement for a scorecard link and the legend keys it uses."""
    src = sc.objective_of(lk.source)
    dst = sc.objective_of(lk.target)
    kind = "hypothesis" if not has_evidence else (le.verdict if le else "untested")
    style = EDGE_STYLES[kind]
    used = {kind}
    lines: list[tuple[str, str]] = []
    m_from, m_to = _kpi_mention(sc, lk.source), _kpi_mention(sc, lk.target)
    if m_from or m_to:
        lines.append((f"{m_from or src.id} \u2192 {m_to or dst.id}", "#555555"))
    penwidth = 1.2
    colour = style.colour
    tooltip = [f"{lk.source} \u2192 {lk.target} (expected {lk.sign})"]
    if le is not None:
        eff = effect_label(le.estimate, le.lags)
        mark = caveats.mark(f"{lk.source} \u2192 {lk.target}", le.caveats)
        fragile = le.fragile and kind in ("supported", "contradicted", "not_supported")
        if kind in ("supported", "contradicted", "not_supported"):
            penwidth = pen_width(le.standardized) if kind != "not_supported" else 1.0
            words = [style.tag, eff, "fragile" if fragile else "", mark]
            lines.append((" ".join(x for x in words if x), style.colour))
        elif kind == "insufficient_data":  # dotted, circle head; the label says why
            lines.append((" ".join(x for x in (_no_verdict_text(le.reason), mark) if x), style.colour))
        elif mark:
            lines.append((mark, style.colour))
        if fragile:
            colour = lighter(style.colour)
            used.add("fragile")
        if mark:
            used.add("caveat")
        tooltip.append(f"{kind.replace('_', ' ')}: {le.reason}" if le.reason else kind.replace("_", " "))
        rob = _robustness_tip(le.robustness)
        if rob:
            tooltip.append(rob)
        for c in le.caveats:
            tooltip.append(f"\u26a0{caveats.ids[caveat_key(c)]} {c}")
    if lk.rationale:
        tooltip.append(lk.rationale)
    extra: dict[str, Any] = {}
    if le is not None and le.reverse is not None:
        rs = EDGE_STYLES["reverse"]
        used.add("reverse")
        rev_eff = effect_label(_as_float(le.reverse.get("estimate")), _lags_of(le.reverse.get("lag")))
        lines.append((f"{rs.tag} {rev_eff}".strip(), rs.colour))
        extra = {"dir": "both", "arrowtail": rs.arrowhead}
        tooltip.append(str(le.reverse.get("note") or "reverse direction stronger"))
    attrs = _attrs(
        color=colour, style=style.style, arrowhead=style.arrowhead, penwidth=penwidth,
        label=_edge_label(lines), tooltip="\n".join(tooltip), **extra,
    )
    return f"  {_node_id('o_', src.id)} -> {_node_id('o_', dst.id)} {attrs};", used


def _as_float(x: Any) -> float | None:
    try:
        return None if x is None else float(x)
    except (TypeError, ValueError):
        return None


def _lags_of(x: Any) -> tuple[int, ...]:
    if isinstance(x, (list, tuple)):
        return tuple(int(v) for v in x if isinstance(v, (int, float)))
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return (int(x),)
    return ()


def _candidate_edge(sc: Scorecard, s: Mapping[str, Any]) -> str:
    st = EDGE_STYLES["candidate"]
    fo, to = sc.objective_of(s["from_kpi"]), sc.objective_of(s["to_kpi"])
    fk, tk = sc.kpi(s["from_kpi"]), sc.kpi(s["to_kpi"])
    lines = []
    nf = fk.name if fo.kpis[0].id != fk.id else None
    nt = tk.name if to.kpis[0].id != tk.id else None
    if nf or nt:
        lines.append((f"{nf or fo.id} \u2192 {nt or to.id}", "#555555"))
    eff = effect_label(_as_float(s.get("estimate")), _lags_of(s.get("lag")))
    lines.append((f"{st.tag} {eff}".strip(), st.colour))
    tip = f"candidate {fk.id} \u2192 {tk.id}: {s.get('note') or 'exploratory: not hypothesised in the map'}"
    if s.get("q_value") is not None:
        q = fmt_p(s["q_value"])
        tip += f" (q {q})" if q.startswith("<") else f" (q = {q})"
    attrs = _attrs(color=st.colour, style=st.style, arrowhead=st.arrowhead, penwidth=1.2,
                   label=_edge_label(lines), tooltip=tip, constraint="false")
    return f"  {_node_id('o_', fo.id)} -> {_node_id('o_', to.id)} {attrs};"


#: line samples drawn in the legend, per kind of arrow or mark
_SAMPLES = {
    "hypothesis": "\u2500\u2500\u2500\u25b6",
    "supported": "\u2501\u2501\u2501\u25b6",
    "contradicted": "\u2501\u2501\u2501\u2503",
    "not_supported": "\u2500\u2500\u2500\u25b7",
    "insufficient_data": "\u2508\u2508\u2508\u25cb",
    "untested": "\u2508\u2508\u2508\u2508",
    "candidate": "\u254c\u254c\u254c\u276f",
    "reverse": "\u25c6\u2500\u2500\u25b6",
    "supports": "\u254c\u254c\u254c\u25b7",
    "fragile": "\u2501\u2501\u2501\u25b6",
}
#: what a caveat mark means (the legend adds the caveat's short name and the links it is on)
CAVEAT_LEGEND = "read it in the report or the console (bsc validate), or hover over the arrow"


def _legend(used: list[str], show_status: bool, show_direction: bool, has_evidence: bool,
            caveats: _Caveats) -> tuple[Html, tuple[tuple[str, str], ...]]:
    """An HTML-table node explaining every mark that appears in the map, and the same rows as text.

    The text rows are ``(mark, meaning)`` pairs (:attr:`StrategyMap.legend`): prose about the
    map can be generated from them or checked against them.
    """
    html: list[str] = ['<TR><TD COLSPAN="2" ALIGN="LEFT"><B>Legend</B></TD></TR>']
    text: list[tuple[str, str]] = []

    def row(sample_html: str, sample: str, meaning: str) -> None:
        html.append(f'<TR><TD ALIGN="LEFT" VALIGN="TOP">{sample_html}</TD>'
                    f'<TD ALIGN="LEFT" BALIGN="LEFT">{wrap_html(meaning, LEGEND_WRAP, max_lines=6)}</TD></TR>')
        text.append((sample, meaning))

    for key in used:
        if key == "caveat":
            continue
        st = EDGE_STYLES[key]
        row(f'<FONT COLOR="{st.colour}">{_SAMPLES[key]}</FONT>', _SAMPLES[key], st.legend)
    if has_evidence:
        sample = effect_label(0.42, (1,))
        row(html_text(sample), sample, "cumulative effect of the driver on the outcome over the driver lags "
            "tested (lag 1 = one period earlier, lags 1\u20132 = one and two periods earlier); line width "
            "grows with |standardized effect|")
    if "caveat" in used:
        row("\u26a0n", "\u26a0n", f"caveat n on this link: {CAVEAT_LEGEND}")
        for key, n in caveats.ids.items():
            row(f"\u26a0{n}", f"\u26a0{n}", f"{key} ({fmt_count(len(caveats.links[key]), 'link')})")
    if show_status:
        from ..scorecard.scoring import STATUS_COLOURS

        labels = (("green", "on target"), ("amber", "watch"), ("red", "off target"), ("no_data", "no score"))
        cells = "".join(
            f'<TD BGCOLOR="{STATUS_COLOURS[s]}" WIDTH="11"><FONT POINT-SIZE="7" COLOR="{STATUS_GLYPH[s][1]}">'
            f"{STATUS_GLYPH[s][0]}</FONT></TD><TD ALIGN=\"LEFT\">{label}</TD>"
            for s, label in labels
        )
        html.append('<TR><TD ALIGN="LEFT">KPI status</TD><TD ALIGN="LEFT"><TABLE BORDER="0" '
                    f'CELLSPACING="2" CELLPADDING="1"><TR>{cells}</TR></TABLE></TD></TR>')
        text.append((" / ".join(STATUS_GLYPH[s][0] for s, _ in labels),
                     "KPI status badge: " + ", ".join(f"{STATUS_GLYPH[s][0]} {label} ({s.replace('_', ' ')})"
                                                      for s, label in labels)))
    if show_direction:
        row("\u2191 / \u2193", "\u2191 / \u2193", "higher / lower is better; actual / target")
    table = Html('<<TABLE BORDER="1" COLOR="#bbbbbb" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
                 'BGCOLOR="#ffffff">' + "".join(html) + "</TABLE>>")
    return table, tuple(text)


def _load_parent(parent: ScorecardSource) -> Scorecard:
    if isinstance(parent, Scorecard):
        return parent
    if isinstance(parent, (str, os.PathLike)):
        from ..scorecard.io import load_scorecard

        return load_scorecard(parent)
    raise TypeError(f"`parent` must be a Scorecard or a path/example name, got {type(parent).__name__}")


def strategy_map(
    scorecard: ScorecardSource,
    evidence: EvidenceSource | None = None,
    *,
    statuses: Mapping[str, str] | ScoreReport | None = None,
    parent: ScorecardSource | None = None,
    title: str | None = None,
    show_kpis: bool = True,
) -> StrategyMap:
    """Draw a scorecard as a Kaplan & Norton strategy map, optionally with the evidence on it.

    Parameters
    ----------
    scorecard : Scorecard, path or example name
    evidence : Evidence, dict or path, optional
        Results of :func:`bsc_toolkit.evidence.validate` (or its JSON file, or the
        dict). Arrows are then coloured and styled by verdict, sized by the
        standardized effect and labelled with the long-run effect and lags;
        candidate links are drawn dashed and "reverse" suggestions are marked.
        Evidence about links not in the scorecard is ignored with a warning.
    statuses : mapping or ScoreReport, optional
        KPI id -> ``green | amber | red | no_data``. By default the statuses of
        :func:`bsc_toolkit.scorecard.score` for KPIs that have an actual value.
    parent : Scorecard, path or example name, optional
        Parent scorecard of a cascade: the parent objectives that this
        scorecard's objectives ``supports`` are drawn in a band on top, with
        dashed "supports" arrows.
    title : str, optional
        Title above the map (default: the scorecard's name and period).
    show_kpis : bool, default True
        List each objective's KPIs (name, actual / target, status) in its box.

    Returns
    -------
    StrategyMap
        ``.source`` (DOT), ``.render(path)``, ``.svg()``; displays itself in notebooks.
        It remembers the files it was drawn from (``inputs``): ``render`` refuses to
        write over one of them.

    Raises
    ------
    DataError
        Malformed evidence (the message names the file and the place) or evidence
        about another scorecard.

    Examples
    --------
    >>> from bsc_toolkit.strategy_map import strategy_map
    >>> m = strategy_map("retail")
    >>> m.source.startswith("digraph")
    True
    >>> m.n_edges
    16
    """
    inputs = _input_files(scorecard=scorecard, evidence=evidence, parent=parent)
    if isinstance(scorecard, Scorecard):
        sc = scorecard
    else:
        from ..scorecard.io import load_scorecard

        sc = load_scorecard(scorecard)
    if statuses is not None and isinstance(statuses, Mapping):
        _check_statuses(sc, statuses)
    stat = _resolve_statuses(sc, statuses)
    overlay: Overlay | None = build_overlay(sc, evidence) if evidence is not None else None
    warn_list = list(overlay.warnings) if overlay else []
    has_ev = overlay is not None

    heading = title if title is not None else sc.name + (f" \u2014 {sc.period}" if sc.period else "")
    out: list[str] = [
        "digraph strategy_map {",
        "  " + _attrs(
            rankdir="BT", newrank="true", splines="spline", nodesep=0.3, ranksep=0.75, pad=0.3,
            fontname=FONT, fontsize=18, labelloc="t", labeljust="c", outputorder="edgesfirst",
            label=Html(f"<<B>{html_text(heading)}</B>>"), tooltip=heading, charset="UTF-8",
        ).replace("[", "graph [", 1) + ";",
        "  " + _attrs(fontname=FONT, fontsize=10, shape="box", style="rounded,filled",
                      fillcolor=NODE_FILL, color="#7f7f7f", margin="0.08,0.05", penwidth=1.2)
        .replace("[", "node [", 1) + ";",
        "  " + _attrs(fontname=FONT, fontsize=9, color="#4d4d4d", arrowsize=0.8)
        .replace("[", "edge [", 1) + ";",
    ]

    lanes = list(reversed(PERSPECTIVE_ORDER))  # Financial first in the file, drawn on top
    for p in lanes:
        fill, border = LANE_COLOURS[p]
        objs = sc.objectives_in(p)
        out.append(f"  subgraph {dot_quote('cluster_lane_' + p.value)} {{")
        out.append("    " + _attrs(style="filled,rounded", fillcolor=fill, color=border, label="",
                                    tooltip=p.label).replace("[", "graph [", 1) + ";")
        lane_node = _node_id("lane_", p.value)
        out.append(f"    {lane_node} " + _attrs(
            shape="plaintext", style="", width=1.5, group="lanes",
            label=Html(f'<<FONT POINT-SIZE="13" COLOR="#333333"><B>{wrap_html(p.label, 12)}</B></FONT>>'),
        ) + ";")
        members = [lane_node]
        if not objs:
            empty = _node_id("empty_", p.value)
            out.append(f"    {empty} " + _attrs(
                label=Html("<<I>no objectives in this perspective</I>>"), style="rounded,dashed",
                fontcolor="#777777") + ";")
            members.append(empty)
        for o in objs:
            nid = _node_id("o_", o.id)
            tip = o.name + (f"\n{o.description}" if o.description else "")
            out.append(f"    {nid} " + _attrs(label=_objective_label(o, stat, show_kpis),
                                               tooltip=tip) + ";")
            members.append(nid)
        out.append("    { rank=same; " + " ".join(f"{m};" for m in members) + " }")
        out.append("  }")

    # lane order and lane labels on the left
    chain = [_node_id("lane_", p.value) for p in PERSPECTIVE_ORDER]
    parent_sc = _load_parent(parent) if parent is not None else None
    supports_edges: list[str] = []
    if parent_sc is not None:
        parent_ids = {o.id: o for o in parent_sc.objectives}
        used_parent: list[str] = []
        for o in sc.objectives:
            for ref in o.supports:
                if ref not in parent_ids:
                    warn_list.append(
                        f"objective '{o.id}' supports '{ref}', which is not an objective of the parent "
                        f"scorecard '{parent_sc.name}'; not drawn"
                    )
                    continue
                if ref not in used_parent:
                    used_parent.append(ref)
                st = EDGE_STYLES["supports"]
                supports_edges.append(
                    f"  {_node_id('o_', o.id)} -> {_node_id('parent_', ref)} "
                    + _attrs(color=st.colour, style=st.style, arrowhead=st.arrowhead,
                             tooltip=f"{o.id} supports {parent_sc.name}: {parent_ids[ref].name}") + ";"
                )
        out.append(f"  subgraph {dot_quote('cluster_parent')} {{")
        out.append("    " + _attrs(style="filled,rounded,dashed", fillcolor=PARENT_FILL[0],
                                    color=PARENT_FILL[1], label="", tooltip=parent_sc.name)
                   .replace("[", "graph [", 1) + ";")
        pl = _node_id("lane_", "parent")
        out.append(f"    {pl} " + _attrs(
            shape="plaintext", style="", width=1.5, group="lanes",
            label=Html(f'<<FONT POINT-SIZE="11" COLOR="#333333"><B>Supports</B><BR/>'
                       f"{wrap_html(parent_sc.name, 16)}</FONT>>")) + ";")
        members = [pl]
        ordered = [o for o in parent_sc.objectives if o.id in used_parent]
        if not ordered:
            warn_list.append(f"no objective of this scorecard supports an objective of '{parent_sc.name}'")
        for po in ordered:
            nid = _node_id("parent_", po.id)
            out.append(f"    {nid} " + _attrs(
                label=Html(f'<<FONT POINT-SIZE="8" COLOR="#666666">{html_text(po.perspective.label)} '
                           f"\u00b7 {html_text(po.id)}</FONT><BR/>{wrap_html(po.name, WRAP)}>"),
                style="rounded,filled,dashed", fillcolor="#ffffff", tooltip=po.name) + ";")
            members.append(nid)
        out.append("    { rank=same; " + " ".join(f"{m};" for m in members) + " }")
        out.append("  }")
        chain.append(pl)

    out.append("  " + " -> ".join(chain) + " [style=invis, weight=100];")
    for p in lanes:
        objs = sc.objectives_in(p)
        ends = [_node_id("o_", o.id) for o in objs] or [_node_id("empty_", p.value)]
        for end in ends:
            out.append(f"  {_node_id('lane_', p.value)} -> {end} [style=invis];")

    used: list[str] = []
    caveats = _Caveats()

    def use(keys: set[str] | list[str]) -> None:
        for k in [*EDGE_STYLES, "caveat"]:
            if k in keys and k not in used:
                used.append(k)

    for lk in sc.links:
        le = overlay.links.get(lk.key) if overlay else None
        line, keys = _link_edge(sc, lk, le, has_ev, caveats)
        out.append(line)
        use(keys)
    if overlay:
        for s in overlay.candidates:
            out.append(_candidate_edge(sc, s))
            use({"candidate"})
    if supports_edges:
        out.extend(supports_edges)
        use({"supports"})
    used = [k for k in [*EDGE_STYLES, "caveat"] if k in used]  # legend in a fixed order

    show_status = show_kpis and bool(stat)
    show_dir = show_kpis and any(k.direction for k in sc.kpis)
    legend: tuple[tuple[str, str], ...] = ()
    if used or show_status:
        out.append(f"  subgraph {dot_quote('cluster_legend')} {{")
        out.append("    " + _attrs(label="", style="invis").replace("[", "graph [", 1) + ";")
        legend_html, legend = _legend(used, show_status, show_dir, has_ev, caveats)
        out.append("    \"legend\" " + _attrs(shape="plaintext", style="", margin=0, label=legend_html) + ";")
        out.append("  }")
        out.append(f"  \"legend\" -> {chain[0]} [style=invis];")
    out.append("}")
    source = "\n".join(out) + "\n"

    for w in warn_list:
        warnings.warn(w, UserWarning, stacklevel=2)
    counts: dict[str, int] = {}
    if overlay:
        for lk in sc.links:
            le = overlay.links.get(lk.key)
            v = le.verdict if le else "untested"
            counts[v] = counts.get(v, 0) + 1
    return StrategyMap(
        source=source,
        scorecard=sc.name,
        n_objectives=len(sc.objectives),
        n_links=len(sc.links),
        n_candidates=len(overlay.candidates) if overlay else 0,
        n_implied=overlay.implied if overlay else 0,
        verdicts=counts,
        warnings=tuple(warn_list),
        edges=tuple(_edge_rows(sc, overlay, caveats)),
        legend=legend,
        caveats=tuple((n, key, tuple(caveats.links[key])) for key, n in caveats.ids.items()),
        inputs=inputs,
    )


def _input_files(**given: ScorecardSource | EvidenceSource | None) -> tuple[tuple[str, str], ...]:
    """(name, path) of each argument that is an existing file (an example name is not a file)."""
    from ..evidence import Evidence

    out = []
    for name, value in given.items():
        path = value.source if isinstance(value, Evidence) else value
        if isinstance(path, (str, os.PathLike)) and os.path.isfile(path):
            out.append((name, os.fspath(path)))
    return tuple(out)


def _edge_rows(sc: Scorecard, overlay: Overlay | None, caveats: _Caveats) -> list[dict[str, Any]]:
    rows = []
    for lk in sc.links:
        le = overlay.links.get(lk.key) if overlay else None
        rob = (le.robustness or {}).get("label") if le else None
        rows.append({
            "kind": "link", "from": lk.source, "to": lk.target,
            "from_objective": sc.objective_of(lk.source).id, "to_objective": sc.objective_of(lk.target).id,
            "verdict": (le.verdict if le else "untested") if overlay else None,
            "estimate": le.estimate if le else None, "standardized_effect": le.standardized if le else None,
            "lags": ",".join(map(str, le.lags)) if le else "", "reverse_flag": bool(le and le.reverse),
            "robustness": rob if rob in ("robust", "fragile") else None,
            "caveats": ",".join(map(str, sorted({caveats.ids[caveat_key(c)] for c in le.caveats}))) if le else "",
        })
    for s in overlay.candidates if overlay else []:
        rows.append({
            "kind": "candidate", "from": s["from_kpi"], "to": s["to_kpi"],
            "from_objective": sc.objective_of(s["from_kpi"]).id, "to_objective": sc.objective_of(s["to_kpi"]).id,
            "verdict": None, "estimate": _as_float(s.get("estimate")), "standardized_effect": None,
            "lags": ",".join(map(str, _lags_of(s.get("lag")))), "reverse_flag": False,
            "robustness": None, "caveats": "",
        })
    return rows

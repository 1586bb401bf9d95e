"""Evidence overlay: how each verdict is drawn, and matching evidence to the scorecard.

The evidence comes from :func:`bsc_toolkit.evidence.validate` (an object with
``to_dict()``), as a dict in the documented JSON format
(``docs/evidence-format.md``) or as the path of that JSON file. Links are
matched to the scorecard by ``from``/``to`` as written in the scorecard, and
failing that by their KPIs; evidence about links the scorecard does not have is
ignored with a warning.

Colour is never the only cue: every verdict also has its own line style,
arrowhead and label text. The colours are from the Okabe–Ito palette, which
stays distinguishable for the common forms of colour blindness.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._format import as_float, fmt_num
from ..errors import DataError
from ..evidence.results import Evidence, load_evidence, map_explanation

if TYPE_CHECKING:
    from .._typing import EvidenceSource
    from ..scorecard.model import Scorecard

__all__ = ["EDGE_STYLES", "VERDICTS", "EdgeStyle", "LinkEvidence", "Overlay", "caveat_key", "effect_label",
           "lag_text", "lighter", "read_evidence"]

#: verdicts an evidence link can have, plus "untested" (in the scorecard, not in the evidence)
VERDICTS: tuple[str, ...] = ("supported", "contradicted", "not_supported", "insufficient_data", "untested")


@dataclass(frozen=True)
class EdgeStyle:
    """How one kind of arrow is drawn, and how the legend explains it."""

    colour: str
    style: str
    arrowhead: str
    legend: str
    tag: str = ""  # short text added to the edge label, so colour is never the only cue


#: Okabe–Ito colours: blue #0072B2, vermillion #D55E00, bluish green #009E73,
#: reddish purple #CC79A7, grey; each kind also has its own line style / arrowhead / tag
EDGE_STYLES: dict[str, EdgeStyle] = {
    "hypothesis": EdgeStyle("#4d4d4d", "solid", "normal",
                            "hypothesised cause-and-effect link (dark grey, solid, filled head)"),
    "supported": EdgeStyle("#0072B2", "solid", "normal",
                           "supported (blue, solid, filled head): expected sign, significant after FDR; "
                           "thicker = larger effect"),
    "contradicted": EdgeStyle("#D55E00", "solid", "tee",
                              "contradicted (vermillion, bar head, \u2717): significant with the opposite sign",
                              "\u2717"),
    "not_supported": EdgeStyle("#8c8c8c", "solid", "empty",
                               "not supported (grey, thin, hollow head, n.s.): not significant after FDR",
                               "n.s."),
    "insufficient_data": EdgeStyle("#8c8c8c", "dotted", "odot",
                                   "insufficient data (grey, dotted, circle head): no verdict; the label "
                                   "says why", "no verdict"),
    "untested": EdgeStyle("#b3b3b3", "dotted", "none",
                          "untested (light grey, dotted, no head): not in the evidence file", "untested"),
    "candidate": EdgeStyle("#009E73", "dashed", "vee",
                           "candidate? (green, dashed): a link found in the data, not hypothesised "
                           "(exploratory)", "candidate?"),
    "reverse": EdgeStyle("#CC79A7", "solid", "diamond",
                         "\u21c4 reverse? (purple diamond tail): the reverse direction is stronger than the "
                         "hypothesised one", "\u21c4 reverse?"),
    "supports": EdgeStyle("#6b6b6b", "dashed", "empty",
                          "supports an objective of the parent scorecard (grey, dashed, hollow head)"),
    # marks added to a link's own style (not kinds of arrow): a fragile verdict
    "fragile": EdgeStyle("#7fb8d8", "solid", "normal",
                         "fragile (lighter line, \u2018fragile\u2019 in the label): the verdict changes "
                         "across defensible specifications", "fragile"),
}


@dataclass(frozen=True)
class LinkEvidence:
    """The evidence drawn on one scorecard link."""

    verdict: str
    estimate: float | None = None
    standardized: float | None = None
    lags: tuple[int, ...] = ()
    q_value: float | None = None
    reason: str = ""
    reverse: dict[str, Any] | None = None
    caveats: tuple[str, ...] = ()
    robustness: dict[str, Any] | None = None

    @property
    def fragile(self) -> bool:
        """True when the evidence labels the verdict ``fragile`` across specifications."""
        return self.robustness is not None and self.robustness.get("label") == "fragile"


@dataclass
class Overlay:
    """Evidence matched to a scorecard's links (keyed by (from, to) as written)."""

    links: dict[tuple[str, str], LinkEvidence] = field(default_factory=dict)
    candidates: list[dict[str, Any]] = field(default_factory=list)
    implied: int = 0  # candidate links the map itself explains (not drawn); see map_explanation
    warnings: list[str] = field(default_factory=list)
    source: str = ""


_num = as_float  # a finite float, or None


def read_evidence(evidence: EvidenceSource) -> tuple[dict[str, Any], str]:
    """Return the evidence as a plain dict (JSON format) and a description of where it came from.

    Read by :func:`bsc_toolkit.evidence.load_evidence`, the one reader of evidence.

    Parameters
    ----------
    evidence : Evidence, dict or path
        An :class:`~bsc_toolkit.evidence.Evidence`, a dict in the ``bsc-evidence/1`` format,
        or its JSON file.

    Raises
    ------
    DataError
        When the file is missing, not JSON or not evidence; the message names the file
        and the place (``links[3].verdict``).

    Examples
    --------
    >>> data, src = read_evidence({"format": "bsc-evidence/1", "links": []})
    >>> data["links"], src
    ([], '<dict>')
    """
    ev = load_evidence(evidence)
    src = ev.source or ("<Evidence>" if isinstance(evidence, Evidence) else "<dict>")
    return ev.to_dict(), src


def build_overlay(scorecard: Scorecard, evidence: EvidenceSource) -> Overlay:
    """Match evidence to the scorecard's links and suggestions to its KPIs."""
    data, src = read_evidence(evidence)
    ov = Overlay(source=src)
    if data.get("scorecard") and data["scorecard"] != scorecard.name:
        ov.warnings.append(
            f"evidence {src} is for scorecard '{data['scorecard']}', the map is of '{scorecard.name}'"
        )

    def kpi_of(x: str) -> str | None:
        try:
            return scorecard.kpi_for(x).id
        except KeyError:
            return None

    by_key = {(lk.source, lk.target): lk for lk in scorecard.links}
    by_kpis: dict[tuple[str | None, str | None], tuple[str, str]] = {}
    for lk in scorecard.links:
        by_kpis.setdefault((kpi_of(lk.source), kpi_of(lk.target)), lk.key)

    for i, raw in enumerate(data.get("links", [])):
        f, t = raw.get("from"), raw.get("to")
        key: tuple[str, str] | None = (f, t) if (f, t) in by_key else None
        fk, tk = raw.get("from_kpi"), raw.get("to_kpi")
        if key is not None and fk and tk:
            lk = by_key[key]
            here = (kpi_of(lk.source), kpi_of(lk.target))
            if here != (fk, tk) and (fk, tk) not in by_kpis:
                # same ids, different KPIs: evidence about another scorecard's link
                ov.warnings.append(
                    f"evidence {src}: links[{i}] {f} -> {t} tested {fk} -> {tk}, but in scorecard "
                    f"'{scorecard.name}' {f} -> {t} is {here[0]} -> {here[1]}; ignored"
                )
                continue
            if here != (fk, tk):
                key = by_kpis[(fk, tk)]
        if key is None:
            key = by_kpis.get((fk, tk)) if fk else None
        if key is None:
            ov.warnings.append(
                f"evidence {src}: links[{i}] {f} -> {t} is not a link of scorecard '{scorecard.name}'; ignored"
            )
            continue
        verdict = raw.get("verdict")
        if verdict not in VERDICTS[:-1]:
            ov.warnings.append(
                f"evidence {src}: links[{i}] {f} -> {t} has verdict {verdict!r}, expected one of "
                f"{', '.join(VERDICTS[:-1])}; drawn as untested"
            )
            verdict = "untested"
        lr = raw.get("long_run") or {}
        method = raw.get("method") or {}
        lags = method.get("lags") or [tm.get("lag") for tm in raw.get("terms") or [] if isinstance(tm, Mapping)]
        lags_t = tuple(sorted({int(x) for x in lags if isinstance(x, (int, float)) and not isinstance(x, bool)}))
        ov.links[key] = LinkEvidence(
            verdict=verdict,
            estimate=_num(lr.get("estimate") if isinstance(lr, Mapping) else None),
            standardized=_num(raw.get("standardized_effect")),
            lags=lags_t,
            q_value=_num(raw.get("q_value")),
            reason=str(raw.get("reason") or ""),
            caveats=_caveats(raw.get("caveats")),
            robustness=dict(raw["robustness"]) if isinstance(raw.get("robustness"), Mapping) else None,
        )
    n_links = len(data.get("links", []))
    if n_links and not ov.links:
        about = f" (it is for scorecard '{data['scorecard']}')" if data.get("scorecard") else ""
        raise DataError(
            f"none of the {n_links} links in the evidence{about} matches a link of scorecard "
            f"'{scorecard.name}'; run `bsc validate` on this scorecard to get its evidence",
            file=src,
        )

    kpi_ids = {k.id for k in scorecard.kpis}
    for i, s in enumerate(data.get("suggestions", []) or []):
        kind = s.get("kind")
        fk, tk = s.get("from_kpi"), s.get("to_kpi")
        if kind == "reverse":
            target = by_kpis.get((fk, tk)) or by_kpis.get((tk, fk))
            if target is None:
                ov.warnings.append(
                    f"evidence {src}: suggestions[{i}] (reverse) {fk} <-> {tk} matches no link of the "
                    f"scorecard; ignored"
                )
                continue
            le = ov.links.get(target) or LinkEvidence("untested")
            ov.links[target] = LinkEvidence(**{**le.__dict__, "reverse": dict(s)})
        elif kind == "candidate":
            missing = [x for x in (fk, tk) if x not in kpi_ids]
            if missing:
                ov.warnings.append(
                    f"evidence {src}: suggestions[{i}] (candidate) names KPI(s) {', '.join(map(str, missing))} "
                    f"that are not in scorecard '{scorecard.name}'; ignored"
                )
                continue
            if scorecard.objective_of(fk).id == scorecard.objective_of(tk).id:
                ov.warnings.append(
                    f"evidence {src}: suggestions[{i}] (candidate) {fk} -> {tk} lies inside one objective; "
                    f"not drawn"
                )
                continue
            if map_explanation(s):
                # the map itself explains it (an indirect path such as L1 -> P1 -> C1 seen as
                # L1 -> C1, a shared driver, or the reverse of a path): not a missing link,
                # so it is counted, not drawn
                ov.implied += 1
                continue
            ov.candidates.append(dict(s))
        else:
            ov.warnings.append(f"evidence {src}: suggestions[{i}] has unknown kind {kind!r}; ignored")
    return ov


def lag_text(lags: tuple[int, ...] | list[int]) -> str:
    """The driver lags in words that cannot be mistaken for objective ids (L1, L2, ...).

    Examples
    --------
    >>> lag_text((1,)), lag_text((1, 2)), lag_text((0, 1, 2)), lag_text((1, 3)), lag_text(())
    ('lag 1', 'lags 1\u20132', 'lags 0\u20132', 'lags 1, 3', '')
    """
    xs = sorted({int(x) for x in lags})
    if not xs:
        return ""
    if len(xs) == 1:
        return f"lag {xs[0]}"
    if xs == list(range(xs[0], xs[-1] + 1)):
        return f"lags {xs[0]}\u2013{xs[-1]}"
    return "lags " + ", ".join(map(str, xs))


def effect_label(estimate: float | None, lags: tuple[int, ...]) -> str:
    """``+0.421 (lag 1)``, ``-0.500 (lags 0\u20131)``: three significant figures; empty without an estimate.

    Examples
    --------
    >>> effect_label(0.4213, (1,))
    '+0.421 (lag 1)'
    >>> effect_label(-0.5, (0, 1))
    '-0.500 (lags 0\u20131)'
    >>> effect_label(0.00012, ())
    '+0.000120'
    """
    if estimate is None:
        return ""
    lag = lag_text(lags)
    return fmt_num(estimate, sign=True) + (f" ({lag})" if lag else "")


def caveat_key(text: str) -> str:
    """The short name of a caveat: the words before its first colon (or its first six words).

    Examples
    --------
    >>> caveat_key("Nickell bias: with unit fixed effects and 11 usable periods ...")
    'Nickell bias'
    >>> caveat_key("the reverse direction is stronger than the hypothesised one and more")
    'the reverse direction is stronger than…'
    """
    head = " ".join(str(text).split())
    if ":" in head and len(head.split(":", 1)[0]) <= 60:
        return head.split(":", 1)[0].strip()
    words = head.split()
    return " ".join(words[:6]) + ("\u2026" if len(words) > 6 else "")


def lighter(colour: str, share: float = 0.5) -> str:
    """``colour`` (``#rrggbb``) mixed with white: the pen of a fragile verdict.

    Examples
    --------
    >>> lighter("#0072B2")
    '#7fb8d8'
    """
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{int(c + (255 - c) * share):02x}" for c in (r, g, b))


def _caveats(raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        return (raw,) if raw.strip() else ()
    if isinstance(raw, (list, tuple)):
        return tuple(str(c) for c in raw if isinstance(c, str) and c.strip())
    return ()


def pen_width(standardized: float | None) -> float:
    """Line width from |standardized effect|: 1.2 for none/0, up to 5 at |0.8| or more."""
    if standardized is None:
        return 1.2
    return round(1.2 + 3.8 * min(abs(standardized), 0.8) / 0.8, 2)

"""The Markdown (Quarto) body of the three report kinds.

Functions here only *write text*: charts and the strategy map are drawn by the
builder beforehand and passed in as ``figures`` (name -> path relative to the
``.qmd``). Every piece of scorecard, evidence or LLM text goes through
:func:`~bsc_toolkit.report._markdown.md_escape` or arrives already sanitised.
Numbers are formatted from the evidence dict with the helpers in ``_markdown``,
so the text and the tables always agree with the results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._format import (
    fmt_ci,
    fmt_count,
    fmt_num,
    fmt_p,
    fmt_share,
    fmt_value,
    letter_label,
    p_phrase,
)
from ._markdown import badge, md_escape, md_table
from .charts import singular_unit as _singular
from .narrative import VERDICT_ORDER, end_name, verdict_counts
from .style import STATUS_LABELS, VERDICT_LABELS

if TYPE_CHECKING:
    from ..history import KPIHistory
    from ..scorecard import KPI, Scorecard, ScoreReport

__all__ = ["ReportContext", "client_body", "handout_body", "validation_body", "KINDS"]

KINDS = ("validation", "client", "handout")


@dataclass
class ReportContext:
    """Everything a report body is written from."""

    scorecard: Scorecard
    score: ScoreReport
    evidence: dict[str, Any] | None = None
    history: KPIHistory | None = None
    figures: dict[str, str] = field(default_factory=dict)
    narrative: str = ""  # sanitised Markdown
    narrative_source: str = ""  # "given", "offline"
    critique: str = ""  # sanitised Markdown
    okrs: str = ""  # sanitised Markdown
    actuals_source: str = "scorecard"
    notes: list[str] = field(default_factory=list)
    #: width / height of figures where known (the strategy map), to size them for the page
    aspects: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------ helpers
def _figure(ctx: ReportContext, key: str, caption: str, width: str = "100%") -> str:
    path = ctx.figures.get(key)
    if not path:
        return ""
    return f"![{caption}]({path}){{#fig-{key.replace('_', '-')} width=\"{width}\"}}\n"


#: A4 text width with the report's margins, and the height a first-page map may take (the summary
#: above it and the page's header and footer stay on the page)
TEXT_WIDTH_CM = 16.8
FIRST_PAGE_MAP_CM = 13.0


def _first_page_width(ctx: ReportContext, key: str, cap: float = 0.8) -> str:
    """A figure width that keeps a tall figure (a strategy map with many lanes) on the first page."""
    aspect = ctx.aspects.get(key)
    if not aspect or aspect <= 0:
        return f"{cap:.0%}"
    return f"{max(0.35, min(cap, FIRST_PAGE_MAP_CM * aspect / TEXT_WIDTH_CM)):.0%}"


def _callout(kind: str, title: str, body: str) -> str:
    return f"::: {{.callout-{kind}}}\n## {title}\n\n{body.strip()}\n:::\n"


def _val(x: float | None, unit: str = "") -> str:
    if x is None:
        return "–"
    return fmt_value(x, "%") if unit.strip() == "%" else fmt_num(x)


def _kpi_cell(k: KPI) -> str:
    unit = (k.unit or "").strip()
    return md_escape(k.name) + (f" ({md_escape(unit)})" if unit and unit != "%" else "")


def _link_cell(sc: Scorecard, lk: Mapping[str, Any]) -> str:
    f, t = str(lk.get("from")), str(lk.get("to"))
    fn, tn = end_name(sc, f), end_name(sc, t)
    left = md_escape(f) if fn == f else f"{md_escape(fn)} ({md_escape(f)})"
    right = md_escape(t) if tn == t else f"{md_escape(tn)} ({md_escape(t)})"
    return f"{left} → {right}"


def _lag_list(lags: Sequence[Any]) -> str:
    """``lag 1``, ``lags 1–2``, ``lags 0, 2`` (the same words as the strategy map)."""
    vals = sorted({int(x) for x in lags if x is not None})
    if not vals:
        return "–"
    if len(vals) == 1:
        return f"lag {vals[0]}"
    if vals == list(range(vals[0], vals[-1] + 1)):
        return f"lags {vals[0]}–{vals[-1]}"
    return "lags " + ", ".join(str(v) for v in vals)


def _link_lags(lk: Mapping[str, Any]) -> list[Any]:
    m = lk.get("method") or {}
    lags = m.get("lags")
    if lags is None:
        lags = [t.get("lag") for t in lk.get("terms") or []]
    return [x for x in lags or [] if x is not None]


def _lags(lk: Mapping[str, Any]) -> str:
    m = lk.get("method") or {}
    lags = [str(x) for x in _link_lags(lk)]
    sel = m.get("lag_selection")
    txt = ", ".join(lags) if lags else "–"
    if sel and sel != "explicit" and lags:
        txt += f" ({md_escape(str(sel).upper() if sel in ('bic', 'aic') else sel)})"
    return txt


def _unit_of(sc: Scorecard, kpi_id: Any) -> str:
    try:
        return str(sc.kpi(str(kpi_id)).unit or "").strip()
    except (KeyError, AttributeError):
        return ""


def _delta_unit(unit: str) -> str:
    """The unit of a *change* in a KPI: percentage points for a percentage."""
    return "pp" if unit == "%" else unit


def effect_cell(lk: Mapping[str, Any]) -> str:
    """Cumulative effect over the lag window and its 95% CI, as printed in the evidence table.

    Examples
    --------
    >>> effect_cell({"long_run": {"estimate": 0.4952, "ci_low": 0.2525, "ci_high": 0.7378}})
    '+0.495 [0.253, 0.738]'
    >>> effect_cell({"long_run": {"estimate": 81234.6, "ci_low": 12000, "ci_high": 150000}})
    '+81,235 [12,000, 150,000]'
    """
    lr = lk.get("long_run") or {}
    if lr.get("estimate") is None:
        return "–"
    return f"{fmt_num(lr.get('estimate'), sign=True)} {fmt_ci(lr.get('ci_low'), lr.get('ci_high'))}"


def _verdict_badge(v: Any) -> str:
    v = str(v)
    if v not in VERDICT_LABELS:
        return md_escape(v)
    return badge("verdict", v, VERDICT_LABELS[v])


def _status_badge(s: str) -> str:
    return badge("status", s, STATUS_LABELS.get(s, s))


def _robust_badge(rob: Mapping[str, Any] | None) -> str:
    label = (rob or {}).get("label")
    if label not in ("robust", "fragile"):
        return ""
    return badge("robustness", str(label), str(label))


def _counts_sentence(counts: Mapping[str, int]) -> str:
    parts = [f"{counts.get(v, 0)} {VERDICT_LABELS[v]}" for v in VERDICT_ORDER]
    return ", ".join(parts)


def _tally(counts: Mapping[str, int]) -> str:
    """The verdict tally with badges: ``[S] supported 9 · [C] contradicted 2 · ...``."""
    return " · ".join(f"{_verdict_badge(v)} **{counts.get(v, 0)}**" for v in VERDICT_ORDER)


def is_unstable(lk: Mapping[str, Any]) -> bool:
    """True when the engine refused a verdict for unstable dynamics (reason starts "unstable dynamics:").

    Examples
    --------
    >>> is_unstable({"verdict": "insufficient_data", "reason": "unstable dynamics: explosive own lags"})
    True
    """
    return str(lk.get("reason") or "").strip().lower().startswith("unstable dynamics:")


# ------------------------------------------------------------------ robustness in words
_FLIP_WORDS = {
    ("transform", "diff"): "differencing",
    ("transform", "detrend"): "detrending",
    ("transform", "none"): "staying in levels",
    ("transform", "auto"): "the automatic transform",
    ("own_lags", "0"): "dropping the outcome's own lags",
    ("lags", "bic"): "choosing the lags by BIC",
    ("lags", "aic"): "choosing the lags by AIC",
    ("effects", "unit"): "unit effects only",
    ("effects", "time"): "time effects only",
    ("effects", "both"): "unit and time effects",
    ("effects", "none"): "no fixed effects",
    ("estimator", "iv-fd"): "the iv-fd estimator",
    ("estimator", "ols"): "the fixed-effects (OLS) estimator",
    ("other_drivers", "included"): "adding the outcome's other drivers in the map",
    ("other_drivers", "excluded"): "leaving out the outcome's other drivers",
}


def _flip_words(flip: str) -> str:
    key, _, val = str(flip).partition("=")
    key, val = key.strip(), val.strip()
    if (key, val) in _FLIP_WORDS:
        return _FLIP_WORDS[(key, val)]
    if key == "own_lags":
        return f"{val} own lags"
    if key == "lags":
        return f"lags {val}"
    return f"{key.replace('_', ' ')} = {val}"


def _flip_outcome(rob: Mapping[str, Any], flip: str, headline: str) -> str | None:
    """The verdict the specifications with ``flip`` mostly give (other than the headline's)."""
    key, _, val = str(flip).partition("=")
    got: dict[str, int] = {}
    for sp in rob.get("specs") or []:
        if str(sp.get(key.strip())) == val.strip() and sp.get("verdict") != headline:
            v = str(sp.get("verdict"))
            got[v] = got.get(v, 0) + 1
    return max(got, key=got.__getitem__) if got else None


def robustness_sentence(lk: Mapping[str, Any]) -> str:
    """One plain sentence on how a link's verdict holds across specifications ('' when not computed).

    Examples
    --------
    >>> robustness_sentence({"verdict": "supported", "robustness": {"n_specs": 12,
    ...     "verdict_counts": {"supported": 10, "not_supported": 2}, "flips": ["transform=diff"],
    ...     "specs": [{"transform": "diff", "verdict": "not_supported"}]}})
    'holds in 10 of 12 specifications; differencing turns it not supported.'
    """
    rob = lk.get("robustness") or {}
    n = rob.get("n_specs")
    if not n:
        return ""
    verdict = str(lk.get("verdict"))
    counts = rob.get("verdict_counts") or {}
    same = counts.get(verdict)
    if same is None and rob.get("agree_share") is not None:
        same = round(float(rob["agree_share"]) * int(n))
    head = f"holds in {same} of {fmt_count(int(n), 'specification')}" if same is not None else \
        f"tested in {fmt_count(int(n), 'specification')}"
    flips = [str(f) for f in rob.get("flips") or []]
    bits = []
    for f in flips[:3]:
        to = _flip_outcome(rob, f, verdict)
        bits.append(f"{_flip_words(f)} turns it {VERDICT_LABELS.get(to, to)}" if to else f"{_flip_words(f)} changes it")
    tail = "; " + ", ".join(bits) if bits else ("; no specification changes the verdict" if same == n else "")
    return md_escape(head + tail) + "."


# ------------------------------------------------------------------ effects in plain words
def _effect_words(sc: Scorecard, lk: Mapping[str, Any]) -> str:
    """'1 h more Training hours is followed by +0.495 pp On-shelf availability (cumulative over lag 1, 95% CI …)'."""
    lr = lk.get("long_run") or {}
    est = lr.get("estimate")
    if est is None:
        return ""
    fk, tk = lk.get("from_kpi") or lk.get("from"), lk.get("to_kpi") or lk.get("to")
    fu, tu = _delta_unit(_unit_of(sc, fk)), _delta_unit(_unit_of(sc, tk))
    one = f"1 {_singular(fu)}" if fu else "one unit"
    lags = _lag_list(_link_lags(lk))
    ci = ""
    if lr.get("ci_low") is not None and lr.get("ci_high") is not None:
        ci = f"; 95% CI {fmt_value(lr.get('ci_low'), tu)} to {fmt_value(lr.get('ci_high'), tu)}"
    txt = (f"{one} more {end_name(sc, str(fk))} is followed by {fmt_value(est, tu, sign=True)} "
           f"{end_name(sc, str(tk))} (cumulative effect over the lag window, {lags}{ci})")
    out = md_escape(txt)
    lrm = lk.get("long_run_multiplier") or {}
    if lrm.get("estimate") is not None:
        out += md_escape(f"; long-run multiplier {fmt_value(lrm.get('estimate'), tu, sign=True)}")
    return out


def _strength(lk: Mapping[str, Any]) -> float:
    v = lk.get("standardized_effect")
    if v is None:
        v = (lk.get("long_run") or {}).get("estimate")
    try:
        return abs(float(v)) if v is not None else 0.0
    except (TypeError, ValueError):
        return 0.0


def _finding(sc: Scorecard, lk: Mapping[str, Any]) -> str:
    rob = _robust_badge(lk.get("robustness"))
    head = f"**{_link_cell(sc, lk)}** {_verdict_badge(lk.get('verdict'))}" + (f" {rob}" if rob else "")
    words = _effect_words(sc, lk)
    q = p_phrase(lk.get("q_value"))
    sent = robustness_sentence(lk)
    body = (words + f", {q}." if words else md_escape(lk.get("reason") or "") + ".")
    if sent:
        body += f" Across specifications it {sent}"
    return f"{head}: {body}"


def top_findings(ctx: ReportContext, limit: int = 3) -> str:
    """The first page's findings: the strongest supported links, every contradicted one, in plain words."""
    sc, ev = ctx.scorecard, ctx.evidence or {}
    links = list(ev.get("links") or [])
    sup = sorted((lk for lk in links if lk.get("verdict") == "supported"), key=_strength, reverse=True)
    con = sorted((lk for lk in links if lk.get("verdict") == "contradicted"), key=_strength, reverse=True)
    items = [_finding(sc, lk) for lk in sup[:limit]] + [_finding(sc, lk) for lk in con[:limit]]
    rest = len(sup) - min(len(sup), limit) + len(con) - min(len(con), limit)
    out = "\n".join(f"- {x}" for x in items)
    if rest:
        out += f"\n\n{fmt_count(rest, 'more link')} with a verdict {'is' if rest == 1 else 'are'} in @tbl-links."
    return out + "\n" if items else "No link is supported or contradicted by the data.\n"


def flags_list(ctx: ReportContext) -> list[str]:
    """Robustness and instability flags for the first page (Markdown bullets, may be empty)."""
    sc, ev = ctx.scorecard, ctx.evidence or {}
    out = []
    for lk in ev.get("links") or []:
        rob = lk.get("robustness") or {}
        if rob.get("label") == "fragile":
            out.append(f"{_robust_badge(rob)} **{_link_cell(sc, lk)}** ({_verdict_badge(lk.get('verdict'))}) "
                       f"{robustness_sentence(lk)}")
        if is_unstable(lk):
            out.append(f"**Unstable dynamics:** {_link_cell(sc, lk)}: no verdict. {md_escape(lk.get('reason'))}.")
    return out


# ------------------------------------------------------------------ caveats
def caveat_numbers(ev: Mapping[str, Any]) -> tuple[dict[str, int], list[tuple[int, str, list[str]]]]:
    """Number every distinct caveat text: (text -> number, [(number, text, links it applies to)]).

    Examples
    --------
    >>> nums, notes = caveat_numbers({"links": [{"from": "A", "to": "B", "caveats": ["x", "y"]},
    ...                                         {"from": "C", "to": "D", "caveats": ["x"]}]})
    >>> nums, [n[2] for n in notes]
    ({'x': 1, 'y': 2}, [['A → B', 'C → D'], ['A → B']])
    """
    nums: dict[str, int] = {}
    where: dict[str, list[str]] = {}
    for lk in ev.get("links") or []:
        for c in lk.get("caveats") or []:
            text = " ".join(str(c).split())
            if not text:
                continue
            if text not in nums:
                nums[text] = len(nums) + 1
                where[text] = []
            where[text].append(f"{lk.get('from')} → {lk.get('to')}")
    return nums, [(n, t, where[t]) for t, n in nums.items()]


def _caveat_marks(lk: Mapping[str, Any], nums: Mapping[str, int]) -> str:
    marks = sorted({nums[t] for t in (" ".join(str(c).split()) for c in lk.get("caveats") or []) if t in nums})
    return ", ".join(f"[{m}]" for m in marks) if marks else "–"


def caveat_notes(ev: Mapping[str, Any]) -> str:
    """The caveat texts under the evidence table, numbered like the marks in its Caveats column."""
    _, notes = caveat_numbers(ev)
    if not notes:
        return ""
    lines = ["**Caveats per link** (the numbers in the Caveats column of @tbl-links):\n"]
    for n, text, where in notes:
        lines.append(f"- \\[{n}\\] {md_escape(text)} *({md_escape(', '.join(where))})*")
    return "\n".join(lines) + "\n"


def evidence_table(ctx: ReportContext) -> str:
    """The per-link evidence table (``tbl-links``) with caveat marks; the caveats follow under it."""
    ev = ctx.evidence or {}
    nums, _ = caveat_numbers(ev)
    has_rob = any((lk.get("robustness") or {}).get("n_specs") for lk in ev.get("links") or [])
    rows = []
    for lk in ev.get("links") or []:
        exp = {"positive": "+", "negative": "−"}.get(str(lk.get("expected_sign")), md_escape(lk.get("expected_sign")))
        row = [_link_cell(ctx.scorecard, lk), _lags(lk), exp, effect_cell(lk), fmt_p(lk.get("q_value")),
               _verdict_badge(lk.get("verdict"))]
        if has_rob:
            rob = lk.get("robustness") or {}
            share = ""
            if rob.get("n_specs"):
                same = (rob.get("verdict_counts") or {}).get(str(lk.get("verdict")))
                share = f"{same}/{rob['n_specs']}" if same is not None else fmt_share(rob.get("agree_share"))
            row.append((_robust_badge(rob) + " " + share).strip() or "–")
        row.append(_caveat_marks(lk, nums))
        rows.append(row)
    header = ["Link (driver → outcome)", "Lags", "Sign", "Cumulative effect over the lag window [95% CI]", "q",
              "Verdict"]
    widths, align = [31, 6, 5, 22, 7, 18], "llcrrl"
    if has_rob:
        header.append("Robustness")
        widths.append(12)
        align += "l"
    header.append("Caveats")
    widths.append(8)
    align += "l"
    table = md_table(
        header, rows, widths=widths, align=align,
        caption="Evidence for every hypothesised link: the cumulative effect over the lag window (sum of the "
        "driver's lag coefficients, in the outcome's units per unit of the driver) with its 95% confidence "
        "interval, the false-discovery-rate adjusted q-value and the verdict. Sign is the expected sign"
        + ("; robustness says in how many defensible specifications the verdict holds" if has_rob else "")
        + ". Caveat numbers refer to the list under the table.",
        label="tbl-links",
    )
    notes = caveat_notes(ev)
    return table + ("\n\n" + notes if notes else "")


def _records_table(records: Sequence[Mapping[str, Any]], caption: str, label: str, max_cols: int = 7) -> str:
    """A generic table of scalar fields (for evidence sections whose shape may grow)."""
    keys: list[str] = []
    for r in records:
        for k, v in r.items():
            if k not in keys and (v is None or isinstance(v, (str, int, float, bool, list))):
                keys.append(k)
    keys = keys[:max_cols]

    def cell(v: Any) -> str:
        if v is None:
            return "–"
        if isinstance(v, bool):
            return "yes" if v else "no"
        if isinstance(v, (int, float)):
            return fmt_num(v)
        if isinstance(v, list):
            if all(isinstance(x, (str, int, float)) for x in v):
                return md_escape(" → ".join(str(x) for x in v))
            return f"{len(v)} items"
        return md_escape(v)

    rows = [[cell(r.get(k)) for k in keys] for r in records]
    return md_table([md_escape(k.replace("_", " ")) for k in keys], rows, caption=caption, label=label)


def _front_sections_intro(sc: Scorecard) -> str:
    bits = []
    if sc.organisation:
        bits.append(f"**Organisation:** {md_escape(sc.organisation)}")
    if sc.period:
        bits.append(f"**Period:** {md_escape(sc.period)}")
    if sc.sector:
        bits.append(f"**Sector:** {md_escape(sc.sector)}")
    out = "  \n".join(bits)
    if sc.mission:
        out += f"\n\n**Mission.** {md_escape(sc.mission)}"
    if sc.vision:
        out += f"\n\n**Vision.** {md_escape(sc.vision)}"
    return out.strip() + "\n" if out.strip() else ""


def _data_sentence(ev: Mapping[str, Any]) -> str:
    d = ev.get("data") or {}
    if not d:
        return "The evidence file does not describe the data it was computed from."
    n_units = d.get("n_units")
    panel = d.get("is_panel") if d.get("is_panel") is not None else (d.get("layout") == "panel" or (n_units or 1) > 1)
    kind = f"a panel of {fmt_count(int(n_units or 0), 'unit')}" if panel else "a single series"
    span = ""
    if d.get("first_period") is not None and d.get("last_period") is not None:
        span = f", {md_escape(d.get('first_period'))} to {md_escape(d.get('last_period'))}"
    freq = f" {md_escape(d.get('frequency'))}" if d.get("frequency") else ""
    src = f" from {md_escape(d.get('source'))}" if d.get("source") else ""
    n_per = d.get("n_periods")
    per = f"{n_per}{freq} periods" if n_per is not None else f"{freq.strip() or 'its'} periods"
    return f"The links were tested on {kind} over {per}{span}{src}."


def data_section(ev: Mapping[str, Any]) -> str:
    """The "Data" section: what the evidence was computed from (the file's ``data`` key)."""
    d = ev.get("data") or {}
    if not d:
        return "The evidence file does not describe the data it was computed from.\n"
    out = [_data_sentence(ev)]
    bits = []
    if d.get("layout"):
        bits.append(f"layout: {md_escape(d.get('layout'))}")
    if d.get("grid_gaps"):
        units = d.get("gap_units")
        bits.append(f"{fmt_count(int(d['grid_gaps']), 'gap')} in the period grid"
                    + (f" ({fmt_count(int(units), 'unit')} affected)" if isinstance(units, int) else ""))
    if bits:
        out.append(md_escape("; ".join(bits).capitalize()) + ".")
    rows = []
    share = d.get("missing_share") or {}
    mapped = d.get("columns_mapped") or {}
    for kpi in sorted(set(share) | set(mapped)):
        col = mapped.get(kpi)
        rows.append([md_escape(kpi), md_escape(col) if col is not None and col != kpi else "same",
                     fmt_share(share.get(kpi)) if kpi in share else "–"])
    text = " ".join(out) + "\n"
    if rows:
        text += "\n" + md_table(["KPI", "Column in the data", "Missing"], rows, widths=[30, 30, 10], align="llr",
                                caption="KPIs, the data columns they were read from and their share of missing "
                                "values.", label="tbl-data") + "\n"
    conv = d.get("conversions") or []
    if conv:
        text += "\nValues converted while reading: " + "; ".join(
            f"{md_escape(c.get('column'))}: {md_escape(c.get('what'))}"
            + (f" ({fmt_count(int(c['cells']), 'cell')})" if isinstance(c.get("cells"), int) else "")
            for c in conv if isinstance(c, Mapping)) + ".\n"
    merged = d.get("merged_units") or []
    if merged:
        text += "\nUnit names merged as spellings of one unit: " + "; ".join(
            f"{md_escape(', '.join(str(v) for v in m.get('variants') or []))} → {md_escape(m.get('into'))}"
            for m in merged if isinstance(m, Mapping)) + ".\n"
    notes = d.get("notes") or []
    if notes:
        text += "\n" + "\n".join(f"- {md_escape(n)}" for n in notes) + "\n"
    return text


# ------------------------------------------------------------------ validation
def _method_text(ev: Mapping[str, Any]) -> str:
    s = ev.get("settings") or {}
    mt = ev.get("multiple_testing") or {}
    links = ev.get("links") or []
    own = s.get("own_lags")
    crit = s.get("lag_criterion") or "an information criterion"
    transforms: dict[str, int] = {}
    for lk in links:
        t = (lk.get("method") or {}).get("transform")
        if t:
            transforms[str(t)] = transforms.get(str(t), 0) + 1
    tr_counts = ", ".join(f"{md_escape(k)} for {fmt_count(v, 'link')}" for k, v in sorted(transforms.items()))
    effects = str(s.get("effects", "–"))
    eff_txt = {
        "none": "No fixed effects were used.",
        "unit": "Unit fixed effects compare each unit with itself over time, so stable differences between units "
        "(a big store versus a small one) cannot masquerade as an effect.",
        "time": "Time fixed effects remove shocks common to all units in a period (a holiday quarter, a recession).",
        "both": "Unit and time fixed effects compare each unit with itself over time and remove shocks common to all "
        "units in a period, so neither stable differences between units nor shared shocks count as an effect.",
    }.get(effects, f"Fixed effects: {md_escape(effects)}.")
    cov = str(s.get("cov", "–"))
    cov_txt = {
        "clustered": "Standard errors are clustered by unit: repeated observations of the same unit are not treated "
        "as independent pieces of evidence.",
        "hac": "Standard errors are HAC (Newey–West): they allow for autocorrelation and changing variance over time "
        "in a single series.",
        "robust": "Standard errors are heteroskedasticity-robust.",
        "unadjusted": "Standard errors are the classical ones (no adjustment).",
    }.get(cov, f"Covariance: {md_escape(cov)}.")
    n_tests = mt.get("n_tests", len(links))
    alpha = mt.get("alpha", s.get("alpha", 0.05))
    items = [
        f"**Time order (lags).** Each link uses past values of the driver: the lags written in the scorecard, or, "
        f"when a link gives only a maximum, the lags up to {md_escape(s.get('max_lag', '–'))} chosen by "
        f"{md_escape(str(crit).upper() if crit in ('bic', 'aic') else crit)}. Lag 0 (same period) is used only where the "
        "scorecard asks for it.",
        f"**The outcome's own past.** The outcome's own previous {md_escape(own)} value(s) are controlled for, so a "
        "driver counts only if it predicts the outcome beyond what the outcome's own history already predicts.",
        f"**Trends and unit roots.** Two trending series always look correlated. With transform "
        f"'{md_escape(s.get('transform', '–'))}' the series are tested for unit roots and trends (ADF and KPSS tests) "
        f"and detrended or differenced where needed{': ' + tr_counts if tr_counts else ''}.",
        f"**Fixed effects ({md_escape(effects)}).** {eff_txt}",
        f"**Uncertainty ({md_escape(cov)}).** {cov_txt}",
        f"**Many tests at once.** {fmt_count(int(n_tests), 'link')} {'was' if n_tests == 1 else 'were'} tested. "
        f"With so many tests some would look significant by chance, so p-values are turned into q-values "
        f"({_mt_name(mt.get('method'))}), which keep the expected share of false discoveries among the supported "
        f"links at or below {fmt_num(alpha)}.",
        "**Effect sizes.** The *cumulative effect over the lag window* is the sum of the driver's lag coefficients: "
        "how much the outcome moves, in its own units, over the lags tested after a one-unit change in the driver. "
        "Where the outcome's own lags are modelled, the *long-run multiplier* is the permanent response: the "
        "cumulative effect divided by one minus the sum of the own-lag coefficients.",
    ]
    ctrl = s.get("controls") or []
    if ctrl:
        items.append("**Controls.** " + ", ".join(md_escape(c) for c in ctrl) + " are held constant in every model.")
    return "\n".join(f"- {x}" for x in items) + "\n"


def _mt_name(method: Any) -> str:
    m = str(method or "benjamini-hochberg")
    return {"benjamini-hochberg": "Benjamini–Hochberg", "bh": "Benjamini–Hochberg", "fdr_bh": "Benjamini–Hochberg",
            "bonferroni": "Bonferroni", "holm": "Holm"}.get(m.lower(), md_escape(m))


def _verdict_rules(alpha: Any) -> str:
    a = fmt_num(alpha if alpha is not None else 0.05)
    rows = [
        [_verdict_badge("supported"), f"the cumulative effect has the expected sign and q ≤ {a}"],
        [_verdict_badge("contradicted"), f"q ≤ {a} but the effect has the opposite sign"],
        [_verdict_badge("not_supported"), f"the link could be estimated but q > {a}"],
        [_verdict_badge("insufficient_data"), "no verdict: the data cannot support one (the reason is given; "
         "\"unstable dynamics\" means an explosive or unit-root model, whose estimates are not interpreted)"],
    ]
    return md_table(["Verdict", "Meaning"], rows, widths=[22, 60], caption="How verdicts are given.",
                    label="tbl-verdicts")


def _first_caveats(ev: Mapping[str, Any], counts: Mapping[str, int], limit: int = 3) -> list[str]:
    """The most important caveats for the first page: the general one, then the most frequent per-link ones."""
    out = ["**Predictive, not proof of cause.** A supported link means the driver's past predicts the outcome "
           "beyond the outcome's own past in this data; a third factor can produce the same pattern."]
    _, notes = caveat_numbers(ev)
    for n, text, where in sorted(notes, key=lambda x: -len(x[2]))[:limit]:
        out.append(f"\\[{n}\\] {md_escape(text)} *({fmt_count(len(where), 'link')})*")
    if counts.get("insufficient_data"):
        out.append(f"{fmt_count(counts['insufficient_data'], 'link')} could not be tested; the reasons are in "
                   "@tbl-details.")
    return out


def validation_body(ctx: ReportContext) -> str:
    """Body of the validation report: a first page a client reads, then method, evidence, details."""
    sc, ev = ctx.scorecard, ctx.evidence or {}
    links = ev.get("links") or []
    counts = verdict_counts(ev)
    alpha = (ev.get("multiple_testing") or {}).get("alpha", (ev.get("settings") or {}).get("alpha", 0.05))
    parts: list[str] = []
    summary = (
        f"{fmt_count(len(links), 'hypothesised cause-and-effect link')} of the scorecard "
        f"{'was' if len(links) == 1 else 'were'} tested against KPI history: {_counts_sentence(counts)}.\n\n"
        f"{_tally(counts)}\n\n{_data_sentence(ev)} The full results are in @tbl-links."
    )
    parts.append(_callout("note", "Summary", summary))
    if "strategy_map" in ctx.figures:
        parts.append(_figure(ctx, "strategy_map", f"Strategy map of {md_escape(sc.name)} with the evidence per "
                             "link (arrow colour = verdict).", width=_first_page_width(ctx, "strategy_map")))
    parts.append("## Key findings {#sec-findings}\n")
    parts.append(top_findings(ctx))
    flags = flags_list(ctx)
    if flags:
        parts.append(_callout("warning", "Flags", "\n".join(f"- {f}" for f in flags)))
    parts.append(_callout("important", "Most important caveats",
                          "\n".join(f"- {c}" for c in _first_caveats(ev, counts))
                          + "\n\nAll caveats are under @tbl-links and in [Reading these results with care](#sec-caveats)."))
    parts.append("## What the results say {#sec-reading}\n")
    src = {"given": "", "offline": "*This reading was generated from the numbers below (no language model).*\n\n"}
    parts.append(src.get(ctx.narrative_source, "") + (ctx.narrative or "No interpretation available.\n"))
    parts.append("## Evidence per link {#sec-links}\n")
    parts.append(evidence_table(ctx) + "\n")
    if "coefficients" in ctx.figures:
        parts.append(
            "@fig-coefficients puts every link on one scale, the standardized effect (standard deviations of the "
            "outcome per standard deviation of the driver), so links measured in very different units can be "
            "compared; the label beside each link gives its cumulative effect in the KPIs' own units. An interval "
            "that crosses zero means the data are compatible with no effect.\n"
        )
        parts.append(_figure(ctx, "coefficients", "Standardized effect of each link with its 95% confidence "
                             "interval, coloured by verdict, labelled with the effect in KPI units."))
    if "lag_profiles" in ctx.figures:
        parts.append("@fig-lag-profiles shows how each effect unfolds over the lags tested.\n")
        parts.append(_figure(ctx, "lag_profiles", "Lag profiles: estimate and 95% confidence interval per lag."))
    rob_links = [lk for lk in links if (lk.get("robustness") or {}).get("n_specs")]
    if rob_links:
        parts.append("## Robustness across specifications {#sec-robustness}\n")
        parts.append(
            "Each link was re-estimated over a documented grid of defensible specifications (transform, lags, own "
            "lags, fixed effects, estimator). A verdict that holds across most of them is *robust*; one that a "
            "defensible change overturns is *fragile*.\n"
        )
        parts.append("\n".join(f"- **{_link_cell(sc, lk)}** {_robust_badge(lk.get('robustness'))} "
                               f"{robustness_sentence(lk)}" for lk in rob_links) + "\n")
        if "robustness" in ctx.figures:
            parts.append(_figure(ctx, "robustness", "Specification curves: the effect with its 95% confidence "
                                 "interval in every specification, sorted, coloured by verdict; the ringed point "
                                 "is the reported specification."))
    parts.append("## How the links were tested {#sec-method}\n")
    parts.append(_method_text(ev))
    parts.append(_verdict_rules(alpha) + "\n")
    parts.append("## Data {#sec-data}\n")
    parts.append(data_section(ev))
    parts.append("## Driver models and out-of-sample checks {#sec-drivers}\n")
    parts.append(drivers_section(ev))
    parts.append("## Chain effects {#sec-chains}\n")
    parts.append(chains_section(ev))
    warnings = ev.get("warnings") or []
    if warnings:
        parts.append(_callout("warning", "Warnings from the analysis", "\n".join(f"- {md_escape(w)}" for w in warnings)))
    parts.append("## Reading these results with care {#sec-caveats}\n")
    caveats = [
        "**Correlation is not causation.** A supported link means the driver's past values predict the outcome "
        "beyond the outcome's own past, in this data. A third factor that moves both, or a change in how KPIs "
        "were measured, can produce the same pattern.",
        f"**\"Not supported\" is not \"disproved\".** {fmt_count(counts['not_supported'], 'link')} "
        f"{'was' if counts['not_supported'] == 1 else 'were'} not supported. The effect may be absent, too small "
        "for this much data to detect, or slower than the lags tested; a confidence interval that includes "
        "meaningful effects says the data are simply not informative enough.",
        f"**Contradicted links deserve a conversation.** {fmt_count(counts['contradicted'], 'link')} showed a "
        "significant effect with the opposite sign. Check the KPI definitions and directions first, then the "
        "strategic assumption.",
        f"**Some links could not be tested.** {fmt_count(counts['insufficient_data'], 'link')} had insufficient "
        "data; the reasons are in @tbl-details.",
        "**Effects are averages.** They describe the typical unit over the period observed, not every unit, and "
        "not the future under a different strategy.",
    ]
    _, notes = caveat_numbers(ev)
    caveats += [f"\\[{n}\\] {md_escape(text)} *({md_escape(', '.join(where))})*" for n, text, where in notes]
    parts.append(_callout("warning", "Caveats for non-statisticians", "\n".join(f"- {c}" for c in caveats)))
    parts.append("## Appendix A: details per link {#sec-appendix}\n")
    parts.append(details_table(ctx) + "\n")
    parts.append("## Appendix B: suggested links (exploratory) {#sec-suggestions}\n")
    parts.append(suggestions_section(ev))
    return "\n".join(p.rstrip() + "\n" for p in parts if p)


def details_table(ctx: ReportContext) -> str:
    """Per link: how it was estimated (transform and why, lags, observations used and dropped) and the reason.

    Why a transform was chosen is usually the same sentence for many links: each distinct
    sentence is said once under the table and referred to by a letter.
    """
    sc, ev = ctx.scorecard, ctx.evidence or {}
    why: dict[str, str] = {}
    rows = []
    for lk in ev.get("links") or []:
        m = lk.get("method") or {}
        tr = md_escape(m.get("transform")) or "–"
        reason = " ".join(str(m.get("transform_reason") or "").split())
        if reason:
            letter = why.setdefault(reason, _letter(len(why)))
            tr += f" ({letter})"
        sel = m.get("lag_selection")
        lags = _lag_list(_link_lags(lk)) + (f", {md_escape(sel)}" if sel else "")
        n = "–" if lk.get("n_obs") is None else fmt_count(int(lk["n_obs"]), "row")
        if lk.get("n_dropped"):
            n += f"; {int(lk['n_dropped']):,} dropped (missing)"
        lrm = (lk.get("long_run_multiplier") or {})
        mult = "–" if lrm.get("estimate") is None else \
            f"{fmt_num(lrm.get('estimate'), sign=True)} {fmt_ci(lrm.get('ci_low'), lrm.get('ci_high'))}"
        rows.append([
            _link_cell(sc, lk),
            md_escape(m.get("estimator")) or "–",
            tr, md_escape(lags), n, mult,
            md_escape(lk.get("reason")) or "–",
        ])
    table = md_table(["Link", "Estimator", "Transform", "Lags", "Observations", "Long-run multiplier [95% CI]",
                      "Reason for the verdict"], rows, widths=[20, 9, 9, 10, 12, 13, 27], align="lllllrl",
                     caption="How each link was estimated: the transform (why: see the letters under the table), "
                     "the lags and how they were chosen, the rows used and dropped for missing values, the "
                     "long-run multiplier (permanent response) where the outcome's own lags are modelled, and "
                     "the reason for the verdict.", label="tbl-details")
    if why:
        table += "\n\n**Why each transform was chosen:**\n\n" + "\n".join(
            f"- ({letter}) {md_escape(text)}" for text, letter in why.items())
    return table


def _letter(i: int) -> str:
    """a, b, ..., z, aa, ab, ... (labels of repeated notes)."""
    return letter_label(i)


def _est_ci(e: Mapping[str, Any] | None) -> str:
    e = e or {}
    if e.get("estimate") is None:
        return "–"
    return f"{fmt_num(e.get('estimate'), sign=True)} {fmt_ci(e.get('ci_low'), e.get('ci_high'))}"


def drivers_section(ev: Mapping[str, Any]) -> str:
    """Driver models: joint test, per-driver cumulative effects, out-of-sample RMSE vs. the baseline."""
    drivers = ev.get("drivers") or []
    if not drivers:
        return "Not computed: the evidence contains no driver models or out-of-sample results.\n"
    out = [
        "Each lagging Financial KPI is explained by **all** the leading KPIs that reach it in the map at once "
        "(direct drivers and drivers of drivers), with the same design as the link tests. The joint test asks "
        "whether the leading KPIs together add anything beyond the KPI's own past; the out-of-sample check "
        "refits the model on earlier periods only and forecasts the next period, compared with a forecast from "
        "the KPI's own past alone (relative RMSE below 1 = the leading KPIs help).\n"
    ]
    rows = []
    for m in drivers:
        name = md_escape(m.get("outcome_kpi"))
        if m.get("status") != "estimated":
            rows.append([name, "–", "–", "–", "–", "–", md_escape(m.get("reason"))])
            continue
        jt = m.get("joint_test") or {}
        oos = m.get("out_of_sample") or {}
        if oos.get("status") == "estimated":
            rm = f"{fmt_num(oos.get('rmse'))} / {fmt_num(oos.get('rmse_baseline'))}"
            rel, dm = fmt_num(oos.get("relative_rmse")), fmt_p(oos.get("dm_p_value"))
            concl = md_escape(oos.get("conclusion"))
        else:
            rm, rel, dm, concl = "–", "–", "–", md_escape(oos.get("reason") or "not computed")
        rows.append([name, str(len(m.get("drivers") or [])), fmt_p(jt.get("p_value")), rm, rel, dm, concl])
    out.append(md_table(["Financial KPI", "Leading KPIs", "Joint p", "RMSE model / own past", "Relative RMSE",
                         "DM p", "Out-of-sample conclusion"], rows, widths=[18, 8, 8, 16, 9, 7, 34],
                        align="lrrrrrl", caption="Driver models: joint test and out-of-sample forecast accuracy "
                        "(rolling origin, one step ahead; DM = approximate Diebold-Mariano test, one-sided).",
                        label="tbl-drivers") + "\n")
    rows = []
    for m in drivers:
        if m.get("status") != "estimated":
            continue
        for d in m.get("drivers") or []:
            lr = d.get("long_run") or {}
            rows.append([md_escape(m.get("outcome_kpi")), md_escape(d.get("kpi")),
                         "direct" if d.get("direct") else "indirect",
                         md_escape(",".join(str(x) for x in d.get("lags") or [])), _est_ci(lr),
                         fmt_p(lr.get("p_value"))])
    if rows:
        out.append(md_table(["Financial KPI", "Leading KPI", "Path", "Lags", "Cumulative effect [95% CI]", "p"],
                            rows, widths=[20, 24, 9, 6, 26, 8], align="lllrrr",
                            caption="Per-driver cumulative effects over the lag window in the joint driver models "
                            "(holding the other leading KPIs fixed).", label="tbl-driver-effects") + "\n")
    return "\n".join(out)


def chains_section(ev: Mapping[str, Any]) -> str:
    """Chains: path, indirect effect with its bootstrap CI, supported steps."""
    chains = ev.get("chains") or []
    if not chains:
        return "Not computed: the evidence contains no chain (indirect) effects.\n"
    bs: Mapping[str, Any] = next((c.get("bootstrap") for c in chains if c.get("bootstrap")), {}) or {}
    how = (f"The intervals come from a bootstrap with {bs.get('replications')} replications "
           f"({md_escape(bs.get('method'))})." if bs.get("replications") else
           "The intervals use the delta-method (Sobel) standard error.")
    out = ["Indirect effects along Learning → Process → Customer → Financial paths: the product of the steps' "
           "cumulative effects over their lag windows, i.e. how much the Financial KPI moves per unit of the first "
           "KPI through this path. " + how + " A chain is only as strong as its weakest step.\n"]
    rows = []
    for c in chains:
        path = " → ".join(md_escape(x) for x in c.get("path") or [])
        ie = c.get("indirect_effect") or {}
        n_sup = len(c.get("supported_steps") or [])
        rows.append([path, " → ".join(md_escape(x) for x in c.get("kpis") or []),
                     _est_ci(ie) if c.get("status") == "estimated" else md_escape(c.get("reason")),
                     f"{n_sup} of {len(c.get('steps') or [])}"])
    out.append(md_table(["Path", "KPIs", "Indirect effect [95% CI]", "Steps supported"], rows,
                        widths=[22, 40, 24, 10], align="llrr",
                        caption="Chain (indirect) effects with bootstrap confidence intervals.",
                        label="tbl-chains") + "\n")
    return "\n".join(out)


def suggestions_section(ev: Mapping[str, Any]) -> str:
    """EXPLORATORY suggestions: one compact table, the explanation said once."""
    sugg = ev.get("suggestions") or []
    info = ev.get("discovery") or {}
    if not sugg:
        if info:
            n = (info.get("candidates") or {}).get("n_tested", 0)
            r = (info.get("reverse") or {}).get("n_tested", 0)
            return (f"**Exploratory search:** {fmt_count(int(n), 'KPI pair')} not linked in the map and the reverse "
                    f"direction of {fmt_count(int(r), 'link')} were tested; nothing stood out after the "
                    "false-discovery-rate correction.\n")
        return "Not computed: the evidence contains no suggested links.\n"
    out = [
        "**Exploratory.** These links were not hypothesised in the scorecard; they come from a search through the "
        "data and are leads to discuss, not findings (searching many pairs always turns up some). q-values are "
        "corrected within the search. *candidate*: a KPI pair the map does not link; *reverse*: the outcome "
        "predicts the driver more strongly than the other way round.\n"
    ]
    from ..evidence.results import map_explanation

    explained = [s for s in sugg if map_explanation(s)]
    if explained:
        out.append(
            f"{len(explained)} of the {fmt_count(len(sugg), 'suggestion')} may be explained by the map itself: an "
            "indirect path, a driver the two KPIs share, or the reverse of a path. KPIs on one chain predict each "
            "other even without a direct link, so these are listed last and are not evidence of a missing link.\n"
        )
    rows = []
    for s in sorted(sugg, key=lambda x: (map_explanation(x) is not None, x.get("q_value") or 1.0)):
        lags = s.get("lags") if s.get("lags") is not None else s.get("lag")
        lags = ",".join(str(x) for x in lags) if isinstance(lags, list) else ("–" if lags is None else str(lags))
        why = map_explanation(s)
        note = why if why else ("the map does not explain it" if s.get("kind") == "candidate"
                                else "reverse direction stronger")
        rows.append([md_escape(s.get("kind")), f"{md_escape(s.get('from_kpi'))} → {md_escape(s.get('to_kpi'))}",
                     md_escape(lags), fmt_num(s.get("estimate"), sign=True),
                     fmt_num(s.get("standardized_effect"), sign=True) if s.get("standardized_effect") is not None
                     else "–", fmt_p(s.get("q_value")), md_escape(note)])
    out.append(md_table(["Kind", "Driver → outcome", "Lags", "Estimate", "Std. effect", "q",
                         "Explained by the map?"], rows,
                        widths=[9, 30, 5, 9, 8, 7, 26], align="llrrrrl",
                        caption="Exploratory suggestions from the data (not hypothesised; leads, not findings).",
                        label="tbl-suggestions") + "\n")
    return "\n".join(out)


# ------------------------------------------------------------------ client
def _scorecard_tables(ctx: ReportContext) -> str:
    from ..scorecard import PERSPECTIVE_ORDER

    sc, rep = ctx.scorecard, ctx.score
    out = []
    for p in reversed(PERSPECTIVE_ORDER):
        objs = sc.objectives_in(p)
        if not objs:
            continue
        pr = rep.perspective(p.value)
        pscore = "no score" if pr.score is None else f"score {pr.score:.2f}"
        out.append(f"### {p.label} {{#sec-{p.value.replace('_', '-')}}}\n")
        out.append(f"Perspective {pscore} {_status_badge(pr.status)}\n")
        rows = []
        for o in objs:
            for i, k in enumerate(o.kpis):
                st = rep.kpi(k.id)
                rows.append([
                    md_escape(o.name) if i == 0 else " ",
                    _kpi_cell(k),
                    _val(k.baseline, k.unit),
                    _val(k.target, k.unit),
                    _val(st.actual, k.unit),
                    "–" if st.score is None else f"{st.score:.1f}",
                    _status_badge(st.status),
                ])
            if not o.kpis:
                rows.append([md_escape(o.name), "*no KPI*", "–", "–", "–", "–", _status_badge("no_data")])
        out.append(md_table(["Objective", "KPI", "Baseline", "Target", "Actual", "Score", "Status"], rows,
                            widths=[24, 30, 10, 10, 10, 7, 10], align="llrrrrl",
                            caption=f"{p.label}: objectives, KPIs and their status.",
                            label=f"tbl-{p.value.replace('_', '-')}") + "\n")
    return "\n".join(out)


def _initiatives(ctx: ReportContext) -> str:
    sc = ctx.scorecard
    if not sc.initiatives:
        return "The scorecard lists no initiatives.\n"
    rows = []
    for ini in sc.initiatives:
        budget = "–"
        if ini.budget is not None:
            budget = fmt_num(ini.budget) + (f" {md_escape(ini.currency)}" if ini.currency else "")
        dates = " – ".join(str(d) for d in (ini.start, ini.end) if d) or "–"
        serves = ", ".join(md_escape(end_name(sc, oid)) for oid in ini.objectives) or "–"
        rows.append([md_escape(ini.name), md_escape(ini.owner) or "–", budget, dates, serves])
    return md_table(["Initiative", "Owner", "Budget", "Dates", "Objectives served"], rows,
                    widths=[24, 15, 15, 20, 28], align="llrll",
                    caption="Strategic initiatives and the objectives they serve.", label="tbl-initiatives") + "\n"


def _exec_summary(ctx: ReportContext) -> str:
    rep = ctx.score
    n = len(rep.kpis)
    cnt = {s: sum(1 for k in rep.kpis if k.status == s) for s in ("green", "amber", "red", "no_data")}
    overall = "no overall score" if rep.overall.score is None else f"an overall score of {rep.overall.score:.2f} out of 10"
    lines = [
        f"{md_escape(ctx.scorecard.name)} has {fmt_count(len(ctx.scorecard.objectives), 'objective')} measured by "
        f"{fmt_count(n, 'KPI')}, with {overall} ({STATUS_LABELS[rep.overall.status]}). {cnt['green']} "
        f"{'KPI is' if cnt['green'] == 1 else 'KPIs are'} green, {cnt['amber']} amber, {cnt['red']} red and "
        f"{cnt['no_data']} without data."
    ]
    scored = [(p.score, p) for p in rep.perspectives if p.score is not None]
    if scored:
        best = max(scored, key=lambda t: t[0])[1]
        worst = min(scored, key=lambda t: t[0])[1]
        if best.id != worst.id:
            lines.append(f"The strongest perspective is {best.name} ({best.score:.2f}); "
                         f"{worst.name} ({worst.score:.2f}) needs the most attention.")
    if ctx.actuals_source != "scorecard":
        lines.append(f"Actual values are the latest values in the KPI history ({md_escape(ctx.actuals_source)}).")
    text = " ".join(lines)
    if ctx.evidence:
        c = verdict_counts(ctx.evidence)
        text += (f" Of the {fmt_count(len(ctx.evidence.get('links') or []), 'cause-and-effect link')} tested "
                 f"against data, {_counts_sentence(c)}.\n\n{_tally(c)}")
    return text


def client_body(ctx: ReportContext) -> str:
    """Body of the client report: a first page (summary, map, findings, caveats), then the scorecard in detail."""
    sc = ctx.scorecard
    parts: list[str] = [_callout("note", "Executive summary", _exec_summary(ctx))]
    if "strategy_map" in ctx.figures:
        parts.append(_figure(ctx, "strategy_map", f"Strategy map of {md_escape(sc.name)}"
                             + (" with the evidence per link (arrow colour = verdict)." if ctx.evidence else "."),
                             width=_first_page_width(ctx, "strategy_map")))
    if ctx.evidence:
        parts.append("## Key findings {#sec-findings}\n")
        parts.append(top_findings(ctx))
        flags = flags_list(ctx)
        if flags:
            parts.append(_callout("warning", "Flags", "\n".join(f"- {f}" for f in flags)))
        counts = verdict_counts(ctx.evidence)
        parts.append(_callout("important", "Most important caveats",
                              "\n".join(f"- {c}" for c in _first_caveats(ctx.evidence, counts)
                                        if "@tbl-details" not in c)))
    intro = _front_sections_intro(sc)
    if intro or sc.description:
        parts.append("## About this scorecard {#sec-about}\n")
        if sc.description:
            parts.append(md_escape(sc.description) + "\n")
        parts.append(intro)
    if ctx.narrative:
        parts.append("## Interpretation {#sec-interpretation}\n")
        parts.append(ctx.narrative)
    parts.append("## The scorecard by perspective {#sec-scorecard}\n")
    if "status_dashboard" in ctx.figures:
        parts.append("@fig-status-dashboard gives every KPI's score at a glance; the tables below list targets and "
                     "actuals.\n")
        parts.append(_figure(ctx, "status_dashboard", "Status of every KPI by perspective (score 0–10).",
                             width="85%"))
    parts.append(_scorecard_tables(ctx))
    if "kpi_trends" in ctx.figures:
        parts.append("## KPI trends {#sec-trends}\n")
        parts.append("@fig-kpi-trends shows the KPI history against the targets.\n")
        parts.append(_figure(ctx, "kpi_trends", "KPI history against target (dashed) and baseline (dotted)."))
    if ctx.evidence:
        parts.append("## Evidence for the cause-and-effect links {#sec-evidence}\n")
        parts.append(evidence_table(ctx) + "\n")
    parts.append("## Initiatives {#sec-initiatives}\n")
    parts.append(_initiatives(ctx))
    if ctx.okrs:
        parts.append("## Objectives and key results for the next cycle {#sec-okrs}\n")
        parts.append(ctx.okrs)
    if ctx.critique:
        parts.append("## Review of the scorecard {#sec-critique}\n")
        parts.append(ctx.critique)
    return "\n".join(p.rstrip() + "\n" for p in parts if p)


# ------------------------------------------------------------------ handout
_PERSPECTIVE_TEXT = {
    "financial": "How do we look to shareholders? Revenue growth, margins, return on investment. Financial KPIs are "
    "usually *lagging*: they show the result of everything else, late.",
    "customer": "How do customers see us? Satisfaction, retention, acquisition, share of wallet.",
    "internal_process": "What must we excel at? Efficiency, quality and innovation cycles of the processes that "
    "deliver the customer value proposition.",
    "learning_growth": "How do we keep improving? Skills, culture and the technology infrastructure everything "
    "else rests on. These KPIs are usually *leading*: they move first.",
}


def _chains(sc: Scorecard, limit: int = 6) -> list[list[str]]:
    """Objective paths that follow the links from a source to a financial objective."""
    succ: dict[str, list[str]] = {}
    for lk in sc.links:
        try:
            a, b = sc.objective_of(lk.source).id, sc.objective_of(lk.target).id
        except KeyError:
            continue
        if a != b and b not in succ.setdefault(a, []):
            succ[a].append(b)
    targets = {o.id for o in sc.objectives if o.perspective.value == "financial"}
    has_pred = {b for bs in succ.values() for b in bs}
    starts = [o.id for o in sc.objectives if o.id in succ and o.id not in has_pred]
    paths: list[list[str]] = []

    def walk(path: list[str]) -> None:
        if len(paths) >= limit:
            return
        last = path[-1]
        if last in targets and len(path) > 1:
            paths.append(path)
            return
        for nxt in succ.get(last, []):
            if nxt not in path:
                walk([*path, nxt])

    for s in starts:
        walk([s])
    return sorted(paths, key=len, reverse=True)[:limit]


def handout_body(ctx: ReportContext) -> str:
    """Body of the course handout (teaching text built around this scorecard, with exercises)."""
    from ..scorecard import PERSPECTIVE_ORDER

    sc = ctx.scorecard
    parts: list[str] = []
    parts.append(_callout(
        "tip", "How to use this handout",
        f"This handout walks through the Balanced Scorecard of {md_escape(sc.name)}: its four perspectives, its "
        "leading and lagging indicators and the cause-and-effect chain it assumes. Work through the exercises at "
        "the end in pairs.",
    ))
    if sc.description:
        parts.append(md_escape(sc.description) + "\n")
    parts.append("## The four perspectives {#sec-perspectives}\n")
    for p in reversed(PERSPECTIVE_ORDER):
        parts.append(f"### {p.label}\n")
        parts.append(_PERSPECTIVE_TEXT[p.value] + "\n")
        objs = sc.objectives_in(p)
        if objs:
            parts.append("In this scorecard:\n")
            parts.append("\n".join(
                f"- **{md_escape(o.name)}**, measured by " + (", ".join(md_escape(k.name) for k in o.kpis) or "no KPI")
                for o in objs) + "\n")
        else:
            parts.append("*This scorecard has no objective in this perspective: is that a gap?*\n")
    parts.append("## Leading and lagging indicators {#sec-indicators}\n")
    parts.append("A *leading* indicator (a driver) moves before the results do and can be acted on; a *lagging* "
                 "indicator (an outcome) records results after the fact. A good scorecard pairs them.\n")
    rows = []
    for o, k in sc.iter_kpis():
        rows.append([md_escape(k.name), o.perspective.label, md_escape(k.indicator or "not set"),
                     {"up": "higher is better", "down": "lower is better"}.get(k.direction or "", "not set")])
    n_lead = sum(1 for k in sc.kpis if k.indicator == "leading")
    n_lag = sum(1 for k in sc.kpis if k.indicator == "lagging")
    parts.append(f"This scorecard has {n_lead} leading and {n_lag} lagging KPIs (@tbl-indicators).\n")
    parts.append(md_table(["KPI", "Perspective", "Indicator", "Direction"], rows, widths=[40, 20, 12, 18],
                          caption="Every KPI with its type and direction.", label="tbl-indicators") + "\n")
    parts.append("## The cause-and-effect chain {#sec-chain}\n")
    parts.append("Strategy is a set of hypotheses: if we invest in people and systems (Learning & Growth), our "
                 "processes improve; better processes make customers more loyal; loyal customers drive the financial "
                 "results. The scorecard writes these hypotheses down as links.\n")
    if "strategy_map" in ctx.figures:
        parts.append(_figure(ctx, "strategy_map", f"Strategy map of {md_escape(sc.name)}.", width="95%"))
    chains = _chains(sc)
    if chains:
        parts.append("Chains from a first driver to a financial objective in this scorecard:\n")
        parts.append("\n".join(
            "- " + " → ".join(md_escape(end_name(sc, x)) for x in ch) for ch in chains) + "\n")
    if sc.links:
        rows = [[f"{md_escape(end_name(sc, lk.source))} → {md_escape(end_name(sc, lk.target))}",
                 "+" if lk.sign == "positive" else "−", md_escape(lk.rationale) or "–"] for lk in sc.links]
        parts.append(md_table(["Link", "Sign", "Why (the scorecard's rationale)"], rows, widths=[38, 6, 50],
                              align="lcl", caption="The hypothesised links and their rationale.",
                              label="tbl-rationale") + "\n")
    if ctx.evidence:
        c = verdict_counts(ctx.evidence)
        parts.append("## What the data say {#sec-data}\n")
        parts.append(f"The links were tested against KPI history: {_counts_sentence(c)} (@tbl-links).\n")
        parts.append(evidence_table(ctx) + "\n")
    parts.append(_callout("warning", "Common traps", "\n".join(f"- {t}" for t in [
        "**Trending series always correlate.** Two KPIs that both grow over time look related even when they are "
        "not; test links on detrended or differenced data and with the outcome's own past controlled for.",
        "**Reverse causality.** Do satisfied customers come from good service, or do profitable stores afford "
        "better service? Use time order (lags) and check the reverse direction too.",
        f"**Too many KPIs.** Best practice is 15–25 KPIs in total; this scorecard has {len(sc.kpis)}.",
        "**Easy to measure is not the same as strategic.** A KPI should track an objective, not just available data.",
        "**A one-time exercise.** A scorecard is a management system: review it, test it and update it.",
    ])))
    parts.append("## Exercises {#sec-exercises}\n")
    ex: list[str] = []
    ex.append("Classify every KPI in @tbl-indicators as leading or lagging *before* looking at the Indicator column. "
              "Where do you disagree with the scorecard, and why?")
    if sc.links:
        lk = sc.links[0]
        lag_txt = (", ".join(str(x) for x in lk.lags) if lk.lags else
                   f"up to {lk.max_lag}" if lk.max_lag is not None else "not specified")
        ex.append(f"Take the link {md_escape(end_name(sc, lk.source))} → {md_escape(end_name(sc, lk.target))}. "
                  f"Describe the mechanism in two sentences. How many periods should pass before the effect shows? "
                  f"(The scorecard assumes lags: {lag_txt}.)")
    if chains:
        ex.append("Pick one chain from the list above and name one thing that could break it at each step.")
    if ctx.evidence:
        ns = [lk for lk in ctx.evidence.get("links") or [] if lk.get("verdict") == "not_supported"]
        if ns:
            ex.append(f"The link {_link_cell(sc, ns[0])} was *not supported*. Give three reasons why this does not "
                      "prove the link is absent, and say what data would settle it.")
        con = [lk for lk in ctx.evidence.get("links") or [] if lk.get("verdict") == "contradicted"]
        if con:
            ex.append(f"The link {_link_cell(sc, con[0])} was *contradicted*. What would you check first?")
    fin = sc.objectives_in("financial")
    if fin:
        ex.append(f"Write one quarterly OKR (an objective and 2–3 key results) that supports "
                  f"\"{md_escape(fin[0].name)}\". How does it differ from the scorecard's KPI?")
    ex.append(f"This scorecard has {len(sc.kpis)} KPIs. Which three would you drop or merge, and why?")
    parts.append("\n".join(f"{i}. {e}" for i, e in enumerate(ex, 1)) + "\n")
    return "\n".join(p.rstrip() + "\n" for p in parts if p)


def body_for(kind: str, ctx: ReportContext) -> str:
    """Dispatch on the report kind."""
    return {"validation": validation_body, "client": client_body, "handout": handout_body}[kind](ctx)

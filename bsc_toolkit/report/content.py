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
from typing import Any

from ._markdown import badge, fmt_ci, fmt_num, fmt_q, md_escape, md_table
from .narrative import VERDICT_ORDER, end_name, verdict_counts
from .style import STATUS_LABELS, VERDICT_LABELS

__all__ = ["ReportContext", "client_body", "handout_body", "validation_body", "KINDS"]

KINDS = ("validation", "client", "handout")


@dataclass
class ReportContext:
    """Everything a report body is written from."""

    scorecard: Any
    score: Any  # ScoreReport
    evidence: dict[str, Any] | None = None
    history: Any = None
    figures: dict[str, str] = field(default_factory=dict)
    narrative: str = ""  # sanitised Markdown
    narrative_source: str = ""  # "given", "offline"
    critique: str = ""  # sanitised Markdown
    okrs: str = ""  # sanitised Markdown
    actuals_source: str = "scorecard"
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ helpers
def _figure(ctx: ReportContext, key: str, caption: str, width: str = "100%") -> str:
    path = ctx.figures.get(key)
    if not path:
        return ""
    return f"![{caption}]({path}){{#fig-{key.replace('_', '-')} width=\"{width}\"}}\n"


def _callout(kind: str, title: str, body: str) -> str:
    return f"::: {{.callout-{kind}}}\n## {title}\n\n{body.strip()}\n:::\n"


def _val(x: float | None, unit: str = "") -> str:
    if x is None:
        return "–"
    return f"{fmt_num(x)}%" if unit.strip() == "%" else fmt_num(x)


def _kpi_cell(k: Any) -> str:
    unit = (k.unit or "").strip()
    return md_escape(k.name) + (f" ({md_escape(unit)})" if unit and unit != "%" else "")


def _link_cell(sc: Any, lk: Mapping[str, Any]) -> str:
    f, t = str(lk.get("from")), str(lk.get("to"))
    fn, tn = end_name(sc, f), end_name(sc, t)
    left = md_escape(f) if fn == f else f"{md_escape(fn)} ({md_escape(f)})"
    right = md_escape(t) if tn == t else f"{md_escape(tn)} ({md_escape(t)})"
    return f"{left} → {right}"


def _lags(lk: Mapping[str, Any]) -> str:
    m = lk.get("method") or {}
    lags = m.get("lags")
    if lags is None:
        lags = [t.get("lag") for t in lk.get("terms") or []]
    lags = [str(x) for x in lags or [] if x is not None]
    sel = m.get("lag_selection")
    txt = ", ".join(lags) if lags else "–"
    if sel and sel != "explicit" and lags:
        txt += f" ({md_escape(sel)})"
    return txt


def effect_cell(lk: Mapping[str, Any]) -> str:
    """Long-run effect and 95% CI of a link, as printed in the evidence table.

    Examples
    --------
    >>> effect_cell({"long_run": {"estimate": 0.4952, "ci_low": 0.2525, "ci_high": 0.7378}})
    '+0.495 [0.253, 0.738]'
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


def _counts_sentence(counts: Mapping[str, int]) -> str:
    parts = [f"{counts.get(v, 0)} {VERDICT_LABELS[v]}" for v in VERDICT_ORDER]
    return ", ".join(parts)


def evidence_table(ctx: ReportContext) -> str:
    """The per-link evidence table (``tbl-links``)."""
    ev = ctx.evidence or {}
    rows = []
    for lk in ev.get("links") or []:
        exp = {"positive": "+", "negative": "−"}.get(str(lk.get("expected_sign")), md_escape(lk.get("expected_sign")))
        rows.append([_link_cell(ctx.scorecard, lk), _lags(lk), exp, effect_cell(lk), fmt_q(lk.get("q_value")),
                     _verdict_badge(lk.get("verdict"))])
    return md_table(
        ["Link (driver → outcome)", "Lags", "Sign", "Long-run effect [95% CI]", "q", "Verdict"],
        rows,
        widths=[40, 8, 5, 22, 8, 14],
        align="llcrrl",
        caption="Evidence for every hypothesised link: long-run effect with its 95% confidence interval, "
        "false-discovery-rate adjusted q-value and verdict. Sign is the expected sign.",
        label="tbl-links",
    )


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


def _front_sections_intro(sc: Any) -> str:
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
    kind = f"a panel of {d.get('n_units')} units" if d.get("is_panel") else "a single series"
    span = ""
    if d.get("first_period") is not None and d.get("last_period") is not None:
        span = f", {md_escape(d.get('first_period'))} to {md_escape(d.get('last_period'))}"
    freq = f" {md_escape(d.get('frequency'))}" if d.get("frequency") else ""
    src = f" from {md_escape(d.get('source'))}" if d.get("source") else ""
    return f"The links were tested on {kind} over {d.get('n_periods')}{freq} periods{span}{src}."


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
    tr_counts = ", ".join(f"{md_escape(k)} for {v} link{'s' if v != 1 else ''}" for k, v in sorted(transforms.items()))
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
        f"**Many tests at once.** {n_tests} links were tested. With so many tests some would look significant by "
        f"chance, so p-values are turned into q-values ({_mt_name(mt.get('method'))}), which "
        f"keep the expected share of false discoveries among the supported links at or below {alpha:g}.",
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
        [_verdict_badge("supported"), f"the long-run effect has the expected sign and q ≤ {a}"],
        [_verdict_badge("contradicted"), f"q ≤ {a} but the effect has the opposite sign"],
        [_verdict_badge("not_supported"), f"the link could be estimated but q > {a}"],
        [_verdict_badge("insufficient_data"), "no verdict: the data cannot support one (the reason is given)"],
    ]
    return md_table(["Verdict", "Meaning"], rows, widths=[20, 60], caption="How verdicts are given.",
                    label="tbl-verdicts")


def validation_body(ctx: ReportContext) -> str:
    """Body of the validation report (method, evidence table, plots, caveats)."""
    sc, ev = ctx.scorecard, ctx.evidence or {}
    links = ev.get("links") or []
    counts = verdict_counts(ev)
    alpha = (ev.get("multiple_testing") or {}).get("alpha", (ev.get("settings") or {}).get("alpha", 0.05))
    parts: list[str] = []
    summary = (
        f"{len(links)} hypothesised cause-and-effect links of the scorecard were tested against KPI history: "
        f"{_counts_sentence(counts)}. {_data_sentence(ev)} The full results are in @tbl-links"
        + (" and @fig-coefficients" if "coefficients" in ctx.figures else "") + "."
    )
    parts.append(_callout("note", "Summary", summary))
    parts.append("## What the results say {#sec-reading}\n")
    src = {"given": "", "offline": "*This reading was generated from the numbers below (no language model).*\n\n"}
    parts.append(src.get(ctx.narrative_source, "") + (ctx.narrative or "No interpretation available.\n"))
    parts.append("## How the links were tested {#sec-method}\n")
    parts.append(_method_text(ev))
    parts.append(_verdict_rules(alpha) + "\n")
    parts.append("## Evidence per link {#sec-links}\n")
    parts.append(evidence_table(ctx) + "\n")
    if "coefficients" in ctx.figures:
        parts.append(
            "@fig-coefficients shows each link's estimated long-run effect (the total effect of a one-unit "
            "permanent change in the driver, in the outcome's units) with its 95% confidence interval. An interval "
            "that crosses zero means the data are compatible with no effect.\n"
        )
        parts.append(_figure(ctx, "coefficients", "Long-run effect of each link with 95% confidence interval, "
                             "coloured by verdict."))
    if "lag_profiles" in ctx.figures:
        parts.append("@fig-lag-profiles shows how each effect unfolds over the lags tested.\n")
        parts.append(_figure(ctx, "lag_profiles", "Lag profiles: estimate and 95% confidence interval per lag."))
    if "strategy_map" in ctx.figures:
        parts.append("## The strategy map with its evidence {#sec-map}\n")
        parts.append("@fig-strategy-map draws the scorecard's links coloured by verdict.\n")
        parts.append(_figure(ctx, "strategy_map", f"Strategy map of {md_escape(sc.name)} with the evidence per link.",
                             width="95%"))
    parts.append("## Driver models and out-of-sample checks {#sec-drivers}\n")
    parts.append(drivers_section(ev))
    parts.append("## Chain effects {#sec-chains}\n")
    parts.append(chains_section(ev))
    parts.append("## Suggested links (exploratory) {#sec-suggestions}\n")
    parts.append(suggestions_section(ev))
    warnings = ev.get("warnings") or []
    if warnings:
        parts.append(_callout("warning", "Warnings from the analysis", "\n".join(f"- {md_escape(w)}" for w in warnings)))
    parts.append("## Reading these results with care {#sec-caveats}\n")
    caveats = [
        "**Correlation is not causation.** A supported link means the driver's past values predict the outcome "
        "beyond the outcome's own past, in this data. A third factor that moves both, or a change in how KPIs "
        "were measured, can produce the same pattern.",
        f"**\"Not supported\" is not \"disproved\".** {counts['not_supported']} link"
        f"{'s were' if counts['not_supported'] != 1 else ' was'} not supported. The effect may be absent, too small "
        "for this much data to detect, or slower than the lags tested; a confidence interval that includes "
        "meaningful effects says the data are simply not informative enough.",
        f"**Contradicted links deserve a conversation.** {counts['contradicted']} link"
        f"{'s' if counts['contradicted'] != 1 else ''} showed a significant effect with the opposite sign. Check the "
        "KPI definitions and directions first, then the strategic assumption.",
        f"**Some links could not be tested.** {counts['insufficient_data']} link"
        f"{'s' if counts['insufficient_data'] != 1 else ''} had insufficient data; the reasons are in the appendix.",
        "**Effects are averages.** They describe the typical unit over the period observed, not every unit, and "
        "not the future under a different strategy.",
    ]
    parts.append(_callout("warning", "Caveats for non-statisticians", "\n".join(f"- {c}" for c in caveats)))
    parts.append("## Appendix: details per link {#sec-appendix}\n")
    rows = []
    for lk in links:
        m = lk.get("method") or {}
        rows.append([
            _link_cell(sc, lk),
            f"{md_escape(lk.get('from_kpi'))} → {md_escape(lk.get('to_kpi'))}",
            md_escape(m.get("estimator")) or "–",
            md_escape(m.get("transform")) or "–",
            md_escape(lk.get("n_obs")) if lk.get("n_obs") is not None else "–",
            md_escape(lk.get("reason")) or "–",
        ])
    parts.append(md_table(["Link", "KPIs", "Estimator", "Transform", "n", "Reason"], rows,
                          widths=[24, 24, 10, 9, 5, 28], align="llllrl",
                          caption="Model details and the reason for each verdict.", label="tbl-details") + "\n")
    return "\n".join(p.rstrip() + "\n" for p in parts if p)


def _est_ci(e: Mapping[str, Any] | None) -> str:
    e = e or {}
    if e.get("estimate") is None:
        return "–"
    return f"{fmt_num(e.get('estimate'), sign=True)} {fmt_ci(e.get('ci_low'), e.get('ci_high'))}"


def _p_cell(p: Any) -> str:
    return "–" if p is None else ("<0.001" if p < 0.001 else fmt_num(p))


def drivers_section(ev: Mapping[str, Any]) -> str:
    """Driver models: joint test, per-driver long-run effects, out-of-sample RMSE vs. the baseline."""
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
            rel, dm = fmt_num(oos.get("relative_rmse")), _p_cell(oos.get("dm_p_value"))
            concl = md_escape(oos.get("conclusion"))
        else:
            rm, rel, dm, concl = "–", "–", "–", md_escape(oos.get("reason") or "not computed")
        rows.append([name, str(len(m.get("drivers") or [])), _p_cell(jt.get("p_value")), rm, rel, dm, concl])
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
                         _p_cell(lr.get("p_value"))])
    if rows:
        out.append(md_table(["Financial KPI", "Leading KPI", "Path", "Lags", "Long-run effect [95% CI]", "p"],
                            rows, widths=[20, 24, 9, 6, 26, 8], align="lllrrr",
                            caption="Per-driver long-run effects in the joint driver models (holding the other "
                            "leading KPIs fixed).", label="tbl-driver-effects") + "\n")
    return "\n".join(out)


def chains_section(ev: Mapping[str, Any]) -> str:
    """Chains: path, indirect effect with its bootstrap CI, supported steps."""
    chains = ev.get("chains") or []
    if not chains:
        return "Not computed: the evidence contains no chain (indirect) effects.\n"
    bs = next((c.get("bootstrap") for c in chains if c.get("bootstrap")), {}) or {}
    how = (f"The intervals come from a bootstrap with {bs.get('replications')} replications "
           f"({md_escape(bs.get('method'))})." if bs.get("replications") else
           "The intervals use the delta-method (Sobel) standard error.")
    out = ["Indirect effects along Learning → Process → Customer → Financial paths: the product of the steps' "
           "long-run effects, i.e. how much the Financial KPI moves per unit of the first KPI through this path. "
           + how + " A chain is only as strong as its weakest step.\n"]
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
    """EXPLORATORY suggestions: candidate links and reverse-causality flags."""
    sugg = ev.get("suggestions") or []
    info = ev.get("discovery") or {}
    if not sugg:
        if info:
            n = (info.get("candidates") or {}).get("n_tested", 0)
            r = (info.get("reverse") or {}).get("n_tested", 0)
            return (f"**Exploratory search:** {n} KPI pairs not linked in the map and the reverse direction of "
                    f"{r} links were tested; nothing stood out after the false-discovery-rate correction.\n")
        return "Not computed: the evidence contains no suggested links.\n"
    out = [
        "**EXPLORATORY.** These links were **not** hypothesised in the scorecard. They come from a search through "
        "the data and are leads to discuss, not findings: searching many pairs always turns up some. q-values are "
        "corrected within the search (a family separate from the hypothesised links). *candidate*: a KPI pair the "
        "map does not link; *reverse*: the outcome predicts the driver more strongly than the other way round.\n"
    ]
    from ..evidence.results import map_explanation

    explained = [s for s in sugg if map_explanation(s)]
    if explained:
        out.append(
            f"{len(explained)} of the {len(sugg)} suggestions may be explained by the map itself: an indirect "
            "path, a driver the two KPIs share, or the reverse of a path. KPIs on one chain predict each other "
            "even without a direct link, so these are listed last and are not evidence of a missing link.\n"
        )
    rows = []
    for s in sorted(sugg, key=lambda x: (map_explanation(x) is not None, x.get("q_value") or 1.0)):
        lags = s.get("lags") if s.get("lags") is not None else s.get("lag")
        lags = ",".join(str(x) for x in lags) if isinstance(lags, list) else ("–" if lags is None else str(lags))
        why = map_explanation(s)
        note = why if why else ("the map does not explain it" if s.get("kind") == "candidate"
                                else (s.get("note") or ""))
        rows.append([md_escape(s.get("kind")), f"{md_escape(s.get('from_kpi'))} → {md_escape(s.get('to_kpi'))}",
                     md_escape(lags), fmt_num(s.get("estimate"), sign=True),
                     fmt_num(s.get("standardized_effect"), sign=True) if s.get("standardized_effect") is not None
                     else "–", fmt_q(s.get("q_value")), md_escape(note)])
    out.append(md_table(["Kind", "Driver → outcome", "Lags", "Estimate", "Std. effect", "q",
                         "Explained by the map?"], rows,
                        widths=[9, 30, 5, 9, 8, 7, 32], align="llrrrrl",
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
            budget = f"{ini.budget:,.0f}" + (f" {md_escape(ini.currency)}" if ini.currency else "")
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
        f"{md_escape(ctx.scorecard.name)} has {len(ctx.scorecard.objectives)} objectives measured by {n} KPIs, with "
        f"{overall} ({STATUS_LABELS[rep.overall.status]}). {cnt['green']} KPIs are green, {cnt['amber']} amber, "
        f"{cnt['red']} red and {cnt['no_data']} without data."
    ]
    scored = [p for p in rep.perspectives if p.score is not None]
    if scored:
        best = max(scored, key=lambda p: p.score)
        worst = min(scored, key=lambda p: p.score)
        if best.id != worst.id:
            lines.append(f"The strongest perspective is {best.name} ({best.score:.2f}); "
                         f"{worst.name} ({worst.score:.2f}) needs the most attention.")
    if ctx.actuals_source != "scorecard":
        lines.append(f"Actual values are the latest values in the KPI history ({md_escape(ctx.actuals_source)}).")
    if ctx.evidence:
        c = verdict_counts(ctx.evidence)
        lines.append(f"Of the {len(ctx.evidence.get('links') or [])} cause-and-effect links tested against data, "
                     f"{_counts_sentence(c)}.")
    return " ".join(lines)


def client_body(ctx: ReportContext) -> str:
    """Body of the client report (summary, scorecard by perspective, map, initiatives)."""
    sc = ctx.scorecard
    parts: list[str] = [_callout("note", "Executive summary", _exec_summary(ctx))]
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
    if "strategy_map" in ctx.figures:
        parts.append("## Strategy map {#sec-map}\n")
        parts.append("@fig-strategy-map shows how the objectives are expected to drive each other, from Learning & "
                     "Growth up to Financial" + (", coloured by the evidence." if ctx.evidence else ".") + "\n")
        parts.append(_figure(ctx, "strategy_map", f"Strategy map of {md_escape(sc.name)}.", width="95%"))
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


def _chains(sc: Any, limit: int = 6) -> list[list[str]]:
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

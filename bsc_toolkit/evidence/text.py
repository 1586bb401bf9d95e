"""What the console shows: the evidence as text a user can act on.

Every verdict is printed with what stands behind it: the cumulative effect with its interval,
the q-value, how robust the verdict is across the specification grid, and numbered marks for
its caveats, whose full text follows the table. A second table says what was done per link
(the transform ``auto`` chose and why, the lags tried and chosen, rows used and dropped).
Works on the plain evidence dictionary (``Evidence.to_dict()``), so it imports nothing heavy.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from .._format import MISSING, fmt_ci, fmt_count, fmt_lags, fmt_num, fmt_p, fmt_share

__all__ = ["caveat_marks", "evidence_text", "link_text", "map_explanation", "sections_text",
           "short_data_warning", "verdict_label"]

WIDTH = 100
VERDICT_WORDS = {"supported": "supported", "contradicted": "contradicted", "not_supported": "not supported",
                 "insufficient_data": "no verdict"}

#: measured false-positive and power figures for short data (tests/test_evidence_power.py, slow
#: studies; 200 replications each, defaults)
SHORT_SERIES_T = 30
SHORT_PANEL_T = 15


def short_data_warning(data: Mapping[str, Any]) -> str | None:
    """A warning for a single series under 30 periods or a panel under 15, with measured figures."""
    T = data.get("n_periods") or 0
    if not data.get("is_panel") and T < SHORT_SERIES_T:
        return (f"short data: a single series of {T} periods. In simulations with 24 periods (200 runs, "
                f"defaults) a planted effect of one standard deviation was found in about a third of runs "
                f"and unrelated series were called supported in 2-5%; read 'not supported' as 'not enough "
                f"data', and prefer panels (several units) or longer series")
    if data.get("is_panel") and T < SHORT_PANEL_T:
        return (f"short panel: {T} periods. Below 15 periods transform='auto' runs no unit-root or trend "
                f"tests; in simulations with 30 units x 12 periods, unit-specific trends shared by driver "
                f"and outcome made 9% of unrelated links 'supported' (1.5% without trends), and own-lag "
                f"estimates are biased towards zero (Nickell); check robustness and prefer transform='detrend' "
                f"when the KPIs trend")
    return None


def verdict_label(link: Mapping[str, Any]) -> str:
    """The verdict as printed: words, with the robustness label and any qualifier."""
    v = VERDICT_WORDS.get(link.get("verdict", ""), str(link.get("verdict")))
    flags = link.get("flags") or []
    if "unit_root" in flags and link.get("verdict") in ("supported", "contradicted"):
        v += " (unit root?)"
    return v


def caveat_marks(links: Sequence[Mapping[str, Any]]) -> tuple[list[list[int]], list[str]]:
    """Number the distinct caveat texts across links: ``(marks per link, texts)``.

    Every distinct text gets its own number, so each link's exact caveats are shown (the Nickell
    caveat, for one, names each link's usable periods).
    """
    keys: list[str] = []
    texts: list[str] = []
    marks = []
    for lk in links:
        mine = []
        for c in lk.get("caveats") or []:
            key = c
            if key not in keys:
                keys.append(key)
                texts.append(c)
            mine.append(keys.index(key) + 1)
        marks.append(sorted(set(mine)))
    return marks, texts


def _effect(lk: Mapping[str, Any]) -> str:
    lr = lk.get("long_run") or {}
    if lr.get("estimate") is None:
        return MISSING
    return f"{fmt_num(lr['estimate'], sign=True)} {fmt_ci(lr.get('ci_low'), lr.get('ci_high'))}"


def _robust(lk: Mapping[str, Any]) -> str:
    r = lk.get("robustness") or {}
    if not r or r.get("label") is None:
        return MISSING
    return f"{r['label']} ({fmt_share(r.get('agree_share'))})"


def _lag_cell(lags: Sequence[int]) -> str:
    """``1``, ``1–2``, ``0, 2`` (the table's column says 'lags')."""
    words = fmt_lags(lags)
    return words.split(" ", 1)[1] if " " in words else words


#: the longest name a table's first column shows (longer ones end in an ellipsis)
NAME_WIDTH = 48


def _table(rows: Sequence[Sequence[str]], widths: Sequence[int]) -> list[str]:
    """Rows (the first is the header) in columns at least ``widths`` wide, each widened to its
    longest cell: numbers and intervals are never cut; only names in the first column beyond
    :data:`NAME_WIDTH` characters are shortened, with an ellipsis."""
    cells = [list(r) for r in rows]
    for r in cells[1:]:
        if len(r[0]) > NAME_WIDTH:
            r[0] = r[0][:NAME_WIDTH - 1] + "…"
    cols = [max(w, *(len(r[j]) + 2 for r in cells)) for j, w in enumerate(widths)]
    return ["".join(f"{c:<{w}}" for c, w in zip(r, cols, strict=True)).rstrip() for r in cells]


def _shared_driver_note(lk: Mapping[str, Any], links: Sequence[Mapping[str, Any]]) -> str:
    """What the conditional specification says, when it flips the link: with the outcome's other
    drivers in the model the verdict changes, so a driver they share may explain the link."""
    r = lk.get("robustness") or {}
    if "other_drivers=included" not in (r.get("flips") or []):
        return ""
    cond = [sp for sp in r.get("specs") or [] if sp.get("other_drivers") == "included"]
    others = [str(o.get("from")) for o in links if o.get("to") == lk.get("to") and o.get("from") != lk.get("from")]
    if not cond or not others:
        return ""
    return (f"with {lk.get('to')}'s other drivers in the map ({', '.join(others)}) in the model it is "
            f"{VERDICT_WORDS.get(str(cond[0].get('verdict')), cond[0].get('verdict'))}: a driver they share "
            f"with {lk.get('from')} may explain the association")


def _link_name(lk: Mapping[str, Any]) -> str:
    return f"{lk.get('from')} -> {lk.get('to')}"


def _transform_word(m: Mapping[str, Any]) -> str:
    tr = m.get("transform") or MISSING
    auto = str(m.get("transform_reason", "")).startswith("auto")
    word = {"none": "levels", "detrend": "detrended", "diff": "differences"}.get(tr, tr)
    if m.get("estimator") == "iv-fd":
        word = "iv-fd " + word
    return f"{word} (auto)" if auto else word


def _why_transform(m: Mapping[str, Any]) -> str:
    """The short reason auto gave: 'first differences, because a unit root is not ruled out'."""
    why = str(m.get("transform_reason", ""))
    why = why.removeprefix("auto: ")
    return why.split(" - ")[0].split(";")[0]


def _lags_done(m: Mapping[str, Any]) -> str:
    lags = fmt_lags(m.get("lags") or [])
    if m.get("lag_selection") == "bic":
        return f"{lags} by BIC"
    return f"{lags} (as listed)" if m.get("lags") else lags


def evidence_text(d: Mapping[str, Any]) -> str:
    """The whole console report of an evidence dictionary."""
    links = list(d.get("links") or [])
    counts = {v: sum(lk.get("verdict") == v for lk in links) for v in VERDICT_WORDS}
    head = (f"Evidence for '{d.get('scorecard', '')}': {fmt_count(len(links), 'link')} - "
            + ", ".join(f"{VERDICT_WORDS[v]} {n}" for v, n in counts.items()))
    lines = [head, "=" * min(len(head), WIDTH)]
    lines += _data_and_method(d)
    warn = short_data_warning(d.get("data") or {})
    if warn:
        lines += ["", *textwrap.wrap("WARNING " + warn, WIDTH, subsequent_indent="  ")]
    lines += ["", *_verdict_table(links, d)]
    lines += _done_table(links)
    lines += _fragile(links)
    extra = sections_text(d)
    if extra:
        lines.append(extra)
    for w in d.get("warnings") or []:
        lines += textwrap.wrap(f"Note: {w}", WIDTH, subsequent_indent="  ")
    return "\n".join(lines)


def _data_and_method(d: Mapping[str, Any]) -> list[str]:
    dat, s = d.get("data") or {}, d.get("settings") or {}
    mt = d.get("multiple_testing") or {}
    kind = (f"panel of {dat.get('n_units')} units" if dat.get("is_panel") else "single series")
    eff = {"both": "unit + time effects", "unit": "unit effects", "time": "time effects",
           "none": "no fixed effects"}.get(str(s.get("effects")), s.get("effects"))
    cov = {"clustered": "unit-clustered errors (t with G-1 df)", "hac": "Newey-West (HAC) errors",
           "robust": "heteroskedasticity-robust errors", "unadjusted": "classical errors"}.get(str(s.get("cov")), s.get("cov"))
    out = [
        f"Data: {dat.get('source', '?')}, {kind} x {dat.get('n_periods')} {dat.get('frequency', '')} periods "
        f"({dat.get('first_period')} to {dat.get('last_period')})",
        *textwrap.wrap(
            f"Method: {s.get('estimator', 'ols')} regression of each outcome on its driver's past "
            f"(lags as listed, else 1..p by BIC, p <= {s.get('max_lag')}), {fmt_count(int(s.get('own_lags') or 0), 'own lag')}"
            f", {eff}, {cov}, transform {s.get('transform')}"
            + (f", controls {', '.join(s.get('controls') or [])}" if s.get("controls") else "")
            + (", month/quarter/week-of-year effects" if s.get("seasonal") else "")
            + f"; Benjamini-Hochberg FDR at {s.get('alpha')} over {fmt_count(int(mt.get('n_tests') or 0), 'link')}",
            WIDTH, subsequent_indent="  "),
    ]
    return out


def _verdict_table(links: list[Mapping[str, Any]], d: Mapping[str, Any]) -> list[str]:
    marks, texts = caveat_marks(links)
    level = f"{100 * (1 - float((d.get('settings') or {}).get('alpha', 0.05))):g}%"
    rows = [["link", "lags", f"cumulative effect [{level} CI]", "q", "verdict", "robustness", "caveats"]]
    for lk, mk in zip(links, marks, strict=True):
        m = lk.get("method") or {}
        rows.append([_link_name(lk), _lag_cell(m.get("lags") or []), _effect(lk), fmt_p(lk.get("q_value")),
                     verdict_label(lk), _robust(lk), ",".join(str(x) for x in mk) or MISSING])
    out = _table(rows, [24, 7, 30, 8, 15, 15, 8])
    for lk in links:
        if lk.get("verdict") == "insufficient_data":
            out += textwrap.wrap(f"  {_link_name(lk)}: no verdict - {lk.get('reason')}", WIDTH,
                                 subsequent_indent="    ")
    if texts:
        out += ["", "Caveats (numbered in the table):"]
        for i, t in enumerate(texts, 1):
            out += textwrap.wrap(f"  [{i}] {t}", WIDTH, subsequent_indent="      ")
    return out


def _done_table(links: list[Mapping[str, Any]]) -> list[str]:
    """What was done per link: transform and why, lags, rows used and dropped, units x periods."""
    if not links:
        return []
    rows = [["link", "transform", "driver lags", "rows used (dropped)"]]
    whys = []
    for lk in links:
        m = lk.get("method") or {}
        n_used = (f"{lk.get('n_obs', 0):,} ({lk.get('n_dropped', 0):,})" if lk.get("n_obs") else MISSING)
        rows.append([_link_name(lk), _transform_word(m), _lags_done(m), n_used])
        why = _why_transform(m)
        if str(m.get("transform_reason", "")).startswith("auto") and why and why not in whys:
            whys.append(why)
    out = ["", "What was done per link:", *_table(rows, [26, 22, 30, 22])]
    if whys:
        out += textwrap.wrap("  auto: " + "; ".join(whys), WIDTH, subsequent_indent="    ")
    return out


def _fragile(links: list[Mapping[str, Any]]) -> list[str]:
    out = []
    for lk in links:
        r = lk.get("robustness") or {}
        if r.get("label") != "fragile":
            continue
        flips = ", ".join(r.get("flips") or []) or "no single choice"
        out += textwrap.wrap(
            f"  {_link_name(lk)}: {VERDICT_WORDS.get(lk.get('verdict', ''))} in {fmt_share(r.get('agree_share'))} "
            f"of {r.get('n_estimable')} specifications with a verdict ({r.get('n_specs')} tried); it changes "
            f"with {flips}; effect range {fmt_ci(*(r.get('effect_range') or (None, None)))}",
            WIDTH, subsequent_indent="    ")
        shared = _shared_driver_note(lk, links)
        if shared:
            out += textwrap.wrap(shared, WIDTH, initial_indent="    ", subsequent_indent="    ")
    if out:
        out = ["", "Fragile verdicts (they change with defensible choices of the specification):", *out]
    elif any((lk.get("robustness") or {}).get("label") for lk in links):
        n = sum((lk.get("robustness") or {}).get("label") == "robust" for lk in links)
        out = ["", f"Robustness: {fmt_count(n, 'verdict')} robust: the same in at least 90% of the "
                   f"specifications tried (transform, own lags, driver lags, effects) and no choice on which "
                   f"it wavers."]
    return out


def link_text(lk: Mapping[str, Any], alpha: float = 0.05) -> str:
    """One link in full: verdict, method, terms, cumulative effect, long-run multiplier, caveats."""
    m = lk.get("method") or {}
    head = (f"Link {lk.get('from')} -> {lk.get('to')} ({lk.get('from_kpi')} -> {lk.get('to_kpi')}), "
            f"expected {lk.get('expected_sign', 'positive')}")
    lines = [head, "=" * min(len(head), WIDTH)]
    lines += textwrap.wrap(f"Verdict: {verdict_label(lk)} - {lk.get('reason', '')}", WIDTH, subsequent_indent="  ")
    lines += textwrap.wrap(
        f"Method: {m.get('estimator', '?')}, transform {m.get('transform', '?')}, effects {m.get('effects', '?')}, "
        f"covariance {m.get('covariance', '?')}, driver {_lags_done(m)}, own lags {m.get('own_lags', '?')}, "
        f"controls {', '.join(m.get('controls') or []) or 'none'}", WIDTH, subsequent_indent="  ")
    if m.get("transform_reason"):
        lines += textwrap.wrap(f"Transform: {m['transform_reason']}", WIDTH, subsequent_indent="  ")
    lines.append(f"Observations: {lk.get('n_obs', 0):,} used, {lk.get('n_dropped', 0):,} dropped for missing "
                 f"values, {fmt_count(int(lk.get('n_units') or 0), 'unit')}, "
                 f"{fmt_count(int(lk.get('n_periods') or 0), 'period')}")
    terms = [*(lk.get("terms") or []), *(lk.get("own_terms") or [])]
    if terms:
        level = f"{100 * (1 - alpha):g}% CI"
        rows = [["term", "estimate", "std.err", "p", level]]
        for t in terms:
            rows.append([str(t.get("name")), fmt_num(t.get("estimate")), fmt_num(t.get("std_error")),
                         fmt_p(t.get("p_value")), fmt_ci(t.get("ci_low"), t.get("ci_high"))])
        lr = lk.get("long_run") or {}
        rows.append(["cumulative effect over the lag window", fmt_num(lr.get("estimate")),
                     fmt_num(lr.get("std_error")), fmt_p(lr.get("p_value")),
                     fmt_ci(lr.get("ci_low"), lr.get("ci_high"))])
        lrm = lk.get("long_run_multiplier")
        if lrm:
            rows.append(["long-run multiplier (permanent response)", fmt_num(lrm.get("estimate")),
                         fmt_num(lrm.get("std_error")), fmt_p(lrm.get("p_value")),
                         fmt_ci(lrm.get("ci_low"), lrm.get("ci_high"))])
        lines += ["", *_table(rows, [40, 11, 11, 9, 24])]
        lines.append(f"joint Wald p = {fmt_p(lk.get('joint_p_value'))}, q (BH) = {fmt_p(lk.get('q_value'))}, "
                     f"standardized effect = {fmt_num(lk.get('standardized_effect'))}")
    r = lk.get("robustness") or {}
    if r.get("label"):
        lines.append(f"Robustness: {r['label']} - agrees in {fmt_share(r.get('agree_share'))} of "
                     f"{r.get('n_estimable')} specifications with a verdict ({r.get('n_specs')} tried)"
                     + (f"; changes with {', '.join(r['flips'])}" if r.get("flips") else ""))
    for c in lk.get("caveats") or []:
        lines += textwrap.wrap(f"Caveat: {c}", WIDTH, subsequent_indent="  ")
    return "\n".join(lines)


def map_explanation(s: Mapping[str, Any]) -> str | None:
    """How the strategy map itself may explain an exploratory candidate link, or None.

    A candidate ``x -> y`` that the map already implies through an indirect path, that runs
    against a path of the map (reverse), or whose two KPIs share a driver in the map is
    expected in data generated by that map: persistent KPIs on one chain predict each other.
    Such candidates are listed, but they are not evidence of a *missing* link.

    Examples
    --------
    >>> map_explanation({"kind": "candidate", "implied_by_map": True})
    'indirect path in the map'
    >>> map_explanation({"kind": "candidate", "common_drivers_in_map": ["a", "b"]})
    'shared driver(s) in the map: a, b'
    >>> map_explanation({"kind": "candidate"}) is None
    True
    """
    if s.get("kind") != "candidate":
        return None
    why = []
    if s.get("implied_by_map"):
        why.append("indirect path in the map")
    if s.get("reverse_implied_by_map"):
        why.append("reverse of a path in the map")
    common = s.get("common_drivers_in_map") or []
    if common:
        why.append("shared driver(s) in the map: " + ", ".join(map(str, common)))
    return "; ".join(why) or None


def sections_text(d: Any) -> str:
    """Short text sections for drivers, chains and suggestions (what ``bsc validate`` prints);
    ``d`` is an evidence dictionary or an ``Evidence``."""
    if hasattr(d, "to_dict"):
        d = d.to_dict()
    lines: list[str] = []
    drivers = d.get("drivers") or []
    if drivers:
        lines += ["", "Driver models (each lagging Financial KPI on all leading KPIs that reach it)"]
        for m in drivers:
            if m.get("status") != "estimated":
                lines.append(f"  {m.get('outcome_kpi')}: no estimate - {m.get('reason')}")
                continue
            jt = m.get("joint_test") or {}
            oos = m.get("out_of_sample") or {}
            o = (f"out-of-sample RMSE {fmt_num(oos['relative_rmse'])}x the own-past baseline, "
                 f"DM p {fmt_p(oos.get('dm_p_value'))}"
                 if oos.get("status") == "estimated" and oos.get("relative_rmse") is not None
                 else f"out of sample: {oos.get('reason', 'not computed')}")
            lines += textwrap.wrap(f"  {m.get('outcome_kpi')}: {fmt_count(len(m.get('drivers') or []), 'leading KPI')}"
                                   f" ({fmt_count(int(jt.get('df_num') or 0), 'lag coefficient')}), joint p "
                                   f"{fmt_p(jt.get('p_value'))}; {o}", WIDTH, subsequent_indent="    ")
    chains = d.get("chains") or []
    if chains:
        lines += ["", "Chains (indirect effect = product of the steps' cumulative effects)"]
        for c in chains:
            ie = c.get("indirect_effect") or {}
            eff = (MISSING if ie.get("estimate") is None
                   else f"{fmt_num(ie['estimate'], sign=True)} {fmt_ci(ie.get('ci_low'), ie.get('ci_high'))}")
            lines.append(f"  {' -> '.join(map(str, c.get('path') or []))}: {eff}, "
                         f"{len(c.get('supported_steps') or [])}/{len(c.get('steps') or [])} steps supported")
    sugg = d.get("suggestions") or []
    if d.get("discovery") is not None or sugg:
        lines += ["", "EXPLORATORY suggestions (own FDR families; leads, not findings)"]
        if not sugg:
            lines.append("  none")
        explained = [s for s in sugg if map_explanation(s)]
        for s in sugg:
            if map_explanation(s):
                continue
            lines.append(f"  {s.get('kind'):<10}{s.get('from_kpi')} -> {s.get('to_kpi')}: "
                         f"{fmt_num(s.get('estimate'), sign=True)}, q {fmt_p(s.get('q_value'))}")
        if explained:
            kinds: dict[str, int] = {}
            for s in explained:
                for part in (map_explanation(s) or "").split("; "):
                    key = part.split(":")[0]
                    kinds[key] = kinds.get(key, 0) + 1
            detail = ", ".join(f"{k} {v}" for k, v in kinds.items())
            lines.append(f"  + {fmt_count(len(explained), 'candidate')} the map itself may explain ({detail}); "
                         "not listed (see the JSON or Evidence.suggestions.to_frame())")
    return "\n".join(lines)

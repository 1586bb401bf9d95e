"""Critique of a scorecard and an executive narrative of its evidence, offline or by an LLM.

The offline versions are built only from the lint findings and the evidence
results, so every number in the text comes from them. Names from the scorecard
are escaped for Markdown; an LLM's Markdown is sanitised (no raw HTML, no
executable code cells) before it is returned.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import TYPE_CHECKING, Any

from ..errors import GenerationError
from ..scorecard import PERSPECTIVE_ORDER, Scorecard, lint
from ._markdown import md_escape, sanitize_markdown
from .brief import Brief, as_brief
from .coverage import theme_coverage
from .llm import chat, resolve_config
from .prompts import render

if TYPE_CHECKING:
    from .._typing import EvidenceSource

__all__ = ["critique", "narrate", "evidence_dict"]

_CATEGORIES: list[tuple[str, str, set[str], str]] = [
    ("size", "Too many (or too few) KPIs and objectives",
     {"kpi-count", "perspective-empty", "objectives-per-perspective", "kpis-per-objective", "unbalanced"},
     "The strategic few: 15-25 KPIs, 2-4 objectives per perspective, 1-2 KPIs each, balanced."),
    ("links", "Objectives not linked across perspectives",
     {"dead-end-objective", "unlinked-financial", "downward-link", "skip-link", "cycle", "no-leading-driver"},
     "Every objective should lead upward Learning -> Process -> Customer -> Financial, one step at a time."),
    ("measures", "Measures that cannot steer: directions, targets, leading and lagging",
     {"objective-without-kpi", "missing-direction", "missing-target", "missing-indicator",
      "target-direction", "threshold-order", "extreme-weights", "drafted-kpi"},
     "Every KPI needs a direction, a baseline and a target, and should be marked leading or lagging."),
]


def _mark(ok: bool) -> str:
    return "OK" if ok else "needs work"


def _theme_lines(sc: Scorecard, brief: Brief | None) -> list[str]:
    """The critique's section on the brief's themes: which ones the scorecard measures, which it misses."""
    if brief is None:
        return []
    cov = theme_coverage(sc, brief)
    lines = [f"## Themes of the brief: {_mark(not cov.missing)}", ""]
    if not cov.n_themes:
        return lines + ["- The brief names no themes (no list of priorities was found), so none can be checked.", ""]
    lines.append(f"{cov.n_covered} of {cov.n_themes} themes the brief names are measured by an objective "
                 "(its name, its KPIs or its initiatives use the theme's key words).")
    lines.append("")
    if cov.missing:
        lines += ["**Not covered** (add or rename an objective or KPI that measures each, or say why it is "
                  "left out):", ""]
        lines += [f"- {md_escape(t.text)}" for t in cov.missing]
        lines.append("")
    covered = [m for m in cov.matches if m.covered]
    if covered:
        lines += ["**Covered:**", ""]
        for m in covered:
            objs = "; ".join(f"{o.id} {o.name}" for o in (sc.objective(i) for i in m.objectives))
            lines.append(f"- {md_escape(m.theme.text)} → {md_escape(objs)}")
        lines.append("")
    return lines


def _offline_critique(sc: Scorecard, brief: Brief | None = None) -> str:
    findings = lint(sc)
    n_k, n_o, n_l = len(sc.kpis), len(sc.objectives), len(sc.links)
    lines = [f"# Critique of the scorecard {md_escape(sc.name)}", ""]
    n_e, n_w = len(findings.errors), len(findings.warnings)
    if findings.ok_strict:
        verdict = (f"The scorecard passes every lint rule: {n_o} objectives, {n_k} KPIs and {n_l} links. "
                   "The structure is sound; the questions below are about substance and use.")
    else:
        verdict = (f"{n_e} error(s) and {n_w} warning(s) need attention before the scorecard is used "
                   f"({n_o} objectives, {n_k} KPIs, {n_l} links).")
    lines += [f"**Verdict.** {verdict}", "", "| Perspective | Objectives | KPIs | Leading | Lagging |",
              "|---|---:|---:|---:|---:|"]
    for p in reversed(PERSPECTIVE_ORDER):
        objs = sc.objectives_in(p)
        ks = [k for o in objs for k in o.kpis]
        lead = sum(k.indicator == "leading" for k in ks)
        lag = sum(k.indicator == "lagging" for k in ks)
        lines.append(f"| {p.label} | {len(objs)} | {len(ks)} | {lead} | {lag} |")
    lines += [""] + _theme_lines(sc, brief) + ["## Common mistakes", ""]
    for _key, title, codes, rule in _CATEGORIES:
        hits = [f for f in findings if f.code in codes]
        bad = [f for f in hits if f.severity in ("error", "warning")]
        lines += [f"### {title}: {_mark(not bad)}", "", rule, ""]
        for f in hits:
            where = f" ({md_escape(f.where)})" if f.where else ""
            lines.append(f"- **{f.severity}** `{f.code}`{where}: {md_escape(f.message)}. "
                         f"*What to do:* {md_escape(f.advice)}.")
        if not hits:
            lines.append("- Nothing found by the automated checks.")
        lines.append("")
    # easy-to-measure vs strategic: heuristics beyond lint
    lines += ["### Easy-to-measure rather than strategic KPIs: check by hand", ""]
    counts = [(o, k) for o, k in sc.iter_kpis() if k.unit.lower() in ("count", "number", "#")]
    leading = sum(k.indicator == "leading" for k in sc.kpis)
    lines.append(f"- {leading} of {n_k} KPIs are leading indicators. A scorecard of outcomes only cannot "
                 "steer; one of operational activity only does not show whether the strategy works.")
    for o, k in counts:
        lines.append(f"- {md_escape(k.name)} ({md_escape(o.id)}) is a raw count: ask whether a rate or a "
                     "share would measure the objective better than volume.")
    lines += ["- For each KPI ask: would we change a decision if it moved? If not, it is an easy "
              "measure, not a strategic one.", ""]
    # one-time exercise
    no_owner = [k for k in sc.kpis if not k.owner]
    no_freq = [k for k in sc.kpis if not k.frequency]
    routine_ok = not no_owner and not no_freq and bool(sc.initiatives)
    lines += [f"### Treated as a one-time exercise: {_mark(routine_ok)}", ""]
    lines.append(f"- {n_k - len(no_owner)} of {n_k} KPIs have an owner"
                 + ("." if not no_owner else ": name an accountable owner for each KPI."))
    lines.append(f"- {n_k - len(no_freq)} of {n_k} KPIs have a reporting frequency"
                 + ("." if not no_freq else ": set how often each is measured and reviewed."))
    lines.append(f"- {len(sc.initiatives)} initiative(s)"
                 + (" fund the objectives." if sc.initiatives else
                    ": add the projects that will move the objectives, with owners, budgets and dates."))
    lines.append("- Review the scorecard in a regular strategy meeting, and test its links against "
                 "data every year (`bsc validate`): drop the links the data do not support.")
    if sc.generator is not None and sc.generator.name in ("offline", "openai"):
        lines += ["", f"*This scorecard was drafted by the {md_escape(sc.generator.name)} generator: "
                      "replace the typical baselines and targets with your own.*"]
    return "\n".join(lines).rstrip() + "\n"


def critique(
    scorecard: Scorecard,
    *,
    brief: Brief | str | os.PathLike[str] | dict[str, Any] | None = None,
    provider: str = "offline",
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
) -> str:
    """A Markdown review of a scorecard against the common Balanced Scorecard mistakes.

    The offline version (default) is built from :func:`bsc_toolkit.scorecard.lint`
    findings with advice, plus checks of ownership, frequency and initiatives; with
    ``provider="openai"`` (or ``"auto"`` with a key configured) an LLM writes it from
    the same findings and the scorecard. Given the ``brief``, it also lists the
    brief's themes the scorecard does not cover
    (:func:`~bsc_toolkit.generate.coverage.theme_coverage`).

    Examples
    --------
    >>> from bsc_toolkit.scorecard import load_example
    >>> text = critique(load_example("retail"))
    >>> text.startswith("# Critique")
    True
    >>> "recruit pilots" in critique(load_example("retail"), brief={"themes": ["recruit pilots"]})
    True
    """
    b = as_brief(brief) if brief is not None else None
    cfg = resolve_config(provider, model=model, base_url=base_url, api_key=api_key,
                         timeout=timeout, retries=retries, backoff=backoff)
    if cfg is None:
        return _offline_critique(scorecard, b)
    findings = [f"- {f}" for f in lint(scorecard)]
    if b is not None:
        findings += [f"- themes: the brief's theme {json.dumps(t.text, ensure_ascii=False)} is not covered by any "
                     "objective, KPI or initiative" for t in theme_coverage(scorecard, b).missing]
    user = render("critique", scorecard=scorecard.to_yaml(), findings="\n".join(findings) or "- no findings")
    answer = chat(cfg, [{"role": "system", "content": render("analyst")}, {"role": "user", "content": user}],
                  temperature=0.2)
    if not answer.strip():
        raise GenerationError("the model sent an empty critique", provider=cfg.provider, model=cfg.model)
    return (sanitize_markdown(answer).rstrip()
            + f"\n\n*Written by the model {md_escape(cfg.model)} at {md_escape(cfg.provider)} "
              "from the lint findings; check it.*\n")


# ------------------------------------------------------------------ narrative
def evidence_dict(evidence: EvidenceSource) -> dict[str, Any]:
    """Evidence as a plain dict in the ``docs/evidence-format.md`` format.

    Read by :func:`bsc_toolkit.evidence.load_evidence`, the one reader of evidence: an
    ``Evidence`` object, a dict or the path of the JSON file.

    Raises
    ------
    DataError
        When the evidence is malformed; the message names the file and the place.

    Examples
    --------
    >>> evidence_dict({"format": "bsc-evidence/1", "links": []})["links"]
    []
    """
    # the evidence stage comes after this one: its reader is loaded only when evidence is read
    from ..evidence import load_evidence

    return load_evidence(evidence).to_dict()


def _f(x: float | None, sign: bool = False) -> str:
    if x is None:
        return "n/a"
    return f"{x:+.2f}" if sign else f"{x:.2f}"


def _q(q: float | None) -> str:
    if q is None:
        return "n/a"
    return "< 0.001" if q < 0.001 else f"{q:.2g}"


def _label(sc: Scorecard, end: str, kpi: str | None) -> str:
    try:
        name = sc.objective_of(end).name
    except KeyError:
        name = end
    k = f" ({kpi})" if kpi else ""
    return f"{name}{k}"


def _effect_size(link: dict[str, Any]) -> float:
    se = link.get("standardized_effect")
    if se is not None:
        return abs(float(se))
    lr = link.get("long_run") or {}
    return abs(float(lr.get("estimate") or 0.0))


def _link_sentence(sc: Scorecard, lk: dict[str, Any]) -> str:
    lr = lk.get("long_run") or {}
    a = md_escape(_label(sc, str(lk.get("from")), lk.get("from_kpi")))
    b = md_escape(_label(sc, str(lk.get("to")), lk.get("to_kpi")))
    return (f"{a} → {b}: long-run effect {_f(lr.get('estimate'), sign=True)} "
            f"(95% CI {_f(lr.get('ci_low'))} to {_f(lr.get('ci_high'))}), q {_qq(lk.get('q_value'))}")


def _qq(q: float | None) -> str:
    s = _q(q)
    return s if s.startswith("<") else f"= {s}"


def _offline_narrative(sc: Scorecard, ev: dict[str, Any], top: int) -> str:
    links = ev["links"]
    counts = Counter(str(lk.get("verdict")) for lk in links)
    n = len(links)
    data = ev.get("data") or {}
    mt = ev.get("multiple_testing") or {}
    alpha = mt.get("alpha", (ev.get("settings") or {}).get("alpha"))
    lines = [f"## What the data say about the strategy of {md_escape(sc.name)}", ""]
    scope = []
    if data.get("is_panel") and data.get("n_units"):
        scope.append(f"{data['n_units']} units")
    if data.get("n_periods"):
        freq = f" {data['frequency']}" if data.get("frequency") else ""
        span = (f" ({data['first_period']} to {data['last_period']})"
                if data.get("first_period") and data.get("last_period") else "")
        scope.append(f"{data['n_periods']}{freq} periods{span}")
    on = f" on {md_escape(' over '.join(scope))}" if scope else ""
    lines.append(
        f"We tested {n} hypothesised cause-and-effect link(s){on}. "
        f"**{counts.get('supported', 0)} supported**, {counts.get('contradicted', 0)} contradicted, "
        f"{counts.get('not_supported', 0)} not supported and {counts.get('insufficient_data', 0)} "
        "could not be tested with the data available."
    )
    lines.append("")
    sup = sorted((lk for lk in links if lk.get("verdict") == "supported"), key=_effect_size, reverse=True)
    if sup:
        lines += ["**Strongest supported links** (largest standardised effect first):", ""]
        lines += [f"- {_link_sentence(sc, lk)}" for lk in sup[:top]]
        lines.append("")
    con = [lk for lk in links if lk.get("verdict") == "contradicted"]
    if con:
        lines += ["**Contradicted links**: significant, but with the opposite sign to the one expected. "
                  "Revisit these hypotheses before managing by them:", ""]
        lines += [f"- {_link_sentence(sc, lk)}; expected {md_escape(lk.get('expected_sign', '?'))}" for lk in con]
        lines.append("")
    ns = [lk for lk in links if lk.get("verdict") == "not_supported"]
    if ns:
        names = "; ".join(md_escape(f"{_label(sc, str(lk.get('from')), None)} → {_label(sc, str(lk.get('to')), None)}")
                          for lk in ns)
        lines += [f"**Not supported** (estimable but not significant after the false-discovery-rate correction): "
                  f"{names}.", ""]
    ins = [lk for lk in links if lk.get("verdict") == "insufficient_data"]
    if ins:
        lines += ["**No verdict possible:**", ""]
        lines += [f"- {md_escape(_label(sc, str(lk.get('from')), None))} → "
                  f"{md_escape(_label(sc, str(lk.get('to')), None))}: "
                  f"{md_escape(lk.get('reason') or 'no reason given')}" for lk in ins]
        lines.append("")
    sugg = ev.get("suggestions") or []
    if sugg:
        lines += ["**Exploratory signals** (not hypothesised in the map; treat as leads, not findings):", ""]
        for s in sugg:
            lines.append(f"- {md_escape(s.get('kind', ''))}: {md_escape(s.get('from_kpi'))} → "
                         f"{md_escape(s.get('to_kpi'))}, lag {s.get('lag')}, estimate "
                         f"{_f(s.get('estimate'), sign=True)}, q {_qq(s.get('q_value'))}. {md_escape(s.get('note') or '')}")
        lines.append("")
    lines += ["**Caveats.**", ""]
    method = mt.get("method")
    if method:
        a = f" at {alpha:g}" if isinstance(alpha, (int, float)) else ""
        pretty = {"benjamini-hochberg": "Benjamini–Hochberg", "fdr_bh": "Benjamini–Hochberg"}.get(
            str(method).lower(), str(method))
        lines.append(f"- q-values ({md_escape(pretty)}{a}) control the false discovery rate across the "
                     f"{mt.get('n_tests', n)} links tested; a supported link is still an association "
                     "conditional on the model, not proof of causation.")
    else:
        lines.append("- A supported link is an association conditional on the model, not proof of causation.")
    lines.append("- The data are observational: unmeasured drivers, reverse causality and changes in "
                 "measurement can produce or hide effects.")
    for w in ev.get("warnings") or []:
        lines.append(f"- {md_escape(w)}")
    return "\n".join(lines).rstrip() + "\n"


def _facts(sc: Scorecard, ev: dict[str, Any]) -> str:
    keep = ("from", "to", "from_kpi", "to_kpi", "expected_sign", "verdict", "reason", "long_run",
            "standardized_effect", "q_value", "n_obs")
    slim = {
        "scorecard": sc.name,
        "data": ev.get("data"),
        "multiple_testing": ev.get("multiple_testing"),
        "links": [{k: lk.get(k) for k in keep} | {
            "from_name": _label(sc, str(lk.get("from")), None), "to_name": _label(sc, str(lk.get("to")), None)}
            for lk in ev["links"]],
        "suggestions": ev.get("suggestions") or [],
        "warnings": ev.get("warnings") or [],
    }
    return json.dumps(slim, indent=1, ensure_ascii=False)


def narrate(
    scorecard: Scorecard,
    evidence: EvidenceSource,
    *,
    provider: str = "offline",
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    top: int = 3,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
) -> str:
    """A short executive narrative (Markdown) of what the evidence says about the links.

    Parameters
    ----------
    scorecard : Scorecard
    evidence : Evidence, dict or path
        Results of :func:`bsc_toolkit.evidence.validate`, in any of its forms (read by
        :func:`bsc_toolkit.evidence.load_evidence`: malformed evidence is a ``DataError``
        naming the file and the place).
    provider : {"offline", "openai", "auto"}
        Offline (default) builds the text from the results: counts of verdicts, the
        ``top`` strongest supported links with effect and CI, contradicted links,
        untestable links with reasons, exploratory signals and caveats.

    Examples
    --------
    >>> from bsc_toolkit.scorecard import load_example
    >>> ev = {"format": "bsc-evidence/1", "links": [{"from": "C1", "to": "F1", "verdict": "supported",
    ...        "long_run": {"estimate": 0.4, "ci_low": 0.2, "ci_high": 0.6}, "q_value": 0.01}]}
    >>> "1 supported" in narrate(load_example("retail"), ev)
    True
    """
    ev = evidence_dict(evidence)
    cfg = resolve_config(provider, model=model, base_url=base_url, api_key=api_key,
                         timeout=timeout, retries=retries, backoff=backoff)
    if cfg is None:
        return _offline_narrative(scorecard, ev, top)
    user = render("narrate", scorecard_name=scorecard.name, facts=_facts(scorecard, ev))
    answer = chat(cfg, [{"role": "system", "content": render("analyst")}, {"role": "user", "content": user}],
                  temperature=0.2)
    if not answer.strip():
        raise GenerationError("the model sent an empty narrative", provider=cfg.provider, model=cfg.model)
    return (sanitize_markdown(answer).rstrip()
            + f"\n\n*Written by the model {md_escape(cfg.model)} at {md_escape(cfg.provider)} from the "
              "evidence results; check every number against the results table.*\n")



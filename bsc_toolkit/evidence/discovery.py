"""EXPLORATORY discovery: candidate links the map does not hypothesise, and reverse causality.

(a) Candidate links: every ordered pair of KPIs that the map does not link in
either direction (and that do not belong to the same objective) is tested with the
link tests' design (:func:`~.linktest.estimate_link`: lags 1..max_lag chosen by BIC,
own lags, the same transform, effects and covariance). Benjamini-Hochberg q-values
are computed across all candidate pairs -- a family separate from the hypothesised
links, whose verdicts are not affected. Pairs with q <= alpha become suggestions
of kind ``candidate``.

(b) Reverse causality: for every hypothesised link ``x -> y`` the reverse
direction ``y -> x`` is tested with the same design (the link's explicit lags
without lag 0 -- a contemporaneous term has no direction -- otherwise BIC). BH
runs across these reverse tests (a third family). A link is flagged (suggestion
of kind ``reverse``) when its reverse direction is significant after FDR and
stronger than the forward direction, measured by |t| of the long-run effect.

Everything here is a lead for discussion, not a finding: searching many pairs
always turns something up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .linktest import PanelArrays, estimate_link
from .results import LinkResult

__all__ = ["discover"]


def _t(lk: LinkResult) -> float | None:
    lr = lk.long_run
    if lr.estimate is None or not lr.std_error:
        return None
    return lr.estimate / lr.std_error


def _bh(pvals: Sequence[float]) -> list[float]:
    if not pvals:
        return []
    from statsmodels.stats.multitest import multipletests

    return [float(q) for q in multipletests(list(pvals), method="fdr_bh")[1]]


def discover(
    scorecard: Any,
    pa: PanelArrays,
    links: Sequence[LinkResult],
    *,
    effects: str,
    cov: str,
    own_lags: int = 1,
    controls: Sequence[str] = (),
    max_lag: int = 2,
    transform: str = "auto",
    alpha: float = 0.05,
    engine: str = "auto",
    candidates: bool = True,
    reverse: bool = True,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Exploratory suggestions and a description of what was searched.

    Returns ``(suggestions, info)``: ``suggestions`` in the evidence-file format
    (kinds ``candidate`` and ``reverse``), ``info`` with the numbers of pairs
    tested and the multiple-testing notes.

    Examples
    --------
    >>> from bsc_toolkit.history import simulate_history  # doctest: +SKIP
    >>> sim = simulate_history("retail", n_units=30, n_periods=24)  # doctest: +SKIP
    >>> ev = validate("retail", sim.history)  # doctest: +SKIP
    >>> [s["kind"] for s in ev.suggestions]  # doctest: +SKIP
    """
    max_lag_c = max(max_lag, 1)
    kpis = [k.id for k in scorecard.kpis if k.id in pa.columns]
    obj = {k.id: o.id for o, k in scorecard.iter_kpis()}
    hyp: set[tuple[str, str]] = set()
    for lk in links:
        hyp.add((lk.from_kpi, lk.to_kpi))
        hyp.add((lk.to_kpi, lk.from_kpi))
    succ: dict[str, set[str]] = {}
    for lk in links:
        succ.setdefault(lk.from_kpi, set()).add(lk.to_kpi)

    def reaches(a: str, b: str) -> bool:
        seen, stack = set(), [a]
        while stack:
            for n in succ.get(stack.pop(), ()):
                if n == b:
                    return True
                if n not in seen:
                    seen.add(n)
                    stack.append(n)
        return False

    kw = dict(own_lags=own_lags, controls=controls, effects=effects, cov=cov, transform=transform,
              alpha=alpha, engine=engine)
    out: list[dict[str, Any]] = []
    info: dict[str, Any] = {"label": "EXPLORATORY"}

    # ---------------------------------------------------------- (a) candidates
    if candidates:
        tested: list[LinkResult] = []
        n_pairs = 0
        for a in kpis:
            for b in kpis:
                if a == b or (a, b) in hyp or obj.get(a) == obj.get(b):
                    continue
                n_pairs += 1
                r = estimate_link(pa, b, a, max_lag=max_lag_c, **kw)
                if r.verdict != "insufficient_data" and r.p_value is not None:
                    tested.append(r)
        q = _bh([r.p_value for r in tested])
        for r, qv in zip(tested, q, strict=True):
            if qv <= alpha:
                lr = r.long_run
                implied = reaches(r.from_kpi, r.to_kpi)
                rev_implied = reaches(r.to_kpi, r.from_kpi)
                common = sorted(k for k in kpis if k not in (r.from_kpi, r.to_kpi)
                                and reaches(k, r.from_kpi) and reaches(k, r.to_kpi))
                note = (f"exploratory: not hypothesised in the map; BH q across {len(tested)} candidate "
                        f"pairs (separate from the hypothesised links)")
                if implied:
                    note += ("; the map already implies an indirect path between them, so this may be "
                             "that chain rather than a missing link")
                if rev_implied:
                    note += (f"; the map implies a path {r.to_kpi} -> {r.from_kpi}, so this may be "
                             f"feedback/reverse causality (biased in short fixed-effects panels)")
                if common:
                    note += (f"; both are driven by {', '.join(common)} in the map: a shared driver "
                             f"makes persistent KPIs predict each other without a direct link")
                out.append({
                    "kind": "candidate", "from_kpi": r.from_kpi, "to_kpi": r.to_kpi,
                    "implied_by_map": implied, "reverse_implied_by_map": rev_implied,
                    "common_drivers_in_map": common,
                    "from": obj.get(r.from_kpi), "to": obj.get(r.to_kpi),
                    "lag": list(r.lags) if len(r.lags) > 1 else (r.lags[0] if r.lags else None),
                    "lags": list(r.lags), "estimate": lr.estimate, "std_error": lr.std_error,
                    "ci_low": lr.ci_low, "ci_high": lr.ci_high, "t_value": _t(r),
                    "standardized_effect": r.standardized_effect, "p_value": r.p_value, "q_value": qv,
                    "transform": r.method.get("transform"), "note": note,
                })
        out.sort(key=lambda s: (s["q_value"], -abs(s["t_value"] or 0)))
        info["candidates"] = {
            "n_pairs": n_pairs, "n_tested": len(tested), "n_suggested": sum(s["kind"] == "candidate" for s in out),
            "design": f"lags 1..p with p <= {max_lag_c} by BIC, {own_lags} own lag(s), same transform, effects "
                      "and covariance as the link tests",
            "multiple_testing": "Benjamini-Hochberg across all candidate pairs tested, a family separate "
                                "from the hypothesised links (their q-values and verdicts are unaffected)",
            "excluded": "pairs linked in the map in either direction and pairs of KPIs of the same objective",
        }

    # ------------------------------------------------------------- (b) reverse
    if reverse:
        fwd, rev = [], []
        for lk in links:
            if lk.verdict == "insufficient_data" or lk.from_kpi == lk.to_kpi:
                continue
            m = lk.method
            lags = [x for x in (m.get("lags") or []) if x > 0] if m.get("lag_selection") == "explicit" else []
            r = estimate_link(pa, lk.from_kpi, lk.to_kpi, lags=lags or None, max_lag=max_lag_c, **kw)
            if r.verdict != "insufficient_data" and r.p_value is not None:
                fwd.append(lk)
                rev.append(r)
        q = _bh([r.p_value for r in rev])
        n_flag = 0
        for lk, r, qv in zip(fwd, rev, q, strict=True):
            tr, tf = _t(r), _t(lk)
            if qv <= alpha and tr is not None and (tf is None or abs(tr) > abs(tf)):
                n_flag += 1
                lr = r.long_run
                out.append({
                    "kind": "reverse", "from_kpi": r.from_kpi, "to_kpi": r.to_kpi,
                    "link": {"from": lk.from_, "to": lk.to}, "from": lk.to, "to": lk.from_,
                    "lag": list(r.lags) if len(r.lags) > 1 else (r.lags[0] if r.lags else None),
                    "lags": list(r.lags), "estimate": lr.estimate, "std_error": lr.std_error,
                    "ci_low": lr.ci_low, "ci_high": lr.ci_high, "t_value": tr,
                    "standardized_effect": r.standardized_effect, "p_value": r.p_value, "q_value": qv,
                    "forward": {"estimate": lk.long_run.estimate, "t_value": tf, "q_value": lk.q_value,
                                "verdict": lk.verdict},
                    "note": (f"the reverse direction ({r.from_kpi} -> {r.to_kpi}) is stronger than the "
                             f"hypothesised one: |t| {abs(tr):.2f} vs {abs(tf) if tf is not None else 0:.2f} "
                             f"(long-run effects); BH q across {len(rev)} reverse tests"),
                })
        info["reverse"] = {
            "n_tested": len(rev), "n_flagged": n_flag,
            "design": "the link's explicit lags without lag 0 (else lags 1..p by BIC), same own lags, "
                      "transform, effects and covariance",
            "rule": "flagged when the reverse long-run effect is significant after BH across the reverse "
                    "tests (q <= alpha) and its |t| exceeds the forward long-run effect's |t|",
        }
    return out, info

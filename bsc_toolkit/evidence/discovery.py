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
from typing import TYPE_CHECKING, Any

from ..scorecard.lint import reachable
from .batch import LinkRequest, test_links
from .data import PanelArrays
from .inference import bh_qvalues
from .options import Options
from .results import LinkResult

if TYPE_CHECKING:
    from ..scorecard.model import Scorecard


__all__ = ["discover"]


def _t(lk: LinkResult) -> float | None:
    lr = lk.long_run
    if lr.estimate is None or not lr.std_error:
        return None
    return lr.estimate / lr.std_error


def _bh(pvals: Sequence[float]) -> list[float]:
    return [float(q) for q in bh_qvalues(pvals)]


def discover(
    scorecard: Scorecard,
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
    m = _Map(scorecard, links, kpis)
    opts = Options(own_lags=own_lags, controls=tuple(controls), effects=effects, cov=cov,
                   transform=transform, alpha=alpha, engine=engine, max_lag=max_lag_c).resolve(
                       is_panel=pa.is_panel, source=pa.source)
    out: list[dict[str, Any]] = []
    info: dict[str, Any] = {"label": "EXPLORATORY"}
    if candidates:
        found, info["candidates"] = _candidates(pa, m, opts)
        out += found
    if reverse:
        found, info["reverse"] = _reverse(pa, links, opts)
        out += found
    return out, info


class _Map:
    """What the scorecard's map says about KPI pairs: hypothesised, implied paths, shared drivers."""

    def __init__(self, scorecard: Scorecard, links: Sequence[LinkResult], kpis: list[str]):
        self.kpis = kpis
        self.obj = {k.id: o.id for o, k in scorecard.iter_kpis()}
        self.hyp: set[tuple[str, str]] = set()
        self.succ: dict[str, set[str]] = {}
        for lk in links:
            self.hyp.add((lk.from_kpi, lk.to_kpi))
            self.hyp.add((lk.to_kpi, lk.from_kpi))
            self.succ.setdefault(lk.from_kpi, set()).add(lk.to_kpi)

    def reaches(self, a: str, b: str) -> bool:
        return b in reachable(self.succ, a)

    def pairs(self) -> list[tuple[str, str]]:
        """Ordered KPI pairs the map does not link (either way), outside a shared objective."""
        return [(a, b) for a in self.kpis for b in self.kpis
                if a != b and (a, b) not in self.hyp and self.obj.get(a) != self.obj.get(b)]


def _candidate(r: LinkResult, qv: float, n_tested: int, m: _Map) -> dict[str, Any]:
    implied = m.reaches(r.from_kpi, r.to_kpi)
    rev_implied = m.reaches(r.to_kpi, r.from_kpi)
    common = sorted(k for k in m.kpis if k not in (r.from_kpi, r.to_kpi)
                    and m.reaches(k, r.from_kpi) and m.reaches(k, r.to_kpi))
    note = (f"exploratory: not hypothesised in the map; BH q across {n_tested} candidate "
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
    return {
        "kind": "candidate", "from_kpi": r.from_kpi, "to_kpi": r.to_kpi,
        "implied_by_map": implied, "reverse_implied_by_map": rev_implied,
        "common_drivers_in_map": common,
        "from": m.obj.get(r.from_kpi), "to": m.obj.get(r.to_kpi),
        **_effect(r), "q_value": qv, "transform": r.method.get("transform"), "note": note,
    }


def _effect(r: LinkResult) -> dict[str, Any]:
    lr = r.long_run
    return {"lag": list(r.lags) if len(r.lags) > 1 else (r.lags[0] if r.lags else None),
            "lags": list(r.lags), "estimate": lr.estimate, "std_error": lr.std_error,
            "ci_low": lr.ci_low, "ci_high": lr.ci_high, "t_value": _t(r),
            "standardized_effect": r.standardized_effect, "p_value": r.p_value}


def _candidates(pa: PanelArrays, m: _Map, opts: Options) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(a) every pair the map does not link, BH across them; suggestions with q <= alpha."""
    pairs = m.pairs()
    alpha, own_lags, max_lag = opts.alpha, opts.own_lags, opts.max_lag
    results = test_links(pa, [LinkRequest(b, a) for a, b in pairs], opts)
    tested = [r for r in results if r.verdict != "insufficient_data" and r.p_value is not None]
    q = _bh([r.p_value for r in tested if r.p_value is not None])
    out = [_candidate(r, qv, len(tested), m) for r, qv in zip(tested, q, strict=True) if qv <= alpha]
    out.sort(key=lambda s: (s["q_value"], -abs(s["t_value"] or 0)))
    info = {
        "n_pairs": len(pairs), "n_tested": len(tested), "n_suggested": len(out),
        "design": f"lags 1..p with p <= {max_lag} by BIC, {own_lags} own lag(s), same transform, effects "
                  "and covariance as the link tests",
        "multiple_testing": "Benjamini-Hochberg across all candidate pairs tested, a family separate "
                            "from the hypothesised links (their q-values and verdicts are unaffected)",
        "excluded": "pairs linked in the map in either direction and pairs of KPIs of the same objective",
    }
    return out, info


def _reverse(pa: PanelArrays, links: Sequence[LinkResult], opts: Options
             ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(b) every hypothesised link tested the other way; flagged when significant and stronger."""
    alpha = opts.alpha
    todo, reqs = [], []
    for lk in links:
        if lk.verdict == "insufficient_data" or lk.from_kpi == lk.to_kpi:
            continue
        m = lk.method
        lags = [x for x in (m.get("lags") or []) if x > 0] if m.get("lag_selection") == "explicit" else []
        todo.append(lk)
        reqs.append(LinkRequest(lk.from_kpi, lk.to_kpi, lags=lags or None))
    fwd, rev = [], []
    for lk, r in zip(todo, test_links(pa, reqs, opts), strict=True):
        if r.verdict != "insufficient_data" and r.p_value is not None:
            fwd.append(lk)
            rev.append(r)
    q = _bh([r.p_value for r in rev if r.p_value is not None])
    out = []
    for lk, r, qv in zip(fwd, rev, q, strict=True):
        tr, tf = _t(r), _t(lk)
        if qv <= alpha and tr is not None and (tf is None or abs(tr) > abs(tf)):
            out.append({
                "kind": "reverse", "from_kpi": r.from_kpi, "to_kpi": r.to_kpi,
                "link": {"from": lk.from_, "to": lk.to}, "from": lk.to, "to": lk.from_,
                **_effect(r), "q_value": qv,
                "forward": {"estimate": lk.long_run.estimate, "t_value": tf, "q_value": lk.q_value,
                            "verdict": lk.verdict},
                "note": (f"the reverse direction ({r.from_kpi} -> {r.to_kpi}) is stronger than the "
                         f"hypothesised one: |t| {abs(tr):.2f} vs {abs(tf) if tf is not None else 0:.2f} "
                         f"(long-run effects); BH q across {len(rev)} reverse tests"),
            })
    info = {
        "n_tested": len(rev), "n_flagged": len(out),
        "design": "the link's explicit lags without lag 0 (else lags 1..p by BIC), same own lags, "
                  "transform, effects and covariance",
        "rule": "flagged when the reverse long-run effect is significant after BH across the reverse "
                "tests (q <= alpha) and its |t| exceeds the forward long-run effect's |t|",
    }
    return out, info

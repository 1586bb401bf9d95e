"""Robustness of each verdict across a documented grid of defensible specifications.

A specification curve (Simonsohn, Simmons & Nelson, *Nature Human Behaviour* 2020): every
link is re-estimated under each combination of the choices an analyst could defend, and the
verdicts are compared with the headline one.

The grid (:func:`grid`):

* ``transform``: ``none`` (levels), ``detrend`` (unit-specific or common linear trends),
  ``diff`` (first differences) -- what ``auto`` chose is one of them;
* ``own_lags``: 0, 1, 2 (the outcome's own past);
* driver lags: the headline choice (the link's explicit ``lags``, or 1..p by BIC), lag 1 only,
  and every lag 1..max_lag;
* ``effects`` (panels): unit effects, unit and time effects;
* ``estimator``: OLS; for panels under 30 periods also ``iv-fd`` (Anderson-Hsiao) with one own
  lag and the headline lags, in levels and with unit trends.

Each grid point tests every link of the scorecard, and its verdicts use Benjamini-Hochberg
q-values across the links of that grid point (the same family the headline verdicts use).
Specifications that come out identical (e.g. BIC choosing lag 1, or a link whose explicit lag
is 1) are counted once. Per link the record says how many specifications there were
(``n_specs``), how many have a verdict (``n_estimable``), the share of those that agree with
the headline verdict (``agree_share``), the verdict counts, the range of the cumulative effect
and of the standardized effect, which choices flip the verdict (``flips``: a choice whose
specifications mostly disagree) and a ``label``:

* ``robust``: at least :data:`ROBUST_SHARE` (90%) of the estimable specifications agree with the
  headline verdict, at least :data:`CHOICE_SHARE` (75%) agree within every value of every choice
  (no value of one choice -- e.g. ``transform=diff`` -- on which the verdict wavers; ``flips``
  lists the values on which it mostly disagrees), and none has a significant effect of the opposite
  sign to a significant headline (supported vs contradicted);
* ``fragile``: otherwise;
* ``null``: the headline has no verdict (insufficient data).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .batch import LinkRequest, test_links
from .data import PanelArrays
from .design import prefetch_unit_roots
from .options import Options
from .results import LinkResult
from .verdicts import apply_fdr

__all__ = ["CHOICE_SHARE", "GRID_NOTE", "ROBUST_SHARE", "GridPoint", "grid", "grid_results", "robustness", "summarize",
           "summarize_all"]

#: share of estimable specifications that must agree with the headline for "robust" ...
ROBUST_SHARE = 0.9
#: ... and the share that must agree within every value of every choice (e.g. all transform=diff ones)
CHOICE_SHARE = 0.75
#: below this many periods, panels get iv-fd specifications in the grid
IV_FD_PERIODS = 30
GRID_NOTE = (
    "specification curve: transform none/detrend/diff x own lags 0-2 x driver lags (headline, lag 1 "
    "only, 1..max_lag) x effects unit/unit+time (panels), plus iv-fd for panels under 30 periods, "
    "plus the headline model with the outcome's other hypothesised drivers as regressors (a driver "
    "shared in the map cannot pass for an effect); BH within each specification; robust = at least 90% of the specifications with a verdict agree "
    "with the headline, at least 75% within every value of every choice, and none is significant "
    "with the opposite sign"
)


@dataclass(frozen=True)
class GridPoint:
    """One specification of the grid (the same for every link)."""

    transform: str
    own_lags: int
    lag_choice: str  # "headline" | "lag 1" | "1..p"
    effects: str
    estimator: str = "ols"
    #: the outcome's other hypothesised drivers in the regression too (at their links' lags)
    others: bool = False

    def options(self, base: Options) -> Options:
        return base.replace(transform=self.transform, own_lags=self.own_lags, effects=self.effects,
                            estimator=self.estimator)


def grid(opts: Options, *, is_panel: bool, n_periods: int) -> list[GridPoint]:
    """The documented grid for a run with (resolved) options ``opts``."""
    lag_choices = ("headline", "lag 1", f"1..{max(opts.max_lag, 1)}")
    effects = ("unit", "both") if is_panel else ("none",)
    out = [GridPoint(tr, own, lc, eff) for tr in ("none", "detrend", "diff") for eff in effects
           for own in (0, 1, 2) for lc in lag_choices]
    if is_panel and n_periods < IV_FD_PERIODS and opts.effects in ("unit", "both") and opts.cov in (
            "unadjusted", "robust", "clustered"):
        out += [GridPoint(tr, 1, "headline", opts.effects, "iv-fd") for tr in ("none", "detrend")]
    if opts.estimator == "ols":  # the headline's model with the outcome's other drivers as regressors
        out.append(GridPoint(opts.transform, opts.own_lags, "headline", opts.effects, others=True))
    return out


def other_drivers(rq: LinkRequest, requests: Sequence[LinkRequest]) -> tuple[tuple[str, int], ...]:
    """The outcome's other hypothesised drivers at their links' lags (lag 1 where BIC chooses),
    as (column, lag) regressors: a driver shared with them in the map then cannot pass for an
    effect of this link (a conditional test).

    Examples
    --------
    >>> reqs = [LinkRequest("F2", "C1", lags=[1]), LinkRequest("F2", "C2", lags=[1]),
    ...         LinkRequest("F2", "C3"), LinkRequest("C2", "P1", lags=[1])]
    >>> other_drivers(reqs[1], reqs)
    (('C1', 1), ('C3', 1))
    """
    out: dict[tuple[str, int], None] = {}
    for r in requests:
        if r.y_col == rq.y_col and r.x_col not in (rq.x_col, rq.y_col):
            for lag in (r.lags if r.lags else [1]):
                out[(r.x_col, int(lag))] = None
    return tuple(out)


def _lags(choice: str, link_lags: Sequence[int] | None, max_lag: int) -> list[int] | None:
    if choice == "headline":
        return list(link_lags) if link_lags is not None else None
    if choice == "lag 1":
        return [1]
    return list(range(1, max(max_lag, 1) + 1))


def _key(r: LinkResult) -> tuple[Any, ...]:
    """What makes two specifications of a link the same model."""
    m = r.get("method", {})
    return (m.get("transform"), m.get("own_lags"), tuple(m.get("lags") or []), m.get("effects"),
            m.get("estimator"), tuple(m.get("other_drivers") or []))


def _spec_record(gp: GridPoint | None, r: LinkResult) -> dict[str, Any]:
    m = r.get("method", {})
    lr = r.long_run
    return {
        "transform": m.get("transform"), "own_lags": m.get("own_lags"), "lags": list(m.get("lags") or []),
        "lag_choice": gp.lag_choice if gp else "headline", "effects": m.get("effects"),
        "estimator": "iv-fd" if m.get("estimator") == "iv-fd" else "ols",
        "other_drivers": "included" if m.get("other_drivers") else "excluded",
        "verdict": r.verdict, "effect": lr.estimate, "ci_low": lr.ci_low, "ci_high": lr.ci_high,
        "std_effect": r.standardized_effect, "q_value": r.q_value, "headline": gp is None,
    }


def _range(values: list[float | None]) -> list[float] | None:
    v = [x for x in values if x is not None and np.isfinite(x)]
    return [float(min(v)), float(max(v))] if v else None


DIMENSIONS = ("transform", "own_lags", "lag_choice", "effects", "estimator", "other_drivers")


def _choice_agreement(specs: list[dict[str, Any]], verdict: str) -> dict[str, float]:
    """Share agreeing with ``verdict`` among the estimable specifications of each choice value."""
    out = {}
    for dim in DIMENSIONS:
        for v in sorted({s[dim] for s in specs}, key=str):
            sel = [s for s in specs if s[dim] == v and s["verdict"] != "insufficient_data"]
            if sel:
                out[f"{dim}={v}"] = sum(s["verdict"] == verdict for s in sel) / len(sel)
    return out


def _flips(specs: list[dict[str, Any]], headline: dict[str, Any], verdict: str) -> list[str]:
    """Choices (other than the headline's) whose estimable specifications mostly disagree."""
    own = {f"{d}={headline[d]}" for d in DIMENSIONS}
    return [k for k, share in _choice_agreement(specs, verdict).items() if k not in own and share <= 0.5]


def summarize(headline: LinkResult, results: list[tuple[GridPoint, LinkResult]]) -> dict[str, Any]:
    """The ``robustness`` record of one link from its headline and its grid results."""
    seen = {_key(headline)}
    specs = [_spec_record(None, headline)]
    for gp, r in results:
        k = _key(r) if r.verdict != "insufficient_data" else (gp, "insufficient")
        if k in seen:
            continue
        seen.add(k)
        specs.append(_spec_record(gp, r))
    verdict = headline.verdict
    est = [s for s in specs if s["verdict"] != "insufficient_data"]
    counts = Counter(s["verdict"] for s in specs)
    agree = sum(s["verdict"] == verdict for s in est)
    share = agree / len(est) if est else None
    opposite = {"supported": "contradicted", "contradicted": "supported"}.get(verdict)
    flips = _flips(specs, specs[0], verdict) if verdict != "insufficient_data" and share is not None else []
    if verdict == "insufficient_data" or share is None:
        label = None
    elif (share >= ROBUST_SHARE and not flips and not (opposite and counts.get(opposite, 0))
          and min(_choice_agreement(specs, verdict).values(), default=1.0) >= CHOICE_SHARE):
        label = "robust"
    else:
        label = "fragile"
    return {
        "n_specs": len(specs), "n_estimable": len(est), "agree_share": share,
        "verdict_counts": {v: counts.get(v, 0) for v in
                           ("supported", "contradicted", "not_supported", "insufficient_data")},
        "effect_range": _range([s["effect"] for s in est]),
        "std_effect_range": _range([s["std_effect"] for s in est]),
        "flips": flips,
        "label": label, "specs": specs,
    }


def robustness(
    pa: PanelArrays, links: Sequence[LinkResult], requests: Sequence[LinkRequest], opts: Options,
) -> list[dict[str, Any]]:
    """The ``robustness`` record of each link (in order), from the grid of :func:`grid`.

    ``links`` are the headline results (verdicts after FDR), ``requests`` what produced them.
    """
    return summarize_all(links, grid_results(pa, requests, opts))


def summarize_all(links: Sequence[LinkResult],
                  per_link: Sequence[Sequence[tuple[GridPoint, LinkResult]]]) -> list[dict[str, Any]]:
    """:func:`summarize` for every link, from the headline results and :func:`grid_results`."""
    return [summarize(h, list(res)) for h, res in zip(links, per_link, strict=True)]


#: what :func:`summarize` reads of a grid result (the rest stays in the worker that computed it)
_KEPT = ("from", "to", "verdict", "long_run", "standardized_effect", "q_value")


def _slim(r: LinkResult) -> LinkResult:
    m = r.get("method", {})
    return LinkResult({**{k: r.get(k) for k in _KEPT},
                       "method": {k: m.get(k) for k in ("transform", "own_lags", "lags", "effects", "estimator",
                                                         "other_drivers") if k in m}})


def grid_results(pa: PanelArrays, requests: Sequence[LinkRequest], opts: Options,
                 ) -> list[list[tuple[GridPoint, LinkResult]]]:
    """Every link's results over the grid (BH within each specification), in the order of
    ``requests``: what :func:`summarize` needs of each, nothing that depends on the headline
    results -- so the grid can run while the headline tests are still being computed."""
    points = grid(opts, is_panel=pa.is_panel, n_periods=pa.n_periods)
    reqs: list[LinkRequest] = []
    for gp in points:
        o = gp.options(opts)
        for rq in requests:
            ml = rq.max_lag if rq.max_lag is not None else opts.max_lag
            ro = o.replace(lagged_controls=other_drivers(rq, requests)) if gp.others else o
            reqs.append(LinkRequest(rq.y_col, rq.x_col, lags=_lags(gp.lag_choice, rq.lags, ml), max_lag=rq.max_lag,
                                    from_=rq.from_, to=rq.to, expected_sign=rq.expected_sign, options=ro))
    # the grid's groups use their blocks one after the other: keep one at a time (the memory of
    # the last is reused for the next instead of touching fresh pages)
    prefetch_unit_roots(pa, [c for rq in requests for c in (rq.y_col, rq.x_col)],
                        sorted({gp.effects for gp in points}))
    kept = pa.blocks.get("max_blocks")
    pa.blocks["max_blocks"] = 1
    try:
        flat = test_links(pa, reqs, opts)
    finally:
        if kept is None:
            pa.blocks.pop("max_blocks", None)
        else:
            pa.blocks["max_blocks"] = kept
    n = len(requests)
    per_link: list[list[tuple[GridPoint, LinkResult]]] = [[] for _ in range(n)]
    for g, gp in enumerate(points):
        done, _ = apply_fdr(flat[g * n:(g + 1) * n], opts.alpha)
        for i, r in enumerate(done):
            per_link[i].append((gp, _slim(r)))
    return per_link

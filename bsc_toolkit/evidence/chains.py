"""Chains: indirect effects along Learning -> Process -> Customer -> Financial paths.

A chain is a sequence of hypothesised links, one per step, from a Learning &
Growth end to a Financial end through Internal Process and Customer, where each
step starts at the KPI the previous step ended at. Its indirect effect is the
product of the steps' long-run effects, each from the link's own model (the
link test of :mod:`.linktest`); with own lags the product of the long-run
multipliers is reported too -- for steps with unit effects and own lags the
multipliers corrected for the short-panel bias (half-panel jackknife,
:mod:`.dynamics`), whose replications come from the same unit draws.

Uncertainty: a bootstrap that respects the data -- panels resample whole units
(cluster bootstrap, multinomial unit weights), a single series resamples moving
blocks of periods (block length ceil(n^(1/3))). It is vectorised: for every
step the per-unit (or per-period) cross-products of the link's design are
computed once and all B replications are solved at once as weighted normal
equations (numpy ``einsum`` + batched ``solve``), with the same draws for every
step so that their dependence is kept. For balanced panels with time effects
the time means are re-computed with the replication's weights (exact two-way
within transformation of the resampled panel). The Sobel (first-order delta
method, independent steps) standard error is a cross-check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .data import PanelArrays
from .dynamics import (
    LinkDynamics,
    bootstrap_weights,
    cached_dynamics,
    crossproducts,
    link_sample,
    multiplier_draws,
    percentile_summary,
    solve_weighted,
    summarize_draws,
    widen,
)
from .inference import norm_quantile, norm_sf
from .results import LinkResult

if TYPE_CHECKING:
    from ..scorecard.model import Scorecard


__all__ = ["bootstrap_link", "bootstrap_weights", "chain_effects", "chain_paths", "summarize_draws"]

LEVELS = ("learning_growth", "internal_process", "customer", "financial")


def chain_paths(scorecard: Scorecard, links: Sequence[LinkResult]) -> list[list[LinkResult]]:
    """Every path of 3 links Learning -> Process -> Customer -> Financial (KPI ends match).

    Examples
    --------
    >>> from bsc_toolkit.evidence import load_evidence
    >>> from bsc_toolkit.scorecard import load_example
    >>> ev = load_evidence("tests/data/evidence_retail_sample.json")  # doctest: +SKIP
    >>> [[lk.from_ for lk in p] for p in chain_paths(load_example("retail"), ev.links)][:1]  # doctest: +SKIP
    """
    def level(x: str) -> int | None:
        try:
            return LEVELS.index(scorecard.perspective_of(x).value)
        except (KeyError, ValueError):
            return None

    steps: dict[int, list[LinkResult]] = {0: [], 1: [], 2: []}
    for lk in links:
        a, b = level(lk.from_), level(lk.to)
        if a is not None and b == a + 1 and a in steps:
            steps[a].append(lk)
    paths = []
    for l1 in steps[0]:
        for l2 in steps[1]:
            if l2.from_kpi != l1.to_kpi:
                continue
            for l3 in steps[2]:
                if l3.from_kpi == l2.to_kpi:
                    paths.append([l1, l2, l3])
    return paths


def bootstrap_link(lk: LinkResult, pa: PanelArrays, W: np.ndarray, kind: str,
                   controls: Sequence[str] = ()) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Coefficients of one link's model for every replication: ``(b_hat, b_boot (B x k), info)``.

    ``b_hat`` is the full-sample estimate from the same normal equations (equal to the
    link's estimate); driver lags come first, then own lags. Panels: per-unit cross-products
    (:func:`~.dynamics.crossproducts`), one weighted solve per replication; a single series:
    per-period cross-products with the moving-block weights.
    """
    m = lk.method
    d, spec = link_sample(lk, pa, controls)
    info: dict[str, Any] = {"n_lags": len(m.get("lags") or []), "own_lags": int(m.get("own_lags") or 0)}
    Z = np.column_stack([d.y, d.X])
    if pa.is_panel:
        n_u = int(d.u.max()) + 1
        cp = crossproducts(Z, d.u, d.t, n_u, spec.absorb_effects, spec.unit_trends)
        if cp.approximation:
            info["approximation"] = cp.approximation
        b_hat = solve_weighted(cp, np.ones((1, n_u)))[0]
        return b_hat, solve_weighted(cp, W[:, np.unique(d.unit_index)]), info
    A = Z[:, :, None] * Z[:, None, :]
    S = np.einsum("bn,nij->bij", W[:, d.period_index], A)
    S_hat = A.sum(axis=0)
    b_hat = np.linalg.solve(S_hat[1:, 1:], S_hat[1:, 0])
    XtX, Xty = S[:, 1:, 1:], S[:, 1:, 0]
    out = np.full((W.shape[0], XtX.shape[1]), np.nan)
    # replications with a singular design (e.g. too few distinct periods drawn) are dropped
    cond_ok = np.linalg.cond(XtX) < 1e12
    if cond_ok.any():
        out[cond_ok] = np.linalg.solve(XtX[cond_ok], Xty[cond_ok][:, :, None])[:, :, 0]
    return b_hat, out, info


def _multiplier(lk: LinkResult) -> float:
    m = lk.long_run_multiplier
    return float(m.estimate) if m is not None and m.estimate is not None else float("nan")


def _step_draws(lk: LinkResult, pa: PanelArrays, W: np.ndarray, kind: str, B: int, seed: int,
                controls: Sequence[str]) -> tuple[np.ndarray, np.ndarray | None, float, str | None, str]:
    """One step's bootstrap draws: cumulative effects, long-run multipliers (None without own lags),
    the multiplier's point estimate, an approximation note and the correction used.

    Panels with unit effects and own lags: the half-panel-jackknife dynamics (the same unit draws
    as every other step and as the link's own interval); the cumulative effect is the corrected
    one only when the link test was corrected (``bias_correction="hpj"``), so that the indirect
    effect is the product of the steps' reported ``long_run``.
    """
    dyn = cached_dynamics(lk, pa, W, B, seed, controls) if pa.is_panel else "single series"
    if isinstance(dyn, LinkDynamics) and dyn.corrected_draws is not None and dyn.raw_draws is not None:
        nl, no = dyn.n_lags, dyn.own_lags
        applies = (lk.to_dict().get("dynamics") or {}).get("applies_to") or []
        cum = (dyn.corrected_draws if "long_run" in applies else dyn.raw_draws)[:, :nl].sum(axis=1)
        c, r = dyn.sums()
        m_hat = c / (1 - r) if r < 1 else float("nan")
        return cum, multiplier_draws(dyn.corrected_draws, nl, no), m_hat, dyn.approximation, "hpj"
    _, bb, inf = bootstrap_link(lk, pa, W, kind, controls)
    nl, no = inf["n_lags"], inf["own_lags"]
    mult = multiplier_draws(bb, nl, no) if no else None
    return bb[:, :nl].sum(axis=1), mult, _multiplier(lk), inf.get("approximation"), "none"


def _multiplier_note(corrected: list[bool]) -> str:
    if all(corrected):
        return ("indirect_multiplier: product of the steps' long-run multipliers corrected for the "
                "short-panel bias (half-panel jackknife); percentile interval of the whole-unit "
                "bootstrap of the corrected estimator (jackknife-scaled, widened by t(G-1) / normal "
                "quantiles), the same unit draws for every step")
    if any(corrected):
        return ("indirect_multiplier: steps with unit effects and own lags use the corrected "
                "(half-panel jackknife) multipliers, the others the fixed-effects ones")
    return "indirect_multiplier: product of the steps' long-run multipliers (no short-panel correction applies)"


def chain_effects(
    scorecard: Scorecard, pa: PanelArrays, links: Sequence[LinkResult], *, bootstrap: int = 499, seed: int = 0,
    alpha: float = 0.05, controls: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Indirect effect (product of step long-run effects) of every L -> P -> C -> F path.

    Examples
    --------
    >>> from bsc_toolkit.history import simulate_history  # doctest: +SKIP
    >>> sim = simulate_history("retail", n_units=30, n_periods=24)  # doctest: +SKIP
    >>> ev = validate("retail", sim.history, bootstrap=199)  # doctest: +SKIP
    >>> ev.chains[0]["indirect_effect"]["ci_low"]  # doctest: +SKIP
    """
    paths = chain_paths(scorecard, links)
    if not paths:
        return []
    B = int(bootstrap)
    W, kind, binfo = bootstrap_weights(pa, B, seed) if B > 0 else (np.zeros((0, 0)), "", {})
    cache: dict[tuple[str, str], Any] = {}
    out = []
    for path in paths:
        steps = []
        for lk in path:
            steps.append({"from": lk.from_, "to": lk.to, "from_kpi": lk.from_kpi, "to_kpi": lk.to_kpi,
                          "verdict": lk.verdict, "long_run": lk.long_run.estimate,
                          "std_error": lk.long_run.std_error,
                          "long_run_multiplier": (lk.long_run_multiplier.estimate
                                                  if lk.long_run_multiplier else None),
                          "q_value": lk.q_value})
        res: dict[str, Any] = {
            "path": [path[0].from_] + [lk.to for lk in path],
            "kpis": [path[0].from_kpi] + [lk.to_kpi for lk in path],
            "steps": steps,
            "supported_steps": [i for i, lk in enumerate(path) if lk.verdict == "supported"],
            "all_steps_supported": all(lk.verdict == "supported" for lk in path),
        }
        if any(lk.verdict == "insufficient_data" or lk.long_run.estimate is None for lk in path):
            bad = [f"{lk.from_} -> {lk.to}" for lk in path if lk.verdict == "insufficient_data"]
            res.update(status="insufficient_data", indirect_effect=None,
                       reason=f"step(s) without an estimate: {', '.join(bad)}")
            out.append(res)
            continue
        theta = np.array([lk.long_run.estimate for lk in path])
        se = np.array([lk.long_run.std_error or 0.0 for lk in path])
        P = float(np.prod(theta))
        grads = np.array([np.prod(np.delete(theta, i)) for i in range(len(theta))])
        sobel = float(math.sqrt(float(np.sum(grads ** 2 * se ** 2))))
        sobel_p = float(2 * norm_sf(abs(P) / sobel)) if sobel > 0 else None
        res["status"] = "estimated"
        res["sobel"] = {"std_error": sobel, "p_value": sobel_p,
                        "note": "first-order delta method (Sobel), steps treated as independent"}
        lrm_ok = all(lk.long_run_multiplier and lk.long_run_multiplier.estimate is not None for lk in path)
        iv_steps = [f"{lk.from_} -> {lk.to}" for lk in path if lk.method.get("estimator") == "iv-fd"]
        if B > 0 and not iv_steps:
            prod = np.ones(B)
            prod_m = np.ones(B) if lrm_ok else None
            Pm, corrected, info_steps = 1.0, [], []
            for lk in path:
                key = (lk.from_, lk.to)
                if key not in cache:
                    cache[key] = _step_draws(lk, pa, W, kind, B, seed, controls)
                cum, mult, m_hat, approx, how = cache[key]
                prod = prod * cum
                if prod_m is not None and mult is not None:
                    with np.errstate(invalid="ignore"):
                        prod_m = prod_m * mult
                    Pm *= m_hat
                corrected.append(how == "hpj")
                info_steps.append(approx)
            if all(corrected):  # jackknife-scaled draws: intervals with t(G-1) quantiles (dynamics.widen)
                prod = widen(prod, P, alpha, pa.n_units)
                prod_m = widen(prod_m, Pm, alpha, pa.n_units) if prod_m is not None else None
            res["indirect_effect"] = summarize_draws(prod, P, alpha)
            res["indirect_effect"]["sobel_std_error"] = sobel
            if prod_m is not None:
                res["indirect_multiplier"], note = percentile_summary(prod_m, Pm, alpha)
                if note:
                    res["indirect_multiplier"]["note"] = note
            n_valid = int(np.isfinite(prod).sum())
            res["bootstrap"] = {**binfo, "replications": B, "valid": n_valid, "seed": int(seed),
                                "ci": f"percentile, {100 * (1 - alpha):g}%",
                                "vectorised": "weighted normal equations for all replications at once "
                                              "(numpy einsum + batched solve), same draws for every step"}
            if prod_m is not None:
                res["bootstrap"]["multiplier"] = _multiplier_note(corrected)
            approx = [a for a in info_steps if a]
            if approx:
                res["bootstrap"]["approximation"] = approx[0]
        else:
            z = norm_quantile(1 - alpha / 2)
            res["indirect_effect"] = {"estimate": P, "std_error": sobel, "ci_low": P - z * sobel,
                                      "ci_high": P + z * sobel, "p_value": sobel_p, "sobel_std_error": sobel}
            res["bootstrap"] = {"replications": 0, "note": (
                "no bootstrap requested: Sobel normal CI" if not iv_steps else
                f"no bootstrap for steps estimated with iv-fd ({', '.join(iv_steps)}): Sobel normal CI")}
        ie = res["indirect_effect"]
        lvl = f"{100 * (1 - alpha):g}%"
        ci = (f" ({lvl} CI {ie['ci_low']:.3g} to {ie['ci_high']:.3g})" if ie.get("ci_low") is not None else "")
        excl = ie.get("ci_low") is not None and (ie["ci_low"] > 0 or ie["ci_high"] < 0)
        n_sup = len(res["supported_steps"])
        res["reason"] = (f"indirect effect {P:+.3g}{ci}; {n_sup} of {len(path)} steps supported"
                         + ("; the interval excludes zero" if excl else "; the interval includes zero"))
        out.append(res)
    return out

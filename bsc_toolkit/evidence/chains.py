"""Chains: indirect effects along Learning -> Process -> Customer -> Financial paths.

A chain is a sequence of hypothesised links, one per step, from a Learning &
Growth end to a Financial end through Internal Process and Customer, where each
step starts at the KPI the previous step ended at. Its indirect effect is the
product of the steps' long-run effects, each from the link's own model (the
link test of :mod:`.linktest`); with own lags the product of the long-run
multipliers is reported too.

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
from .design import Spec, build_sample
from .inference import norm_quantile, norm_sf
from .results import LinkResult
from .within import absorb

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


def bootstrap_weights(pa: PanelArrays, B: int, seed: int) -> tuple[np.ndarray, str, dict[str, Any]]:
    """Replication weights: per unit (panels) or per period (single series, moving blocks).

    Examples
    --------
    >>> import numpy as np
    >>> pa = PanelArrays(["a", "b", "c"], 4, {}, True)
    >>> W, kind, info = bootstrap_weights(pa, 5, 0)
    >>> W.shape, kind, bool((W.sum(axis=1) == 3).all())
    ((5, 3), 'unit', True)
    """
    rng = np.random.default_rng(seed)
    if pa.is_panel:
        N = len(pa.units)
        W = rng.multinomial(N, np.full(N, 1.0 / N), size=B).astype(float)
        return W, "unit", {"method": "cluster bootstrap: whole units resampled with replacement "
                                     "(multinomial unit weights)", "units": N}
    T = pa.n_periods
    ell = max(1, int(math.ceil(T ** (1 / 3))))
    nb = int(math.ceil(T / ell))
    starts = rng.integers(0, T - ell + 1, size=(B, nb))
    idx = (starts[:, :, None] + np.arange(ell)[None, None, :]).reshape(B, -1)[:, :T]
    W = np.zeros((B, T))
    np.add.at(W, (np.repeat(np.arange(B), T), idx.ravel()), 1.0)
    return W, "period", {"method": f"moving-block bootstrap of the periods, block length {ell} "
                                   f"(ceil(n^(1/3))), blocks drawn with replacement and cut to {T} periods",
                         "block_length": ell}


def _spec_of(lk: LinkResult, pa: PanelArrays) -> Spec:
    m = lk.method
    return Spec(m.get("transform") or "none", m.get("transform_reason", ""), m.get("effects") or "none",
                m.get("covariance") or "unadjusted", pa.is_panel)


def bootstrap_link(lk: LinkResult, pa: PanelArrays, W: np.ndarray, kind: str,
                   controls: Sequence[str] = ()) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Coefficients of one link's model for every replication: ``(b_hat, b_boot (B x k), info)``.

    ``b_hat`` is the full-sample estimate from the same normal equations (equal to the
    link's estimate); driver lags come first, then own lags.
    """
    m = lk.method
    spec = _spec_of(lk, pa)
    lags = list(m.get("lags") or [])
    own = int(m.get("own_lags") or 0)
    ctrl = list(m.get("controls") or controls)
    d = build_sample(pa, lk.to_kpi, [(lk.from_kpi, lags)], own, ctrl, spec)
    info: dict[str, Any] = {}
    Zraw = np.column_stack([d.y, d.X])
    eff = spec.absorb_effects
    time_eff = eff in ("time", "both")
    exact = d.balanced and pa.is_panel
    if pa.is_panel:
        if exact and time_eff:
            # unit step (means or unit trends) is per unit, unchanged by resampling units; the
            # time step is redone with the replication's unit weights below
            Z = (absorb(Zraw, d.u, d.t, "unit", spec.unit_trends, balanced=True)
                 if eff == "both" else Zraw.copy())
        else:
            Z = absorb(Zraw, d.u, d.t, eff, spec.unit_trends, balanced=d.balanced)
            if time_eff:
                info["approximation"] = ("unbalanced sample: effects partialled out once on the full "
                                         "sample (fixed design)")
        n_u = int(d.u.max()) + 1
        ws = W[:, np.unique(d.unit_index)]  # B x n_u (sample units in code order)
        mm = Z.shape[1]
        A = np.zeros((n_u, mm, mm))
        np.add.at(A, d.u, Z[:, :, None] * Z[:, None, :])
        S = np.einsum("bu,uij->bij", ws, A)
        w_full = np.ones(n_u)
        S_hat = np.einsum("u,uij->ij", w_full, A)
        if exact and time_eff:
            n_t = int(d.t.max()) + 1
            Zc = np.zeros((n_u, n_t, mm))
            Zc[d.u, d.t] = Z
            wt = ws.sum(axis=1)
            M = np.einsum("bu,uti->bti", ws, Zc) / np.maximum(wt, 1e-300)[:, None, None]
            S = S - wt[:, None, None] * np.einsum("bti,btj->bij", M, M)
            M0 = Zc.mean(axis=0)
            S_hat = S_hat - n_u * (M0.T @ M0)
    else:
        Z = Zraw
        wp = W[:, d.period_index]  # B x n rows
        A = Z[:, :, None] * Z[:, None, :]
        S = np.einsum("bn,nij->bij", wp, A)
        S_hat = A.sum(axis=0)
    XtX, Xty = S[:, 1:, 1:], S[:, 1:, 0]
    b_hat = np.linalg.solve(S_hat[1:, 1:], S_hat[1:, 0])
    out = np.full((W.shape[0], XtX.shape[1]), np.nan)
    # replications with a singular design (e.g. too few distinct units drawn) are dropped
    cond_ok = np.linalg.cond(XtX) < 1e12
    if cond_ok.any():
        out[cond_ok] = np.linalg.solve(XtX[cond_ok], Xty[cond_ok][:, :, None])[:, :, 0]
    info["n_lags"] = len(lags)
    info["own_lags"] = own
    return b_hat, out, info


def _multiplier(lk: LinkResult) -> float:
    m = lk.long_run_multiplier
    return float(m.estimate) if m is not None and m.estimate is not None else float("nan")


def summarize_draws(draws: np.ndarray, est: float, alpha: float) -> dict[str, Any]:
    ok = draws[np.isfinite(draws)]
    if len(ok) < 10:
        return {"estimate": est, "std_error": None, "ci_low": None, "ci_high": None, "p_value": None}
    lo, hi = np.quantile(ok, [alpha / 2, 1 - alpha / 2])
    # two-sided bootstrap p-value: how often the replications fall on the other side of zero
    p = min(1.0, 2 * min(float(np.mean(ok <= 0)), float(np.mean(ok >= 0))))
    return {"estimate": est, "std_error": float(np.std(ok, ddof=1)), "ci_low": float(lo),
            "ci_high": float(hi), "p_value": max(p, 1.0 / (len(ok) + 1))}


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
            info_steps = []
            for lk in path:
                key = (lk.from_, lk.to)
                if key not in cache:
                    cache[key] = bootstrap_link(lk, pa, W, kind, controls)
                b_hat, bb, inf = cache[key]
                nl, no = inf["n_lags"], inf["own_lags"]
                lr_b = bb[:, :nl].sum(axis=1)
                prod = prod * lr_b
                if prod_m is not None and no:
                    rho = bb[:, nl:nl + no].sum(axis=1)
                    with np.errstate(divide="ignore", invalid="ignore"):
                        prod_m = prod_m * np.where(rho < 1, lr_b / (1 - rho), np.nan)
                info_steps.append(inf.get("approximation"))
            res["indirect_effect"] = summarize_draws(prod, P, alpha)
            res["indirect_effect"]["sobel_std_error"] = sobel
            if prod_m is not None:
                Pm = float(np.prod([_multiplier(lk) for lk in path]))
                res["indirect_multiplier"] = summarize_draws(prod_m, Pm, alpha)
            n_valid = int(np.isfinite(prod).sum())
            res["bootstrap"] = {**binfo, "replications": B, "valid": n_valid, "seed": int(seed),
                                "ci": f"percentile, {100 * (1 - alpha):g}%",
                                "vectorised": "weighted normal equations for all replications at once "
                                              "(numpy einsum + batched solve), same draws for every step"}
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

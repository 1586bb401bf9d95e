"""An independent simulator of short dynamic KPI panels and the coverage study of issue 17.

Written for the dynamics tests and the benchmark, apart from ``bsc_toolkit.history.simulate``:

* 12 KPIs, three per perspective (``l1..l3``, ``p1..p3``, ``c1..c3``, ``f1..f3``), each an AR(rho)
  process with a unit effect and a common period shock per KPI::

      y[k,i,t] = alpha[k,i] + rho y[k,i,t-1] + b_k parent_k[i,t-1] + f[k,t] + e[k,i,t]

  ``alpha ~ N(0, 1)``, ``f ~ N(0, shock_sd^2)``, ``e ~ N(0, 1)``, 100 burn-in periods (the panel
  starts near its stationary distribution);
* one true chain ``l1 -> p1 -> c1 -> f1`` with lag-1 effects 0.5 / 0.4 / 0.6; every other KPI is
  pure AR noise;
* a scorecard with one objective per KPI and nine links at their true lag ``[1]``: the chain and
  two chains of null links (``l2 -> p2 -> c2 -> f2``, ``l3 -> p3 -> c3 -> f3``);
* optionally unit-specific linear trends (power of the trend test).

The truth: each chain link's long-run multiplier ``b / (1 - rho)`` (1.0, 0.8, 1.2; the chain
0.96), its cumulative effect ``b`` (chain 0.12), and the chain's impulse and step responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

KPIS = [f"{p}{i}" for p in "lpcf" for i in (1, 2, 3)]
CHAIN = ["l1", "p1", "c1", "f1"]
CHAIN_EFFECTS = (0.5, 0.4, 0.6)
PERSPECTIVE = {"l": "learning_growth", "p": "internal_process", "c": "customer", "f": "financial"}
TRUE_LINKS = ("l1->p1", "p1->c1", "c1->f1")
LINKS = [("l1", "p1"), ("p1", "c1"), ("c1", "f1"), ("l2", "p2"), ("p2", "c2"), ("c2", "f2"),
         ("l3", "p3"), ("p3", "c3"), ("c3", "f3")]


def scorecard() -> Any:
    """The study's scorecard: one objective per KPI (``L1`` holds ``l1``), nine links at lag 1."""
    from bsc_toolkit.scorecard import Scorecard

    objectives = [{"id": k.upper(), "perspective": PERSPECTIVE[k[0]], "name": f"Objective {k.upper()}",
                   "kpis": [{"id": k, "name": f"KPI {k}", "direction": "up"}]} for k in KPIS]
    links = [{"from": a.upper(), "to": b.upper(), "sign": "positive", "lags": [1]} for a, b in LINKS]
    return Scorecard.model_validate({"name": "Dynamics study", "objectives": objectives, "links": links})


@dataclass
class Panel:
    history: Any
    rho: float
    effects: tuple[float, ...]
    trend: bool
    arrays: dict[str, np.ndarray] = field(repr=False, default_factory=dict)

    def multiplier(self, step: int) -> float:
        return self.effects[step] / (1 - self.rho)

    @property
    def chain_multiplier(self) -> float:
        return float(np.prod([self.multiplier(s) for s in range(3)]))

    @property
    def chain_cumulative(self) -> float:
        return float(np.prod(self.effects))

    def response(self, kind: str, horizon: int, change: float = 1.0) -> dict[str, np.ndarray]:
        """True deviation paths of the chain KPIs after a change in ``l1`` (periods 0..horizon)."""
        path = {k: np.zeros(horizon + 1) for k in CHAIN}
        path["l1"][:] = change if kind == "step" else 0.0
        path["l1"][0] = change
        for h in range(1, horizon + 1):
            for s, k in enumerate(CHAIN[1:]):
                path[k][h] = self.rho * path[k][h - 1] + self.effects[s] * path[CHAIN[s]][h - 1]
        return path


def simulate(n_units: int, n_periods: int, seed: int, *, rho: float = 0.5,
             effects: tuple[float, ...] = CHAIN_EFFECTS, shock_sd: float = 0.5, trend_sd: float = 0.0,
             burn: int = 100) -> Panel:
    """One simulated panel (see the module docstring); ``trend_sd > 0`` adds unit trends
    ``g[k,i] t`` with ``g ~ N(0, trend_sd^2)`` to every KPI (after the dynamics)."""
    from bsc_toolkit.history.frame import KPIHistory

    rng = np.random.default_rng(seed)
    T = n_periods + burn
    parent = {CHAIN[s + 1]: (CHAIN[s], effects[s]) for s in range(3)}
    out: dict[str, np.ndarray] = {}
    for k in KPIS:  # parents come first in KPIS order (l before p before c before f)
        alpha = rng.normal(size=(n_units, 1))
        f = rng.normal(scale=shock_sd, size=(1, T))
        e = rng.normal(size=(n_units, T))
        y = np.zeros((n_units, T))
        y[:, 0] = alpha[:, 0] / (1 - rho)
        src = parent.get(k)
        for t in range(1, T):
            y[:, t] = alpha[:, 0] + rho * y[:, t - 1] + f[0, t] + e[:, t]
            if src is not None:
                y[:, t] += src[1] * out[src[0]][:, t - 1]
        out[k] = y
    arrays = {k: v[:, burn:] for k, v in out.items()}
    if trend_sd > 0:
        tt = np.arange(n_periods, dtype=float)
        arrays = {k: v + rng.normal(scale=trend_sd, size=(n_units, 1)) * tt for k, v in arrays.items()}
    units = [f"u{i:03d}" for i in range(n_units)]
    idx = pd.MultiIndex.from_product([units, range(n_periods)], names=["unit", "t"])
    df = pd.DataFrame({k: v.ravel() for k, v in arrays.items()}, index=idx)
    hist = KPIHistory(data=df, periods=pd.RangeIndex(2000, 2000 + n_periods), frequency="integer",
                      is_panel=True, source="<dynamics-sim>", unit_column="unit")
    return Panel(hist, rho, tuple(effects), trend_sd > 0, arrays)


def _covers(e: Any, truth: float) -> bool | None:
    if e is None or e.get("ci_low") is None:
        return None
    return bool(e["ci_low"] <= truth <= e["ci_high"])


def replicate(panel: Panel, *, bootstrap: int = 499, draws: int = 500, horizon: int = 6,
              seed: int = 0, **validate_kw: Any) -> dict[str, Any]:
    """One replication: validate (chains on), the lever ``l1`` as pulse and step; what covered."""
    from bsc_toolkit.evidence import simulate_lever, validate

    sc = scorecard()
    ev = validate(sc, panel.history, drivers=False, discovery=False, bootstrap=bootstrap, seed=seed,
                  **validate_kw)
    rec: dict[str, Any] = {"transform": {f"{lk.from_kpi}->{lk.to_kpi}": lk.method.get("transform")
                                         for lk in ev.links},
                           "verdict": {f"{lk.from_kpi}->{lk.to_kpi}": lk.verdict for lk in ev.links}}
    mult, cum, est = [], [], []
    for s in range(3):
        lk = ev.link(CHAIN[s].upper(), CHAIN[s + 1].upper())
        m = lk.to_dict().get("long_run_multiplier")
        mult.append(_covers(m, panel.multiplier(s)))
        cum.append(_covers(lk.to_dict().get("long_run"), panel.effects[s]))
        est.append(m.get("estimate") if m else None)
    rec.update(multiplier=mult, cumulative=cum, multiplier_estimate=est)
    chain = next(c for c in ev.chains if list(c["kpis"]) == CHAIN)
    rec["chain_multiplier"] = _covers(chain.get("indirect_multiplier"), panel.chain_multiplier)
    rec["chain_multiplier_estimate"] = (chain.get("indirect_multiplier") or {}).get("estimate")
    rec["chain_effect"] = _covers(chain.get("indirect_effect"), panel.chain_cumulative)
    for kind in ("pulse", "step"):
        res = simulate_lever(ev, panel.history, sc, "l1", 1.0, horizon=horizon, draws=draws, seed=seed,
                             kind=kind, band=0.9)
        true = panel.response(kind, horizon)
        cov: dict[str, list[bool | None]] = {}
        for k in CHAIN[1:]:
            p = res.paths.get(k)
            cov[k] = [None if p is None else bool(p["low"][h] - 1e-12 <= true[k][h] <= p["high"][h] + 1e-12)
                      for h in range(horizon + 1)]
        rec[f"lever_{kind}"] = cov
    return rec


def _rate(xs: list[bool | None]) -> tuple[float, int]:
    v = [x for x in xs if x is not None]
    return (float(np.mean(v)) if v else float("nan")), len(v)


def summarise(recs: list[dict[str, Any]], horizon: int = 6) -> dict[str, Any]:
    """Coverage rates over replications (None entries -- no interval, not propagated -- left out)."""
    out: dict[str, Any] = {"replications": len(recs)}
    out["multiplier"] = [_rate([r["multiplier"][s] for r in recs]) for s in range(3)]
    out["cumulative"] = [_rate([r["cumulative"][s] for r in recs]) for s in range(3)]
    out["chain_multiplier"] = _rate([r["chain_multiplier"] for r in recs])
    out["chain_effect"] = _rate([r["chain_effect"] for r in recs])
    ests = [r["chain_multiplier_estimate"] for r in recs if r["chain_multiplier_estimate"] is not None]
    out["chain_multiplier_mean"] = float(np.mean(ests)) if ests else float("nan")
    for kind in ("pulse", "step"):
        per: dict[str, list[tuple[float, int]]] = {}
        for k, first in zip(CHAIN[1:], (1, 2, 3), strict=True):
            per[k] = [_rate([r[f"lever_{kind}"][k][h] for r in recs]) for h in range(first, horizon + 1)]
        out[f"lever_{kind}"] = per
    links = [t for r in recs for t in r["transform"].values()]
    null = [t for r in recs for name, t in r["transform"].items() if not name.startswith(("l1", "p1", "c1"))]
    out["detrend_share"] = float(np.mean([t == "detrend" for t in links])) if links else float("nan")
    out["detrend_share_null"] = float(np.mean([t == "detrend" for t in null])) if null else float("nan")
    out["diff_share"] = float(np.mean([t == "diff" for t in links])) if links else float("nan")
    chain_v = [v for r in recs for name, v in r["verdict"].items() if name in TRUE_LINKS]
    null_v = [v for r in recs for name, v in r["verdict"].items() if name not in TRUE_LINKS]
    out["power"] = float(np.mean([v == "supported" for v in chain_v])) if chain_v else float("nan")
    out["false_supported"] = float(np.mean([v == "supported" for v in null_v])) if null_v else float("nan")
    out["false_significant"] = (float(np.mean([v in ("supported", "contradicted") for v in null_v]))
                                if null_v else float("nan"))
    return out


def run_study(n_units: int, n_periods: int, reps: int, *, seed: int = 1, **kw: Any) -> dict[str, Any]:
    recs = [replicate(simulate(n_units, n_periods, seed * 100_003 + r), seed=r, **kw) for r in range(reps)]
    return summarise(recs, kw.get("horizon", 6))


def lever_min(summary: dict[str, Any], kind: str) -> float:
    """The lowest band coverage over the chain KPIs and horizons where the truth is not zero."""
    return min(rate for per in summary[f"lever_{kind}"].values() for rate, n in per if n)


def table(results: dict[str, dict[str, Any]]) -> str:
    """The figures of the study as a text table (one column per panel shape)."""
    shapes = list(results)
    rows = [("replications", [f"{results[s]['replications']}" for s in shapes])]

    def three(key: str) -> list[str]:
        return [" / ".join(f"{r:.2f}" for r, _ in results[s][key]) for s in shapes]

    rows += [
        ("cumulative effect, 95% (3 links)", three("cumulative")),
        ("long-run multiplier, 95% (3 links)", three("multiplier")),
        ("chain indirect_multiplier, 95% (true 0.96)",
         [f"{results[s]['chain_multiplier'][0]:.2f} (mean {results[s]['chain_multiplier_mean']:.2f})"
          for s in shapes]),
        ("chain indirect_effect, 95% (true 0.12)", [f"{results[s]['chain_effect'][0]:.2f}" for s in shapes]),
    ]
    for kind in ("pulse", "step"):
        rows.append((f"lever {kind}, 90% band, min over KPIs x h<=6",
                     [f"{lever_min(results[s], kind):.2f}" for s in shapes]))
        rows.append((f"lever {kind}, f1 (3 links down) h=3..6",
                     [" ".join(f"{r:.2f}" for r, _ in results[s][f'lever_{kind}']['f1']) for s in shapes]))
    rows.append(("link tests: chain links supported (power)", [f"{results[s]['power']:.3f}" for s in shapes]))
    rows.append(("link tests: null links supported / significant",
                 [f"{results[s]['false_supported']:.3f} / {results[s]['false_significant']:.3f}" for s in shapes]))
    rows.append(("auto: links detrended (all / null links)",
                 [f"{results[s]['detrend_share']:.3f} / {results[s]['detrend_share_null']:.3f}" for s in shapes]))
    w0 = max(len(r[0]) for r in rows) + 2
    w = [max(len(s), *(len(r[1][i]) for r in rows)) + 2 for i, s in enumerate(shapes)]
    lines = [f"{'':<{w0}}" + "".join(f"{s:>{w[i]}}" for i, s in enumerate(shapes))]
    lines += [f"{name:<{w0}}" + "".join(f"{v:>{w[i]}}" for i, v in enumerate(vals)) for name, vals in rows]
    return "\n".join(lines)

"""Benchmark of the evidence engine.

1. 30 links on 500 units x 60 periods (two-way effects, unit-clustered errors, FDR):
   ``validate`` (vectorised fast path) against the straightforward loop of one
   linearmodels PanelOLS fit per link (same design). Goal: <= 3 s and >= 3x faster.
2. 5,000 units x 120 periods x 25 KPIs (24 links): goal <= 60 s and <= 4 GB peak RSS.
3. Extras on a demo-sized panel (30 units x 24 periods, 25 KPIs): discovery over all 600 ordered
   pairs, and the chain bootstrap (499 replications, vectorised) against a loop of full refits.

Parts 1-2 time the link tests only (``drivers/chains/discovery`` off) so the figures stay
comparable with earlier runs.

Run: ``python benchmarks/bench_evidence.py`` (or ``python benchmarks/run.py``).
``transform="none"`` isolates estimation; the ``auto`` timing adds the ADF/KPSS step.
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np
import pandas as pd


def _history(n_units: int, n_periods: int, n_kpis: int, seed: int = 0):
    from bsc_toolkit.history.frame import KPIHistory

    rng = np.random.default_rng(seed)
    cols = {}
    prev = None
    for k in range(n_kpis):
        e = rng.normal(size=(n_units, n_periods)).astype(float)
        a = np.empty_like(e)
        a[:, 0] = e[:, 0]
        for t in range(1, n_periods):
            a[:, t] = 0.5 * a[:, t - 1] + e[:, t]
        if prev is not None and k % 2 == 1:
            a[:, 1:] += 0.3 * prev[:, :-1]
        cols[f"k{k:02d}"] = a.ravel()
        prev = a
    idx = pd.MultiIndex.from_product([range(n_units), range(n_periods)], names=["unit", "t"])
    return KPIHistory(data=pd.DataFrame(cols, index=idx), periods=pd.RangeIndex(n_periods),
                      frequency="monthly", is_panel=True, source="bench")


def _card(n_kpis: int, n_links: int):
    from bsc_toolkit.scorecard import Scorecard

    persp = ["learning_growth", "internal_process", "customer", "financial"]
    objs = [{"id": f"O{k:02d}", "perspective": persp[k * 4 // n_kpis], "name": f"objective {k}",
             "kpis": [{"id": f"k{k:02d}", "name": f"kpi {k}", "direction": "up"}]} for k in range(n_kpis)]
    links = []
    for i in range(n_links):
        a = i % (n_kpis - 1)
        b = (a + 1 + i // (n_kpis - 1)) % n_kpis
        if a == b:
            b = (b + 1) % n_kpis
        links.append({"from": f"O{a:02d}", "to": f"O{b:02d}", "lags": [1]})
    return Scorecard.model_validate({"name": "bench", "objectives": objs, "links": links},
                                    context={"skip_references": False})


def _loop_panelols(h, sc):
    """The straightforward loop: one PanelOLS fit per link on a lagged frame."""
    from linearmodels import PanelOLS

    df = h.data
    g = df.groupby(level=0)
    out = []
    for lk in sc.links:
        x, y = sc.kpi_for(lk.source).id, sc.kpi_for(lk.target).id
        d = pd.DataFrame({"y": df[y], "x1": g[x].shift(1), "y1": g[y].shift(1)}).dropna()
        res = PanelOLS(d.y, d[["x1", "y1"]], entity_effects=True, time_effects=True).fit(
            cov_type="clustered", cluster_entity=True, group_debias=True)
        out.append((res.params["x1"], res.std_errors["x1"], res.pvalues["x1"]))
    from statsmodels.stats.multitest import multipletests

    multipletests([o[2] for o in out], method="fdr_bh")
    return out


def _peak_rss_gb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024**2 if sys.platform != "darwin" else kb / 1024**3


LINKS_ONLY = dict(drivers=False, chains=False, discovery=False)


def _chain_card(n_kpis: int):
    """25 KPIs over the four perspectives with several L -> P -> C -> F chains (lag-1 links)."""
    from bsc_toolkit.scorecard import Scorecard

    persp = ["learning_growth", "internal_process", "customer", "financial"]
    per = [list(range(i, n_kpis, 4)) for i in range(4)]
    objs = [{"id": f"O{k:02d}", "perspective": persp[k % 4], "name": f"objective {k}",
             "kpis": [{"id": f"k{k:02d}", "name": f"kpi {k}", "direction": "up"}]} for k in range(n_kpis)]
    links = []
    for lvl in range(3):
        for j, a in enumerate(per[lvl][:4]):
            for b in per[lvl + 1][j % len(per[lvl + 1]): j % len(per[lvl + 1]) + 2]:
                links.append({"from": f"O{a:02d}", "to": f"O{b:02d}", "lags": [1]})
    return Scorecard.model_validate({"name": "bench chains", "objectives": objs, "links": links})


def extras() -> dict:
    from bsc_toolkit.evidence import PanelArrays, validate
    from bsc_toolkit.evidence.chains import bootstrap_link, bootstrap_weights, chain_effects
    from bsc_toolkit.evidence.discovery import discover
    from bsc_toolkit.evidence.drivers import driver_models
    from bsc_toolkit.history import simulate_history

    sc = _chain_card(25)
    sim = simulate_history(sc, n_units=30, n_periods=24, seed=3, effects={i: 0.3 for i in range(len(sc.links))})
    ev = validate(sc, sim.history, **LINKS_ONLY)
    pa = PanelArrays.from_history(sim.history)
    kw = dict(effects="both", cov="clustered")
    t0 = time.perf_counter()
    sugg, info = discover(sc, pa, ev.links, **kw)
    t_disc = time.perf_counter() - t0
    t0 = time.perf_counter()
    dm = driver_models(sc, pa, **kw)
    t_drv = time.perf_counter() - t0
    t0 = time.perf_counter()
    ch = chain_effects(sc, pa, ev.links, bootstrap=499, seed=0)
    t_chain = time.perf_counter() - t0
    # the naive alternative: one full estimate per step and replication (a Python loop)
    from bsc_toolkit.evidence import estimate_link

    steps = {(lk.from_, lk.to): lk for c in ch for lk in ev.links
             if (lk.from_, lk.to) in {(s["from"], s["to"]) for s in c["steps"]}}
    W, kind, _ = bootstrap_weights(pa, 20, 0)
    t0 = time.perf_counter()
    for lk in steps.values():
        for r in range(20):
            reps = np.repeat(np.arange(30), W[r].astype(int))
            sub = PanelArrays([f"u{i}" for i in range(len(reps))], pa.n_periods,
                              {c: a[reps] for c, a in pa.columns.items()}, True)
            estimate_link(sub, lk.to_kpi, lk.from_kpi, lags=list(lk.lags), transform=lk.method["transform"])
    t_loop = (time.perf_counter() - t0) * 499 / 20
    t0 = time.perf_counter()
    W, kind, _ = bootstrap_weights(pa, 499, 0)
    for lk in steps.values():
        bootstrap_link(lk, pa, W, kind)
    t_vec = time.perf_counter() - t0
    print("evidence extras: 25 KPIs, 30 units x 24 periods")
    print(f"  discovery, {info['candidates']['n_pairs']} candidate pairs + {info['reverse']['n_tested']} "
          f"reverse tests: {t_disc:6.2f} s  ({info['candidates']['n_suggested']} candidates, "
          f"{info['reverse']['n_flagged']} reverse flags)")
    print(f"  driver models ({len(dm)} Financial KPIs, with out-of-sample folds): {t_drv:6.2f} s")
    print(f"  chains: {len(ch)} paths, {len(steps)} distinct steps, B=499: {t_chain:6.3f} s")
    print(f"  bootstrap of the steps, vectorised: {t_vec:6.3f} s; loop of full refits (extrapolated "
          f"from 20 replications): {t_loop:6.1f} s  ({t_loop / t_vec:,.0f}x)")
    return {"discovery_s": t_disc, "drivers_s": t_drv, "chains_s": t_chain, "bootstrap_vec_s": t_vec,
            "bootstrap_loop_s": t_loop}


def main() -> dict:
    from bsc_toolkit.evidence import validate

    figures: dict[str, float] = {}
    h = _history(500, 60, 12)
    sc = _card(12, 30)
    validate(sc, _history(20, 30, 12), transform="none", **LINKS_ONLY)  # warm imports
    t0 = time.perf_counter()
    ev = validate(sc, h, transform="none", **LINKS_ONLY)
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = _loop_panelols(h, sc)
    t_loop = time.perf_counter() - t0
    dev = max(abs(lk.terms[0].std_error - r[1]) / r[1] for lk, r in zip(ev.links, ref, strict=True))
    t0 = time.perf_counter()
    validate(sc, h, transform="auto", **LINKS_ONLY)
    t_auto = time.perf_counter() - t0
    figures.update(small_fast_s=t_fast, small_loop_s=t_loop, small_speedup=t_loop / t_fast,
                   small_auto_s=t_auto, small_max_rel_se_dev=dev)
    print("evidence: 30 links, 500 units x 60 periods, two-way FE, clustered, FDR")
    print(f"  validate (fast path, transform=none): {t_fast:6.2f} s   goal <= 3 s")
    print(f"  loop of PanelOLS fits:                {t_loop:6.2f} s")
    print(f"  speed-up:                             {t_loop / t_fast:6.1f} x  goal >= 3x")
    print(f"  validate (transform=auto, ADF/KPSS):  {t_auto:6.2f} s")
    print(f"  max relative SE difference vs loop:   {dev:.1e}")
    del h, ev
    t0 = time.perf_counter()
    big = _history(5000, 120, 25, seed=1)
    t_data = time.perf_counter() - t0
    sc = _card(25, 24)
    t0 = time.perf_counter()
    ev = validate(sc, big, transform="none", **LINKS_ONLY)
    t_big = time.perf_counter() - t0
    t0 = time.perf_counter()
    validate(sc, big, transform="auto", **LINKS_ONLY)
    t_big_auto = time.perf_counter() - t0
    rss = _peak_rss_gb()
    figures.update(big_s=t_big, big_auto_s=t_big_auto, big_peak_rss_gb=rss, big_data_s=t_data)
    print("evidence: 24 links, 5000 units x 120 periods x 25 KPIs")
    print(f"  validate (transform=none):            {t_big:6.2f} s   goal <= 60 s")
    print(f"  validate (transform=auto):            {t_big_auto:6.2f} s")
    print(f"  peak RSS of the process:              {rss:6.2f} GB  goal <= 4 GB")
    print(f"  verdicts: {ev.counts()}")
    figures.update(extras())
    return figures


if __name__ == "__main__":
    main()

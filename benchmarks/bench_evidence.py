"""Benchmark of the evidence engine.

1. 30 links on 500 units x 60 periods (two-way effects, unit-clustered errors, FDR):
   ``validate`` (vectorised fast path) against the straightforward loop of one
   linearmodels PanelOLS fit per link (same design). Goal: <= 3 s and >= 3x faster.
2. 5,000 units x 120 periods x 25 KPIs (24 links): goal <= 60 s and <= 4 GB peak RSS.

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


def main() -> dict:
    from bsc_toolkit.evidence import validate

    figures: dict[str, float] = {}
    h = _history(500, 60, 12)
    sc = _card(12, 30)
    validate(sc, _history(20, 30, 12), transform="none")  # warm imports
    t0 = time.perf_counter()
    ev = validate(sc, h, transform="none")
    t_fast = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = _loop_panelols(h, sc)
    t_loop = time.perf_counter() - t0
    dev = max(abs(lk.terms[0].std_error - r[1]) / r[1] for lk, r in zip(ev.links, ref, strict=True))
    t0 = time.perf_counter()
    validate(sc, h, transform="auto")
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
    ev = validate(sc, big, transform="none")
    t_big = time.perf_counter() - t0
    t0 = time.perf_counter()
    validate(sc, big, transform="auto")
    t_big_auto = time.perf_counter() - t0
    rss = _peak_rss_gb()
    figures.update(big_s=t_big, big_auto_s=t_big_auto, big_peak_rss_gb=rss, big_data_s=t_data)
    print("evidence: 24 links, 5000 units x 120 periods x 25 KPIs")
    print(f"  validate (transform=none):            {t_big:6.2f} s   goal <= 60 s")
    print(f"  validate (transform=auto):            {t_big_auto:6.2f} s")
    print(f"  peak RSS of the process:              {rss:6.2f} GB  goal <= 4 GB")
    print(f"  verdicts: {ev.counts()}")
    return figures


if __name__ == "__main__":
    main()

"""Benchmark: `bsc validate` as whole processes, against the straightforward loop.

Cases (issue "evidence engine, second generation 2/2"):

1. 30 links on 500 units x 60 periods, 24 KPIs (two-way effects, own lag, clustered errors):
   * ``bsc validate`` with its **defaults** (link tests, robustness grid, driver models, chains,
     discovery) and with ``--no-robustness`` (the cost of the robustness grid);
   * the straightforward alternative: a fresh Python process that reads the CSV with pandas and
     fits one linearmodels PanelOLS per link (x lag 1, own lag 1, two-way effects, clustered),
     then Benjamini-Hochberg -- link tests only.
   Goal: defaults >= 5x faster than the loop.
2. 5,000 units x 120 periods x 24 KPIs, 30 links, defaults: goal <= 30 s and <= 3 GB peak RSS.
3. ``bsc demo`` <= 5 s after set-up; ``bsc --help`` < 0.2 s.

Every figure is the minimum wall time of a few runs of a fresh process (``subprocess``). The big
case's memory is the peak of the summed PSS of the run's processes (the forked robustness worker
included; psutil, sampled every 50 ms), next to the largest single-process ``ru_maxrss``. Run: ``python benchmarks/bench_validate.py [--quick]`` (``--quick``:
case 1 and 3 only), or ``python benchmarks/run.py validate``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

LOOP = r'''
import sys, pandas as pd, yaml
from linearmodels import PanelOLS
from statsmodels.stats.multitest import multipletests
df = pd.read_csv(sys.argv[1]).set_index(["unit", "t"]).sort_index()
card = yaml.safe_load(open(sys.argv[2]))
kpi = {o["id"]: o["kpis"][0]["id"] for o in card["objectives"]}
g = df.groupby(level=0)
p = []
for lk in card["links"]:
    x, y = kpi[lk["from"]], kpi[lk["to"]]
    d = pd.DataFrame({"y": df[y], "x1": g[x].shift(1), "y1": g[y].shift(1)}).dropna()
    res = PanelOLS(d.y, d[["x1", "y1"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True, group_debias=True)
    p.append(res.pvalues["x1"])
multipletests(p, method="fdr_bh")
'''


def _write_case(folder: Path, n_units: int, n_periods: int, n_kpis: int, n_links: int) -> tuple[Path, Path]:
    from bench_evidence import _card, _history

    csv = folder / f"history_{n_units}x{n_periods}.csv"
    card = folder / f"card_{n_kpis}_{n_links}.yaml"
    if not csv.exists():
        _history(n_units, n_periods, n_kpis).data.reset_index().to_csv(csv, index=False)
    if not card.exists():
        card.write_text(_card(n_kpis, n_links).to_yaml(), encoding="utf-8")
    return csv, card


def _timed(cmd: list[str], runs: int) -> tuple[float, float]:
    """Minimum wall time over ``runs`` fresh processes, and the largest peak RSS (GB)."""
    best, rss = float("inf"), 0.0
    env = {**os.environ}
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
        best = min(best, time.perf_counter() - t)
        rss = max(rss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2)
    return best, rss


def _tree_memory(cmd: list[str]) -> tuple[float, float, float]:
    """Wall time, peak of the summed proportional set size (PSS: shared pages split between the
    processes that share them) of the process and its children -- the physical memory the run
    holds, forked workers included -- and the largest single-process peak RSS, in GB."""
    import psutil

    t = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    while proc.poll() is None:
        total = 0
        for p in [proc, *proc.children(recursive=True)]:
            try:
                total += p.memory_full_info().pss
            except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
                pass
        peak = max(peak, total / 1024**3)
        time.sleep(0.05)
    wall = time.perf_counter() - t
    if proc.returncode:
        raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "failed")
    return wall, peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2


def _bsc(*args: str) -> list[str]:
    return [sys.executable, "-m", "bsc_toolkit.cli", *args]


def main(argv: list[str] | None = None) -> dict[str, float]:
    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        csv, card = _write_case(folder, 500, 60, 24, 30)
        common = [str(card), "--data", str(csv), "--unit", "unit", "--period", "t", "--quiet"]
        t_def, _ = _timed(_bsc("validate", *common), 3)
        t_norob, _ = _timed(_bsc("validate", *common, "--no-robustness"), 3)
        t_links, _ = _timed(_bsc("validate", *common, "--no-robustness", "--no-drivers", "--no-chains",
                                 "--no-discovery"), 3)
        loop = folder / "loop.py"
        loop.write_text(LOOP, encoding="utf-8")
        t_loop, _ = _timed([sys.executable, str(loop), str(csv), str(card)], 3)
        figures.update(defaults_s=t_def, no_robustness_s=t_norob, links_only_s=t_links, loop_s=t_loop,
                       speedup_defaults=t_loop / t_def, robustness_cost_s=t_def - t_norob)
        print("bsc validate, 30 links, 500 units x 60 periods, 24 KPIs (whole processes, best of 3)")
        print(f"  defaults (links, robustness, drivers, chains, discovery): {t_def:6.2f} s")
        print(f"  --no-robustness:                                          {t_norob:6.2f} s"
              f"   (robustness costs {t_def - t_norob:5.2f} s)")
        print(f"  link tests only:                                          {t_links:6.2f} s")
        print(f"  loop of one linearmodels PanelOLS per link (links only):  {t_loop:6.2f} s")
        print(f"  speed-up of the defaults over the loop:                   {t_loop / t_def:6.1f} x   goal >= 5x")
        t_help, _ = _timed(_bsc("--help"), 5)
        t_demo, _ = _timed(_bsc("demo", "--out", str(folder / "demo"), "--quiet"), 2)
        figures.update(help_s=t_help, demo_s=t_demo)
        print(f"bsc --help: {t_help:5.2f} s   goal < 0.2 s")
        print(f"bsc demo:   {t_demo:5.2f} s   goal <= 5 s")
        if not quick:
            csv, card = _write_case(folder, 5000, 120, 24, 30)
            common = [str(card), "--data", str(csv), "--unit", "unit", "--period", "t", "--quiet"]
            t_big, pss, rss = _tree_memory(_bsc("validate", *common))
            figures.update(big_s=t_big, big_peak_memory_gb=pss, big_peak_rss_one_process_gb=rss)
            print("bsc validate, 30 links, 5,000 units x 120 periods, 24 KPIs, defaults")
            print(f"  wall time {t_big:6.1f} s   goal <= 30 s")
            print(f"  peak memory of the run, worker process included (summed PSS): {pss:4.2f} GB   goal <= 3 GB")
            print(f"  (largest single-process peak RSS: {rss:4.2f} GB)")
    return figures


if __name__ == "__main__":
    main()

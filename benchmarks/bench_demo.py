"""Benchmark: wall time of `bsc demo` (goal: <= 15 s on a 2-core machine).

Runs the whole demo pipeline in a fresh process (as a user would), twice, plus a
report-only timing, and prints one line per figure.

    python benchmarks/bench_demo.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 15.0


def run_cli(out: Path) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bsc_toolkit.cli", "demo", "--out", str(out), "--quiet"],
                   check=True, capture_output=True, text=True)
    return time.perf_counter() - t


def main() -> int:
    times = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(2):
            times.append(run_cli(Path(d) / f"run{i}"))
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from bsc_toolkit.demo import run_demo

        res = run_demo(Path(d) / "api", progress=False)
        steps = ", ".join(f"{k} {v:.2f} s" for k, v in res.timings.items())
        evidence = json.loads(Path(res.files["evidence"]).read_text(encoding="utf-8"))
    best = min(times)
    print(f"bench_demo: bsc demo wall time {best:.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)}; "
          f"goal <= {GOAL_S:.0f} s: {'OK' if best <= GOAL_S else 'SLOW'})")
    print(f"bench_demo: in-process steps: {steps}")
    print(f"bench_demo: {len(evidence['links'])} links; {res.n_agree} of {len(res.comparison)} verdicts agree "
          f"with the planted truth; renderer {res.report.renderer}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Run every ``bench_*.py`` in this folder and print their figures.

Each benchmark module has a ``main()`` that prints its figures and returns them as a dict.
Usage: ``python benchmarks/run.py [NAME ...]`` (names without ``bench_``/``.py`` select some).
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    wanted = set(argv if argv is not None else sys.argv[1:])
    results = {}
    for path in sorted(here.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if wanted and name not in wanted:
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        assert spec.loader is not None
        spec.loader.exec_module(mod)
        print(f"== {path.name}")
        t0 = time.perf_counter()
        results[name] = mod.main() or {}
        print(f"   ({time.perf_counter() - t0:.1f} s)\n")
    print("== figures")
    for name, figs in results.items():
        for key, value in figs.items():
            print(f"{name}.{key} = {value:.4g}" if isinstance(value, float) else f"{name}.{key} = {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

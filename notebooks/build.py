"""Re-execute the curated notebooks in place, refreshing their stored outputs.

The notebooks are committed *with* outputs and ``pytest --nbval`` compares a fresh
run against them, so after changing a notebook (or the toolkit's output) run::

    .venv/bin/python notebooks/build.py            # every notebook
    .venv/bin/python notebooks/build.py 03 course/c3  # only those whose path contains a pattern

Each notebook runs with its own folder as the working directory (as nbval and
JupyterLab do) in the ``python3`` kernel of the current environment.
Exit code 1 when a notebook fails (the failing cell is printed).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def notebooks(patterns: list[str] | None = None) -> list[Path]:
    """The curated notebooks in the order a user meets them (analyst ones, then the course)."""
    found = sorted(HERE.glob("[0-9]*.ipynb")) + sorted((HERE / "course").glob("c[0-9]*.ipynb"))
    if patterns:
        found = [p for p in found if any(pat in str(p.relative_to(HERE)) for pat in patterns)]
    return found


def execute(path: Path, timeout: int = 600) -> float:
    """Execute one notebook in place; returns the wall time in seconds."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}},
                            store_widget_state=True)
    client.execute()
    seconds = time.perf_counter() - t0
    if not _has_widgets(nb):
        nb.metadata.pop("widgets", None)
    nbformat.validate(nb)
    tmp = path.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)  # atomic: a failed run never leaves a half-written notebook
    return seconds


def _has_widgets(nb: object) -> bool:
    return any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
               for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("patterns", nargs="*", help="only notebooks whose path contains one of these")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    args = ap.parse_args(argv)
    paths = notebooks(args.patterns)
    if not paths:
        print("no notebook matches", args.patterns, file=sys.stderr)
        return 1
    total = 0.0
    for p in paths:
        try:
            s = execute(p, args.timeout)
        except Exception as exc:  # nbclient's CellExecutionError carries the failing cell
            print(f"FAILED {p.relative_to(HERE)}:\n{exc}", file=sys.stderr)
            return 1
        total += s
        print(f"{s:6.1f} s  {p.relative_to(HERE)}")
    print(f"{total:6.1f} s  total ({len(paths)} notebooks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

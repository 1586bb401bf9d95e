"""Re-execute the curated notebooks in place, refreshing their stored outputs.

The notebooks are committed *with* outputs and ``pytest --nbval`` compares a fresh
run against them, so after changing a notebook (or the toolkit's output) run::

    .venv/bin/python notebooks/build.py            # every notebook
    .venv/bin/python notebooks/build.py 03 course/c3  # only those whose path contains a pattern

The course has one source per lesson, the solved notebook in ``course/solutions/``. The
student version handed out to a class (``course/cN_*.ipynb``) is generated from it first:
in every cell tagged ``exercise`` each ``answer... = <solution>`` line becomes
``answer... = ...  # your answer``, and cells tagged ``solution-note`` are dropped. So the
two versions never drift apart (``tests/test_notebooks_course.py`` checks it).

Each notebook runs with its own folder as the working directory (as nbval and
JupyterLab do) in the ``python3`` kernel of the current environment; notebook 01's kernel
talks to a local stand-in LLM (``_stand_in_llm.py``). No widget state is stored: every
widget's output carries a static snapshot of its result instead, which exports show.
Exit code 1 when a notebook fails (the failing cell is printed).
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
COURSE = HERE / "course"
SOLUTIONS = COURSE / "solutions"

#: an exercise line: ``answer_1 = <solution>  # optional comment``
_ANSWER = re.compile(r"^(?P<lhs>\s*answer\w*)\s*=\s*(?P<rhs>.+?)\s*(?:#\s*(?P<note>.*))?$")
BLANK = "..."


def notebooks(patterns: list[str] | None = None) -> list[Path]:
    """The curated notebooks in the order a user meets them (analyst ones, the solved course, the students')."""
    found = (sorted(HERE.glob("[0-9]*.ipynb")) + sorted(SOLUTIONS.glob("c[0-9]*.ipynb"))
             + sorted(COURSE.glob("c[0-9]*.ipynb")))
    if patterns:
        found = [p for p in found if any(pat in str(p.relative_to(HERE)) for pat in patterns)]
    return found


def student_cell_source(source: str, where: str = "") -> str:
    """An exercise cell with its answers blanked: ``answer_1 = len(chains)`` -> ``answer_1 = ...  # your answer``.

    Every line must be an answer, a comment or blank, so no solution hides in other code.

    Examples
    --------
    >>> print(student_cell_source('answer_1 = len(chains)  # how many chains?\\nanswer_2 = "b"'))
    answer_1 = ...  # your answer: how many chains?
    answer_2 = ...  # your answer
    """
    out = []
    for i, line in enumerate(source.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            out.append(line)
            continue
        m = _ANSWER.match(line)
        if m is None:
            raise ValueError(f"{where}: line {i} of an exercise cell is not `answer... = <solution>`: {line!r}")
        note = f": {m['note']}" if m["note"] else ""
        out.append(f"{m['lhs']} = {BLANK}  # your answer{note}")
    return "\n".join(out)


def student_version(solved: Any, where: str = "") -> Any:
    """The student notebook made from a solved one (outputs cleared; run it to fill them)."""
    nb = copy.deepcopy(solved)
    cells = []
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "solution-note" in tags:
            continue
        if cell.cell_type == "code":
            if "exercise" in tags:
                cell.source = student_cell_source(cell.source, f"{where} cell {cell.get('id', '?')}")
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    nb.cells = cells
    return nb


def write_student_versions(patterns: list[str] | None = None) -> list[Path]:
    """Generate ``course/cN_*.ipynb`` from ``course/solutions/cN_*.ipynb`` (only the sources)."""
    import nbformat

    written = []
    for solved in sorted(SOLUTIONS.glob("c[0-9]*.ipynb")):
        target = COURSE / solved.name
        if patterns and not any(pat in str(target.relative_to(HERE)) or pat in str(solved.relative_to(HERE))
                                for pat in patterns):
            continue
        nb = student_version(nbformat.read(solved, as_version=4), str(solved.relative_to(HERE)))
        _write(nb, target)
        written.append(target)
    return written


def _write(nb: Any, path: Path) -> None:
    import nbformat

    nb.metadata.pop("widgets", None)  # no widget state: the snapshots in the outputs are what exports show
    for cell in nb.cells:  # no per-cell timestamps: a rebuild changes only what the code prints
        cell.metadata.pop("execution", None)
    nbformat.validate(nb)
    tmp = path.with_suffix(".ipynb.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)  # atomic: a failed run never leaves a half-written notebook


def execute(path: Path, timeout: int = 600) -> float:
    """Execute one notebook in place; returns the wall time in seconds."""
    import nbformat
    from nbclient import NotebookClient

    sys.path.insert(0, str(HERE))
    from _stand_in_llm import llm_environment

    nb = nbformat.read(path, as_version=4)
    t0 = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}},
                            store_widget_state=False, record_timing=False)
    with llm_environment(path) as env:
        client.execute(**({"env": {**os.environ, **env}} if env else {}))
    seconds = time.perf_counter() - t0
    _write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("patterns", nargs="*", help="only notebooks whose path contains one of these")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    args = ap.parse_args(argv)
    try:
        write_student_versions(args.patterns)
    except ValueError as exc:
        print(f"FAILED making the student versions: {exc}", file=sys.stderr)
        return 1
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

"""The curated notebooks: structure (goal, parameters, exercises) and that nbval really catches breakage."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
ANALYST = sorted(NB_DIR.glob("[0-9]*.ipynb"))
SOLUTIONS = sorted((NB_DIR / "course" / "solutions").glob("c[0-9]*.ipynb"))
STUDENTS = sorted((NB_DIR / "course").glob("c[0-9]*.ipynb"))
COURSE = SOLUTIONS + STUDENTS
SANITIZE = NB_DIR / "nbval_sanitize.cfg"


def _nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _src(cell: dict) -> str:
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def test_the_expected_notebooks_exist():
    names = [p.stem for p in ANALYST]
    assert names[:4] == ["01_generate_a_scorecard", "02_lint_and_score", "03_test_the_links",
                         "04_drivers_chains_levers"]
    assert {"05_strategy_map", "06_publish_a_report", "07_cascading"} <= set(names)
    lessons = ["c1_perspectives_and_chains", "c2_leading_vs_lagging", "c3_trends_and_reverse_causality",
               "c4_designing_a_good_scorecard", "c5_how_many_periods"]
    assert [p.stem for p in SOLUTIONS] == lessons and [p.stem for p in STUDENTS] == lessons


@pytest.mark.parametrize("path", ANALYST + COURSE, ids=lambda p: p.name)
def test_goal_heading_and_stored_outputs(path):
    nb = _nb(path)
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown", f"{path.name}: first cell must be the goal (markdown)"
    text = _src(first)
    assert re.match(r"# \S", text), f"{path.name}: first cell must start with a '# ' heading"
    assert "**Goal:**" in text, f"{path.name}: the first cell must state the goal ('**Goal:** ...')"
    codes = _code_cells(nb)
    # committed WITH outputs: every code cell was executed, in order, and none failed
    counts = [c["execution_count"] for c in codes]
    assert all(isinstance(n, int) for n in counts), f"{path.name}: not executed (run notebooks/build.py)"
    assert counts == sorted(counts), f"{path.name}: cells were executed out of order"
    errors = [o for c in codes for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, f"{path.name}: stored error output {errors[0].get('ename')}"
    # prose between cells: at least one markdown cell per three code cells
    n_md = sum(c["cell_type"] == "markdown" for c in nb["cells"])
    assert n_md * 3 >= len(codes), f"{path.name}: {n_md} markdown cells for {len(codes)} code cells"


@pytest.mark.parametrize("path", ANALYST, ids=lambda p: p.name)
def test_analyst_notebooks_have_a_parameters_cell_first(path):
    first_code = _code_cells(_nb(path))[0]
    assert "parameters" in first_code.get("metadata", {}).get("tags", []), \
        f"{path.name}: the first code cell must be tagged 'parameters' (papermill)"
    assert "import" not in _src(first_code), f"{path.name}: the parameters cell should only assign values"


def _tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("path", ANALYST + COURSE, ids=lambda p: p.name)
def test_ignored_outputs_are_marked_one_by_one(path):
    codes = _code_cells(_nb(path))
    # test markers are cell tags, not comments in what users read
    assert not any("NBVAL" in _src(c) for c in codes), f"{path.name}: use the nbval-ignore-output tag"
    ignored = [c for c in codes if "nbval-ignore-output" in _tags(c)]
    assert len(ignored) <= 2, f"{path.name}: {len(ignored)} cells ignore their output; compare more"
    assert len(ignored) < len(codes) / 2
    assert not any("nbval-skip" in _tags(c) for c in codes), f"{path.name}: no cell may be skipped"
    meta = _nb(path)["metadata"]
    assert "nbval" not in json.dumps(meta).lower(), "no notebook-wide nbval switches"


def test_notebook_04_covers_drivers_chains_discovery_and_levers():
    nb = _nb(NB_DIR / "04_drivers_chains_levers.ipynb")
    code = "\n".join(_src(c) for c in _code_cells(nb))
    prose = "\n".join(_src(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    for call in ("evidence.drivers", "evidence.chains", "evidence.suggestions", "simulate_lever(",
                 "lever_view(", "lever_sliders("):
        assert call in code, f"notebook 04 does not use {call}"
    for idea in ("leading adds information", "whole units", "exploratory", "supported"):
        assert idea in prose.lower(), f"notebook 04 does not explain '{idea}'"
    # the widget is the only cell whose output is not compared
    ignored = [c for c in _code_cells(nb) if "nbval-ignore-output" in _tags(c)]
    assert len(ignored) == 1 and "lever_sliders(" in _src(ignored[0])
    # the joint test's degrees of freedom are explained from the model, not asserted in prose
    out = "".join("".join(o.get("text", "")) for c in _code_cells(nb) for o in c.get("outputs", []))
    assert re.search(r"F\(\d+, \d+\): its first number counts coefficients, not KPIs", out)


@pytest.mark.parametrize("path", COURSE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_course_exercises_are_checked(path):
    nb = _nb(path)
    text = "\n".join(_src(c) for c in _code_cells(nb))
    assert re.search(r"from course_check import .*check_(answer|reading)", text)
    checks = [c for c in _code_cells(nb) if "check" in _tags(c)]
    assert checks and all(re.search(r"print\(check_(answer|reading)\(\"c\d\.", _src(c)) for c in checks)


def test_sanitize_file_patterns():
    from nbval.plugin import get_sanitize_patterns

    pats = get_sanitize_patterns(SANITIZE.read_text())
    assert len(pats) >= 3
    text = ("KPI history from /tmp/bsc_03_qf7io66u/history.csv\ndate: '2026-11-23'\n<obj at 0x7f3a2b1c9d30>\n"
            "127.0.0.1:36083 (fake-model): answer 1")
    for rx, rep in pats:
        text = re.sub(rx, rep, text)
    assert text == ("KPI history from <TMPDIR>/history.csv\ndate: '<DATE>'\n<obj at 0x<ADDR>>\n"
                    "127.0.0.1:<PORT> (fake-model): answer 1")


def _run_nbval(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "--nbval-sanitize-with", str(SANITIZE), "-q",
         "-p", "no:cacheprovider", "--rootdir", str(folder), "-c", str(folder / "pytest.ini"), str(folder)],
        capture_output=True, text=True, timeout=240, cwd=folder,
    )


def _copy_c4(tmp_path: Path, name: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "pytest.ini").write_text("[pytest]\n")
    shutil.copy(NB_DIR / "course" / "course_check.py", d)
    return d


def test_a_broken_notebook_fails_nbval(tmp_path):
    src = NB_DIR / "course" / "solutions" / "c4_designing_a_good_scorecard.ipynb"
    nb = _nb(src)
    # (1) the committed notebook passes
    ok = _copy_c4(tmp_path, "ok")
    shutil.copy(src, ok / src.name)
    r = _run_nbval(ok)
    assert r.returncode == 0, r.stdout[-2000:]
    # (2) a stored output that no longer matches what the code prints fails
    # (a wrong exercise answer: tests/test_notebooks_course.py)
    changed = _copy_c4(tmp_path, "changed")
    nb2 = json.loads(json.dumps(nb))
    cell = next(c for c in _code_cells(nb2) if "check" in _tags(c))
    cell["outputs"][0]["text"] = ["c4.n_kpis: correct\n", "c4.code_too_many: WRONG\n", "c4.strategic: correct\n"]
    (changed / src.name).write_text(json.dumps(nb2))
    r = _run_nbval(changed)
    assert r.returncode != 0 and "1 failed" in r.stdout, r.stdout[-2000:]


def test_a_kernel_that_fails_to_start_is_started_again(monkeypatch):
    """notebooks/conftest.py: a kernel start that fails (two workers' kernels on one port, a slow
    start on a busy machine) is retried; three failures still fail, with the last error."""
    pytest.importorskip("nbval")
    from nbval import kernel as nbk

    import notebooks.conftest  # noqa: F401 - installs the retry

    calls = []
    real = nbk.start_new_kernel

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel didn't respond in 60 seconds")
        return real(*args, **kwargs)

    monkeypatch.setattr(nbk, "start_new_kernel", flaky)
    k = nbk.RunningKernel("python3")
    try:
        assert len(calls) == 2
    finally:
        k.stop()

    def broken(*args, **kwargs):
        raise RuntimeError("no kernel today")

    monkeypatch.setattr(nbk, "start_new_kernel", broken)
    monkeypatch.setattr(notebooks.conftest.time, "sleep", lambda s: None)
    with pytest.raises(RuntimeError, match="no kernel today"):
        nbk.RunningKernel("python3")

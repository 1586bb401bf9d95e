"""The course as teachers use it: student notebooks with blank answers, solutions generated from one source.

* the solved notebooks (``notebooks/course/solutions/``) are the source; the student versions
  (``notebooks/course/cN_*.ipynb``) equal what ``notebooks/build.py`` makes of them, cell by cell;
* every exercise is blank in the student version and solved in the solution;
* check cells say "not answered yet" in the student versions (stored outputs, and a fresh run)
  and "correct" in the solutions; a wrong answer gets "not right" with a hint, and never raises;
* nbval (run on every notebook by ``make test``) keeps executing both versions.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
COURSE = NB_DIR / "course"
SOLUTIONS = sorted((COURSE / "solutions").glob("c[0-9]*.ipynb"))
STUDENTS = sorted(COURSE.glob("c[0-9]*.ipynb"))
SANITIZE = NB_DIR / "nbval_sanitize.cfg"
CHECK = re.compile(r"check_(?:answer|reading)\(\s*\"(c\d\.\w+)\"\s*,\s*(\w+)")


def _nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _src(cell: dict) -> str:
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def _tagged(nb: dict, tag: str) -> list[dict]:
    return [c for c in nb["cells"] if tag in c.get("metadata", {}).get("tags", [])]


def _paired(solved: Path, tag: str) -> tuple[dict, dict, list[tuple[dict, dict]]]:
    """Both versions of a lesson and their cells with ``tag``, side by side (at least one, as many in each)."""
    sol, stu = _nb(solved), _nb(COURSE / solved.name)
    a, b = _tagged(sol, tag), _tagged(stu, tag)
    assert a and len(a) == len(b), f"{solved.name}: {len(a)} solved and {len(b)} student cells tagged {tag}"
    return sol, stu, list(zip(a, b, strict=True))


def _text(cell: dict) -> str:
    return "".join("".join(o.get("text", "")) for o in cell.get("outputs", []) if o["output_type"] == "stream")


def _build_module():
    spec = importlib.util.spec_from_file_location("nb_build", NB_DIR / "build.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _course_check():
    spec = importlib.util.spec_from_file_location("course_check_under_test", COURSE / "course_check.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_one_student_version_per_solution():
    assert [p.name for p in SOLUTIONS] == [p.name for p in STUDENTS]
    assert len(SOLUTIONS) >= 5


@pytest.mark.parametrize("solved", SOLUTIONS, ids=lambda p: p.stem)
def test_student_version_is_generated_from_the_solution(solved):
    """The two never drift: the committed student notebook is exactly build.py's rewrite of the solution."""
    import nbformat

    build = _build_module()
    want = build.student_version(nbformat.read(solved, as_version=4), solved.name)
    have = nbformat.read(COURSE / solved.name, as_version=4)
    assert [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in have.cells] == [
        (c.cell_type, c.source, c.metadata.get("tags", [])) for c in want.cells
    ], f"{solved.name}: the student version is stale; run notebooks/build.py {solved.stem[:2]}"


@pytest.mark.parametrize("solved", SOLUTIONS, ids=lambda p: p.stem)
def test_every_exercise_is_blank_for_students_and_solved_in_the_solution(solved):
    sol, stu, pairs = _paired(solved, "exercise")
    for a, b in pairs:
        names_sol = re.findall(r"^\s*(answer\w*)\s*=\s*(.+?)\s*(?:#.*)?$", _src(a), re.M)
        names_stu = re.findall(r"^\s*(answer\w*)\s*=\s*(.+?)\s*(?:#.*)?$", _src(b), re.M)
        assert names_sol and [n for n, _ in names_sol] == [n for n, _ in names_stu]
        assert all(v == "..." for _, v in names_stu), _src(b)  # blank for students
        assert all(v != "..." for _, v in names_sol), _src(a)  # solved for teachers
        assert "# your answer" in _src(b)
    # answers are assigned in exercise cells only: no other cell of the student version computes one
    for c in stu["cells"]:
        if c["cell_type"] == "code" and "exercise" not in c.get("metadata", {}).get("tags", []):
            assert not re.search(r"^\s*answer\w*\s*=", _src(c), re.M), _src(c)
    # the teacher's banner is only in the solution
    assert _tagged(sol, "solution-note") and not _tagged(stu, "solution-note")


@pytest.mark.parametrize("solved", SOLUTIONS, ids=lambda p: p.stem)
def test_check_cells_say_not_answered_for_students_and_correct_in_solutions(solved):
    sol, stu, pairs = _paired(solved, "check")
    for cs, ct in pairs:
        questions = [q for q, _ in CHECK.findall(_src(cs))]
        assert questions
        out_sol, out_stu = _text(cs), _text(ct)
        for q in questions:
            assert f"{q}: correct" in out_sol, out_sol
            assert f"{q}: not answered yet" in out_stu, out_stu
        for nb in (sol, stu):
            errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
            assert not errors


def test_a_fresh_run_of_a_student_notebook_judges_every_answer(tmp_path):
    """Run a student notebook from scratch with one answer left blank, one right and one wrong."""
    import nbformat
    from nbclient import NotebookClient

    name = "c4_designing_a_good_scorecard.ipynb"
    shutil.copy(COURSE / name, tmp_path / name)
    shutil.copy(COURSE / "course_check.py", tmp_path / "course_check.py")
    nb = nbformat.read(tmp_path / name, as_version=4)
    ex = next(c for c in nb.cells if "exercise" in c.metadata.get("tags", []))
    assert "answer_2 = ..." in ex.source and "answer_3 = ..." in ex.source
    ex.source = ex.source.replace("answer_2 = ...", 'answer_2 = "kpi-count"').replace("answer_3 = ...",
                                                                                       'answer_3 = "a"')
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()  # raises if a cell fails
    check = next(c for c in nb.cells if "check" in c.metadata.get("tags", []))
    out = "".join(o.get("text", "") for o in check.outputs)
    assert "c4.n_kpis: not answered yet" in out and "c4.code_too_many: correct" in out
    assert "c4.strategic: 'a' is not right. Hint: a strategic KPI measures" in out


def test_check_answer_judges_without_raising():
    cc = _course_check()
    assert cc.check_answer("c3.true_direction", "F1  ->  p1") == "c3.true_direction: correct"
    assert cc.check_answer("c1.n_chains", 3).startswith("c1.n_chains: 3 is not right. Hint: count every path")
    assert "not answered yet" in cc.check_answer("c1.n_chains", ...)
    assert "not right" in cc.check_answer("c1.n_chains", object())  # an answer no key can hold
    import pandas as pd

    curve = pd.DataFrame({"n_periods": [6, 8, 12], "power": [0.3, 0.79, 0.85]})
    assert cc.periods_for_power(curve, 0.8) == 12
    assert cc.check_reading("c5.x", 12, cc.periods_for_power(curve), "h") == "c5.x: correct"
    assert cc.check_reading("c5.x", 8, 12, "h") == "c5.x: 8 is not right. Hint: h"
    with pytest.raises(KeyError, match="no question 'c9.x'"):
        cc.check_answer("c9.x", 1)
    # every question a course notebook checks has a key, and every key is used
    used = set()
    for p in SOLUTIONS:
        used |= {q for q, _ in CHECK.findall("\n".join(_src(c) for c in _nb(p)["cells"]))
                 if "check_answer" in "\n".join(_src(c) for c in _nb(p)["cells"])}
    assert set(cc.KEY) <= used


def test_the_solutions_use_the_one_answer_key():
    """solutions/course_check.py is a loader for ../course_check.py, not a second copy of the key."""
    shim = (COURSE / "solutions" / "course_check.py").read_text()
    assert "KEY" not in shim and "sha256" not in shim.lower()
    r = subprocess.run([sys.executable, "-c", "import course_check; print(course_check.__file__)"],
                       cwd=COURSE / "solutions", capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and Path(r.stdout.strip()) == COURSE / "course_check.py", r.stderr


def test_student_cell_rewrite_refuses_hidden_code():
    build = _build_module()
    assert build.student_cell_source("answer = f(x)  # periods\n# note") == "answer = ...  # your answer: periods\n# note"
    with pytest.raises(ValueError, match="line 2 of an exercise cell"):
        build.student_cell_source("answer_1 = 3\nprint(answer_1)", "c9")


def _run_nbval(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "--nbval-sanitize-with", str(SANITIZE), "-q",
         "-p", "no:cacheprovider", "--rootdir", str(folder), "-c", str(folder / "pytest.ini"), str(folder)],
        capture_output=True, text=True, timeout=240, cwd=folder,
    )


def test_nbval_fails_a_wrong_solution(tmp_path):
    """A solved notebook whose answer goes wrong fails nbval: the check's output no longer says correct.

    (That the committed notebook passes nbval in such a folder: tests/test_notebooks_meta.py.)
    """
    src = COURSE / "solutions" / "c4_designing_a_good_scorecard.ipynb"
    nb = _nb(src)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    shutil.copy(COURSE / "course_check.py", tmp_path)
    cell = _tagged(nb, "exercise")[0]
    assert 'answer_3 = "b"' in _src(cell)
    cell["source"] = _src(cell).replace('answer_3 = "b"', 'answer_3 = "a"')
    (tmp_path / src.name).write_text(json.dumps(nb))
    r = _run_nbval(tmp_path)
    assert r.returncode != 0 and "1 failed" in r.stdout, r.stdout[-2000:]
    assert "'a' is not right. Hint:" in r.stdout  # nbval's diff shows the new output


@pytest.mark.slow
def test_course_renders_as_handouts_with_quarto(tmp_path):
    """The teacher's page's commands: a handout website of the student lessons and a PDF per lesson."""
    quarto = shutil.which("quarto")
    if quarto is None:
        reason = "the Quarto CLI is not on PATH (see ../shared/tools/quarto/README or quarto.org)"
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    course = tmp_path / "course"
    shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns("_handouts", ".quarto"))
    r = subprocess.run([quarto, "render"], cwd=course, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    pages = sorted(p.name for p in (course / "_handouts").glob("c*.html"))
    assert pages == [p.with_suffix(".html").name for p in STUDENTS]
    assert not (course / "_handouts" / "solutions").exists()  # the solutions stay with the teacher
    page = (course / "_handouts" / "c1_perspectives_and_chains.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", page)  # code is highlighted span by span
    assert "answer_1 = ..." in text and "not answered yet" in text and "<svg" in page
    r = subprocess.run([quarto, "render", "c4_designing_a_good_scorecard.ipynb", "--to", "typst"], cwd=course,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (course / "_handouts" / "c4_designing_a_good_scorecard.pdf").read_bytes()[:5] == b"%PDF-"

"""Adversarial QA of the command line: bad input a real user would produce.

Every case asserts the exit code (1 bad input, 2 usage), exactly ONE line on
stderr (no traceback), the key words of that line (the file, the place and what
was expected), that an existing output file stays byte-identical, and that no
new file (partial output, temporary file) is left in the working folder.

A second part runs the ``bsc ...`` example lines of every command's ``--help``
in a folder that holds the files they name, so pasted examples work.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bsc_toolkit.cli import _available, main

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).parents[1] / "bsc_toolkit" / "scorecard" / "examples"
BSC = [sys.executable, "-m", "bsc_toolkit.cli"]
FAST = ["--no-drivers", "--no-chains", "--no-discovery", "--quiet"]
KEEP = "KEEP ME: an earlier result\n"


# ------------------------------------------------------------------ workspace
@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Path:
    """A folder with a small simulated history, its evidence and many broken files."""
    from bsc_toolkit.evidence import validate
    from bsc_toolkit.history import simulate_history
    from bsc_toolkit.scorecard import load_example

    d = tmp_path_factory.mktemp("cli_errors")
    sc = load_example("retail")
    sim = simulate_history(sc, n_units=5, n_periods=12, seed=0)
    sim.save(d / "sim")
    shutil.copy(d / "sim" / "history.csv", d / "hist.csv")
    single = simulate_history(sc, n_units=1, n_periods=30, seed=0)
    single.save(d / "single")
    ev = validate(sc, sim.history, drivers=False, chains=False, discovery=False)
    ev.save(d / "ev.json")

    rows = list(csv.reader((d / "hist.csv").open()))

    def write(name: str, table: list[list[str]]) -> None:
        with (d / name).open("w", newline="") as fh:
            csv.writer(fh).writerows(table)

    r = [x[:] for x in rows]
    r[5][4] = "n/a?"
    write("textcell.csv", r)
    r = [x[:] for x in rows]
    r.insert(6, r[5])
    write("dup.csv", r)
    write("missingcol.csv", [[c for i, c in enumerate(x) if i != 5] for x in rows])
    r = [x[:] for x in rows]
    r[7][1] = "2023Qx"
    write("badperiod.csv", r)

    (d / "adir").mkdir()
    (d / "afile").write_text("a file, not a folder\n")
    (d / "bin.yaml").write_bytes(b"\x00\x01\x02\xff\xfe binary")
    (d / "empty.yaml").write_text("")
    (d / "empty.csv").write_text("")
    (d / "malformed.yaml").write_text("name: x\nobjectives: [1, 2\n")
    (d / "malformed.json").write_text('{"name": "x",\n')
    (d / "typo.yaml").write_text(
        (EXAMPLES / "retail.yaml").read_text().replace("direction: up", "direction: upward", 1)
    )
    (d / "unknownkey.yaml").write_text(
        (EXAMPLES / "retail.yaml").read_text().replace("objectives:", "colour: red\nobjectives:", 1)
    )
    (d / "keep.json").write_text(KEEP)
    (d / "keep.svg").write_text(KEEP)
    (d / "keep.yaml").write_text(KEEP)
    (d / "act_text.csv").write_text("kpi,value\nnps,lots\n")
    (d / "act_short.csv").write_text("kpi,value\nnps\n")
    (d / "act_dup.csv").write_text("kpi,value\nnps,3\nnps,4\n")
    (d / "act_nan.csv").write_text("kpi,value\nnps,nan\n")
    (d / "act_dup.yaml").write_text("nps: 3\nnps: 4\n")
    ev_data = json.loads((d / "ev.json").read_text())
    (d / "ev_fmt.json").write_text(json.dumps({**ev_data, "format": "other/2"}))
    (d / "child.yaml").write_text(
        (EXAMPLES / "software_engineering.yaml").read_text().replace("parent: software", "parent: gone.yaml")
    )
    return d


def _listing(d: Path) -> set[str]:
    return {str(p.relative_to(d)) for p in d.rglob("*")}


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


V = ["validate", "retail", "--data", "hist.csv", "--unit", "unit", "--period", "period", *FAST]
LEVER = ["lever", "retail", "--data", "hist.csv", "--unit", "unit", "--period", "period", "--evidence", "ev.json",
         "--kpi", "L1", "--change", "5", "--draws", "20"]

#: (id, argv, exit code, key words of the one stderr line, file that must stay byte-identical)
CASES = [
    # --- scorecards: missing, folder, binary, empty, wrong format, malformed, typos
    ("lint-missing", ["lint", "nope.yaml"], 1, ["nope.yaml", "file not found", "shipped example"], None),
    ("lint-folder", ["lint", "adir"], 1, ["adir", "is a folder", ".yaml"], None),
    ("lint-binary", ["lint", "bin.yaml"], 1, ["bin.yaml", "not UTF-8"], None),
    ("lint-empty", ["lint", "empty.yaml"], 1, ["empty.yaml", "expected a mapping", "empty document"], None),
    ("lint-csv", ["lint", "hist.csv"], 1, ["hist.csv:1", "expected a mapping", "KPI history", "--data"], None),
    ("lint-evidence", ["lint", "ev.json"], 1, ["ev.json:1", "evidence file", "not a scorecard"], None),
    ("lint-truth", ["lint", "sim/truth.json"], 1, ["truth.json", "simulation", "not a scorecard"], None),
    ("lint-bad-yaml", ["lint", "malformed.yaml"], 1, ["malformed.yaml:", "malformed YAML"], None),
    ("lint-bad-json", ["lint", "malformed.json"], 1, ["malformed.json:2", "malformed JSON"], None),
    ("lint-typo", ["lint", "typo.yaml"], 1, ["typo.yaml:", "direction", "'upward'", "'up'"], None),
    ("lint-unknown-key", ["lint", "unknownkey.yaml"], 1, ["unknownkey.yaml:", "unknown key 'colour'", "allowed"],
     None),
    ("lint-json-into-file-path", ["lint", "retail", "--json", "afile/x.json"], 1,
     ["--json afile/x.json", "'afile' is a file"], None),
    ("lint-no-args", ["lint"], 2, ["give a scorecard", "--help"], None),
    ("lint-bad-flag", ["lint", "retail", "--bogus"], 2, ["unrecognized arguments: --bogus"], None),
    ("unknown-command", ["frobnicate"], 2, ["invalid choice: 'frobnicate'"], None),
    # --- score --actuals
    ("score-actuals-text", ["score", "retail", "--actuals", "act_text.csv"], 1,
     ["act_text.csv, row 2, column 'value'", "'lots'"], None),
    ("score-actuals-short", ["score", "retail", "--actuals", "act_short.csv"], 1,
     ["act_short.csv, row 2", "two cells"], None),
    ("score-actuals-dup", ["score", "retail", "--actuals", "act_dup.csv"], 1,
     ["act_dup.csv, row 3", "'nps' appears twice"], None),
    ("score-actuals-nan", ["score", "retail", "--actuals", "act_nan.csv"], 1, ["not a number", "'nan'"], None),
    ("score-actuals-dup-yaml", ["score", "retail", "--actuals", "act_dup.yaml"], 1,
     ["act_dup.yaml", "duplicate key 'nps'"], None),
    ("score-actuals-binary", ["score", "retail", "--actuals", "bin.yaml"], 1, ["bin.yaml", "not UTF-8"], None),
    ("score-actuals-bad-yaml", ["score", "retail", "--actuals", "malformed.yaml"], 1,
     ["malformed.yaml", "line 3", "malformed"], None),
    ("score-actuals-folder", ["score", "retail", "--actuals", "adir"], 1, ["adir", "is a folder"], None),
    ("score-actuals-wrong-table", ["score", "retail", "--actuals", "hist.csv"], 1,
     ["hist.csv, row 1", "'kpi,value'", "unit,period"], None),
    ("score-json-folder", ["score", "retail", "--json", "adir"], 1, ["--json adir", "is a folder"], None),
    # --- cascade
    ("cascade-no-parent", ["cascade", "retail"], 1, ["retail", "no `parent:`", "--parent"], None),
    ("cascade-parent-missing", ["cascade", "child.yaml"], 1, ["child.yaml", "'gone.yaml' not found", "--parent"],
     None),
    ("cascade-parent-csv", ["cascade", "software_engineering", "--parent", "hist.csv"], 1,
     ["hist.csv:1", "expected a mapping"], None),
    # --- KPI history
    ("validate-data-missing", [*V[:3], "nope.csv", *V[4:]], 1, ["nope.csv", "file not found"], None),
    ("validate-data-folder", [*V[:3], "adir", *V[4:]], 1, ["adir", "is a folder"], None),
    ("validate-data-empty", [*V[:3], "empty.csv", *V[4:]], 1, ["empty.csv", "empty", "header row"], None),
    ("validate-data-yaml", [*V[:3], "typo.yaml", *V[4:]], 1, ["typo.yaml", "unknown file type '.yaml'", ".csv"],
     None),
    ("validate-text-cell", [*V[:3], "textcell.csv", *V[4:]], 1,
     ["textcell.csv, row 6, column 'gross_margin'", "expected a number", "'n/a?'"], None),
    ("validate-duplicate-rows", [*V[:3], "dup.csv", *V[4:]], 1,
     ["dup.csv", "duplicate rows", "'U001'", "rows 6 and 7"], None),
    ("validate-missing-kpi", [*V[:3], "missingcol.csv", *V[4:]], 1, ["missingcol.csv", "'opex_ratio'", "lacks"],
     None),
    ("validate-bad-period", [*V[:3], "badperiod.csv", *V[4:]], 1,
     ["badperiod.csv, row 8, column 'period'", "'2023Qx'"], None),
    ("validate-wrong-unit", [*V[:5], "store", *V[6:]], 1, ["hist.csv", "'store' not found", "unit, period"], None),
    ("validate-wrong-period", [*V[:7], "quarter", *V[8:]], 1, ["hist.csv", "'quarter' not found"], None),
    ("validate-no-unit-on-panel", [*V[:4], *V[6:]], 1, ["duplicate rows for period", "unit"], None),
    ("validate-sheet-on-csv", [*V, "--sheet", "x"], 1, ["hist.csv", "`sheet`", "Excel"], None),
    ("validate-control-missing", [*V, "--controls", "nope"], 1, ["hist.csv", "'nope' not found"], None),
    # --- option values
    ("validate-negative-lag", [*V, "--max-lag", "-1"], 2, ["--max-lag", ">= 0", "-1", "--help"], None),
    ("validate-own-lags-text", [*V, "--own-lags", "x"], 2, ["--own-lags", "'x'"], None),
    ("validate-alpha-2", [*V, "--alpha", "2", "--json", "keep.json"], 1, ["alpha", "between 0 and 1", "2"],
     "keep.json"),
    ("validate-alpha-nan", [*V, "--alpha", "nan"], 1, ["alpha", "nan"], None),
    ("validate-unknown-effects", [*V, "--effects", "bogus"], 2, ["--effects", "'bogus'"], None),
    ("validate-both-on-single", ["validate", "retail", "--data", "single/history.csv", "--period", "period",
                                 "--effects", "both", *FAST], 1, ["'both'", "panel", "single series"], None),
    ("validate-clustered-on-single", ["validate", "retail", "--data", "single/history.csv", "--period", "period",
                                      "--cov", "clustered", *FAST], 1, ["'clustered'", "single series", "hac"],
     None),
    ("validate-json-in-file", [*V, "--json", "afile/ev.json"], 1, ["--json afile/ev.json", "'afile' is a file"],
     None),
    ("validate-json-is-folder", [*V, "--json", "adir"], 1, ["--json adir", "is a folder"], None),
    ("validate-json-unwritable", [*V, "--json", "/proc/bsc-ev.json"], 1, ["/proc", "not writable"], None),
    ("validate-fails-keeps-json", [*V[:3], "textcell.csv", *V[4:], "--json", "keep.json"], 1, ["textcell.csv"],
     "keep.json"),
    # --- evidence files
    ("map-evidence-missing", ["map", "retail", "--evidence", "nope.json", "-o", "keep.svg"], 1,
     ["nope.json", "not found"], "keep.svg"),
    ("map-evidence-folder", ["map", "retail", "--evidence", "adir", "-o", "keep.svg"], 1,
     ["adir", "is a folder"], "keep.svg"),
    ("map-evidence-csv", ["map", "retail", "--evidence", "hist.csv", "-o", "keep.svg"], 1,
     ["hist.csv", "not valid JSON"], "keep.svg"),
    ("map-evidence-binary", ["map", "retail", "--evidence", "bin.yaml", "-o", "keep.svg"], 1,
     ["bin.yaml", "not UTF-8"], "keep.svg"),
    ("map-evidence-format", ["map", "retail", "--evidence", "ev_fmt.json", "-o", "keep.svg"], 1,
     ["ev_fmt.json", "bsc-evidence/1", "'other/2'"], "keep.svg"),
    ("map-evidence-truth", ["map", "retail", "--evidence", "sim/truth.json", "-o", "keep.svg"], 1,
     ["truth.json", "bsc-evidence/1"], "keep.svg"),
    ("map-evidence-other-scorecard", ["map", "hospital", "--evidence", "ev.json", "-o", "keep.svg"], 1,
     ["ev.json", "none of the 16 links", "Northwind Retail", "Hospital"], "keep.svg"),
    ("map-unknown-format", ["map", "retail", "-o", "map.gif"], 1, ["map.gif", ".gif", ".svg"], None),
    ("map-out-in-file", ["map", "retail", "-o", "afile/m.svg"], 1, ["afile/m.svg", "'afile' is a file"], None),
    ("map-out-folder", ["map", "retail", "-o", "adir"], 1, ["adir", "is a folder"], None),
    ("report-evidence-other-scorecard", ["report", "hospital", "--evidence", "ev.json", "-o", "rep"], 1,
     ["ev.json", "none of the 16 links", "bsc validate"], None),
    ("report-evidence-folder", ["report", "retail", "--evidence", "adir", "-o", "rep"], 1,
     ["adir", "is a folder"], None),
    ("report-out-is-file", ["report", "retail", "-o", "afile"], 1, ["-o/--out afile", "is a file"], None),
    ("report-unknown-format", ["report", "retail", "-o", "rep", "--format", "html,epub"], 2,
     ["--format", "'html,epub'", "docx"], None),
    ("report-narrative-binary", ["report", "retail", "-o", "rep", "--narrative", "bin.yaml"], 1,
     ["bin.yaml", "not UTF-8", "Markdown"], None),
    ("report-validation-needs-evidence", ["report", "retail", "--kind", "validation", "-o", "rep"], 1,
     ["needs evidence"], None),
    ("lever-change-nan", [*LEVER[:-4], "--change", "nan"], 2, ["--change", "finite", "'nan'"], None),
    ("lever-unknown-kpi", [*LEVER[:-6], "--kpi", "ZZ", "--change", "5"], 1, ["'ZZ'", "not a KPI or objective"], None),
    ("lever-plot-format", [*LEVER, "--plot", "paths.gif"], 1, ["--plot paths.gif", ".gif", ".png"], None),
    # --- simulate
    ("simulate-units-0", ["simulate", "retail", "-o", "s2", "--units", "0"], 2, ["--units", ">= 1"], None),
    ("simulate-persistence-1", ["simulate", "retail", "-o", "s2", "--persistence", "1"], 1,
     ["persistence", "< 1"], None),
    ("simulate-bad-start", ["simulate", "retail", "-o", "s2", "--start", "2020Q9"], 1, ["start", "'2020Q9'"], None),
    ("simulate-unknown-link", ["simulate", "retail", "-o", "s2", "--effect", "ZZ:C1=1"], 1,
     ["ZZ -> C1", "not a link"], None),
    ("simulate-effect-text", ["simulate", "retail", "-o", "s2", "--effect", "P1:C1=abc"], 2,
     ["--effect", "'abc'"], None),
    ("simulate-out-is-file", ["simulate", "retail", "-o", "afile"], 1, ["-o/--out afile", "is a file"], None),
    ("simulate-out-unwritable", ["simulate", "retail", "-o", "/proc/bsc-sim"], 1, ["/proc", "not writable"],
     None),
    # --- generate
    ("generate-brief-missing", ["generate", "--brief", "nope.md", "-o", "keep.yaml"], 1,
     ["nope.md", "file not found", "bundled brief"], "keep.yaml"),
    ("generate-brief-csv", ["generate", "--brief", "hist.csv", "-o", "keep.yaml"], 1,
     ["hist.csv", "not a strategy brief"], "keep.yaml"),
    ("generate-brief-empty", ["generate", "--brief", "empty.yaml", "-o", "keep.yaml"], 1,
     ["empty.yaml", "expected a mapping"], "keep.yaml"),
    ("generate-brief-malformed", ["generate", "--brief", "malformed.yaml", "-o", "keep.yaml"], 1,
     ["malformed.yaml", "line 3", "malformed YAML"], "keep.yaml"),
    ("generate-no-out", ["generate", "--brief", "demo"], 2, ["-o/--out is required"], None),
    ("generate-out-csv", ["generate", "--brief", "demo", "-o", "sc.csv"], 1, ["sc.csv", "'.csv'", ".yaml"], None),
    ("generate-out-in-file", ["generate", "--brief", "demo", "-o", "afile/sc.yaml"], 1,
     ["afile/sc.yaml", "'afile' is a file"], None),
    ("generate-negative-retries", ["generate", "--brief", "demo", "-o", "x.yaml", "--retries", "-2"], 2,
     ["--retries", ">= 0"], None),
    ("generate-okr-quarter", ["generate", "--brief", "demo", "-o", "keep.yaml", "--okrs", "o.yaml",
                              "--okr-start", "2026Q5"], 1, ["start", "'2026Q5'"], "keep.yaml"),
    ("generate-parent-missing", ["generate", "--brief", "demo", "-o", "keep.yaml", "--parent", "nope.yaml"], 1,
     ["nope.yaml", "file not found"], "keep.yaml"),
    ("generate-openai-no-key", ["generate", "--brief", "demo", "-o", "keep.yaml", "--provider", "openai"], 1,
     ["openai", "OPENAI_API_KEY"], "keep.yaml"),
    ("demo-out-is-file", ["demo", "--out", "afile"], 1, ["--out afile", "is a file"], None),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_one_clear_line(case, ws, capsys, monkeypatch):
    _id, argv, code, words, keep = case
    monkeypatch.chdir(ws)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("BSC_DEBUG", raising=False)
    before = _listing(ws)
    kept = (ws / keep).read_bytes() if keep else None
    got, _out, err = _run(argv, capsys)
    lines = err.strip().splitlines()
    assert got == code, f"exit {got}, expected {code}; stderr: {err}"
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{err}"
    assert "Traceback" not in err and "internal error" not in err, err
    assert lines[0].startswith(("bsc ", "bsc:")), lines[0]
    for w in words:
        assert w in lines[0], f"{w!r} not in: {lines[0]}"
    if keep:
        assert (ws / keep).read_bytes() == kept, f"{keep} was changed"
    assert _listing(ws) == before, f"left behind: {sorted(_listing(ws) - before)}"


def test_usage_error_is_one_line_pointing_at_help():
    r = subprocess.run([*BSC, "validate", "retail", "--data", "x.csv", "--max-lag", "-1"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "bsc validate: error: argument --max-lag: expected a whole number >= 0, got -1 (see 'bsc validate --help')"
    ]


def test_debug_shows_the_traceback(ws, monkeypatch):
    monkeypatch.chdir(ws)
    r = subprocess.run([*BSC, "lint", "--debug", "nope.yaml"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "Traceback" in r.stderr and "ScorecardError" in r.stderr


def test_many_problems_are_capped(tmp_path, capsys):
    """A JSON file that is nearly a scorecard lists its problems, but not hundreds of them."""
    from bsc_toolkit.cli import MAX_PROBLEM_LINES

    objs = [{"id": f"O{i}", "perspective": "finance", "name": "x", "kpis": []} for i in range(40)]
    p = tmp_path / "many.json"
    p.write_text(json.dumps({"name": "x", "objectives": objs}))
    code, _, err = _run(["lint", str(p)], capsys)
    lines = err.strip().splitlines()
    assert code == 1
    assert lines[0].startswith("bsc lint: error: 40 problems in") and "many.json" in lines[0]
    assert len(lines) == MAX_PROBLEM_LINES + 2 and "and 28 more" in lines[-1]


def test_os_errors_name_the_users_file_not_a_temp_file():
    from bsc_toolkit.cli import _os_message

    exc = IsADirectoryError(21, "Is a directory", "/data/out/.ev.json.ab12cd34.json.tmp")
    assert _os_message(exc) == "/data/out/ev.json: Is a directory"


def test_keyboard_interrupt_exit_130_and_nothing_half_written(ws, tmp_path, capsys, monkeypatch):
    """Ctrl-C while the evidence file is being written: exit 130, old file intact, no temp file."""
    import bsc_toolkit.cli._common as common

    out = tmp_path / "ev.json"
    out.write_text(KEEP)

    def interrupted_dumps(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.chdir(ws)
    monkeypatch.setattr(common.json, "dumps", interrupted_dumps)
    code, _, err = _run([*V, "--json", str(out)], capsys)
    assert code == 130 and err.strip().splitlines() == [
        "bsc validate: interrupted (no output file was half written)"]
    assert out.read_text() == KEEP and sorted(p.name for p in tmp_path.iterdir()) == ["ev.json"]


def test_report_failing_midway_leaves_earlier_report_identical(ws, tmp_path, capsys, monkeypatch):
    from bsc_toolkit.errors import RenderError
    from bsc_toolkit.report import builder

    rep = tmp_path / "rep"
    rep.mkdir()
    (rep / "index.qmd").write_text(KEEP)
    (rep / "index.html").write_text(KEEP)

    def broken_render(qmd, formats):
        raise RenderError("typst failed (simulated)")

    monkeypatch.setattr(builder, "render_pandoc", broken_render)
    monkeypatch.setattr(builder, "quarto_path", lambda: None)
    code, _, err = _run(["report", "retail", "--kind", "handout", "-o", str(rep), "--format", "html",
                         "--quiet"], capsys)
    assert code == 1 and "typst failed" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in rep.iterdir()) == ["index.html", "index.qmd"]
    assert (rep / "index.qmd").read_text() == KEEP and (rep / "index.html").read_text() == KEEP


def test_hostile_names_survive_every_file_command(tmp_path, capsys):
    hostile = DATA / "hostile_scorecard.yaml"
    for argv in (["lint", str(hostile)], ["score", str(hostile)],
                 ["map", str(hostile), "-o", str(tmp_path / "m.svg")],
                 ["simulate", str(hostile), "-o", str(tmp_path / "sim"), "--units", "2", "--periods", "8"]):
        code, _, err = _run(argv, capsys)
        assert code in (0, 1) and "Traceback" not in err and "internal error" not in err, (argv, err)
    svg = (tmp_path / "m.svg").read_text()
    assert "<script" not in svg and "&lt;script&gt;" in svg


def test_lever_refuses_evidence_of_another_scorecard(ws, capsys, monkeypatch):
    monkeypatch.chdir(ws)
    code, _, err = _run(["lever", "hospital", *LEVER[2:]], capsys)
    assert code == 1 and "ev.json" in err


# ------------------------------------------------------------ --help examples
def _examples() -> list[tuple[str, str]]:
    out = []
    for mod in _available():
        text = re.sub(r"\\\n\s*", " ", mod.DESCRIPTION)
        for line in text.splitlines():
            s = line.strip()
            if s.startswith("bsc "):
                out.append((mod.NAME, s.split("  #")[0].strip()))
    return out


#: examples that need what a test cannot provide (a network LLM, a user's database or workbook)
_NOT_RUNNABLE = ("OPENAI_API_KEY=", "--base-url", "kpis.xlsx", "shop.duckdb", "kpis.csv", "stores.csv",
                 "--data history.csv --period")
_SLOW = ("bsc demo", "--bootstrap 999", "--format html,pdf,docx")


def _example_params():
    params = []
    for name, cmd in _examples():
        if any(x in cmd for x in _NOT_RUNNABLE):
            continue
        marks = [pytest.mark.slow] if any(x in cmd for x in _SLOW) else []
        params.append(pytest.param(cmd, id=f"{name}: {cmd}"[:90], marks=marks))
    return params


@pytest.fixture(scope="module")
def example_dir(tmp_path_factory, ws) -> Path:
    """A folder holding every file the help examples name (copies of shipped material)."""
    from bsc_toolkit.generate import demo_brief_path

    d = tmp_path_factory.mktemp("examples")
    shutil.copy(ws / "hist.csv", d / "history.csv")
    shutil.copy(ws / "ev.json", d / "evidence.json")
    shutil.copy(ws / "ev.json", d / "results.json")
    for name in ("my_scorecard.yaml", "my.yaml"):
        shutil.copy(EXAMPLES / "retail.yaml", d / name)
    shutil.copy(EXAMPLES / "software.yaml", d / "corporate.yaml")
    for name in ("dept.yaml", "sales.yaml", "ops.yaml"):
        (d / name).write_text((EXAMPLES / "software_engineering.yaml").read_text()
                              .replace("parent: software", "parent: corporate.yaml"))
    shutil.copy(demo_brief_path(), d / "brief.yaml")
    (d / "brief.md").write_text("# Northwind\n\nA grocery chain that wants loyal customers and fresh produce.\n")
    (d / "reading.md").write_text("The data support the training link.\n")
    (d / "latest.csv").write_text("kpi,value\nnps,35\n")
    return d


@pytest.mark.parametrize("cmd", _example_params())
def test_help_examples_run_when_pasted(cmd, example_dir, capsys, monkeypatch):
    import shlex

    monkeypatch.chdir(example_dir)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    argv = [("demo_out" if a == "/tmp/demo" else a) for a in shlex.split(cmd)[1:]]  # stay in tmp
    if argv[0] == "validate":
        argv += ["--no-chains", "--no-discovery"] if "--bootstrap" not in cmd else []
    code, out, err = _run(argv, capsys)
    assert code in (0, 1) if argv[0] in ("lint", "cascade") else code == 0, f"{cmd}\n{err}"
    assert "error" not in err.lower() or argv[0] in ("lint", "cascade"), f"{cmd}\n{err}"


def test_every_help_has_examples_and_explains_options():
    mods = _available()
    assert len(mods) == 11
    for mod in mods:
        assert len(mod.HELP) < 100, mod.NAME
        assert "Examples" in mod.DESCRIPTION, mod.NAME
        parser = __import__("bsc_toolkit.cli", fromlist=["build_parser"]).build_parser()
        sub = next(a for a in parser._subparsers._actions if hasattr(a, "choices") and a.choices)
        for action in sub.choices[mod.NAME]._actions:
            assert action.help, f"bsc {mod.NAME} {action.option_strings or action.dest} has no help text"


def test_nothing_left_in_tmp_dirs_of_the_working_folder(ws):
    leftovers = [p for p in ws.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".bsc-")]
    assert leftovers == []


if os.name != "posix":  # pragma: no cover
    pytestmark = pytest.mark.skip(reason="the cases use POSIX paths such as /proc")

"""Adversarial sweep, part 3: outputs that would replace inputs (issue 18, item 6).

``bsc validate ... --data h.csv --json h.csv`` used to exit 0 having replaced the
data with the evidence. Every command now refuses, before any work, an output
that is the same file as one of its inputs (through ``./``, ``..``, a symbolic
or a hard link too) or as another output, and a folder output that would
overwrite an input inside it. Each case asserts exit 1, one line naming both
options, and that every file in the folder is byte-identical afterwards.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from _hostile_helpers import assert_one_line, listing, run_cli

from bsc_toolkit._io import check_not_inputs, same_file
from bsc_toolkit.errors import OutputError

EXAMPLES = Path(__file__).parents[1] / "bsc_toolkit" / "scorecard" / "examples"
SAME = "is the same file as the input"


@pytest.fixture(scope="module")
def ws(tmp_path_factory) -> Path:
    from bsc_toolkit.evidence import validate
    from bsc_toolkit.history import simulate_history
    from bsc_toolkit.scorecard import load_example

    d = tmp_path_factory.mktemp("hostile_paths")
    shutil.copy(EXAMPLES / "retail.yaml", d / "sc.yaml")
    shutil.copy(EXAMPLES / "software.yaml", d / "parent.yaml")
    sim = simulate_history(load_example("retail"), n_units=4, n_periods=10, seed=0)
    sim.save(d)
    (d / "history.csv").rename(d / "h.csv")
    ev = validate(load_example("retail"), sim.history, drivers=False, chains=False, discovery=False)
    ev.save(d / "ev.json")
    shutil.copy(d / "ev.json", d / "ev.pdf")  # an evidence file whose name a --plot could take
    (d / "brief.yaml").write_text("organisation: Acme\nsector: retail\nmission: Sell.\n")
    (d / "brief.md").write_text("# Acme\nWe sell shoes online and in 40 stores.\n")
    (d / "act.csv").write_text("kpi,value\nnps,30\n")
    (d / "sub").mkdir()
    os.symlink(d / "h.csv", d / "link.csv")
    os.link(d / "h.csv", d / "hard.csv")
    (d / "rep").mkdir()
    (d / "rep" / "index.qmd").write_text("My own notes, not a report.\n")
    (d / "rep" / "figures").mkdir()
    shutil.copy(d / "ev.json", d / "rep" / "figures" / "ev.json")
    (d / "simout").mkdir()
    (d / "simout" / "truth.json").write_text(load_example("retail").to_json())
    return d


V = ["validate", "sc.yaml", "--data", "h.csv", "--no-drivers", "--no-chains", "--no-discovery", "--quiet"]
L = ["lever", "sc.yaml", "--data", "h.csv", "--unit", "unit", "--period", "period", "--evidence", "ev.json",
     "--kpi", "L1", "--change", "1"]
G = ["generate", "--provider", "offline"]
CASES: dict[str, tuple[list[str], list[str]]] = {
    "validate-json-onto-data": ([*V, "--json", "h.csv"], ["--json h.csv", SAME, "--data h.csv"]),
    "validate-json-onto-scorecard": ([*V, "--json", "sc.yaml"], ["--json sc.yaml", SAME, "SCORECARD sc.yaml"]),
    "validate-json-dot-path": ([*V, "--json", "./h.csv"], ["--json ./h.csv", SAME]),
    "validate-json-dotdot-path": ([*V, "--json", "sub/../h.csv"], ["--json sub/../h.csv", SAME]),
    "validate-json-symlink": ([*V, "--json", "link.csv"], ["--json link.csv", SAME]),
    "validate-json-hardlink": ([*V, "--json", "hard.csv"], ["--json hard.csv", SAME]),
    "validate-json-absolute": ([*V, "--json", "{ws}/h.csv"], [SAME, "--data h.csv"]),
    "lever-csv-onto-data": ([*L, "--csv", "h.csv"], ["--csv h.csv", SAME, "--data"]),
    "lever-csv-onto-evidence": ([*L, "--csv", "ev.json"], ["--csv ev.json", SAME, "--evidence"]),
    "lever-csv-onto-scorecard": ([*L, "--csv", "sc.yaml"], ["--csv sc.yaml", SAME, "SCORECARD"]),
    "lever-plot-onto-evidence": ([*L[:-6], "--evidence", "ev.pdf", "--kpi", "L1", "--change", "1", "--plot",
                                  "ev.pdf"], ["--plot ev.pdf", SAME, "--evidence ev.pdf"]),
    "lever-csv-and-plot-same": ([*L, "--csv", "out.pdf", "--plot", "out.pdf"],
                                ["--plot out.pdf and --csv out.pdf are the same file"]),
    "generate-out-onto-brief": ([*G, "--brief", "brief.yaml", "-o", "brief.yaml"], ["-o/--out brief.yaml", SAME,
                                                                                   "--brief"]),
    "generate-out-onto-parent": ([*G, "--brief", "demo", "--parent", "parent.yaml", "-o", "parent.yaml"],
                                 ["-o/--out parent.yaml", SAME, "--parent parent.yaml"]),
    "generate-critique-onto-brief": ([*G, "--brief", "brief.md", "-o", "x.yaml", "--critique", "brief.md"],
                                     ["--critique brief.md", SAME, "--brief brief.md"]),
    "generate-okrs-onto-out": ([*G, "--brief", "demo", "-o", "x.yaml", "--okrs", "x.yaml"],
                               ["--okrs x.yaml and -o/--out x.yaml are the same file"]),
    "generate-okrs-onto-parent": ([*G, "--brief", "demo", "--parent", "parent.yaml", "-o", "x.yaml", "--okrs",
                                   "./parent.yaml"], ["--okrs ./parent.yaml", SAME, "--parent"]),
    "lint-json-onto-scorecard": (["lint", "sc.yaml", "--json", "sc.yaml"], ["--json sc.yaml", SAME]),
    "score-json-onto-actuals": (["score", "sc.yaml", "--actuals", "act.csv", "--json", "act.csv"],
                                ["--json act.csv", SAME, "--actuals act.csv"]),
    "score-json-onto-scorecard": (["score", "sc.yaml", "--json", "sc.yaml"], ["--json sc.yaml", SAME]),
    "map-out-onto-evidence": (["map", "sc.yaml", "--evidence", "ev.json", "-o", "ev.json"],
                              ["-o/--out ev.json", SAME, "--evidence ev.json"]),
    "map-out-onto-parent": (["map", "sc.yaml", "--parent", "parent.yaml", "-o", "parent.yaml"],
                            ["-o/--out parent.yaml", SAME, "--parent"]),
    "report-dir-holds-narrative": (["report", "sc.yaml", "--narrative", "rep/index.qmd", "-o", "rep"],
                                   ["-o/--out rep would replace the input --narrative", "index.qmd"]),
    "report-dir-holds-evidence": (["report", "sc.yaml", "--evidence", "rep/figures/ev.json", "-o", "rep"],
                                  ["-o/--out rep would replace the input --evidence", "figures/ev.json"]),
    "simulate-dir-holds-scorecard": (["simulate", "simout/truth.json", "-o", "simout", "--units", "2"],
                                     ["-o/--out simout would replace the input SCORECARD", "truth.json"]),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_output_never_replaces_an_input(case, ws, capsys, monkeypatch):
    argv, words = CASES[case]
    argv = [a.replace("{ws}", str(ws)) for a in argv]
    monkeypatch.chdir(ws)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    before = listing(ws)
    code, _out, err, seconds = run_cli(argv, capsys)
    assert_one_line(code, err, expect=1, words=words)
    assert listing(ws) == before, "a file changed or appeared"
    assert seconds < 10


def test_distinct_outputs_and_unrelated_inputs_still_work(ws, capsys, monkeypatch, tmp_path):
    """Positive control: the check refuses only real collisions."""
    monkeypatch.chdir(ws)
    shutil.copy(ws / "sc.yaml", tmp_path / "sc.yaml")
    code, _out, err, _s = run_cli(["simulate", str(tmp_path / "sc.yaml"), "-o", str(tmp_path), "--units", "2",
                                   "--periods", "6"], capsys)
    assert code == 0, err  # the scorecard lives in the output folder, under a name simulate does not write
    assert (tmp_path / "history.csv").is_file() and (tmp_path / "sc.yaml").read_bytes() == (ws / "sc.yaml").read_bytes()
    code, _out, err, _s = run_cli(["lint", "sc.yaml", "--json", str(tmp_path / "f.json")], capsys)
    assert code == 0 and (tmp_path / "f.json").is_file(), err


def test_check_not_inputs_api(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("x")
    os.symlink(a, tmp_path / "ln.csv")
    assert same_file(tmp_path / "ln.csv", a) and same_file(tmp_path / "x" / ".." / "a.csv", a)
    assert not same_file(tmp_path / "new.json", a)
    check_not_inputs({"--json": tmp_path / "new.json", "--csv": "-"}, {"--data": a, "SC": "retail"})
    check_not_inputs({"--out": None}, {"--data": a})
    with pytest.raises(OutputError, match="--json .*ln.csv is the same file as the input --data"):
        check_not_inputs({"--json": tmp_path / "ln.csv"}, {"--data": a})
    with pytest.raises(OutputError, match="--b .* and --a .* are the same file"):
        check_not_inputs({"--a": tmp_path / "o.txt", "--b": tmp_path / "o.txt"}, {})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.csv").write_text("y")
    check_not_inputs({"--out": tmp_path / "out"}, {"--data": tmp_path / "out" / "keep.csv"},
                     folders={"--out": ("index.*",)})
    with pytest.raises(OutputError, match="would replace the input --data"):
        check_not_inputs({"--out": tmp_path / "out"}, {"--data": tmp_path / "out" / "keep.csv"},
                         folders={"--out": ("*.csv",)})
    check_not_inputs({"--out": tmp_path / "out"}, {"--data": a}, folders={"--out": ("*",)})  # outside the folder


# ------------------------------------------------------------------ the Python API refuses the same
def test_build_report_never_replaces_an_input(ws, tmp_path, monkeypatch):
    """``build_report`` refuses an output folder that holds an input under a name it writes."""
    from bsc_toolkit.evidence import load_evidence
    from bsc_toolkit.history import load_history
    from bsc_toolkit.report import build_report, builder

    out = tmp_path / "rep"
    (out / "figures").mkdir(parents=True)
    shutil.copy(ws / "sc.yaml", out / "index.yaml")
    shutil.copy(ws / "ev.json", out / "figures" / "ev.json")
    shutil.copy(ws / "h.csv", out / "figures" / "h.csv")
    before = listing(out)
    hist = load_history(out / "figures" / "h.csv", unit="unit", period="period")
    for kwargs, words in [
        ({"scorecard": str(out / "index.yaml"), "kind": "client"}, "out_dir .* would replace the input scorecard"),
        ({"scorecard": ws / "sc.yaml", "evidence": out / "figures" / "ev.json"}, "input evidence .*figures/ev.json"),
        ({"scorecard": ws / "sc.yaml", "evidence": load_evidence(out / "figures" / "ev.json")}, "input evidence"),
        ({"scorecard": ws / "sc.yaml", "kind": "client", "history": hist}, "input history .*figures/h.csv"),
    ]:
        with pytest.raises(OutputError, match=words):
            build_report(out_dir=out, formats=(), **kwargs)
        assert listing(out) == before, f"{kwargs}: a file changed or appeared"
    # inputs in the folder under names the report does not write are fine, and stay as they were
    ok = tmp_path / "ok"
    ok.mkdir()
    shutil.copy(ws / "sc.yaml", ok / "sc.yaml")
    shutil.copy(ws / "ev.json", ok / "ev.json")
    kept = listing(ok)
    res = build_report(ok / "sc.yaml", evidence=ok / "ev.json", out_dir=ok, formats=())
    assert res.qmd == ok / "index.qmd" and res.qmd.is_file()
    assert {k: v for k, v in listing(ok).items() if k in kept} == kept
    # a file a renderer adds that WRITTEN does not name is caught before anything is moved
    shutil.copy(ws / "sc.yaml", out / "index.qmd")
    before = listing(out)
    monkeypatch.setattr(builder, "WRITTEN", ())
    with pytest.raises(OutputError, match="would replace the input scorecard .*index.qmd with its index.qmd"):
        build_report(out / "index.qmd", kind="client", out_dir=out, formats=())
    assert listing(out) == before


@pytest.mark.filterwarnings("ignore:no objective of this scorecard supports")
def test_strategy_map_render_never_replaces_its_inputs(ws, tmp_path):
    """``StrategyMap.render`` refuses the files the map was drawn from (when they were files)."""
    from bsc_toolkit.evidence import load_evidence
    from bsc_toolkit.strategy_map import strategy_map

    shutil.copy(ws / "sc.yaml", tmp_path / "sc.svg")  # names a user could mistype as an output
    shutil.copy(ws / "parent.yaml", tmp_path / "parent.png")
    shutil.copy(ws / "ev.json", tmp_path / "ev.pdf")
    os.symlink(tmp_path / "ev.pdf", tmp_path / "ln.pdf")
    before = listing(tmp_path)
    m = strategy_map(tmp_path / "sc.svg", tmp_path / "ev.pdf", parent=str(tmp_path / "parent.png"))
    assert dict(m.inputs) == {"scorecard": str(tmp_path / "sc.svg"), "evidence": str(tmp_path / "ev.pdf"),
                              "parent": str(tmp_path / "parent.png")}
    for target, name in [("sc.svg", "scorecard"), ("ev.pdf", "evidence"), ("ln.pdf", "evidence"),
                         ("parent.png", "parent")]:
        with pytest.raises(OutputError, match=f"{target} is the same file as the input {name}"):
            m.render(tmp_path / target)
    from_object = strategy_map(tmp_path / "sc.svg", load_evidence(tmp_path / "ev.pdf"))
    with pytest.raises(OutputError, match="the input evidence"):
        from_object.render(tmp_path / "ev.pdf")
    assert listing(tmp_path) == before, "a file changed or appeared"
    assert m.render(tmp_path / "map.svg").read_text().startswith("<?xml")  # a new name is fine
    assert strategy_map("retail").inputs == ()  # an example name is not a file

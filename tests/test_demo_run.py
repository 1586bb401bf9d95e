"""`bsc demo`: the whole pipeline offline in one command (run once per module)."""

from __future__ import annotations

import json

import pytest

from bsc_toolkit.cli import main


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    for mod in ("bsc_toolkit.generate", "bsc_toolkit.evidence", "bsc_toolkit.strategy_map"):
        pytest.importorskip(mod, reason=f"the demo needs {mod}")
    out = tmp_path_factory.mktemp("demo")
    code = main(["demo", "--out", str(out), "--seed", "7", "--quiet"])
    return code, out


def test_demo_writes_every_artefact(demo, capsys):
    code, out = demo
    assert code == 0
    for name in ("scorecard.yaml", "history.csv", "truth.json", "evidence.json", "strategy_map.svg",
                 "report/index.qmd", "report/index.html", "report/index.pdf"):
        assert (out / name).is_file() and (out / name).stat().st_size > 100, name
    assert (out / "report" / "index.pdf").read_bytes().startswith(b"%PDF")
    ev = json.loads((out / "evidence.json").read_text(encoding="utf-8"))
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert ev["format"] == "bsc-evidence/1"
    assert len(ev["links"]) == len(truth["links"]) > 0
    # the report states the verdict counts of this evidence
    html = (out / "report" / "index.html").read_text(encoding="utf-8")
    n = len(ev["links"])
    assert f"{n} hypothesised cause-and-effect links of the scorecard were tested" in html


def test_demo_explains_a_flagged_link_without_a_planted_effect(tmp_path):
    """The summary a user reads says why a null link came out significant when the map explains it."""
    from bsc_toolkit.demo import run_demo

    res = run_demo(tmp_path, seed=7, progress=False, formats=())
    flagged = [r for r in res.comparison if r["planted"] == "null" and r["verdict"] in ("supported", "contradicted")]
    assert any(r["shared_drivers"] for r in flagged), "seed 7 flags a null link with a shared driver (C2 -> F2)"
    for r in flagged:
        if r["shared_drivers"]:
            assert f"{r['from']} -> {r['to']} has no planted effect, but" in res.summary
            assert "shared cause" in res.summary
            # the conditional specification of the robustness grid flags it
            assert r["robustness"] == "fragile" and "other_drivers=included" in r["flips"]
            assert "the robustness grid catches it" in res.summary


def test_demo_python_api_compares_with_truth():
    from bsc_toolkit.demo import compare_with_truth

    truth = [{"from": "A", "to": "B", "planted": "effect", "planted_sign": "positive", "expected_sign": "positive"},
             {"from": "B", "to": "C", "planted": "null", "planted_sign": None, "expected_sign": "positive"}]
    ev = {"links": [{"from": "A", "to": "B", "verdict": "supported"}, {"from": "B", "to": "C", "verdict": "supported"}]}
    rows = compare_with_truth(truth, ev)
    assert [r["agrees"] for r in rows] == [True, False]
    # a null link whose ends share a planted driver is explained (a confounder, not an effect)
    truth = [{"from": "Z", "to": "A", "planted": "effect"}, {"from": "Z", "to": "M", "planted": "effect"},
             {"from": "M", "to": "B", "planted": "effect"}, {"from": "A", "to": "B", "planted": "null"}]
    ev = {"links": [{"from": t["from"], "to": t["to"], "verdict": "supported"} for t in truth]}
    rows = compare_with_truth(truth, ev)
    assert rows[-1]["shared_drivers"] == ["Z"] and rows[0]["shared_drivers"] == []


def test_demo_help_teaches(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "planted" in out and "bsc demo --out" in out

"""Strategy maps show what the evidence says beyond the verdict: fragile verdicts, caveats, lag labels.

The fixture ``tests/data/evidence_retail_robustness.json`` is the sample evidence with the
``robustness`` and ``caveats`` keys of docs/evidence-format.md: every link robust except
P1 -> C1 (fragile, 7 of 12 specifications agree), caveats of three kinds (Nickell bias on 15
links, short panel on L1 -> P2, BIC lag choice on P1 -> C1, none on P1 -> C2) and C1 -> F1 with
no verdict because of unstable dynamics. Edges are read back from graphviz's own layout
(``dot -Tjson``), so the test sees what graphviz draws, not our string building.
"""

from __future__ import annotations

import copy
import json
import re

import pytest
from conftest import DATA, have_dot

from bsc_toolkit.scorecard import load_example
from bsc_toolkit.strategy_map import EDGE_STYLES, run_dot, strategy_map

needs_dot = pytest.mark.skipif(not have_dot(), reason="graphviz 'dot' is not installed")
FIXTURE = DATA / "evidence_retail_robustness.json"


@pytest.fixture(scope="module")
def evidence() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def drawn(evidence):
    """(map, {"FROM -> TO": edge as laid out by graphviz})."""
    if not have_dot():
        pytest.skip("graphviz 'dot' is not installed")
    m = strategy_map(load_example("retail"), evidence)
    j = json.loads(run_dot(m.source, "json"))
    edges = {}
    for e in j.get("edges", []):
        tip = e.get("tooltip", "")
        head = tip.split(" (expected", 1)[0]
        if " \u2192 " in head and e.get("style") != "invis":
            edges[head.replace(" \u2192 ", " -> ")] = e
    return m, edges


def _label_text(e: dict) -> str:
    """The visible text of an HTML-like edge label (tags dropped, entities kept as text)."""
    return re.sub(r"<[^>]+>", " ", e.get("label", "")).replace("&amp;", "&")


def _hex_lighter(colour: str) -> str:
    """Half way to white, computed here independently of the map code."""
    rgb = bytes.fromhex(colour[1:])
    return "#" + "".join(f"{c + (255 - c) // 2:02x}" for c in rgb)


@needs_dot
def test_fragile_verdict_is_drawn_lighter_and_says_so(drawn):
    m, edges = drawn
    fragile = edges["P1 -> C1"]
    supported = EDGE_STYLES["supported"].colour
    assert fragile["color"].lower() == _hex_lighter(supported).lower()
    assert "fragile" in _label_text(fragile)
    assert "robustness: fragile" in fragile["tooltip"] and "58% of 12 specifications agree" in fragile["tooltip"]
    # a robust supported link keeps the full pen and no "fragile" word
    robust = edges["L1 -> P1"]
    assert robust["color"] == supported and "fragile" not in _label_text(robust)
    assert "robustness: robust" in robust["tooltip"]
    assert [r for r in m.legend if r[1].startswith("fragile")], m.legend
    df = m.to_frame().set_index(["from", "to"])
    assert df.loc[("P1", "C1"), "robustness"] == "fragile" and df.loc[("L1", "P1"), "robustness"] == "robust"
    assert "Fragile verdicts" in m.summary and "P1 -> C1" in m.summary


@needs_dot
def test_caveats_are_numbered_on_edges_and_explained_in_the_legend(drawn, evidence):
    m, edges = drawn
    legend = dict(m.legend)
    # numbered by kind, in order of first appearance along the scorecard's links
    assert legend["\u26a01"] == "Nickell bias (15 links)"
    assert legend["\u26a02"] == "short panel (1 link)"
    assert legend["\u26a03"] == "driver lags chosen by BIC on the same data (1 link)"
    assert "read it in the report or the console" in legend["\u26a0n"]
    assert [n for n, _, _ in m.caveats] == [1, 2, 3]
    for lk in evidence["links"]:
        e = edges[f"{lk['from']} -> {lk['to']}"]
        marks = re.findall(r"\u26a0([\d,]+)", _label_text(e))
        if not lk["caveats"]:
            assert marks == [] and "\u26a0" not in e["tooltip"]
            continue
        assert len(marks) == 1, _label_text(e)
        numbers = {int(x) for x in marks[0].split(",")}
        want = {1 if c.startswith("Nickell") else 2 if c.startswith("short panel") else 3 for c in lk["caveats"]}
        assert numbers == want, (lk["from"], lk["to"])
        for c in lk["caveats"]:  # the full sentence is in the tooltip (SVG hover)
            assert c in e["tooltip"]
    df = m.to_frame().set_index(["from", "to"])
    assert df.loc[("L1", "P2"), "caveats"] == "1,2" and df.loc[("P1", "C2"), "caveats"] == ""


@needs_dot
def test_unstable_dynamics_and_lag_labels(drawn):
    m, edges = drawn
    unstable = edges["C1 -> F1"]
    assert unstable["style"] == "dotted" and "no verdict: unstable dynamics" in _label_text(unstable)
    assert "no verdict: too few periods for the lags" in _label_text(edges["L3 -> P3"])
    # lags read as lags, never like the Learning objectives' ids L1, L2, L3
    assert "(lag 1)" in _label_text(edges["L1 -> P1"])
    assert "(lags 0\u20131)" in _label_text(edges["staff_turnover -> P2"])
    assert "(lags 1\u20132)" in _label_text(edges["C3 -> F1"])
    for e in edges.values():
        assert not re.search(r"\(L\d", _label_text(e)), _label_text(e)


def test_legend_lists_exactly_the_marks_shown(evidence):
    plain = strategy_map("retail", DATA / "evidence_retail_sample.json")  # no robustness, no caveats
    assert not [r for r in plain.legend if r[0].startswith("\u26a0") or r[1].startswith("fragile")]
    assert "\u26a0" not in plain.source and "fragile" not in plain.source
    ev = copy.deepcopy(evidence)
    for lk in ev["links"]:
        lk["caveats"] = []
        if (lk.get("robustness") or {}).get("label") == "fragile":
            lk["robustness"]["label"] = "robust"
    calm = strategy_map("retail", ev)
    assert "\u26a0" not in calm.source and not [r for r in calm.legend if r[1].startswith("fragile")]
    full = strategy_map("retail", evidence)
    shown = {k for k in EDGE_STYLES if any(r[1].startswith(EDGE_STYLES[k].legend) for r in full.legend)}
    assert shown == {"supported", "contradicted", "not_supported", "insufficient_data", "candidate", "reverse",
                     "fragile"}
    # no evidence at all: only the hypothesis arrow, statuses and directions
    bare = strategy_map("retail")
    assert [r[1] for r in bare.legend][0].startswith("hypothesised cause-and-effect link")
    assert not [r for r in bare.legend if "long-run effect" in r[1]]


def test_numbers_have_three_significant_figures(evidence):
    ev = copy.deepcopy(evidence)
    tiny = next(lk for lk in ev["links"] if (lk["from"], lk["to"]) == ("P1", "C2"))
    tiny["long_run"]["estimate"] = 0.0012345
    m = strategy_map("retail", ev)
    assert "+0.00123 (lag 0)" in m.source
    assert "+0.00 " not in m.source and "+0.00<" not in m.source
    assert "2.90 / target 4.00% \u2191" in m.source  # KPI values through the shared formatter


def test_hostile_caveat_text_is_escaped(evidence):
    ev = copy.deepcopy(evidence)
    ev["links"][0]["caveats"] = ['<b>bold</b> & "quoted" {x}: <script>alert(1)</script>']
    m = strategy_map("retail", ev)
    # HTML-like labels (edge labels, legend) hold only escaped text; the tooltip is a quoted DOT string
    html_labels = re.findall(r"label=(<<.*?>>)[,\]]", m.source)
    assert html_labels and not [x for x in html_labels if "<script>" in x or "<b>bold" in x]
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;" in m.source  # the legend row
    if have_dot():
        svg = m.svg()
        assert "<script>" not in svg and "&lt;script&gt;" in svg

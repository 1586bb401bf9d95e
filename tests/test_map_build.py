"""Strategy maps: structure of the graphviz layout and the evidence overlay.

Structure is checked on graphviz's own layout (``dot -Tjson``): lanes stacked
Financial (top) to Learning & Growth (bottom), one node per objective in its
lane, one edge per link, and per-verdict edge attributes from the sample
evidence file (tests/data/evidence_retail_sample.json).
"""

from __future__ import annotations

import copy
import json
import warnings

import pytest
from conftest import have_dot

from bsc_toolkit.errors import DataError, ScorecardError
from bsc_toolkit.scorecard import PERSPECTIVE_ORDER, list_examples, load_example, load_scorecard
from bsc_toolkit.strategy_map import EDGE_STYLES, StrategyMap, run_dot, strategy_map

needs_dot = pytest.mark.skipif(not have_dot(), reason="graphviz 'dot' is not installed")


def layout(m: StrategyMap) -> dict:
    return json.loads(run_dot(m.source, "json"))


def clusters(j: dict) -> dict[str, dict]:
    return {o["name"]: o for o in j["objects"] if o["name"].startswith("cluster")}


def names(j: dict) -> dict[int, str]:
    return {o["_gvid"]: o["name"] for o in j["objects"] if "nodes" not in o and "_gvid" in o}


def drawn_edges(j: dict) -> list[dict]:
    """Visible edges between objectives/parent nodes (not the invisible layout helpers)."""
    nm = names(j)
    out = []
    for e in j.get("edges", []):
        if e.get("style") == "invis":
            continue
        e = dict(e, tail_name=nm[e["tail"]], head_name=nm[e["head"]])
        out.append(e)
    return out


def bb(o: dict) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in o["bb"].split(","))
    return x0, y0, x1, y1


@pytest.fixture(scope="module")
def sample_evidence() -> dict:
    from conftest import DATA

    return json.loads((DATA / "evidence_retail_sample.json").read_text())


@pytest.fixture(scope="module")
def retail_ev_map(sample_evidence) -> StrategyMap:
    return strategy_map(load_example("retail"), sample_evidence)


@pytest.fixture(scope="module")
def retail_ev_layout(retail_ev_map) -> dict:
    if not have_dot():
        pytest.skip("graphviz 'dot' is not installed")
    return layout(retail_ev_map)


@needs_dot
@pytest.mark.parametrize("name", list_examples())
def test_example_lanes_nodes_edges(name):
    sc = load_example(name)
    j = layout(strategy_map(sc))
    cl = clusters(j)
    lanes = [cl[f"cluster_lane_{p.value}"] for p in PERSPECTIVE_ORDER]
    # graphviz y grows upward: Learning & Growth lowest, Financial highest, no overlap
    for lower, upper in zip(lanes, lanes[1:], strict=False):
        assert bb(lower)[3] < bb(upper)[1], (lower["name"], upper["name"])
    nodes_per_lane = {}
    all_obj_nodes = []
    for p, lane in zip(PERSPECTIVE_ORDER, lanes, strict=True):
        members = {names(j)[g] for g in lane.get("nodes", [])}
        objs = {n for n in members if n.startswith("o_")}
        nodes_per_lane[p] = objs
        all_obj_nodes += sorted(objs)
        assert objs == {f"o_{o.id}" for o in sc.objectives_in(p)}
        assert f"lane_{p.value}" in members
    assert len(all_obj_nodes) == len(set(all_obj_nodes)) == len(sc.objectives)
    edges = drawn_edges(j)
    assert len(edges) == len(sc.links)
    got = sorted((e["tail_name"], e["head_name"]) for e in edges)
    want = sorted((f"o_{sc.objective_of(lk.source).id}", f"o_{sc.objective_of(lk.target).id}")
                  for lk in sc.links)
    assert got == want
    # lane labels sit left of every objective in their lane
    objs_xy = {o["name"]: o for o in j["objects"] if "pos" in o}
    for p in PERSPECTIVE_ORDER:
        lx = float(objs_xy[f"lane_{p.value}"]["pos"].split(",")[0])
        for n in nodes_per_lane[p]:
            assert lx < float(objs_xy[n]["pos"].split(",")[0])


def test_no_evidence_draws_plain_hypotheses(retail):
    m = strategy_map(retail)
    assert m.n_edges == len(retail.links) == 16
    hyp = EDGE_STYLES["hypothesis"]
    assert m.source.count(f'color="{hyp.colour}", style="solid", arrowhead="normal"') == 16
    assert "Legend" in m.source and "hypothesised cause-and-effect link" in m.source
    assert "supported:" not in m.source  # the legend shows only marks that appear
    assert m.verdicts == {}


@needs_dot
def test_edge_attributes_follow_verdicts(retail, sample_evidence, retail_ev_layout):
    edges = drawn_edges(retail_ev_layout)
    by_pair: dict[tuple[str, str], list[dict]] = {}
    for e in edges:
        by_pair.setdefault((e["tail_name"], e["head_name"]), []).append(e)
    checked = set()
    for lk in sample_evidence["links"]:
        pair = (f"o_{retail.objective_of(lk['from']).id}", f"o_{retail.objective_of(lk['to']).id}")
        cands = [e for e in by_pair[pair] if f"{lk['from']} → {lk['to']}" in e["tooltip"]]
        assert len(cands) == 1, pair
        e = cands[0]
        st = EDGE_STYLES[lk["verdict"]]
        assert (e["color"], e["style"], e["arrowhead"]) == (st.colour, st.style, st.arrowhead), lk
        checked.add(lk["verdict"])
        if lk["verdict"] == "supported":
            assert float(e["penwidth"]) > 2.5  # |standardized| 0.3-0.64 in the sample
            est, lags = lk["long_run"]["estimate"], lk["method"]["lags"]
            # three significant figures (trailing zeros kept); lags in words, never "L1" (an objective id)
            lag = f"lag {lags[0]}" if len(lags) == 1 else f"lags {lags[0]}\u2013{lags[-1]}"
            assert f"{est:+#.3g} ({lag})" in e["label"], e["label"]
            assert "(L" not in e["label"]
        if lk["verdict"] == "not_supported":
            assert float(e["penwidth"]) == 1.0 and "n.s." in e["label"]
        if lk["verdict"] == "contradicted":
            assert "\u2717" in e["label"]
    assert checked == {"supported", "contradicted", "not_supported", "insufficient_data"}
    # every verdict style differs from the others in more than colour
    shapes = {(s.style, s.arrowhead) for k, s in EDGE_STYLES.items() if k in checked}
    assert len(shapes) == len(checked)


@needs_dot
def test_candidate_and_reverse_suggestions(retail_ev_layout, retail_ev_map):
    edges = drawn_edges(retail_ev_layout)
    cand = [e for e in edges if e["tooltip"].startswith("candidate")]
    assert len(cand) == 1
    c = cand[0]
    assert (c["tail_name"], c["head_name"]) == ("o_C1", "o_F2")  # nps (in C1) -> gross_margin (F2)
    assert c["style"] == "dashed" and c["constraint"] == "false"
    assert "candidate?" in c["label"] and "+0.200 (lag 1)" in c["label"]
    assert "Net Promoter Score" in c["label"]  # nps is not C1's primary KPI: named
    rev = [e for e in edges if e.get("dir") == "both"]
    assert len(rev) == 1
    r = rev[0]
    assert (r["tail_name"], r["head_name"]) == ("o_C1", "o_F1")
    assert "reverse?" in r["label"] and r["arrowtail"] == EDGE_STYLES["reverse"].arrowhead
    assert "a link found in the data" in retail_ev_map.source  # legend rows
    assert "reverse direction is stronger" in retail_ev_map.source
    df = retail_ev_map.to_frame()
    assert len(df) == 17 and df["reverse_flag"].sum() == 1
    assert set(df.loc[df.kind == "link", "verdict"]) == {
        "supported", "contradicted", "not_supported", "insufficient_data"}


def test_kpi_named_link_ends_are_mentioned(retail):
    m = strategy_map(retail)
    # staff_turnover -> P2 and P2 -> nps name KPIs; drawn between objectives, KPI named in the label
    assert "Annualised store staff" in m.source and "turnover → P2" in m.source
    assert "P2 → Net Promoter Score" in m.source


def test_evidence_for_unknown_links_is_ignored_with_warning(retail, sample_evidence):
    ev = copy.deepcopy(sample_evidence)
    extra = copy.deepcopy(ev["links"][0])
    extra.update({"from": "L3", "to": "F2", "from_kpi": "forecast_coverage", "to_kpi": "gross_margin"})
    ev["links"].append(extra)
    ev["suggestions"].append({"kind": "candidate", "from_kpi": "no_such_kpi", "to_kpi": "nps", "lag": 1})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = strategy_map(retail, ev)
    msgs = [str(w.message) for w in caught]
    assert any("links[16] L3 -> F2 is not a link of scorecard 'Northwind Retail'" in x for x in msgs)
    assert any("no_such_kpi" in w for w in m.warnings) and len(msgs) == len(m.warnings) == 2
    assert m.n_links == 16 and m.n_candidates == 1
    assert "L3 → F2" not in m.source


def test_links_missing_from_evidence_are_untested(retail, sample_evidence):
    ev = copy.deepcopy(sample_evidence)
    ev["links"] = ev["links"][:3]
    ev["suggestions"] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = strategy_map(retail, ev)
    assert m.verdicts["untested"] == 13
    assert any(meaning.startswith("untested (light grey, dotted") for _, meaning in m.legend)


def test_evidence_from_path_object_and_dict_agree(retail, sample_evidence, sample_evidence_path):
    from bsc_toolkit.evidence import load_evidence

    a = strategy_map(retail, sample_evidence_path).source
    b = strategy_map(retail, load_evidence(sample_evidence)).source
    c = strategy_map(retail, str(sample_evidence_path)).source
    d = strategy_map(retail, sample_evidence).source
    assert a == b == c == d


def test_bad_evidence_is_a_clear_data_error(retail, tmp_path):
    with pytest.raises(DataError, match=r"missing\.json: evidence file not found"):
        strategy_map(retail, tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DataError, match=r"bad\.json: not valid JSON"):
        strategy_map(retail, bad)
    with pytest.raises(DataError, match=r"key 'format' must be 'bsc-evidence/1', found 'other'"):
        strategy_map(retail, {"format": "other", "links": []})
    with pytest.raises(DataError, match=r"key 'links' must be a list, found an object"):
        strategy_map(retail, {"format": "bsc-evidence/1", "links": {"a": 1}})


def test_kpi_status_bars_and_show_kpis(retail):
    m = strategy_map(retail)
    # retail has actuals: opex_ratio 20.2 between thresholds 21.5 (red) and 19.5 (green) is amber,
    # waste_rate 4.4 is worse than its baseline 4.2 -> red
    assert 'BGCOLOR="#d73027"' in m.source and 'BGCOLOR="#f1a340"' in m.source
    assert "Fresh food waste as share" in m.source
    m2 = strategy_map(retail, statuses={"waste_rate": "green"}, show_kpis=False)
    assert "Days of inventory" not in m2.source and "Days of inventory" in m.source
    assert "Keep customers loyal" in m2.source
    with pytest.raises(ScorecardError, match=r"statuses\.nope: no KPI 'nope'"):
        strategy_map(retail, statuses={"nope": "green"})
    with pytest.raises(ScorecardError, match=r"status must be one of green, amber, red, no_data, got 'blue'"):
        strategy_map(retail, statuses={"nps": "blue"})


@needs_dot
def test_parent_band_on_top_with_supports_edges(retail):
    child = load_scorecard_child(retail)
    with pytest.warns(UserWarning, match="supports 'F9', which is not an objective of the parent"):
        m = strategy_map(child, parent=retail)
    j = layout(m)
    cl = clusters(j)
    assert bb(cl["cluster_parent"])[1] > bb(cl["cluster_lane_financial"])[3]
    sup = [e for e in drawn_edges(j) if e["head_name"].startswith("parent_")]
    assert sorted((e["tail_name"], e["head_name"]) for e in sup) == [
        ("o_SF1", "parent_F2"), ("o_SL1", "parent_L1")]
    assert all(e["style"] == "dashed" for e in sup)
    parent_nodes = {names(j)[g] for g in cl["cluster_parent"]["nodes"]}
    assert parent_nodes == {"lane_parent", "parent_F2", "parent_L1"}  # only supported objectives
    assert "supports an objective of the parent scorecard" in m.source


def load_scorecard_child(parent):
    from bsc_toolkit.scorecard import Scorecard

    return Scorecard.model_validate({
        "name": "Store operations", "parent": "retail",
        "objectives": [
            {"id": "SF1", "perspective": "financial", "name": "Cut store costs", "supports": ["F2"],
             "kpis": [{"id": "store_cost", "name": "Store cost", "direction": "down"}]},
            {"id": "SP1", "perspective": "internal_process", "name": "Efficient shifts", "supports": ["F9"],
             "kpis": [{"id": "shift_fit", "name": "Shift fit", "direction": "up"}]},
            {"id": "SL1", "perspective": "learning_growth", "name": "Train store staff", "supports": ["L1"],
             "kpis": [{"id": "store_training", "name": "Store training hours", "direction": "up"}]},
        ],
        "links": [{"from": "SL1", "to": "SP1"}, {"from": "SP1", "to": "SF1", "sign": "positive"}],
    })


def test_empty_perspective_still_gets_its_lane():
    from bsc_toolkit.scorecard import Scorecard

    sc = Scorecard.model_validate({"name": "Two lanes", "objectives": [
        {"id": "F1", "perspective": "financial", "name": "Grow", "kpis": [{"id": "rev", "name": "Revenue"}]},
        {"id": "L1", "perspective": "learning_growth", "name": "Learn", "kpis": [{"id": "hrs", "name": "Hours"}]},
    ], "links": [{"from": "L1", "to": "F1"}]})
    src = strategy_map(sc).source
    for p in PERSPECTIVE_ORDER:
        assert f'subgraph "cluster_lane_{p.value}"' in src
    assert src.count("no objectives in this perspective") == 2


@needs_dot
def test_large_map_stays_legible(data_dir):
    """25 KPIs / 30 links (tests/data/map_large_scorecard.yaml): every link drawn, size bounded."""
    sc = load_scorecard(data_dir / "map_large_scorecard.yaml")
    assert len(sc.kpis) == 25 and len(sc.links) == 30
    m = strategy_map(sc)
    j = layout(m)
    assert len(drawn_edges(j)) == 30
    x0, y0, x1, y1 = bb(j)
    # measured 2025: about 17 x 13 in; a regression to a sprawling layout fails here
    assert (x1 - x0) / 72 < 24 and (y1 - y0) / 72 < 18
    # long names are wrapped (~22 characters per line)
    assert "Share of revenue under<BR/>multi-year contracts" in m.source


def test_candidates_implied_by_the_map_are_counted_not_drawn(retail, sample_evidence_path):
    import json

    from bsc_toolkit.strategy_map import strategy_map

    ev = json.loads(sample_evidence_path.read_text())
    drawn = strategy_map(retail, ev)
    implied = dict(ev["suggestions"][0], implied_by_map=True)  # nps -> gross_margin via C1 -> F2
    ev["suggestions"] = [implied, ev["suggestions"][1]]
    m = strategy_map(retail, ev)
    assert drawn.n_candidates == 1 and m.n_candidates == 0 and m.n_implied == 1
    assert "candidate?" not in m.source and "candidate?" in drawn.source
    assert "the map itself may explain" in m.summary
    shared = dict(ev["suggestions"][0], implied_by_map=False, common_drivers_in_map=["forecast_coverage"])
    assert strategy_map(retail, dict(ev, suggestions=[shared])).n_implied == 1

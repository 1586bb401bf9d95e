"""Cascading checks."""

from __future__ import annotations

from scorecard_builders import build

from bsc_toolkit.scorecard import Scorecard, check_cascade, load_example, load_parent


def _child(supports: dict[str, list[str]]):
    data = build(2, 2)
    data["name"] = "Dept"
    for o in data["objectives"]:
        o["supports"] = supports.get(o["id"], [])
    return Scorecard.model_validate(data)


def test_shipped_cascade_has_no_errors_and_names_unsupported_parent_objectives():
    parent, child = load_example("software"), load_example("software_engineering")
    assert load_parent(child) == parent
    f = check_cascade(parent, child)
    assert f.ok
    assert sorted(x.where for x in f.by_code("unsupported-parent-objective")) == [
        "Lumen Cloud:C2", "Lumen Cloud:P3"]
    assert not f.by_code("unaligned-child-objective")


def test_unknown_unsupported_and_unaligned():
    parent = Scorecard.model_validate(build(2, 2))
    child = _child({"F1": ["F1"], "F2": ["F2", "X9"], "C1": ["C1", "C2"], "P1": ["P1"], "L1": ["L1"]})
    f = check_cascade(parent, child)
    (unknown,) = f.by_code("unknown-parent-objective")
    assert "'X9'" in unknown.message and unknown.severity == "error" and not f.ok
    assert sorted(x.where for x in f.by_code("unsupported-parent-objective")) == ["Crafted:L2", "Crafted:P2"]
    assert sorted(x.where for x in f.by_code("unaligned-child-objective")) == ["Dept:C2", "Dept:L2", "Dept:P2"]


def test_several_children_together_cover_the_parent():
    parent = Scorecard.model_validate(build(2, 2))
    a = _child({o: [o] for o in ["F1", "C1", "P1", "L1", "F2", "C2", "P2"]})
    b = _child({"L2": ["L2"], "F1": ["F1"], "F2": ["F2"], "C1": ["C1"], "C2": ["C2"], "P1": ["P1"], "P2": ["P2"], "L1": ["L1"]})
    assert not check_cascade(parent, [a, b]).by_code("unsupported-parent-objective")
    assert check_cascade(parent, [a]).by_code("unsupported-parent-objective")[0].where == "Crafted:L2"

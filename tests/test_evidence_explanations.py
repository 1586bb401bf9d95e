"""Exploratory candidates that the map itself explains are separated from unexplained ones."""

from __future__ import annotations

import json

from bsc_toolkit.evidence import load_evidence, map_explanation
from bsc_toolkit.evidence.results import sections_text
from bsc_toolkit.report.content import suggestions_section


def _evidence(sample_evidence_path):
    ev = json.loads(sample_evidence_path.read_text())
    base = ev["suggestions"][0]
    ev["suggestions"] = [
        dict(base, from_kpi="a1", to_kpi="b1", implied_by_map=True, q_value=0.001),
        dict(base, from_kpi="a2", to_kpi="b2", common_drivers_in_map=["z"], q_value=0.002),
        dict(base, from_kpi="a3", to_kpi="b3", reverse_implied_by_map=True, q_value=0.003),
        dict(base, from_kpi="a4", to_kpi="b4", q_value=0.04),
        ev["suggestions"][1],
    ]
    return ev


def test_map_explanation_kinds():
    assert map_explanation({"kind": "candidate", "reverse_implied_by_map": True}) == "reverse of a path in the map"
    assert map_explanation({"kind": "reverse", "implied_by_map": True}) is None
    both = map_explanation({"kind": "candidate", "implied_by_map": True, "common_drivers_in_map": ["x"]})
    assert both == "indirect path in the map; shared driver(s) in the map: x"


def test_cli_text_lists_only_unexplained_and_counts_the_rest(sample_evidence_path):
    text = sections_text(load_evidence(_evidence(sample_evidence_path)))
    assert "candidate a4 -> b4" in text and "reverse   customer_retention" in text
    assert "a1 -> b1" not in text and "a2 -> b2" not in text
    assert ("+ 3 candidates the map itself may explain (indirect path in the map 1, "
            "shared driver(s) in the map 1, reverse of a path in the map 1)") in text


def test_report_table_puts_unexplained_first(sample_evidence_path):
    md = suggestions_section(_evidence(sample_evidence_path))
    assert "3 of the 5 suggestions may be explained by the map itself" in md
    rows = [line for line in md.splitlines() if "→" in line and "|" in line and "Driver" not in line]
    order = [r.split("→")[0].split("|")[-1].strip() for r in rows]
    assert order[:2] == ["customer\\_retention", "a4"] or order[:2] == ["a4", "customer\\_retention"]
    assert order[2:] == ["a1", "a2", "a3"]
    assert "the map does not explain it" in md


def test_frame_has_the_explanation(sample_evidence_path):
    df = load_evidence(_evidence(sample_evidence_path)).suggestions.to_frame()
    assert list(df["explained_by_map"][:4]) == [
        "indirect path in the map", "shared driver(s) in the map: z", "reverse of a path in the map", None]

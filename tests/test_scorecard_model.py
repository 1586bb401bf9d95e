"""The scorecard model: round trips and every validation error, with located messages."""

from __future__ import annotations

import json
import textwrap

import pytest
from pydantic import ValidationError

from bsc_toolkit.errors import ScorecardError
from bsc_toolkit.scorecard import (
    Scorecard,
    list_examples,
    load_example,
    load_scorecard,
    parse_scorecard,
    save_scorecard,
    scorecard_json_schema,
)

GOOD = textwrap.dedent(
    """\
    name: Tiny
    objectives:
    - id: F1
      perspective: financial
      name: Grow revenue
      kpis:
      - id: revenue
        name: Revenue
        direction: up
    - id: C1
      perspective: customer
      name: Keep customers
      kpis:
      - id: retention
        name: Retention
        direction: up
    links:
    - from: C1
      to: F1
      lags: [0, 1]
    """
)


def _err(text: str, fmt: str = "yaml") -> ScorecardError:
    with pytest.raises(ScorecardError) as info:
        parse_scorecard(text, file="card.yaml", format=fmt)
    return info.value


@pytest.mark.parametrize("name", list_examples())
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_examples_round_trip_faithfully(tmp_path, name, suffix):
    sc = load_example(name)
    out = save_scorecard(sc, tmp_path / f"card{suffix}")
    again = load_scorecard(out)
    assert again == sc
    assert again.to_dict() == sc.to_dict()
    # and a second save gives byte-identical text
    out2 = save_scorecard(again, tmp_path / f"card2{suffix}")
    assert out2.read_text() == out.read_text()


def test_round_trip_keeps_links_and_optional_fields(tmp_path):
    sc = parse_scorecard(GOOD)
    assert sc.links[0].source == "C1" and sc.links[0].lags == (0, 1)
    text = sc.to_yaml()
    assert "from: C1" in text and "lags: [0, 1]" in text
    assert "baseline" not in text  # unset fields are not invented
    assert parse_scorecard(text) == sc


def test_model_is_frozen_and_verbs_return_copies():
    sc = parse_scorecard(GOOD)
    with pytest.raises(ValidationError, match="frozen"):
        sc.name = "other"  # type: ignore[misc]
    sc2 = sc.with_actuals({"revenue": 12.5})
    assert sc.kpi("revenue").actual is None
    assert sc2.kpi("revenue").actual == 12.5
    with pytest.raises(KeyError, match="unknown KPI ids: nope"):
        sc.with_actuals({"nope": 1})


def test_objective_stands_for_its_primary_kpi():
    sc = parse_scorecard(GOOD)
    assert sc.kpi_for("C1").id == "retention"
    assert sc.kpi_for("revenue").id == "revenue"
    assert sc.objective_of("retention").id == "C1"


def test_json_schema_is_the_model_schema():
    schema = scorecard_json_schema()
    assert schema["additionalProperties"] is False
    assert "objectives" in schema["properties"]
    link = schema["$defs"]["Link"]
    assert {"from", "to"} <= set(link["properties"])
    assert set(schema["$defs"]["Perspective"]["enum"]) == {
        "financial", "customer", "internal_process", "learning_growth"}


def test_unknown_key_names_key_path_line_and_allowed():
    text = GOOD.replace("    direction: up\n- id: C1", "    direction: up\n    colour: red\n- id: C1")
    err = _err(text)
    msg = str(err)
    assert "card.yaml:10:" in msg
    assert "objectives[0].kpis[0].colour" in msg
    assert "unknown key 'colour'" in msg and "direction" in msg  # lists what is allowed


def test_unknown_top_level_key():
    err = _err(GOOD + "owner: me\n")
    assert "unknown key 'owner'" in str(err)
    assert err.problems[0].line == 21


def test_bad_perspective_names_allowed_values():
    err = _err(GOOD.replace("perspective: customer", "perspective: customers"))
    msg = str(err)
    assert "objectives[1].perspective" in msg
    assert "'customers'" in msg and "internal_process" in msg and "learning_growth" in msg
    assert err.problems[0].line == 11


def test_bad_direction_names_allowed_values():
    err = _err(GOOD.replace("    name: Retention\n    direction: up", "    name: Retention\n    direction: upward"))
    msg = str(err)
    assert "objectives[1].kpis[0].direction" in msg
    assert "'upward'" in msg and "'up'" in msg and "'down'" in msg
    assert err.problems[0].line == 16


def test_bad_sign_names_allowed_values():
    err = _err(GOOD.replace("  lags: [0, 1]", "  sign: up\n  lags: [0, 1]"))
    msg = str(err)
    assert "links[0].sign" in msg and "'positive'" in msg and "'negative'" in msg and "'up'" in msg


def test_duplicate_ids_are_reported_with_both_places():
    err = _err(GOOD.replace("id: retention", "id: revenue"))
    msg = str(err)
    assert "objectives[1].kpis[0].id" in msg
    assert "duplicate id 'revenue'" in msg and "objectives[0].kpis[0].id" in msg
    assert err.problems[0].line == 14


def test_link_to_missing_id_names_it_and_the_known_ids():
    err = _err(GOOD.replace("  to: F1", "  to: F9"))
    msg = str(err)
    assert "links[0].to" in msg and "'F9'" in msg and "known:" in msg and "F1" in msg
    assert err.problems[0].line == 19


def test_all_reference_problems_are_collected():
    text = GOOD.replace("  to: F1", "  to: F9").replace("id: retention", "id: revenue")
    err = _err(text)
    assert len(err.problems) == 2
    assert str(err).startswith("2 problems in card.yaml")


def test_malformed_yaml_gives_the_line():
    err = _err(GOOD.replace("  name: Keep customers", "  name: [Keep customers"))
    assert "malformed YAML" in str(err)
    assert err.problems[0].line is not None and 11 <= err.problems[0].line <= 13


def test_duplicate_yaml_key_is_an_error():
    err = _err(GOOD.replace("name: Tiny\n", "name: Tiny\nname: Twice\n"))
    assert "duplicate key 'name'" in str(err) and err.problems[0].line == 2


def test_malformed_json_gives_line():
    err = _err('{"name": "x",\n "objectives": [}', fmt="json")
    assert "malformed JSON" in str(err) and err.problems[0].line == 2


def test_json_errors_are_located_too():
    data = json.loads(json.dumps(parse_scorecard(GOOD).to_dict()))
    data["objectives"][0]["kpis"][0]["direction"] = "sideways"
    err = _err(json.dumps(data, indent=2), fmt="json")
    assert "objectives[0].kpis[0].direction" in str(err) and "sideways" in str(err)
    assert err.problems[0].line is not None


def test_lags_and_max_lag_are_exclusive_and_lags_valid():
    err = _err(GOOD.replace("  lags: [0, 1]", "  lags: [0, 1]\n  max_lag: 2"))
    assert "either `lags` or `max_lag`" in str(err)
    err = _err(GOOD.replace("  lags: [0, 1]", "  lags: [1, 1]"))
    assert "must not repeat" in str(err)
    err = _err(GOOD.replace("  lags: [0, 1]", "  lags: [-1]"))
    assert "links[0].lags[0]" in str(err) and "greater than or equal to 0" in str(err)


def test_self_link_and_duplicate_link():
    err = _err(GOOD.replace("  to: F1", "  to: C1"))
    assert "to itself" in str(err)
    err = _err(GOOD + "- from: C1\n  to: F1\n")
    assert "duplicate link C1 -> F1" in str(err)


def test_initiative_serving_unknown_objective():
    err = _err(GOOD + "initiatives:\n- name: Push\n  objectives: [C1, X9]\n")
    assert "initiatives[0].objectives[1]" in str(err) and "'X9'" in str(err)


def test_bad_identifier_and_missing_required_key():
    err = _err(GOOD.replace("id: retention", "id: 9 lives"))
    assert "objectives[1].kpis[0].id" in str(err) and "must be an identifier" in str(err)
    err = _err(GOOD.replace("  name: Keep customers\n", ""))
    assert "objectives[1].name" in str(err) and "required key 'name' is missing" in str(err)


def test_not_a_mapping_and_missing_file(tmp_path):
    err = _err("- just\n- a list\n")
    assert "expected a mapping" in str(err)
    with pytest.raises(ScorecardError, match="file not found"):
        load_scorecard(tmp_path / "nope.yaml")


def test_scorecard_accepts_python_data():
    sc = Scorecard.model_validate({"name": "x", "objectives": []})
    assert sc.kpis == ()

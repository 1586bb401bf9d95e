"""Reading a brief's themes, scoring their coverage, drafting from a theme's words.

(bsc_toolkit.generate.themes, .coverage, .drafting, ._words)
"""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from bsc_toolkit.errors import GenerationError
from bsc_toolkit.generate import (
    Brief,
    _words,
    coverage,
    drafting,
    extract_themes,
    load_brief,
    parse_brief,
    theme_coverage,
    themes,
)
from bsc_toolkit.generate.drafting import draft_theme
from bsc_toolkit.generate.themes import MAX_THEMES, Theme
from bsc_toolkit.scorecard import Perspective, Scorecard, load_example

BRIEFS = Path(__file__).resolve().parent.parent / "benchmarks" / "briefs"


@pytest.mark.parametrize("module", [_words, themes, coverage, drafting])
def test_doctests(module) -> None:
    res = doctest.testmod(module)
    assert res.attempted > 0 and res.failed == 0


# ------------------------------------------------------------------ reading themes
def texts(brief: Brief) -> list[str]:
    return [t.text for t in extract_themes(brief)]


def test_themes_from_the_yaml_field_come_first_and_verbatim():
    b = Brief(themes=("cut food waste", "grow **online** sales"), text="Some prose without a list.")
    assert texts(b) == ["cut food waste", "grow online sales"]  # markup removed


def test_themes_from_a_list_under_a_cue_not_from_other_lists():
    md = ("# Acme\n\nFacts:\n\n- 120 stores\n- 3,000 staff\n\n## Priorities for 2026\n\n"
          "1. **Realisation and lock-up**: bill more of the time we record.\n"
          "2. Cross-selling\n   across practice groups\n")
    got = texts(parse_brief(md, format="md"))
    assert got == ["Realisation and lock-up: bill more of the time we record",
                   "Cross-selling across practice groups"]  # continuation line joined, fact list ignored
    t = extract_themes(parse_brief(md, format="md"))[0]
    assert t.head == "Realisation and lock-up" and t.source == "list"


def test_all_lists_count_when_none_is_introduced_as_strategy():
    md = "# Acme\n\nAcme makes shoes.\n\n- faster delivery\n- fewer returns\n"
    assert texts(parse_brief(md, format="md")) == ["faster delivery", "fewer returns"]


def test_inline_and_sentence_themes():
    inline = parse_brief("In the coming years the team will focus on: raising conversion on mobile; "
                         "cutting returns; and next-day delivery.", format="md")
    assert texts(inline) == ["raising conversion on mobile", "cutting returns", "next-day delivery"]
    comma = parse_brief("Strategy: student success, employability through partnerships, and more research "
                        "income.", format="md")
    assert texts(comma) == ["student success", "employability through partnerships", "more research income"]
    prose = parse_brief("The board set priorities. Grow membership among young people. Reduce fraud losses. "
                        "The weather was fine.", format="md")
    assert texts(prose) == ["Grow membership among young people", "Reduce fraud losses"]


def test_reading_is_bounded_and_deduplicated():
    many = Brief(themes=tuple(f"grow sales of product{i}" for i in range(38)) + ("cut waste", "Cut waste."))
    got = extract_themes(many)
    assert len(got) == MAX_THEMES
    assert len({t.all_words for t in got}) == len(got)
    assert texts(Brief(themes=("cut waste", "Cut  waste."))) == ["cut waste"]
    assert texts(Brief(themes=("the", "and of"))) == []  # no topic word, no theme
    with pytest.raises(GenerationError, match=r"brief b\.yaml: themes: .*at most 40 items"):
        parse_brief("themes: [" + ", ".join(f"t{i}" for i in range(41)) + "]", file="b.yaml", format="yaml")
    with pytest.raises(GenerationError, match=r"themes\.0: .*at most 300 characters"):
        parse_brief("themes: [" + "x" * 301 + "]", file="b.yaml", format="yaml")


def test_head_is_what_the_theme_wants_to_move():
    assert Theme("Reduce churn with better service and loyalty offers").head == "Reduce churn"
    assert Theme("ridership growth, especially off-peak").head == "ridership growth"
    assert Theme("Client satisfaction, measured by interviews").head == "Client satisfaction"
    assert Theme("bill affordability for low-income households").head == (
        "bill affordability for low-income households")  # a qualifier is part of the topic


@pytest.mark.parametrize("text, direction", [
    ("cut chronic absenteeism in half", "down"), ("fewer customer complaints", "down"),
    ("grow ridership", "up"), ("keep member satisfaction high", "keep"), ("crew training", None),
])
def test_direction_from_the_verb(text, direction):
    assert Theme(text).direction == direction


# ------------------------------------------------------------------ the coverage score
def sc_with(objectives: list[dict]) -> Scorecard:
    return Scorecard.model_validate({"name": "T", "objectives": objectives},
                                    context={"skip_references": True})


def obj(oid: str, name: str, *kpis: str, description: str | None = None) -> dict:
    o = {"id": oid, "perspective": "internal_process", "name": name,
         "kpis": [{"id": f"{oid}_k{i}", "name": k, "direction": "up"} for i, k in enumerate(kpis)]}
    if description:
        o["description"] = description
    return o


def test_an_unrelated_scorecard_scores_low():
    water = load_brief(BRIEFS / "water_utility.md")
    cov = theme_coverage(load_example("retail"), water)
    assert cov.n_themes == 10 and cov.n_covered <= 1, str(cov)
    software = theme_coverage(load_example("software"), load_brief(BRIEFS / "agri_coop.md"))
    assert software.share <= 0.2, str(software)


def test_stems_and_synonyms_count_but_one_word_of_two_does_not():
    brief = Brief(themes=("recruiting engineers", "bill affordability", "supply interruptions"))
    sc = sc_with([obj("L1", "Engineers recruited against plan"),
                  obj("C1", "Billing accuracy", "Billing complaints"),
                  obj("C2", "Reliable supply", "Minutes lost to outages")])
    cov = theme_coverage(sc, brief)
    assert [m.covered for m in cov.matches] == [True, False, True]  # outages ~ interruptions
    assert cov.matches[1].matched == ("bill",) and cov.matches[1].needed == 2


def test_words_must_meet_in_one_objective():
    brief = Brief(themes=("crew training",))
    apart = sc_with([obj("L1", "Crew rostering"), obj("L2", "Training budget")])
    together = sc_with([obj("L1", "Crew rostering", "Crew members with current training")])
    assert theme_coverage(apart, brief).n_covered == 0
    assert theme_coverage(together, brief).n_covered == 1


def test_pasting_the_brief_into_the_scorecard_earns_nothing():
    brief = Brief(themes=("Fewer pressure ulcers among residents of our nursing homes",))
    pasted = sc_with([obj("P1", "Care quality", "Falls per 1000 bed days",
                          description="Fewer pressure ulcers among residents of our nursing homes.")])
    named = sc_with([obj("P1", "Prevent pressure ulcers", "Residents with a new pressure ulcer")])
    assert theme_coverage(pasted, brief).n_covered == 0
    assert theme_coverage(named, brief).n_covered == 1
    # the scorecard's own description and mission are never scored
    top = sc_with([obj("P1", "Care quality", "Falls")]).model_copy(
        update={"description": "pressure ulcers residents nursing homes", "mission": "pressure ulcers"})
    assert theme_coverage(top, brief).n_covered == 0


def test_initiatives_count_for_the_objectives_they_serve():
    brief = Brief(themes=("electric delivery vans",))
    sc = sc_with([obj("P1", "Green logistics", "Fleet CO2 emissions")]).model_copy(update={
        "initiatives": (load_example("retail").initiatives[0].model_copy(
            update={"name": "Electric delivery vans rollout", "objectives": ("P1",)}),)})
    assert theme_coverage(sc, brief).n_covered == 1


# ------------------------------------------------------------------ drafting
@pytest.mark.parametrize("theme, perspective, name, kpi, unit, direction", [
    ("supply interruptions", Perspective.customer, "Reduce supply interruptions",
     "Number of supply interruptions", "count", "down"),
    ("cost per connection", Perspective.financial, "Lower cost per connection", "Cost per connection", "EUR",
     "down"),
    ("crew training", Perspective.learning_growth, "Invest in crew training",
     "Share of staff with completed crew training", "%", "up"),
    ("Network availability and fewer outages", Perspective.internal_process,
     "Raise network availability and reduce outages", "Network availability rate", "%", "up"),
    ("recycling rate and contamination of recycling bins", Perspective.internal_process,
     "Raise recycling rate and reduce contamination", "Recycling rate", "%", "up"),
    ("Move routine transactions to the mobile app", Perspective.customer,
     "Move routine transactions to mobile app", "Share of routine transactions on mobile app", "%", "up"),
    ("cut energy use per occupied room", Perspective.internal_process, "Cut energy use per occupied room",
     "Energy use per occupied room", "MWh", "down"),
])
def test_drafts_read_verb_topic_and_measure(theme, perspective, name, kpi, unit, direction):
    d = draft_theme(Theme(theme), perspective)
    assert (d.objective_name, d.kpi_name, d.unit, d.direction) == (name, kpi, unit, direction)
    assert d.indicator == ("lagging" if perspective in (Perspective.financial, Perspective.customer)
                           else "leading")
    assert d.kpi_id.replace("_", "").isalnum() and d.kpi_id[0].isalpha()


def test_tfidf_equals_scikit_learn_on_the_library() -> None:
    """The generator's numpy TF-IDF = TfidfVectorizer(stop_words="english", sublinear_tf=True,
    ngram_range=(1, 2)) on the KPI library: same vocabulary, same matrices, same stop words."""
    import numpy as np
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    from bsc_toolkit.generate._tfidf import ENGLISH_STOP_WORDS as OURS
    from bsc_toolkit.generate._tfidf import Tfidf
    from bsc_toolkit.generate.library import load_library

    assert OURS == ENGLISH_STOP_WORDS
    lib = load_library()
    docs = [o.document for o in lib.objectives]
    queries = ["Reduce leakage and non-revenue water", "grow ARR; cut CAC payback", "", "the and of"]
    ref = TfidfVectorizer(stop_words="english", sublinear_tf=True, ngram_range=(1, 2)).fit(docs)
    ours = Tfidf().fit(docs)
    assert ours.vocabulary_ == ref.vocabulary_
    for texts in (docs, queries):
        np.testing.assert_allclose(ours.transform(texts), ref.transform(texts).toarray(), rtol=1e-12, atol=1e-15)

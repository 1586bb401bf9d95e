"""The offline generator honours any brief (issue 12): theme by theme, any sector, never a failure on a good brief.

The briefs in benchmarks/briefs/ (25 half-page briefs from 25 organisations; four of sectors the
KPI library does not have) are the benchmark of benchmarks/bench_generate.py; here every one must
come out lint-clean with at least 80% of its themes covered.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bsc_toolkit.errors import GenerationError
from bsc_toolkit.generate import (
    Brief,
    extract_themes,
    generate_scorecard,
    load_brief,
    load_library,
    match_sector,
    parse_brief,
    theme_coverage,
)
from bsc_toolkit.scorecard import (
    PERSPECTIVE_ORDER,
    Perspective,
    lint,
    load_scorecard,
    save_scorecard,
)

BRIEFS = Path(__file__).resolve().parent.parent / "benchmarks" / "briefs"
BENCH = sorted(p for p in BRIEFS.iterdir() if p.suffix in (".md", ".yaml"))


def offline(brief):
    return generate_scorecard(brief, provider="offline")


def kpis_in(sc, p: Perspective) -> int:
    return sum(len(o.kpis) for o in sc.objectives_in(p))


def test_the_benchmark_has_twenty_briefs_from_fifteen_sectors():
    assert len(BENCH) >= 20
    organisations = {load_brief(p).scorecard_name for p in BENCH}
    assert len(organisations) == len(BENCH)
    labels = {match_sector(load_brief(p)).label for p in BENCH}
    assert len(labels) >= 15, labels


@pytest.mark.parametrize("path", BENCH, ids=[p.stem for p in BENCH])
def test_every_benchmark_brief_is_lint_clean_and_covered(path):
    brief = load_brief(path)
    t0 = time.perf_counter()
    sc = offline(brief)
    seconds = time.perf_counter() - t0
    assert lint(sc).ok_strict, lint(sc).summary
    cov = theme_coverage(sc, brief)
    assert cov.n_themes >= 6 and cov.share >= 0.8, str(cov)
    assert seconds < 3.0  # the goal is < 1 s; generous for a shared CI machine


# ------------------------------------------------------------------ rule 1: theme by theme
def test_each_theme_ends_in_an_objective_and_the_note_says_which():
    brief = load_brief(BRIEFS / "water_utility.md")
    sc = offline(brief)
    cov = theme_coverage(sc, brief)
    assert cov.n_covered == cov.n_themes == 10
    note = sc.generator.note
    for m in cov.matches:
        assert f"'{m.theme.text}' -> " in note
    assert "'recruiting engineers' -> L" in note  # recruiting people is about Learning & Growth
    assert "'cost per connection' -> F" in note
    assert "'leakage / non-revenue water' -> P" in note
    assert len(sc.kpis) == 18  # n_kpis: 18 in the brief's front matter


def test_a_theme_nothing_fits_is_drafted_from_its_own_words(tmp_path):
    brief = Brief(organisation="Harbour Ferries", sector="public transport",
                  themes=("reduce seasickness complaints", "grow ridership"))
    sc = offline(brief)
    drafted = [o for o in sc.objectives if o.drafted]
    assert len(drafted) == 1
    o = drafted[0]
    assert o.name == "Reduce seasickness complaints" and o.perspective != Perspective.learning_growth
    (k,) = o.kpis
    assert k.drafted and k.direction == "down" and k.baseline is None and k.target is None
    assert "set its baseline and target" in k.description
    notes = [f for f in lint(sc) if f.code == "drafted-kpi"]
    assert [f.where for f in notes] == [f"{o.id}.{k.id}"] and notes[0].severity == "info"
    assert lint(sc).ok_strict
    # the mark round-trips through YAML and JSON
    for ext in ("yaml", "json"):
        again = load_scorecard(save_scorecard(sc, tmp_path / f"sc.{ext}"))
        assert again.objective(o.id).drafted and again.kpi(k.id).drafted
    assert "ridership" in sc.generator.note and "(drafted)" in sc.generator.note


def test_links_keep_the_chain_upward():
    for name in ("zoo.md", "law_firm.md", "water_utility.md"):
        sc = offline(load_brief(BRIEFS / name))
        for lk in sc.links:
            assert sc.perspective_of(lk.target).level - sc.perspective_of(lk.source).level == 1
        ups = {sc.objective_of(lk.source).id for lk in sc.links}
        downs = {sc.objective_of(lk.target).id for lk in sc.links}
        for o in sc.objectives:
            if o.perspective != Perspective.financial:
                assert o.id in ups, (name, o.id)
            if o.perspective != Perspective.learning_growth:
                assert o.id in downs, (name, o.id)


def test_same_brief_same_scorecard():
    brief = load_brief(BRIEFS / "zoo.md")
    assert offline(brief).to_yaml() == offline(load_brief(BRIEFS / "zoo.md")).to_yaml()


# ------------------------------------------------------------------ rule 2: breadth
SYNONYMS = {
    "utilities": None, "water": "water", "wastewater": "water", "airline": "airline",
    "law firm": "professional_services", "legal services": "professional_services", "consulting":
    "professional_services", "hotels": "hospitality", "non-profit": "nonprofit", "K-12": "schools",
    "pharma manufacturing": "pharma", "telecom": "telecom", "e-commerce": "ecommerce",
    "construction": "construction", "agriculture": "agriculture", "media": "media", "insurance": "insurance",
    "public transport": "public_transport", "restaurants": "food_service", "real estate": "real_estate",
    "mining": "mining", "credit union": "banking", "SaaS": "software", "hospital": "healthcare",
}


def test_at_least_twenty_five_sectors():
    lib = load_library()
    real = [s for s in lib.sectors if s.name != "common"]
    assert len(real) >= 25
    for s in real:  # each can fill every perspective on its own (with the cross-sector objectives)
        for p in PERSPECTIVE_ORDER:
            assert len([o for o in lib.in_sector(s.name) if o.perspective == p]) >= 2, (s.name, p)


@pytest.mark.parametrize("named, sector", SYNONYMS.items())
def test_sector_synonyms(named, sector):
    m = match_sector(Brief(sector=named))
    if sector is None:  # a synonym of two sectors: the text decides
        water = match_sector(Brief(sector=named, text="Drinking water, leakage and sewers."))
        power = match_sector(Brief(sector=named, text="Electricity grid, outages and renewables."))
        assert (water.sector, power.sector) == ("water", "energy")
        assert water.confidence == "high" and "also a synonym" in water.reason
    else:
        assert (m.sector, m.confidence) == (sector, "high"), m


def test_a_sector_the_library_lacks_is_said_and_not_borrowed():
    brief = Brief(organisation="Evergreen Funeral Homes", sector="funeral services",
                  themes=("families' satisfaction with the service", "reduce cost per funeral",
                          "pre-need plans sold", "staff wellbeing"))
    m = match_sector(brief)
    assert m.sector is None and m.confidence == "none" and "no 'funeral services' sector" in m.reason
    sc = offline(brief)
    assert lint(sc).ok_strict
    assert "no 'funeral services' sector" in sc.generator.note
    lib = load_library()
    own = {o.id: o.sector for o in lib.objectives}
    kpi_sector = {k.id: o.sector for o in lib.objectives for k in o.kpis}
    for k in sc.kpis:
        assert k.drafted or kpi_sector[k.id] == "common", k.id  # cross-sector or drafted, nothing borrowed
    assert own  # the library was consulted
    assert theme_coverage(sc, brief).share == 1.0


def test_free_text_picks_the_right_sector_or_none():
    law = load_brief(BRIEFS / "law_firm.md")  # issue 12: took SaaS at similarity 0.05
    m = match_sector(law)
    assert m.sector == "professional_services" and m.confidence in ("high", "medium")
    assert "arr_growth" not in {k.id for k in offline(law).kpis}
    club = match_sector(load_brief(BRIEFS / "football_club.md"))
    assert club.sector is None and club.confidence == "low" and club.closest
    assert "not borrowed from a distant sector" in club.reason


# ------------------------------------------------------------------ rule 3: never fail a good brief
@pytest.mark.parametrize("n", [15, 17, 20, 23, 25])
def test_n_kpis_is_honoured(n):
    for name in ("water_utility.md", "law_firm.md", "school_district.md"):
        brief = load_brief(BRIEFS / name).model_copy(update={"n_kpis": n})
        sc = offline(brief)
        assert len(sc.kpis) == n and lint(sc).ok_strict, (name, n, lint(sc).summary)


def test_kpis_per_perspective_are_honoured():
    text = ("---\norganisation: Lakeshore CU\nsector: credit union\nkpis_per_perspective:\n"
            "  financial: 3\n  customer: 5\n  internal process: 6\n  learning & growth: 4\n---\n"
            "# Lakeshore\n\nPriorities:\n\n- grow membership among young people\n- reduce fraud losses\n")
    brief = parse_brief(text, format="md")
    sc = offline(brief)
    got = {p.value: kpis_in(sc, p) for p in PERSPECTIVE_ORDER}
    assert got == {"financial": 3, "customer": 5, "internal_process": 6, "learning_growth": 4}
    assert lint(sc).ok_strict


@pytest.mark.parametrize("yaml_text, message", [
    ("kpis_per_perspective: {financial: 10, customer: 5, process: 6, learning: 4}", "financial: 10 KPIs"),
    ("kpis_per_perspective: {financial: 8, customer: 3, process: 3, learning: 3}", "more than 40%"),
    ("kpis_per_perspective: {financial: 4, customer: 5, process: 6}", "missing learning_growth"),
    ("n_kpis: 20\nkpis_per_perspective: {financial: 4, customer: 5, process: 6, learning: 4}",
     "adds up to 19"),
    ("n_kpis: 14", "n_kpis: Input should be greater than or equal to 15"),
])
def test_impossible_counts_are_a_bad_brief(yaml_text, message):
    with pytest.raises(GenerationError, match=message):
        parse_brief(yaml_text, file="b.yaml", format="yaml")


def test_n_kpis_on_a_line_of_a_markdown_brief():
    brief = parse_brief("# Acme\n\nn_kpis: 16\n\nPriorities:\n\n- cut food waste\n- grow online sales\n")
    assert brief.n_kpis == 16 and "n_kpis" not in brief.text
    assert len(offline(brief.model_copy(update={"sector": "retail"})).kpis) == 16


def test_a_sector_without_themes_still_gets_a_scorecard():
    sc = offline(Brief(organisation="A", sector="mining"))
    assert lint(sc).ok_strict and len(sc.kpis) == 20


@pytest.mark.parametrize("text, message", [
    ("lorem ipsum dolor sit amet consectetur adipiscing elit sed eiusmod", "does not read as a strategy brief"),
    ("# Acme\n\nWe make widgets.", "names no strategic theme and its sector is unclear"),
])
def test_a_bad_brief_is_refused_with_the_reason(text, message):
    with pytest.raises(GenerationError, match=message):
        offline(parse_brief(text, file="b.md"))


def test_a_huge_brief_is_refused_before_it_is_parsed(tmp_path):
    big = tmp_path / "big.md"
    big.write_text("# Acme\n\n" + "- grow sales\n" * 30_000)
    with pytest.raises(GenerationError, match=r"brief .*big\.md: 390,008 bytes, more than a brief may have"):
        load_brief(big)
    with pytest.raises(GenerationError, match=r"brief <brief>: 30,000 characters"):
        parse_brief("x" * 30_000)
    with pytest.raises(GenerationError, match=r"text: String should have at most 20000 characters"):
        parse_brief("# Acme\n\n" + "grow sales. " * 1_800)


def test_many_themes_never_break_the_structure():
    brief = Brief(organisation="Everything Corp", sector="retail",
                  themes=tuple(f"improve {w}" for w in (
                      "leakage", "complaints", "crew training", "safety", "recruiting", "diversity",
                      "cyber security", "emissions", "waste", "supplier payments", "store cleanliness",
                      "queue times", "online sales", "loyalty", "margins", "cash", "inventory accuracy",
                      "data quality", "AI literacy", "price perception", "brand trust", "staff wellbeing")))
    assert len(extract_themes(brief)) == 22
    sc = offline(brief)
    assert lint(sc).ok_strict and len(sc.kpis) <= 25
    for p in PERSPECTIVE_ORDER:
        assert 2 <= len(sc.objectives_in(p)) <= 4
    cov = theme_coverage(sc, brief)
    assert cov.n_covered >= 15
    if cov.missing:
        assert "Not covered" in sc.generator.note or len(sc.kpis) == 25

"""Offline generator, KPI library and briefs (bsc_toolkit.generate)."""

from __future__ import annotations

import pytest

from bsc_toolkit.errors import GenerationError
from bsc_toolkit.generate import (
    Brief,
    demo_brief_path,
    generate_scorecard,
    list_briefs,
    load_brief,
    load_library,
    match_sector,
)
from bsc_toolkit.scorecard import PERSPECTIVE_ORDER, Perspective, check_cascade, lint, load_example

BRIEFS = ["demo", "hospital", "saas", "manufacturer", "insurer", "city", "university", "logistics"]


def test_library_is_large_and_consistent():
    lib = load_library()
    sectors = {s.name for s in lib.sectors}
    for s in ("retail", "healthcare", "software", "manufacturing", "banking", "public_sector",
              "education", "logistics", "hospitality", "energy", "telecom", "nonprofit", "common"):
        assert s in sectors
    assert len(lib.objectives) >= 150 and lib.n_kpis >= 200
    # every perspective is covered in every sector together with the cross-sector objectives
    for s in sectors - {"common"}:
        for p in PERSPECTIVE_ORDER:
            assert len([o for o in lib.objectives if o.perspective == p and o.sector in (s, "common")]) >= 4
    # digital, AI and ESG objectives exist
    names = " ".join(o.name.lower() + " " + o.keywords for o in lib.objectives)
    for word in ("digital", " ai ", "esg", "emissions"):
        assert word in f" {names} "
    # learning KPIs are leading indicators; targets point the right way (checked by the loader too)
    for o in lib.objectives:
        for k in o.kpis:
            if o.perspective == Perspective.learning_growth:
                assert k.indicator == "leading", k.id
            assert (k.target >= k.baseline) if k.direction == "up" else (k.target <= k.baseline), k.id


def test_bundled_briefs():
    names = list_briefs()
    assert len(names) >= 6 and "demo" in names
    assert demo_brief_path().is_file()
    sectors = {load_brief(n).sector for n in names}
    assert len(sectors) >= 6


@pytest.mark.parametrize("name", BRIEFS)
def test_offline_scorecards_are_lint_clean_and_stable(name):
    brief = load_brief(name)
    sc = generate_scorecard(brief, provider="offline")
    findings = lint(sc)
    assert findings.ok_strict, findings.summary
    assert 15 <= len(sc.kpis) <= 25
    for p in PERSPECTIVE_ORDER:
        objs = sc.objectives_in(p)
        assert 2 <= len(objs) <= 4
        assert all(1 <= len(o.kpis) <= 2 for o in objs)
    # no link skips a perspective or runs downward
    for lk in sc.links:
        assert sc.perspective_of(lk.target).level - sc.perspective_of(lk.source).level == 1
    assert sc.generator.name == "offline" and "KPI library" in sc.generator.note
    again = generate_scorecard(load_brief(name), provider="offline")
    assert again.to_yaml() == sc.to_yaml()


def test_offline_follows_the_brief():
    sc = generate_scorecard("saas", provider="offline")
    kpis = {k.id for k in sc.kpis}
    assert "arr_growth" in kpis  # the software sector's recurring-revenue KPI
    assert "lfl_sales_growth" not in kpis
    esg = generate_scorecard(Brief(organisation="Acme", sector="manufacturing",
                                   themes=("cut carbon emissions and use renewable energy",)),
                             provider="offline")
    assert "scope12_emissions" in {k.id for k in esg.kpis}
    assert esg.sector == "manufacturing"


def test_auto_is_offline_without_configuration(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert generate_scorecard("city").generator.name == "offline"


def test_free_text_brief_infers_sector():
    text = ("# Riverside Hotels\n\nA group of 14 city hotels. Guests love the rooms but online review "
            "scores and direct bookings lag; occupancy and RevPAR must grow.")
    m = match_sector(Brief(text=text))
    assert m.sector == "hospitality" and "inferred" in m.reason and m.confidence in ("high", "medium")
    sc = generate_scorecard(text, provider="offline")
    assert sc.name == "Riverside Hotels Balanced Scorecard"
    assert lint(sc).ok_strict


def test_n_kpis_is_respected_within_best_practice():
    small = generate_scorecard(Brief(organisation="A", sector="retail", n_kpis=15), provider="offline")
    big = generate_scorecard(Brief(organisation="A", sector="retail", n_kpis=25), provider="offline")
    assert len(small.kpis) == 15 and len(big.kpis) == 25
    assert lint(small).ok_strict and lint(big).ok_strict


def test_offline_cascade():
    parent = load_example("retail")
    child = generate_scorecard("retail_it", provider="offline", parent=parent)
    assert child.parent == "Northwind Retail"
    assert all(o.supports for o in child.objectives)
    cf = check_cascade(parent, child)
    assert cf.ok and not cf.warnings, cf.summary
    assert lint(child).ok_strict
    by_path = generate_scorecard("retail_it", provider="offline", parent="retail")
    assert by_path.parent == "retail"


def test_brief_errors_name_file_and_key(tmp_path):
    bad = tmp_path / "brief.yaml"
    bad.write_text("organisation: X\nbudjet: 3\n")
    with pytest.raises(GenerationError, match=r"brief .*brief\.yaml.*unknown key 'budjet'"):
        load_brief(bad)
    with pytest.raises(GenerationError, match="n_kpis"):
        load_brief(_write(tmp_path, "n.yaml", "n_kpis: 40\n"))
    with pytest.raises(GenerationError, match="not a bundled brief"):
        load_brief(tmp_path / "missing.yaml")
    with pytest.raises(GenerationError, match="line 2"):
        load_brief(_write(tmp_path, "m.yaml", "organisation: X\n  bad: [\n"))
    md = load_brief(_write(tmp_path, "b.md", "---\nsector: telecom\nn_kpis: 16\n---\n# Telco\nFibre and 5G.\n"))
    assert md.sector == "telecom" and md.n_kpis == 16 and "Fibre" in md.text


def _write(d, name, text):
    p = d / name
    p.write_text(text)
    return p

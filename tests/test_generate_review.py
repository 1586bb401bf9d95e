"""Offline critique and narrative (bsc_toolkit.generate.review)."""

from __future__ import annotations

import json
import re

import pytest

from bsc_toolkit.errors import DataError
from bsc_toolkit.generate import critique, narrate
from bsc_toolkit.scorecard import load_example, load_scorecard


def test_critique_of_a_clean_scorecard():
    text = critique(load_example("retail"))
    assert text.startswith("# Critique of the scorecard Northwind Retail")
    assert "passes every lint rule: 11 objectives, 17 KPIs and 16 links" in text
    assert "| Financial | 2 | 4 | 0 | 4 |" in text  # counted from the scorecard
    assert "Treated as a one-time exercise: OK" in text


def test_critique_reports_lint_findings_with_advice(retail):
    data = retail.to_dict()
    data["objectives"] = [o for o in data["objectives"] if o["id"] not in ("C2", "C3")]
    data["links"] = [lk for lk in data["links"] if lk["from"] not in ("C2", "C3") and lk["to"] not in ("C2", "C3", "opex_ratio")]
    data["links"] = [lk for lk in data["links"] if lk["from"] != "waste_rate"]
    for o in data["objectives"]:
        for k in o["kpis"]:
            k.pop("owner", None)
    data["initiatives"] = []
    bad = type(retail).model_validate(data)
    text = critique(bad)
    assert "need attention" in text
    assert "Too many (or too few) KPIs and objectives: needs work" in text
    assert "`objectives-per-perspective`" in text and "*What to do:*" in text
    assert "`dead-end-objective`" in text  # P3 now leads nowhere
    assert "0 of 15 KPIs have an owner" in text
    assert "0 initiative(s)" in text


def test_narrative_numbers_come_from_the_results(sample_evidence_path, retail):
    ev = json.loads(sample_evidence_path.read_text())
    text = narrate(retail, sample_evidence_path)
    counts = {v: sum(lk["verdict"] == v for lk in ev["links"]) for v in
              ("supported", "contradicted", "not_supported", "insufficient_data")}
    assert (f"We tested {len(ev['links'])} hypothesised" in text)
    assert (f"**{counts['supported']} supported**, {counts['contradicted']} contradicted, "
            f"{counts['not_supported']} not supported and {counts['insufficient_data']} could not") in text
    assert "40 units over 24 quarterly periods (2020Q1 to 2025Q4)" in text
    # the strongest supported link by standardised effect, with its effect and CI
    sup = [lk for lk in ev["links"] if lk["verdict"] == "supported"]
    best = max(sup, key=lambda lk: abs(lk["standardized_effect"]))
    lr = best["long_run"]
    line = next(x for x in text.splitlines() if x.startswith("- Grow the basket"))
    assert f"{lr['estimate']:+.2f} (95% CI {lr['ci_low']:.2f} to {lr['ci_high']:.2f})" in line
    assert text.index("Strongest supported") < text.index(line)
    # contradicted links are named with their effect; untestable ones with their reason
    for lk in ev["links"]:
        if lk["verdict"] == "contradicted":
            assert f"{lk['long_run']['estimate']:+.2f}" in text
    assert "too few periods for the lags" in text
    assert "Benjamini–Hochberg at 0.05" in text and "not proof of causation" in text
    # a dict and the same file give the same text
    assert narrate(retail, ev) == text


def test_narrative_escapes_hostile_names(data_dir):
    sc = load_scorecard(data_dir / "hostile_scorecard.yaml")
    f1, c1 = sc.objectives[0], sc.objectives[3]
    ev = {"format": "bsc-evidence/1", "links": [{"from": c1.id, "to": f1.id, "verdict": "supported", "q_value": 0.01,
                     "long_run": {"estimate": 0.5, "ci_low": 0.1, "ci_high": 0.9}}],
          "warnings": ["<img src=x onerror=alert(1)>"]}
    text = narrate(sc, ev)
    assert not re.search(r"(?<!\\)<", text)  # every < is escaped
    assert "\\<script\\>" in text and "+0.50 (95% CI 0.10 to 0.90)" in text
    assert "\n\n" in text and "line two" in text  # newline in a name did not break the bullet
    assert all(not ln.startswith("line two") for ln in text.splitlines())


def test_narrative_input_errors(tmp_path, retail):
    """Bad evidence is a DataError from the one evidence reader (tests/test_evidence_readers.py has all cases)."""
    with pytest.raises(DataError, match="<dict>: key 'links' is missing"):
        narrate(retail, {"format": "bsc-evidence/1"})
    with pytest.raises(DataError, match=r"nope\.json: evidence file not found"):
        narrate(retail, tmp_path / "nope.json")
    p = tmp_path / "bad.json"
    p.write_text("{oops")
    with pytest.raises(DataError, match=r"bad\.json: not valid JSON: .* at line 1, column 2"):
        narrate(retail, p)


def test_critique_lists_the_themes_the_scorecard_misses():
    brief = {"organisation": "Northwind", "themes": ["cut food waste", "recruit pilots", "<b>hostile</b> theme"]}
    text = critique(load_example("retail"), brief=brief)
    section = text[text.index("## Themes of the brief"): text.index("## Common mistakes")]
    assert "needs work" in section and "1 of 3 themes" in section
    missing = section[section.index("**Not covered**"): section.index("**Covered:**")]
    assert "- recruit pilots" in missing and "cut food waste" not in missing
    assert "\\<b\\>hostile\\</b\\> theme" in missing  # the brief's text is escaped
    assert "- cut food waste → P3" in section
    assert "## Themes of the brief" not in critique(load_example("retail"))  # no brief, no section

"""bsc generate (bsc_toolkit/cli/generate_cmd.py)."""

from __future__ import annotations

from pathlib import Path

import yaml
from fake_llm import free_port

from bsc_toolkit.cli import main
from bsc_toolkit.scorecard import check_cascade, lint, load_example, load_scorecard


def _clean_env(monkeypatch):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "BSC_LLM_MODEL"):
        monkeypatch.delenv(var, raising=False)


def test_generate_offline_out_of_the_box(tmp_path, monkeypatch, capsys):
    _clean_env(monkeypatch)
    out, crit, okrs = tmp_path / "sc.yaml", tmp_path / "review.md", tmp_path / "okrs.yaml"
    rc = main(["generate", "--brief", "saas", "-o", str(out), "--critique", str(crit), "--okrs", str(okrs)])
    assert rc == 0
    said = capsys.readouterr().out
    assert "offline generator" in said and str(out) in said
    sc = load_scorecard(out)
    assert lint(sc).ok_strict and sc.generator.name == "offline"
    assert crit.read_text().startswith("# Critique")
    assert yaml.safe_load(okrs.read_text())["scorecard"] == sc.name


def test_generate_cascade_and_json(tmp_path, monkeypatch):
    _clean_env(monkeypatch)
    out = tmp_path / "it.json"
    assert main(["generate", "--brief", "retail_it", "--parent", "retail", "-o", str(out)]) == 0
    child = load_scorecard(out)
    assert child.parent == "retail" and check_cascade(load_example("retail"), child).ok


def test_failure_never_touches_existing_output(tmp_path, monkeypatch, capsys):
    _clean_env(monkeypatch)
    out = tmp_path / "sc.yaml"
    out.write_text("precious: true\n")
    port = free_port()
    rc = main(["generate", "--brief", "demo", "--provider", "openai", "--base-url",
               f"http://127.0.0.1:{port}/v1", "--timeout", "2", "--retries", "0", "-o", str(out),
               "--critique", str(tmp_path / "c.md")])
    err = capsys.readouterr().err
    assert rc == 1 and "could not connect" in err and f"127.0.0.1:{port}" in err
    assert out.read_text() == "precious: true\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sc.yaml"]  # no temp files, no critique


def test_bad_brief_is_one_clear_line(tmp_path, capsys):
    rc = main(["generate", "--brief", str(tmp_path / "nope.yaml"), "-o", str(tmp_path / "x.yaml")])
    err = capsys.readouterr().err
    assert rc == 1 and "nope.yaml: file not found" in err and len(err.strip().splitlines()) == 1


def test_list_briefs(capsys):
    assert main(["generate", "--list-briefs"]) == 0
    assert "demo" in capsys.readouterr().out


BRIEFS = Path(__file__).resolve().parent.parent / "benchmarks" / "briefs"


def test_generate_says_sector_confidence_and_themes(tmp_path, monkeypatch, capsys):
    _clean_env(monkeypatch)
    out, crit = tmp_path / "water.yaml", tmp_path / "review.md"
    assert main(["generate", "--brief", str(BRIEFS / "water_utility.md"), "-o", str(out),
                 "--critique", str(crit)]) == 0
    said = capsys.readouterr().out
    assert "Sector: Water / wastewater (high confidence" in said and "Themes: 10 of 10 covered" in said
    assert "0 error(s), 0 warning(s)" in said and len(load_scorecard(out).kpis) == 18
    assert "## Themes of the brief: OK" in crit.read_text() and "recruiting engineers → L" in crit.read_text()


def test_generate_a_sector_the_library_lacks(tmp_path, monkeypatch, capsys):
    _clean_env(monkeypatch)
    out = tmp_path / "club.yaml"
    brief = tmp_path / "club.md"
    brief.write_text((BRIEFS / "football_club.md").read_text())
    assert main(["generate", "--brief", str(brief), "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert "Sector: cross-sector (low confidence" in said and "not borrowed from a distant sector" in said
    assert "Drafted from the brief's words (drafted: true)" in said and "Themes: 7 of 7 covered" in said
    assert lint(load_scorecard(out)).ok_strict


def test_a_brief_without_themes_is_one_clear_line(tmp_path, capsys):
    bad = tmp_path / "b.md"
    bad.write_text("# Acme\n\nWe make widgets.\n")
    rc = main(["generate", "--brief", str(bad), "-o", str(tmp_path / "x.yaml")])
    err = capsys.readouterr().err
    assert rc == 1 and len(err.strip().splitlines()) == 1
    assert f"brief {bad}: names no strategic theme" in err and "Traceback" not in err
    assert not (tmp_path / "x.yaml").exists()

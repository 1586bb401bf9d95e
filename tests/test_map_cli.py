"""`bsc map`: the command line over strategy_map()."""

from __future__ import annotations

import pytest
from conftest import have_dot

from bsc_toolkit.cli import main

needs_dot = pytest.mark.skipif(not have_dot(), reason="graphviz 'dot' is not installed")


@needs_dot
def test_cli_renders_svg_with_evidence(tmp_path, sample_evidence_path, capsys):
    out = tmp_path / "map.svg"
    rc = main(["map", "retail", "--evidence", str(sample_evidence_path), "-o", str(out)])
    assert rc == 0
    text = out.read_text()
    assert text.startswith("<?xml") and "+0.495 (lag 1)" in text
    assert "11 objectives, 16 links, 1 candidate link" in capsys.readouterr().out


def test_cli_dot_output_no_kpis_and_title(tmp_path):
    out = tmp_path / "map.dot"
    assert main(["map", "retail", "--no-kpis", "--title", "Board view", "-o", str(out)]) == 0
    src = out.read_text()
    assert src.startswith("digraph") and "Board view" in src and "Days of inventory" not in src


@needs_dot
def test_cli_parent_band(tmp_path, capsys):
    from test_map_build import load_scorecard_child

    from bsc_toolkit.scorecard import save_scorecard

    child = tmp_path / "child.yaml"
    save_scorecard(load_scorecard_child(None), child)
    out = tmp_path / "cascade.dot"
    assert main(["map", str(child), "--parent", "retail", "-o", str(out)]) == 0
    assert '"o_SF1" -> "parent_F2"' in out.read_text()
    assert "warning: objective 'SP1' supports 'F9'" in capsys.readouterr().err


def test_cli_bad_input_is_one_line_exit_1(tmp_path, capsys):
    assert main(["map", "retail", "-o", str(tmp_path / "map.jpg")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bsc map: error: cannot tell the format") and err.count("\n") == 1
    assert main(["map", "retail", "--evidence", str(tmp_path / "nope.json"), "-o",
                 str(tmp_path / "m.dot")]) == 1
    assert "nope.json: evidence file not found" in capsys.readouterr().err
    assert not (tmp_path / "m.dot").exists()


def test_cli_help_teaches(capsys):
    with pytest.raises(SystemExit) as ei:
        main(["map", "--help"])
    assert ei.value.code == 0
    out = capsys.readouterr().out
    for phrase in ("Kaplan & Norton", "--evidence", "contradicted", "bsc map retail -o retail.svg", ".pdf"):
        assert phrase in out


def test_cli_requires_output(capsys):
    with pytest.raises(SystemExit) as ei:
        main(["map", "retail"])
    assert ei.value.code == 2
    assert "-o/--out" in capsys.readouterr().err

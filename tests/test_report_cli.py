"""`bsc report`: the command line over build_report."""

from __future__ import annotations

from pathlib import Path

import pytest

from bsc_toolkit.cli import main

EVIDENCE = Path(__file__).resolve().parent / "data" / "evidence_retail_sample.json"


def test_report_cli_html(tmp_path, capsys):
    code = main(["report", "retail", "--evidence", str(EVIDENCE), "--format", "html", "--renderer", "pandoc",
                 "-o", str(tmp_path), "--quiet"])
    assert code == 0
    out = capsys.readouterr().out.strip()
    assert out == str(tmp_path / "index.html")
    assert "Evidence per link" in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_report_cli_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["report", "retail", "--format", "html,odt", "-o", str(tmp_path)])
    assert exc.value.code == 2
    assert "formats must be a comma-separated list of html, pdf, docx, got 'html,odt'" in capsys.readouterr().err
    code = main(["report", "retail", "--evidence", str(tmp_path / "missing.json"), "-o", str(tmp_path)])
    assert code == 1
    err = capsys.readouterr().err
    assert "bsc report: error:" in err and "missing.json" in err and "evidence file not found" in err
    code = main(["report", "retail", "--kind", "validation", "-o", str(tmp_path)])
    assert code == 1 and "a validation report needs evidence" in capsys.readouterr().err

"""Strategy maps: rendering, escaping of hostile text, atomic writes and DOT snapshots.

Snapshots live in tests/snapshots/map_*.dot; run with BSC_UPDATE_SNAPSHOTS=1 to rewrite them
after an intended change (and review the diff).
"""

from __future__ import annotations

import os
import re
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import have_dot

from bsc_toolkit.errors import MissingDependencyError, RenderError
from bsc_toolkit.scorecard import Scorecard, load_example
from bsc_toolkit.strategy_map import DotNotFoundError, strategy_map

needs_dot = pytest.mark.skipif(not have_dot(), reason="graphviz 'dot' is not installed")
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"

HOSTILE = [
    "</td><script>alert(1)</script>",
    '"quoted" {braces} \\ back\\slash \\N \\G',
    "multi\nline\r\nname <b>bold</b>",
    "]]> & &amp; &#60; <!-- x --> <![CDATA[y]]>",
    "'single' `tick` > < |pipe| [brackets]",
    "bell\x07 and \x00 nul",
    "ends with a backslash \\",
]


def hostile_scorecard() -> Scorecard:
    h = HOSTILE
    return Scorecard.model_validate({
        "name": h[0] + " & co", "period": h[1],
        "objectives": [
            {"id": "F1", "perspective": "financial", "name": h[0], "description": h[3],
             "kpis": [{"id": "rev", "name": h[1], "unit": "<u>", "target": 5, "actual": 4,
                       "baseline": 1, "direction": "up"}]},
            {"id": "C1", "perspective": "customer", "name": h[2],
             "kpis": [{"id": "nps", "name": h[3], "unit": '"', "target": 1},
                      {"id": "ret", "name": h[4]}]},
            {"id": "P1", "perspective": "internal_process", "name": h[4],
             "kpis": [{"id": "q", "name": h[5]}, {"id": "q2", "name": h[6]}]},
            {"id": "L1", "perspective": "learning_growth", "name": h[5],
             "kpis": [{"id": "hrs", "name": h[0]}]},
        ],
        "links": [
            {"from": "L1", "to": "P1", "rationale": h[0] + h[6]},
            {"from": "q", "to": "nps", "rationale": h[1]},
            {"from": "C1", "to": "rev", "rationale": h[2]},
        ],
    })


def hostile_evidence() -> dict:
    link = {"from": "L1", "to": "P1", "from_kpi": "hrs", "to_kpi": "q", "verdict": "supported",
            "reason": HOSTILE[0] + HOSTILE[1], "long_run": {"estimate": 0.5}, "standardized_effect": 0.4,
            "method": {"lags": [1]}}
    return {"format": "bsc-evidence/1", "scorecard": HOSTILE[2], "links": [link],
            "suggestions": [{"kind": "candidate", "from_kpi": "hrs", "to_kpi": "ret", "lag": 1,
                             "estimate": 0.1, "note": HOSTILE[0]},
                            {"kind": "reverse", "from_kpi": "q", "to_kpi": "nps", "lag": 1,
                             "note": HOSTILE[3]}]}


@needs_dot
def test_hostile_names_cannot_break_dot_or_inject_markup(tmp_path):
    with pytest.warns(UserWarning, match="is for scorecard"):
        m = strategy_map(hostile_scorecard(), hostile_evidence(), title=HOSTILE[0])
    src = m.source
    assert "\x07" not in src and "\x00" not in src
    # outside quoted DOT strings (tooltips, which graphviz escapes itself) the text only
    # appears entity-escaped inside HTML-like labels
    unquoted = re.sub(r'"(?:\\.|[^"\\])*"', '""', src)
    assert "<script" not in unquoted.lower() and "&lt;script&gt;" in unquoted
    assert "</td><script>" not in unquoted
    svg = m.svg()
    root = ET.fromstring(svg.encode("utf-8"))  # parses as XML
    tags = {el.tag.rsplit("}", 1)[-1].lower() for el in root.iter()}
    assert "script" not in tags and "foreignobject" not in tags
    assert "<script" not in svg.lower()
    # the text survives, escaped, as text
    texts = " ".join(el.text or "" for el in root.iter() if el.tag.endswith("}text"))
    assert "</td><script>alert(1)</script>" in texts or "alert(1)" in texts
    assert "{braces}" in texts and "back\\slash \\N \\G" in texts  # no \N / \G expansion
    assert "ends with a backslash \\" in texts and "strategy_map" not in texts
    tips = [v for el in root.iter() for k, v in el.attrib.items() if k.endswith("title")]
    assert any(t.endswith("ends with a backslash \\") for t in tips)  # tooltip of L1 -> P1
    assert any("back\\slash \\N \\G" in t for t in tips)
    for ext in (".png", ".pdf", ".dot"):
        out = m.render(tmp_path / f"hostile{ext}")
        assert out.stat().st_size > 100


def test_escaping_helpers():
    from bsc_toolkit.strategy_map._escape import dot_quote, html_text, wrap_html

    assert html_text("</td>&'\"") == "&lt;/td&gt;&amp;&#39;&quot;"
    assert html_text("a\nb\x07c") == "a bc"
    assert dot_quote('a"b\\c\nd{e}') == '"a\\"b' + "\\" * 4 + 'c\\nd{e}"'
    assert html_text("\\N") == "\\\\N"
    w = wrap_html("x" * 10 + " " + "y" * 30, 12, max_lines=2)
    assert w.count("<BR/>") == 1 and w.endswith("\u2026")


@needs_dot
@pytest.mark.parametrize("ext,magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF"),
                                       (".dot", b"digraph")])
def test_render_format_from_extension(tmp_path, ext, magic):
    out = strategy_map("retail").render(tmp_path / f"map{ext.upper()}")
    assert out.read_bytes().startswith(magic)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_unknown_extension_is_refused(tmp_path):
    with pytest.raises(RenderError, match=r"map\.jpg.*extension '\.jpg'; use one of \.svg, \.png"):
        strategy_map("retail").render(tmp_path / "map.jpg")
    assert not (tmp_path / "map.jpg").exists()


def _fake_dot(tmp_path: Path, body: str) -> str:
    exe = tmp_path / "fakedot"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    return str(exe)


def test_failed_render_leaves_existing_file_untouched(tmp_path, monkeypatch):
    target = tmp_path / "map.svg"
    target.write_text("previous good map")
    monkeypatch.setenv("BSC_DOT", _fake_dot(tmp_path, "cat >/dev/null; echo 'Error: syntax error in line 3' >&2; exit 1"))
    with pytest.raises(RenderError, match=r"dot -Tsvg' failed: Error: syntax error in line 3"):
        strategy_map("retail").render(target)
    assert target.read_text() == "previous good map"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fakedot", "map.svg"]


def test_missing_dot_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("BSC_DOT", str(tmp_path / "no-such-dot"))
    m = strategy_map("retail")
    with pytest.raises(DotNotFoundError, match=r"'dot' program not found.*apt-get install graphviz") as ei:
        m.render(tmp_path / "map.png")
    assert isinstance(ei.value, RenderError) and isinstance(ei.value, MissingDependencyError)
    assert not (tmp_path / "map.png").exists()
    assert m._repr_svg_() is None and "not found" in m._repr_html_()
    m.render(tmp_path / "map.dot")  # the DOT source needs no graphviz
    assert (tmp_path / "map.dot").read_text() == m.source


@needs_dot
def test_notebook_display_and_summary(sample_evidence_path):
    m = strategy_map("retail", sample_evidence_path)
    svg = m._repr_svg_()
    assert svg is not None and "<svg" in svg
    html = m._repr_html_()
    assert html.startswith('<div class="bsc-strategy-map"') and "<?xml" not in html
    assert "supported 9" in m.summary and "1 candidate link" in m.summary
    assert str(m) == m.summary


def _check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("BSC_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        if not path.exists() and os.environ.get("BSC_UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"snapshot {path} missing; run with BSC_UPDATE_SNAPSHOTS=1 to create it")
        path.write_text(text, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"DOT source differs from {path}; BSC_UPDATE_SNAPSHOTS=1 rewrites it"


@pytest.mark.parametrize("with_evidence", [False, True], ids=["plain", "evidence"])
def test_dot_source_snapshot(with_evidence, sample_evidence_path):
    ev = sample_evidence_path if with_evidence else None
    src = strategy_map(load_example("retail"), ev).source
    assert src == strategy_map(load_example("retail"), ev).source  # deterministic
    _check_snapshot(f"map_retail{'_evidence' if with_evidence else ''}.dot", src)

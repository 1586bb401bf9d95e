"""Hostile text cannot inject HTML or break a report; outputs are written atomically."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bsc_toolkit.errors import DataError, RenderError
from bsc_toolkit.report import build_report
from bsc_toolkit.report._markdown import md_escape, md_table

HOSTILE = 'Evil <script>alert("x")</script> {#id} # | *bold* `code` $x$ @fig-map [a](javascript:alert(1))'
HOSTILE_NARRATIVE = """\
# Reading

Fine **text**. <script>alert(1)</script> <img src=x onerror=alert(2)>

:::
closing a div

---
title: pwned
---

![secret](/etc/passwd) [click](javascript:alert(3)) [ok](https://example.org)

```{=html}
<iframe src="https://evil.example"></iframe>
```
"""


def hostile_scorecard():
    from bsc_toolkit.scorecard import load_example
    from bsc_toolkit.scorecard.model import Scorecard

    data = load_example("retail").to_dict()
    data["name"] = 'Acme "Corp" <script>alert(1)</script>\n---\ntitle: x'
    data["description"] = "line one\n\n## injected heading\n---\n| a | b |"
    for i, o in enumerate(data["objectives"]):
        o["name"] = f"{HOSTILE} #{i}"
        for k in o["kpis"]:
            k["name"] = f"KPI | with * pipes\nand newline {k['id']} <b>"
            k["unit"] = "<i>%</i>" if k.get("unit") != "%" else "%"
    for ln in data["links"]:
        ln["rationale"] = "because --- and ::: and <script>bad()</script>"
    for ini in data["initiatives"]:
        ini["name"] = "Project | <script>x</script> {.class}"
        ini["owner"] = "1. Owner *"
    return Scorecard.model_validate(data)


@pytest.fixture(scope="module")
def hostile_reports(tmp_path_factory):
    sc = hostile_scorecard()
    ev = Path(__file__).resolve().parent / "data" / "evidence_retail_sample.json"
    out = {}
    for kind in ("client", "handout"):
        d = tmp_path_factory.mktemp(kind)
        out[kind] = build_report(sc, kind=kind, evidence=ev, out_dir=d, formats=("html", "pdf"), renderer="pandoc",
                                 narrative=HOSTILE_NARRATIVE, critique=HOSTILE_NARRATIVE)
    return sc, out


def _rows(html: str, table_id: str) -> list[str]:
    m = re.search(rf'id="{table_id}".*?<tbody>(.*?)</tbody>', html, flags=re.S)
    assert m is not None, table_id
    return re.findall(r"<tr[^>]*>.*?</tr>", m.group(1), flags=re.S)


def test_no_injected_html(hostile_reports):
    _, reports = hostile_reports
    for kind, res in reports.items():
        html = res.outputs["html"].read_text(encoding="utf-8")
        low = html.lower()
        assert "<script" not in low, kind
        assert "<iframe" not in low and "<img src=x" not in low and "onerror" not in low.replace("onerror=alert", "")
        assert not re.search(r'(href|src)\s*=\s*"?\s*javascript:', low)
        assert 'src="/etc/passwd' not in html and "cm9vd" not in html  # not linked, not embedded
        assert "&lt;script&gt;" in html  # the text is shown, escaped
        assert "pwned" not in re.sub(r"<[^>]+>", "", html.split("<body", 1)[0])  # no metadata injected
        # the title survived as text
        assert re.search(r"<title>Acme &quot;Corp&quot; &lt;script&gt;alert\(1\)&lt;/script&gt; --- title: x</title>", html), kind


def test_tables_keep_their_shape(hostile_reports):
    sc, reports = hostile_reports
    html = reports["client"].outputs["html"].read_text(encoding="utf-8")
    assert len(_rows(html, "tbl-initiatives")) == len(sc.initiatives) == 3
    fin = _rows(html, "tbl-financial")
    assert len(fin) == 4 and all(len(re.findall(r"<td", r)) == 7 for r in fin)
    # headings from hostile names did not become headings
    assert "injected heading</h" not in html
    h_html = reports["handout"].outputs["html"].read_text(encoding="utf-8")
    assert len(_rows(h_html, "tbl-indicators")) == 17
    assert len(_rows(h_html, "tbl-rationale")) == len(sc.links)
    # a sanitised narrative keeps its safe formatting and web links
    assert "<strong>text</strong>" in html and 'href="https://example.org"' in html


def test_hostile_pdf_compiles(hostile_reports):
    _, reports = hostile_reports
    for res in reports.values():
        assert res.outputs["pdf"].read_bytes().startswith(b"%PDF")


def test_md_escape_units():
    assert md_escape("a | b") == r"a \| b"
    assert md_escape("<script>") == r"\<script\>"
    assert md_escape("x\n---\ny") == r"x \-\-\- y"
    assert md_escape("1. first") == r"1\. first"
    assert md_escape("@fig-map {#x}") == r"\@fig-map \{\#x\}"
    assert md_escape("Like-for-like") == "Like-for-like"
    t = md_table(["a"], [[md_escape("x|y")]])
    assert t.splitlines()[-1] == r"| x\|y |"


def test_output_is_atomic(tmp_path, monkeypatch):
    """A failing render leaves the previous output untouched and no temporary file behind."""
    from bsc_toolkit.report import render
    from bsc_toolkit.scorecard import load_example

    old = tmp_path / "index.html"
    old.write_text("OLD REPORT", encoding="utf-8")
    real = render._run_pandoc

    def failing(args, **kw):
        if "html5" in args:
            out = Path(args[args.index("-o") + 1])
            out.write_text("<html>half", encoding="utf-8")  # a partial write...
            raise RenderError("pandoc crashed")  # ...then a crash
        return real(args, **kw)

    monkeypatch.setattr(render, "_run_pandoc", failing)
    with pytest.raises(RenderError, match="pandoc crashed"):
        build_report(load_example("retail"), kind="handout", out_dir=tmp_path, formats=("html",), renderer="pandoc")
    assert old.read_text(encoding="utf-8") == "OLD REPORT"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_bad_arguments_name_the_problem(tmp_path):
    from bsc_toolkit.scorecard import load_example

    sc = load_example("retail")
    with pytest.raises(DataError, match="`kind` must be one of validation, client, handout, got 'summary'"):
        build_report(sc, kind="summary", out_dir=tmp_path)
    with pytest.raises(DataError, match="a validation report needs evidence"):
        build_report(sc, kind="validation", out_dir=tmp_path)
    with pytest.raises(DataError, match=r"`formats` must be among html, pdf, docx, got 'odt'"):
        build_report(sc, kind="handout", out_dir=tmp_path, formats=("odt",))
    bad = tmp_path / "ev.json"
    bad.write_text('{"format": "bsc-evidence/1", "links": [{"from": "L1"}]}', encoding="utf-8")
    with pytest.raises(DataError, match=r"ev\.json: links\[0\] lacks the key 'to'"):
        build_report(sc, kind="validation", evidence=bad, out_dir=tmp_path)
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match=r"ev\.json: not valid JSON"):
        build_report(sc, kind="validation", evidence=bad, out_dir=tmp_path)

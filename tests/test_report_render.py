"""Every report kind rendered by both renderers -- the real Quarto CLI and the pandoc + typst
fallback -- to HTML, typst PDF and DOCX, and the same checks run on both.

Each (renderer, kind) is rendered once per module (rendering is slowish) and many things are
checked on the same output. The Quarto renders skip, with the reason printed, when the
``quarto`` command is not on PATH (``make test`` puts ``../shared/tools/quarto`` there).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from html import unescape
from pathlib import Path

import pytest

from bsc_toolkit._format import fmt_p
from bsc_toolkit.report import build_report
from bsc_toolkit.report.content import effect_cell

DATA = Path(__file__).resolve().parent / "data"
EVIDENCE = DATA / "evidence_retail_sample.json"  # the old format (no robustness, no data summary)
FULL = DATA / "evidence_retail_full.json"  # with robustness, caveats, multipliers, a data summary
RENDERERS = ("pandoc", "quarto")
KINDS = ("validation", "client", "handout")
QUARTO_MISSING = "the Quarto CLI is not on PATH (make test puts ../shared/tools/quarto there); pandoc+typst tested"


def _text(html: str) -> str:
    """Visible text of an HTML page, whitespace collapsed (for phrase checks)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    body = re.sub(r'src="data:[^"]*"', "", body)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _table(html: str, table_id: str) -> str:
    m = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, flags=re.S)
    if m is None:  # pandoc and Quarto put the id on a wrapping element
        m = re.search(rf'id="{table_id}".*?</table>', html, flags=re.S)
    assert m is not None, f"no table {table_id}"
    return m.group(0)


def _body_rows(table_html: str) -> list[str]:
    tbody = re.search(r"<tbody>(.*?)</tbody>", table_html, flags=re.S)
    assert tbody is not None
    return re.findall(r"<tr[^>]*>.*?</tr>", tbody.group(1), flags=re.S)


def _cells(row: str) -> list[str]:
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", c)).split())
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]


def need_pdftotext() -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian package poppler-utils) is not installed: `make test` installs it "
                    "when run as root with apt-get; the PDF text checks need it")


def pdf_text(path: Path) -> str:
    """pdftotext of a PDF with zero-width spaces removed (poppler-utils)."""
    need_pdftotext()
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    # typst sets a minus sign (U+2212) for "-" before a digit; compare with the file's ASCII hyphen-minus
    return out.replace("\u200b", "").replace("\u2060", "").replace("\u2212", "-")


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def _section(html: str, sec_id: str) -> str:
    """Visible text of one level-2 section (from its heading to the next level-2 heading)."""
    start = html.index(f'id="{sec_id}"')
    end = html.find("<h2", html.index("</h2>", start))
    return _text(html[start:end if end > 0 else len(html)])


def _flat(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------ renders (once per module)
_CACHE: dict[tuple[str, str], object] = {}


def _render(renderer: str, kind: str, tmp_path_factory):
    if renderer == "quarto" and shutil.which("quarto") is None:
        print(f"SKIPPED: {QUARTO_MISSING}")
        pytest.skip(QUARTO_MISSING)
    key = (renderer, kind)
    if key not in _CACHE:
        from bsc_toolkit.history import simulate_history
        from bsc_toolkit.scorecard import load_example

        sc = load_example("retail")
        out = tmp_path_factory.mktemp(f"{kind}-{renderer}")
        kw: dict = {}
        if kind == "client":
            kw["history"] = simulate_history(sc, n_units=3, n_periods=8, seed=1).history
            kw["critique"] = "# Review\n\nThe scorecard is **well balanced**; see <b>bold</b> claims.\n"
        _CACHE[key] = build_report(sc, kind=kind, evidence=FULL, out_dir=out, formats=("html", "pdf", "docx"),
                                   renderer=renderer, **kw)
    return _CACHE[key]


@pytest.fixture(scope="module")
def render(tmp_path_factory):
    return lambda renderer, kind: _render(renderer, kind, tmp_path_factory)


@pytest.fixture(scope="module")
def evidence() -> dict:
    return json.loads(FULL.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ both renderers, every kind
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("renderer", RENDERERS)
def test_outputs_written_and_nothing_left_behind(render, renderer, kind):
    res = render(renderer, kind)
    assert res.renderer == ("quarto" if renderer == "quarto" else "pandoc+typst")
    assert set(res.outputs) == {"html", "pdf", "docx"}
    for p in res.outputs.values():
        assert p.parent == res.qmd.parent and p.stat().st_size > 1000
    assert res.outputs["pdf"].read_bytes().startswith(b"%PDF")
    folder = res.qmd.parent
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".bsc-report-")]
    # no renderer warning (Quarto's warnings are collected into the result and shown to the user)
    assert not [w for w in res.warnings if w.startswith(("quarto:", "pandoc:"))], res.warnings


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("renderer", RENDERERS)
def test_every_badge_has_a_coloured_style(render, renderer, kind):
    """Bootstrap's .badge (Quarto) has white text and no background: every badge class needs ours."""
    res = render(renderer, kind)
    html = res.outputs["html"].read_text(encoding="utf-8")
    css = " ".join(re.findall(r"<style[^>]*>(.*?)</style>", html, flags=re.S))
    used = set(re.findall(r'class="badge ([a-z-]+)"', html))
    assert used, "the report has badges"
    for cls in used:
        rule = re.search(rf"\.badge\.{re.escape(cls)}\s*\{{([^}}]*)\}}", css)
        assert rule is not None, f"no style for .badge.{cls}"
        assert re.search(r"background(-color)?:\s*#[0-9a-fA-F]{6}", rule.group(1)), cls
        assert re.search(r"(?<!-)color:\s*#", rule.group(1)), cls
    # every badge carries its letter (readable without colour)
    n_badges = len(re.findall(r'class="badge [a-z-]+"', html))
    assert len(re.findall(r'class="badge-letter"', html)) == n_badges
    # Word: every badge is a shaded run
    with zipfile.ZipFile(res.outputs["docx"]) as z:
        doc = z.read("word/document.xml").decode("utf-8")
    assert len(re.findall(r'<w:shd w:val="clear" w:color="auto" w:fill="[0-9A-F]{6}"/><w:b/>', doc)) >= n_badges


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("renderer", RENDERERS)
def test_every_local_link_resolves(render, renderer, kind):
    res = render(renderer, kind)
    html = res.outputs["html"].read_text(encoding="utf-8")
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    folder = res.qmd.parent
    links = re.findall(r'<(?:a|link)\b[^>]*\bhref="([^"]*)"', html) + re.findall(r'<img\b[^>]*\bsrc="([^"]*)"', html)
    local = [u for u in links if not re.match(r"^(https?:|mailto:|data:)", u)]
    assert local, "the report has internal links (cross references, other formats)"
    for u in local:
        if u.startswith("#"):
            assert u[1:] in ids, f"anchor {u} has no target"
        else:
            assert (folder / unescape(u).split("#")[0]).is_file(), f"{u} does not exist next to the HTML"
    # "Other formats" lists exactly the files written, labelled by what they are
    for name, label in (("index.pdf", "PDF"), ("index.docx", "Word")):
        m = re.search(rf'<a[^>]*href="{name}"[^>]*>(.*?)</a>', html, flags=re.S)
        assert m is not None and label in re.sub(r"<[^>]+>", "", m.group(1)), name
    assert "Typst" not in _text(html)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("renderer", RENDERERS)
def test_pdf_has_every_row_and_no_hyphenated_values(render, renderer, kind, evidence):
    res = render(renderer, kind)
    text = pdf_text(res.outputs["pdf"])
    flat = _flat(text)
    if kind in ("validation", "client"):
        for lk in evidence["links"]:
            cell = effect_cell(lk)
            if cell != "–":
                assert cell in flat, f"row {lk['from']} -> {lk['to']} ({cell}) missing from the PDF text"
        # every caveat is printed where the verdict is read
        for lk in evidence["links"]:
            for c in lk.get("caveats") or []:
                assert _flat(c) in flat, c
    if kind == "handout":
        assert flat.count("→") >= 18  # the rationale table: one row per link, all there
    # no value or verdict broken over two lines
    assert not re.search(r"<\s*\n\s*0\.0", text)
    assert not re.search(r"\b(sup|suppor|contra|contradic|insuf|insuffi|suffi|ported)-\n", text)
    assert not re.search(r"\d-\n\d", text)
    assert "< 0.001" not in flat  # one style: <0.001


@pytest.mark.parametrize("kind", KINDS)
def test_both_renderers_agree_on_length(render, kind):
    pages = {r: pdf_pages(render(r, kind).outputs["pdf"]) for r in RENDERERS}
    assert pages["quarto"] <= 1.3 * pages["pandoc"] and pages["pandoc"] <= 1.3 * pages["quarto"], pages


# ------------------------------------------------------------------ validation report content
@pytest.mark.parametrize("renderer", RENDERERS)
def test_validation_first_page(render, renderer, evidence):
    res = render(renderer, "validation")
    need_pdftotext()
    page1 = _flat(subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(res.outputs["pdf"]), "-"],
                                 capture_output=True, text=True, check=True).stdout)
    assert "9 supported, 2 contradicted, 3 not supported, 2 insufficient data" in page1
    html = res.outputs["html"].read_text(encoding="utf-8")
    text = _text(html)
    # the map comes straight after the summary, before the findings
    assert html.index('id="fig-strategy-map"') < html.index('id="sec-findings"') < html.index('id="sec-reading"')
    findings = _section(html, "sec-findings")
    # plain words, effects in the KPIs' units: +212 EUR per percentage point of on-shelf availability
    assert "1 pp more On-shelf availability is followed by +212 EUR Average basket value" in findings
    assert "cumulative effect over the lag window" in findings and "long-run multiplier" in findings
    assert "fragile" in text and "holds in 5 of 12 specifications; differencing turns it not supported" in text
    assert "Unstable dynamics" in text  # the flag on the first page
    assert "long-run effect" not in text.lower()  # the sum of lag coefficients is never called that
    # exploratory suggestions are one compact appendix table, the explanation said once
    assert html.index('id="sec-suggestions"') > html.index('id="sec-appendix"')
    assert text.count("not hypothesised in the scorecard") == 1
    assert len(_body_rows(_table(html, "tbl-suggestions"))) == 2


@pytest.mark.parametrize("renderer", RENDERERS)
def test_validation_numbers_match_evidence(render, renderer, evidence):
    html = render(renderer, "validation").outputs["html"].read_text(encoding="utf-8")
    rows = _body_rows(_table(html, "tbl-links"))
    assert len(rows) == len(evidence["links"]) == 16
    for row, lk in zip(rows, evidence["links"], strict=True):
        cells = _cells(row)
        assert cells[3] == effect_cell(lk)
        assert cells[4] == fmt_p(lk["q_value"])
        assert cells[5].split(" ", 1)[1] == lk["verdict"].replace("_", " ")
    # numbers formatted from the file by the one formatter
    assert effect_cell(evidence["links"][0]) == "+0.495 [0.253, 0.738]"
    assert effect_cell(evidence["links"][8]) == "+212 [134, 291]"  # KPI scale: no 2.12e+02
    assert not re.search(r"\d\.?\d*e[+-]\d", _text(html))
    # caveat marks in the table, the texts under it
    nick = [c for c in _cells(rows[0])][-1]
    assert nick == "[1]" and _cells(rows[1])[-1] == "[1], [2]"
    text = _text(html)
    assert "[1] Nickell bias" in text and "[2] feedback" in text
    # robustness column: label and share
    assert "R robust 10/12" in _cells(rows[0])[6] and "F fragile 5/12" in _cells(rows[12])[6]


@pytest.mark.parametrize("renderer", RENDERERS)
def test_validation_sections_and_details(render, renderer):
    html = render(renderer, "validation").outputs["html"].read_text(encoding="utf-8")
    text = _text(html)
    for sec in ("sec-findings", "sec-reading", "sec-links", "sec-robustness", "sec-method", "sec-data",
                "sec-drivers", "sec-chains", "sec-caveats", "sec-appendix", "sec-suggestions"):
        assert f'id="{sec}"' in html, sec
    for phrase in ("own previous 1 value(s)", "clustered by unit", "Benjamini–Hochberg", "16 links were tested",
                   "Correlation is not causation", "Not computed: the evidence contains no driver models",
                   # the data summary
                   "a panel of 40 units over 24 quarterly periods, 2020Q1 to 2025Q4 from history.csv",
                   "3 gaps in the period grid (2 units affected)", "currency signs and thousands separators removed",
                   "Training hours", "1%",
                   # per link: transform and why, rows used and dropped
                   "880 rows; 12 dropped (missing)", "unstable dynamics: explosive own lags"):
        assert phrase in text, phrase
    details = _body_rows(_table(html, "tbl-details"))
    assert len(details) == 16
    assert "+0.990 [0.590, 1.39]" in _cells(details[0])[5]  # long-run multiplier where present
    # cross references resolved, captions numbered
    assert "?@" not in text
    assert re.search(r'<a href="#tbl-links"[^>]*>Table\s*\d+</a>', html)
    assert re.search(r'<a href="#fig-coefficients"[^>]*>Figure\s*\d+</a>', html)
    for fig in ("fig-strategy-map", "fig-coefficients", "fig-lag-profiles", "fig-robustness"):
        m = re.search(rf'<(figure|div)[^>]*id="{fig}".*?</(figure|div)>', html, flags=re.S)
        assert m is not None and ("data:image/svg+xml" in m.group(0) or "<svg" in m.group(0)), fig
    assert 'src="figures/' not in html  # self-contained


def test_old_evidence_without_new_keys_still_renders(tmp_path):
    """Evidence written before robustness / data summaries existed degrades gracefully."""
    from bsc_toolkit.scorecard import load_example

    res = build_report(load_example("retail"), kind="validation", evidence=EVIDENCE, out_dir=tmp_path,
                       formats=("html",), renderer="pandoc")
    text = _text(res.outputs["html"].read_text(encoding="utf-8"))
    assert "Key findings" in text and "Robustness across specifications" not in text
    assert "The links were tested on a panel of 40 units over 24 quarterly periods" in text


@pytest.mark.parametrize("renderer", RENDERERS)
def test_docx_content(render, renderer):
    with zipfile.ZipFile(render(renderer, "validation").outputs["docx"]) as z:
        assert z.testzip() is None
        doc = z.read("word/document.xml").decode("utf-8")
        media = [n for n in z.namelist() if n.startswith("word/media/")]
    text = re.sub(r"<[^>]+>", "", doc)
    assert "Evidence per link" in text and "Caveats for non-statisticians" in text
    assert "+0.495 [0.253, 0.738]" in text
    assert any(n.endswith(".png") for n in media)  # PNG figures, not SVG, in Word


# ------------------------------------------------------------------ client and handout
@pytest.mark.parametrize("renderer", RENDERERS)
def test_client_report(render, renderer):
    res = render(renderer, "client")
    html = res.outputs["html"].read_text(encoding="utf-8")
    text = _text(html)
    assert "Executive summary" in text and "The scorecard by perspective" in text and "Key findings" in text
    fin = _body_rows(_table(html, "tbl-financial"))
    assert len(fin) == 4  # F1 and F2 have two KPIs each
    assert re.search(r'class="badge status-(green|amber|red|no-data)"', fin[0])
    assert len(_body_rows(_table(html, "tbl-initiatives"))) == 3
    assert "latest values in the KPI history" in text
    assert {"status_dashboard", "kpi_trends", "strategy_map"} <= set(res.figures)
    # the critique is included, its raw HTML removed
    assert "Review of the scorecard" in text and "<strong>well balanced</strong>" in html
    assert "<b>bold</b>" not in html
    # OKRs follow the evidence: C2's driver link from P1 is supported, L3 -> P1 (contradicted) is never a driver
    okrs = _section(html, "sec-okrs")
    assert "latest actual" in okrs and "Driver (supported by the data)" in okrs
    assert "Driver (supported by the data): Raise Share of assortment" not in okrs and "untested" not in okrs


@pytest.mark.parametrize("renderer", RENDERERS)
def test_handout(render, renderer):
    html = render(renderer, "handout").outputs["html"].read_text(encoding="utf-8")
    text = _text(html)
    for sec in ("sec-perspectives", "sec-indicators", "sec-chain", "sec-exercises"):
        assert f'id="{sec}"' in html, sec
    assert len(_body_rows(_table(html, "tbl-indicators"))) == 17
    assert "This scorecard has 11 leading and 6 lagging KPIs" in text
    ex = re.search(r'id="sec-exercises".*?<ol[^>]*>(.*?)</ol>', html, flags=re.S)
    assert ex is not None and len(re.findall(r"<li>", ex.group(1))) >= 5


def test_quarto_required_but_missing(tmp_path, monkeypatch):
    from bsc_toolkit.errors import MissingDependencyError
    from bsc_toolkit.scorecard import load_example

    monkeypatch.setattr("bsc_toolkit.report.builder.quarto_path", lambda: None)
    with pytest.raises(MissingDependencyError, match="Quarto CLI is not on PATH"):
        build_report(load_example("retail"), kind="handout", out_dir=tmp_path, renderer="quarto")


def test_quarto_warnings_reach_the_user(tmp_path):
    """A warning Quarto prints (here: a raw HTML table it cannot parse) is returned, one readable line."""
    if shutil.which("quarto") is None:
        print(f"SKIPPED: {QUARTO_MISSING}")
        pytest.skip(QUARTO_MISSING)
    from bsc_toolkit.report.render import render_quarto, renderer_warnings

    line = ("\x1b[33mWARNING (/q/src/resources/filters/./normalize/astpipeline.lua:188) Unable to parse table "
            "from raw html block: skipping.\x1b[39m")
    assert renderer_warnings(line, "quarto") == ["quarto: Unable to parse table from raw html block: skipping."]
    qmd = tmp_path / "index.qmd"
    qmd.write_text("---\ntitle: T\n---\n\n```{=html}\n<table><tr><td>1</td><tbody></tr></table>\n```\n",
                   encoding="utf-8")
    warnings: list[str] = []
    out = render_quarto(qmd, ["html"], warnings=warnings, timeout=300)
    assert out["html"].is_file()
    assert any(w.startswith("quarto: ") and "table" in w.lower() for w in warnings), warnings


TALL_CARD = """
name: Four lanes, one objective each
objectives:
- {id: F1, perspective: financial, name: Higher wages, kpis: [{id: lwage, name: Log hourly wage, unit: log USD, direction: up, indicator: lagging}]}
- {id: C1, perspective: customer, name: Union coverage, kpis: [{id: union, name: Union member, unit: share, direction: up, indicator: lagging}]}
- {id: P1, perspective: internal_process, name: Hours worked, kpis: [{id: hours, name: Annual hours, unit: hours, direction: up, indicator: leading}]}
- {id: L1, perspective: learning_growth, name: Experience, kpis: [{id: exper, name: Experience, unit: years, direction: up, indicator: leading}]}
links:
- {from: P1, to: F1, sign: positive, lags: [1]}
- {from: C1, to: F1, sign: positive, lags: [1]}
- {from: L1, to: P1, sign: positive, lags: [1]}
"""


def test_a_tall_strategy_map_stays_on_the_first_page(tmp_path):
    """A map of four narrow lanes is taller than wide: sized so that summary, map and the first
    findings share page 1 instead of leaving it almost empty (seen on linearmodels' wage_panel)."""
    from bsc_toolkit.evidence import validate
    from bsc_toolkit.history import simulate_history
    from bsc_toolkit.report.builder import _svg_aspect
    from bsc_toolkit.scorecard import parse_scorecard

    sc = parse_scorecard(TALL_CARD)
    ev = validate(sc, simulate_history(sc, n_units=20, n_periods=16, seed=2).history, robustness=False,
                  discovery=False, drivers=False, chains=False)
    res = build_report(sc, kind="validation", evidence=ev, out_dir=tmp_path / "r", formats=("pdf",),
                       renderer="pandoc")
    aspect = _svg_aspect(tmp_path / "r" / "figures" / "strategy_map.svg")
    assert aspect is not None and aspect < 1  # taller than wide
    width = re.search(r"strategy_map\.svg\)\{#fig-strategy-map width=\"(\d+)%\"\}", res.qmd.read_text(encoding="utf-8"))
    assert width and 35 <= int(width.group(1)) < 80
    need_pdftotext()
    page1 = _flat(subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(res.outputs["pdf"]), "-"],
                                 capture_output=True, text=True, check=True).stdout)
    assert "Summary" in page1 and "Figure 1" in page1 and "Key findings" in page1, page1[:400]

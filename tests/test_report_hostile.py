"""Hostile text in reports (issue 18), with the pandoc + typst fallback and with the real Quarto CLI.

A scorecard name, a ``--title``, a narrative and a critique are written by users or an LLM:
they are data. Each payload below once ran: Quarto shortcodes in the front matter put an
environment variable into the HTML ``<title>`` and the DOCX properties; raw ``{=html}``
blocks, link/code/heading attributes reached the HTML as live markup; raw typst embedded the
report source in the PDF (and a loop hung the render); a citation broke the PDF. Rendering is
bounded: typst and Quarto run in killable subprocesses with a time limit, and the staging
folder is removed on every exit path, SIGTERM included.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from bsc_toolkit.errors import RenderError
from bsc_toolkit.report import build_report
from bsc_toolkit.report._markdown import WORD_JOINER, md_escape, sanitize_markdown

SECRET = "sk-TEST-SECRET-4242"
NARRATIVE = """\
# Reading {onclick=alert(1)}

Fine **text** with a [web link](https://example.org){onclick=alert(2) style="color:red"} and
`x`{onmouseover=alert(3)} and `<script>alert(4)</script>`{=html} and raw typst
`#read("index.qmd")`{=typst} and a loop `#while true { }`{=typst}.

See [@smith2020, p. 3] and @fig-strategy-map.

Shortcodes: {{< env BSC_HOSTILE_SECRET >}} and {{< meta title >}} and {{< include index.qmd >}}.

```{=html}
<iframe src="https://evil.example"></iframe>
```

```{=typst}
#read("index.qmd")
```

<img src=x onerror=alert(5)>
"""
TITLE = "Acme {{< env BSC_HOSTILE_SECRET >}} {{< meta subtitle >}} `#read(\"x\")`{=typst}"
QUARTO_MISSING = "the Quarto CLI is not on PATH (make test puts ../shared/tools/quarto there); fallback tested"


@pytest.fixture(scope="module", params=["pandoc", "quarto"])
def hostile(request, tmp_path_factory):
    if request.param == "quarto" and shutil.which("quarto") is None:
        print(f"SKIPPED: {QUARTO_MISSING}")
        pytest.skip(QUARTO_MISSING)
    from bsc_toolkit.scorecard import load_example
    from bsc_toolkit.scorecard.model import Scorecard

    data = load_example("retail").to_dict()
    data["name"] = "Name {{< env BSC_HOSTILE_SECRET >}}"
    sc = Scorecard.model_validate(data)
    old = os.environ.get("BSC_HOSTILE_SECRET")
    os.environ["BSC_HOSTILE_SECRET"] = SECRET
    try:
        out = tmp_path_factory.mktemp(f"hostile-{request.param}")
        ev = Path(__file__).resolve().parent / "data" / "evidence_retail_full.json"
        res = build_report(sc, kind="client", evidence=ev, out_dir=out, formats=("html", "pdf", "docx"),
                           renderer=request.param, narrative=NARRATIVE, critique=NARRATIVE, title=TITLE)
    finally:
        if old is None:
            os.environ.pop("BSC_HOSTILE_SECRET", None)
        else:
            os.environ["BSC_HOSTILE_SECRET"] = old
    return request.param, res


def _docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))


def _pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian package poppler-utils) is not installed; the PDF text checks need it")
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return out.replace("\u2060", "")


def test_no_shortcode_runs_in_metadata_or_body(hostile):
    _, res = hostile
    html = res.outputs["html"].read_text(encoding="utf-8")
    assert SECRET not in html  # title from --title, scorecard name in the body and the map, narrative
    assert SECRET not in _docx_text(res.outputs["docx"])  # the document and its properties (docProps/core.xml)
    assert SECRET not in _pdf_text(res.outputs["pdf"])
    title = re.search(r"<title>(.*?)</title>", html, flags=re.S).group(1)
    assert "env BSC_HOSTILE_SECRET" in title.replace(WORD_JOINER, "")  # shown as text
    # {{< meta ... >}} and {{< include ... >}} did not run either: no copy of the subtitle or the source
    assert "meta subtitle" in title.replace(WORD_JOINER, "")
    assert "bsc-kind" not in html and "include-in-header" not in html


def test_no_live_markup_from_narrative(hostile):
    _, res = hostile
    html = res.outputs["html"].read_text(encoding="utf-8")
    body = html.split("<body", 1)[1]
    low = body.lower()
    assert not re.search(r"<[^>]*alert\(", body)  # in no tag or attribute
    assert not re.search(r"<script[^>]*>[^<]*alert", low)  # in no script
    for attr in ("onclick", "onmouseover", "onerror"):
        assert not re.search(rf"<[^>]+\s{attr}\s*=", body, flags=re.I), attr
    assert "<iframe" not in low and "evil.example" not in low
    assert not re.search(r'<a[^>]*href="https://example\.org"[^>]*style=', body)
    assert re.search(r'<a[^>]*href="https://example\.org"', body)  # the safe link survives


def test_raw_typst_and_citations_in_pdf(hostile):
    _, res = hostile
    text = _pdf_text(res.outputs["pdf"])
    assert "bsc-kind" not in text and "bsc-colours" not in text  # the report source was not read into the PDF
    assert "@smith2020" in text  # a citation is printed as text, not resolved (and no error)


def test_md_escape_and_sanitizer_units():
    esc = md_escape("{{< env KEY >}}")
    assert "{{" not in esc and "}}" not in esc and WORD_JOINER in esc
    for payload, gone in [
        ("`<script>alert(1)</script>`{=html}", "script"),
        ("[t](https://x){onclick=alert(1)}", "onclick"),
        ("`x`{onmouseover=alert(1)}", "onmouseover"),
        ("# H {onclick=alert(1)}", "onclick"),
        ("`#read(\"index.qmd\")`{=typst}", "read"),
        ("{{< env HOME >}}", "{{"),
    ]:
        assert gone not in sanitize_markdown(payload), payload
    # a citation stays text: a word joiner after "@" means no citation or cross reference can form
    assert sanitize_markdown("see [@smith2020, p. 3]").strip() == "see \\[@" + WORD_JOINER + "smith2020, p. 3\\]"


def test_typst_loop_is_stopped_at_the_time_limit(tmp_path):
    from bsc_toolkit.report.render import compile_typst

    t0 = time.perf_counter()
    with pytest.raises(RenderError, match=r"did not finish within 3 s and was stopped"):
        # a nested loop: typst's own infinite-loop guard does not catch it (it once hung the render forever)
        compile_typst("#for i in range(100000) { for j in range(100000) { } }\n", tmp_path / "loop.pdf", tmp_path,
                      timeout=3)
    assert time.perf_counter() - t0 < 30
    assert list(tmp_path.iterdir()) == []  # no half-written PDF, no temporary source


def test_render_timeout_is_configurable(monkeypatch):
    from bsc_toolkit.report.render import render_timeout

    monkeypatch.setenv("BSC_RENDER_TIMEOUT", "12.5")
    assert render_timeout() == 12.5 and render_timeout(3) == 3.0
    monkeypatch.setenv("BSC_RENDER_TIMEOUT", "soon")
    with pytest.raises(RenderError, match="BSC_RENDER_TIMEOUT must be a number of seconds, got 'soon'"):
        render_timeout()


def test_sigterm_removes_the_staging_folder(tmp_path):
    """A SIGTERM while rendering leaves neither the staging folder nor a half report behind."""
    out = tmp_path / "report"
    out.mkdir()
    (out / "index.html").write_text("OLD REPORT", encoding="utf-8")
    code = ("from bsc_toolkit.report import build_report\n"
            f"build_report('retail', kind='handout', out_dir={str(out)!r}, formats=('html', 'pdf', 'docx'), "
            "renderer='pandoc')\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(out.glob(".bsc-report-*")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the build ended before it could be interrupted"
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert not list(out.glob(".bsc-report-*"))
    assert (out / "index.html").read_text(encoding="utf-8") == "OLD REPORT"

"""Every caveat of a verdict reaches every place the verdict is read (issue 10, item 3):
the console (``bsc validate``), the validation report (HTML and the PDF's text, pandoc + typst),
and the strategy map (a mark on the edge, the sentence in its tooltip, the mark in the legend).

The evidence is real: a short panel with own lags (Nickell caveat), BIC-chosen lags (selection
caveat), a trend-free series forced into levels next to random walks (unit-root qualifier), and a
reversed link that discovery flags (feedback caveat).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape

import numpy as np
import pytest
from _evidence_helpers import history_from_arrays, two_kpi_scorecard

from bsc_toolkit.evidence import validate

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not on PATH")


def _flat(text: str) -> str:
    """Whitespace collapsed, soft hyphens and invisible joiners gone (PDF text wraps lines)."""
    text = text.replace("\u00ad", "").replace("\u200b", "").replace("\u2060", "").replace("\u2212", "-")
    return " ".join(text.split())


def _key(caveat: str) -> str:
    """The first 60 characters of a caveat: enough to identify it, short enough to survive wrapping."""
    return _flat(caveat)[:60]


@pytest.fixture(scope="module")
def evidence():
    rng = np.random.default_rng(12)
    N, T = 25, 18
    a = rng.normal(size=(N, 1))
    x = np.zeros((N, T))
    y = np.zeros((N, T))
    w = np.cumsum(rng.normal(size=(N, T)), axis=1) + 5  # random walks
    v = np.cumsum(rng.normal(size=(N, T)), axis=1)
    ex, ey = rng.normal(size=(N, T)), rng.normal(size=(N, T))
    for t in range(1, T):
        x[:, t] = 0.5 * x[:, t - 1] + 0.5 * y[:, t - 1] + ex[:, t]  # y drives x (reverse)
        y[:, t] = 0.5 * y[:, t - 1] + ey[:, t]
    h = history_from_arrays({"x": x + a, "y": y + 2 * a, "w": w, "v": v})
    card = two_kpi_scorecard([{"from": "L1", "to": "F1", "sign": "positive", "lags": [1]},
                              {"from": "P1", "to": "C1", "sign": "positive"}])
    ev = validate(card, h, transform="none", chains=False, drivers=False)
    caveats = sorted({c for lk in ev.links for c in lk.caveats})
    assert len(caveats) >= 3, caveats  # the scenario produces several kinds
    kinds = " ".join(caveats)
    assert "Nickell bias" in kinds and "chosen by BIC" in kinds and "unit root not ruled out" in kinds
    return card, h, ev, caveats


def test_every_caveat_is_in_the_console_text(evidence):
    _, _, ev, caveats = evidence
    text = _flat(ev.summary)
    for c in caveats:
        assert _key(c) in text, c
    # and each link row carries the numbers of its caveats
    assert "Caveats (numbered in the table):" in ev.summary


def test_every_caveat_is_in_the_report_html_and_pdf(evidence, tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian package poppler-utils) is not installed; the PDF text check needs it")
    from bsc_toolkit.report import build_report

    card, h, ev, caveats = evidence
    res = build_report(card, kind="validation", evidence=ev, history=h, out_dir=tmp_path / "rep",
                       formats=("html", "pdf"), renderer="pandoc")
    html = _flat(unescape(re.sub(r"<[^>]+>", " ", res.outputs["html"].read_text(encoding="utf-8"))))
    pdf = _flat(subprocess.run(["pdftotext", "-enc", "UTF-8", str(res.outputs["pdf"]), "-"],
                               capture_output=True, text=True, check=True).stdout)
    for c in caveats:
        assert _key(c) in html, ("html", c)
        assert _key(c)[:40] in pdf, ("pdf", c)


def test_every_caveat_is_on_the_map(evidence):
    from bsc_toolkit.strategy_map import strategy_map

    card, _, ev, caveats = evidence
    m = strategy_map(card, ev)
    dot = _flat(unescape(m.source))
    for c in caveats:
        assert _key(c)[:50] in dot, c  # the sentence, in the edge's tooltip
    assert "\u26a0" in dot  # the mark on the edge
    assert any("\u26a0" in mark for mark, _ in m.legend)  # and explained in the legend

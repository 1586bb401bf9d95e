"""What users read in the notebooks: prose that matches the map, no test scaffolding, readable output.

* every word about how the map looks (colours, line styles, arrowheads) in a notebook's prose is a
  word of the legend the map itself prints (so "solid green" cannot describe a blue arrow);
* no test markers (``# NBVAL_...``), no fake-server code in any cell; notebook 01 shows how to point
  at a real endpoint;
* printed file paths name their folder; no raw Markdown headings printed as text; numbers in tables
  and widgets come from the shared formatter (no ``0.000`` q-values, no ``1.2e-07``);
* ``nbconvert --to html`` of the stored notebooks shows every widget's snapshot, never a widget repr,
  and the repository stores no widget state.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"
ALL = (sorted(NB_DIR.glob("[0-9]*.ipynb")) + sorted((NB_DIR / "course" / "solutions").glob("c[0-9]*.ipynb"))
       + sorted((NB_DIR / "course").glob("c[0-9]*.ipynb")))
VIEW = "application/vnd.jupyter.widget-view+json"

#: words that describe how a map looks; each one used in prose must be a word of the map's legend
LOOK_WORDS = ("blue", "green", "red", "vermillion", "orange", "grey", "gray", "purple", "pink", "yellow",
              "black", "solid", "dashed", "dotted", "thick", "thicker", "thin", "hollow", "filled",
              "lighter", "bar", "circle", "diamond", "cross", "badge", "white")


def _nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _src(cell: dict) -> str:
    s = cell["source"]
    return "".join(s) if isinstance(s, list) else s


def _stream(nb: dict) -> str:
    return "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", [])
                   if o["output_type"] == "stream")


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def _all_legend_text() -> str:
    """Every legend row any map can show (all arrow kinds, marks, statuses, directions)."""
    from bsc_toolkit.strategy_map import EDGE_STYLES, strategy_map

    rows = [s.legend for s in EDGE_STYLES.values()]
    m = strategy_map("retail", NB_DIR.parent / "tests" / "data" / "evidence_retail_robustness.json")
    rows += [meaning for _, meaning in m.legend]
    return "\n".join(rows)


def _look_words_in_prose(nb: dict) -> set[str]:
    prose = "\n".join(_src(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    return _words(prose) & set(LOOK_WORDS)


def test_notebook_05_prose_uses_only_words_of_its_own_legend():
    """The text about the map is checked against the legend the notebook's map printed."""
    nb = _nb(NB_DIR / "05_strategy_map.ipynb")
    legend_cell = next(c for c in nb["cells"] if c["cell_type"] == "code" and "m.legend" in _src(c))
    printed = "".join("".join(o.get("text", "")) for o in legend_cell["outputs"])
    assert "supported (blue, solid" in printed  # the stored legend is the map's (nbval keeps it current)
    used = _look_words_in_prose(nb)
    assert used, "notebook 05 should say how the map looks"
    # a badge is explained by the legend's status row; "white" boxes are the objectives themselves
    missing = used - _words(printed) - {"white"}
    assert not missing, f"notebook 05 prose says {sorted(missing)}, which its map's legend does not show"


def _draws_a_map(path: Path) -> bool:
    return any("strategy_map(" in _src(c) for c in _nb(path)["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("path", [p for p in ALL if _draws_a_map(p)], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_prose_about_maps_matches_what_maps_draw(path):
    nb = _nb(path)
    missing = _look_words_in_prose(nb) - _words(_all_legend_text()) - {"white"}
    assert not missing, f"{path.name}: prose says {sorted(missing)}; no map legend uses these words"


#: how prose names each kind of arrow, longest first ("not supported" before "supported")
KINDS = (("insufficient data", "insufficient_data"), ("not supported", "not_supported"),
         ("contradicted", "contradicted"), ("supported", "supported"), ("candidate", "candidate"),
         ("fragile", "fragile"), ("reverse", "reverse"), ("untested", "untested"))


def clause_mismatches(prose: str) -> list[str]:
    """Look words said about an arrow kind ("supported: solid green") that its legend row does not use."""
    from bsc_toolkit.strategy_map import EDGE_STYLES

    text = prose.lower()
    out = []
    for phrase, key in KINDS:
        for m in re.finditer(rf"\b{phrase}\b", text):
            clause = re.split(r"[;.()\n]", text[m.end():], maxsplit=1)[0]
            said = _words(clause) & set(LOOK_WORDS)
            wrong = said - _words(EDGE_STYLES[key].legend)
            if wrong:
                out.append(f"{phrase}: {sorted(wrong)}")
        text = re.sub(rf"\b{phrase}\b", " ", text)  # "supported" must not match inside "not supported"
    return out


def test_the_check_catches_the_old_wrong_prose():
    """The sentence issue 19 found in notebook 05 fails the check; the legend's own words pass."""
    old = ("Arrow styles show the verdicts (supported: solid green; contradicted: red; not supported: grey "
           "dashed; insufficient data: dotted), objectives are filled with their status colours.")
    assert clause_mismatches(old) == ["not supported: ['dashed']", "contradicted: ['red']",
                                      "supported: ['green']"]
    assert clause_mismatches("supported: blue, solid; not supported: grey, thin, hollow head") == []


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_what_prose_says_about_each_arrow_kind_is_in_its_legend_row(path):
    prose = "\n".join(_src(c) for c in _nb(path)["cells"] if c["cell_type"] == "markdown")
    assert not clause_mismatches(prose), f"{path.name}: {clause_mismatches(prose)}"


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_test_scaffolding_in_what_users_read(path):
    for c in _nb(path)["cells"]:
        src = _src(c)
        assert "NBVAL" not in src, f"{path.name}: test marker in a cell"
        assert not re.search(r"fake_llm|FakeLLM|tests_dir|sys\.path\.insert", src), f"{path.name}: {src[:200]}"


def test_notebook_01_shows_how_to_reach_a_real_endpoint():
    nb = _nb(NB_DIR / "01_generate_a_scorecard.ipynb")
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code" and 'provider="auto"' in _src(c))
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "BSC_LLM_MODEL"):
        assert var in _src(cell)
    assert len(_src(cell).splitlines()) <= 10
    out = "".join("".join(o.get("text", "")) for o in cell["outputs"])
    # the stored run talked to the local stand-in through the real client: one repair, then a scorecard
    assert "answer 1 of at most" in out and "generator: openai | model: fake-model" in out


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_printed_paths_name_their_folder(path):
    out = _stream(_nb(path))
    for m in re.finditer(r"^(?:saved|wrote|\w+:) +(\S+\.(?:yaml|json|csv|svg|png|pdf|html|qmd|docx))\b", out, re.M):
        assert Path(m.group(1)).is_absolute() or "/" in m.group(1), f"{path.name}: {m.group(0)!r}"


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_markdown_printed_as_text(path):
    assert not re.search(r"^#{1,6} \S", _stream(_nb(path)), re.M), f"{path.name} prints raw Markdown"


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_tables_and_widgets_use_the_shared_number_format(path):
    """Tables (HTML outputs) and widget snapshots: no 0.000 and no exponent above 1e-6 (fmt_num's limit)."""
    for c in _nb(path)["cells"]:
        for o in c.get("outputs", []):
            html = "".join(o.get("data", {}).get("text/html", ""))
            if "<table" not in html:
                continue
            cells = re.findall(r"<td[^>]*>\s*([^<]*?)\s*</td>", html)
            assert not [x for x in cells if re.fullmatch(r"[-+]?0\.000+", x)], f"{path.name}: 0.000 in a table"
            assert not [x for x in cells if re.search(r"\de[-+]0[0-6]$", x)], f"{path.name}: exponent in a table"


def test_the_repository_stores_no_widget_state():
    for path in ALL:
        assert "widgets" not in _nb(path)["metadata"], f"{path.name}: stale widget state stored"


def _widget_outputs(nb: dict) -> list[dict]:
    return [o for c in nb["cells"] for o in c.get("outputs", []) if VIEW in o.get("data", {})]


def test_every_stored_widget_output_carries_its_snapshot():
    n = 0
    for path in ALL:
        for o in _widget_outputs(_nb(path)):
            n += 1
            html = "".join(o["data"]["text/html"])
            assert 'class="bsc-widget-snapshot"' in html, path.name
            assert not "".join(o["data"]["text/plain"]).startswith(("VBox(", "HBox(")), path.name
    assert n >= 5  # 02 dashboard, 03 link explorer, 04 lever, c5 power simulator (solved and student)


@pytest.mark.parametrize("path", [p for p in ALL if _widget_outputs(_nb(p))], ids=lambda p: p.name)
def test_html_export_of_the_stored_notebook_shows_the_widgets(path):
    """``jupyter nbconvert --to html`` on the notebook as stored (no kernel, no network, no widget state)."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(path, as_version=4)
    html, _ = HTMLExporter().from_notebook_node(nb, resources={"metadata": {"path": str(path.parent)}})
    widgets = _widget_outputs(_nb(path))
    assert html.count('class="bsc-widget-snapshot"') == len(widgets)
    for o in widgets:
        name = re.search(r'data-widget="(\w+)"', "".join(o["data"]["text/html"])).group(1)
        assert f'data-widget="{name}"' in html
    assert "VBox(children" not in html and "HBox(children" not in html
    assert "application/vnd.jupyter.widget-view+json" not in html  # nothing left for a CDN script to draw

"""Adversarial sweep, part 1: hostile scorecards, briefs and actuals files (issue 18, items 4, 5, 7, Low).

Each case is a file a careless user, a broken tool or an attacker could hand to
``bsc``. The contract (see ``_hostile_helpers``): exit 1 (2 for usage), ONE line
naming the file and the place (the line, the key), quoting at most ~200
characters of any value, no traceback, no "internal error", in bounded time, and
the content of a file that is not a scorecard is never shown.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from _hostile_helpers import assert_one_line, listing, run_cli

from bsc_toolkit import _limits
from bsc_toolkit.errors import ScorecardError, clip
from bsc_toolkit.scorecard import load_example, load_scorecard, parse_scorecard

EXAMPLES = Path(__file__).parents[1] / "bsc_toolkit" / "scorecard" / "examples"
RETAIL = (EXAMPLES / "retail.yaml").read_text(encoding="utf-8")
RETAIL_JSON = json.dumps(load_example("retail").to_dict(), indent=1)
SECRET_LINE = "OPENAI_API_KEY=sk-proj-LEAKED-9f8e7d6c5b4a39281706"


def _line_of(text: str, needle: str) -> int:
    """1-based line of the first occurrence of ``needle`` (computed, not copied from the output)."""
    return text[: text.index(needle)].count("\n") + 1


def _bomb(levels: int, key: str = "name") -> str:
    """A 'billion laughs' document: each anchor is a list of nine aliases of the previous one."""
    out = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        out.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 9) + "]")
    out.append(f"{key}: *l{levels - 1}")
    return "\n".join(out) + "\n"


def _bomb_line(levels: int, limit: int = 250_000) -> int:
    """The line of :func:`_bomb` where the expanded size first passes ``limit``, counted independently.

    The root mapping is 1 value; line i adds its key (1) and the list l(i-1): l0 holds 9 strings
    (size 10), every later list holds 9 copies of the previous one (size 1 + 9 x previous).
    """
    total, size = 1, 10
    for line in range(1, levels + 2):
        total += 1 + size
        if total > limit:
            return line
        size = 1 + 9 * size
    raise AssertionError("no line passes the limit")


def _with(old: str, new: str, text: str = RETAIL) -> str:
    assert old in text
    return text.replace(old, new, 1)


# ----------------------------------------------------------------- case table
# id -> (file name, content, extra argv, expected exit, words in the one line)
BOMB7 = _bomb(7)
DEEP_FLOW = "name: " + "[" * 10_000 + "]" * 10_000 + "\nobjectives: []\n"
DEEP_BLOCK = "name: x\nobjectives: []\nextra:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(60)) + \
    "  " * 61 + "leaf: 1\n"
DEEP_JSON = '{"name": "x", "objectives": ' + "[" * 100_000 + "]" * 100_000 + "}"
HUGE_NAME = _with("name: Northwind Retail\n", "name: " + "N" * 3_000_000 + "\n")
HUGE_KEY = _with("sector: retail\n", "? " + "k" * 1_000_000 + "\n: 1\n")  # explicit key: no 1,024 limit

CASES: dict[str, tuple[str, str, list[str], int, list[str]]] = {
    # --- alias bombs: refused at the alias that crosses the limit, in milliseconds
    "bomb-7-levels-name": ("bomb.yaml", BOMB7, [], 1, [f"bomb.yaml:{_bomb_line(7)}:", "250,000 values", "alias"]),
    "bomb-9-levels": ("bomb9.yaml", _bomb(9), [], 1, ["bomb9.yaml:", "aliases expanded"]),
    "bomb-in-objectives": ("bombobj.yaml", _bomb(8, "objectives"), [], 1, ["bombobj.yaml:", "aliases expanded"]),
    "bomb-mapping": ("bombmap.yaml",
                     "a: &a {x: 1, y: 1, z: 1, w: 1, v: 1, u: 1, t: 1, s: 1}\n"
                     + "".join(f"b{i}: &b{i} [" + ",".join([f"*{'a' if i == 0 else f'b{i - 1}'}"] * 12) + "]\n"
                               for i in range(6))
                     + "description: *b5\n", [], 1, ["bombmap.yaml:", "aliases expanded"]),
    "recursive-anchor": ("recursive.yaml", "name: &a [x, *a]\nobjectives: []\n", [], 1, ["recursive.yaml:1:"]),
    "undefined-alias": ("undef.yaml", "name: *nope\nobjectives: []\n", [], 1,
                        ["undef.yaml:1:", "malformed YAML", "undefined alias"]),
    # --- nesting depth: refused before any recursion
    "deep-flow-yaml": ("deepflow.yaml", DEEP_FLOW, [], 1, ["deepflow.yaml:1:", "nested deeper than 50 levels"]),
    "deep-block-yaml": ("deepblock.yaml", DEEP_BLOCK, [], 1, ["deepblock.yaml:", "nested deeper than 50 levels"]),
    "deep-json": ("deep.json", DEEP_JSON, [], 1, ["deep.json:1:", "nested deeper than 50 levels"]),
    # --- size
    "huge-file": ("huge.yaml", "# comment\n" * 500_000, [], 1, ["huge.yaml", "5,000,000 bytes", "4,194,304"]),
    # --- values are quoted in at most ~200 characters
    "huge-name": ("hugename.yaml", HUGE_NAME, [], 1,
                  ["hugename.yaml:1: name:", "at most 200 characters", "(3,000,000 characters)"]),
    "huge-direction": ("hugedir.yaml", _with("direction: up", "direction: " + "u" * 1_000_000), [], 1,
                       ["hugedir.yaml:", "`direction` must be one of", "(1,000,000 characters)"]),
    "huge-kpi-id": ("hugeid.yaml", _with("- id: lfl_sales_growth", "- id: " + "9" * 1_000_000 + "x"), [], 1,
                    ["hugeid.yaml:16: objectives[0].kpis[0].id:", "at most 64 characters", "(1,000,001 characters)"]),
    "huge-unknown-key": ("hugekey.yaml", HUGE_KEY, [], 1, ["hugekey.yaml:3:", "unknown key 'kkkk", "(1,000,000 characters)", "allowed here"]),
    # --- files that are not scorecards: their content is never shown
    "dotenv": (".env", SECRET_LINE + "\n", [], 1, [".env:1:", "line of text", "not shown"]),
    "pem-key": ("id_rsa", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n"
                "-----END OPENSSH PRIVATE KEY-----\n", [], 1, ["id_rsa:1:", "not shown"]),
    "csv-as-scorecard": ("table.yaml", "unit,period,sales\nA,2020,LEAKED-VALUE-1\n", [], 1,
                         ["table.yaml:1:", "table of KPI history", "--data"]),
    "secret-mapping": ("creds.yaml", "password: LEAKED-VALUE-1\ntoken: LEAKED-VALUE-2\n", [], 1,
                       ["creds.yaml:1:", "not a scorecard", "'password'"]),
    "number-file": ("pin.yaml", "123456789012\n", [], 1, ["pin.yaml:1:", "got a number"]),
    # --- duplicate keys: refused in YAML and JSON alike, with the line
    "dup-top-yaml": ("dup.yaml", _with("sector: retail\n", "sector: retail\nname: Other\n"), [], 1,
                     ["dup.yaml:4:", "duplicate key 'name'"]),
    "dup-kpi-yaml": ("dupkpi.yaml", _with("    unit: '%'\n", "    unit: '%'\n    unit: pct\n"), [], 1,
                     ["dupkpi.yaml:19:", "duplicate key 'unit'"]),
    "dup-top-json": ("dup.json", RETAIL_JSON.replace('"sector": "retail",', '"sector": "retail",\n "name": "B",', 1),
                     [], 1, ["dup.json:5:", "duplicate key 'name'"]),
    "dup-nested-json": ("dupn.json", RETAIL_JSON.replace('"unit": "%",', '"unit": "%",\n "unit": "x",', 1), [], 1,
                        ["dupn.json:", "duplicate key 'unit'"]),
    "unhashable-key": ("listkey.yaml", "? [a, b]\n: 1\nname: x\n", [], 1,
                       ["listkey.yaml:1:", "a key must be a plain value"]),
    # --- inf / nan / overflow: refused with the place
    "inf-target-yaml": ("inf.yaml", _with("target: 4.0", "target: .inf"), [], 1,
                        ["inf.yaml:22: objectives[0].kpis[0].target:", "finite number"]),
    "nan-baseline-yaml": ("nan.yaml", _with("baseline: 1.5", "baseline: .nan"), [], 1,
                          ["nan.yaml:21: objectives[0].kpis[0].baseline:", "finite number"]),
    "neg-inf-threshold": ("ninf.yaml", _with("thresholds: {red: 21.5", "thresholds: {red: -.inf"), [], 1,
                          ["ninf.yaml:", "objectives[1].kpis[1].thresholds.red:", "finite number"]),
    "overflow-string-weight": ("ovf.yaml", _with("    owner: CFO\n", "    owner: CFO\n    weight: 1e400\n"), [], 1,
                               ["ovf.yaml:", "objectives[0].kpis[0].weight:", "finite number"]),
    "huge-int-target": ("bigint.yaml", _with("target: 4.0", "target: " + "9" * 400), [], 1,
                        ["bigint.yaml:22: objectives[0].kpis[0].target:"]),
    "json-infinity": ("inf.json", RETAIL_JSON.replace('"target": 4.0', '"target": Infinity', 1), [], 1,
                      ["inf.json:", "objectives[0].kpis[0].target:", "finite number"]),
    "json-nan": ("nan.json", RETAIL_JSON.replace('"actual": 2.9', '"actual": NaN', 1), [], 1,
                 ["nan.json:", "objectives[0].kpis[0].actual:", "finite number"]),
    "json-1e999": ("e999.json", RETAIL_JSON.replace('"baseline": 1.5', '"baseline": 1e999', 1), [], 1,
                   ["e999.json:", "objectives[0].kpis[0].baseline:", "finite number"]),
    # --- other parser corners that used to end as "internal error"
    "python-tag": ("tag.yaml", "name: !!python/object/apply:os.system ['echo pwned']\n", [], 1,
                   ["tag.yaml:1:", "malformed YAML"]),
    "two-documents": ("two.yaml", "name: a\n---\nname: b\n", [], 1, ["two.yaml:2:", "malformed YAML"]),
    "nul-byte": ("nul.yaml", "name: a\x00b\n", [], 1, ["nul.yaml:1:", "character #x0000 is not allowed"]),
}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("hostile_parsers")
    for name, content, *_ in CASES.values():
        (d / name).write_text(content, encoding="utf-8")
    return d


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_hostile_scorecard_file(case, files, capsys, monkeypatch):
    name, _content, extra, expect, words = CASES[case]
    monkeypatch.chdir(files)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # no redaction: nothing may be echoed in the first place
    before = listing(files)
    code, out, err, seconds = run_cli(["lint", name, *extra], capsys)
    assert_one_line(code, err, expect=expect, words=words,
                    absent=["LEAKED", "sk-proj", "b3BlbnNzaC1rZXkt", "lollol", "pwned"])
    assert out == ""
    assert seconds < 10, f"took {seconds:.1f} s"
    assert listing(files) == before


def test_dup_lines_are_computed_from_the_file():
    """The line numbers the table expects are where the planted text is (guards the table itself)."""
    assert _line_of(CASES["dup-kpi-yaml"][1], "    unit: pct") == 19
    assert _line_of(CASES["dup-top-yaml"][1], "name: Other") == 4
    assert _line_of(CASES["huge-kpi-id"][1], "- id: 999") == 16
    assert _line_of(CASES["inf-target-yaml"][1], "target: .inf") == 22
    assert _line_of(CASES["nan-baseline-yaml"][1], "baseline: .nan") == 21
    assert _line_of(CASES["dup-top-json"][1], '"name": "B"') == 5
    assert _line_of(BOMB7, "name: *l6") == 8 and _bomb_line(7) == 6  # l5's definition already expands to 597,871


def test_alias_bomb_is_refused_fast_and_small():
    """A 7-level bomb (4.8 million expanded values) took 13 s and 2.2 GB before; now milliseconds."""
    import tracemalloc

    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(ScorecardError, match="aliases expanded"):
        parse_scorecard(_bomb(12), file="bomb.yaml")
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 1.0 and peak < 20_000_000, (seconds, peak)


def test_small_anchors_still_work():
    """Aliases are not banned: a document whose expanded size is small loads as if written out."""
    text = _with("thresholds: {red: 21.5, green: 19.5}", "thresholds: &th {red: 21.5, green: 19.5}")
    text = _with("    actual: 74.0\n", "    actual: 74.0\n    thresholds: *th\n", text)  # customer_retention
    sc = parse_scorecard(text)
    assert sc.kpi("customer_retention").thresholds == sc.kpi("opex_ratio").thresholds
    assert sc.kpi("customer_retention").thresholds.red == 21.5


def test_node_limit_counts_expansion_exactly(monkeypatch):
    """Expanded size = values written + copies made by aliases; the limit is on that number."""
    text = "a: &a [1, 2, 3]\nb: [*a, *a]\n"  # root 1 + keys 2 + list a (4) + list b (1 + 2 x 4) = 16
    from bsc_toolkit.scorecard import _yaml

    monkeypatch.setattr(_limits, "MAX_YAML_NODES", 16)
    assert _yaml.load_yaml(text)[0] == {"a": [1, 2, 3], "b": [[1, 2, 3], [1, 2, 3]]}
    monkeypatch.setattr(_limits, "MAX_YAML_NODES", 15)
    with pytest.raises(_yaml.DocumentError, match="more than 15 values"):
        _yaml.load_yaml(text)


def test_depth_limit_is_exact(monkeypatch):
    from bsc_toolkit.scorecard import _yaml

    monkeypatch.setattr(_limits, "MAX_YAML_DEPTH", 4)
    assert _yaml.load_yaml("a: [[[1]]]")[0] == {"a": [[[1]]]}  # mapping + 3 lists = 4 levels
    with pytest.raises(_yaml.DocumentError, match="deeper than 4"):
        _yaml.load_yaml("a: [[[[1]]]]")
    assert _yaml.load_json('{"a": [[[1]]]}') == {"a": [[[1]]]}
    with pytest.raises(_yaml.DocumentError, match="deeper than 4"):
        _yaml.load_json('{"a": [[[["[[[[[[[[["]]]]}')  # brackets inside strings do not count
    assert _yaml.load_json('{"a": [[["[[[[[[[[["]]]}') == {"a": [[["[[[[[[[[["]]]}


def test_size_limit_is_checked_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(_limits, "MAX_DOCUMENT_BYTES", 1000)
    p = tmp_path / "sc.yaml"
    p.write_text(RETAIL)
    with pytest.raises(ScorecardError, match=r"sc.yaml: the scorecard file is [\d,]+ bytes; at most 1,000"):
        load_scorecard(p)


def test_mostly_comment_file_under_the_limit_lints_fast(tmp_path, capsys):
    """A 4 MB mostly-comment scorecard (the issue measured 158 s for 50 MB) lints in a few seconds."""
    comment = "# " + "padding " * 12 + "\n"
    n = (_limits.MAX_DOCUMENT_BYTES - len(RETAIL.encode())) // len(comment) - 10
    p = tmp_path / "padded.yaml"
    p.write_text(comment * n + RETAIL, encoding="utf-8")
    assert p.stat().st_size > 0.95 * _limits.MAX_DOCUMENT_BYTES
    code, out, err, seconds = run_cli(["lint", str(p)], capsys)
    assert code == 0 and "Lint of 'Northwind Retail'" in out, err
    assert seconds < 5, f"{seconds:.1f} s"


def test_thousand_objectives_lint_fast(tmp_path, capsys):
    """1,000 objectives and 3,000 links (the issue measured 22 s): id lookups are indexed, not scanned."""
    import random

    rnd = random.Random(1)
    persp = ["learning_growth", "internal_process", "customer", "financial"]
    objs = [{"id": f"O{i}", "perspective": persp[i % 4], "name": f"Objective {i}",
             "kpis": [{"id": f"k{i}", "name": f"KPI {i}", "direction": "up", "baseline": 1, "target": 2}]}
            for i in range(1000)]
    links: set[tuple[int, int]] = set()
    while len(links) < 3000:
        a, b = rnd.randrange(1000), rnd.randrange(1000)
        if a % 4 < b % 4:
            links.add((a, b))
    data = {"name": "Big", "objectives": objs, "links": [{"from": f"O{a}", "to": f"O{b}"} for a, b in sorted(links)]}
    p = tmp_path / "big.json"
    p.write_text(json.dumps(data))
    code, out, err, seconds = run_cli(["lint", str(p)], capsys)
    assert code == 0, err
    assert "1000 objective" in out.replace(",", "") or "objectives-per-perspective" in out
    assert seconds < 8, f"{seconds:.1f} s"


def test_lookups_stay_correct_on_copies():
    """The id index is per objectives tuple: a modified copy never answers from the original's index."""
    sc = load_example("retail")
    assert sc.kpi_for("F1").actual == 2.9  # builds the index on the original
    changed = sc.with_actuals({"lfl_sales_growth": 3.5})
    assert changed.kpi_for("F1").actual == 3.5 and sc.kpi_for("F1").actual == 2.9
    assert changed == sc.with_actuals({"lfl_sales_growth": 3.5}) and changed != sc
    assert "_bsc_lookup" not in changed.model_dump() and "_bsc_lookup" not in changed.to_json()


def test_clip_is_cheap_on_huge_values():
    t0 = time.perf_counter()
    nested: list = ["lol"] * 9
    for _ in range(30):  # 9**30 elements if expanded; shared references cost nothing
        nested = [nested] * 9
    text = clip(nested)
    assert time.perf_counter() - t0 < 0.5 and len(text) <= 202
    assert clip("x" * 10**7).endswith("(10,000,000 characters)") and len(clip("x" * 10**7)) < 240


def test_error_message_of_a_huge_value_is_bounded_in_the_api():
    with pytest.raises(ScorecardError) as info:
        parse_scorecard(HUGE_NAME, file="api.yaml")
    assert len(str(info.value)) < 600 and "(3,000,000 characters)" in str(info.value)


# ------------------------------------------------- briefs, actuals, parents
CHILD = (EXAMPLES / "software_engineering.yaml").read_text(encoding="utf-8")
BRIEF = "organisation: Acme\nsector: retail\nmission: Sell good things.\nthemes: [growth]\n"

OTHER_FILES: dict[str, str] = {
    "bomb_brief.yaml": _bomb(8, "mission"),
    "bomb_front.md": "---\n" + _bomb(8, "mission") + "---\n# Acme\nWe sell.\n",
    "deep_brief.yaml": "organisation: " + "[" * 5000 + "]" * 5000 + "\n",
    "dup_brief.yaml": BRIEF + "sector: banking\n",
    "long_mission.yaml": BRIEF.replace("Sell good things.", "m" * 10_000),
    "long_text.md": "# Acme\n" + "We sell. " * 12_000,
    "huge_brief.yaml": BRIEF + "# pad\n" * 800_000,
    "tag_brief.yaml": "organisation: !!python/name:os.system\n",
    "bomb_actuals.yaml": _bomb(8, "nps"),
    "huge_actuals.csv": "kpi,value\n" + "nps,1\n" * 800_000,
    "dup_actuals.yaml": "nps: 30\nnps: 31\n",
    "long_value.csv": "kpi,value\nnps," + "9" * 500_000 + "x\n",
    "inf_actuals.json": '{"nps": Infinity}',
    "long_value.yaml": "nps: " + "9" * 500_000 + "x\n",
    ".env": SECRET_LINE + "\n",
    "id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n",
    "creds.yaml": "password: LEAKED-VALUE-1\ntoken: LEAKED-VALUE-2\n",
    "table.yaml": "unit,period,sales\nA,2020,LEAKED-VALUE-1\n",
    "child_env.yaml": CHILD.replace("parent: software", "parent: .env"),
    "child_key.yaml": CHILD.replace("parent: software", "parent: id_rsa"),
    "child_creds.yaml": CHILD.replace("parent: software", "parent: creds.yaml"),
    "child_table.yaml": CHILD.replace("parent: software", "parent: table.yaml"),
    "child_long.yaml": CHILD.replace("parent: software", "parent: " + "p" * 300_000 + ".yaml"),
}
GEN = ["--provider", "offline", "-o", "out.yaml"]
# id -> (argv, expected exit, words)
OTHER_CASES: dict[str, tuple[list[str], int, list[str]]] = {
    "brief-bomb": (["generate", "--brief", "bomb_brief.yaml", *GEN], 1,
                   [f"brief bomb_brief.yaml line {_bomb_line(8)}:", "aliases expanded"]),
    "brief-front-matter-bomb": (["generate", "--brief", "bomb_front.md", *GEN], 1,
                                ["brief bomb_front.md", "aliases expanded"]),
    "brief-deep": (["generate", "--brief", "deep_brief.yaml", *GEN], 1,
                   ["brief deep_brief.yaml line 1:", "nested deeper than 50 levels"]),
    "brief-dup-key": (["generate", "--brief", "dup_brief.yaml", *GEN], 1,
                      ["brief dup_brief.yaml line 5:", "duplicate key 'sector'"]),
    "brief-long-mission": (["generate", "--brief", "long_mission.yaml", *GEN], 1,
                           ["brief long_mission.yaml", "mission", "(10,000 characters)"]),
    "brief-long-text": (["generate", "--brief", "long_text.md", *GEN], 1,
                        ["brief long_text.md", "108,007 characters, more than a brief may have (20,000)"]),
    "brief-huge-file": (["generate", "--brief", "huge_brief.yaml", *GEN], 1,
                        ["brief huge_brief.yaml", "4,800,078 bytes, more than a brief may have (200,000)"]),
    "brief-python-tag": (["generate", "--brief", "tag_brief.yaml", *GEN], 1,
                         ["brief tag_brief.yaml line 1:", "malformed YAML"]),
    "actuals-bomb": (["score", "retail", "--actuals", "bomb_actuals.yaml"], 1,
                     ["bomb_actuals.yaml", f"line {_bomb_line(8)}", "aliases expanded"]),
    "actuals-huge-file": (["score", "retail", "--actuals", "huge_actuals.csv"], 1,
                          ["huge_actuals.csv", "4,194,304 bytes"]),
    "actuals-dup-key": (["score", "retail", "--actuals", "dup_actuals.yaml"], 1,
                        ["dup_actuals.yaml", "line 2", "duplicate key 'nps'"]),
    "actuals-long-value": (["score", "retail", "--actuals", "long_value.csv"], 1,
                           ["long_value.csv", "row 2", "malformed CSV", "field larger than field limit"]),
    "actuals-json-infinity": (["score", "retail", "--actuals", "inf_actuals.json"], 1,
                              ["inf_actuals.json", "'nps' is not a number: 'Infinity'"]),
    "actuals-long-yaml-value": (["score", "retail", "--actuals", "long_value.yaml"], 1,
                                ["long_value.yaml", "line 1", "'nps' is not a number", "(500,001 characters)"]),
    "cascade-parent-dotenv": (["cascade", "child_env.yaml"], 1,
                              ["child_env.yaml:", "parent:", "must name a scorecard file", "'.env'"]),
    "cascade-parent-keyfile": (["cascade", "child_key.yaml"], 1,
                               ["child_key.yaml:", "parent:", "must name a scorecard file", "'id_rsa'"]),
    "cascade-parent-secret-yaml": (["cascade", "child_creds.yaml"], 1,
                                   ["creds.yaml:1:", "not a scorecard", "'password', 'token'"]),
    "cascade-parent-table": (["cascade", "child_table.yaml"], 1, ["table.yaml:1:", "not shown", "--data"]),
    "cascade-parent-long": (["cascade", "child_long.yaml"], 1, ["child_long.yaml: parent:", "must name a scorecard file", "(300,005 characters)"]),
    "map-parent-dotenv": (["map", "retail", "--parent", ".env", "-o", "m.dot"], 1, [".env:1:", "not shown"]),
    "lint-dotenv-json-out": (["lint", ".env", "--json", "f.json"], 1, [".env:1:", "not shown"]),
    # endless streams: the read itself is bounded
    "scorecard-dev-zero": (["lint", "/dev/zero"], 1, ["/dev/zero:", "larger than 4,194,304 bytes"]),
    "brief-dev-zero": (["generate", "--brief", "/dev/zero", *GEN], 1, ["brief /dev/zero:", "larger than"]),
    "actuals-dev-zero": (["score", "retail", "--actuals", "/dev/zero"], 1, ["/dev/zero:", "larger than"]),
}


@pytest.fixture(scope="module")
def other_files(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("hostile_other")
    for name, content in OTHER_FILES.items():
        (d / name).write_text(content, encoding="utf-8")
    return d


@pytest.mark.parametrize("case", list(OTHER_CASES), ids=list(OTHER_CASES))
def test_hostile_brief_actuals_parent(case, other_files, capsys, monkeypatch):
    argv, expect, words = OTHER_CASES[case]
    if "/dev/zero" in argv and not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    monkeypatch.chdir(other_files)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    before = listing(other_files)
    code, _out, err, seconds = run_cli(argv, capsys)
    assert_one_line(code, err, expect=expect, words=words,
                    absent=["LEAKED", "sk-proj", "b3BlbnNzaC1rZXkt", "lollol", "pwned"])
    assert seconds < 10, f"took {seconds:.1f} s"
    assert listing(other_files) == before


def test_long_text_brief_length_is_what_the_message_says():
    assert len(OTHER_FILES["long_text.md"]) == 108_007


def test_scorecard_package_has_no_import_cycle():
    """Issue 13 item 6: _yaml is a leaf, model does not import io, examples <-> io <-> model has no cycle.

    Every import counts, also those inside functions (a lazy import is still a cycle).
    """
    import ast

    pkg = Path(__file__).parents[1] / "bsc_toolkit" / "scorecard"
    graph: dict[str, set[str]] = {}
    for f in pkg.glob("*.py"):
        deps: set[str] = set()
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module.split(".")[0])
                else:
                    deps.update(a.name for a in node.names)
        graph[f.stem] = deps & {p.stem for p in pkg.glob("*.py")}
    assert graph["_yaml"] == set() and "io" not in graph["model"] and "io" not in graph["examples"]
    state: dict[str, int] = {}

    def visit(n: str, path: tuple[str, ...]) -> None:
        state[n] = 1
        for m in graph[n]:
            assert state.get(m) != 1, f"import cycle: {' -> '.join((*path, n, m))}"
            if m not in state:
                visit(m, (*path, n))
        state[n] = 2

    for n in graph:
        if n not in state:
            visit(n, ())

"""One evidence reader: every consumer fails the same way on the same malformed evidence.

The report, the strategy map, the narrative (review), the OKRs, the lever simulation, the
widgets and the commands ``bsc map``, ``bsc report`` and ``bsc lever`` all read evidence
through :func:`bsc_toolkit.evidence.load_evidence`. For each malformed input below, the
reference is what ``load_evidence`` itself raises; every consumer must raise a
:class:`DataError` with exactly that message (a command: exit 1 and that message as its one
line on stderr). Each case also names, independently of the code, the words the message
must contain: the file and the place of the problem.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from bsc_toolkit.cli import main
from bsc_toolkit.errors import DataError
from bsc_toolkit.evidence import load_evidence, simulate_lever
from bsc_toolkit.evidence.schema import MAX_BYTES
from bsc_toolkit.generate import derive_okrs, narrate
from bsc_toolkit.report import build_report, load_evidence_dict
from bsc_toolkit.scorecard import load_example
from bsc_toolkit.strategy_map import read_evidence, strategy_map
from bsc_toolkit.widgets import lever_choices, link_view, what_if

FORMAT = "bsc-evidence/1"
LINK = {"from": "L1", "to": "P1", "from_kpi": "training_hours", "to_kpi": "on_shelf_availability",
        "verdict": "supported", "long_run": {"estimate": 0.4, "std_error": 0.1, "ci_low": 0.2, "ci_high": 0.6}}


def _doc(**over: object) -> str:
    return json.dumps({"format": FORMAT, "scorecard": "Northwind Retail", "links": [LINK], **over})


def _write(text: str) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        p = d / "evidence.json"
        p.write_text(text, encoding="utf-8")
        return p
    return make


def _folder(d: Path) -> Path:
    (d / "evidence.json").mkdir()
    return d / "evidence.json"


def _too_big(d: Path) -> Path:
    p = d / "evidence.json"
    with p.open("wb") as fh:  # a sparse file: its size is over the limit, it takes no disk
        fh.truncate(MAX_BYTES + 1)
    return p


def _nested(depth: int) -> str:
    """Good evidence with a list ``depth`` levels deep in its ``settings``."""
    return _doc(settings={"x": 0})[:-2] + ', "deep": ' + "[" * depth + "]" * depth + "}}"


NO_VERDICT = {k: v for k, v in LINK.items() if k != "verdict"}
#: (id, how to make the file in a folder, words the message must hold besides the file name)
CASES: list[tuple[str, Callable[[Path], Path], tuple[str, ...]]] = [
    ("folder", _folder, ("is a folder",)),
    ("missing", lambda d: d / "evidence.json", ("not found",)),
    ("not-json", _write("{not json"), ("not valid JSON", "line 1, column 2")),
    ("a-list", _write("[1, 2]"), ("JSON object", "a list")),
    ("wrong-format", _write(_doc(format="bsc-evidence/0")), ("'format'", "bsc-evidence/1", "bsc-evidence/0")),
    ("links-not-a-list", _write(_doc(links={"L1": "P1"})), ("'links'", "must be a list")),
    ("link-without-verdict", _write(_doc(links=[LINK, NO_VERDICT])), ("links[1]", "'verdict'")),
    ("estimate-not-a-number", _write(_doc(links=[{**LINK, "long_run": {**LINK["long_run"], "estimate": "big"}}])),
     ("links[0].long_run.estimate", "number", "'big'")),
    ("nested-10000", _write(_nested(10_000)), ("nested deeper",)),
    ("over-size-limit", _too_big, ("MB", "larger than")),
    ("nan", _write(_doc().replace('"estimate": 0.4', '"estimate": NaN')), ("NaN",)),
]


@pytest.fixture(scope="module")
def retail():
    return load_example("retail")


@pytest.fixture(scope="module")
def history(retail):
    from bsc_toolkit.history import simulate_history

    return simulate_history(retail, n_units=3, n_periods=8, seed=0).history


def _consumers(retail, history, out: Path) -> dict[str, Callable[[object], object]]:
    return {
        "report": lambda ev: build_report(retail, kind="validation", evidence=ev, out_dir=out, formats=()),
        "report.load_evidence_dict": load_evidence_dict,
        "map": lambda ev: strategy_map(retail, ev),
        "map.read_evidence": read_evidence,
        "review.narrate": lambda ev: narrate(retail, ev),
        "okrs": lambda ev: derive_okrs(retail, evidence=ev),
        "levers": lambda ev: simulate_lever(ev, history, retail, "L1", 1.0, draws=10),
        "widgets.lever_choices": lambda ev: lever_choices(ev, retail),
        "widgets.link_view": lambda ev: link_view(ev, history),
        "widgets.what_if": lambda ev: what_if(ev, {"training_hours": 1.0}),
    }


def _reference(source: object) -> str:
    with pytest.raises(DataError) as info:
        load_evidence(source)
    return str(info.value)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_every_python_consumer_fails_like_the_reader(case, retail, history, tmp_path):
    _id, make, words = case
    path = make(tmp_path)
    expected = _reference(path)
    assert expected.startswith(f"{path}: ") and "\n" not in expected, expected
    for w in words:
        assert w in expected, f"{w!r} not in {expected!r}"
    out = tmp_path / "report"
    for name, consume in _consumers(retail, history, out).items():
        with pytest.raises(DataError) as info:
            consume(path)
        assert str(info.value) == expected, f"{name}: {info.value}"
        with pytest.raises(DataError) as info:
            consume(str(path))
        assert str(info.value) == expected, f"{name} (str path): {info.value}"
    assert not out.exists() or not any(out.iterdir()), "the report wrote something from bad evidence"


#: the same problems handed over as a dict (what a notebook passes): the place is named as in a file
DICT_CASES = [
    ("a-list", [1, 2], ("a dict", "got list")),
    ("wrong-format", {"format": "other", "links": []}, ("'format'", "'other'")),
    ("links-not-a-list", {"format": FORMAT, "links": "L1 -> P1"}, ("'links'", "must be a list")),
    ("link-without-verdict", {"format": FORMAT, "links": [LINK, NO_VERDICT]}, ("links[1]", "'verdict'")),
    ("nan", {"format": FORMAT, "links": [{**LINK, "q_value": float("nan")}]}, ("links[0].q_value", "finite")),
]


@pytest.mark.parametrize("case", DICT_CASES, ids=[c[0] for c in DICT_CASES])
def test_every_python_consumer_fails_like_the_reader_on_dicts(case, retail, history, tmp_path):
    _id, data, words = case
    expected = _reference(data)
    assert expected.startswith("<dict>: ") == isinstance(data, dict), expected
    for w in words:
        assert w in expected, f"{w!r} not in {expected!r}"
    for name, consume in _consumers(retail, history, tmp_path / "report").items():
        with pytest.raises(DataError) as info:
            consume(data)
        assert str(info.value) == expected, f"{name}: {info.value}"


@pytest.fixture(scope="module")
def hist_csv(history, tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("hist") / "history.csv"
    history.data.reset_index().to_csv(p, index=False)
    return p


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_every_command_fails_like_the_reader(case, hist_csv, tmp_path, capsys, monkeypatch):
    _id, make, _words = case
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BSC_DEBUG", raising=False)
    path = make(tmp_path)
    expected = _reference(path)
    commands = {
        "map": ["map", "retail", "--evidence", str(path), "-o", "map.svg"],
        "report": ["report", "retail", "--evidence", str(path), "-o", "rep", "--format", "html"],
        "lever": ["lever", "retail", "--data", str(hist_csv), "--evidence", str(path), "--kpi", "L1",
                  "--change", "1", "--draws", "10"],
    }
    before = sorted(os.listdir(tmp_path))
    for cmd, argv in commands.items():
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 1, f"bsc {cmd}: exit {code}; stderr: {err}"
        assert err.strip().splitlines() == [f"bsc {cmd}: error: {expected}"], f"bsc {cmd}: {err}"
    assert sorted(os.listdir(tmp_path)) == before, "a command left a file behind"


def test_the_cases_are_not_evidence_but_their_fixes_are(retail, tmp_path):
    """The malformed inputs differ from good evidence only in the named problem (so the checks can pass)."""
    good = _write(_doc())(tmp_path)
    assert load_evidence(good).links[0].verdict == "supported"
    assert strategy_map(retail, good).verdicts["supported"] == 1
    assert load_evidence(json.loads(_nested(30))).links[0].verdict == "supported"
    assert load_evidence(json.loads(_doc().replace('"estimate": 0.4', '"estimate": null'))).links[0].verdict

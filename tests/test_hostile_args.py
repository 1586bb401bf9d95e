"""Adversarial sweep, part 4: arguments that size an allocation or overflow (issue 18, item 10, Low).

``bsc lever --draws 1000000000`` grew to ~20 GB before it was killed; ``bsc
simulate --units 100000000 --periods 100000000`` ran on. Every number that sizes
an allocation now has an upper bound (:mod:`bsc_toolkit._limits`), checked by the
command line (usage error, exit 2) and again by the Python API (DataError), and
``nan``/``inf``/overflowing floats are refused where they are typed.
"""

from __future__ import annotations

import pytest
from _hostile_helpers import assert_one_line, run_cli

from bsc_toolkit import _limits
from bsc_toolkit.errors import DataError, GenerationError

HUGE_DIGITS = "9" * 10_000
LONG_TEXT = "x" * 1_000_000

# id -> (argv, expected exit, words)
CASES: dict[str, tuple[list[str], int, list[str]]] = {
    "lever-draws-1e9": (["lever", "retail", "--data", "h.csv", "--evidence", "e.json", "--kpi", "L1", "--change",
                         "1", "--draws", "1000000000"], 2, ["--draws", "<= 100,000", "got 1,000,000,000"]),
    "lever-draws-below": (["lever", "retail", "--data", "h.csv", "--evidence", "e.json", "--kpi", "L1", "--change",
                           "1", "--draws", "9"], 2, ["--draws", ">= 10", "got 9"]),
    "lever-horizon-huge": (["lever", "retail", "--data", "h.csv", "--evidence", "e.json", "--kpi", "L1",
                            "--change", "1", "--horizon", "1000000"], 2, ["--horizon", "<= 1,000"]),
    "lever-change-inf": (["lever", "retail", "--data", "h.csv", "--evidence", "e.json", "--kpi", "L1", "--change",
                          "1e309"], 2, ["--change", "finite number", "'1e309'"]),
    "simulate-units-1e8": (["simulate", "retail", "-o", "s", "--units", "100000000"], 2,
                           ["--units", "<= 100,000", "got 100,000,000"]),
    "simulate-periods-1e8": (["simulate", "retail", "-o", "s", "--periods", "100000000"], 2,
                             ["--periods", "<= 100,000"]),
    "simulate-product": (["simulate", "retail", "-o", "s", "--units", "100000", "--periods", "100000"], 1,
                         ["100,000 units x 100,000 periods", "20,000,000 values", "fewer units or periods"]),
    "simulate-trend-nan": (["simulate", "retail", "-o", "s", "--trend", "nan"], 2, ["--trend", "finite number"]),
    "simulate-noise-inf": (["simulate", "retail", "-o", "s", "--noise", "inf"], 2, ["--noise", "finite number"]),
    "simulate-seasonality-overflow": (["simulate", "retail", "-o", "s", "--seasonality", "1e400"], 2,
                                      ["--seasonality", "finite number"]),
    "simulate-persistence-nan": (["simulate", "retail", "-o", "s", "--persistence", "nan"], 2,
                                 ["--persistence", "finite number"]),
    "simulate-seed-huge": (["simulate", "retail", "-o", "s", "--seed", HUGE_DIGITS], 2,
                           ["--seed", "expected a whole number >= 0", "(10,000 characters)"]),
    "validate-bootstrap-1e9": (["validate", "retail", "--data", "h.csv", "--bootstrap", "1000000000"], 2,
                               ["--bootstrap", "<= 10,000"]),
    "validate-bootstrap-digits": (["validate", "retail", "--data", "h.csv", "--bootstrap", HUGE_DIGITS], 2,
                                  ["--bootstrap", "got 10000 digits"]),
    "generate-retries-huge": (["generate", "--brief", "demo", "-o", "x.yaml", "--retries", "1000"], 2,
                              ["--retries", "<= 20"]),
    "generate-max-repairs-huge": (["generate", "--brief", "demo", "-o", "x.yaml", "--max-repairs", "1000"], 2,
                                  ["--max-repairs", "<= 20"]),
    "long-choice-value": (["report", "retail", "-o", "r", "--kind", LONG_TEXT], 2,
                          ["--kind", "invalid choice"]),
    "long-scorecard-path": (["lint", LONG_TEXT + ".yaml"], 1, ["bsc lint: error:"]),
    "long-effect-value": (["simulate", "retail", "-o", "s", "--effect", "P1:C1=" + LONG_TEXT], 2,
                          ["--effect", "expected a number after '='"]),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bounded_arguments(case, capsys, tmp_path, monkeypatch):
    argv, expect, words = CASES[case]
    monkeypatch.chdir(tmp_path)
    code, _out, err, seconds = run_cli(argv, capsys)
    assert_one_line(code, err, expect=expect, words=words)
    assert seconds < 5, f"{seconds:.1f} s"
    assert list(tmp_path.iterdir()) == [], "nothing may be written"


def test_api_guards_match_the_command_line():
    from bsc_toolkit.evidence import simulate_lever, validate
    from bsc_toolkit.generate import resolve_config
    from bsc_toolkit.history import simulate_history

    with pytest.raises(DataError, match="`n_units` must be <= 100,000"):
        simulate_history("retail", n_units=10**8)
    with pytest.raises(DataError, match="`burn_in` must be <= 100,000"):
        simulate_history("retail", burn_in=10**9)
    with pytest.raises(DataError, match="values a simulation makes"):
        simulate_history("retail", n_units=50_000, n_periods=50_000)
    sim = simulate_history("retail", n_units=3, n_periods=10, seed=0)
    with pytest.raises(DataError, match="`bootstrap` must be a whole number from 0 to 10,000"):
        validate("retail", sim.history, bootstrap=10**9)
    with pytest.raises(DataError, match="`draws` must be a whole number from 10 to 100,000"):
        simulate_lever("tests/data/evidence_retail_sample.json", sim.history, "retail", "L1", 1.0, draws=10**9)
    with pytest.raises(DataError, match="`horizon` must be a whole number from 1 to 1,000"):
        simulate_lever("tests/data/evidence_retail_sample.json", sim.history, "retail", "L1", 1.0, horizon=10**6)
    for bad in (1e300, float("nan"), float("inf"), 0.0):
        with pytest.raises(GenerationError, match="timeout must be in"):
            resolve_config("openai", base_url="http://127.0.0.1:9/v1", timeout=bad)


def test_lever_value_cap_counts_draws_kpis_and_periods(monkeypatch):
    """draws x KPIs x periods is capped, so the largest draws and horizon together are refused too."""
    from bsc_toolkit.evidence import simulate_lever, validate
    from bsc_toolkit.history import simulate_history

    sim = simulate_history("retail", n_units=8, n_periods=16, seed=2)
    ev = validate("retail", sim.history, drivers=False, chains=False, discovery=False)
    lever = next(lk.from_kpi for lk in ev.links if lk.verdict == "supported")
    monkeypatch.setattr(_limits, "MAX_LEVER_VALUES", 10 * 2 * 9 - 1)  # at least 2 KPIs x 9 periods x 10 draws
    with pytest.raises(DataError, match=r"10 draws x \d+ KPIs x 9 periods is more than the 179"):
        simulate_lever(ev, sim.history, "retail", lever, 1.0, draws=10, horizon=8)
    monkeypatch.setattr(_limits, "MAX_LEVER_VALUES", 10**9)
    assert simulate_lever(ev, sim.history, "retail", lever, 1.0, draws=10, horizon=8).draws == 10

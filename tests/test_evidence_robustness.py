"""Verdicts a user can trust (issue 10): robustness across specifications, unstable models,
controls, seasonality, consistent advice -- and how each reaches the user.

The planted-truth study uses the data-generating processes of ``test_evidence_power.py`` (numpy,
independent of the simulator): a true lag-1 link, a shared unit-specific trend (no link), two
independent random walks with drift (no link), and a reversed link (y drives x).
"""

from __future__ import annotations

import numpy as np
import pytest
from _evidence_helpers import history_from_arrays, two_kpi_scorecard
from test_evidence_power import _card, simulate

from bsc_toolkit.errors import OptionError
from bsc_toolkit.evidence import validate
from bsc_toolkit.evidence.options import Options
from bsc_toolkit.evidence.results import LinkResult
from bsc_toolkit.evidence.robustness import ROBUST_SHARE, GridPoint, grid, summarize

LINK_ONLY = dict(drivers=False, chains=False, discovery=False)


def _study(scenario: str, reps: int, n_units: int = 24, n_periods: int = 36, seed: int = 5) -> dict:
    rng = np.random.default_rng([seed, len(scenario)])
    out = {"robust_supported": 0, "supported": 0, "robust": 0, "fragile": 0, "reps": reps}
    for _ in range(reps):
        lk = validate(_card(), simulate(scenario, rng, n_units, n_periods), **LINK_ONLY).links[0]
        label = (lk.get("robustness") or {}).get("label")
        out["supported"] += lk.verdict == "supported"
        out["robust"] += label == "robust"
        out["fragile"] += label == "fragile"
        out["robust_supported"] += lk.verdict == "supported" and label == "robust"
    return out


def test_planted_links_are_robust_and_traps_never_robust_supported_lean():
    """A few replications at 24 units x 36 periods (the full study is marked slow)."""
    planted = _study("planted", 4)
    assert planted["robust_supported"] >= 3, planted
    for trap in ("det_trend", "rw_trend", "reverse"):
        res = _study(trap, 4)
        assert res["robust_supported"] == 0, (trap, res)


@pytest.mark.slow
def test_planted_links_are_robust_and_traps_never_robust_supported_study():
    """100 replications each at 24 x 36: true links robust in >= 90%, traps never robust supported."""
    rows = {s: _study(s, 100) for s in ("planted", "det_trend", "rw_trend", "reverse", "noise")}
    print("\nrobustness study, 24 units x 36 periods, 100 replications each (defaults, robustness grid)")
    for s, r in rows.items():
        print(f"  {s:<10} supported {r['supported']:3d}  robust {r['robust']:3d}  fragile {r['fragile']:3d}  "
              f"robust & supported {r['robust_supported']:3d}")
    assert rows["planted"]["robust_supported"] >= 90
    for trap in ("det_trend", "rw_trend", "reverse", "noise"):
        assert rows[trap]["robust_supported"] == 0, (trap, rows[trap])


def test_the_grid_is_the_documented_one():
    o = Options().resolve(is_panel=True)
    g = grid(o, is_panel=True, n_periods=40)
    plain = [p for p in g if not p.others]
    assert len(plain) == 3 * 3 * 3 * 2 and {p.transform for p in plain} == {"none", "detrend", "diff"}
    assert {p.own_lags for p in plain} == {0, 1, 2} and {p.effects for p in plain} == {"unit", "both"}
    assert {p.lag_choice for p in plain} == {"headline", "lag 1", "1..2"}
    # plus the headline model with the outcome's other drivers (a conditional test)
    assert [(p.transform, p.own_lags, p.lag_choice, p.effects) for p in g if p.others] == [
        (o.transform, o.own_lags, "headline", o.effects)]
    short = grid(o, is_panel=True, n_periods=24)  # short panels add iv-fd specifications
    assert [p.estimator for p in short].count("iv-fd") == 2
    single = grid(Options().resolve(is_panel=False), is_panel=False, n_periods=80)
    assert len(single) == 27 + 1 and {p.effects for p in single} == {"none"}
    assert not any(p.others for p in grid(o.replace(estimator="iv-fd"), is_panel=True, n_periods=24))


def test_a_link_explained_by_a_shared_driver_is_fragile():
    """C2 -> F2 without an effect, but P1 drives C2 and (through C3) F2: the link test alone finds
    C2 -> F2; with F2's other hypothesised drivers in the model it does not, so it is fragile with
    the flip named; the true links stay robust."""
    rng = np.random.default_rng(3)
    N, T = 40, 40
    e = {k: rng.normal(size=(N, T)) for k in ("p1", "c2", "c3", "f2")}
    v = {k: np.zeros((N, T)) for k in e}
    for t in range(1, T):
        v["p1"][:, t] = 0.5 * v["p1"][:, t - 1] + e["p1"][:, t]
        v["c2"][:, t] = 0.3 * v["c2"][:, t - 1] + 0.8 * v["p1"][:, t - 1] + e["c2"][:, t]
        v["c3"][:, t] = 0.3 * v["c3"][:, t - 1] + 0.8 * v["p1"][:, t - 1] + e["c3"][:, t]
        v["f2"][:, t] = 0.3 * v["f2"][:, t - 1] + 0.8 * v["c3"][:, t - 1] + e["f2"][:, t]
    from bsc_toolkit.evidence.batch import LinkRequest, test_links
    from bsc_toolkit.evidence.data import PanelArrays
    from bsc_toolkit.evidence.robustness import grid_results, summarize_all
    from bsc_toolkit.evidence.verdicts import apply_fdr

    pa = PanelArrays.from_history(history_from_arrays(v))
    o = Options(transform="none").resolve(is_panel=True)
    reqs = [LinkRequest("c2", "p1", lags=[1], from_="P1", to="C2"), LinkRequest("c3", "p1", lags=[1], from_="P1", to="C3"),
            LinkRequest("f2", "c3", lags=[1], from_="C3", to="F2"), LinkRequest("f2", "c2", lags=[1], from_="C2", to="F2")]
    head, _ = apply_fdr(test_links(pa, reqs, o), o.alpha)
    recs = summarize_all(head, grid_results(PanelArrays.from_history(history_from_arrays(v)), reqs, o))
    assert head[3].verdict == "supported"  # the one-link test is fooled by the shared driver
    assert recs[3]["label"] == "fragile" and "other_drivers=included" in recs[3]["flips"]
    cond = [s for s in recs[3]["specs"] if s["other_drivers"] == "included"]
    assert len(cond) == 1 and cond[0]["verdict"] == "not_supported"
    assert [r["label"] for r in recs[:3]] == ["robust"] * 3
    # the console says what the conditional specification found, naming the outcome's other drivers
    from bsc_toolkit.evidence.text import _fragile

    text = " ".join(_fragile([{**h.to_dict(), "robustness": rec} for h, rec in zip(head, recs, strict=True)]))
    assert "with F2's other drivers in the map (C3) in the model it is not supported" in " ".join(text.split())


def _lk(verdict: str, effect: float = 0.3, **method) -> LinkResult:
    m = {"transform": "none", "own_lags": 1, "lags": [1], "effects": "both", "estimator": "PanelOLS", **method}
    return LinkResult({"from": "A", "to": "B", "from_kpi": "a", "to_kpi": "b", "verdict": verdict,
                       "long_run": {"estimate": effect, "ci_low": effect - 0.1, "ci_high": effect + 0.1},
                       "standardized_effect": effect / 2, "method": m})


def test_summary_labels_flips_and_duplicates():
    head = _lk("supported")
    res = [(GridPoint("diff", 1, "headline", "both"), _lk("not_supported", 0.05, transform="diff")),
           (GridPoint("none", 0, "headline", "both"), _lk("supported", 0.4, own_lags=0)),
           (GridPoint("none", 1, "lag 1", "both"), _lk("supported")),  # the same model as the headline
           (GridPoint("none", 2, "headline", "both"), _lk("insufficient_data", own_lags=2))]
    r = summarize(head, res)
    assert r["n_specs"] == 4 and r["n_estimable"] == 3  # duplicate counted once
    assert r["agree_share"] == pytest.approx(2 / 3) and r["label"] == "fragile"
    assert r["flips"] == ["transform=diff"] and r["effect_range"] == [0.05, 0.4]
    assert r["verdict_counts"] == {"supported": 2, "contradicted": 0, "not_supported": 1, "insufficient_data": 1}
    all_agree = summarize(head, [(GridPoint("diff", 1, "headline", "both"), _lk("supported", transform="diff"))])
    assert all_agree["label"] == "robust" and all_agree["flips"] == []
    opposite = summarize(head, [(GridPoint("diff", 1, "headline", "both"), _lk("contradicted", transform="diff"))]
                         + [(GridPoint("none", 0, "lag 1", "unit"), _lk("supported", own_lags=0, effects="unit"))] * 1)
    assert opposite["label"] == "fragile"  # a significant opposite sign is never robust
    assert summarize(_lk("insufficient_data"), [])["label"] is None
    assert ROBUST_SHARE == 0.9


def test_explosive_single_series_gets_no_plain_verdict(capsys):
    """An outcome whose own lags sum to more than one: no supported/contradicted, the reason says why,
    the estimates stay in the record, and the console shows it."""
    rng = np.random.default_rng(2)
    T = 60
    x = rng.normal(size=T)
    y = np.zeros(T)
    for t in range(1, T):  # explosive: the level and its changes grow by 15% a period
        y[t] = 1.15 * y[t - 1] + 0.8 * x[t - 1] + rng.normal()
    h = history_from_arrays({"x": x, "y": y, "w": np.zeros(T), "v": np.zeros(T)})
    for transform in ("none", "auto", "detrend"):
        lk = validate(_card(), h, transform=transform, **LINK_ONLY).links[0]
        assert lk.verdict not in ("supported", "contradicted"), (transform, lk.reason)
        assert lk.verdict == "insufficient_data" and "unstable" in lk.flags, (transform, lk.reason)
        assert lk.reason.startswith("unstable dynamics: ")
        if transform == "auto":  # differenced, and the differences still explode
            assert "a unit root remains in the first differences of 'y'" in lk.reason
        else:  # levels: the estimated own lag is explosive
            assert lk.reason.startswith("unstable dynamics: the outcome's own lags sum to")
        assert lk.terms and lk.long_run.estimate is not None  # kept for inspection
    ev = validate(_card(), h, transform="none", **LINK_ONLY)
    assert "no verdict - unstable dynamics" in ev.summary


def test_controls_that_are_link_ends_are_refused_and_absorbed_ones_dropped():
    rng = np.random.default_rng(3)
    N, T = 12, 20
    x, y = rng.normal(size=(N, T)), rng.normal(size=(N, T))
    region = np.repeat(rng.normal(size=(N, 1)), T, axis=1)  # constant within each unit
    h = history_from_arrays({"x": x, "y": y, "w": np.zeros((N, T)), "v": np.zeros((N, T)), "region": region,
                             "y_copy": y.copy()})
    with pytest.raises(OptionError) as exc:
        validate(_card(), h, controls=["y"], **LINK_ONLY)
    assert str(exc.value).startswith("control 'y' is the outcome of link L1 -> F1: a control cannot be")
    with pytest.raises(OptionError, match="control 'y_copy' has the same values as 'y', the outcome of link"):
        validate(_card(), h, controls=["y_copy"], **LINK_ONLY)
    ev = validate(_card(), h, controls=["region"], **LINK_ONLY)
    assert ev.links[0].verdict != "insufficient_data"
    assert any("control 'region' dropped: it is constant within each unit, so the unit effects absorb it" in w
               for w in ev.warnings)
    assert ev.settings["controls"] == []


def test_strong_seasonality_is_named_and_seasonal_effects_on_request():
    import pandas as pd

    from bsc_toolkit.history import history_from_frame

    rng = np.random.default_rng(4)
    T = 48
    month = np.tile(np.arange(12), T // 12)
    season = 3 * np.sin(2 * np.pi * month / 12)
    x = rng.normal(size=T) + season
    y = np.r_[0, 0.6 * x[:-1]] + season + rng.normal(size=T)
    periods = pd.period_range("2020-01", periods=T, freq="M").astype(str)
    h = history_from_frame(pd.DataFrame({"period": periods, "x": x, "y": y, "w": 0.0, "v": 0.0}),
                           period="period")
    ev = validate(_card(), h, **LINK_ONLY)
    note = next(w for w in ev.warnings if w.startswith("strong seasonality"))
    assert "month-of-year means explain" in note and "'x'" in note and "--seasonal" in note
    ev2 = validate(_card(), h, seasonal=True, **LINK_ONLY)
    assert ev2.settings["seasonal"] is True
    assert any(c.startswith("month_") for c in ev2.links[0].method["controls"])
    annual = history_from_arrays({"x": x, "y": y, "w": np.zeros(T), "v": np.zeros(T)})
    with pytest.raises(OptionError, match="`seasonal` needs monthly, quarterly or weekly periods"):
        validate(_card(), annual, seasonal=True, **LINK_ONLY)


def test_driver_model_and_link_tests_disagreeing_are_explained():
    from bsc_toolkit.evidence.validation import _driver_vs_links  # the sentence itself

    dm = {"status": "estimated", "outcome_kpi": "y", "drivers": [{"kpi": "x"}, {"kpi": "w"}],
          "out_of_sample": {"status": "estimated", "adds_information": True, "relative_rmse": 0.38}}
    lk = LinkResult({"from": "L1", "to": "F1", "from_kpi": "x", "to_kpi": "y", "verdict": "not_supported",
                     "method": {"lags": [0, 1]}})
    note = _driver_vs_links(dm, [lk])
    assert note.startswith("'y': the leading KPIs improve its forecasts (RMSE 0.38x the own-past baseline) "
                           "but no link into it is supported")
    assert "L1 -> F1 includes lag 0" in note
    sup = LinkResult({**lk.to_dict(), "verdict": "supported", "method": {"lags": [1]}})
    dm2 = {**dm, "out_of_sample": {"status": "estimated", "adds_information": False, "relative_rmse": 1.02}}
    assert "do not improve its out-of-sample forecasts" in _driver_vs_links(dm2, [sup])
    assert _driver_vs_links(dm, [sup]) is None  # both say yes: nothing to explain


def test_robustness_reaches_json_and_console_and_can_be_switched_off(tmp_path):
    rng = np.random.default_rng(9)
    h = simulate("planted", rng, 20, 30)
    ev = validate(_card(), h, **LINK_ONLY)
    r = ev.to_dict()["links"][0]["robustness"]
    assert set(r) >= {"n_specs", "agree_share", "verdict_counts", "effect_range", "std_effect_range", "flips",
                      "label", "specs"}
    assert r["specs"][0]["headline"] is True and r["n_specs"] == len(r["specs"])
    assert "robustness" in ev.summary and f"{r['label']} (" in ev.summary
    off = validate(_card(), h, robustness=False, **LINK_ONLY)
    assert "robustness" not in off.to_dict()["links"][0]


def test_cli_no_robustness_and_seasonal_flags(tmp_path, capsys):
    from bsc_toolkit.cli import main

    rng = np.random.default_rng(1)
    h = simulate("planted", rng, 10, 20)
    df = h.to_frame()
    df.to_csv(tmp_path / "h.csv", index=False)
    (tmp_path / "card.yaml").write_text(two_kpi_scorecard([{"from": "L1", "to": "F1", "lags": [1]}]).to_yaml())
    rc = main(["validate", str(tmp_path / "card.yaml"), "--data", str(tmp_path / "h.csv"), "--unit", "unit",
               "--period", "period", "--no-robustness", "--no-discovery", "--no-chains", "--no-drivers"])
    out = capsys.readouterr().out
    assert rc == 0 and "robustness" in out and "–" in out  # the column is there, empty
    rc = main(["validate", str(tmp_path / "card.yaml"), "--data", str(tmp_path / "h.csv"), "--unit", "unit",
               "--period", "period", "--seasonal"])
    captured = capsys.readouterr()
    assert rc == 1 and "`seasonal` needs monthly, quarterly or weekly periods" in captured.err


def test_threads_do_not_change_the_results():
    """jobs=2 runs the robustness grid beside drivers, chains and discovery: the same evidence."""
    from _evidence_extras_helpers import chain_card, chain_sim

    sim = chain_sim(n_units=15, n_periods=20, seed=4)
    one = validate(chain_card(), sim.history, jobs=1, bootstrap=99).to_dict()
    two = validate(chain_card(), sim.history, jobs=2, bootstrap=99).to_dict()
    _close(one, two)  # equal up to rounding (cached cross-products are summed in another order)
    assert "jobs" not in one["settings"]
    assert all("robustness" in lk for lk in one["links"])


def _close(a, b, where="evidence"):
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), where
        for k in a:
            _close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert b == pytest.approx(a, rel=1e-9, abs=1e-12), where
    else:
        assert a == b, where


@pytest.mark.slow
def test_conditional_specification_study_slow():
    """The three example scorecards with a quarter of their links null (30 x 24, 20 seeds each):
    the conditional specification (the outcome's other drivers as regressors) never flips a planted
    link it found, and it names the flip for most null links the one-link test flags."""
    from bsc_toolkit.demo import compare_with_truth
    from bsc_toolkit.history.simulate import simulate_history
    from bsc_toolkit.scorecard import load_scorecard

    planted = planted_flipped = flagged_null = flagged_null_robust = flagged_null_cond = 0
    for name in ("retail", "hospital", "software"):
        sc = load_scorecard(name)
        nulls = [i for i in range(len(sc.links)) if i % 4 == 3]
        for seed in range(20):
            sim = simulate_history(sc, n_units=30, n_periods=24, seed=seed, null=nulls)
            ev = validate(sc, sim.history).to_dict()
            by = {(lk["from"], lk["to"]): lk for lk in ev["links"]}
            for r in compare_with_truth(sim.truth, ev):
                lk = by[(r["from"], r["to"])]
                rob = lk.get("robustness") or {}
                cond = "other_drivers=included" in (rob.get("flips") or [])
                if r["planted"] == "effect" and lk["verdict"] == "supported":
                    planted += 1
                    planted_flipped += cond
                elif r["planted"] == "null" and lk["verdict"] in ("supported", "contradicted"):
                    flagged_null += 1
                    flagged_null_robust += rob.get("label") == "robust"
                    flagged_null_cond += cond
    print(f"\nconditional specification: planted found {planted}, flipped by it {planted_flipped}; "
          f"null links flagged {flagged_null}, robust {flagged_null_robust}, flipped by it {flagged_null_cond}")
    assert planted >= 700 and planted_flipped <= 0.01 * planted
    assert flagged_null_robust == 0 and flagged_null_cond >= 0.5 * flagged_null > 0

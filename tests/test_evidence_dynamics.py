"""Bias-corrected dynamics (evidence/dynamics.py): the half-panel jackknife, its bootstrap, and
where the run uses it (multipliers, chains, levers, the link-test option).

Reference numbers are re-computed by hand with linearmodels' PanelOLS (and statsmodels OLS with
dummies for unit trends) on the Grunfeld investment panel (statsmodels' dataset: 11 firms x 20
years), not taken from the code's own output.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from _dynamics_sim import CHAIN, scorecard, simulate
from numpy.testing import assert_allclose

from bsc_toolkit.errors import OptionError
from bsc_toolkit.evidence import load_evidence, simulate_lever, validate
from bsc_toolkit.evidence.data import PanelArrays
from bsc_toolkit.evidence.dynamics import (
    bootstrap_weights,
    correction_reason,
    crossproducts,
    half_splits,
    link_dynamics,
    link_sample,
    solve_leave_one_out,
    solve_weighted,
    widen,
)
from bsc_toolkit.evidence.linktest import estimate_link

FAST = dict(drivers=False, discovery=False)


@pytest.fixture(scope="module")
def grunfeld():
    import statsmodels.api as sm

    from bsc_toolkit.history import load_history

    d = sm.datasets.grunfeld.load_pandas().data
    d = d.assign(year=d["year"].astype(int))[["firm", "year", "invest", "value", "capital"]]
    return d, load_history(d, unit="firm", period="year")


def _with_lags(d: pd.DataFrame) -> pd.DataFrame:
    d = d.sort_values(["firm", "year"]).copy()
    for c in ("invest", "value"):
        d[f"{c}_L1"] = d.groupby("firm")[c].shift(1)
    return d.dropna(subset=["invest_L1", "value_L1"])


def _panelols(d: pd.DataFrame, effects: str) -> np.ndarray:
    from linearmodels import PanelOLS

    x = d.set_index(["firm", "year"])
    res = PanelOLS(x["invest"], x[["value_L1", "invest_L1"]], entity_effects=True,
                   time_effects=effects == "both").fit()
    return res.params.to_numpy()


def _lsdv_unit_trends(d: pd.DataFrame) -> np.ndarray:
    """Firm and year dummies and firm-specific linear trends: OLS with explicit dummies."""
    import statsmodels.formula.api as smf

    res = smf.ols("invest ~ value_L1 + invest_L1 + C(firm) + C(year) + C(firm):year", data=d).fit()
    return res.params[["value_L1", "invest_L1"]].to_numpy()


def _hpj_by_hand(d: pd.DataFrame, fit) -> np.ndarray:
    """2 x full - mean over the splits of the mean of the two halves (Dhaene and Jochmans 2015)."""
    years = np.sort(d["year"].unique())
    P = len(years)
    halves = [(fit(d[d.year.isin(years[:c])]) + fit(d[d.year.isin(years[c:])])) / 2
              for c in sorted({P // 2, P - P // 2})]
    return 2 * fit(d) - np.mean(halves, axis=0)


@pytest.mark.filterwarnings("ignore:The design matrix is rank-deficient")  # the LSDV trend dummies
@pytest.mark.parametrize("effects,last_year,transform", [
    ("both", 1954, "none"),     # 19 periods after the lag: odd, both splits averaged
    ("unit", 1953, "none"),     # 18 periods: one split
    ("both", 1954, "detrend"),  # unit trends re-estimated within each half
])
def test_hpj_equals_the_hand_computation(grunfeld, effects, last_year, transform):
    raw, hist = grunfeld
    from bsc_toolkit.history import load_history

    raw = raw[raw.year <= last_year]
    hist = load_history(raw, unit="firm", period="year")
    pa = PanelArrays.from_history(hist)
    lk = estimate_link(pa, "invest", "value", lags=[1], own_lags=1, effects=effects, transform=transform)
    dyn = link_dynamics(lk, pa, None)
    d = _with_lags(raw)
    fit = _lsdv_unit_trends if transform == "detrend" else (lambda x: _panelols(x, effects))
    assert_allclose(dyn.raw[:2], fit(d), rtol=1e-7)
    assert_allclose(dyn.raw[:2], [lk.terms[0].estimate, lk.own_terms[0].estimate], rtol=1e-9)
    assert_allclose(dyn.corrected[:2], _hpj_by_hand(d, fit), rtol=1e-7)
    assert ("both splits averaged" in dyn.split) == (last_year == 1954)
    # the correction moves the own lag up (Nickell bias is downward) on this panel
    assert dyn.corrected[1] > dyn.raw[1]


def test_half_splits():
    (a, b), = half_splits(np.array([3, 3, 4, 4, 5, 5, 6, 6]))
    assert a.tolist() == [3, 4] and b.tolist() == [5, 6]
    s1, s2 = half_splits(np.arange(5))
    assert [len(s1[0]), len(s1[1]), len(s2[0]), len(s2[1])] == [2, 3, 3, 2]


def test_weighted_and_leave_one_out_fits_equal_panelols_on_the_changed_panel(grunfeld):
    """A replication (units repeated by their counts) and a unit left out equal PanelOLS on that
    panel, for a half of the sample with two-way effects (time means re-computed)."""
    raw, hist = grunfeld
    pa = PanelArrays.from_history(hist)
    lk = estimate_link(pa, "invest", "value", lags=[1], own_lags=1, effects="both", transform="none")
    d, spec = link_sample(lk, pa)
    rows = np.isin(d.t, half_splits(d.t)[0][1])  # the second half
    n_u = int(d.u.max()) + 1
    cp = crossproducts(np.column_stack([d.y, d.X])[rows], d.u[rows], d.t[rows], n_u, "both", False)
    counts = np.array([2, 0, 1, 3, 1, 0, 1, 1, 0, 2, 0], dtype=float)
    dl = _with_lags(raw)
    firms = sorted(raw.firm.unique())  # unit codes follow the sorted unit labels
    half_years = np.sort(dl.year.unique())[len(np.unique(d.t)) // 2:]
    dh = dl[dl.year.isin(half_years)]
    rep = pd.concat([dh[dh.firm == f].assign(firm=f"{f}#{j}") for f, c in zip(firms, counts, strict=True)
                     for j in range(int(c))])
    assert_allclose(solve_weighted(cp, counts[None])[0], _panelols(rep, "both"), rtol=1e-8)
    loo = solve_leave_one_out(cp)
    for i in (0, 5, 10):
        assert_allclose(loo[i], _panelols(dh[dh.firm != firms[i]], "both"), rtol=1e-8)


def test_bootstrap_is_scaled_to_the_jackknife_covariance(grunfeld):
    """The replications' covariance is the delete-one-firm jackknife covariance of the corrected
    estimator, recomputed here with PanelOLS fits (firm left out, full sample and halves)."""
    raw, hist = grunfeld
    pa = PanelArrays.from_history(hist)
    lk = estimate_link(pa, "invest", "value", lags=[1], own_lags=1, effects="both", transform="none")
    W, _, _ = bootstrap_weights(pa, 299, seed=1)
    dyn = link_dynamics(lk, pa, W)
    d = _with_lags(raw)
    firms = sorted(raw.firm.unique())
    jk = np.array([_hpj_by_hand(d[d.firm != f], lambda x: _panelols(x, "both")) for f in firms])
    G = len(firms)
    VJ = (G - 1) / G * ((jk - jk.mean(0)).T @ (jk - jk.mean(0)))
    got = np.cov(dyn.corrected_draws[:, :2], rowvar=False)
    assert_allclose(got, VJ, rtol=1e-6)
    assert_allclose(dyn.corrected_draws[:, :2].mean(axis=0), dyn.corrected[:2], atol=1e-12)


def test_widen_uses_t_quantiles():
    from scipy import stats

    f = stats.t.ppf(0.95, 23) / stats.norm.ppf(0.95)
    assert_allclose(widen(np.array([1.0, 3.0]), 1.0, 0.1, 24), [1.0, 1 + 2 * f])


def test_correction_applies_only_with_unit_effects_and_own_lags():
    assert correction_reason({"effects": "both", "own_lags": 1}, True) is None
    assert "single series" in correction_reason({"effects": "none", "own_lags": 1}, False)
    assert "no unit effects" in correction_reason({"effects": "time", "own_lags": 1}, True)
    assert "no own lags" in correction_reason({"effects": "unit", "own_lags": 0}, True)
    assert "consistent" in correction_reason({"effects": "both", "own_lags": 1, "estimator": "iv-fd"}, True)


# ------------------------------------------------------------------ in a run (validate)
@pytest.fixture(scope="module")
def study_panel():
    return simulate(30, 24, seed=11)


@pytest.fixture(scope="module")
def evidence(study_panel):
    return validate(scorecard(), study_panel.history, bootstrap=199, seed=2, **FAST)


def test_link_numbers_do_not_move_and_the_multiplier_is_corrected(study_panel, evidence):
    from bsc_toolkit.evidence.batch import LinkRequest, test_links
    from bsc_toolkit.evidence.options import Options

    pa = PanelArrays.from_history(study_panel.history)
    plain = test_links(pa, [LinkRequest(lk.to_kpi, lk.from_kpi, lags=[1], from_=lk.from_, to=lk.to)
                            for lk in evidence.links], Options().resolve(is_panel=True))
    for lk, ref in zip(evidence.links, plain, strict=True):  # the link test without the dynamics step
        assert lk.to_dict()["terms"] == ref.to_dict()["terms"]
        assert lk.to_dict()["own_terms"] == ref.to_dict()["own_terms"]
        assert lk.long_run.to_dict() == ref.long_run.to_dict() and lk.p_value == ref.p_value
        dyn = lk.to_dict()["dynamics"]
        assert dyn["correction"] == "hpj" and "Dhaene and Jochmans 2015" in dyn["method"]
        assert dyn["long_run_multiplier_uncorrected"] == ref.to_dict()["long_run_multiplier"]
        assert_allclose([c["raw"] for c in dyn["coefficients"]], [ref.terms[0].estimate, ref.own_terms[0].estimate],
                        rtol=1e-9)
        cum, rho = (dyn["cumulative_effect"]["corrected"], dyn["own_lag_sum"]["corrected"])
        m = lk.long_run_multiplier
        assert_allclose(m.estimate, cum / (1 - rho), rtol=1e-12)
        assert m.ci_low < m.estimate < m.ci_high
        assert dyn["bootstrap"]["replications"] == 199 and dyn["bootstrap"]["valid"] == 199
        assert "t(G-1)" in dyn["interval"]
    # the own lags (true 0.5 each) move up: the short-panel bias is downward
    own = np.array([[c["raw"], c["corrected"]] for lk in evidence.links
                    for c in lk.to_dict()["dynamics"]["coefficients"][1:]])
    assert abs(own[:, 1].mean() - 0.5) < abs(own[:, 0].mean() - 0.5)
    assert own[:, 0].mean() < 0.47


def test_chain_multiplier_is_the_product_of_corrected_steps(evidence, study_panel):
    ch = next(c for c in evidence.chains if list(c["kpis"]) == CHAIN)
    steps = [evidence.link(a.upper(), b.upper()) for a, b in zip(CHAIN, CHAIN[1:], strict=False)]
    im = ch["indirect_multiplier"]
    assert_allclose(im["estimate"], np.prod([lk.long_run_multiplier.estimate for lk in steps]), rtol=1e-12)
    assert im["ci_low"] < study_panel.chain_multiplier < im["ci_high"]
    assert "corrected for the short-panel bias" in ch["bootstrap"]["multiplier"]
    # the indirect effect stays the product of the reported cumulative effects
    assert_allclose(ch["indirect_effect"]["estimate"], np.prod([lk.long_run.estimate for lk in steps]))


def test_evidence_file_keeps_the_dynamics(evidence, tmp_path):
    path = evidence.save(tmp_path / "ev.json")
    again = load_evidence(path)
    assert again.links[0].to_dict()["dynamics"] == evidence.links[0].to_dict()["dynamics"]
    assert json.loads(path.read_text())["settings"]["bias_correction"] == "none"


def test_lever_runs_on_the_corrected_bootstrap(evidence, study_panel):
    res = simulate_lever(evidence, study_panel.history, scorecard(), "l1", 1.0, horizon=6, draws=300,
                         seed=4, kind="pulse")
    assert any("whole-unit bootstrap of the corrected estimator" in n for n in res.notes)
    lk = evidence.link("L1", "P1")
    b, rho = (c["corrected"] for c in lk.to_dict()["dynamics"]["coefficients"])
    assert_allclose(res.paths["p1"]["point"][1:4], [b, b * rho, b * rho ** 2], rtol=1e-12)
    p = res.paths["p1"]
    assert np.all(p["low"] <= p["point"] + 1e-12) and np.all(p["point"] <= p["high"] + 1e-12)
    # the same seed gives the same band
    again = simulate_lever(evidence, study_panel.history, scorecard(), "l1", 1.0, horizon=6, draws=300,
                           seed=4, kind="pulse")
    assert_allclose(again.paths["f1"]["low"], res.paths["f1"]["low"])


def test_option_hpj_corrects_the_link_test(study_panel):
    ev = validate(scorecard(), study_panel.history, bootstrap=199, seed=2, bias_correction="hpj",
                  chains=False, **FAST)
    assert ev.settings["bias_correction"] == "hpj"
    for lk in ev.links:
        dyn = lk.to_dict()["dynamics"]
        assert "long_run" in dyn["applies_to"]
        assert_allclose([t.estimate for t in lk.terms], [dyn["coefficients"][0]["corrected"]])
        assert_allclose(lk.long_run.estimate, dyn["cumulative_effect"]["corrected"])
        assert lk.long_run.ci_low < lk.long_run.estimate < lk.long_run.ci_high
    assert all(ev.link(a.upper(), b.upper()).verdict == "supported" for a, b in zip(CHAIN, CHAIN[1:], strict=False))
    # the lever still re-estimates and checks these links (against the raw coefficients)
    res = simulate_lever(ev, study_panel.history, scorecard(), "l1", 1.0, horizon=3, draws=50)
    assert "p1" in res.paths
    with pytest.raises(OptionError, match="bias_correction"):
        validate(scorecard(), study_panel.history, bias_correction="kiviet")


def test_single_series_is_left_as_it_is():
    from _evidence_helpers import ar_panel, history_from_arrays, two_kpi_scorecard

    rng = np.random.default_rng(3)
    x, y = ar_panel(rng, 1, 120, beta=0.5)
    h = history_from_arrays({"x": x[0], "y": y[0], "w": np.zeros(120), "v": np.zeros(120)})
    card = two_kpi_scorecard([{"from": "L1", "to": "F1", "sign": "positive", "lags": [1]}])
    lk = validate(card, h, transform="none", **FAST).links[0]
    pa = PanelArrays.from_history(h)
    ref = estimate_link(pa, "y", "x", lags=[1], transform="none")
    assert lk.to_dict()["long_run_multiplier"] == ref.to_dict()["long_run_multiplier"]
    assert "single series" in lk.to_dict()["dynamics"]["reason"]


def test_panel_without_unit_effects_is_left_as_it_is(study_panel):
    ev = validate(scorecard(), study_panel.history, effects="time", chains=False, **FAST)
    lk = ev.links[0]
    assert lk.to_dict()["dynamics"] == {"correction": "none", "reason":
                                        "no unit effects in the model: no short-panel (Nickell) bias to correct"}


def test_cli_flag(tmp_path, study_panel, capsys):
    from bsc_toolkit.cli import main

    def run(argv):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = exc.code if isinstance(exc.code, int) else 1
        return code, *capsys.readouterr()

    data = tmp_path / "h.csv"
    study_panel.history.to_frame().to_csv(data, index=False)
    card = tmp_path / "card.json"
    card.write_text(scorecard().to_json())
    out = tmp_path / "ev.json"
    base = ["validate", str(card), "--data", str(data), "--unit", "unit", "--period", "period"]
    code, _, err = run([*base, "--bias-correction", "hpj", "--no-drivers", "--no-discovery", "--no-chains",
                        "--bootstrap", "99", "--json", str(out), "--quiet"])
    assert code == 0, err
    ev = json.loads(out.read_text())
    assert ev["settings"]["bias_correction"] == "hpj"
    assert "long_run" in ev["links"][0]["dynamics"]["applies_to"]
    code, _, err = run([*base, "--bias-correction", "jackknife"])
    assert code == 2 and "invalid choice: 'jackknife'" in err


def test_designs_the_correction_meets(study_panel):
    """Two own lags, two driver lags, a control, gaps in the panel (unbalanced: the time effects
    are partialled out once, and the record says so), no bootstrap (delta method at the corrected
    coefficients), and a panel too short to split."""
    from bsc_toolkit.history.frame import KPIHistory

    df = study_panel.history.data.copy()
    df["ctrl"] = np.random.default_rng(0).normal(size=len(df))
    df.iloc[5:40:7, df.columns.get_loc("p1")] = np.nan  # a few gaps
    h = KPIHistory(data=df, periods=study_panel.history.periods, is_panel=True, source="gaps",
                   unit_column="unit", controls=("ctrl",))
    ev = validate(scorecard(), h, own_lags=2, controls=["ctrl"], bootstrap=99, chains=False, **FAST)
    dyn = ev.link("L1", "P1").to_dict()["dynamics"]
    assert [c["name"] for c in dyn["coefficients"]] == ["l1.L1", "p1.L1", "p1.L2"]
    assert any("unbalanced" in n for n in dyn["notes"])
    assert_allclose(dyn["own_lag_sum"]["corrected"], sum(c["corrected"] for c in dyn["coefficients"][1:]))
    m = ev.link("L1", "P1").long_run_multiplier
    assert m.ci_low < m.estimate < m.ci_high
    ev0 = validate(scorecard(), study_panel.history, bootstrap=0, chains=False, **FAST)
    d0 = ev0.links[0].to_dict()["dynamics"]
    assert d0["interval"].startswith("delta method") and d0["bootstrap"] == {"replications": 0}
    assert ev0.links[0].long_run_multiplier.ci_low is not None
    short = KPIHistory(data=study_panel.history.data.loc[(slice(None), slice(0, 5)), :], periods=pd.RangeIndex(6),
                       is_panel=True, source="short", unit_column="unit")  # 5 periods after the lag
    lk = validate(scorecard(), short, transform="none", chains=False, **FAST).links[0]
    assert lk.to_dict()["dynamics"]["correction"] == "none"
    assert "half-panel jackknife needs at least 6" in lk.to_dict()["dynamics"]["reason"]
    assert "Nickell" in " ".join(lk.caveats)  # the link test's own caveat stays


def test_halves_that_disagree_give_a_caveat(evidence):
    """The jackknife assumes the same dynamics in both halves. A panel whose own lag jumps from 0.1
    to 0.8 half-way gets the caveat (the test of equal halves rejects); the study panel, with
    stable dynamics, does not (the test holds its size: 1.5% at 1% on 400 such links)."""
    from _evidence_helpers import history_from_arrays, two_kpi_scorecard

    rng = np.random.default_rng(5)
    N, T, burn = 30, 24, 30
    x = np.zeros((N, T + burn))
    y = np.zeros((N, T + burn))
    for t in range(1, T + burn):
        rho = 0.1 if t < burn + T // 2 else 0.8
        x[:, t] = 0.5 * x[:, t - 1] + rng.normal(size=N)
        y[:, t] = rho * y[:, t - 1] + 0.5 * x[:, t - 1] + rng.normal(size=N)
    h = history_from_arrays({"x": x[:, burn:], "y": y[:, burn:], "w": np.zeros((N, T)), "v": np.zeros((N, T))})
    card = two_kpi_scorecard([{"from": "L1", "to": "F1", "sign": "positive", "lags": [1]}])
    lk = validate(card, h, transform="none", bootstrap=99, chains=False, **FAST).links[0]
    halves = lk.to_dict()["dynamics"]["halves"]
    assert halves["first_half"][1] < 0.3 < 0.6 < halves["second_half"][1] and halves["p_value"] < 0.01
    assert any(c.startswith("dynamics: the two halves of the sample") for c in lk.caveats)
    assert not any(c.startswith("dynamics:") for lk in evidence.links for c in lk.caveats)
    assert all(lk.to_dict()["dynamics"]["halves"]["df"] == [2, 29] for lk in evidence.links)


@pytest.mark.parametrize("bad,where", [
    ("hpj", "links[0].dynamics must be an object"),
    ({"coefficients": {"raw": 1}}, "links[0].dynamics.coefficients must be a list"),
    ({"coefficients": [{"raw": 0.5}]}, "links[0].dynamics.coefficients[0] lacks the key 'corrected'"),
    ({"coefficients": [{"raw": "0.5", "corrected": 0.5}]}, "links[0].dynamics.coefficients[0].raw must be a finite"),
    ({"applies_to": "levers"}, "links[0].dynamics.applies_to must be a list"),
])
def test_a_broken_dynamics_record_is_a_located_error(evidence, tmp_path, bad, where):
    from bsc_toolkit.errors import DataError

    d = evidence.to_dict()
    d["links"][0]["dynamics"] = bad
    path = tmp_path / "ev.json"
    path.write_text(json.dumps(d))
    with pytest.raises(DataError, match=re.escape(where)):
        load_evidence(path)

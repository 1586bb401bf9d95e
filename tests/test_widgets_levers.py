"""The lever widget: lever_view (pure) over bsc_toolkit.evidence.simulate_lever, and lever_sliders."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bsc_toolkit.errors import DataError
from bsc_toolkit.evidence import load_evidence, validate
from bsc_toolkit.widgets import LeverView, lever_choices, lever_range, lever_sliders, lever_view

FAST = dict(drivers=False, chains=False, discovery=False, transform="none")


def branch_card():
    """x (L1) -> w (P1) -> v (C1) -> y (F1), plus a dead end w -> z (C2); every link at lag 1.

    Two units are hostile text: HTML in w's, broken mathtext in z's.
    """
    from bsc_toolkit.scorecard import Scorecard

    def obj(oid, persp, kid, unit):
        return {"id": oid, "perspective": persp, "name": f"Objective {oid}",
                "kpis": [{"id": kid, "name": kid, "unit": unit, "direction": "up"}]}

    links = [{"from": a, "to": b, "sign": "positive", "lags": [1]}
             for a, b in [("L1", "P1"), ("P1", "C1"), ("C1", "F1"), ("P1", "C2")]]
    return Scorecard.model_validate({
        "name": "Branch card",
        "objectives": [obj("F1", "financial", "y", "EUR"), obj("C1", "customer", "v", "%"),
                       obj("C2", "customer", "z", r"$\frac{$"),
                       obj("P1", "internal_process", "w", "<b>min</b>"),
                       obj("L1", "learning_growth", "x", "hours")],
        "links": links,
    })


@pytest.fixture(scope="module")
def branch():
    from bsc_toolkit.history import simulate_history

    sc = branch_card()
    sim = simulate_history(sc, n_units=30, n_periods=30, seed=5)
    ev = validate(sc, sim.history, **FAST)
    assert all(lk.verdict == "supported" for lk in ev.links), ev.to_frame()[["from", "to", "verdict"]]
    return sc, sim, ev


def _hand_path(ev, H, change, kind):
    """Point path of the chain from the links' own estimates: d[k][h] = rho_k d[k][h-1] + b_k d[k-1][h-1]."""
    x = np.full(H + 1, change) if kind == "step" else np.r_[change, np.zeros(H)]
    out = {"x": x}
    for a, b, ka, kb in [("L1", "P1", "x", "w"), ("P1", "C1", "w", "v"), ("C1", "F1", "v", "y"),
                         ("P1", "C2", "w", "z")]:
        lk = ev.link(a, b)
        # the lever runs on the bias-corrected dynamics recorded with the link (evidence/dynamics.py)
        beta, rho = (c["corrected"] for c in lk.to_dict()["dynamics"]["coefficients"])
        d = np.zeros(H + 1)
        for h in range(1, H + 1):
            d[h] = rho * d[h - 1] + beta * out[ka][h - 1]
        out[kb] = d
    return out


@pytest.mark.parametrize("kind", ["step", "pulse"])
def test_lever_view_keeps_the_chain_to_the_financial_kpi(branch, kind):
    sc, sim, ev = branch
    H = 7
    v = lever_view(ev, sim.history, sc, "L1", 2.0, kind=kind, horizon=H, draws=400, seed=3)
    assert isinstance(v, LeverView) and v.lever == "x"
    # lever first, then the chain Learning -> Process -> Customer -> Financial; the dead end z is listed apart
    assert v.shown == ("x", "w", "v", "y") and v.also_moved == ("z",) and v.financial == ["y"]
    ref = _hand_path(ev, H, 2.0, kind)
    for k in ("w", "v", "y", "z"):  # the point path is the links' own dynamic equations, exactly
        assert_allclose(v.result.paths[k]["point"], ref[k], rtol=1e-9, atol=1e-12)
    tab = v.table.set_index("kpi")
    assert list(tab.columns) == ["perspective", "unit", "level_now", "after_1", "at_horizon", "low", "high"]
    for k in v.shown:
        p = v.result.paths[k]
        assert_allclose(tab.loc[k, ["after_1", "at_horizon", "low", "high"]].to_numpy(dtype=float),
                        [p["median"][1], p["median"][H], p["low"][H], p["high"][H]])
        assert tab.loc[k, "low"] <= tab.loc[k, "at_horizon"] <= tab.loc[k, "high"]
    assert_allclose(tab.loc["y", "level_now"], sim.history.latest("y"))
    assert tab.loc["w", "unit"] == "<b>min</b>"
    # three lags to reach y: nothing before period 3, then the median follows the point path
    assert v.result.paths["y"]["median"][2] == 0 and v.result.paths["y"]["median"][3] != 0
    nz = np.abs(ref["y"]) > 1e-9
    assert_allclose(v.result.paths["y"]["median"][nz], ref["y"][nz], rtol=0.25)
    assert set(v.path_frame()["kpi"]) == {"x", "w", "v", "y"}
    assert "Not propagated: none" in v.summary and "y (F)" in v.summary


def test_unsupported_link_stops_the_change_and_is_listed():
    from bsc_toolkit.history import simulate_history

    sc = branch_card()
    sim = simulate_history(sc, n_units=30, n_periods=30, seed=6, null=[("P1", "C1")])
    ev = validate(sc, sim.history, **FAST)
    assert ev.link("P1", "C1").verdict != "supported"
    assert set(lever_choices(ev, sc)) == {"x", "w", "v"}  # w still leads to z; v still leads to y
    assert "v" in lever_choices(ev, sc) and "y" not in lever_choices(ev, sc)
    v = lever_view(ev, sim.history, sc, "x", 1.0, horizon=4, draws=100)
    assert v.financial == [] and v.shown == ("x", "w", "z")  # no Financial KPI reached: all that moves
    assert [(x["from_kpi"], x["to_kpi"]) for x in v.not_propagated] == [("w", "v")]
    assert "No Financial KPI is reached" in v.summary
    html = v.table_html()
    assert "bsc-lever-notprop" in html and "P1 &rarr; C1" in html
    # z's unit is not valid mathtext: it is drawn as text, not parsed
    assert v.png().startswith(b"\x89PNG")


def test_lever_range_is_one_standard_deviation(branch):
    sc, sim, ev = branch
    sd = float(np.nanstd(sim.history.data["w"].to_numpy(dtype=float)))
    r = lever_range(sim.history, "w")
    assert_allclose(r["sd"], sd)
    assert r["value"] == float(f"{sd:.2g}")  # one SD, two significant digits
    assert_allclose([r["step"], r["max"], -r["min"]], [r["value"] / 20, 3 * r["value"], 3 * r["value"]])
    # one grid for keyboard (arrow keys step from the value) and mouse (clicks snap from the minimum)
    for x in (r["value"], r["max"], 0.0):
        k = (x - r["min"]) / r["step"]
        assert abs(k - round(k)) < 1e-9, (x, k)
    with pytest.raises(DataError, match="KPI 'sales' is not a column of the KPI history.*columns: .*w"):
        lever_range(sim.history, "sales")


def test_defaults_and_no_lever(branch):
    sc, sim, ev = branch
    # default: the first lever from Learning & Growth upward (x, although F1 and C1 come first in the
    # file), moved by one standard deviation
    assert lever_choices(ev, sc) == ["x", "w", "v"]
    v = lever_view(ev, sim.history, sc, draws=50)
    assert v.lever == "x" and v.result.change == lever_range(sim.history, "x")["value"]
    d = ev.to_dict()
    for lk in d["links"]:
        lk["verdict"] = "not_supported"
    none = load_evidence(d)
    with pytest.raises(DataError, match="no KPI of 'Branch card' has a supported outgoing link.*not_supported 4"):
        lever_view(none, sim.history, sc)
    with pytest.raises(DataError, match="no lever to move"):
        lever_sliders(none, sim.history, sc)
    with pytest.raises(DataError, match="`kind` must be 'step' or 'pulse'"):
        lever_view(ev, sim.history, sc, "x", 1.0, kind="ramp")


def test_lever_sliders_recompute_on_every_control(branch):
    sc, sim, ev = branch
    w = lever_sliders(ev, sim.history, sc, draws=50)
    assert list(w.dropdown.options) == ["x", "w", "v"] and w.dropdown.value == "x"
    first = w.result.value
    assert "data:image/png;base64," in first and "bsc-lever-table" in first
    w.dropdown.value = "v"
    rv = lever_range(sim.history, "v")
    assert (w.change.min, w.change.max, w.change.value) == (rv["min"], rv["max"], rv["value"])
    assert w.result.value != first and "v +" in w.result.value
    w.dropdown.value = "x"
    r = lever_range(sim.history, "x")
    assert (w.change.min, w.change.max, w.change.value) == (r["min"], r["max"], r["value"])
    after_lever = w.result.value
    assert after_lever == first  # back to the same settings: the same (seeded) picture
    w.change.value = -r["value"]
    assert w.result.value != after_lever and f"x {-r['value']:+#.3g} hours" in w.result.value
    w.kind.value = "pulse"
    assert "for one period (pulse)" in w.result.value
    w.horizon.value = 12
    assert "12 periods" in w.result.value and w.view().result.horizon == 12
    # the unit of w is user text: escaped in the HTML
    w.dropdown.value = "w"
    assert "<b>min</b>" not in w.result.value and "&lt;b&gt;min&lt;/b&gt;" in w.result.value

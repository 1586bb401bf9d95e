"""Lever simulation through the supported links; the bsc validate/lever command lines."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
from _evidence_extras_helpers import chain_card, chain_sim
from numpy.testing import assert_allclose

from bsc_toolkit.errors import DataError
from bsc_toolkit.evidence import LeverResult, simulate_lever, validate

FAST = dict(drivers=False, chains=False, discovery=False, transform="none")


@pytest.fixture(scope="module")
def planted():
    # long panel: the Nickell bias of the own-lag coefficients (about -(1+rho)/T) is small
    sim = chain_sim(n_units=20, n_periods=150, seed=21, persistence=0.5)
    return sim, validate(chain_card(), sim.history, **FAST)


def _analytic(sim, kind, H, change=1.0):
    """Impulse response of the planted system: d[k][h] = rho d[k][h-1] + b_k d[k-1][h-1]."""
    rho = sim.settings["persistence"]
    b = [t["effect"] for t in sim.truth]
    d = np.zeros((4, H + 1))
    d[0] = change if kind == "step" else 0.0
    d[0, 0] = change
    for h in range(1, H + 1):
        for k in range(1, 4):
            d[k, h] = rho * d[k, h - 1] + b[k - 1] * d[k - 1, h - 1]
    return dict(zip("xwvy", d, strict=True))


@pytest.mark.parametrize("kind", ["step", "pulse"])
def test_lever_reproduces_the_analytic_impulse_response(planted, kind):
    sim, ev = planted
    assert all(lk.verdict == "supported" for lk in ev.links)
    H = 8
    # a single run: check against a 98% band so that the check fails only for real errors
    res = simulate_lever(ev, sim.history, chain_card(), "L1", 1.0, horizon=H, draws=1000, kind=kind,
                         band=0.98)
    assert isinstance(res, LeverResult) and res.kpis == ["x", "w", "v", "y"]
    ref = _analytic(sim, kind, H)
    for k in "wvy":
        p = res.paths[k]
        inside = (p["low"] <= ref[k] + 1e-12) & (ref[k] - 1e-12 <= p["high"])
        assert inside.all(), (k, p["low"], ref[k], p["high"])
        nz = np.abs(ref[k]) > 1e-9
        assert_allclose(p["median"][nz], ref[k][nz], rtol=0.15)
    assert res.paths["y"]["point"][2] == 0 and abs(res.paths["y"]["point"][3]) > 0  # 3 lags to reach y
    assert res.financial == ["y"]
    df = res.to_frame()
    assert len(df) == 4 * (H + 1) and set(df.columns) >= {"kpi", "period", "median", "low", "high"}
    assert "y (financial)" in res.summary and "Propagated through" in res.summary


def test_unsupported_links_are_not_propagated():
    sim = chain_sim(n_units=40, n_periods=30, seed=22, null=[1])  # w -> v has no effect
    ev = validate(chain_card(), sim.history, **FAST)
    assert ev.link("P1", "C1").verdict != "supported"
    res = simulate_lever(ev, sim.history, chain_card(), "x", 2.0, horizon=4, draws=200)
    assert res.kpis == ["x", "w"]
    assert [(x["from_kpi"], x["to_kpi"]) for x in res.not_propagated] == [("w", "v")]
    assert "Not propagated" in res.summary


def test_lever_errors_name_the_problem(planted):
    sim, ev = planted
    with pytest.raises(DataError, match="'sales' is not a KPI or objective.*KPIs: x, w, v, y"):
        simulate_lever(ev, sim.history, chain_card(), "sales", 1.0)
    with pytest.raises(DataError, match="`kind` must be 'step' or 'pulse'"):
        simulate_lever(ev, sim.history, chain_card(), "x", 1.0, kind="ramp")
    other = chain_sim(n_units=20, n_periods=150, seed=99)
    with pytest.raises(DataError, match="re-estimating on this KPI history"):
        simulate_lever(ev, other.history, chain_card(), "x", 1.0)


def test_lever_plot_and_html(planted):
    import matplotlib

    matplotlib.use("Agg")
    sim, ev = planted
    res = simulate_lever(ev, sim.history, chain_card(), "x", 1.0, horizon=3, draws=50)
    fig = res.plot()
    assert len(fig.axes) == 3
    assert "<table" in res._repr_html_()


def _parser(mod):
    p = argparse.ArgumentParser()
    mod.add_arguments(p)
    return p


def test_cli_validate_flags_and_lever(tmp_path, capsys):
    from bsc_toolkit.cli import lever_cmd, main

    sim = chain_sim(n_units=30, n_periods=20, seed=23)
    sim.save(tmp_path)
    card = tmp_path / "card.json"
    card.write_text(chain_card().to_json())
    evp = tmp_path / "ev.json"
    rc = main(["validate", str(card), "--data", str(tmp_path / "history.csv"), "--unit", "unit", "--period",
               "period", "--transform", "none", "--no-discovery", "--bootstrap", "49", "--seed", "3",
               "--json", str(evp)])
    out = capsys.readouterr().out
    assert rc == 0 and "Driver models" in out and "Chains" in out and "EXPLORATORY" not in out
    d = json.loads(evp.read_text())
    assert d["chains"][0]["bootstrap"]["replications"] == 49 and d["settings"]["seed"] == 3
    assert d["suggestions"] == [] and d["drivers"][0]["outcome_kpi"] == "y"
    assert d["data"]["first_period"] == sim.history.first_period
    rc = main(["validate", str(card), "--data", str(tmp_path / "history.csv"), "--unit", "unit", "--period",
               "period", "--no-drivers", "--no-chains", "--quiet", "--json", str(tmp_path / "e2.json")])
    d2 = json.loads((tmp_path / "e2.json").read_text())
    assert rc == 0 and d2["drivers"] == [] and d2["chains"] == [] and "discovery" in d2
    args = _parser(lever_cmd).parse_args([
        str(card), "--data", str(tmp_path / "history.csv"), "--unit", "unit", "--period", "period",
        "--evidence", str(evp), "--kpi", "L1", "--change", "2", "--horizon", "4", "--draws", "100",
        "--csv", str(tmp_path / "paths.csv")])
    assert lever_cmd.run(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("Lever: x steps by +2")
    assert (tmp_path / "paths.csv").read_text().startswith("kpi,perspective,period,median")

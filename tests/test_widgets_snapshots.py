"""Widgets carry a static snapshot of their current result, and their controls sync in one message.

* every widget's output mimebundle holds, next to the widget view, a ``text/html`` snapshot
  (class ``bsc-widget-snapshot``) of what the widget shows *now*, a PNG of the figure when
  there is one and a readable ``text/plain`` line instead of ``VBox(children=(...``;
* (``nbconvert`` exports of notebooks saved by JupyterLab: tests/test_jupyterlab_browser.py and
  tests/test_notebooks_text.py;)
* switching the lever sends the change slider's range and value to the browser in one
  message, at the new lever's 1-SD default;
* :func:`bsc_toolkit.widgets.readable` writes table numbers with the shared formatter.
"""

from __future__ import annotations

import base64
import doctest

import numpy as np
import pandas as pd
import pytest

from bsc_toolkit.evidence import validate
from bsc_toolkit.history import simulate_history
from bsc_toolkit.scorecard import load_example
from bsc_toolkit.widgets import (
    lever_range,
    lever_sliders,
    link_explorer,
    power_simulator,
    readable,
    status_dashboard,
    what_if_sliders,
)

VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def run():
    sc = load_example("retail")
    sim = simulate_history(sc, n_units=8, n_periods=12, seed=1)
    ev = validate(sc, sim.history, transform="none", drivers=False, chains=False, discovery=False)
    return sc, sim, ev


def _widgets(run):
    sc, sim, ev = run
    return {
        "link_explorer": link_explorer(ev, sim.history, max_lag=1),
        "lever_sliders": lever_sliders(ev, sim.history, sc, draws=50),
        "power_simulator": power_simulator(effect=0.5, n_units=4, n_periods=6, n_sims=2),
        "status_dashboard": status_dashboard(sc),
        "what_if_sliders": what_if_sliders(ev, sim.history),
    }


def test_every_widget_bundle_holds_a_snapshot_of_its_result(run):
    for name, w in _widgets(run).items():
        data = w._repr_mimebundle_()
        assert VIEW in data, name  # the live widget is still there for JupyterLab
        html = data["text/html"]
        assert 'class="bsc-widget-snapshot"' in html and f'data-widget="{name}"' in html, name
        result = w.result if hasattr(w, "result") else w.children[-1]
        assert result.value and result.value in html, name  # the current result, verbatim
        assert not data["text/plain"].startswith(("VBox(", "HBox(")), data["text/plain"]
        assert "run the notebook in Jupyter" in data["text/plain"]
        if name in ("link_explorer", "lever_sliders"):  # a figure: also as image/png
            assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")


def test_the_snapshot_follows_the_controls(run):
    sc, sim, ev = run
    w = lever_sliders(ev, sim.history, sc, draws=50)
    before = w._repr_mimebundle_()["text/html"]
    w.kind.value = "pulse"
    after = w._repr_mimebundle_()["text/html"]
    assert "for one period (pulse)" in after and "for one period (pulse)" not in before
    assert "pulse, horizon" in after  # the settings line names the controls' values
    e = link_explorer(ev, sim.history, max_lag=1)
    e.dropdown.value = e.dropdown.options[3]
    assert f"link {e.dropdown.options[3]}".replace(">", "&gt;") in e._repr_mimebundle_()["text/html"]


def test_switching_the_lever_sends_range_and_value_together(run):
    sc, sim, ev = run
    w = lever_sliders(ev, sim.history, sc, draws=50)
    options = list(w.dropdown.options)
    ranges = {k: lever_range(sim.history, sc.kpi_for(k).id) for k in options}
    big = max(options, key=lambda k: ranges[k]["max"])
    small = min(options, key=lambda k: ranges[k]["max"])
    assert ranges[big]["max"] > 3 * ranges[small]["max"]  # a switch that used to clamp
    w.dropdown.value = big
    sent: list[dict] = []
    comm = w.change.comm
    original = comm.send
    comm.send = lambda *a, **k: sent.append(k.get("data") or (a[0] if a else {}))
    try:
        w.dropdown.value = small
    finally:
        comm.send = original
    states = [m["state"] for m in sent if m.get("method") == "update"]
    r = ranges[small]
    # one message with min, max, step and value, the value at the 1-SD default (not the new maximum)
    assert len(states) == 1, states
    assert {k: states[0][k] for k in ("min", "max", "step", "value")} == {
        "min": r["min"], "max": r["max"], "step": r["step"], "value": r["value"]}
    assert w.change.value == r["value"] != r["max"]


def test_readable_tables():
    df = pd.DataFrame({"from": ["L1", "P1", "C1"], "long_run": [0.47512, -2.8871, np.nan],
                       "q_value": [1e-9, 0.0312, np.nan], "joint p": [0.5, 1e-5, 0.2],
                       "effect": [1.202e-07, 12345.6, 0.0], "n_obs": [180, 12000, 7],
                       "adds": [True, False, True]})
    out = readable(df, signed=["long_run"])
    assert out["long_run"].tolist() == ["+0.475", "-2.89", "\u2013"]
    assert out["q_value"].tolist() == ["<0.001", "0.031", "\u2013"]  # never 0.000
    assert out["joint p"].tolist() == ["0.500", "<0.001", "0.200"]
    assert out["effect"].tolist() == ["1.20e-07", "12,346", "0"]
    assert out["n_obs"].tolist() == ["180", "12,000", "7"]
    assert out["adds"].tolist() == [True, False, True] and out["from"].tolist() == ["L1", "P1", "C1"]
    assert df["long_run"].dtype == float  # the input is not changed


def test_doctests_of_the_widget_and_map_helpers():
    from bsc_toolkit.strategy_map import overlay
    from bsc_toolkit.widgets import _snapshot, tables

    for mod in (_snapshot, tables, overlay):
        res = doctest.testmod(mod)
        assert res.failed == 0 and res.attempted > 0, mod.__name__

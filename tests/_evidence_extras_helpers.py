"""Shared pieces of the driver/chain/discovery/lever tests: a chain scorecard and its simulation."""

from __future__ import annotations

CHAIN_LINKS = [
    {"from": "L1", "to": "P1", "sign": "positive", "lags": [1]},
    {"from": "P1", "to": "C1", "sign": "positive", "lags": [1]},
    {"from": "C1", "to": "F1", "sign": "positive", "lags": [1]},
]


def chain_card(links=None):
    """x (L1) -> w (P1) -> v (C1) -> y (F1), one link per step, lag 1."""
    from _evidence_helpers import two_kpi_scorecard

    return two_kpi_scorecard(CHAIN_LINKS if links is None else links)


def chain_sim(n_units=40, n_periods=30, seed=0, **kw):
    from bsc_toolkit.history import simulate_history

    return simulate_history(chain_card(), n_units=n_units, n_periods=n_periods, seed=seed, **kw)

"""Stage 4 of the pipeline: statistical evidence for the scorecard's cause-and-effect links.

``validate(scorecard, history)`` tests every link (lagged driver, own lags of the
outcome, trend/unit-root handling, fixed effects, clustered or HAC errors),
corrects for multiple testing (Benjamini-Hochberg) and gives each link a verdict.
It also fits a driver model per lagging Financial KPI (joint test, out-of-sample
check), chain (indirect) effects with bootstrap CIs and an EXPLORATORY search for
candidate and reverse links; :func:`simulate_lever` propagates a change in one
KPI through the supported links.
The result is an :class:`Evidence` object that saves to the JSON format of
``docs/evidence-format.md`` and loads back with :func:`load_evidence`.

statsmodels and linearmodels are imported only when a test runs.
"""

from __future__ import annotations

from .levers import LeverResult, simulate_lever
from .linktest import PanelArrays, estimate_link
from .results import (
    FORMAT,
    ChainEffect,
    DriverModel,
    Estimate,
    Evidence,
    LinkResult,
    Section,
    Suggestion,
    Term,
    load_evidence,
    map_explanation,
)
from .validate import apply_fdr, validate

__all__ = [
    "FORMAT",
    "ChainEffect",
    "DriverModel",
    "LeverResult",
    "Section",
    "Suggestion",
    "simulate_lever",
    "Estimate",
    "Evidence",
    "LinkResult",
    "PanelArrays",
    "Term",
    "apply_fdr",
    "load_evidence",
    "map_explanation",
    "estimate_link",
    "validate",
]

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

The layers (each imports only the ones above it) are drawn in ``README.md`` beside
this file. Names are loaded on first use, so importing the package (or its
``options`` module, which the command line reads for ``--help``) costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .data import PanelArrays
    from .levers import LeverResult, simulate_lever
    from .linktest import estimate_link
    from .options import Options
    from .results import (
        FORMAT,
        ChainEffect,
        DriverModel,
        Estimate,
        Evidence,
        LinkResult,
        NoEstimate,
        Section,
        Suggestion,
        Term,
        load_evidence,
        map_explanation,
    )
    from .validation import validate
    from .verdicts import apply_fdr

_WHERE = {
    "PanelArrays": "data", "LeverResult": "levers", "simulate_lever": "levers",
    "estimate_link": "linktest", "Options": "options", "apply_fdr": "verdicts", "validate": "validation",
    **{name: "results" for name in ("FORMAT", "ChainEffect", "DriverModel", "Estimate", "Evidence",
                                    "LinkResult", "NoEstimate", "Section", "Suggestion", "Term",
                                    "load_evidence", "map_explanation")},
}

__all__ = [
    "FORMAT", "ChainEffect", "DriverModel", "Estimate", "Evidence", "LeverResult", "LinkResult",
    "NoEstimate", "Options", "PanelArrays", "Section", "Suggestion", "Term", "apply_fdr",
    "estimate_link", "load_evidence", "map_explanation", "simulate_lever", "validate",
]


def __getattr__(name: str) -> Any:
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module 'bsc_toolkit.evidence' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{mod}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))

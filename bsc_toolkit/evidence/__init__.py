"""Stage 4 of the pipeline: statistical evidence for the scorecard's cause-and-effect links.

``validate(scorecard, history)`` tests every link (lagged driver, own lags of the
outcome, trend/unit-root handling, fixed effects, clustered or HAC errors),
corrects for multiple testing (Benjamini-Hochberg) and gives each link a verdict.
The result is an :class:`Evidence` object that saves to the JSON format of
``docs/evidence-format.md`` and loads back with :func:`load_evidence`.

statsmodels and linearmodels are imported only when a test runs.
"""

from __future__ import annotations

from .linktest import PanelArrays, estimate_link
from .results import FORMAT, Estimate, Evidence, LinkResult, Term, load_evidence
from .validate import apply_fdr, validate

__all__ = [
    "FORMAT",
    "Estimate",
    "Evidence",
    "LinkResult",
    "PanelArrays",
    "Term",
    "apply_fdr",
    "load_evidence",
    "estimate_link",
    "validate",
]

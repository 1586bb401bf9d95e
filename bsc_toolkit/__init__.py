"""bsc-toolkit: Balanced Scorecards that are tested against data.

The package is laid out as the pipeline it implements::

    scorecard  -> generate -> history -> evidence -> strategy_map -> report -> demo
    (model,      (LLM and     (KPI data   (link       (graphviz)     (Quarto,
     lint,        offline)     loading,    tests,                     pandoc,
     scoring)                  simulate)   drivers)                   typst)

Heavy libraries (statsmodels, linearmodels, matplotlib, openai) are imported
lazily, so ``import bsc_toolkit`` and ``bsc --help`` stay fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (
    BSCError,
    DataError,
    EstimationError,
    GenerationError,
    MissingDependencyError,
    RenderError,
    ScorecardError,
)

__all__ = [
    "BSCError",
    "DataError",
    "EstimationError",
    "GenerationError",
    "MissingDependencyError",
    "RenderError",
    "ScorecardError",
    "__version__",
]

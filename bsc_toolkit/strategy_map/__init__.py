"""Stage 5 of the pipeline: strategy maps drawn with graphviz, with the evidence on them.

>>> from bsc_toolkit.strategy_map import strategy_map
>>> m = strategy_map("retail", "tests/data/evidence_retail_sample.json")  # doctest: +SKIP
>>> m.render("retail_map.svg")                                            # doctest: +SKIP
"""

from __future__ import annotations

from .build import LANE_COLOURS, strategy_map
from .overlay import EDGE_STYLES, VERDICTS, EdgeStyle, read_evidence
from .result import FORMATS, DotNotFoundError, StrategyMap, run_dot

__all__ = [
    "EDGE_STYLES", "FORMATS", "LANE_COLOURS", "VERDICTS", "DotNotFoundError", "EdgeStyle",
    "StrategyMap", "read_evidence", "run_dot", "strategy_map",
]

"""Resource limits: every parser and every user number that sizes an allocation is bounded.

One table, so a reader sees every limit in one place and a test can lower one
(``monkeypatch.setattr(_limits, "MAX_DOCUMENT_BYTES", 1000)``). Code reads the
limits as ``_limits.NAME`` at call time for that reason. Each limit is far above
what a real scorecard, brief or analysis needs; hitting one means the input is
broken or hostile, and the message says which limit and how to stay under it.
"""

from __future__ import annotations

__all__ = [
    "MAX_BOOTSTRAP",
    "MAX_DOCUMENT_BYTES",
    "MAX_DRAWS",
    "MAX_HORIZON",
    "MAX_LAGS",
    "MAX_LEVER_VALUES",
    "MAX_LLM_RESPONSE_BYTES",
    "MAX_SIMULATED_VALUES",
    "MAX_SIM_PERIODS",
    "MAX_SIM_UNITS",
    "MAX_TIMEOUT",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
]

# ----------------------------------------------------------------- documents
#: largest scorecard, brief or actuals file read (bytes); a 1,000-objective scorecard is ~0.2 MB
MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
#: deepest nesting of mappings and lists in a YAML/JSON document (a scorecard needs 6)
MAX_YAML_DEPTH = 50
#: most values (scalars, mappings, lists) in a document, counting every alias as the copy it stands
#: for: a YAML "billion laughs" alias bomb is refused at the alias that crosses it
MAX_YAML_NODES = 250_000

# ------------------------------------------------------------------ LLM
#: largest HTTP answer read from an LLM server (bytes)
MAX_LLM_RESPONSE_BYTES = 8 * 1024 * 1024
#: longest total time of one LLM request (seconds); larger values overflow socket timeouts
MAX_TIMEOUT = 86_400.0

# --------------------------------------------------------- simulations, draws
#: most units, most periods of a simulated KPI history
MAX_SIM_UNITS = 100_000
MAX_SIM_PERIODS = 100_000
#: most values of a simulated history (units x periods x KPIs; ~160 MB per copy)
MAX_SIMULATED_VALUES = 20_000_000
#: most coefficient draws of a lever simulation, and its longest horizon (periods)
MAX_DRAWS = 100_000
MAX_HORIZON = 1_000
#: most values of a lever simulation (draws x KPIs x periods)
MAX_LEVER_VALUES = 20_000_000
#: most bootstrap replications of the chain intervals
MAX_BOOTSTRAP = 10_000
#: longest driver lag and most own lags a link test takes (periods)
MAX_LAGS = 60

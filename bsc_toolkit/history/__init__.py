"""Stage 3 of the pipeline: KPI history (loading files/SQL onto a period grid) and simulation.

:func:`load_history` reads real KPI data (CSV, Excel, Parquet, DataFrames, SQL),
with numbers as people write them, unit names that never split a panel
silently, and a data summary of what was read (``KPIHistory.intake``);
:func:`simulate_history` generates a history from a scorecard with planted
cause-and-effect links, so the evidence engine can be checked against a known truth.
"""

from __future__ import annotations

from .frame import SINGLE_UNIT, KPIHistory
from .keys import DataWarning
from .load import history_from_frame, load_history
from .simulate import Simulation, simulate_history
from .sql import TABLE as SQL_TABLE
from .summary import DataSummary

__all__ = [
    "SINGLE_UNIT",
    "SQL_TABLE",
    "DataSummary",
    "DataWarning",
    "KPIHistory",
    "Simulation",
    "history_from_frame",
    "load_history",
    "simulate_history",
]

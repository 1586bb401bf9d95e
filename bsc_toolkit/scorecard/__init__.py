"""Stage 1 of the pipeline: the scorecard model, files, lint, scoring and cascading."""

from __future__ import annotations

from .cascade import check_cascade, load_parent
from .examples import example_path, list_examples
from .findings import Finding, Findings
from .io import (
    dump_yaml,
    load_example,
    load_scorecard,
    parse_scorecard,
    save_scorecard,
    scorecard_from_data,
)
from .lint import LINT_RULES, lint, objective_graph
from .model import (
    KPI,
    PERSPECTIVE_ORDER,
    Generator,
    Initiative,
    Link,
    Objective,
    Perspective,
    Scorecard,
    Thresholds,
    scorecard_json_schema,
)
from .scoring import (
    STATUS_COLOURS,
    KPIStatus,
    RollUp,
    ScoreReport,
    kpi_status,
    score,
    status_for_score,
)

__all__ = [
    "KPI", "LINT_RULES", "PERSPECTIVE_ORDER", "STATUS_COLOURS", "Finding", "Findings", "Generator",
    "Initiative", "KPIStatus", "Link", "Objective", "Perspective", "RollUp", "ScoreReport", "Scorecard",
    "Thresholds", "check_cascade", "dump_yaml", "example_path", "kpi_status", "lint", "list_examples",
    "load_example", "load_parent", "load_scorecard", "objective_graph", "parse_scorecard", "save_scorecard",
    "score", "scorecard_from_data", "scorecard_json_schema", "status_for_score",
]

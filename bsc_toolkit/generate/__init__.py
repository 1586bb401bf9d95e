"""Stage 2 of the pipeline: scorecards generated from a strategy brief.

* :func:`generate_scorecard` drafts a scorecard with any OpenAI-compatible LLM
  (OpenAI, Azure OpenAI, Ollama, vLLM, LM Studio) or, by default when nothing is
  configured, offline from the curated KPI library (deterministic, lint-clean).
* :func:`load_brief`, :func:`list_briefs`, :func:`demo_brief_path`: strategy briefs,
  including bundled ones for several sectors.
* :func:`extract_themes` reads a brief's strategic themes, :func:`theme_coverage`
  scores which of them a scorecard measures, :func:`match_sector` says which library
  sector the offline generator uses and how sure the match is.
* :func:`critique` and :func:`narrate` write Markdown reviews of a scorecard (and of
  the brief's themes it misses) and of its evidence; :func:`derive_okrs` turns a
  scorecard into quarterly OKRs.

The ``openai`` and ``scikit-learn`` libraries are imported only when needed.
"""

from __future__ import annotations

from .brief import (
    Brief,
    as_brief,
    brief_path,
    demo_brief_path,
    list_briefs,
    load_brief,
    parse_brief,
)
from .coverage import ThemeCoverage, theme_coverage
from .generator import check_answer, generate_scorecard, generation_summary, response_format
from .library import KPILibrary, load_library
from .llm import DEFAULT_MODEL, LLMConfig, resolve_config, retry_delay
from .offline import SectorMatch, generate_offline, match_sector
from .okr import KeyResult, OKRObjective, OKRSet, derive_okrs
from .review import critique, evidence_dict, narrate
from .themes import Theme, extract_themes

__all__ = [
    "DEFAULT_MODEL", "Brief", "KPILibrary", "KeyResult", "LLMConfig", "OKRObjective", "OKRSet",
    "SectorMatch", "Theme", "ThemeCoverage", "as_brief", "brief_path", "check_answer", "critique",
    "demo_brief_path", "derive_okrs", "evidence_dict", "extract_themes", "generate_offline",
    "generate_scorecard", "generation_summary", "list_briefs", "load_brief", "load_library",
    "match_sector", "narrate", "parse_brief", "resolve_config", "response_format", "retry_delay",
    "theme_coverage",
]

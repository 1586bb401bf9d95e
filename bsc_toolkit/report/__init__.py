"""Stage 6 of the pipeline: reports (Quarto documents) with charts.

:func:`build_report` writes a real Quarto document (``index.qmd`` with callouts,
cross-referenced figures and tables) for a scorecard and renders it: with the
Quarto CLI when it is installed, and with pandoc 3 (from ``pypandoc_binary``)
plus the ``typst`` compiler everywhere else. Three kinds: ``validation``
(evidence for the cause-and-effect links), ``client`` (the scorecard with
statuses, map and initiatives) and ``handout`` (a teaching variant).

Examples
--------
>>> from bsc_toolkit.report import build_report  # doctest: +SKIP
>>> build_report("retail", kind="validation", evidence="evidence.json", out_dir="report/")  # doctest: +SKIP
"""

from __future__ import annotations

from .builder import WRITTEN, ReportResult, build_report, load_evidence_dict

__all__ = ["WRITTEN", "ReportResult", "build_report", "load_evidence_dict"]

"""Cascading: department scorecards whose objectives support the corporate ones.

A child scorecard names its ``parent`` and, per objective, the parent
objectives it ``supports``. :func:`check_cascade` reports parent objectives that
no child supports, child objectives that support nothing, and references to
parent objectives that do not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import Problem, ScorecardError, clip
from .examples import list_examples
from .findings import Finding, Findings
from .io import load_scorecard
from .model import Scorecard

__all__ = ["SCORECARD_SUFFIXES", "check_cascade", "load_parent"]

#: the file extensions a ``parent:`` reference may have (besides a shipped example's name)
SCORECARD_SUFFIXES = (".yaml", ".yml", ".json")


def load_parent(child: Scorecard, base_dir: str | None = None, *, file: str | None = None) -> Scorecard | None:
    """Load the scorecard named by ``child.parent`` (a path relative to ``base_dir`` or an example name).

    ``parent:`` is text from a file (which an LLM may have written), so it must name a
    shipped example or a ``.yaml``/``.yml``/``.json`` file: ``parent: .env`` is refused
    without reading the file. ``file`` names the child in messages.

    Examples
    --------
    >>> from bsc_toolkit.scorecard import load_example
    >>> load_parent(load_example("software_engineering")).name
    'Lumen Cloud'
    """
    if not child.parent:
        return None
    ref = child.parent
    examples = list_examples()
    if ref not in examples and (Path(ref).suffix.lower() not in SCORECARD_SUFFIXES or len(ref) > 4096):
        raise ScorecardError([Problem(
            "parent", f"`parent` must name a scorecard file ({', '.join(SCORECARD_SUFFIXES)}) or a shipped "
            f"example ({', '.join(examples)}), got {clip(ref)}")], file)
    p = Path(ref)
    candidates = [Path(base_dir) / p] if base_dir is not None and not p.is_absolute() else []
    for c in [*candidates, p]:
        if c.is_file():
            return load_scorecard(c)
    if ref in examples:
        return load_scorecard(ref)
    where = f" (looked in '{base_dir}' and the current folder)" if candidates else ""
    raise ScorecardError([Problem(
        "parent", f"parent scorecard {clip(ref)} not found{where}; shipped examples: {', '.join(examples)}; "
        "or name the parent explicitly (--parent FILE)")], file)


def check_cascade(parent: Scorecard, children: Scorecard | Sequence[Scorecard]) -> Findings:
    """Check how one or more child scorecards support a parent scorecard.

    Returns findings:

    * ``unknown-parent-objective`` (error): a child objective supports an id the parent lacks;
    * ``unsupported-parent-objective`` (warning): no child objective supports it;
    * ``unaligned-child-objective`` (warning): a child objective supports nothing in the parent.

    Examples
    --------
    >>> from bsc_toolkit.scorecard import load_example, check_cascade
    >>> f = check_cascade(load_example("software"), load_example("software_engineering"))
    >>> f.ok
    True
    """
    kids = [children] if isinstance(children, Scorecard) else list(children)
    parent_ids = {o.id for o in parent.objectives}
    supported: set[str] = set()
    out: list[Finding] = []
    for child in kids:
        for o in child.objectives:
            if not o.supports:
                out.append(Finding(
                    "unaligned-child-objective", "warning",
                    f"'{o.name}' in '{child.name}' supports no objective of '{parent.name}'",
                    "name the parent objective(s) it supports in `supports`, or question whether it belongs on this scorecard",
                    f"{child.name}:{o.id}"))
            for ref in o.supports:
                if ref not in parent_ids:
                    out.append(Finding(
                        "unknown-parent-objective", "error",
                        f"'{o.id}' in '{child.name}' supports '{ref}', which is not an objective of '{parent.name}'",
                        f"use one of: {', '.join(sorted(parent_ids))}", f"{child.name}:{o.id}"))
                else:
                    supported.add(ref)
    for o in parent.objectives:
        if o.id not in supported:
            out.append(Finding(
                "unsupported-parent-objective", "warning",
                f"no child objective supports '{o.name}' ({o.perspective.label})",
                "add a department objective that supports it, or confirm it is delivered at corporate level",
                f"{parent.name}:{o.id}"))
    return Findings.of(out, title=f"Cascade of '{parent.name}'")

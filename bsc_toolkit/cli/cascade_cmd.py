"""bsc cascade: check how department scorecards support a corporate scorecard."""

from __future__ import annotations

import argparse

NAME = "cascade"
HELP = "check that child (department) scorecards support the parent's objectives"
DESCRIPTION = """\
Check a cascade: each child scorecard's objectives name the parent objectives
they support (`supports: [F1, C2]`). Reports parent objectives that no child
supports (warning), child objectives that support nothing (warning) and
references to parent objectives that do not exist (error).

The parent is given with --parent, or taken from the child's `parent:` field.

Examples:
  bsc cascade software_engineering                 # parent from the file's `parent:`
  bsc cascade --parent corporate.yaml sales.yaml ops.yaml
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("children", nargs="+", help="child scorecard file(s) or example names")
    p.add_argument("--parent", help="parent scorecard (default: the first child's `parent:` field)")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors (exit 1)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import Problem, ScorecardError
    from ..scorecard import check_cascade, load_parent, load_scorecard

    children = [load_scorecard(c) for c in args.children]
    if args.parent:
        parent = load_scorecard(args.parent)
    else:
        base = Path(args.children[0]).parent if Path(args.children[0]).exists() else None
        named = load_parent(children[0], str(base) if base else None, file=args.children[0])
        if named is None:
            raise ScorecardError(
                [Problem("parent", "no `parent:` in the scorecard; give the parent with --parent FILE")],
                args.children[0],
            )
        parent = named
    findings = check_cascade(parent, children)
    print(findings.summary)
    ok = findings.ok_strict if args.strict else findings.ok
    return 0 if ok else 1

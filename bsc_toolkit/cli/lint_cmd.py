"""bsc lint: check a scorecard against Balanced Scorecard best practice."""

from __future__ import annotations

import argparse

NAME = "lint"
HELP = "check a scorecard against best practice (15-25 KPIs, links upward, targets, ...)"
DESCRIPTION = """\
Check a scorecard file against Balanced Scorecard best practice and print each
finding with what to do about it: 15-25 KPIs, 2-4 objectives per perspective,
1-2 KPIs per objective, links that run upward (Learning -> Process -> Customer ->
Financial) without cycles, targets and directions on every KPI, leading
indicators feeding the lagging financial KPIs, balanced perspectives and weights.

Exit code 0 when there are only warnings (or nothing), 1 when there is an error;
--strict turns warnings into errors.

Examples:
  bsc lint my_scorecard.yaml
  bsc lint retail                       # a shipped example
  bsc lint --strict --json findings.json my_scorecard.yaml
  bsc lint --rules                      # list every rule
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scorecard", nargs="?", help="scorecard file (.yaml/.json) or shipped example name")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors (exit 1)")
    p.add_argument("--json", metavar="OUT", help="also write the findings as JSON ('-' for stdout)")
    p.add_argument("--rules", action="store_true", help="list the lint rules and exit")


def run(args: argparse.Namespace) -> int:
    from ..scorecard import LINT_RULES, lint, load_scorecard
    from ._common import UsageError, check_not_inputs, check_output_file, write_json

    if args.rules:
        for code, text in LINT_RULES.items():
            print(f"{code:<28} {text}")
        return 0
    if not args.scorecard:
        raise UsageError("give a scorecard file or shipped example name (or --rules)")
    check_output_file(args.json, "--json")
    check_not_inputs({"--json": args.json}, {"SCORECARD": args.scorecard})
    findings = lint(load_scorecard(args.scorecard))
    if args.json:
        write_json({"scorecard": args.scorecard, "findings": findings.to_records()}, args.json)
    if args.json != "-":
        print(findings.summary)
    ok = findings.ok_strict if args.strict else findings.ok
    return 0 if ok else 1

"""bsc demo: the whole pipeline offline, in one command."""

from __future__ import annotations

import argparse

NAME = "demo"
HELP = "run the whole pipeline offline: brief -> scorecard -> data -> evidence -> map -> report"
DESCRIPTION = """\
Run every stage of bsc-toolkit on built-in material, with no network and no API key:

  1. generate a scorecard from the bundled strategy brief (offline generator)
  2. simulate a KPI history for it with known, planted cause-and-effect links
  3. test every link of the scorecard against that history (the evidence engine)
  4. draw the strategy map with the evidence on it
  5. write the validation report (Quarto document, rendered to HTML and PDF)

Because the truth is planted, you can check the verdicts against truth.json: a good
engine finds the planted links and does not invent the others.

Files written to DIR (default ./bsc-demo):
  scorecard.yaml  history.csv  truth.json  evidence.json  strategy_map.svg
  report/index.qmd  report/index.html  report/index.pdf

Examples:
  bsc demo
  bsc demo --out /tmp/demo --seed 3
  bsc demo --quiet            # only print where the report is
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ._common import non_negative_int

    p.add_argument("--out", default="bsc-demo", metavar="DIR", help="output folder (default ./bsc-demo)")
    p.add_argument("--seed", type=non_negative_int, default=7, metavar="N", help="random seed (default 7)")
    p.add_argument("--quiet", action="store_true", help="no progress; print only the report path")


def run(args: argparse.Namespace) -> int:
    from ..demo import run_demo
    from ._common import check_output_dir

    check_output_dir(args.out, "--out")
    result = run_demo(args.out, seed=args.seed, progress=not args.quiet)
    if args.quiet:
        print(result.report_path)
    else:
        print(result.summary)
    return 0

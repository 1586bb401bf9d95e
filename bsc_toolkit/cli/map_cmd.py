"""bsc map: draw a scorecard as a strategy map, optionally with the evidence on it."""

from __future__ import annotations

import argparse

NAME = "map"
HELP = "draw the strategy map (graphviz), optionally coloured by the evidence"
DESCRIPTION = """\
Draw a scorecard as a strategy map in the style of Kaplan & Norton: the four
perspectives as lanes (Financial on top, Learning & Growth at the bottom), each
objective as a box listing its KPIs with actual / target and a status bar
(G green, A amber, R red), and the cause-and-effect links as arrows upward.

With --evidence (the JSON written by `bsc validate --json`) every arrow shows
what the data said, with colour AND line style so it reads in greyscale too:
  supported       blue, solid, filled head; thicker = larger standardized effect
  contradicted    vermillion, bar head, marked with a cross
  not supported   grey, hollow head, "n.s."
  no verdict      grey dotted, circle head (insufficient data)
  candidate       green dashed: a link found in the data but not hypothesised
  reverse?        diamond tail: the reverse direction is stronger
  fragile         lighter line and "fragile": the verdict changes across specifications
Labels give the long-run effect and the lags tested, e.g. "+0.420 (lag 1)";
a numbered mark such as "\u26a01" flags a caveat (read it in the report or console).
A legend explains every mark that appears.

The output format follows the extension of -o: .svg .png .pdf or .dot (the
DOT source, no graphviz needed). Rendering needs Graphviz's `dot` program.

Examples:
  bsc map retail -o retail.svg
  bsc map my_scorecard.yaml --evidence results.json -o map.png
  bsc map dept.yaml --parent corporate.yaml --no-kpis -o cascade.pdf
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scorecard", help="scorecard file (.yaml/.json) or shipped example name")
    p.add_argument("-o", "--out", required=True, metavar="FILE",
                   help="output file; format from the extension (.svg .png .pdf .dot)")
    p.add_argument("--evidence", metavar="JSON", help="evidence file from `bsc validate --json`")
    p.add_argument("--parent", metavar="FILE",
                   help="parent scorecard: draw the objectives this one supports in a band on top")
    p.add_argument("--no-kpis", action="store_true", help="show objectives only, without their KPIs")
    p.add_argument("--title", help="title above the map (default: scorecard name and period)")


def run(args: argparse.Namespace) -> int:
    import sys
    import warnings

    from ..strategy_map import strategy_map
    from ._common import check_not_inputs, check_output_file

    check_output_file(args.out, "-o/--out")  # the format is checked by render(), from the extension
    check_not_inputs({"-o/--out": args.out},
                     {"SCORECARD": args.scorecard, "--evidence": args.evidence, "--parent": args.parent})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # reported below, one line each
        m = strategy_map(args.scorecard, args.evidence, parent=args.parent, title=args.title,
                         show_kpis=not args.no_kpis)
    out = m.render(args.out)
    for w in m.warnings:
        print(f"bsc map: warning: {w}", file=sys.stderr)
    print(f"{m.summary.splitlines()[0]} -> {out}")
    return 0

"""bsc lever: simulate what moving one KPI does downstream, through the supported links."""

from __future__ import annotations

import argparse

from .. import _limits
from ._common import finite_float, int_between, non_negative_int
from .data_cmd import add_data_arguments, load_from_args

NAME = "lever"
HELP = "simulate the effect of moving one KPI on the KPIs downstream (supported links only)"
DESCRIPTION = """\
"If training hours go up by 5 per employee, what happens to sales over the next
8 quarters?" The change is imposed on one KPI (a permanent step, or a one-off
pulse with --pulse) and propagated through the SUPPORTED links of an evidence
file, each with its estimated dynamic equation (lag coefficients of the driver
and the outcome's own lags; several drivers of one KPI add up). Coefficients are
drawn from their estimated sampling distribution, so every KPI gets a median
path and a 90% band. Links that are not supported are listed and not used.

The evidence file must come from `bsc validate --json` on the same data: the
coefficients' covariances are re-estimated from --data with each link's design.

Examples (`bsc simulate retail -o .` makes a history.csv to try them on):
  bsc validate retail --data history.csv --unit unit --period period --json evidence.json
  bsc lever retail --data history.csv --unit unit --period period --evidence evidence.json \\
      --kpi L1 --change 5 --horizon 8
  bsc lever retail --data history.csv --unit unit --period period --evidence evidence.json \\
      --kpi training_hours --change 10 --pulse --csv paths.csv --plot paths.png

Exit codes: 0 success, 1 bad input (the message says what and where), 2 usage error.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scorecard", help="scorecard file (.yaml/.json) or shipped example name")
    p.add_argument("--data", required=True, metavar="FILE", help="the KPI history the evidence came from")
    add_data_arguments(p)
    p.add_argument("--evidence", required=True, metavar="FILE", help="evidence file from `bsc validate --json`")
    p.add_argument("--kpi", required=True, metavar="ID", help="the lever: a KPI id or an objective id")
    p.add_argument("--change", required=True, type=finite_float, metavar="X", help="size of the move, in the KPI's units")
    p.add_argument("--horizon", type=int_between(1, _limits.MAX_HORIZON), default=8, metavar="H", help="periods to simulate (default 8)")
    p.add_argument("--draws", type=int_between(10, _limits.MAX_DRAWS), default=1000, metavar="N",
                   help="coefficient draws for the band (default 1000)")
    p.add_argument("--seed", type=non_negative_int, default=0, metavar="N", help="random seed (default 0)")
    p.add_argument("--pulse", action="store_true", help="a one-off change instead of a permanent step")
    p.add_argument("--csv", metavar="OUT", help="write the paths (one row per KPI and period) as CSV")
    p.add_argument("--plot", metavar="OUT", help="draw the paths (.png, .svg or .pdf)")


def run(args: argparse.Namespace) -> int:
    from .._io import atomic_path
    from ..evidence import load_evidence, simulate_lever
    from ..scorecard import load_scorecard
    from ._common import check_not_inputs, check_output_file

    check_output_file(args.csv, "--csv")
    check_output_file(args.plot, "--plot", (".png", ".svg", ".pdf"))
    check_not_inputs({"--csv": args.csv, "--plot": args.plot},
                     {"SCORECARD": args.scorecard, "--data": args.data, "--evidence": args.evidence})
    sc = load_scorecard(args.scorecard)
    ev = load_evidence(args.evidence)
    history = load_from_args(args, args.data, scorecard=sc)
    res = simulate_lever(ev, history, sc, args.kpi, args.change, horizon=args.horizon, draws=args.draws,
                         seed=args.seed, kind="pulse" if args.pulse else "step")
    print(res.summary)
    if args.csv:
        with atomic_path(args.csv) as tmp:
            res.to_frame().to_csv(tmp, index=False)
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        fig = res.plot()
        with atomic_path(args.plot) as tmp:
            fig.savefig(tmp, format=str(args.plot).rsplit(".", 1)[-1], dpi=150)
    return 0

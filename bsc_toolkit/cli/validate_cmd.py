"""bsc validate: test a scorecard's cause-and-effect links on historical KPI data."""

from __future__ import annotations

import argparse
import sys

from .. import _limits
from ..evidence.options import BIAS_CORRECTIONS, COVS, EFFECTS, ESTIMATORS, TRANSFORMS
from ._common import csv_list, int_between, non_negative_int
from .data_cmd import add_data_arguments, load_from_args

NAME = "validate"
HELP = "test the scorecard's cause-and-effect links on KPI history (verdict per link)"
DESCRIPTION = """\
Test every cause-and-effect link of a scorecard (driver -> outcome) on historical
KPI data. A correlation is not evidence: each link is a regression of the outcome
on PAST values of the driver (the link's `lags`, or lags 1..p chosen by BIC),
controlling for the outcome's own past (--own-lags), with trends and unit roots
handled first (--transform auto runs ADF and KPSS and says what it did). Panels
(several units) get unit and time fixed effects and unit-clustered standard errors;
a single series gets Newey-West (HAC) errors. The long-run effect (sum of the lag
coefficients) is reported with its confidence interval, and q-values correct for
testing many links at once (Benjamini-Hochberg false discovery rate).

Verdicts:
  supported          significant after FDR (q <= alpha) with the expected sign
  contradicted       significant after FDR, but with the opposite sign
  not_supported      estimable, but not significant after FDR
  insufficient_data  no verdict; the reason says why (too few periods for the
                     lags, constant series, collinear design, missing values)

Beyond the links (switch each off to save time):
  driver models      each lagging Financial KPI regressed on ALL leading KPIs that
                     reach it: joint test, per-driver effects, and an out-of-sample
                     check (rolling-origin forecasts vs. an own-past-only baseline)
  chains             indirect effect of every Learning -> Process -> Customer ->
                     Financial path (product of the steps), bootstrap CI (whole
                     units resampled; moving blocks for a single series)
  discovery          EXPLORATORY: links the map lacks, and links whose reverse
                     direction is stronger; own FDR families, leads not findings

Short panels and feedback (--estimator):
  ols     (default) fixed-effects regression; with unit effects, own lags and few
          periods it is biased (Nickell), and when the outcome feeds back into the
          driver a purely REVERSED link can come out `contradicted` (about 13% of
          simulated panels of 20 units x 24 periods)
  iv-fd   Anderson-Hsiao: first differences remove the unit effects and the
          outcome's lagged change is instrumented by its value two periods back
          (two-stage least squares, unit-clustered errors). Use it for panels with
          fewer than about 30 periods when reverse causality is plausible; it has
          less power and gives insufficient_data when the instrument is weak
          (first-stage F < 10, reported in the JSON)

Dynamics (--bias-correction): in panels with unit effects and own lags the long-run
multiplier, the chains' multipliers and the lever paths use the half-panel jackknife
(Dhaene & Jochmans 2015), which removes the short-panel bias of the own lags, with
whole-unit bootstrap intervals; each link's `dynamics` record in the JSON gives raw and
corrected numbers. `--bias-correction hpj` applies the correction to the link tests too.

Examples (`bsc simulate retail -o .` makes a history.csv to try them on):
  bsc validate retail --data history.csv --unit unit --period period --bootstrap 999 --seed 1
  bsc validate retail --data history.csv --unit unit --period period --no-discovery
  bsc validate retail --data stores.csv --unit store --period quarter --json evidence.json
  bsc validate my.yaml --data kpis.xlsx --sheet data --period month --json evidence.json
  bsc validate my.yaml --data kpis.csv --period year --own-lags 0 --transform diff
  bsc validate retail --data history.csv --unit unit --period period --estimator iv-fd
  bsc validate my.yaml --data shop.duckdb --sql "select * from kpis" --unit store --period q
  bsc validate my.yaml --data kpis.csv --sql "select * from data where region = 'EU'" --period month
  bsc validate my.yaml --data kpis.csv --period year --decimal , --map revenue='Sales (EUR)'

Reading the data: numbers may be written with thousands separators, currency and
percent signs, accounting negatives and the usual missing markers (see `bsc data
--help`); a KPI whose column has another name is mapped with `column:` in the
scorecard or --map. A short summary of what was read (gaps, conversions, merged
unit names) is printed first; `bsc data FILE` shows all of it.

Exit codes: 0 success, 1 bad input (the message says what and where), 2 usage error.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scorecard", help="scorecard file (.yaml/.json) or shipped example name")
    p.add_argument("--data", required=True, metavar="FILE",
                   help="KPI history: CSV, Excel, Parquet, or a database for --sql")
    add_data_arguments(p)
    p.add_argument("--effects", choices=["auto", *EFFECTS], default="auto",
                   help="fixed effects (auto: both for panels, none for a single series)")
    p.add_argument("--cov", choices=["auto", *COVS], default="auto",
                   help="standard errors (auto: clustered by unit for panels, hac for a single series)")
    p.add_argument("--own-lags", type=int_between(0, _limits.MAX_LAGS), default=1, metavar="N",
                   help="lags of the outcome itself in every model (default 1; 0 allowed)")
    p.add_argument("--controls", type=csv_list, default=[], metavar="A,B",
                   help="extra columns entering every model contemporaneously")
    p.add_argument("--max-lag", type=int_between(0, _limits.MAX_LAGS), default=2, metavar="N",
                   help="largest driver lag tried by BIC for links without explicit lags (default 2)")
    p.add_argument("--transform", choices=["auto", *TRANSFORMS], default="auto",
                   help="trends and unit roots: auto (ADF/KPSS), none, detrend, diff (default auto)")
    p.add_argument("--estimator", choices=ESTIMATORS, default="ols",
                   help="link-test estimator: ols (fixed effects, default) or iv-fd (Anderson-Hsiao "
                        "IV in first differences: less biased in short panels with feedback, less "
                        "power; panels only)")
    p.add_argument("--bias-correction", choices=list(BIAS_CORRECTIONS), default="none",
                   help="short-panel bias correction of the link tests: none (default) or hpj "
                        "(half-panel jackknife, bootstrap standard errors); long-run multipliers, "
                        "chains and levers are corrected either way (panels with unit effects and "
                        "own lags)")
    p.add_argument("--alpha", type=float, default=0.05, metavar="A",
                   help="false discovery rate for the verdicts (default 0.05)")
    p.add_argument("--json", metavar="OUT", help="write the evidence file (JSON) here; '-' for stdout")
    p.add_argument("--no-drivers", action="store_true", help="skip the driver models (joint + out-of-sample)")
    p.add_argument("--no-chains", action="store_true", help="skip the chain (indirect) effects")
    p.add_argument("--no-discovery", action="store_true",
                   help="skip the exploratory search for candidate and reverse links")
    p.add_argument("--no-robustness", action="store_true",
                   help="skip re-testing each link over the grid of defensible specifications "
                        "(transform, own lags, driver lags, effects, the outcome's other drivers; labels "
                        "robust/fragile)")
    p.add_argument("--jobs", type=int_between(0, 8), default=0, metavar="N",
                   help="processes for independent parts of the run (half of the unit-root and trend "
                        "tests, then the robustness grid, in a second process beside the link tests, "
                        "dynamics, drivers, chains and discovery); 0 (default): one per core, at most 2 "
                        "(more would not help: the parts are two); 1: everything in one process; the "
                        "results are the same")
    p.add_argument("--seasonal", action="store_true",
                   help="month/quarter/week-of-year effects as controls (monthly, quarterly or weekly "
                        "data; time effects absorb them already)")
    p.add_argument("--bootstrap", type=int_between(0, _limits.MAX_BOOTSTRAP), default=499, metavar="N",
                   help="bootstrap replications for the chain CIs (default 499; 0: Sobel only)")
    p.add_argument("--seed", type=non_negative_int, default=0, metavar="N",
                   help="random seed of the bootstrap (default 0)")
    p.add_argument("--quiet", action="store_true", help="do not print the table")


def run(args: argparse.Namespace) -> int:
    from ..evidence import validate
    from ..scorecard import load_scorecard
    from ._common import check_not_inputs, check_output_file, write_text

    check_output_file(args.json, "--json")
    check_not_inputs({"--json": args.json}, {"SCORECARD": args.scorecard, "--data": args.data})
    sc = load_scorecard(args.scorecard)
    history = load_from_args(args, args.data, scorecard=sc, controls=tuple(args.controls))
    if not args.quiet and args.json != "-":
        print(history.intake.short + "\n")
    ev = validate(
        sc, history, effects=args.effects, cov=args.cov, own_lags=args.own_lags,
        controls=tuple(args.controls), max_lag=args.max_lag, transform=args.transform,
        alpha=args.alpha, progress=sys.stderr.isatty() and not args.quiet, drivers=not args.no_drivers,
        chains=not args.no_chains, discovery=not args.no_discovery, bootstrap=args.bootstrap, seed=args.seed,
        estimator=args.estimator, robustness=not args.no_robustness, seasonal=args.seasonal,
        bias_correction=args.bias_correction, jobs=args.jobs,
    )
    if args.json:
        write_text(ev.to_json(), args.json)
    if not args.quiet and args.json != "-":
        print(ev.summary)
    return 0

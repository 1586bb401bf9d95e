"""bsc simulate: KPI history with planted cause-and-effect links (and the truth)."""

from __future__ import annotations

import argparse

NAME = "simulate"
HELP = "simulate KPI history from a scorecard with known, planted effects (for testing and teaching)"
DESCRIPTION = """\
Generate a KPI history for every KPI of a scorecard, with every link of the
scorecard planted as a real lagged effect, and write it with the truth:

  DIR/history.csv   unit, period, one column per KPI (or long form with --long)
  DIR/truth.json    per link: the planted effect in KPI units and standardised

Run `bsc validate` on the result and compare its verdicts with truth.json: a
method that cannot find planted effects (or finds effects that are not there)
is caught before it is used on real data.

The model: each KPI has a unit fixed effect, AR(1) persistence on its own past
(--persistence), the planted effects of its drivers at the link's first lag,
and random shocks (--noise). Effect sizes are in standard-deviation units of
the shocks and follow each link's expected sign (default 0.5); a negative
--effect plants an effect against the hypothesis. Levels are then rescaled to
each KPI's baseline (mean) and baseline-to-target gap (spread).

Teaching the traps:
  --trend X        every KPI drifts toward its target by X per period: all
                   KPIs correlate, whether linked or not (spurious correlation)
  --reverse F:T    the effect runs T -> F instead (reverse causality)
  --null F:T       no effect at all on this link
  --seasonality X  a seasonal wave for quarterly/monthly/weekly/daily data

Links are named FROM:TO with the ids used in the scorecard (objective or KPI
ids), or by their position (0 = first link).

Examples:
  bsc simulate retail -o sim/
  bsc simulate retail -o sim/ --units 1 --periods 40          # one company, 40 quarters
  bsc simulate retail -o sim/ --effect P1:C1=0.8 --null C3:F1 --reverse L1:P2 --seed 3
  bsc simulate retail -o trap/ --trend 0.2 --effect P1:C1=0   # trending data, no effect
  bsc simulate my_scorecard.yaml -o sim/ --frequency monthly --start 2019-01 --long

Load the result in Python:
  from bsc_toolkit.history import load_history
  history = load_history("sim/history.csv", unit="unit", period="period")
"""


def _link_value(text: str) -> tuple[str, float]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected FROM:TO=VALUE (e.g. P1:C1=0.8), got '{text}'")
    key, _, value = text.rpartition("=")
    try:
        size = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number after '=', got '{value}' in '{text}'") from None
    key = key.strip()
    if not key:
        raise argparse.ArgumentTypeError(f"expected FROM:TO=VALUE (e.g. P1:C1=0.8), got '{text}'")
    return key, size


def _link(text: str) -> str:
    text = text.strip()
    if ":" not in text and not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a link as FROM:TO (e.g. P1:C1) or its position, got '{text}'")
    return text


def _key(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def add_arguments(p: argparse.ArgumentParser) -> None:
    from .. import _limits
    from ._common import finite_float, int_between, non_negative_int

    p.add_argument("scorecard", help="scorecard file (.yaml/.json) or shipped example name")
    p.add_argument("-o", "--out", required=True, metavar="DIR", help="folder for history.csv and truth.json")
    p.add_argument("--units", type=int_between(1, _limits.MAX_SIM_UNITS), default=30, metavar="N",
                   help="number of units (stores, regions); 1 = a single company series (default 30)")
    p.add_argument("--periods", type=int_between(1, _limits.MAX_SIM_PERIODS), default=24, metavar="T", help="periods per unit (default 24)")
    p.add_argument("--frequency", default="quarterly",
                   choices=["annual", "quarterly", "monthly", "weekly", "daily", "integer"],
                   help="period frequency (default quarterly)")
    p.add_argument("--start", metavar="P", help="first period, e.g. 2020Q1, 2019-01, 2015 (default: end in 2025)")
    p.add_argument("--trend", type=finite_float, default=0.0, metavar="X",
                   help="shared linear trend per period toward each target, standardised (default 0)")
    p.add_argument("--seasonality", type=finite_float, default=0.0, metavar="X", help="seasonal amplitude (default 0)")
    p.add_argument("--noise", type=finite_float, default=1.0, metavar="X", help="standard deviation of the shocks (default 1)")
    p.add_argument("--persistence", type=finite_float, default=0.5, metavar="X",
                   help="AR(1) coefficient of each KPI on its own past, 0 <= X < 1 (default 0.5)")
    p.add_argument("--effect", type=_link_value, action="append", default=[], metavar="FROM:TO=VALUE",
                   help="effect size of a link in standard deviations (repeatable; default 0.5)")
    p.add_argument("--null", type=_link, action="append", default=[], metavar="FROM:TO",
                   help="plant no effect on this link (repeatable)")
    p.add_argument("--reverse", type=_link, action="append", default=[], metavar="FROM:TO",
                   help="plant the effect in the opposite direction TO -> FROM (repeatable)")
    p.add_argument("--seed", type=non_negative_int, default=0, metavar="N", help="random seed (default 0)")
    p.add_argument("--long", action="store_true", help="write history.csv in long form (unit, period, kpi, value)")


def run(args: argparse.Namespace) -> int:
    from ..history import simulate_history
    from ._common import check_not_inputs, check_output_dir

    check_output_dir(args.out, "-o/--out")
    check_not_inputs({"-o/--out": args.out}, {"SCORECARD": args.scorecard},
                     folders={"-o/--out": ("history.csv", "truth.json")})
    effects = {_key(k): v for k, v in args.effect}
    sim = simulate_history(
        args.scorecard,
        n_units=args.units,
        n_periods=args.periods,
        frequency=args.frequency,
        start=args.start,
        effects=effects,
        trend=args.trend,
        seasonality=args.seasonality,
        noise=args.noise,
        persistence=args.persistence,
        seed=args.seed,
        reverse=[_key(x) for x in args.reverse],
        null=[_key(x) for x in args.null],
    )
    paths = sim.save(args.out, long=args.long)
    print(sim.summary)
    print(f"wrote {paths.history} and {paths.truth}")
    unit = 'unit="unit", ' if sim.history.is_panel else ""
    print(f'load it with: load_history("{paths.history}", {unit}period="period")')
    return 0

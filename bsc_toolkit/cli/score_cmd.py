"""bsc score: statuses and 0-10 scores with weighted roll-ups."""

from __future__ import annotations

import argparse

NAME = "score"
HELP = "status (red/amber/green) and 0-10 score of every KPI, objective and perspective"
DESCRIPTION = """\
Compute a direction-aware status and a 0-10 score for every KPI from its actual
value, baseline, target and thresholds, and weighted roll-ups to objectives,
perspectives and the whole scorecard (weights are normalised; missing weights
count as 1).

Scoring convention ("goal / red flag"): the green level (thresholds.green, else
the target) scores 6.67, the red level (thresholds.red, else the baseline) 3.33,
linear in between and beyond, clipped to 0-10. Green >= 6.67, red < 3.33.

Actuals come from the scorecard file (`actual:` on each KPI) or, with --actuals,
from a small CSV/YAML of `kpi,value` pairs.

Examples:
  bsc score retail
  bsc score my_scorecard.yaml --actuals latest.csv --json scores.json
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scorecard", help="scorecard file (.yaml/.json) or shipped example name")
    p.add_argument("--actuals", metavar="FILE", help="CSV with columns kpi,value (or YAML mapping kpi: value)")
    p.add_argument("--json", metavar="OUT", help="write the scores as JSON ('-' for stdout)")


def _read_actuals(path: str) -> dict[str, float]:
    from pathlib import Path

    from ..errors import DataError

    p = Path(path)
    if not p.exists():
        raise DataError("file not found", file=path)
    if p.suffix.lower() in (".yaml", ".yml", ".json"):
        import yaml

        data = yaml.safe_load(p.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise DataError("expected a mapping of KPI id to value", file=path)
        items = list(data.items())
        start = 1
    else:
        import csv

        with p.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        if not rows or [c.strip().lower() for c in rows[0][:2]] != ["kpi", "value"]:
            raise DataError("expected a header row 'kpi,value'", file=path, row=1)
        items = [tuple(r[:2]) for r in rows[1:] if r]
        start = 2
    out: dict[str, float] = {}
    for i, (k, v) in enumerate(items, start=start):
        try:
            out[str(k).strip()] = float(v)
        except (TypeError, ValueError):
            raise DataError(f"value for KPI '{k}' is not a number: {v!r}", file=path, row=i, column="value") from None
    return out


def run(args: argparse.Namespace) -> int:
    from ..errors import DataError
    from ..scorecard import load_scorecard, score
    from ._common import write_json

    sc = load_scorecard(args.scorecard)
    actuals = _read_actuals(args.actuals) if args.actuals else None
    if actuals:
        unknown = sorted(set(actuals) - {k.id for k in sc.kpis})
        if unknown:
            raise DataError(f"KPI id(s) not in the scorecard: {', '.join(unknown)}", file=args.actuals, column="kpi")
    report = score(sc, actuals)
    if args.json:
        write_json(report.to_frame().astype(object).where(lambda d: d.notna(), None).to_dict(orient="records"), args.json)
    if args.json != "-":
        print(report.summary)
    return 0

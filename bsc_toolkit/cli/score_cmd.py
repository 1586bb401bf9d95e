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
    """Read ``kpi,value`` pairs from a CSV (or a YAML/JSON mapping); every problem is located."""
    import math
    from pathlib import Path

    from ..errors import DataError, clip

    p = Path(path)
    if not p.exists():
        raise DataError("file not found (expected a CSV with columns kpi,value)", file=path)
    if p.is_dir():
        raise DataError("is a folder; expected a CSV with columns kpi,value (or a YAML mapping)", file=path)
    from ..scorecard._yaml import DocumentError, read_text

    try:
        text = read_text(p, "actuals file", encoding="utf-8-sig")  # -sig: Excel writes a byte-order mark
    except DocumentError as exc:
        raise DataError(str(exc.problem), file=path) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason} at byte {exc.start}); expected a CSV with columns "
                        "kpi,value", file=path) from None
    items: list[tuple[int, object, object]] = []
    if p.suffix.lower() in (".yaml", ".yml", ".json"):
        import yaml

        try:
            from ..scorecard._yaml import load_yaml  # bounded; refuses duplicate keys

            data = load_yaml(text, what="actuals file")[0]
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            what = getattr(exc, "problem", None) or "malformed YAML"
            line = f"line {mark.line + 1}: " if mark is not None else ""
            raise DataError(f"{line}malformed YAML/JSON: {what}", file=path) from None
        if not isinstance(data, dict):
            raise DataError(f"expected a mapping of KPI id to value (e.g. 'nps: 35'), got "
                            f"{'an empty file' if data is None else type(data).__name__}", file=path)
        lines = {str(k): i for i, ln in enumerate(text.splitlines(), start=1)
                 for k in data if ln.lstrip().startswith((f"{k}:", f'"{k}"'))}
        items = [(lines.get(str(k), 0), k, v) for k, v in data.items()]
        where = "line"
    else:
        import csv
        import io

        reader = csv.reader(io.StringIO(text))
        try:
            rows = list(reader)
        except csv.Error as exc:  # e.g. a field longer than the csv module's limit
            raise DataError(f"malformed CSV: {exc}", file=path, row=reader.line_num) from None
        if not rows or [c.strip().lower() for c in rows[0][:2]] != ["kpi", "value"]:
            found = ",".join(rows[0][:4]) if rows else "an empty file"
            raise DataError(f"expected a header row 'kpi,value', found '{found}'", file=path, row=1)
        for i, r in enumerate(rows[1:], start=2):
            if not any(c.strip() for c in r):
                continue
            if len(r) < 2:
                raise DataError(f"expected two cells 'kpi,value', found {len(r)}: {','.join(r)!r}",
                                file=path, row=i)
            items.append((i, r[0], r[1]))
        where = "row"
    out: dict[str, float] = {}
    seen: dict[str, int] = {}
    for i, k, v in items:
        kpi = str(k).strip()
        row = i if where == "row" else None  # a CSV names row and column; YAML/JSON the line
        pre = f"line {i}: " if where == "line" and i else ""
        if kpi in seen:
            raise DataError(f"{pre}KPI '{kpi}' appears twice ({where}s {seen[kpi]} and {i}); give one value "
                            "per KPI", file=path, row=row, column="kpi" if row is not None else None)
        seen[kpi] = i
        try:
            x = float(v) if isinstance(v, (int, float, str)) and not isinstance(v, bool) else math.nan
        except ValueError:
            x = math.nan
        if not math.isfinite(x):
            raise DataError(f"{pre}value for KPI {clip(kpi, 60)} is not a number: {clip(v)}", file=path, row=row,
                            column="value" if row is not None else None)
        out[kpi] = x
    return out


def run(args: argparse.Namespace) -> int:
    from ..errors import DataError
    from ..scorecard import load_scorecard, score
    from ._common import check_not_inputs, check_output_file, write_json

    check_output_file(args.json, "--json")
    check_not_inputs({"--json": args.json}, {"SCORECARD": args.scorecard, "--actuals": args.actuals})
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

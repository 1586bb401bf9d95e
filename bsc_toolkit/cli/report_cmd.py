"""bsc report: a Quarto report (HTML/PDF/DOCX) for a scorecard, with its evidence."""

from __future__ import annotations

import argparse

NAME = "report"
HELP = "write and render a Quarto report: validation, client report or course handout"
DESCRIPTION = """\
Write a Quarto document (DIR/index.qmd, charts in DIR/figures/) for a scorecard
and render it to HTML, PDF and/or DOCX.

Kinds:
  validation  the evidence for every cause-and-effect link: method in plain words,
              evidence table, coefficient plot, lag profiles, strategy map,
              caveats (needs --evidence, the JSON from `bsc validate --json`)
  client      executive summary, the scorecard by perspective with targets,
              actuals and statuses, strategy map, initiatives (evidence optional)
  handout     a teaching variant: the four perspectives, leading vs lagging
              indicators, this scorecard's cause-and-effect chain, exercises

Rendering: with the Quarto CLI when `quarto` is on PATH, otherwise with pandoc 3
(from the pypandoc_binary package) and the typst compiler; the output says which
was used. --renderer pandoc forces the fallback, --renderer quarto requires Quarto.

With --data the latest values in the KPI history are the actuals, and the client
report draws KPI trends against the targets; its OKRs start from those actuals,
follow the data's frequency (annual data: yearly OKRs) and begin after the data's
last period (or at --start). With --evidence, OKR drivers come only from links the
data support. Warnings the renderer prints are shown as notes.

Examples (the first two make history.csv and evidence.json in the current folder):
  bsc simulate retail -o .
  bsc validate retail --data history.csv --unit unit --period period --json evidence.json
  bsc report retail --evidence evidence.json -o report/
  bsc report retail --kind client --data history.csv --unit unit --period period -o client/
  bsc report my_scorecard.yaml --kind handout --format html,pdf,docx -o handout/
  bsc report retail --kind client --evidence evidence.json --start 2026Q3 -o client/
  bsc report retail --evidence evidence.json --narrative reading.md -o report/
"""


def _formats(value: str) -> list[str]:
    from ..report.render import FORMATS

    out = [v.strip().lower() for v in value.split(",") if v.strip()]
    bad = [v for v in out if v not in FORMATS]
    if bad or not out:
        raise argparse.ArgumentTypeError(
            f"formats must be a comma-separated list of {', '.join(FORMATS)}, got '{value}'"
        )
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scorecard", help="scorecard file (.yaml/.json) or shipped example name")
    p.add_argument("-o", "--out", required=True, metavar="DIR", help="folder for index.qmd, figures/ and outputs")
    p.add_argument("--kind", choices=["validation", "client", "handout"], default=None,
                   help="report kind (default: validation with --evidence, client without)")
    p.add_argument("--evidence", metavar="JSON", help="evidence file from `bsc validate --json`")
    p.add_argument("--data", metavar="FILE", help="KPI history (CSV, Excel, Parquet) for actuals and trends")
    p.add_argument("--unit", metavar="COL", help="unit column of --data (omit for one series)")
    p.add_argument("--period", metavar="COL", help="period column of --data")
    p.add_argument("--format", dest="formats", type=_formats, default=["html", "pdf"], metavar="LIST",
                   help="comma-separated: html,pdf,docx (default html,pdf)")
    p.add_argument("--renderer", choices=["auto", "quarto", "pandoc"], default="auto",
                   help="auto: Quarto if installed, else pandoc+typst (default auto)")
    p.add_argument("--narrative", metavar="FILE.md", help="Markdown interpretation to include (e.g. from an LLM)")
    p.add_argument("--critique", metavar="FILE.md", help="Markdown review of the scorecard (client report)")
    p.add_argument("--title", help="document title (default: the scorecard's name)")
    p.add_argument("--start", metavar="PERIOD",
                   help="first OKR period of the client report: a quarter like 2026Q1, or a year like 2026 for "
                   "annual data (default: the period after the data's last, else the next quarter)")
    p.add_argument("--quiet", action="store_true", help="print only where the report is")


def _read_md(path: str | None) -> str | None:
    if not path:
        return None
    from pathlib import Path

    from ..errors import DataError

    p = Path(path)
    if p.is_dir():
        raise DataError("is a folder; expected a Markdown file", file=path)
    if not p.is_file():
        raise DataError("Markdown file not found", file=path)
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason} at byte {exc.start}); expected a Markdown file",
                        file=path) from None


def run(args: argparse.Namespace) -> int:
    from ..report import WRITTEN, build_report
    from ..scorecard import load_scorecard
    from ._common import check_not_inputs, check_output_dir

    check_output_dir(args.out, "-o/--out")
    check_not_inputs({"-o/--out": args.out},
                     {"SCORECARD": args.scorecard, "--evidence": args.evidence, "--data": args.data,
                      "--narrative": args.narrative, "--critique": args.critique},
                     folders={"-o/--out": WRITTEN})
    narrative, critique = _read_md(args.narrative), _read_md(args.critique)
    sc = load_scorecard(args.scorecard)
    history = None
    if args.data:
        from ..history import load_history

        history = load_history(args.data, unit=args.unit, period=args.period)
    kind = args.kind or ("validation" if args.evidence else "client")
    result = build_report(
        sc, kind=kind, evidence=args.evidence, history=history, out_dir=args.out, formats=args.formats,
        renderer=args.renderer, narrative=narrative, critique=critique,
        progress=not args.quiet, title=args.title, start=args.start,
    )
    if args.quiet:
        for path in result.outputs.values():
            print(path)
    else:
        print(result.summary)
    return 0

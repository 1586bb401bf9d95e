"""The ``bsc`` command line: thin over the Python API.

Each subcommand lives in its own module in this package with ``NAME``, ``HELP``,
``DESCRIPTION`` (which teaches with an example), ``add_arguments(parser)`` and
``run(args) -> int``. Modules keep heavy imports inside ``run`` so that
``bsc --help`` stays fast. Nothing in the package imports the CLI.

Exit codes: 0 success, 1 bad input (one clear message, no traceback), 2 usage.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

#: subcommand modules, in pipeline order (as ``bsc --help`` lists them)
COMMANDS: tuple[str, ...] = (
    "demo",
    "generate",
    "lint",
    "score",
    "cascade",
    "simulate",
    "validate",
    "lever",
    "map",
    "report",
)

EPILOG = """\
The pipeline:  brief --generate--> scorecard.yaml --lint/score--> KPI history --validate--> evidence
               scorecard + evidence --map--> strategy map;  all of it --report--> Quarto report

Start here:
  bsc demo --out demo/              # the whole pipeline offline, on built-in defaults
  bsc lint retail                   # lint a shipped example (retail, hospital, software, ...)
  bsc COMMAND --help                # every command explains itself with an example

Exit codes: 0 success, 1 bad input (the message says what and where), 2 usage error.
"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32, width=100)


def _available() -> list[object]:
    mods = []
    for name in COMMANDS:
        try:
            mods.append(importlib.import_module(f"{__name__}.{name}_cmd"))
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}_cmd":
                raise
    return mods


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="bsc",
        description="bsc-toolkit: Balanced Scorecards whose cause-and-effect links are tested against data.",
        epilog=EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"bsc-toolkit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show a full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for mod in _available():
        p = sub.add_parser(
            mod.NAME,  # type: ignore[attr-defined]
            help=mod.HELP,  # type: ignore[attr-defined]
            description=mod.DESCRIPTION,  # type: ignore[attr-defined]
            formatter_class=_Formatter,
        )
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show a full traceback on errors")
        mod.add_arguments(p)  # type: ignore[attr-defined]
        p.set_defaults(_run=mod.run)  # type: ignore[attr-defined]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``bsc``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    debug = bool(getattr(args, "debug", False)) or bool(os.environ.get("BSC_DEBUG"))
    from ..errors import BSCError

    try:
        return int(args._run(args) or 0)
    except BSCError as exc:
        if debug:
            raise
        print(f"bsc {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        if debug:
            raise
        print(f"bsc {args.command}: error: {exc.strerror or exc}: {exc.filename}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"bsc {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an unexpected failure: still one line, traceback on --debug
        if debug:
            raise
        print(
            f"bsc {args.command}: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


def run() -> None:  # pragma: no cover - console script shim
    sys.exit(main())

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
import re
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

#: subcommand modules, in pipeline order (as ``bsc --help`` lists them)
COMMANDS: tuple[str, ...] = (
    "demo",
    "generate",
    "lint",
    "score",
    "cascade",
    "simulate",
    "data",
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


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are ONE line (exit 2), pointing at ``--help``."""

    def error(self, message: str) -> NoReturn:
        from ..errors import bounded_message  # argparse quotes the bad argument, whatever its size

        self.exit(2, f"{self.prog}: error: {bounded_message(message)} (see '{self.prog} --help')\n")


#: at most this many problems of a multi-problem error are printed (the rest are counted)
MAX_PROBLEM_LINES = 12

_TEMP_NAME = re.compile(r"^(?P<dir>.*?)\.(?P<name>.+)\.[A-Za-z0-9_]{8}(?:\.[^./]*)?\.tmp$")


def _shorten(message: str) -> str:
    """Cap a multi-line (head + one line per problem) message at MAX_PROBLEM_LINES problems."""
    lines = message.splitlines()
    if len(lines) <= MAX_PROBLEM_LINES + 2:
        return message
    rest = len(lines) - 1 - MAX_PROBLEM_LINES
    return "\n".join([*lines[: MAX_PROBLEM_LINES + 1], f"  ... and {rest} more (fix the first ones, then run again)"])


def _os_message(exc: OSError) -> str:
    """One line for a file-system error, naming the user's file rather than a temporary one."""
    name = str(exc.filename) if exc.filename is not None else ""
    m = _TEMP_NAME.match(name)
    if m:  # an atomic write's temporary file: report the file the user asked for
        name = m.group("dir") + m.group("name")
    what = exc.strerror or type(exc).__name__
    from ..errors import bounded_message

    return bounded_message(f"{name}: {what}" if name else f"{what}: {exc}")


def _available() -> list[ModuleType]:
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

    parser = _Parser(
        prog="bsc",
        description="bsc-toolkit: Balanced Scorecards whose cause-and-effect links are tested against data.",
        epilog=EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"bsc-toolkit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show a full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands", parser_class=_Parser)
    for mod in _available():
        p = sub.add_parser(
            mod.NAME,
            help=mod.HELP,
            description=mod.DESCRIPTION,
            formatter_class=_Formatter,
        )
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show a full traceback on errors")
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``bsc``; returns the exit code.

    0 success, 1 bad input (one line naming the file, the place and what was
    expected; a multi-problem scorecard error adds one line per problem),
    2 usage error, 130 interrupted (Ctrl-C). ``--debug`` (or ``BSC_DEBUG=1``)
    shows the traceback instead.

    Examples
    --------
    >>> main(["lint", "retail"])  # doctest: +ELLIPSIS
    Lint of 'Northwind Retail'...
    0
    """
    # small matrices, many of them: threaded BLAS only adds overhead (and stalls on a busy machine)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    debug = bool(getattr(args, "debug", False)) or bool(os.environ.get("BSC_DEBUG"))
    from ..errors import BSCError
    from ._common import UsageError

    prefix = f"bsc {args.command}"
    try:
        return int(args._run(args) or 0)
    except UsageError as exc:
        print(f"{prefix}: error: {exc} (see '{prefix} --help')", file=sys.stderr)
        return 2
    except BSCError as exc:
        if debug:
            raise
        print(f"{prefix}: error: {_shorten(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{prefix}: interrupted (no output file was half written)", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `bsc lint --rules | head -1`: the reader went away
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        return 0
    except OSError as exc:
        if debug:
            raise
        print(f"{prefix}: error: {_os_message(exc)}", file=sys.stderr)
        return 1
    except MemoryError:
        if debug:
            raise
        print(f"{prefix}: error: not enough memory for this task; use less data (fewer units, periods "
              "or KPIs)", file=sys.stderr)
        return 1
    except Exception as exc:  # an unexpected failure: still one line, traceback on --debug
        if debug:
            raise
        from ..errors import bounded_message

        first = bounded_message((str(exc).strip().splitlines() or [""])[0])
        print(f"{prefix}: internal error: {type(exc).__name__}: {first} (run with --debug for the "
              "traceback)", file=sys.stderr)
        return 1


def run() -> None:  # pragma: no cover - the console script and ``python -m bsc_toolkit.cli``
    """Run ``bsc`` as a program: :func:`main`, then exit with its code.

    The process ends right after: ``gc.freeze()`` spares the interpreter's shutdown a walk of the
    garbage collector over every object the run made (measured: 0.1-0.2 s of a 1.8 s validation).
    """
    import gc

    code = main()
    gc.freeze()
    sys.exit(code)

"""Small helpers shared by the subcommands (argument types, output checks).

Every command checks its outputs before any work: :func:`check_output_file` /
:func:`check_output_dir` (the place can be written) and :func:`check_not_inputs`
(no output replaces an input or another output; from :mod:`bsc_toolkit._io`, so
the Python API uses the same rule). Arguments that size an allocation have an
upper bound (:func:`int_between`, the limits in :mod:`bsc_toolkit._limits`).
"""

from __future__ import annotations

import argparse
import errno
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._io import check_not_inputs
from ..errors import OutputError, clip

__all__ = [
    "OutputError", "UsageError", "check_not_inputs", "check_output_dir", "check_output_file", "csv_list",
    "finite_float", "float_between", "int_between", "non_negative_int", "positive_float", "positive_int", "write_json",
    "write_text",
]


class UsageError(Exception):
    """A command was called the wrong way (exit 2, one line pointing at ``--help``)."""


def csv_list(value: str) -> list[str]:
    """Argument type for comma-separated lists: ``a,b , c`` -> ['a', 'b', 'c']."""
    return [v.strip() for v in value.split(",") if v.strip()]


def non_negative_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {clip(value, 40)}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {n}")
    return n


def finite_float(value: str) -> float:
    """Argument type for a real number; refuses ``nan`` and ``inf`` (which ``float`` accepts)."""
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {clip(value, 40)}") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {clip(value, 40)}")
    return x


def positive_float(value: str) -> float:
    """Argument type for a number > 0 (seconds, sizes)."""
    x = finite_float(value)
    if x <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {clip(value, 40)}")
    return x


def positive_int(value: str) -> int:
    n = non_negative_int(value)
    if n == 0:
        raise argparse.ArgumentTypeError("expected a whole number >= 1, got 0")
    return n


def int_between(lo: int, hi: int) -> Callable[[str], int]:
    """Argument type for a whole number in ``lo..hi`` (an upper bound for anything that allocates).

    Examples
    --------
    >>> int_between(10, 100_000)("500")
    500
    >>> int_between(10, 100_000)("1000000000")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a whole number <= 100,000 (a limit that keeps time and memory bounded), got 1,000,000,000
    """
    def parse(value: str) -> int:
        text = value.strip().replace("_", "")
        if len(text) > 30:  # int() of a huge digit string is slow and pointless
            raise argparse.ArgumentTypeError(f"expected a whole number from {lo:,} to {hi:,}, got {len(text)} digits")
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {clip(value, 40)}") from None
        if n < lo:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {lo}, got {n:,}")
        if n > hi:
            raise argparse.ArgumentTypeError(f"expected a whole number <= {hi:,} (a limit that keeps time and "
                                             f"memory bounded), got {n:,}")
        return n

    parse.__name__ = "whole number"  # argparse names the type in some messages
    return parse


def float_between(lo: float, hi: float) -> Callable[[str], float]:
    """Argument type for a finite number in ``lo..hi``.

    Examples
    --------
    >>> float_between(0, 10)("2.5")
    2.5
    >>> float_between(0, 10)("1e308")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a number from 0 to 10, got '1e308'
    """
    def parse(value: str) -> float:
        x = finite_float(value)
        if not lo <= x <= hi:
            raise argparse.ArgumentTypeError(f"expected a number from {lo:g} to {hi:g}, got {clip(value, 40)}")
        return x

    parse.__name__ = "number"
    return parse


def write_json(obj: Any, path: str | None) -> None:
    """Write JSON atomically to ``path``, or to standard output when path is '-' or None."""
    write_text(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n", path)


def write_text(text: str, path: str | None) -> None:
    """Write text atomically to ``path``, or to standard output when path is '-' or None."""
    if path in (None, "-"):
        sys.stdout.write(text)
        return
    from .._io import atomic_write

    atomic_write(path, text)


def _nearest_existing(path: Path) -> Path:
    cur = path
    while not (cur.exists() or cur.is_symlink()):
        parent = cur.parent
        if parent == cur:
            break
        cur = parent
    return cur


def _check_writable_folder(folder: Path, option: str, path: str) -> None:
    """The folder ``path`` will be written in exists (or can be made) and is writable."""
    base = _nearest_existing(folder if str(folder) else Path("."))
    if base.exists() and not base.is_dir():
        raise OutputError(f"cannot write {option} {path}: '{base}' is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=base, prefix=".bsc-write-check-"):
            pass
    except OSError as exc:
        why = f" ({exc.strerror})" if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC) else ""
        raise OutputError(f"cannot write {option} {path}: folder '{base}' is not writable{why}") from None


def check_output_file(path: str | os.PathLike[str] | None, option: str,
                      suffixes: tuple[str, ...] | None = None) -> None:
    """Check, before any work, that an output FILE can be written at ``path``.

    ``None`` and ``'-'`` (standard output) pass. Raises :class:`OutputError` when
    ``path`` is a folder, has an unsupported extension, or lies in a folder that
    cannot be created or written, so a long computation is not lost at the end.

    Examples
    --------
    >>> check_output_file("-", "--json")
    >>> check_output_file("/", "--json")
    Traceback (most recent call last):
    ...
    bsc_toolkit.errors.OutputError: cannot write --json /: it is a folder; give a file name
    """
    if path is None or str(path) == "-":
        return
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"cannot write {option} {path}: it is a folder; give a file name")
    if suffixes is not None and p.suffix.lower() not in suffixes:
        raise OutputError(
            f"cannot write {option} {path}: unknown extension '{p.suffix or '(none)'}'; "
            f"expected one of {', '.join(suffixes)}"
        )
    _check_writable_folder(p.parent, option, str(path))


def check_output_dir(path: str | os.PathLike[str], option: str) -> None:
    """Check, before any work, that an output FOLDER exists or can be created and is writable.

    Examples
    --------
    >>> import tempfile
    >>> check_output_dir(tempfile.mkdtemp() + "/new/sub", "--out")
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OutputError(f"cannot write {option} {path}: it is a file, not a folder")
    _check_writable_folder(p, option, str(path))

"""Small helpers shared by the subcommands (argument types, output)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def csv_list(value: str) -> list[str]:
    """Argument type for comma-separated lists: ``a,b , c`` -> ['a', 'b', 'c']."""
    return [v.strip() for v in value.split(",") if v.strip()]


def non_negative_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got '{value}'") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {n}")
    return n


def positive_int(value: str) -> int:
    n = non_negative_int(value)
    if n == 0:
        raise argparse.ArgumentTypeError("expected a whole number >= 1, got 0")
    return n


def write_json(obj: Any, path: str | None) -> None:
    """Write JSON atomically to ``path``, or to standard output when path is '-' or None."""
    text = json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n"
    if path in (None, "-"):
        sys.stdout.write(text)
        return
    from .._io import atomic_write

    atomic_write(path, text)

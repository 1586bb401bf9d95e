"""Shared helpers of the adversarial sweep (tests/test_hostile_*.py).

Every case runs the real ``bsc`` entry point in-process and checks the contract
for bad input: the exit code, exactly one line on stderr that starts with the
command, names the place and says what was expected, no traceback, no "internal
error", no secret, a bounded size, and no file changed or left behind.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

from bsc_toolkit.cli import main

#: an API key as a test plants it; never allowed in any output
KEY = "sk-hostile-SECRET-0123456789abcdefXYZ"
#: the longest stderr line the sweep accepts (messages quote at most ~200 characters of a value)
MAX_LINE = 2_100


def run_cli(argv: Sequence[str], capsys) -> tuple[int, str, str, float]:
    """Run ``bsc ARGV``; return (exit code, stdout, stderr, seconds)."""
    capsys.readouterr()
    t0 = time.perf_counter()
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    seconds = time.perf_counter() - t0
    out, err = capsys.readouterr()
    return code, out, err, seconds


def listing(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (to prove nothing changed or appeared)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_one_line(code: int, err: str, *, expect: int, words: Sequence[str] = (),
                    absent: Sequence[str] = ()) -> str:
    """The bad-input contract: exit ``expect``, one bounded line with ``words``, none of ``absent``."""
    lines = err.strip().splitlines()
    assert code == expect, f"exit {code}, expected {expect}; stderr: {err[:2000]}"
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{err[:3000]}"
    line = lines[0]
    assert line.startswith(("bsc ", "bsc:")), line[:300]
    assert "Traceback" not in err and "internal error" not in err, line[:500]
    assert len(line) <= MAX_LINE, f"stderr line has {len(line):,} characters"
    for w in words:
        assert w in line, f"{w!r} not in: {line[:600]}"
    for w in (*absent, KEY):
        assert w not in err, f"{w!r} leaked into: {line[:600]}"
    return line


def no_key_anywhere(*folders: Path, texts: Sequence[str] = ()) -> None:
    """The planted key is in no file under ``folders`` and in none of ``texts``."""
    for t in texts:
        assert KEY not in t, "the API key leaked into printed output"
    for folder in folders:
        for root, _dirs, files in os.walk(folder):
            for name in files:
                data = (Path(root) / name).read_bytes()
                assert KEY.encode() not in data, f"the API key leaked into {Path(root) / name}"

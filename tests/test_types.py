"""The package type-checks: ``mypy bsc_toolkit`` with the settings in ``pyproject.toml`` is clean.

mypy runs once, on the whole package (as ``make lint`` runs it); its errors are then shown
in two tests, so an error in the evidence engine and one anywhere else are told apart.
Skipped, with the reason, when mypy is not installed (it comes with the ``test`` extra).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ERROR = re.compile(r"^(?P<file>bsc_toolkit/[^:]+\.py):\d+(?::\d+)?: error: ", re.M)


@pytest.fixture(scope="module")
def mypy_output() -> str:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install -e '.[test]'): the package's types were not checked")
    r = subprocess.run([sys.executable, "-m", "mypy", "bsc_toolkit"], cwd=ROOT, capture_output=True,
                       text=True, timeout=900)
    out = r.stdout + r.stderr
    if r.returncode not in (0, 1) or (r.returncode == 1 and not ERROR.search(out)):
        pytest.fail(f"mypy did not run (exit {r.returncode}):\n{out}")
    return out


def _errors(output: str, inside_evidence: bool) -> list[str]:
    lines = [m.group(0) + output[m.end():].split("\n", 1)[0] for m in ERROR.finditer(output)]
    return [ln for ln in lines if ln.startswith("bsc_toolkit/evidence/") == inside_evidence]


def test_package_is_mypy_clean(mypy_output: str) -> None:
    errors = _errors(mypy_output, inside_evidence=False)
    assert not errors, f"{len(errors)} mypy error(s) outside bsc_toolkit/evidence:\n" + "\n".join(errors)


def test_evidence_engine_is_mypy_clean(mypy_output: str) -> None:
    errors = _errors(mypy_output, inside_evidence=True)
    assert not errors, f"{len(errors)} mypy error(s) in bsc_toolkit/evidence:\n" + "\n".join(errors)


def test_the_error_filter_sees_errors() -> None:
    """The parser of mypy's output finds and sorts errors (on a made-up output)."""
    out = ("bsc_toolkit/evidence/a.py:3: error: Bad  [misc]\nbsc_toolkit/x.py:4:2: error: Worse  [arg-type]\n"
           "bsc_toolkit/x.py:4: note: a note\nFound 2 errors in 2 files (checked 2 source files)\n")
    assert _errors(out, inside_evidence=True) == ["bsc_toolkit/evidence/a.py:3: error: Bad  [misc]"]
    assert _errors(out, inside_evidence=False) == ["bsc_toolkit/x.py:4:2: error: Worse  [arg-type]"]

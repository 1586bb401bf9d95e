"""Shared pytest fixtures. Stage-specific fixtures live in the stage's own test modules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def retail():
    from bsc_toolkit.scorecard import load_example

    return load_example("retail")


@pytest.fixture
def sample_evidence_path() -> Path:
    """A hand-written evidence file in the documented format (docs/evidence-format.md)."""
    return DATA / "evidence_retail_sample.json"


def have_dot() -> bool:
    return shutil.which("dot") is not None

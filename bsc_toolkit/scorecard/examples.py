"""Realistic example scorecards shipped with the package, loadable by name."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .model import Scorecard

__all__ = ["example_path", "list_examples", "load_example"]

_DIR = "examples"


def list_examples() -> list[str]:
    """Names of the shipped example scorecards.

    Examples
    --------
    >>> "retail" in list_examples()
    True
    """
    root = resources.files(__package__).joinpath(_DIR)
    return sorted(p.name.removesuffix(".yaml") for p in root.iterdir() if p.name.endswith(".yaml"))


def example_path(name: str) -> Path:
    """Path of a shipped example's YAML file."""
    if name not in list_examples():
        from ..errors import Problem, ScorecardError

        raise ScorecardError([Problem("", f"no example named '{name}' (available: {', '.join(list_examples())})")])
    return Path(str(resources.files(__package__).joinpath(_DIR, f"{name}.yaml")))


def load_example(name: str) -> Scorecard:
    """Load a shipped example scorecard by name (``retail``, ``hospital``, ``software``, ...)."""
    from .io import load_scorecard

    return load_scorecard(example_path(name))

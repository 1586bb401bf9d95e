"""Realistic example scorecards shipped with the package, findable by name.

:func:`bsc_toolkit.scorecard.load_example` (in :mod:`.io`) loads one; this module
only knows where they are, so it imports nothing from the package but the errors.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..errors import Problem, ScorecardError

__all__ = ["example_path", "list_examples"]

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
        raise ScorecardError([Problem("", f"no example named '{name}' (available: {', '.join(list_examples())})")])
    return Path(str(resources.files(__package__).joinpath(_DIR).joinpath(f"{name}.yaml")))

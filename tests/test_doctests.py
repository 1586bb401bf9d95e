"""Every example in the package's docstrings runs and prints what it says (doctest).

The examples are what a reader copies first; one that fails teaches the wrong thing. Examples that
need a long run or outside state carry ``# doctest: +SKIP`` in the source.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import bsc_toolkit

MODULES = sorted(m.name for m in pkgutil.walk_packages(bsc_toolkit.__path__, "bsc_toolkit.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert res.failed == 0, f"{res.failed} of {res.attempted} docstring examples in {name} fail (run the module's doctests)"

"""pytest (nbval) set-up for the notebooks: notebook 01's kernel talks to a local stand-in LLM.

See ``_stand_in_llm.py``: the stand-in runs in this process for the whole session and
only the kernel of a notebook listed there is started with its address, so no other
test and no other notebook sees those variables.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _stand_in_llm import llm_environment  # noqa: E402

_running: dict[Path, dict[str, str] | None] = {}
_stack = contextlib.ExitStack()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    """Start the stand-in for this notebook (once) and set its variables while the kernel starts."""
    path = Path(str(item.fspath))
    if path.suffix != ".ipynb":
        yield
        return
    if path not in _running:
        _running[path] = _stack.enter_context(llm_environment(path))
    env = _running[path] or {}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield  # nbval starts the notebook's kernel in the set-up of its first cell
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def pytest_sessionfinish(session, exitstatus):
    _stack.close()

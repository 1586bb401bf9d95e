"""pytest (nbval) set-up for the notebooks: notebook 01's kernel talks to a local stand-in LLM.

See ``_stand_in_llm.py``: the stand-in runs in this process for the whole session and
only the kernel of a notebook listed there is started with its address, so no other
test and no other notebook sees those variables.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
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


def _kernel_start_retried() -> None:
    """Start a notebook's kernel again when the first start fails.

    ``make test`` runs two pytest workers, each starting kernels; once in a few runs a kernel did
    not come up (every cell of that notebook then errors; nbval sends the kernel's stderr to
    /dev/null, so the cause is not shown; two kernels choosing the same free port at the same
    moment is the known way this happens). A second start is what a user would do; a notebook
    that really fails still fails, after three starts, with the last error.
    """
    try:
        from nbval import kernel as nbk
    except ImportError:  # pragma: no cover - nbval is a test dependency
        return
    start = nbk.RunningKernel.__init__
    if getattr(start, "_retried", False):
        return

    def init(self, *args, **kwargs):
        for attempt in range(3):
            try:
                return start(self, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - any failure to come up is retried
                if attempt == 2:
                    raise
                print(f"kernel start failed ({type(exc).__name__}: {exc}); starting it again", file=sys.stderr)
                time.sleep(1 + attempt)

    init._retried = True  # type: ignore[attr-defined]
    nbk.RunningKernel.__init__ = init


_kernel_start_retried()

"""Run one independent part of a validation beside the rest (the second core of a small machine).

The robustness grid and the driver models, chains and discovery share nothing but the input
arrays. Most of their time is short numpy calls and Python bookkeeping, which hold the
interpreter lock, so a second thread gains nothing measurable (1.11 s against 1.09 s in line, 500 x 60,
30 links) and would share what is not thread-safe (the warning filters that library calls set);
a forked child process gains the whole core and sees the arrays without copying them (copy on
write). Forking is only safe in a process that runs a single thread (a Jupyter kernel or a
progress-bar monitor has more), and only exists on POSIX systems; elsewhere the part runs in line
when its result is asked for, which gives the same results.

The child writes its result pickled to an unnamed temporary file and leaves at once with
``os._exit`` (no atexit handlers, no flushing of the parent's buffers; its memory is freed while
the parent goes on); an exception in the child is raised in the
parent, and a child that dies without an answer is reported as an error naming its exit status.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from typing import Any


def can_fork() -> bool:
    """True where a forked child is safe: Linux, and this process runs a single Python thread."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


class Later:
    """A part computed in line when its result is first asked for (one core, or ``jobs=1``): the
    same face as :class:`Beside`.

    Examples
    --------
    >>> part = Later(sum, [1, 2, 3])
    >>> part.result(), part.result()
    (6, 6)
    """

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self._call: tuple[Callable[..., Any], tuple[Any, ...]] | None = (fn, args)
        self.value: Any = None

    def result(self) -> Any:
        if self._call is not None:
            fn, args = self._call
            self.value, self._call = fn(*args), None
        return self.value

    def cancel(self) -> None:
        """Nothing is running: the part is simply never computed."""
        self._call = None


class Beside:
    """A part running beside the caller in a forked process (else in line, see the module):
    :meth:`result` waits for it, :meth:`cancel` stops it.

    Examples
    --------
    >>> Beside(sum, [1, 2, 3]).result()
    6
    """

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self._state: dict[str, Any] = {}
        self._pid = 0
        out = None
        if can_fork():
            try:
                out = tempfile.TemporaryFile()
            except OSError:  # no writable temporary folder: in line instead
                out = None
        self._later: Later | None = None
        if out is not None:
            self._start_child(out, fn, *args)
        else:
            self._later = Later(fn, *args)

    def _start_child(self, out: Any, fn: Callable[..., Any], *args: Any) -> None:
        # the answer goes through an unnamed temporary file, not a pipe: the child writes it and
        # leaves at once (its memory freed), instead of waiting for the parent to read
        gc.freeze()  # the child's collections leave the parent's objects alone (no copied pages)
        try:
            pid = os.fork()
        except BaseException:
            gc.unfreeze()
            out.close()
            raise
        if pid == 0:  # the child: compute, send, leave without running the parent's exit code
            status = 0
            try:
                try:
                    payload = pickle.dumps((True, fn(*args)), protocol=pickle.HIGHEST_PROTOCOL)
                except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
                    status = 1
                    try:
                        payload = pickle.dumps((False, exc), protocol=pickle.HIGHEST_PROTOCOL)
                    except Exception:  # noqa: BLE001 - an exception that cannot be pickled
                        payload = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
                out.write(payload)
                out.flush()
            finally:
                os._exit(status)
        gc.unfreeze()
        self._pid, self._out = pid, out

    def result(self) -> Any:
        """The part's result (its exception is raised here)."""
        if self._later is not None:
            return self._later.result()
        if "answer" not in self._state:
            try:
                _, code = os.waitpid(self._pid, 0)
                self._out.seek(0)
                data = self._out.read()
            finally:
                self._out.close()
            if not data:
                raise RuntimeError(f"a worker process ({self._pid}) ended without a result "
                                   f"(exit status {os.waitstatus_to_exitcode(code)})")
            self._state["answer"] = pickle.loads(data)  # noqa: S301 - our own child's answer
        ok, value = self._state["answer"]
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the part (the caller failed and will not wait for it)."""
        if self._later is not None:
            self._later.cancel()
            return
        if "answer" in self._state:
            return
        self._state["answer"] = (False, RuntimeError("cancelled"))
        try:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
        except OSError:  # pragma: no cover - already gone
            pass
        self._out.close()

"""The second core: a part of a validation run beside the rest (forked child, else a thread)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from bsc_toolkit.evidence import parallel
from bsc_toolkit.evidence.parallel import Beside, Later

FORK = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forking is used on Linux only")


def _sq(x):
    return np.asarray(x) ** 2


def _boom(msg):
    raise ValueError(msg)


def _pid(_):
    return os.getpid()


@pytest.fixture
def single_thread(monkeypatch):
    """Pretend this process runs one thread (pytest-xdist workers run more): the fork path."""
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 1)


@FORK
def test_a_forked_part_returns_its_result_from_another_process(single_thread):
    assert parallel.can_fork()
    part = Beside(_pid, None)
    assert part.result() != os.getpid()  # it really ran in a child
    got = Beside(_sq, [1.5, 2.0]).result()
    np.testing.assert_array_equal(got, [2.25, 4.0])


def _big(n):
    return np.arange(n, dtype=float)


@FORK
def test_the_child_leaves_as_soon_as_its_answer_is_written(single_thread):
    """A large answer does not keep the child (and its memory) alive until the parent reads it."""
    import time

    part = Beside(_big, 2_000_000)  # 16 MB: far more than a pipe holds
    deadline = time.monotonic() + 30
    state = ""
    while time.monotonic() < deadline:
        with open(f"/proc/{part._pid}/stat", encoding="ascii") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        if state == "Z":  # exited, waiting to be reaped by result()
            break
        time.sleep(0.05)
    assert state == "Z", f"the child is still running (state {state}): it waits for the parent to read"
    got = part.result()
    assert got.shape == (2_000_000,) and got[-1] == 1_999_999.0


@FORK
def test_an_exception_in_the_child_is_raised_in_the_parent(single_thread):
    part = Beside(_boom, "the grid failed")
    with pytest.raises(ValueError, match="the grid failed"):
        part.result()


@FORK
def test_cancel_stops_the_child_and_reaps_it(single_thread):
    import time

    part = Beside(time.sleep, 30)
    pid = part._pid
    part.cancel()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped: no zombie left behind
    with pytest.raises(RuntimeError, match="cancelled"):
        part.result()


def test_with_other_threads_running_it_runs_in_line_when_asked():
    """No fork beside other threads, and no second thread either (nothing to gain under the
    interpreter lock, and warning filters are not thread-safe): the part runs when its result is
    asked for, in this thread."""
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not parallel.can_fork()
        threads = threading.active_count()
        calls = []
        part = Beside(lambda x: calls.append(threading.get_ident()) or os.getpid(), None)
        assert calls == []  # nothing ran yet
        assert part._pid == 0 and part.result() == os.getpid() and calls == [threading.get_ident()]
        with pytest.raises(ValueError, match="x"):
            Beside(_boom, "x").result()
        gone = Beside(calls.append, "never")
        gone.cancel()
        assert gone.result() is None and "never" not in calls
        assert threading.active_count() == threads  # no thread was started
    finally:
        stop.set()
        t.join()
    calls = []
    part = Later(lambda x: calls.append(x) or x * 2, 3)
    assert calls == [] and part.result() == 6 and part.result() == 6 and calls == [3]  # once, on demand
    never = Later(calls.append, 4)
    never.cancel()
    assert never.result() is None and calls == [3]


def test_the_cli_gives_the_same_evidence_forked_and_in_one_process(tmp_path):
    """`bsc validate` runs single-threaded, so --jobs 2 forks the robustness grid: same JSON."""
    from bsc_toolkit.history.simulate import simulate_history
    from bsc_toolkit.scorecard.examples import example_path

    card = example_path("retail")
    hist = simulate_history(str(card), n_units=12, n_periods=24, seed=3)
    hist.to_frame().to_csv(tmp_path / "h.csv", index=False)
    (tmp_path / "card.yaml").write_bytes(card.read_bytes())
    out = {}
    for jobs in (1, 2):
        cmd = [sys.executable, "-m", "bsc_toolkit.cli", "validate", str(tmp_path / "card.yaml"), "--data",
               str(tmp_path / "h.csv"), "--unit", "unit", "--period", "period", "--quiet", "--jobs", str(jobs),
               "--json", str(tmp_path / f"ev{jobs}.json")]
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300)
        out[jobs] = json.loads((tmp_path / f"ev{jobs}.json").read_text(encoding="utf-8"))
    for ev in out.values():
        ev.pop("created", None)
        ev.pop("generated_at", None)
    from test_evidence_robustness import _close

    _close(out[1]["links"], out[2]["links"])
    assert all(lk["robustness"]["n_specs"] > 1 for lk in out[2]["links"] if lk.get("robustness"))

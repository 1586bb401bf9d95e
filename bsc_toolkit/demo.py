"""``run_demo``: the whole pipeline offline, on built-in material, in one call.

brief --generate--> scorecard --simulate--> KPI history (planted truth)
--validate--> evidence --map--> strategy map --report--> Quarto report.

No network and no API key: the scorecard comes from the offline generator and
the data from the simulator, which plants known effects (and, for a quarter of
the links, none), so the verdicts can be checked against ``truth.json``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

__all__ = ["DemoResult", "run_demo"]

STEPS = (
    "generating a scorecard from the bundled brief (offline)",
    "simulating a KPI history with planted effects",
    "testing every link against the history",
    "drawing the strategy map with the evidence",
    "writing the validation report",
)


@dataclass(frozen=True)
class DemoResult:
    """What :func:`run_demo` wrote, and how the verdicts compare with the planted truth.

    Attributes
    ----------
    out_dir : Path
    files : dict
        ``scorecard``, ``history``, ``truth``, ``evidence``, ``strategy_map``, ``report_qmd``
        and one entry per rendered format (``report_html``, ``report_pdf``) -> path.
    report : ReportResult
    comparison : list of dict
        One row per link: from, to, planted (effect | null | reverse), planted_sign,
        verdict, estimate, q_value, and ``agrees`` (verdict matches the truth).
    timings : dict
        Seconds per step.
    """

    out_dir: Path
    files: dict[str, Path]
    report: Any
    comparison: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def report_path(self) -> Path:
        """The main report file (HTML if rendered, else the first output, else the .qmd)."""
        outs = self.report.outputs
        return outs.get("html") or next(iter(outs.values()), self.report.qmd)

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())

    @property
    def n_agree(self) -> int:
        return sum(1 for r in self.comparison if r["agrees"])

    @property
    def summary(self) -> str:
        planted = sum(1 for r in self.comparison if r["planted"] == "effect")
        found = sum(1 for r in self.comparison if r["planted"] == "effect" and r["verdict"] == "supported")
        nulls = [r for r in self.comparison if r["planted"] == "null"]
        flagged = [r for r in nulls if r["verdict"] in ("supported", "contradicted")]
        lines = [
            f"bsc demo finished in {self.seconds:.1f} s ({self.report.renderer}); files in {self.out_dir}:",
            *(f"  {k:<14} {v}" for k, v in self.files.items()),
            f"Planted truth vs verdicts: {found} of {planted} planted effects found (supported); "
            f"{len(flagged)} of {len(nulls)} links without a planted effect flagged; "
            f"{self.n_agree} of {len(self.comparison)} verdicts agree with the truth.",
        ]
        for r in flagged:
            common = r.get("shared_drivers") or []
            if not common:
                continue
            caught = r.get("robustness") == "fragile" and "other_drivers=included" in r.get("flips", [])
            lines.append(
                f"  {r['from']} -> {r['to']} has no planted effect, but {', '.join(map(str, common))} drive(s) "
                f"both ends through planted effects: a shared cause makes {r['from']} predict {r['to']}, "
                f"which a test of one link at a time cannot tell from an effect"
                + (f"; the robustness grid catches it: with {r['to']}'s other drivers in the model the "
                   f"link is not supported, so it is marked fragile" if caught else ""))
        lines.append(f"Open the report: {self.report_path}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary

    def to_frame(self):
        """The comparison of verdicts with the planted truth, one row per link."""
        import pandas as pd

        return pd.DataFrame(self.comparison)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{escape(str(r['from']))} → {escape(str(r['to']))}</td><td>{escape(str(r['planted']))}</td>"
            f"<td>{escape(str(r['verdict']))}</td><td>{'✓' if r['agrees'] else '✗'}</td></tr>"
            for r in self.comparison
        )
        return (f"<p><b>bsc demo</b>: {self.n_agree} of {len(self.comparison)} verdicts agree with the planted "
                f"truth. Report: <code>{escape(str(self.report_path))}</code></p>"
                f"<table><thead><tr><th>link</th><th>planted</th><th>verdict</th><th>agrees</th></tr></thead>"
                f"<tbody>{rows}</tbody></table>")


def _agrees(planted: str, planted_sign: Any, verdict: str, expected: Any) -> bool:
    if verdict == "insufficient_data":
        return False
    if planted == "effect":
        if planted_sign and expected and planted_sign != expected:
            return verdict == "contradicted"
        return verdict == "supported"
    # no planted effect in the hypothesised direction (null or reverse)
    return verdict == "not_supported"


def compare_with_truth(truth: list[dict[str, Any]], evidence: dict[str, Any]) -> list[dict[str, Any]]:
    """Match each planted link with its verdict.

    Examples
    --------
    >>> truth = [{"from": "A", "to": "B", "planted": "effect", "planted_sign": "positive",
    ...           "expected_sign": "positive"}]
    >>> ev = {"links": [{"from": "A", "to": "B", "verdict": "supported", "q_value": 0.01}]}
    >>> compare_with_truth(truth, ev)[0]["agrees"]
    True
    """
    by_key = {(lk.get("from"), lk.get("to")): lk for lk in evidence.get("links") or []}
    planted_edges = [(t.get("from"), t.get("to")) for t in truth if t.get("planted", "effect") == "effect"]
    rows = []
    for t in truth:
        lk = by_key.get((t.get("from"), t.get("to")), {})
        verdict = str(lk.get("verdict", "missing"))
        planted = str(t.get("planted", "effect"))
        expected = t.get("expected_sign") or lk.get("expected_sign")
        rows.append({
            "from": t.get("from"), "to": t.get("to"), "planted": planted,
            "planted_sign": t.get("planted_sign"), "expected_sign": expected, "verdict": verdict,
            "estimate": (lk.get("long_run") or {}).get("estimate"), "q_value": lk.get("q_value"),
            "agrees": _agrees(planted, t.get("planted_sign"), verdict, expected),
            "shared_drivers": (shared_drivers(planted_edges, t.get("from"), t.get("to"))
                               if planted != "effect" else []),
            "robustness": (lk.get("robustness") or {}).get("label"),
            "flips": list((lk.get("robustness") or {}).get("flips") or []),
        })
    return rows


def shared_drivers(edges: list[tuple[Any, Any]], a: Any, b: Any) -> list[Any]:
    """Nodes that reach both ``a`` and ``b`` along ``edges``, the path to ``b`` not through ``a``:
    common causes that make ``a`` predict ``b`` without an effect of ``a`` on ``b``.

    Examples
    --------
    >>> shared_drivers([("P1", "C2"), ("P1", "C3"), ("C3", "F2")], "C2", "F2")
    ['P1']
    >>> shared_drivers([("P1", "C2"), ("C2", "F2")], "C2", "F2")
    []
    """
    from .scorecard.lint import reachable

    succ: dict[Any, set[Any]] = {}
    for u, v in edges:
        succ.setdefault(u, set()).add(v)
    nodes = sorted({u for u, _ in edges} | {v for _, v in edges}, key=str)
    return [z for z in nodes if z not in (a, b) and a in reachable(succ, z, b) and b in reachable(succ, z, a)]


def _reporter(progress: bool) -> Callable[[int, str], None]:
    t0 = time.perf_counter()
    if not progress:
        return lambda i, msg: None

    def say(i: int, msg: str) -> None:
        print(f"[{i}/{len(STEPS)}] {msg} ... ({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)

    return say


def run_demo(out_dir: str | Path, *, seed: int = 7, progress: bool = True,
             formats: tuple[str, ...] = ("html", "pdf")) -> DemoResult:
    """Run the whole pipeline offline and write every artefact into ``out_dir``.

    Writes ``scorecard.yaml``, ``history.csv``, ``truth.json``, ``evidence.json``,
    ``strategy_map.svg`` and ``report/`` (``index.qmd``, ``index.html``, ``index.pdf``).

    Parameters
    ----------
    out_dir : path
        Output folder (created if needed).
    seed : int
        Seed of the simulation (the scorecard itself is deterministic).
    progress : bool
        Print a step counter on stderr.
    formats : tuple of str
        Report formats to render.

    Returns
    -------
    DemoResult

    Examples
    --------
    >>> import tempfile
    >>> res = run_demo(tempfile.mkdtemp(), progress=False)  # doctest: +SKIP
    >>> res.report_path.name  # doctest: +SKIP
    'index.html'
    """
    from .generate import demo_brief_path, generate_scorecard, narrate
    from .scorecard import save_scorecard

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    say = _reporter(progress)
    timings: dict[str, float] = {}
    files: dict[str, Path] = {}

    def step(i: int) -> float:
        say(i, STEPS[i - 1])
        return time.perf_counter()

    t = step(1)
    sc = generate_scorecard(demo_brief_path(), provider="offline")
    files["scorecard"] = save_scorecard(sc, out / "scorecard.yaml")
    timings["generate"] = time.perf_counter() - t

    t = step(2)
    from .history import simulate_history

    nulls = [i for i in range(len(sc.links)) if i % 4 == 3]  # a quarter of the links get no effect
    sim = simulate_history(sc, n_units=30, n_periods=24, frequency="quarterly", seed=seed, null=nulls)
    saved = sim.save(out)
    files["history"], files["truth"] = Path(saved.history), Path(saved.truth)
    timings["simulate"] = time.perf_counter() - t

    t = step(3)
    from .evidence import validate

    ev = validate(sc, sim.history)
    files["evidence"] = Path(ev.save(out / "evidence.json"))
    ev_dict = ev.to_dict()
    timings["validate"] = time.perf_counter() - t

    t = step(4)
    from .scorecard import score
    from .strategy_map import strategy_map

    rep = score(sc)
    smap = strategy_map(sc, ev_dict, statuses=rep)
    files["strategy_map"] = Path(smap.render(out / "strategy_map.svg"))
    timings["map"] = time.perf_counter() - t

    t = step(5)
    from .report import build_report

    narrative = narrate(sc, ev_dict, provider="offline")
    report = build_report(sc, kind="validation", evidence=ev_dict, history=sim.history, out_dir=out / "report",
                          formats=formats, narrative=narrative)
    files["report_qmd"] = report.qmd
    for fmt, p in report.outputs.items():
        files[f"report_{fmt}"] = p
    timings["report"] = time.perf_counter() - t

    comparison = compare_with_truth(sim.truth, ev_dict)
    return DemoResult(out_dir=out, files=files, report=report, comparison=comparison, timings=timings)

"""Lint a scorecard against Balanced Scorecard best practice.

The rules come from the practitioner literature (Kaplan & Norton and what
followed): 15–25 KPIs in total, 2–4 objectives per perspective with 1–2 KPIs
each, every non-financial objective leading upward through Learning → Process →
Customer → Financial, no cycles, targets and directions on every KPI, leading
indicators feeding the lagging financial outcomes, and a balanced spread.
Every finding says what to do about it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .findings import Finding, Findings
from .model import PERSPECTIVE_ORDER, Perspective, Scorecard

__all__ = ["lint", "objective_graph", "reachable", "LINT_RULES"]

MIN_KPIS, MAX_KPIS = 15, 25
MIN_OBJ, MAX_OBJ = 2, 4
MAX_KPIS_PER_OBJECTIVE = 2

#: code -> one-line description, for documentation and ``bsc lint --rules``
LINT_RULES: dict[str, str] = {
    "kpi-count": f"{MIN_KPIS}–{MAX_KPIS} KPIs in total",
    "perspective-empty": "every perspective has objectives",
    "objectives-per-perspective": f"{MIN_OBJ}–{MAX_OBJ} objectives per perspective",
    "objective-without-kpi": "every objective is measured by a KPI",
    "kpis-per-objective": f"at most {MAX_KPIS_PER_OBJECTIVE} KPIs per objective",
    "missing-direction": "every KPI says whether higher or lower is better",
    "missing-target": "every KPI has a target",
    "drafted-kpi": "a KPI drafted by a generator from the brief's words (drafted: true) needs its definition, baseline and target",
    "missing-indicator": "every KPI is marked leading or lagging",
    "target-direction": "targets point the way the direction says is better",
    "threshold-order": "green threshold is better than red",
    "dead-end-objective": "every non-financial objective leads somewhere upward",
    "unlinked-financial": "every financial objective has a driver",
    "downward-link": "links run upward (Learning → Process → Customer → Financial)",
    "skip-link": "links do not skip a perspective",
    "cycle": "the map has no cycle",
    "no-leading-driver": "leading indicators feed every lagging financial KPI",
    "unbalanced": "no perspective dominates the scorecard",
    "extreme-weights": "weights are not extreme",
}


def objective_graph(sc: Scorecard) -> dict[str, set[str]]:
    """Objective-level adjacency: objective id -> ids of objectives it links to."""
    graph: dict[str, set[str]] = {o.id: set() for o in sc.objectives}
    for lk in sc.links:
        a, b = sc.objective_of(lk.source).id, sc.objective_of(lk.target).id
        if a != b:
            graph[a].add(b)
    return graph


def reachable(graph: Mapping[Any, Iterable[Any]], start: Any, avoid: Any = None) -> set[Any]:
    """Every node a path of ``graph`` edges leads to from ``start``, without passing ``avoid``
    (``start`` itself only through a cycle).

    Examples
    --------
    >>> g = {"L1": {"P1"}, "P1": {"C2", "C3"}, "C3": {"F2"}}
    >>> sorted(reachable(g, "L1")), sorted(reachable(g, "P1", avoid="C3"))
    (['C2', 'C3', 'F2', 'P1'], ['C2'])
    """
    seen: set[Any] = set()
    todo = [start]
    while todo:
        for n in graph.get(todo.pop(), ()):
            if n != avoid and n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def _find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Elementary cycles found by depth-first search (one per back edge)."""
    cycles: list[list[str]] = []
    colour: dict[str, int] = defaultdict(int)  # 0 new, 1 on stack, 2 done
    stack: list[str] = []

    def visit(n: str) -> None:
        colour[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if colour[m] == 1:
                cycles.append(stack[stack.index(m):] + [m])
            elif colour[m] == 0:
                visit(m)
        stack.pop()
        colour[n] = 2

    for n in sorted(graph):
        if colour[n] == 0:
            visit(n)
    return cycles


def weight_findings(weights: dict[str, float], group: str) -> Iterator[Finding]:
    if len(weights) < 2:
        return
    vals = list(weights.values())
    total = sum(vals)
    if total <= 0:
        yield Finding(
            "extreme-weights", "warning", f"all weights in {group} are zero",
            "give the items positive weights (or remove the weights to weigh them equally)", group,
        )
        return
    top_id, top = max(weights.items(), key=lambda kv: kv[1])
    positive = [v for v in vals if v > 0]
    ratio = max(positive) / min(positive)
    zero = [k for k, v in weights.items() if v == 0]
    if len(weights) >= 3 and top / total >= 0.6:
        yield Finding(
            "extreme-weights", "warning",
            f"'{top_id}' carries {top / total:.0%} of the weight in {group}",
            "balance the weights or split the dominant item; a scorecard ruled by one measure hides the others", group,
        )
    elif ratio > 10:
        yield Finding(
            "extreme-weights", "warning", f"weights in {group} differ by a factor of {ratio:.0f}",
            "keep weights within a factor of 10, or drop the items that barely count", group,
        )
    for k in zero:
        yield Finding(
            "extreme-weights", "info", f"'{k}' has weight 0 in {group} and does not count in the score",
            "remove it from the scorecard or give it a weight", group,
        )


def lint(sc: Scorecard) -> Findings:
    """Check a scorecard against best practice and return findings with advice.

    Errors are things that make the scorecard unusable (an objective with no KPI,
    a KPI with no direction, a cycle); warnings are departures from best practice;
    notes (``info``) are worth a look.

    Examples
    --------
    >>> from bsc_toolkit.scorecard import load_example, lint
    >>> lint(load_example("retail")).ok_strict
    True
    """
    return Findings.of(_lint(sc), title=f"Lint of '{sc.name}'")


def _lint(sc: Scorecard) -> Iterator[Finding]:
    yield from _lint_measures(sc)
    yield from _lint_map(sc)
    yield from _lint_balance(sc)


def _lint_measures(sc: Scorecard) -> Iterator[Finding]:
    """KPI count, objectives per perspective, KPIs per objective, each KPI's own fields."""
    kpis = sc.kpis
    n = len(kpis)
    if n < MIN_KPIS:
        yield Finding("kpi-count", "warning", f"{n} KPIs in total, fewer than {MIN_KPIS}",
                      f"cover each perspective with enough measures: aim for {MIN_KPIS}–{MAX_KPIS} KPIs")
    elif n > MAX_KPIS:
        yield Finding("kpi-count", "warning", f"{n} KPIs in total, more than {MAX_KPIS}",
                      f"keep the strategic few: cut to {MIN_KPIS}–{MAX_KPIS} KPIs and move operational ones to department scorecards")

    per_p = {p: sc.objectives_in(p) for p in PERSPECTIVE_ORDER}
    for p, objs in per_p.items():
        if not objs:
            yield Finding("perspective-empty", "warning", f"no objective in the {p.label} perspective",
                          f"add {MIN_OBJ}–{MAX_OBJ} {p.label} objectives; a scorecard needs all four perspectives", p.value)
        elif not (MIN_OBJ <= len(objs) <= MAX_OBJ):
            yield Finding("objectives-per-perspective", "warning",
                          f"{len(objs)} objective(s) in {p.label}, outside {MIN_OBJ}–{MAX_OBJ}",
                          "merge or split objectives so each perspective has 2–4" if len(objs) > MAX_OBJ
                          else f"add another {p.label} objective, or fold this one into a neighbour", p.value)

    for o in sc.objectives:
        if not o.kpis:
            yield Finding("objective-without-kpi", "error", f"objective '{o.name}' has no KPI",
                          "add one or two KPIs that measure it; what is not measured cannot be managed or tested", o.id)
        elif len(o.kpis) > MAX_KPIS_PER_OBJECTIVE:
            yield Finding("kpis-per-objective", "warning", f"objective '{o.name}' has {len(o.kpis)} KPIs",
                          f"keep 1–{MAX_KPIS_PER_OBJECTIVE} KPIs per objective: pick the most strategic", o.id)

    for o, k in sc.iter_kpis():
        where = f"{o.id}.{k.id}"
        if k.direction is None:
            yield Finding("missing-direction", "error", f"KPI '{k.name}' has no direction",
                          "set direction: up (higher is better) or down (lower is better)", where)
        if k.drafted:
            yield Finding("drafted-kpi", "info", f"drafted KPI '{k.name}': set its baseline and target",
                          "the generator drafted it from the brief's words because no library KPI fitted: "
                          "define how it is measured, then set baseline and target from your own data", where)
        elif k.target is None:
            yield Finding("missing-target", "warning", f"KPI '{k.name}' has no target",
                          "set a target (and a baseline) so status and score can be computed", where)
        if k.indicator is None:
            yield Finding("missing-indicator", "info", f"KPI '{k.name}' is not marked leading or lagging",
                          "set indicator: leading for drivers, lagging for outcomes", where)
        if k.direction and k.baseline is not None and k.target is not None:
            worse = k.target < k.baseline if k.direction == "up" else k.target > k.baseline
            if worse:
                yield Finding("target-direction", "warning",
                              f"target {k.target:g} is worse than baseline {k.baseline:g} for direction '{k.direction}'",
                              "check the direction or the target", where)
        if k.direction and k.thresholds is not None:
            t = k.thresholds
            bad = t.green < t.red if k.direction == "up" else t.green > t.red
            if bad:
                yield Finding("threshold-order", "warning",
                              f"green threshold {t.green:g} is worse than red {t.red:g} for direction '{k.direction}'",
                              "swap the thresholds or fix the direction", where)


def _lint_map(sc: Scorecard) -> Iterator[Finding]:
    """The strategy map: link directions, cycles, dead ends, drivers of the financial objectives."""
    level = {o.id: o.perspective.level for o in sc.objectives}
    graph = objective_graph(sc)
    for i, lk in enumerate(sc.links):
        a, b = sc.objective_of(lk.source), sc.objective_of(lk.target)
        la, lb = a.perspective.level, b.perspective.level
        where = f"links[{i}] {lk.source}->{lk.target}"
        if lb < la:
            yield Finding("downward-link", "warning",
                          f"link runs downward from {a.perspective.label} to {b.perspective.label}",
                          "cause and effect runs Learning → Process → Customer → Financial; reverse the link or justify it in its rationale",
                          where)
        elif lb - la > 1:
            skipped = ", ".join(p.label for p in PERSPECTIVE_ORDER[la + 1: lb])
            yield Finding("skip-link", "info",
                          f"link skips {skipped} ({a.perspective.label} → {b.perspective.label})",
                          "consider whether an intermediate objective is missing; direct links are fine for productivity effects", where)

    for cyc in _find_cycles(graph):
        yield Finding("cycle", "error", "links form a cycle: " + " → ".join(cyc),
                      "a strategy map is a chain of causes; remove or reverse one link of the cycle", cyc[0])

    for o in sc.objectives:
        if o.perspective == Perspective.financial:
            continue
        if not any(level[t] > level[o.id] for t in graph[o.id]):
            yield Finding("dead-end-objective", "warning",
                          f"{o.perspective.label} objective '{o.name}' leads to nothing above it",
                          "link it to the objective it is meant to improve in the next perspective up, or question why it is on the scorecard",
                          o.id)

    into: dict[str, set[str]] = defaultdict(set)
    for src, targets in graph.items():
        for dst in targets:
            into[dst].add(src)
    for o in sc.objectives:
        if o.perspective == Perspective.financial and not into[o.id]:
            yield Finding("unlinked-financial", "warning", f"financial objective '{o.name}' has no driver",
                          "link customer (or process) objectives to it so the map explains how it will be achieved", o.id)

    # leading indicators upstream of each lagging financial KPI (KPI-level ancestors via objectives)
    for o in sc.objectives:
        if o.perspective != Perspective.financial:
            continue
        lagging = [k for k in o.kpis if k.indicator == "lagging"]
        if not lagging:
            continue
        upstream = reachable(into, o.id)
        leading = [k for u in upstream for k in sc.objective(u).kpis if k.indicator == "leading"]
        if not leading:
            yield Finding("no-leading-driver", "warning",
                          f"no leading indicator feeds the lagging financial KPI(s) {', '.join(k.id for k in lagging)}",
                          "link leading customer, process or learning KPIs to this objective: a scorecard of outcomes only cannot steer",
                          o.id)


def _lint_balance(sc: Scorecard) -> Iterator[Finding]:
    """KPIs spread over the perspectives, and weights."""
    n = len(sc.kpis)
    per_p = {p: sc.objectives_in(p) for p in PERSPECTIVE_ORDER}
    if n >= 8:
        counts = {p: sum(len(ob.kpis) for ob in per_p[p]) for p in PERSPECTIVE_ORDER}
        for p, c in counts.items():
            share = c / n
            if share > 0.4:
                yield Finding("unbalanced", "warning", f"{p.label} holds {c} of {n} KPIs ({share:.0%})",
                              "rebalance: no perspective should hold more than about 40% of the KPIs", p.value)
            elif 0 < share < 0.1:
                yield Finding("unbalanced", "warning", f"{p.label} holds only {c} of {n} KPIs ({share:.0%})",
                              f"strengthen the {p.label} perspective or move measures into it", p.value)

    # weights
    for o in sc.objectives:
        ws = {k.id: k.weight for k in o.kpis if k.weight is not None}
        if ws and len(ws) == len(o.kpis):
            yield from weight_findings(ws, f"objective {o.id}")
    for p in PERSPECTIVE_ORDER:
        objs = per_p[p]
        ws = {ob.id: ob.weight for ob in objs if ob.weight is not None}
        if ws and len(ws) == len(objs):
            yield from weight_findings(ws, f"perspective {p.value}")
    if sc.perspective_weights:
        yield from weight_findings({p.value: w for p, w in sc.perspective_weights.items()}, "perspective_weights")

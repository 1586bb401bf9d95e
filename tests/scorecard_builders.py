"""Builders for crafted scorecards used by the foundation tests."""

from __future__ import annotations

from typing import Any

PERSPECTIVES = ("learning_growth", "internal_process", "customer", "financial")
PREFIX = {"learning_growth": "L", "internal_process": "P", "customer": "C", "financial": "F"}


def build(
    n_obj: dict[str, int] | int = 3,
    kpis_per_obj: int = 2,
    chain: bool = True,
    **kpi_fields: Any,
) -> dict[str, Any]:
    """A lint-clean scorecard as plain data: n objectives per perspective, chained upward.

    Every objective i in a perspective links to objective i (or the last one) in the
    perspective above, and every KPI has direction, indicator, baseline and target.
    """
    counts = {p: n_obj for p in PERSPECTIVES} if isinstance(n_obj, int) else n_obj
    objectives = []
    for p in PERSPECTIVES:
        for i in range(1, counts.get(p, 0) + 1):
            oid = f"{PREFIX[p]}{i}"
            kpis = []
            for j in range(1, kpis_per_obj + 1):
                k = {
                    "id": f"{oid.lower()}_k{j}",
                    "name": f"KPI {j} of {oid}",
                    "direction": "up",
                    "indicator": "lagging" if p == "financial" else "leading",
                    "baseline": 10.0,
                    "target": 20.0,
                }
                k.update(kpi_fields)
                kpis.append(k)
            objectives.append({"id": oid, "perspective": p, "name": f"Objective {oid}", "kpis": kpis})
    links = []
    if chain:
        for lo, hi in zip(PERSPECTIVES, PERSPECTIVES[1:], strict=False):
            n_hi = counts.get(hi, 0)
            for i in range(1, counts.get(lo, 0) + 1):
                if n_hi:
                    links.append({"from": f"{PREFIX[lo]}{i}", "to": f"{PREFIX[hi]}{min(i, n_hi)}"})
    return {"name": "Crafted", "objectives": objectives, "links": links}

"""Benchmark: the offline generator on strategy briefs from many sectors.

Every brief in ``benchmarks/briefs/`` (realistic half-page briefs, Markdown or YAML,
written for this benchmark; some of sectors the KPI library does not have) is
generated offline, linted, and scored for theme coverage with
:func:`bsc_toolkit.generate.coverage.theme_coverage` (objective, KPI and initiative
names and descriptions only, never the copied brief text). One line per brief:

    brief | sector used (confidence) | KPIs | lint errors/warnings | themes covered/named
    (of which by drafted objectives) | seconds

Goals: every brief lint-clean (no error, no warning), coverage >= 80% on every brief,
< 1 s per brief after import.

    python benchmarks/bench_generate.py            # the table
    python benchmarks/bench_generate.py --missing  # also list each uncovered theme
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BRIEFS = HERE / "briefs"
GOAL_COVERAGE = 0.8
GOAL_SECONDS = 1.0


def run(brief_dir: Path = BRIEFS) -> list[dict]:
    """One row per brief: what the generator did and how it scored."""
    from bsc_toolkit.errors import BSCError
    from bsc_toolkit.generate import generate_scorecard, load_brief, match_sector
    from bsc_toolkit.generate.coverage import theme_coverage
    from bsc_toolkit.scorecard import lint

    generate_scorecard("demo", provider="offline")  # import and fit the matcher once, outside the timings
    rows = []
    for path in sorted(brief_dir.glob("*")):
        if path.suffix not in (".md", ".yaml", ".yml"):
            continue
        brief = load_brief(path)
        match = match_sector(brief)
        t0 = time.perf_counter()
        try:
            sc = generate_scorecard(brief, provider="offline")
        except BSCError as exc:
            rows.append({"brief": path.name, "sector": match.label, "confidence": match.confidence,
                         "error": str(exc), "seconds": time.perf_counter() - t0})
            continue
        seconds = time.perf_counter() - t0
        findings = lint(sc)
        cov = theme_coverage(sc, brief)
        drafted_ids = {o.id for o in sc.objectives if o.drafted} | {
            o.id for o in sc.objectives if any(k.drafted for k in o.kpis)}
        rows.append({
            "brief": path.name, "sector": match.label, "confidence": match.confidence,
            "kpis": len(sc.kpis), "errors": len(findings.errors), "warnings": len(findings.warnings),
            "covered": cov.n_covered, "themes": cov.n_themes,
            "by_drafted": sum(1 for mt in cov.matches if mt.covered and mt.objective in drafted_ids),
            "missing": [t.text for t in cov.missing], "seconds": seconds,
        })
    return rows


def main(argv: list[str] | None = None) -> dict:
    from bsc_toolkit._format import fmt_count, fmt_share

    argv = sys.argv[1:] if argv is None else argv
    rows = run()
    head = f"{'brief':<22} {'sector used (confidence)':<40} {'KPIs':>4} {'lint E/W':>8} {'themes':>7} {'drafted':>7} {'s':>5}"
    print(head)
    print("-" * len(head))
    for r in rows:
        sector = f"{r['sector']} ({r['confidence']})"
        if "error" in r:
            print(f"{r['brief']:<22} {sector:<40} FAILED: {r['error']}")
            continue
        print(f"{r['brief']:<22} {sector:<40} {r['kpis']:>4} {r['errors']:>4}/{r['warnings']:<3} "
              f"{r['covered']:>3}/{r['themes']:<3} {r['by_drafted']:>7} {r['seconds']:>5.2f}")
        if "--missing" in argv:
            for t in r["missing"]:
                print(f"{'':<24}not covered: {t}")
    ok = [r for r in rows if "error" not in r]
    clean = sum(r["errors"] == 0 and r["warnings"] == 0 for r in ok)
    named = sum(r["themes"] for r in ok)
    covered = sum(r["covered"] for r in ok)
    drafted = sum(r["by_drafted"] for r in ok)
    worst = min((r["covered"] / r["themes"] for r in ok if r["themes"]), default=1.0)
    at_goal = sum(r["covered"] >= GOAL_COVERAGE * r["themes"] for r in ok)
    sectors = len({r["sector"] for r in rows})
    slowest = max(r["seconds"] for r in rows)
    print("-" * len(head))
    print(f"bench_generate: {fmt_count(len(rows), 'brief')} ({sectors} sectors used incl. cross-sector), "
          f"{clean} lint-clean, {len(rows) - len(ok)} failed")
    print(f"bench_generate: themes covered {covered} of {named} ({fmt_share(covered / named if named else 1)}), "
          f"{drafted} of them by drafted objectives; worst brief {fmt_share(worst)}; "
          f"{at_goal} of {len(ok)} briefs at >= {fmt_share(GOAL_COVERAGE)}")
    print(f"bench_generate: slowest brief {slowest:.2f} s (goal < {GOAL_SECONDS:g} s)")
    return {"briefs": len(rows), "lint_clean": clean, "failed": len(rows) - len(ok),
            "coverage": covered / named if named else 1.0, "worst_coverage": worst,
            "briefs_at_goal": at_goal, "slowest_s": slowest}


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent))
    main()

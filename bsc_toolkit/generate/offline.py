"""The offline generator: a deterministic scorecard drafted from the KPI library.

No network and no randomness: the brief is compared with every library objective
by TF-IDF cosine similarity (scikit-learn), objectives of the brief's sector get a
bonus, and per perspective the best-matching objectives are chosen with a
diversity penalty (maximal marginal relevance), so two near-identical objectives
are not both picked. Links follow the library's typical upward links and are
completed so that every non-financial objective leads one perspective up and every
objective above Learning & Growth has a driver one perspective below. The result
passes :func:`bsc_toolkit.scorecard.lint` with no error and no warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import GenerationError
from ..scorecard import PERSPECTIVE_ORDER, Perspective, Scorecard, check_cascade, lint
from ..scorecard.io import scorecard_from_data
from .brief import Brief
from .library import KPILibrary, LibraryObjective, load_library

__all__ = ["generate_offline", "match_sector"]

SECTOR_BONUS = 0.25
COMMON_BONUS = 0.05
DIVERSITY = 0.6
DEFAULT_N_KPIS = 20
_PREFIX = {
    Perspective.financial: "F",
    Perspective.customer: "C",
    Perspective.internal_process: "P",
    Perspective.learning_growth: "L",
}
_OUTPUT_ORDER = tuple(reversed(PERSPECTIVE_ORDER))  # financial first, as scorecards are read


@dataclass
class _Matcher:
    """TF-IDF space fitted on the library (and nothing else, so results do not depend on the brief set)."""

    library: KPILibrary

    def __post_init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        docs = [o.document for o in self.library.objectives]
        docs += [self._sector_doc(s.name) for s in self.library.sectors]
        self.vec = TfidfVectorizer(stop_words="english", sublinear_tf=True, ngram_range=(1, 2))
        self.vec.fit(docs)
        self.obj_matrix = self.vec.transform([o.document for o in self.library.objectives])

    def _sector_doc(self, name: str) -> str:
        s = self.library.sector(name)
        return " ".join([s.label, *s.aliases, s.keywords, *(o.name for o in self.library.in_sector(name))])

    def similarity(self, texts: list[str], others: list[str] | None = None):
        from sklearn.metrics.pairwise import cosine_similarity

        a = self.vec.transform(texts)
        b = self.obj_matrix if others is None else self.vec.transform(others)
        return cosine_similarity(a, b)


_MATCHER: _Matcher | None = None


def _matcher() -> _Matcher:
    global _MATCHER
    if _MATCHER is None:
        _MATCHER = _Matcher(load_library())
    return _MATCHER


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def match_sector(brief: Brief) -> tuple[str | None, str]:
    """The library sector for a brief and how it was found.

    An explicit ``sector`` that names a library sector (or one of its aliases) wins;
    otherwise the brief's text is compared with each sector's keywords by TF-IDF.

    Returns
    -------
    (sector name or None, explanation)

    Examples
    --------
    >>> from bsc_toolkit.generate import Brief
    >>> match_sector(Brief(sector="SaaS"))[0]
    'software'
    """
    lib = load_library()
    real = [s for s in lib.sectors if s.name != "common"]
    if brief.sector:
        wanted = _norm(brief.sector)
        for s in real:
            names = {_norm(s.name), _norm(s.label), *(_norm(a) for a in s.aliases)}
            if wanted in names:
                return s.name, f"sector '{brief.sector}' matches the library sector '{s.label}'"
        for s in real:
            names = {_norm(s.name), *(_norm(a) for a in s.aliases)}
            if any(re.search(rf"\b{re.escape(n)}\b", wanted) for n in names if n):
                return s.name, f"sector '{brief.sector}' matches the library sector '{s.label}'"
    m = _matcher()
    text = brief.as_text()
    if not text.strip():
        return None, "the brief is empty; cross-sector objectives only"
    sims = m.similarity([text], [m._sector_doc(s.name) for s in real])[0]
    best = max(range(len(real)), key=lambda i: (sims[i], -i))
    if sims[best] <= 0.02:
        return None, "no library sector matches the brief; cross-sector objectives only"
    return real[best].name, f"sector inferred from the brief's text: '{real[best].label}' (similarity {sims[best]:.2f})"


def _query(brief: Brief) -> str:
    themes = " ".join(brief.themes)
    return f"{brief.as_text()}\n{themes}\n{themes}"


def _select(
    brief: Brief, sector: str | None, n_kpis: int
) -> tuple[dict[Perspective, list[LibraryObjective]], dict[str, int], dict[str, float]]:
    """Objectives per perspective (ranked), KPIs to take per objective, and each objective's score."""
    lib = load_library()
    m = _matcher()
    sims = m.similarity([_query(brief)])[0]
    pair = m.similarity([o.document for o in lib.objectives], [o.document for o in lib.objectives])
    index = {o.id: i for i, o in enumerate(lib.objectives)}
    score: dict[str, float] = {}
    for i, o in enumerate(lib.objectives):
        if sector is not None and o.sector not in (sector, "common"):
            continue
        bonus = SECTOR_BONUS if (sector is not None and o.sector == sector) else 0.0
        bonus += COMMON_BONUS if o.sector == "common" else 0.0
        score[o.id] = float(sims[i]) + bonus
    per_p = 3 if n_kpis <= 22 else 4
    chosen: dict[Perspective, list[LibraryObjective]] = {}
    for p in PERSPECTIVE_ORDER:
        pool = [o for o in lib.objectives if o.perspective == p and o.id in score]
        picked: list[LibraryObjective] = []
        while pool and len(picked) < per_p:
            def mmr(o: LibraryObjective, picked: list[LibraryObjective] = picked) -> tuple[float, tuple[int, ...]]:
                penalty = max((pair[index[o.id], index[c.id]] for c in picked), default=0.0)
                return (round(score[o.id] - DIVERSITY * penalty, 12), _neg(o.id))

            best = max(pool, key=mmr)
            picked.append(best)
            pool.remove(best)
        if len(picked) < 2:
            raise GenerationError(f"the KPI library has too few {p.label} objectives for sector '{sector}'")
        chosen[p] = picked
    take = {o.id: 1 for objs in chosen.values() for o in objs}
    extra = n_kpis - len(take)
    while extra > 0:
        progressed = False
        for p in _OUTPUT_ORDER:
            if extra <= 0:
                break
            cands = [o for o in chosen[p] if len(o.kpis) > take[o.id]]
            if not cands:
                continue
            best = max(cands, key=lambda o: (score[o.id], _neg(o.id)))
            take[best.id] += 1
            extra -= 1
            progressed = True
        if not progressed:
            break
    return chosen, take, score


def _neg(s: str) -> tuple[int, ...]:
    """Sort key that prefers the alphabetically first id among equals under ``max``."""
    return tuple(-ord(c) for c in s)


def _links(
    chosen: dict[Perspective, list[LibraryObjective]], out_id: dict[str, str], sector_label: str
) -> list[dict[str, Any]]:
    m = _matcher()
    lib = load_library()
    index = {o.id: i for i, o in enumerate(lib.objectives)}
    docs = [o.document for o in lib.objectives]
    pair = m.similarity(docs, docs)
    links: list[tuple[LibraryObjective, LibraryObjective, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(a: LibraryObjective, b: LibraryObjective, why: str) -> None:
        if (a.id, b.id) not in seen:
            seen.add((a.id, b.id))
            links.append((a, b, why))

    def closest(o: LibraryObjective, among: list[LibraryObjective]) -> LibraryObjective:
        return max(among, key=lambda c: (round(float(pair[index[o.id], index[c.id]]), 12), _neg(c.id)))

    for p in PERSPECTIVE_ORDER[:-1]:
        up = chosen[PERSPECTIVE_ORDER[p.level + 1]]
        up_ids = {o.id for o in up}
        for o in chosen[p]:
            typical = [t for t in o.to if t in up_ids]
            for t in typical:
                tgt = next(x for x in up if x.id == t)
                label = sector_label if o.sector != "common" else "cross-sector"
                add(o, tgt, f"Typical {label} cause-and-effect link in the KPI library: progress on "
                            f"'{o.name}' is expected to drive '{tgt.name}'.")
            if not typical:
                tgt = closest(o, up)
                add(o, tgt, f"Added to complete the chain (no typical library link to a chosen objective): "
                            f"'{tgt.name}' is the closest match one perspective up. Check this hypothesis.")
    for p in PERSPECTIVE_ORDER[1:]:
        down = chosen[PERSPECTIVE_ORDER[p.level - 1]]
        for o in chosen[p]:
            if not any(b.id == o.id for _, b, _ in links):
                src = closest(o, down)
                add(src, o, f"Added so that '{o.name}' has a driver: '{src.name}' is the closest "
                            f"match one perspective down. Check this hypothesis.")
    order = {o.id: i for i, o in enumerate(o for p in _OUTPUT_ORDER for o in chosen[p])}
    links.sort(key=lambda t: (-t[0].perspective.level, order[t[0].id], order[t[1].id]))
    out = []
    for a, b, why in links:
        same = a.kpis[0].direction == b.kpis[0].direction
        out.append({
            "from": out_id[a.id], "to": out_id[b.id], "sign": "positive" if same else "negative",
            "lags": [1], "rationale": why,
        })
    return out


def _supports(
    objectives: list[dict[str, Any]], parent: Scorecard
) -> None:
    """Fill ``supports`` of each child objective (in place) so every parent objective is covered."""
    m = _matcher()
    def text(o) -> str:
        return " ".join([o.name, o.description or "", *(k.name for k in o.kpis)])

    p_objs = list(parent.objectives)
    if not p_objs:
        raise GenerationError(f"parent scorecard '{parent.name}' has no objectives to cascade from")
    c_texts = [o["_doc"] for o in objectives]
    sims = m.similarity(c_texts, [text(o) for o in p_objs])
    for i, o in enumerate(objectives):
        level = Perspective(o["perspective"]).level
        # same perspective first, then the nearest one
        cands = sorted(range(len(p_objs)), key=lambda j: (
            abs(p_objs[j].perspective.level - level), -round(float(sims[i, j]), 12), j))
        o["supports"] = [p_objs[cands[0]].id]
    for j, po in enumerate(p_objs):
        if any(po.id in o["supports"] for o in objectives):
            continue
        same = [i for i, o in enumerate(objectives) if Perspective(o["perspective"]) == po.perspective]
        pool = same or list(range(len(objectives)))
        best = max(pool, key=lambda i: (round(float(sims[i, j]), 12), -i))
        objectives[best]["supports"].append(po.id)


def generate_offline(
    brief: Brief, *, parent: Scorecard | None = None, parent_ref: str | None = None
) -> Scorecard:
    """Draft a lint-clean scorecard from the KPI library, deterministically.

    Parameters
    ----------
    brief : Brief
    parent : Scorecard, optional
        Cascade: every objective then lists the parent objectives it ``supports``.
    parent_ref : str, optional
        What to record in the scorecard's ``parent`` field (a path or example name);
        defaults to the parent's name.

    Examples
    --------
    >>> from bsc_toolkit.generate import load_brief
    >>> sc = generate_offline(load_brief("demo"))
    >>> sc.generator.name
    'offline'
    """
    lib = load_library()
    sector, how = match_sector(brief)
    n_kpis = brief.n_kpis or DEFAULT_N_KPIS
    chosen, take, _ = _select(brief, sector, n_kpis)
    out_id: dict[str, str] = {}
    objectives: list[dict[str, Any]] = []
    for p in _OUTPUT_ORDER:
        for i, o in enumerate(chosen[p], start=1):
            out_id[o.id] = f"{_PREFIX[p]}{i}"
            kpis = []
            for k in o.kpis[: take[o.id]]:
                kpis.append({
                    "id": k.id, "name": k.name, "unit": k.unit, "direction": k.direction,
                    "indicator": k.indicator, "baseline": k.baseline, "target": k.target,
                    "frequency": "quarterly",
                })
            objectives.append({
                "id": out_id[o.id], "perspective": p.value, "name": o.name, "kpis": kpis,
                "_doc": o.document,
            })
    sector_label = lib.sector(sector).label if sector else "cross-sector"
    links = _links(chosen, out_id, sector_label)
    if parent is not None:
        _supports(objectives, parent)
    for o in objectives:
        o.pop("_doc")
    note = (
        f"Drafted offline from the bsc-toolkit KPI library ({sector_label} and cross-sector "
        f"objectives) by TF-IDF similarity to the brief; {how}. Baselines and targets are typical "
        "values from the library: replace them with your own before use."
    )
    n_got = sum(len(o["kpis"]) for o in objectives)
    if n_got != n_kpis:
        note += f" {n_got} KPIs instead of the {n_kpis} asked for: the chosen objectives offer no more."
    data: dict[str, Any] = {
        "name": brief.scorecard_name,
        "organisation": brief.organisation,
        "sector": brief.sector or (sector_label if sector else None),
        "description": (brief.text[:3990] or None) if brief.text else None,
        "mission": brief.mission,
        "vision": brief.vision,
        "period": brief.period,
        "parent": (parent_ref or parent.name) if parent is not None else None,
        "generator": {"name": "offline", "note": note},
        "objectives": objectives,
        "links": links,
    }
    data = {k: v for k, v in data.items() if v is not None}
    sc = scorecard_from_data(data, file="<offline generator>")
    findings = lint(sc)
    if not findings.ok_strict:
        bad = "; ".join(str(f) for f in findings if f.severity != "info")
        raise GenerationError(f"offline generator produced a scorecard that does not lint clean: {bad}",
                              provider="offline")
    if parent is not None:
        cf = check_cascade(parent, sc)
        if not cf.ok:
            raise GenerationError("offline cascade is inconsistent: " + "; ".join(str(f) for f in cf.errors),
                                  provider="offline")
    return sc

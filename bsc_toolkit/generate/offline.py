"""The offline generator: a deterministic scorecard drafted from the KPI library, theme by theme.

No network and no randomness. The generator

1. finds the brief's sector in the library (:func:`match_sector`: an explicit
   ``sector`` or its synonyms, else the brief's text by TF-IDF similarity) and says
   how sure the match is; a sector the library lacks is said so, and no distant
   sector is borrowed;
2. reads the brief's themes (:func:`~bsc_toolkit.generate.themes.extract_themes`) and,
   for each, retrieves a library objective (of the brief's sector first, then a
   cross-sector one; never another sector's, whose KPIs name that sector's things)
   whose name and KPIs name the theme's topic words; where nothing fits, it drafts an
   objective and KPI from the theme's own words (:func:`~bsc_toolkit.generate.drafting.draft_theme`, marked
   ``drafted: true``), in the perspective the theme is about;
3. fills every perspective to 2-4 objectives with the objectives closest to the
   brief (maximal marginal relevance, so near-duplicates are not both picked) and
   sizes the KPIs to ``n_kpis`` (default 20) and, when given, the per-perspective
   counts, balanced so that no perspective holds more than 40%;
4. links the objectives with the library's typical upward links, completed so that
   every non-financial objective leads one perspective up and every objective above
   Learning & Growth has a driver one perspective below.

The result passes :func:`bsc_toolkit.scorecard.lint` with no error and no warning;
the generator note records the sector used, how sure the match is, and which
objective serves which theme.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import GenerationError
from ..scorecard import PERSPECTIVE_ORDER, Perspective, Scorecard, check_cascade, lint
from ..scorecard.io import scorecard_from_data
from ._tfidf import ENGLISH_STOP_WORDS, Tfidf, cosine
from ._words import FILLER, content_stems, tokens
from .brief import Brief
from .coverage import words_needed
from .drafting import Draft, draft_theme, perspective_cues
from .library import KPILibrary, LibraryObjective, load_library
from .themes import Theme, extract_themes

__all__ = ["DEFAULT_N_KPIS", "SectorMatch", "generate_offline", "match_sector"]

SECTOR_BONUS = 0.25
COMMON_BONUS = 0.05
DIVERSITY = 0.6
DEFAULT_N_KPIS = 20
MAX_OBJECTIVES = 4
MIN_OBJECTIVES = 2
MIN_KPIS = 15
_PREFIX = {
    Perspective.financial: "F",
    Perspective.customer: "C",
    Perspective.internal_process: "P",
    Perspective.learning_growth: "L",
}
_OUTPUT_ORDER = tuple(reversed(PERSPECTIVE_ORDER))  # financial first, as scorecards are read
DRAFT_NOTE = ("Drafted from a theme of the brief (no library KPI fitted): define how it is measured, "
              "then set its baseline and target from your own data.")


# ----------------------------------------------------------------------------- matcher
@dataclass
class _Matcher:
    """TF-IDF space fitted on the library (and nothing else, so results do not depend on the brief set)."""

    library: KPILibrary

    def __post_init__(self) -> None:
        docs = [o.document for o in self.library.objectives]
        docs += [self.sector_doc(s.name) for s in self.library.sectors]
        self.vec = Tfidf().fit(docs)
        self.obj_matrix = self.vec.transform([o.document for o in self.library.objectives])
        self.pair = cosine(self.obj_matrix, self.obj_matrix)
        self.index = {o.id: i for i, o in enumerate(self.library.objectives)}
        self.name_stems = [set(content_stems(o.name)) for o in self.library.objectives]
        self.kpi_stems = [[set(content_stems(k.name)) for k in o.kpis] for o in self.library.objectives]
        self.vocabulary = {t for t in self.vec.vocabulary_ if " " not in t}

    def sector_doc(self, name: str) -> str:
        s = self.library.sector(name)
        return " ".join([s.label, *s.aliases, s.keywords, *(o.name for o in self.library.in_sector(name))])

    def similarity(self, texts: list[str], others: list[str] | None = None) -> np.ndarray:
        a = self.vec.transform(texts)
        b = self.obj_matrix if others is None else self.vec.transform(others)
        return cosine(a, b)


_MATCHER: _Matcher | None = None


def _matcher() -> _Matcher:
    global _MATCHER
    if _MATCHER is None:
        _MATCHER = _Matcher(load_library())
    return _MATCHER


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


# ----------------------------------------------------------------------------- sector
@dataclass(frozen=True)
class SectorMatch:
    """The library sector a brief is drafted from, and how sure the match is.

    Attributes
    ----------
    sector : str or None
        Library sector name (``None``: the library lacks the brief's sector; the
        scorecard is built from the themes and cross-sector objectives).
    label : str
        Readable sector name (``"cross-sector"`` when ``sector`` is ``None``).
    confidence : {"high", "medium", "low", "none"}
        ``high``: the brief names the sector or a synonym; ``medium``: the brief's
        text is clearly closest to this sector; ``low``/``none``: not used.
    score : float
        The text similarity behind an inferred match (1.0 for a named sector).
    reason : str
        One sentence a user can read.
    closest : str or None
        The closest library sector's label when it was not used.
    """

    sector: str | None
    label: str
    confidence: str
    score: float
    reason: str
    closest: str | None = None

    def __str__(self) -> str:
        return f"{self.label} ({self.confidence} confidence: {self.reason})"


#: thresholds of an inferred (not named) sector: similarity and lead over the runner-up
MEDIUM_SCORE, MEDIUM_LEAD = 0.12, 1.25
HIGH_SCORE, HIGH_LEAD = 0.22, 1.5


def _alias_names(s: Any) -> set[str]:
    return {_norm(s.name), _norm(s.label), *(_norm(a) for a in s.aliases)} - {""}


def _identity_text(brief: Brief) -> str:
    """Where a brief says what the organisation is: names, sector, heading and first paragraph."""
    body = (brief.text or "").strip()
    first = re.split(r"\n\s*\n", re.sub(r"^#.*\n", "", body, count=1).strip(), maxsplit=1)[0] if body else ""
    return " ".join(x for x in (brief.organisation, brief.name, brief.department, first[:600]) if x)


def match_sector(brief: Brief) -> SectorMatch:
    """The library sector for a brief, how it was found and how sure the match is.

    An explicit ``sector`` that names a library sector or one of its synonyms wins
    (high confidence; when several sectors share the synonym, the brief's text
    decides). An explicit sector the library does not know is reported as such and
    no other sector is borrowed. Without an explicit sector, the brief's text is
    compared with each sector by TF-IDF, with a bonus for sector synonyms in the
    sentences that say what the organisation is; a weak or ambiguous best match is
    not used.

    Returns
    -------
    SectorMatch

    Examples
    --------
    >>> from bsc_toolkit.generate import Brief
    >>> m = match_sector(Brief(sector="SaaS"))
    >>> m.sector, m.confidence
    ('software', 'high')
    >>> match_sector(Brief(sector="funeral services")).sector is None
    True
    """
    lib = load_library()
    m = _matcher()
    real = [s for s in lib.sectors if s.name != "common"]
    text = brief.as_text()

    def by_text(cands: list[Any]) -> list[tuple[float, Any]]:
        sims = m.similarity([text], [m.sector_doc(s.name) for s in cands])[0] if text.strip() else [0.0] * len(cands)
        return sorted(((float(x), s) for x, s in zip(sims, cands, strict=True)), key=lambda t: (-t[0], t[1].name))

    if brief.sector:
        wanted = _norm(brief.sector)
        cands = [s for s in real if wanted in _alias_names(s)]
        if not cands:
            cands = [s for s in real if any(re.search(rf"\b{re.escape(n)}\b", wanted) for n in _alias_names(s))]
        if cands:
            best = by_text(cands)[0][1]
            others = "" if len(cands) == 1 else (
                f" (also a synonym in {', '.join(s.label for s in cands if s is not best)}; the brief's text is "
                f"closest to {best.label})")
            return SectorMatch(best.name, best.label, "high", 1.0,
                               f"the brief's sector '{brief.sector}' is the library sector '{best.label}'{others}")
        return SectorMatch(None, "cross-sector", "none", 0.0,
                           f"the KPI library has no '{brief.sector}' sector: the scorecard is built from the "
                           "brief's themes and cross-sector objectives, not borrowed from another sector")
    if not text.strip():
        return SectorMatch(None, "cross-sector", "none", 0.0, "the brief is empty")
    ident = _norm(_identity_text(brief))
    scored = []
    for sim, s in by_text(real):
        hits = sum(1 for n in _alias_names(s) if len(n) > 2 and re.search(rf"\b{re.escape(n)}\b", ident))
        scored.append((sim + 0.08 * min(hits, 2), s))
    scored.sort(key=lambda t: (-t[0], t[1].name))
    (top, best), (second, _) = scored[0], scored[1]
    lead = top / second if second > 0 else math.inf
    if top >= HIGH_SCORE and lead >= HIGH_LEAD:
        conf = "high"
    elif top >= MEDIUM_SCORE and lead >= MEDIUM_LEAD:
        conf = "medium"
    else:
        why = "too weakly" if top < MEDIUM_SCORE else "no more closely than to other sectors"
        return SectorMatch(None, "cross-sector", "low", round(top, 3),
                           f"the closest library sector, '{best.label}', matches the brief {why} (score "
                           f"{top:.2f}): the scorecard is built from the brief's themes and cross-sector "
                           "objectives, not borrowed from a distant sector", closest=best.label)
    return SectorMatch(best.name, best.label, conf, round(top, 3),
                       f"inferred from the brief's text (score {top:.2f}, {lead:.1f} times the runner-up)")


# ----------------------------------------------------------------------------- the plan
@dataclass
class _Pick:
    """One objective of the scorecard being built: from the library, or drafted from a theme."""

    perspective: Perspective
    lib: LibraryObjective | None = None
    draft: Draft | None = None
    themes: list[Theme] = field(default_factory=list)
    n_lib: int = 1             # library KPIs taken
    required: int = 1          # library KPIs its themes need
    extra: list[Draft] = field(default_factory=list)  # drafted KPIs attached to it
    relevance: float = 0.0

    @property
    def drafted(self) -> Draft:
        """The draft of a pick without a library objective (every such pick has one)."""
        if self.draft is None:
            raise ValueError(f"a pick in {self.perspective.value} has neither a library objective nor a draft")
        return self.draft

    @property
    def key(self) -> str:
        return self.lib.id if self.lib is not None else f"draft:{self.drafted.kpi_id}"

    @property
    def n_kpis(self) -> int:
        return (self.n_lib if self.lib is not None else 1) + len(self.extra)

    @property
    def spare(self) -> int:
        """Library KPIs that could still be added."""
        if self.lib is None:
            return 0
        return min(len(self.lib.kpis), 2 - len(self.extra)) - self.n_lib

    @property
    def doc(self) -> str:
        if self.lib is not None:
            return self.lib.document
        d = self.drafted
        return f"{d.objective_name} {d.kpi_name} {d.theme.text}"

    @property
    def name(self) -> str:
        return self.lib.name if self.lib is not None else self.drafted.objective_name


def _coverage_of(m: _Matcher, i: int, words: tuple[str, ...]) -> tuple[int, int]:
    """(topic words named, library KPIs needed for that) of library objective ``i`` for a theme."""
    have = set(m.name_stems[i])
    best = (sum(w in have for w in words), 1)
    for j, ks in enumerate(m.kpi_stems[i]):
        have |= ks
        got = sum(w in have for w in words)
        if got > best[0]:
            best = (got, j + 1)
    return best


def _tier(o: LibraryObjective, sector: str | None) -> int:
    return 1 if o.sector == sector else 0


def _options(words: tuple[str, ...], sims: Any, sector: str | None, m: _Matcher
             ) -> list[tuple[tuple, LibraryObjective, int]]:
    """Library objectives of the sector (or cross-sector) that name enough of ``words``, best first.

    Each comes with its rank key and the number of its KPIs needed to name them.
    """
    need = words_needed(len(words))
    out = []
    for i, o in enumerate(m.library.objectives):
        if o.sector not in (sector, "common"):
            continue
        if not any(w in m.name_stems[i] or any(w in ks for ks in m.kpi_stems[i]) for w in words):
            continue
        got, n_req = _coverage_of(m, i, words)
        if got < need:
            continue
        out.append(((got, _tier(o, sector), round(float(sims[i]), 12), _neg(o.id)), o, n_req))
    out.sort(key=lambda t: t[0], reverse=True)
    return out


def _neg(s: str) -> tuple[int, ...]:
    """Sort key that prefers the alphabetically first id among equals under ``max``."""
    return tuple(-ord(c) for c in s)


def _classify(theme: Theme, sims: Any, m: _Matcher) -> Perspective:
    """The perspective a theme is about: cue words, then the perspectives of its nearest library objectives."""
    cues = perspective_cues(theme.all_words)
    for w in theme.words:  # the head counts twice
        for p, v in perspective_cues((w,)).items():
            cues[p] += v
    order = sorted(range(len(sims)), key=lambda i: -sims[i])[:8]
    total = sum(float(sims[i]) for i in order) or 1.0
    for i in order:
        cues[m.library.objectives[i].perspective] += 1.5 * float(sims[i]) / total
    return max(PERSPECTIVE_ORDER, key=lambda p: (round(cues[p], 9), -p.level))


def _currency(brief: Brief) -> str:
    text = brief.as_text()
    for sym, code in (("€", "EUR"), ("£", "GBP"), ("$", "USD")):
        if sym in text:
            return code
    for code in ("EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "CAD", "AUD"):
        if re.search(rf"\b{code}\b", text):
            return code
    return "currency"


def _assign_themes(
    brief: Brief, themes: tuple[Theme, ...], sector: str | None, m: _Matcher
) -> tuple[list[_Pick], list[Theme]]:
    """Picks that cover the themes, and the themes left uncovered."""
    picks: list[_Pick] = []
    uncovered: list[Theme] = []
    if not themes:
        return picks, uncovered
    sims = m.similarity([t.text for t in themes])
    currency = _currency(brief)

    def count(p: Perspective) -> int:
        return sum(x.perspective == p for x in picks)

    def find(words: tuple[str, ...], row: Any, taken: set[str]) -> tuple[LibraryObjective, int] | None:
        """A picked objective that covers ``words``, else a new one in a perspective with room."""
        options = _options(words, row, sector, m)
        by_key = {x.key: x for x in picks}
        for _, o, n in options:
            if o.id in by_key and by_key[o.id].spare + by_key[o.id].n_lib >= n:
                return o, n
        for _, o, n in options:
            if o.id not in by_key and o.id not in taken and count(o.perspective) < MAX_OBJECTIVES:
                return o, n
        return None

    def commit(theme: Theme, o: LibraryObjective, n: int) -> None:
        pk = next((x for x in picks if x.key == o.id), None)
        if pk is None:
            picks.append(_Pick(o.perspective, lib=o, themes=[theme], n_lib=n, required=n, relevance=1.0))
        else:
            pk.themes.append(theme)
            pk.required = max(pk.required, n)
            pk.n_lib = max(pk.n_lib, n)

    for ti, theme in enumerate(themes):
        # 1. one library objective (already picked, or new) names the theme, or its whole text
        readings = [theme.words] + ([theme.all_words] if theme.all_words != theme.words else [])
        found = next((f for f in (find(w, sims[ti], set()) for w in readings) if f), None)
        if found is not None:
            commit(theme, *found)
            continue
        # 2. a theme joining topics ("higher OEE and less scrap"): one objective per topic
        parts: list[tuple[LibraryObjective, int]] = []
        for part in theme.parts:
            f = find(content_stems(part), sims[ti], {o.id for o, _ in parts})
            if f is None:
                parts = []
                break
            parts.append(f)
        new = [o for o, _ in parts if not any(x.key == o.id for x in picks)]
        if parts and all(count(o.perspective) + sum(q.perspective == o.perspective for q in new) <= MAX_OBJECTIVES
                         for o in new):
            for o, n in parts:
                commit(theme, o, n)
            continue
        # 3. drafted from the theme's words
        p = _classify(theme, sims[ti], m)
        d = draft_theme(theme, p, currency=currency)
        if count(p) < MAX_OBJECTIVES:
            picks.append(_Pick(p, draft=d, themes=[theme], relevance=1.0))
            continue
        host = next((x for x in picks if x.perspective == p and x.n_kpis == 1 and x.required <= 1), None)
        if host is not None:
            if host.lib is not None:
                host.n_lib = 1
            host.extra.append(d)
            host.themes.append(theme)
        else:
            uncovered.append(theme)
    return picks, uncovered


def _fill(picks: list[_Pick], brief: Brief, sector: str | None, want: dict[Perspective, int], m: _Matcher,
          min_kpis: int = 1) -> None:
    """Add library objectives closest to the brief until each perspective has ``want`` objectives.

    ``min_kpis`` = 2 takes only objectives that can bring two KPIs (to reach a KPI count in 4 objectives).
    """
    lib = m.library
    query = brief.as_text() + "\n" + "\n".join(brief.themes)
    sims = m.similarity([query])[0] if query.strip() else [0.0] * len(lib.objectives)
    chosen_ids = {x.lib.id for x in picks if x.lib is not None}
    drafted_docs = [x.doc for x in picks if x.lib is None]
    draft_sims = m.similarity([o.document for o in lib.objectives], drafted_docs) if drafted_docs else None
    linked = {t for x in picks if x.lib is not None for t in x.lib.to}
    linked |= {o.id for o in lib.objectives if any(t in chosen_ids for t in o.to)}
    for p in PERSPECTIVE_ORDER:
        pool = [i for i, o in enumerate(lib.objectives)
                if o.perspective == p and o.id not in chosen_ids and (o.sector == "common" or o.sector == sector)
                and len(o.kpis) >= min_kpis]
        while sum(x.perspective == p for x in picks) < want[p] and pool:
            def mmr(i: int, p: Perspective = p, linked: set[str] = linked) -> tuple[float, tuple[int, ...]]:
                o = lib.objectives[i]
                score = float(sims[i]) + (SECTOR_BONUS if o.sector == sector else COMMON_BONUS)
                score += 0.05 if o.id in linked else 0.0
                near = [m.pair[i, m.index[x.lib.id]] for x in picks if x.lib is not None and x.perspective == p]
                if draft_sims is not None:  # a drafted objective in any perspective: do not add its twin
                    near += [draft_sims[i, j] for j in range(draft_sims.shape[1])]
                return (round(score - DIVERSITY * max(near, default=0.0), 12), _neg(o.id))

            best = max(pool, key=mmr)
            pool.remove(best)
            o = lib.objectives[best]
            picks.append(_Pick(p, lib=o, relevance=float(sims[best])))
            chosen_ids.add(o.id)
            linked |= set(o.to) | {x.id for x in lib.objectives if o.id in x.to}


def _needed(x: _Pick) -> int:
    """KPIs a pick needs to keep covering its themes."""
    return (x.required if x.lib is not None else 1) + len(x.extra)


def _targets(picks: list[_Pick], n: int, per_p: dict[Perspective, int] | None) -> dict[Perspective, int]:
    """KPIs wanted per perspective: given, or ``n`` spread as evenly as the themes allow, within 10-40%."""
    if per_p:
        return dict(per_p)
    lo = max(MIN_OBJECTIVES, math.ceil(0.1 * n))
    hi = min(2 * MAX_OBJECTIVES, math.floor(0.4 * n))
    need = {p: min(hi, max(lo, sum(_needed(x) for x in picks if x.perspective == p and x.themes)))
            for p in PERSPECTIVE_ORDER}
    t = dict(need)
    while sum(t.values()) < n:
        room = [p for p in _OUTPUT_ORDER if t[p] < hi]
        if not room:
            break
        p = min(room, key=lambda q: (t[q], _OUTPUT_ORDER.index(q)))
        t[p] += 1
    while sum(t.values()) > n:
        over = [p for p in PERSPECTIVE_ORDER if t[p] > lo]
        if not over:
            break
        p = max(over, key=lambda q: (t[q] - need[q] <= 0, t[q], q.level))
        t[p] -= 1
    return t


def _size(picks: list[_Pick], target: dict[Perspective, int], brief: Brief, sector: str | None,
          m: _Matcher, *, n_total: int, fixed: bool) -> None:
    """Add or drop KPIs (and untargeted objectives) until each perspective holds its target.

    Unless the per-perspective counts are ``fixed`` by the brief, a shortfall in one
    perspective (its library runs out) moves to the perspectives that can take more.
    """
    hi = min(2 * MAX_OBJECTIVES, math.floor(0.4 * n_total))

    def mine(p: Perspective) -> list[_Pick]:
        return [x for x in picks if x.perspective == p]

    def total(p: Perspective) -> int:
        return sum(x.n_kpis for x in mine(p))

    def reach(p: Perspective) -> None:
        while total(p) < target[p]:
            grow = [x for x in mine(p) if x.spare > 0]
            if grow:
                best = max(grow, key=lambda x: (bool(x.themes), round(x.relevance, 12), _neg(x.key)))
                best.n_lib += 1
                continue
            slots = MAX_OBJECTIVES - len(mine(p))
            if slots <= 0:  # swap an untargeted one-KPI objective for one that can bring two
                single = [x for x in mine(p) if x.lib is not None and not x.themes and len(x.lib.kpis) == 1]
                if not single:
                    return
                out = min(single, key=lambda x: (round(x.relevance, 12), x.key))
                picks.remove(out)
                before = len(picks)
                _fill(picks, brief, sector, {q: len(mine(q)) + (q == p) for q in PERSPECTIVE_ORDER}, m, min_kpis=2)
                if len(picks) == before:
                    picks.append(out)
                    return
                continue
            before = len(picks)
            two = 2 if target[p] - total(p) > slots else 1
            want = {q: len(mine(q)) + (q == p) for q in PERSPECTIVE_ORDER}
            _fill(picks, brief, sector, want, m, min_kpis=two)
            if len(picks) == before and two == 2:
                _fill(picks, brief, sector, want, m)
            if len(picks) == before:
                return

    def trim(p: Perspective) -> None:
        while total(p) > target[p]:
            drop = [x for x in mine(p) if x.lib is not None and x.n_lib > max(1, x.required)]
            if drop:
                worst = min(drop, key=lambda x: (bool(x.themes), round(x.relevance, 12), x.key))
                worst.n_lib -= 1
                continue
            spare = [x for x in mine(p) if not x.themes]
            if spare and len(mine(p)) > MIN_OBJECTIVES:
                picks.remove(min(spare, key=lambda x: (round(x.relevance, 12), x.key)))
                continue
            shrink = [x for x in mine(p) if x.n_kpis > 1]
            if not shrink:
                return
            worst = min(shrink, key=lambda x: (round(x.relevance, 12), x.key))
            if worst.extra:
                worst.themes.pop()
                worst.extra.pop()
            else:
                worst.n_lib -= 1
                worst.required = min(worst.required, worst.n_lib)

    for p in PERSPECTIVE_ORDER:
        reach(p)
        trim(p)
    if fixed and sum(total(p) for p in PERSPECTIVE_ORDER) >= MIN_KPIS:
        return
    open_ = [p for p in _OUTPUT_ORDER if total(p) >= target[p]]
    while sum(total(p) for p in PERSPECTIVE_ORDER) < n_total:
        cands = [p for p in open_ if total(p) < hi]
        if not cands:
            return
        p = min(cands, key=lambda q: (total(q), _OUTPUT_ORDER.index(q)))
        target[p] = total(p) + 1
        reach(p)
        if total(p) < target[p]:
            open_.remove(p)


# ----------------------------------------------------------------------------- links
def _links(picks: list[_Pick], out_id: dict[str, str], sector_label: str, m: _Matcher) -> list[dict[str, Any]]:
    docs = m.vec.transform([x.doc for x in picks])
    pair = cosine(docs, docs)
    pos = {x.key: i for i, x in enumerate(picks)}
    by_p = {p: [x for x in picks if x.perspective == p] for p in PERSPECTIVE_ORDER}
    links: list[tuple[_Pick, _Pick, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(a: _Pick, b: _Pick, why: str) -> None:
        if (a.key, b.key) not in seen:
            seen.add((a.key, b.key))
            links.append((a, b, why))

    def closest(o: _Pick, among: list[_Pick]) -> _Pick:
        return max(among, key=lambda c: (round(float(pair[pos[o.key], pos[c.key]]), 12), _neg(out_id[c.key])))

    for p in PERSPECTIVE_ORDER[:-1]:
        up = by_p[PERSPECTIVE_ORDER[p.level + 1]]
        up_ids = {x.lib.id: x for x in up if x.lib is not None}
        for o in by_p[p]:
            typical = [up_ids[t] for t in (o.lib.to if o.lib is not None else ()) if t in up_ids]
            for tgt in typical:
                label = sector_label if o.lib is not None and o.lib.sector != "common" else "cross-sector"
                add(o, tgt, f"Typical {label} cause-and-effect link in the KPI library: progress on "
                            f"'{o.name}' is expected to drive '{tgt.name}'.")
            if not typical:
                tgt = closest(o, up)
                add(o, tgt, f"Added to complete the chain (no typical library link to a chosen objective): "
                            f"'{tgt.name}' is the closest match one perspective up. Check this hypothesis.")
    for p in PERSPECTIVE_ORDER[1:]:
        down = by_p[PERSPECTIVE_ORDER[p.level - 1]]
        for o in by_p[p]:
            if not any(b is o for _, b, _ in links):
                src = closest(o, down)
                add(src, o, f"Added so that '{o.name}' has a driver: '{src.name}' is the closest "
                            f"match one perspective down. Check this hypothesis.")
    order = {x.key: i for i, x in enumerate(x for p in _OUTPUT_ORDER for x in by_p[p])}
    links.sort(key=lambda t: (-t[0].perspective.level, order[t[0].key], order[t[1].key]))
    out = []
    for a, b, why in links:
        same = _primary_direction(a) == _primary_direction(b)
        out.append({
            "from": out_id[a.key], "to": out_id[b.key], "sign": "positive" if same else "negative",
            "lags": [1], "rationale": why,
        })
    return out


def _primary_direction(x: _Pick) -> str:
    return x.lib.kpis[0].direction if x.lib is not None else x.drafted.direction


def _supports(objectives: list[dict[str, Any]], parent: Scorecard) -> None:
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


# ----------------------------------------------------------------------------- checks and output
def _check_brief(brief: Brief, themes: tuple[Theme, ...], match: SectorMatch, m: _Matcher) -> None:
    """Refuse a brief the generator cannot read, saying why (the only failure of a readable brief)."""

    where = f"brief {brief.source}" if brief.source else "brief"
    toks = tokens(brief.as_text())
    if toks:
        known = sum(t in ENGLISH_STOP_WORDS or t in FILLER or t in m.vocabulary for t in toks)
        if len(toks) >= 4 and known / len(toks) < 0.25 and match.confidence != "high":
            raise GenerationError(
                f"{where}: does not read as a strategy brief in English (only {known} of its {len(toks)} "
                "words are words the generator knows); describe the organisation, its sector and its "
                "priorities in English, e.g. as a bullet list under a 'Priorities' heading")
    if not themes and match.sector is None:
        if brief.sector:
            why = f"and the KPI library has no '{brief.sector}' sector"
        elif match.closest:
            why = f"and its sector is unclear (the closest library sector, '{match.closest}', scores {match.score:.2f})"
        else:
            why = "and no sector"
        raise GenerationError(
            f"{where}: names no strategic theme {why}; list the organisation's priorities as bullet points "
            "(or in `themes:`) and name its `sector`")


def _kpi_dicts(x: _Pick, used_ids: set[str]) -> list[dict[str, Any]]:
    out = []
    if x.lib is not None:
        for k in x.lib.kpis[: x.n_lib]:
            out.append({"id": k.id, "name": k.name, "unit": k.unit, "direction": k.direction,
                        "indicator": k.indicator, "baseline": k.baseline, "target": k.target,
                        "frequency": "quarterly"})
            used_ids.add(k.id)
    for d in ([x.drafted] if x.lib is None else []) + x.extra:
        kid, i = d.kpi_id, 2
        while kid in used_ids:
            kid, i = f"{d.kpi_id[:60]}_{i}", i + 1
        used_ids.add(kid)
        out.append({"id": kid, "name": d.kpi_name, "unit": d.unit, "direction": d.direction,
                    "indicator": d.indicator, "frequency": "quarterly", "description": DRAFT_NOTE,
                    "drafted": True})
    return out


def _note(match: SectorMatch, themes: tuple[Theme, ...], picks: list[_Pick], out_id: dict[str, str],
          uncovered: list[Theme], n_got: int, n_kpis: int, per_p: dict[Perspective, int] | None) -> str:
    parts = [f"Drafted offline from the bsc-toolkit KPI library, theme by theme. Sector: {match}."]
    if themes:
        served = []
        for x in picks:
            for t in x.themes:
                served.append((themes.index(t), f"'{t.text}' -> {out_id[x.key]}" + (" (drafted)" if x.lib is None or
                                                                                   any(d.theme is t for d in x.extra) else "")))
        served.sort()
        n_drafted = sum(1 for x in picks for t in x.themes if x.lib is None or any(d.theme is t for d in x.extra))
        parts.append(f"{len(themes)} theme(s) read from the brief; {len(themes) - len(uncovered) - n_drafted} matched "
                     f"to library objectives, {n_drafted} drafted from the theme's words (drafted: true: define "
                     "those KPIs and set their baselines and targets).")
        parts.append("Themes -> objectives: " + "; ".join(s for _, s in served) + ".")
        if uncovered:
            parts.append("Not covered (no room left within 4 objectives per perspective): "
                         + "; ".join(f"'{t.text}'" for t in uncovered) + ".")
    else:
        parts.append("The brief names no themes: objectives are the sector's closest to the brief.")
    parts.append("Baselines and targets are typical values from the library: replace them with your own before use.")
    if n_got != n_kpis:
        parts.append(f"{n_got} KPIs instead of the {n_kpis} asked for: within 2-4 objectives per perspective "
                     "the library offers no more here (drafted objectives carry one KPI each).")
    if per_p:
        got = {p: sum(x.n_kpis for x in picks if x.perspective == p) for p in PERSPECTIVE_ORDER}
        if got != per_p:
            parts.append("KPIs per perspective asked for / drafted: " + ", ".join(
                f"{p.label} {per_p[p]}/{got[p]}" for p in _OUTPUT_ORDER) + ".")
    return " ".join(parts)


def generate_offline(
    brief: Brief, *, parent: Scorecard | None = None, parent_ref: str | None = None
) -> Scorecard:
    """Draft a lint-clean scorecard from the KPI library, theme by theme, deterministically.

    Parameters
    ----------
    brief : Brief
    parent : Scorecard, optional
        Cascade: every objective then lists the parent objectives it ``supports``.
    parent_ref : str, optional
        What to record in the scorecard's ``parent`` field (a path or example name);
        defaults to the parent's name.

    Raises
    ------
    GenerationError
        Only for a brief that cannot be read as a strategy brief (no theme and no
        known sector, or text that is not English), saying why.

    Examples
    --------
    >>> from bsc_toolkit.generate import load_brief
    >>> sc = generate_offline(load_brief("demo"))
    >>> sc.generator.name, len(sc.kpis)
    ('offline', 18)
    """
    m = _matcher()
    match = match_sector(brief)
    themes = extract_themes(brief)
    _check_brief(brief, themes, match, m)
    sector = match.sector
    picks, uncovered = _assign_themes(brief, themes, sector, m)
    per_p = _per_perspective(brief)
    n_kpis = sum(per_p.values()) if per_p else brief.n_kpis
    if n_kpis is None:
        needed = sum(_needed(x) for x in picks) + sum(
            max(0, MIN_OBJECTIVES - sum(x.perspective == p for x in picks)) for p in PERSPECTIVE_ORDER)
        n_kpis = min(25, max(DEFAULT_N_KPIS, needed))
    want = {p: max(MIN_OBJECTIVES, sum(x.perspective == p for x in picks)) for p in PERSPECTIVE_ORDER}
    if n_kpis > 22 and not per_p:
        want = {p: max(v, 3) for p, v in want.items()}
    _fill(picks, brief, sector, want, m)
    _size(picks, _targets(picks, n_kpis, per_p), brief, sector, m, n_total=n_kpis, fixed=per_p is not None)
    ordered = [x for p in _OUTPUT_ORDER for x in picks if x.perspective == p]
    out_id: dict[str, str] = {}
    objectives: list[dict[str, Any]] = []
    used = {o.id for o in m.library.objectives} | {k.id for o in m.library.objectives for k in o.kpis}
    for p in _OUTPUT_ORDER:
        for i, x in enumerate((y for y in ordered if y.perspective == p), start=1):
            out_id[x.key] = f"{_PREFIX[p]}{i}"
    for x in ordered:
        kpis = _kpi_dicts(x, used)
        obj: dict[str, Any] = {"id": out_id[x.key], "perspective": x.perspective.value, "name": x.name,
                               "kpis": kpis, "_doc": x.doc}
        if x.lib is None:
            obj["drafted"] = True
        objectives.append(obj)
    lib = m.library
    sector_label = lib.sector(sector).label if sector else "cross-sector"
    links = _links(ordered, out_id, sector_label, m)
    if parent is not None:
        _supports(objectives, parent)
    for o in objectives:
        o.pop("_doc")
    n_got = sum(len(o["kpis"]) for o in objectives)
    note = _note(match, themes, ordered, out_id, uncovered, n_got, n_kpis, per_p)
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
    if not findings.ok_strict:  # a bug, not a bad brief: say so plainly
        bad = "; ".join(str(f) for f in findings if f.severity != "info")
        raise GenerationError(f"offline generator produced a scorecard that does not lint clean (please report "
                              f"this with the brief): {bad}", provider="offline")
    if parent is not None:
        cf = check_cascade(parent, sc)
        if not cf.ok:
            raise GenerationError("offline cascade is inconsistent: " + "; ".join(str(f) for f in cf.errors),
                                  provider="offline")
    return sc


def _per_perspective(brief: Brief) -> dict[Perspective, int] | None:
    if not brief.kpis_per_perspective:
        return None
    return {Perspective(k): int(v) for k, v in brief.kpis_per_perspective.items()}

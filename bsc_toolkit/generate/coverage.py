"""Which of a brief's themes a scorecard covers: an honest, checkable score.

A theme counts as covered when one objective of the scorecard, together with its
KPIs and the initiatives that serve it, names enough of the theme's topic words
(canonical stems, so *recruiting engineers* matches *Engineers recruited*, and a
small synonym table equates *leakage* with *losses*): all of them for a theme of one
or two words, two for three to five words, three for longer themes (see
:func:`words_needed`). The words are those of the theme's head (what it wants to
move: "Realisation and lock-up" in "Realisation and lock-up: bill more of the time
we record"; "reduce churn" in "reduce churn with better service"); a theme whose
head is not named is still covered when enough words of its whole text are, and a
theme that joins topics ("higher OEE and less scrap") when each topic is covered
by some objective. Only what a generator writes is scored: objective, KPI and
initiative names and descriptions, never the scorecard's name, description,
mission or vision (which repeat the brief). Text copied verbatim from the brief
(any run of :data:`COPY_RUN` or more words that also occurs in the brief) is
removed before scoring, so pasting the brief into a description earns nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..scorecard import Scorecard
from ._words import content_stems, stems_of, tokens
from .themes import Theme, extract_themes

__all__ = ["COPY_RUN", "ThemeCoverage", "ThemeMatch", "theme_coverage", "words_needed"]

#: a run of this many words that also occurs in the brief is a copy and is not scored
COPY_RUN = 6


def words_needed(n: int) -> int:
    """Topic words an objective must name to cover a theme of ``n`` topic words.

    Examples
    --------
    >>> [words_needed(n) for n in range(1, 9)]
    [1, 2, 2, 2, 2, 3, 3, 3]
    """
    if n <= 2:
        return max(n, 1)
    return min(3, max(2, math.ceil(0.4 * n)))


@dataclass(frozen=True)
class ThemeMatch:
    """How one theme is covered: the best objective(s), the words named, the words needed.

    A theme that joins several topics ("higher OEE and less scrap") may be covered
    part by part, one objective each (``objectives``).
    """

    theme: Theme
    objective: str | None
    matched: tuple[str, ...]
    needed: int
    objectives: tuple[str, ...] = ()

    @property
    def covered(self) -> bool:
        return self.objective is not None and len(self.matched) >= self.needed


@dataclass(frozen=True)
class ThemeCoverage:
    """Theme coverage of a scorecard.

    Examples
    --------
    >>> from bsc_toolkit.generate import Brief
    >>> from bsc_toolkit.scorecard import load_example
    >>> cov = theme_coverage(load_example("retail"), Brief(themes=("cut food waste", "recruit pilots")))
    >>> cov.n_covered, cov.n_themes, [t.text for t in cov.missing]
    (1, 2, ['recruit pilots'])
    """

    matches: tuple[ThemeMatch, ...]

    @property
    def n_themes(self) -> int:
        return len(self.matches)

    @property
    def n_covered(self) -> int:
        return sum(m.covered for m in self.matches)

    @property
    def share(self) -> float:
        """Covered share of the themes (1.0 when the brief names none)."""
        return self.n_covered / self.n_themes if self.matches else 1.0

    @property
    def covered(self) -> tuple[Theme, ...]:
        return tuple(m.theme for m in self.matches if m.covered)

    @property
    def missing(self) -> tuple[Theme, ...]:
        return tuple(m.theme for m in self.matches if not m.covered)

    def __str__(self) -> str:
        lines = [f"{self.n_covered} of {self.n_themes} themes covered"]
        for m in self.matches:
            mark = f"covered by {m.objective}" if m.covered else "NOT covered"
            lines.append(f"  - {m.theme.text}: {mark} ({len(m.matched)}/{m.needed} topic words)")
        return "\n".join(lines)


def _shingles(toks: list[str]) -> set[tuple[str, ...]]:
    return {tuple(toks[i: i + COPY_RUN]) for i in range(len(toks) - COPY_RUN + 1)}


def _own_words(text: str | None, copied: set[tuple[str, ...]]) -> list[str]:
    """Tokens of ``text`` minus every run of :data:`COPY_RUN` words that occurs in the brief."""
    toks = tokens(text or "")
    keep = [True] * len(toks)
    for i in range(len(toks) - COPY_RUN + 1):
        if tuple(toks[i: i + COPY_RUN]) in copied:
            for j in range(i, i + COPY_RUN):
                keep[j] = False
    return [t for t, k in zip(toks, keep, strict=True) if k]


def _clusters(sc: Scorecard, copied: set[tuple[str, ...]]) -> list[tuple[str, set[str]]]:
    out = []
    for o in sc.objectives:
        texts = [o.name, o.description]
        for k in o.kpis:
            texts += [k.name, k.description]
        for ini in sc.initiatives:
            if o.id in ini.objectives:
                texts += [ini.name, ini.description]
        words: set[str] = set()
        for t in texts:
            words.update(stems_of(_own_words(t, copied)))
        out.append((o.id, words))
    return out


def theme_coverage(scorecard: Scorecard, brief, *, themes: tuple[Theme, ...] | None = None) -> ThemeCoverage:
    """Score which of the brief's themes the scorecard covers.

    Parameters
    ----------
    scorecard : Scorecard
    brief : Brief
        The brief the themes are read from (:func:`extract_themes`) and whose text
        counts as copied when it reappears verbatim in the scorecard.
    themes : tuple of Theme, optional
        Score these themes instead of the brief's own.

    Returns
    -------
    ThemeCoverage
    """
    ts = extract_themes(brief) if themes is None else themes
    copied = _shingles(tokens(brief.as_text()))
    clusters = _clusters(scorecard, copied)
    matches = []
    for t in ts:
        matches.append(_best_match(t, clusters))
    return ThemeCoverage(tuple(matches))


def _best_for(t: Theme, words: tuple[str, ...], clusters: list[tuple[str, set[str]]]) -> ThemeMatch:
    best: tuple[str | None, tuple[str, ...]] = (None, ())
    for oid, have in clusters:
        got = tuple(w for w in words if w in have)
        if len(got) > len(best[1]):
            best = (oid, got)
    return ThemeMatch(t, best[0], best[1], words_needed(len(words)), (best[0],) if best[0] else ())


def _best_match(t: Theme, clusters: list[tuple[str, set[str]]]) -> ThemeMatch:
    """The objective that names most of the theme's head; failing that, of its whole text; failing that,
    one objective for each part of a theme that joins several topics."""
    first = _best_for(t, t.words, clusters)
    if first.covered:
        return first
    if t.all_words != t.words:
        whole = _best_for(t, t.all_words, clusters)
        if whole.covered:
            return whole
    parts = [_best_for(t, content_stems(p), clusters) for p in t.parts]
    if parts and all(m.covered for m in parts):
        words = tuple(w for m in parts for w in m.matched)
        oids = tuple(dict.fromkeys(o for m in parts for o in m.objectives))
        return ThemeMatch(t, oids[0], words, len(words), oids)
    return first

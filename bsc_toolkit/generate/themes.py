"""The strategic themes a brief names, read one by one.

A theme is what the organisation says it wants to move: "leakage / non-revenue
water", "Realisation and lock-up: bill more of the time we record", "cut chronic
absenteeism in half". They are read, in this order of preference, from

1. the brief's ``themes`` field (YAML or front matter);
2. Markdown lists (``-``, ``*``, ``1.``) introduced by a heading or a sentence about
   themes, priorities, strategy, focus, goals or plans (all lists when none is);
3. inline lists after such a cue (``... will focus on: a; b; and c``), split on
   semicolons, else commas;
4. when none of these exist, the sentences that start with a verb of intent
   ("Grow membership among people under 35.").

Every theme keeps its words as written (:attr:`Theme.text`), the part that names the
topic (:attr:`Theme.head`: the text before a ``:`` or dash in "Head: detail"), its
topic words as canonical stems (:attr:`Theme.words`) and the direction its verb
asks for (:attr:`Theme.direction`). Reading is bounded: at most :data:`MAX_THEMES`
themes of at most :data:`MAX_THEME_CHARS` characters each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._words import DIRECTION_WORDS, content_stems, tokens

__all__ = ["MAX_THEMES", "MAX_THEME_CHARS", "Theme", "extract_themes"]

MAX_THEMES = 24
MAX_THEME_CHARS = 300

_CUE = re.compile(
    r"\b(themes?|priorit\w*|strateg\w*|focus\w*|goals?|objectives?|plans?|aims?|ambitions?|pillars?|"
    r"agenda|commit\w*|we will|will:)\b",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s{0,6}(?:[-*+\u2022]|\d{1,2}[.)])\s+(.*\S)\s*$")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_INLINE = re.compile(
    r"(?:themes?|priorities|strateg\w*|goals|focus(?:es)? on|concentrate on|priorities[^:.]{0,60}?\bare|rests? on[^:.]{0,40})"
    r"\s*:\s*(?P<list>[^:]+?)(?:\)|\.(?:\s|$)|$)",
    re.IGNORECASE | re.DOTALL,
)
_HEAD = re.compile(r"^(?P<head>[^:;]{3,80}?)\s*(?::|\s[-\u2013\u2014]\s)\s*(?P<detail>.+)$")
_MEANS = re.compile(
    r",\s*(?:especially|in particular|particularly|including|measured|assessed|with|by|through|such as|e\.g\.)\b"
    r"|\s(?:with|by|through|via|while|so that|such as)\s",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_INTENT = frozenset(
    DIRECTION_WORDS["up"] | DIRECTION_WORDS["down"] | DIRECTION_WORDS["keep"]
    | {"offer", "move", "make", "become", "build", "deliver", "invest", "launch", "develop", "modernise",
       "modernize", "digitise", "digitize", "open", "expand", "protect", "introduce", "create", "halve",
       "double", "bring", "attract", "retain", "recruit", "train", "reach", "serve", "support", "provide"}
)


@dataclass(frozen=True)
class Theme:
    """One theme of a brief.

    Attributes
    ----------
    text : str
        The theme as the brief writes it (Markdown emphasis and links removed).
    head : str
        The part that names the topic: the text before ``:`` or a dash when the theme
        reads "Head: detail", else the whole text.
    source : {"themes", "list", "inline", "sentence"}
        Where it was read: the ``themes`` field, a Markdown list, an inline list after
        a cue, or a sentence of intent.

    Examples
    --------
    >>> t = Theme("Realisation and lock-up: bill more of the time we record", source="list")
    >>> t.head, t.words
    ('Realisation and lock-up', ('realis', 'lockup'))
    """

    text: str
    source: str = "themes"

    @property
    def head(self) -> str:
        """What the theme wants to move, without the how: before "Head: detail" or "X with/by/through Y"."""
        text = self.text
        m = _HEAD.match(text)
        if m and len(m.group("head").split()) <= 7 and content_stems(m.group("head")):
            text = m.group("head").strip()
        m = _MEANS.search(text)
        if m and m.start() > 0 and content_stems(text[: m.start()]):
            text = text[: m.start()].strip()
        return text

    @property
    def parts(self) -> tuple[str, ...]:
        """The head's parts when it joins several topics ("higher OEE and less scrap"), else ``()``.

        Examples
        --------
        >>> Theme("higher OEE and less scrap through lean").parts
        ('higher OEE', 'less scrap')
        """
        pieces = [p.strip() for p in re.split(r"\s+(?:and|&)\s+|,\s*", self.head) if p.strip()]
        if len(pieces) < 2 or not all(content_stems(p) for p in pieces):
            return ()
        return tuple(pieces)

    @property
    def words(self) -> tuple[str, ...]:
        """The topic words of the head as canonical stems (what coverage is scored on)."""
        return content_stems(self.head) or content_stems(self.text)

    @property
    def all_words(self) -> tuple[str, ...]:
        """The topic words of the whole text (head and detail), for retrieval."""
        return content_stems(self.text)

    @property
    def direction(self) -> str | None:
        """``"up"``, ``"down"`` or ``"keep"`` from the theme's verb or adjective, else ``None``.

        Examples
        --------
        >>> Theme("cut chronic absenteeism in half").direction, Theme("grow ridership").direction
        ('down', 'up')
        """
        toks = tokens(self.text)
        for t in toks[:3] + toks:
            for d in ("down", "up", "keep"):
                if t in DIRECTION_WORDS[d]:
                    return d
        return None

    def __str__(self) -> str:
        return self.text


def _clean(text: str) -> str:
    s = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links -> their text
    s = re.sub(r"(\*\*|__|`)", "", s)
    s = re.sub(r"(?<!\w)[*_](\S[^*_]*?)[*_](?!\w)", r"\1", s)
    s = " ".join(s.split())
    return s.strip(" ;,.").strip()[:MAX_THEME_CHARS]


def _blocks(text: str) -> list[tuple[str, str]]:
    """(kind, text) blocks: 'heading', 'bullet' (continuation lines joined) or 'para'."""
    out: list[tuple[str, str]] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(("para", " ".join(para)))
            para.clear()

    for line in text.splitlines():
        if not line.strip():
            flush()
            continue
        h = _HEADING.match(line)
        b = _BULLET.match(line)
        if h:
            flush()
            out.append(("heading", h.group(1)))
        elif b:
            flush()
            out.append(("bullet", b.group(1)))
        elif out and out[-1][0] == "bullet" and line[:1].isspace() and not para:
            out[-1] = ("bullet", out[-1][1] + " " + line.strip())
        else:
            para.append(line.strip())
    flush()
    return out


def _list_themes(blocks: list[tuple[str, str]]) -> list[str]:
    groups: list[tuple[bool, list[str]]] = []
    cue = False
    prev = None
    for kind, text in blocks:
        if kind == "bullet":
            if prev != "bullet":
                groups.append((cue, []))
            groups[-1][1].append(text)
        else:
            last = _SENTENCE.split(text)[-1] if kind == "para" else text
            cue = bool(_CUE.search(last))
        prev = kind
    cued = [items for c, items in groups if c]
    chosen = cued or [items for _, items in groups]
    return [t for items in chosen for t in items]


def _split_list(s: str) -> list[str]:
    parts = re.split(r";", s) if ";" in s else re.split(r",(?![^()]*\))", s)
    out = []
    for p in parts:
        p = re.sub(r"^\s*(?:and|or)\s+", "", p.strip())
        if p:
            out.append(p)
    return out


def _inline_themes(blocks: list[tuple[str, str]]) -> list[str]:
    out: list[str] = []
    for kind, text in blocks:
        if kind != "para":
            continue
        for m in _INLINE.finditer(text):
            items = _split_list(m.group("list"))
            if len(items) >= 2:
                out += items
    return out


def _intent_sentences(blocks: list[tuple[str, str]]) -> list[str]:
    out = []
    for kind, text in blocks:
        if kind != "para":
            continue
        for sentence in _SENTENCE.split(text):
            toks = tokens(sentence)
            if toks and (toks[0] in _INTENT or "we will" in sentence.lower()):
                out.append(sentence)
    return out


def extract_themes(brief) -> tuple[Theme, ...]:
    """The themes a brief names, in the brief's order, without repeats.

    Parameters
    ----------
    brief : Brief
        See :class:`bsc_toolkit.generate.Brief`.

    Returns
    -------
    tuple of Theme
        At most :data:`MAX_THEMES`; themes without a topic word are left out.

    Examples
    --------
    >>> from bsc_toolkit.generate import Brief
    >>> b = Brief(text="# Valley Water\\n\\nOur themes:\\n\\n- leakage\\n- supply interruptions\\n")
    >>> [t.text for t in extract_themes(b)]
    ['leakage', 'supply interruptions']
    >>> b = Brief(text="The board will focus on: raising conversion; cutting returns; and next-day delivery.")
    >>> [t.text for t in extract_themes(b)]
    ['raising conversion', 'cutting returns', 'next-day delivery']
    """
    found: list[Theme] = [Theme(_clean(t), "themes") for t in brief.themes]
    blocks = _blocks(brief.text or "")
    found += [Theme(_clean(t), "list") for t in _list_themes(blocks)]
    found += [Theme(_clean(t), "inline") for t in _inline_themes(blocks)]
    if not found:
        found = [Theme(_clean(t), "sentence") for t in _intent_sentences(blocks)]
    out: list[Theme] = []
    seen: set[tuple[str, ...]] = set()
    for t in found:
        key = t.all_words
        if not t.text or not key or key in seen:
            continue
        seen.add(key)
        out.append(t)
    return tuple(out[:MAX_THEMES])

"""Objectives and KPIs drafted from a theme's own words, when no library objective fits.

The theme is read like a practitioner would read it: the verb says which way the
organisation wants to move (*reduce*, *raise*, *keep*), the noun phrase says what
(*repair times for burst mains*), and the head noun says how it is usually measured
(a time in days, a share in %, a count, a score, an amount of money). The result is
an objective name, one KPI (name, unit, direction, leading or lagging) and the
perspective the theme is about. Nothing is invented beyond that: a drafted KPI has
no baseline and no target, and is marked ``drafted: true`` so lint reminds the user
to define it and set both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..scorecard import Perspective
from ._words import DIRECTION_WORDS, content_stems, stem, tokens
from .themes import Theme

__all__ = ["Draft", "draft_theme", "perspective_cues"]

_LEAD_FILLER = {
    "a", "an", "the", "our", "its", "their", "more", "better", "fewer", "less", "higher", "lower", "faster",
    "shorter", "greater", "stronger", "new", "every", "all", "zero", "strong", "clear", "real", "full",
    "sustainable", "responsible", "and", "consistent",
}
_VERB_BASE = {
    "raising": "raise", "cutting": "cut", "lowering": "lower", "growing": "grow", "building": "build",
    "automating": "automate", "attracting": "attract", "recruiting": "recruit", "improving": "improve",
    "reducing": "reduce", "increasing": "increase", "winning": "win", "hiring": "hire",
    "accelerating": "accelerate", "keeping": "keep", "protecting": "protect", "moving": "move",
    "offering": "offer", "developing": "develop", "strengthening": "strengthen", "using": "use",
    "delivering": "deliver", "expanding": "expand", "making": "make", "selling": "sell",
    "growth": "grow", "reduction": "reduce", "improvement": "improve", "expansion": "expand",
}
_VERBS = {
    "reduce", "cut", "lower", "raise", "grow", "increase", "improve", "boost", "win", "attract", "recruit",
    "hire", "keep", "maintain", "protect", "accelerate", "automate", "build", "deliver", "develop", "expand",
    "strengthen", "move", "offer", "make", "sell", "halve", "double", "minimise", "minimize", "maximise",
    "maximize", "shorten", "speed", "use", "invest", "launch", "introduce", "modernise", "modernize",
    "digitise", "digitize", "create", "achieve", "ensure", "eliminate", "prevent", "retain", "train",
}
# where the topic ends and the detail begins
_DETAIL = re.compile(
    r"\s*[,;:(]|\s[-\u2013\u2014]\s|\s(?:with|by|through|while|without|so that|especially|including|above|"
    r"below|under|instead|to|from|into|after|before|when|reaching|assessed|measured)\b",
    re.IGNORECASE,
)
_QUALIFIER = re.compile(r"\s+\b(of|for|in|on|at|among|across|within)\b\s+", re.IGNORECASE)

# head-noun stems -> measurement category
_CATEGORY_WORDS: dict[str, str] = {}
for _cat, _listed in {
    "time": "time times turnaround wait waiting delay delays lead duration days implementation onboarding",
    "bad_count": "interruption interruptions complaint complaints incident incidents injury injuries accident "
                 "accidents defect defects deviation deviations error errors backorder backorders fall falls "
                 "fatality fatalities ulcer ulcers outage outages breach breaches",
    "bad_share": "leakage loss losses waste churn turnover attrition absenteeism arrears overrun overruns rework "
                 "markdown markdowns return returns scrap contamination reliance vacancy vacancies backlog "
                 "fraud",
    "recruit": "recruitment hiring",
    "growth": "growth",
    "coverage": "information wifi charging power metering",
    "emissions": "emission emissions carbon footprint",
    "consumption": "consumption use usage",
    "money_down": "cost costs spend spending expense expenses",
    "money_up": "revenue revenues income sales price funding donations fundraising sponsorship value fees",
    "ratio": "margin ratio",
    "rate": "rate share adoption coverage retention conversion utilisation utilization realisation "
            "realization attendance literacy graduation occupancy recycling diversion penetration uptake "
            "punctuality availability reliability compliance readiness factor efficiency productivity yield "
            "yields renewal renewals completion detection electrification firsttimeright punctual oee",
    "score": "satisfaction trust engagement wellbeing welfare culture reputation quality experience health "
             "relations expertise relevance effectiveness care support advice impact accessibility fitness",
    "safety": "safety harm security",
    "count": "visitors visitor members memberships subscribers subscriptions customers passengers volunteers "
             "apprentices players contracts bookings meals programmes logos users students graduates markets "
             "partners ridership throughput production hours rescued distributed",
    "training": "training skills skill development mentoring upskilling",
}.items():
    for _w in _listed.split():
        _CATEGORY_WORDS[stem(_w)] = _cat
_BAD_MODIFIERS = {"missed", "mishandled", "lost", "late", "failed", "unplanned", "avoidable", "high-potential"}
_STAFF = {stem(w) for w in (
    "staff employee employees workforce engineer engineers teacher teachers driver drivers crew crews nurse "
    "nurses associate associates journalist journalists keeper keepers manager managers pilot pilots worker "
    "workers apprentice apprentices talent team teams technician technicians colleague colleagues "
    "agent agents lawyer lawyers doctor doctors").split()}
_DOWN_ADJ = {"faster", "quicker", "shorter", "speedier"}

_NAME_VERB = {
    "time": "Shorten", "bad_count": "Reduce", "bad_share": "Reduce", "emissions": "Cut", "consumption": "Reduce",
    "money_down": "Lower", "money_up": "Grow", "rate": "Raise", "score": "Improve", "safety": "Improve",
    "count": "Grow", "training": "Invest in", "adoption": "Roll out", "index": "Improve", "recruit": "Improve",
    "attract": "Attract", "growth": "Grow", "coverage": "Extend", "ratio": "Improve",
}
_DOWN_CATEGORIES = {"time", "bad_count", "bad_share", "emissions", "consumption", "money_down", "safety"}

# topic words (canonical stems) that say which perspective a theme is about
_CUES: dict[Perspective, set[str]] = {
    p: set(content_stems(words)) for p, words in {
        Perspective.financial: "revenue profit margin cost cash price income budget funding donations sponsorship "
                               "wage arpu financial surplus ebitda capital investment fees realisation lockup "
                               "combined ratio sales value return",
        Perspective.customer: "customer member passenger patient guest resident visitor fan subscription broker "
                              "family reader satisfaction complaint loyalty trust affordability access booking "
                              "review reputation experience ridership market export brand acquisition "
                              "conversion relevance community cross-selling audience donor households",
        Perspective.internal_process: "time interruption leakage quality defect punctual efficiency productivity "
                                      "automation delivery rework inspection compliance maintenance throughput "
                                      "recycling emission energy water consumption safety process repair fraud "
                                      "turnaround yield waste scrap transfer supply collection fleet operations "
                                      "crane gate claims settlement batch production procurement tailings",
        Perspective.learning_growth: "training recruit staff culture diversity leadership talent career mentoring "
                                     "apprentice expertise skills data technology tools ai system platform "
                                     "knowledge academy",
    }.items()
}


def perspective_cues(words: tuple[str, ...]) -> dict[Perspective, float]:
    """How strongly a theme's topic words point to each perspective (cue-word counts).

    Words about staff (engineers, teachers, crews) turn retention, engagement and
    wellbeing into Learning & Growth themes rather than customer ones.

    Examples
    --------
    >>> from bsc_toolkit.generate._words import content_stems
    >>> cues = perspective_cues(content_stems("driver recruitment and retention"))
    >>> max(cues, key=cues.get).value
    'learning_growth'
    """
    score = {p: float(sum(w in cues for w in words)) for p, cues in _CUES.items()}
    if any(w in _STAFF for w in words):
        score[Perspective.learning_growth] += 1.5
        score[Perspective.customer] = max(0.0, score[Perspective.customer] - 1.0)
    return score


@dataclass(frozen=True)
class Draft:
    """An objective and its KPI drafted from one theme."""

    theme: Theme
    perspective: Perspective
    objective_name: str
    kpi_name: str
    kpi_id: str
    unit: str
    direction: str
    indicator: str
    category: str


def _words(text: str) -> list[str]:
    return [w.strip(".,;:!?\"'()[]") for w in text.split() if w.strip(".,;:!?\"'()[]")]


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _lower_first(s: str) -> str:
    """Lower-case a leading capitalised word (``Matchday revenue`` -> ``matchday revenue``), not acronyms."""
    w = s.split(" ", 1)[0]
    if len(w) > 1 and w[0].isupper() and w[1:].islower():
        return w.lower() + s[len(w):]
    return s


@dataclass(frozen=True)
class _Topic:
    verb: str | None
    core: str          # what the KPI measures (first measurable conjunct)
    phrase: str        # the whole topic, for the objective name
    prep: str
    qualifier: str
    destination: str   # "move X to Y": Y
    kpi_qualifier: str = ""  # the qualifier of the measured core


def _strip_lead(s: str) -> tuple[str | None, str]:
    """Leading filler words and the verb off a topic: (verb or None, rest)."""
    verb = None
    while True:
        m = re.match(r"([\w'-]+)\s+", s)
        if not m:
            return verb, s
        w = m.group(1).lower()
        if w in _LEAD_FILLER or (verb is not None and w == "of"):
            s = s[m.end():]
        elif verb is None and (w in _VERBS or w in _VERB_BASE):
            verb = _VERB_BASE.get(w, w)
            s = s[m.end():]
            m2 = re.match(r"and\s+([\w'-]+)\s+", s, re.IGNORECASE)
            if m2 and (m2.group(1).lower() in _VERBS or m2.group(1).lower() in _VERB_BASE):
                s = s[m2.end():]
        else:
            return verb, s


def _split_topic(head: str) -> _Topic:
    """Verb, measured core, whole phrase, qualifier and destination of a theme's head."""
    verb, s = _strip_lead(" ".join(head.split()))
    m = _DETAIL.search(s)
    topic = s[: m.start()].strip() if m and m.start() > 0 else s
    dest = ""
    if verb in ("move", "convert", "shift", "migrate") and m and re.match(r"\s+to\s", s[m.start():]):
        dest = " ".join(_words(re.split(r"[,;(]", s[m.end():])[0]))
        dest = re.sub(r"^(?:the|our|a|an)\s+", "", dest, flags=re.IGNORECASE)
    parts = _QUALIFIER.split(topic, maxsplit=1)
    phrase, prep, qual = (parts[0], parts[1].lower(), parts[2]) if len(parts) == 3 else (topic, "", "")
    if not content_stems(phrase) and qual:
        phrase, prep, qual = qual, "", ""
    qual = " ".join(w for w in _words(qual) if w.lower() not in {"our", "the", "a", "an"})
    if re.search(r"\d|%", qual):  # "for 90% of orders" is a target, not a qualifier
        prep, qual = "", ""
    kpi_qual = qual
    core = phrase
    conj = re.split(r"\s+(?:and|&)\s+", phrase, maxsplit=1)
    if len(conj) == 2 and _measure(conj[0], verb) not in ("index", "adoption"):
        core = conj[0]
        if prep:  # "memberships and spend in cafes": the qualifier belongs to the second part
            kpi_qual = ""
    elif len(conj) == 2:  # "electric vans and lower emissions": measure the part that can be measured
        said, second = _strip_lead(conj[1] + " ")
        if _measure(second.strip(), said) not in ("index", "adoption"):
            core = second.strip()
    words = _words(core)
    if len(words) > 5:
        core = " ".join(words[-4:])
    phrase = re.sub(r"\s+and\s+(?:fewer|less|lower)\s+", " and reduce ", phrase)
    phrase = re.sub(r"\s+and\s+(?:more|higher)\s+", " and increase ", phrase)
    if len(conj) == 2 and core == conj[0]:
        # "recycling rate and contamination of bins": each part gets its own verb
        first, second = conj[0], _QUALIFIER.split(conj[1], maxsplit=1)[0]
        said, second = _strip_lead(second + " ")
        second = second.strip()
        up1 = _measure(first, verb) not in _DOWN_CATEGORIES
        up2 = _measure(second, None) not in _DOWN_CATEGORIES
        if up1 != up2 and said is None and not re.match(r"(?:fewer|less|lower|more|higher)\b", conj[1], re.I):
            phrase = f"{first} and {'raise' if up2 else 'reduce'} {second}"
            prep, qual = "", ""
    return _Topic(verb, _lower_first(core.strip()), _lower_first(phrase.strip()), prep, qual, dest, kpi_qual)


def _measure(core: str, verb: str | None) -> str:
    """The measurement category of a topic, from its verb and its head noun."""
    if verb in ("recruit", "hire"):
        return "recruit"
    if verb == "attract":
        return "attract"
    words = _words(core)
    if any(w.lower() in _BAD_MODIFIERS for w in words):
        return "bad_count"
    before_per = re.split(r"\s+per\s+", core, maxsplit=1, flags=re.IGNORECASE)[0]
    toks = tokens(before_per)
    for i, t in enumerate(reversed(toks)):
        cat = _CATEGORY_WORDS.get(stem(t))
        if cat and (i == 0 or cat != "count"):  # "student success": a count noun modifies, it is not the head
            return cat
    if set(tokens(core)) & {"digital", "ai", "tech", "tools", "tool", "system", "systems", "platform",
                            "records", "bim", "automation", "selfservice", "app", "data", "online", "electric"}:
        return "adoption"
    return "index"


def _unit(category: str, theme_text: str, currency: str) -> str:
    t = set(tokens(theme_text))
    if category == "time":
        for unit in ("minutes", "hours", "weeks", "months"):
            if unit in t or unit[:-1] in t:
                return unit
        return "days"
    if category == "emissions":
        return "tCO2e"
    if category == "consumption":
        return "MWh" if "energy" in t or "electricity" in t else ("m3" if "water" in t else "units")
    if category in ("money_down", "money_up"):
        return currency
    if category in ("rate", "ratio", "bad_share", "training", "adoption", "recruit", "growth", "coverage"):
        return "%"
    if category == "safety":
        return "per m hours"
    if category in ("bad_count", "count", "attract"):
        return "count"
    return "score"


def _direction(theme: Theme, category: str, verb: str | None) -> str:
    for d in ("down", "up"):
        if verb in DIRECTION_WORDS[d]:
            return d
    if category in _DOWN_CATEGORIES:
        return "down"
    if category == "ratio":
        low = set(tokens(theme.text)) & {"below", "under", "lower", "reduce", "cut"}
        return "down" if low else "up"
    return "up"


#: KPI names by measurement category ({core} as written, {Core} capitalised, {q} the qualifier)
_KPI_TEMPLATES = {
    "bad_count": "Number of {core}{q}", "safety": "Recorded {core} incidents{q}", "attract": "New {core} per year",
    "growth": "{Core} (% year on year){q}", "adoption": "{Core} adoption{q}", "coverage": "{Core} coverage{q}",
    "score": "{Core} score{q}", "index": "{Core} index{q}",
}


def _kpi_name(category: str, t: _Topic) -> str:
    core = t.core
    parts = [p.strip() for p in re.split(r",|\band\b", t.kpi_qualifier) if p.strip()]
    q = f" ({', '.join(parts)})" if parts else ""
    if t.destination:
        return f"Share of {core} on {t.destination}"
    if category in _KPI_TEMPLATES:
        return _KPI_TEMPLATES[category].format(core=core, Core=_cap(core), q=q)
    if category == "time":
        has_time = re.search(r"\b(time|times|turnaround|wait|waiting|delay|delays|duration)\b", core, re.I)
        return f"Average {core}{'' if has_time else ' time'}{q}"
    if category == "training":
        who, q = (t.kpi_qualifier, "") if t.prep in ("of", "among") and t.kpi_qualifier else ("staff", q)
        required = core.lower().endswith(("skills", "skill"))
        return f"Share of {who} with {'the required' if required else 'completed'} {core}{q}"
    if category == "recruit":
        return f"{_cap(core)}{' hired' if t.verb else ''} against plan{q}"
    if category == "money_up" and stem(tokens(core)[-1]) in ("revenu", "income", "sale"):
        return f"{_cap(core)} growth{q}"
    if category == "rate" and not re.search(r"\b(rate|share)\b", core, re.I) and not core.isupper():
        return f"{_cap(core)} rate{q}"
    return f"{_cap(core)}{q}"


def _objective_name(category: str, t: _Topic) -> str:
    phrase = t.phrase
    tail = f" {t.prep} {t.qualifier}" if t.qualifier and len(_words(phrase)) + len(_words(t.qualifier)) <= 6 else ""
    if t.destination:
        tail = f" to {t.destination}"
    if category == "growth":
        phrase = re.sub(r"\s+growth$", "", phrase, flags=re.IGNORECASE)
    if t.verb and t.verb not in ("use", "make", "offer"):
        return _cap(f"{t.verb} {phrase}{tail}")
    if category == "safety" and not re.search(r"\b(safety|security)\b", phrase, re.I):
        return f"Prevent {phrase}{tail}"
    return f"{_NAME_VERB.get(category, 'Improve')} {phrase}{tail}"


def _snake(text: str) -> str:
    words = [w for w in tokens(text) if w not in {"of", "the", "a", "an", "and", "per", "with", "in", "for"}]
    s = "_".join(words)[:48].strip("_") or "kpi"
    return s if s[0].isalpha() else f"k_{s}"


def draft_theme(theme: Theme, perspective: Perspective, *, currency: str = "EUR") -> Draft:
    """Draft an objective and a KPI from one theme's words.

    Parameters
    ----------
    theme : Theme
    perspective : Perspective
        Where the objective goes (decided by the caller from cues and the library).
    currency : str
        Unit of money KPIs.

    Examples
    --------
    >>> from bsc_toolkit.scorecard import Perspective
    >>> d = draft_theme(Theme("repair times for burst mains"), Perspective.internal_process)
    >>> d.objective_name, d.kpi_name, d.unit, d.direction
    ('Shorten repair times for burst mains', 'Average repair times (burst mains)', 'days', 'down')
    >>> d = draft_theme(Theme("recruiting engineers"), Perspective.learning_growth)
    >>> d.objective_name, d.kpi_name, d.unit, d.direction, d.indicator
    ('Recruit engineers', 'Engineers hired against plan', '%', 'up', 'leading')
    """
    topic = _split_topic(theme.head)
    if not topic.core:
        topic = _Topic(topic.verb, theme.head, theme.head, "", "", "", "")
    cat = _measure(topic.core, topic.verb)
    if cat == "index" and set(tokens(theme.head)) & _DOWN_ADJ:
        cat = "time"
    rest = theme.text[len(theme.head):].lstrip()
    if cat in ("index", "adoption") and rest[:1] in (":", "-", "\u2013", "\u2014"):  # "Head: detail"
        detail = _split_topic(rest.lstrip(" :-\u2013\u2014"))
        if detail.core and _measure(detail.core, detail.verb) not in ("index", "adoption"):
            topic = _Topic(topic.verb, detail.core, topic.phrase, topic.prep, topic.qualifier, "",
                           detail.kpi_qualifier)
            cat = _measure(detail.core, detail.verb)
    if topic.destination:
        cat = "rate"
    kpi_name = _kpi_name(cat, topic)
    first = re.split(r"\s+(?:and|&)\s+", topic.phrase, maxsplit=1)[0]
    name_cat = cat if first == topic.phrase or topic.destination else _measure(first, topic.verb)
    lagging = perspective in (Perspective.financial, Perspective.customer)
    return Draft(
        theme=theme,
        perspective=perspective,
        objective_name=_objective_name(name_cat, topic)[:200],
        kpi_name=kpi_name[:200],
        kpi_id=_snake(kpi_name),
        unit=_unit(cat, theme.text, currency),
        direction=_direction(theme, cat, topic.verb),
        indicator="lagging" if lagging else "leading",
        category=cat,
    )

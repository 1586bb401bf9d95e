"""Words of strategy text: tokens, a light stemmer, a small synonym table.

Used to read themes from a brief, to retrieve library objectives for each theme and
to score which themes a scorecard covers. Deterministic and dependency-free: a few
suffix rules (enough to equate *recruiting*/*recruit*, *affordability*/*affordable*,
*utilisation*/*utilization*) and a short table of synonym groups that a
practitioner would accept as the same topic (*leakage*/*losses*, *outages*/
*interruptions*, *staff turnover*/*attrition*).
"""

from __future__ import annotations

import functools
import re

__all__ = ["DIRECTION_WORDS", "FILLER", "canonical", "content_stems", "stem", "stems_of", "tokens"]

_TOKEN = re.compile(r"[a-z0-9]+")

#: phrases read as one word before tokenising
_PHRASES = (
    (re.compile(r"\bon[- ]time\b"), " punctual "),
    (re.compile(r"\bartificial intelligence\b"), " ai "),
    (re.compile(r"\bmachine learning\b"), " ai "),
    (re.compile(r"\bgen ?ai\b"), " ai "),
    (re.compile(r"\bnet[- ]zero\b"), " emission "),
    (re.compile(r"\bwell[- ]being\b"), " wellbeing "),
    (re.compile(r"\bcyber[- ]security\b"), " cyber "),
    (re.compile(r"\bnon[- ]revenue\b"), " leakage "),
    (re.compile(r"\be[- ]commerce\b"), " ecommerce "),
    (re.compile(r"\block[- ]up\b"), " lockup "),
    (re.compile(r"\bself[- ]service\b"), " selfservice "),
    (re.compile(r"\bright[- ]first[- ]time\b"), " firsttimeright "),
    (re.compile(r"\bfirst[- ]time[- ]right\b"), " firsttimeright "),
    (re.compile(r"\bmental health\b"), " wellbeing "),
    (re.compile(r"\breal[- ]time\b"), " realtime "),
    (re.compile(r"\brevenue per available room\b"), " revpar "),
    (re.compile(r"\baverage revenue per user\b"), " arpu "),
    (re.compile(r"\boverall equipment effectiveness\b"), " oee "),
)

#: words that carry no topic of their own in a strategy sentence (verbs of intent,
#: intensifiers, time words, pronouns); removed before themes are compared
FILLER = frozenset("""
a about above across after again against all almost also although am among an and any are around as at
be because been before being below between both but by can could did do does doing down during each
either else enough especially etc even ever every few for from further had has have having he her here
hers him his how however i if in including into is it its itself just least less let like made make
makes making many may me more most much must my near need needs new next no nor not now of off often on
once one only onto or other our ours out over own per quite rather same she should since so some such
than that the their them then there these they this those though through to too under until up upon us
very via was we well were what when where whether which while who whom whose why will with within
without would yet you your
improve improving improved improvement improvements increase increasing increased raise raising grow
growing growth reduce reducing reduced reduction cut cutting lower lowering decrease decreasing boost
boosting better best higher high low fewer greater keep keeping maintain maintaining sustain ensure
ensuring deliver delivering achieve achieving drive driving build building strengthen strengthening
enhance enhancing accelerate accelerating develop developing expand expanding protect protecting bring
become becoming get getting give giving take taking put set setting focus focused focusing priority
priorities strategic strategy strategies theme themes goal goals target targets objective objectives
plan plans aim aims ambition key major core performance overall total average level levels number numbers
rate rates ratio share shares percentage percent pct year years yearly annual annually month months
monthly quarter quarters week weeks today future current currently always strong stronger good great
clear clearly first second third two three four five ten hundred thousand million billion whole
together towards toward way ways use using used able per cent zero half double triple remain
instead going shorter longer especially particular particularly fully truly already still both
""".split())

#: words of a theme that say which way the organisation wants it to move
DIRECTION_WORDS = {
    "down": frozenset("""reduce reducing reduction cut cutting lower lowering decrease decreasing fewer less
        minimise minimize minimising shorten shortening shorter faster quicker zero eliminate avoid
        prevent limit halve""".split()),
    "up": frozenset("""increase increasing raise raising grow growing growth improve improving more higher
        boost boosting expand expanding win winning attract attracting accelerate accelerating strengthen
        maximise maximize extend""".split()),
    "keep": frozenset("keep keeping maintain maintaining sustain protect protecting hold stay".split()),
}

# synonym groups: every member is read as the group's first word (after stemming)
_SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("leakage", "leak", "loss"),
    ("interruption", "outage", "disruption", "downtime"),
    ("complaint", "grievance"),
    ("staff", "employee", "workforce", "personnel", "worker", "colleague"),
    ("recruit", "hire", "hiring", "vacancy", "recruitment"),
    ("training", "skill", "upskill", "competence", "learning"),
    ("safety", "safe", "injury", "accident", "harm", "fatality", "fatalities", "ltifr"),
    ("cost", "expense", "spend", "spending", "opex", "cogs"),
    ("revenue", "sale"),
    ("profit", "margin", "profitability", "ebit", "ebitda"),
    ("digital", "online", "app", "web", "website"),
    ("satisfaction", "satisfied", "csat", "nps"),
    ("retention", "retain", "churn", "attrition", "turnover", "lapse"),
    ("loyalty", "loyal", "repeat"),
    ("emission", "carbon", "co2", "co2e", "ghg", "greenhouse", "decarbonisation", "climate"),
    ("diversity", "inclusion", "inclusive", "ethnic", "minority"),
    ("time", "day", "hour", "minute", "duration", "speed", "fast", "faster", "quick", "quicker", "lead"),
    ("punctual", "punctuality", "delay", "late", "lateness"),
    ("customer", "client", "shopper", "consumer", "buyer"),
    ("member", "membership"),
    ("defect", "error", "fault", "failure"),
    ("uptime", "reliability", "reliable"),
    ("engagement", "engage", "engaged"),
    ("bill", "billing", "invoice"),
    ("price", "tariff", "pricing"),
    ("donor", "donation", "giving", "fundraising", "fundraise"),
    ("student", "pupil", "learner"),
    ("attendance", "absence", "absent", "absenteeism", "truancy"),
    ("literacy", "reading"),
    ("subscription", "subscriber", "subscribe"),
    ("automation", "automate", "robot", "robotic", "autonomous"),
    ("apprentice", "apprenticeship", "trainee"),
    ("throughput", "volume"),
    ("conversion", "convert"),
    ("wellbeing", "welfare"),
    ("recycling", "recycle", "recycled"),
    ("occupancy", "occupied"),
    ("export", "abroad", "international"),
)

_IRREGULAR = {
    "women": "woman", "men": "man", "children": "child", "people": "people", "data": "data",
    "news": "news", "analysis": "analysis", "business": "business", "process": "process",
    "series": "series", "status": "status", "bus": "bus", "gas": "gas", "campus": "campus",
    "early": "early", "fatalities": "fatality", "staff": "staff", "fees": "fee", "diversion": "diversion",
    "diversions": "diversion",
}

# derivational suffixes, longest first; the stem keeps at least 3 letters
_DERIVATIONAL = (
    ("isation", "ise"), ("ization", "ise"), ("ational", "ate"), ("fulness", "ful"),
    ("ability", ""), ("ibility", "ible"), ("ation", "ate"), ("ement", "e"), ("ment", ""),
    ("able", ""), ("ize", "ise"), ("ity", ""), ("ness", ""), ("ion", ""), ("ful", ""), ("ly", ""),
)
_VOWEL = re.compile(r"[aeiouy]")


@functools.lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A light English stemmer: equal stems for the forms a strategy text uses.

    Plurals, ``-ing``/``-ed`` and common derivational suffixes are removed (a small
    subset of Porter's rules), British and American spellings are equated.

    Examples
    --------
    >>> [stem(w) for w in ("recruiting", "recruit", "engineers", "engineering")]
    ['recruit', 'recruit', 'engineer', 'engineer']
    >>> stem("affordability") == stem("affordable") == stem("afford")
    True
    >>> stem("utilisation") == stem("utilization") == stem("utilised")
    True
    >>> stem("times") == stem("time"), stem("staffing")
    (True, 'staff')
    """
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suf in ("ing", "ed"):
        base = w[: -len(suf)]
        if w.endswith(suf) and len(base) >= 3 and _VOWEL.search(base):
            w = base
            if len(w) >= 4 and w[-1] == w[-2] and w[-1] in "bdgmnprt":  # planned -> plan
                w = w[:-1]
            break
    for suf, rep in _DERIVATIONAL:
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            w = w[: len(w) - len(suf)] + rep
            break
    if w.endswith("ise") and len(w) > 5:
        w = w[:-1]
    elif w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


_CANON = {stem(w): stem(g[0]) for g in _SYNONYM_GROUPS for w in g}
# derived forms of intent verbs that carry no topic either ("improvements", "reductions"); other
# filler words are dropped only as written, so "sustainable", "buildings" or "development" stay
_FILLER_STEMS = frozenset(stem(w) for w in (
    "improve", "increase", "reduce", "reduction", "ensure", "achieve", "enhance", "strengthen", "boost",
    "maximise", "minimise", "accelerate"))


def tokens(text: str) -> list[str]:
    """Lower-case word tokens, with a few phrases joined first (``on-time`` -> ``punctual``).

    Examples
    --------
    >>> tokens("On-time performance & non-revenue water")
    ['punctual', 'performance', 'leakage', 'water']
    """
    s = text.lower()
    for pat, rep in _PHRASES:
        s = pat.sub(rep, s)
    return _TOKEN.findall(s)


def canonical(token: str) -> str:
    """The canonical stem of a token: stemmed, then mapped through the synonym table.

    Examples
    --------
    >>> canonical("outages"), canonical("interruptions"), canonical("hiring")
    ('interrupt', 'interrupt', 'recruit')
    """
    s = stem(token)
    return _CANON.get(s, s)


def content_stems(text: str) -> tuple[str, ...]:
    """The topic words of a text as canonical stems, in order, without repeats.

    Filler (verbs of intent, intensifiers, numbers, time words) is dropped.

    Examples
    --------
    >>> content_stems("Reduce leakage / non-revenue water")
    ('leakag', 'water')
    >>> content_stems("recruiting engineers") == content_stems("recruit an engineer")
    True
    """
    return stems_of(tokens(text))


def stems_of(toks: list[str]) -> tuple[str, ...]:
    """:func:`content_stems` of already tokenised text.

    Examples
    --------
    >>> stems_of(["the", "crews", "training"])
    ('crew', 'train')
    """
    out: list[str] = []
    for t in toks:
        if t in FILLER or t.isdigit() or len(t) < 2:
            continue
        c = canonical(t)
        if c in _FILLER_STEMS or len(c) < 2:
            continue
        if c not in out:
            out.append(c)
    return tuple(out)

"""TF-IDF for the offline generator: scikit-learn's ``TfidfVectorizer`` defaults, in numpy.

The offline generator matches brief themes to the KPI library by cosine similarity in a TF-IDF
space. This is the computation of ``TfidfVectorizer(stop_words="english", sublinear_tf=True,
ngram_range=(1, 2))`` -- lowercase, tokens of two or more word characters, English stop words
removed before the bigrams are formed, ``1 + log(tf)``, smoothed idf ``log((1 + n) / (1 + df)) + 1``,
rows scaled to unit length -- written out so that ``bsc generate`` does not import scikit-learn
(about a second). A test checks vocabulary and matrices against scikit-learn on the library.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["ENGLISH_STOP_WORDS", "Tfidf", "cosine"]

#: scikit-learn's English stop words (sklearn.feature_extraction.text.ENGLISH_STOP_WORDS, BSD licence)
ENGLISH_STOP_WORDS = frozenset([
    "a", "about", "above", "across", "after", "afterwards", "again", "against", "all", "almost",
    "alone", "along", "already", "also", "although", "always", "am", "among", "amongst",
    "amoungst", "amount", "an", "and", "another", "any", "anyhow", "anyone", "anything", "anyway",
    "anywhere", "are", "around", "as", "at", "back", "be", "became", "because", "become",
    "becomes", "becoming", "been", "before", "beforehand", "behind", "being", "below", "beside",
    "besides", "between", "beyond", "bill", "both", "bottom", "but", "by", "call", "can", "cannot",
    "cant", "co", "con", "could", "couldnt", "cry", "de", "describe", "detail", "do", "done",
    "down", "due", "during", "each", "eg", "eight", "either", "eleven", "else", "elsewhere",
    "empty", "enough", "etc", "even", "ever", "every", "everyone", "everything", "everywhere",
    "except", "few", "fifteen", "fifty", "fill", "find", "fire", "first", "five", "for", "former",
    "formerly", "forty", "found", "four", "from", "front", "full", "further", "get", "give", "go",
    "had", "has", "hasnt", "have", "he", "hence", "her", "here", "hereafter", "hereby", "herein",
    "hereupon", "hers", "herself", "him", "himself", "his", "how", "however", "hundred", "i", "ie",
    "if", "in", "inc", "indeed", "interest", "into", "is", "it", "its", "itself", "keep", "last",
    "latter", "latterly", "least", "less", "ltd", "made", "many", "may", "me", "meanwhile",
    "might", "mill", "mine", "more", "moreover", "most", "mostly", "move", "much", "must", "my",
    "myself", "name", "namely", "neither", "never", "nevertheless", "next", "nine", "no", "nobody",
    "none", "noone", "nor", "not", "nothing", "now", "nowhere", "of", "off", "often", "on", "once",
    "one", "only", "onto", "or", "other", "others", "otherwise", "our", "ours", "ourselves", "out",
    "over", "own", "part", "per", "perhaps", "please", "put", "rather", "re", "same", "see",
    "seem", "seemed", "seeming", "seems", "serious", "several", "she", "should", "show", "side",
    "since", "sincere", "six", "sixty", "so", "some", "somehow", "someone", "something",
    "sometime", "sometimes", "somewhere", "still", "such", "system", "take", "ten", "than", "that",
    "the", "their", "them", "themselves", "then", "thence", "there", "thereafter", "thereby",
    "therefore", "therein", "thereupon", "these", "they", "thick", "thin", "third", "this",
    "those", "though", "three", "through", "throughout", "thru", "thus", "to", "together", "too",
    "top", "toward", "towards", "twelve", "twenty", "two", "un", "under", "until", "up", "upon",
    "us", "very", "via", "was", "we", "well", "were", "what", "whatever", "when", "whence",
    "whenever", "where", "whereafter", "whereas", "whereby", "wherein", "whereupon", "wherever",
    "whether", "which", "while", "whither", "who", "whoever", "whole", "whom", "whose", "why",
    "will", "with", "within", "without", "would", "yet", "you", "your", "yours", "yourself",
    "yourselves",
])

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def _terms(doc: str) -> list[str]:
    toks = [t for t in _TOKEN.findall(doc.lower()) if t not in ENGLISH_STOP_WORDS]
    return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:], strict=False)]


class Tfidf:
    """Fitted TF-IDF space: ``vocabulary_`` (term -> column) and ``transform(docs)`` (unit rows)."""

    def __init__(self) -> None:
        self.vocabulary_: dict[str, int] = {}
        self.idf_ = np.zeros(0)

    def fit(self, docs: Sequence[str]) -> Tfidf:
        counts = [Counter(_terms(d)) for d in docs]
        vocab = sorted({t for c in counts for t in c})
        self.vocabulary_ = {t: i for i, t in enumerate(vocab)}
        df = np.zeros(len(vocab))
        for c in counts:
            for t in c:
                df[self.vocabulary_[t]] += 1
        n = len(docs)
        self.idf_ = np.log((1 + n) / (1 + df)) + 1
        return self

    def transform(self, docs: Iterable[str]) -> np.ndarray:
        docs = list(docs)
        out = np.zeros((len(docs), len(self.vocabulary_)))
        for i, d in enumerate(docs):
            for t, k in Counter(_terms(d)).items():
                j = self.vocabulary_.get(t)
                if j is not None:
                    out[i, j] = (1 + math.log(k)) * self.idf_[j]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine similarity of unit rows (``sklearn.metrics.pairwise.cosine_similarity``)."""
    return a @ b.T

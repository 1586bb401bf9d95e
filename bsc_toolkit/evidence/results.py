"""Result objects of the evidence engine: :class:`LinkResult` and :class:`Evidence`.

Both are read-only views over the JSON contract in ``docs/evidence-format.md``:
the plain dictionary is the single source of truth, so ``to_dict()`` and
:func:`load_evidence` round-trip exactly. Each object has ``summary`` (text),
``to_frame()`` (a tidy DataFrame) and ``_repr_html_`` for notebooks.
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from .schema import FORMAT, read_evidence_data

__all__ = ["FORMAT", "ChainEffect", "DriverModel", "Estimate", "Evidence", "LinkResult", "NoEstimate",
           "Section", "Suggestion", "Term", "insufficient_link", "load_evidence", "map_explanation",
           "sections_text"]

VERDICTS = ("supported", "contradicted", "not_supported", "insufficient_data")

#: the keys a link of the evidence file may have (``LinkResult._replace`` refuses others)
LINK_FIELDS = frozenset({
    "from", "to", "from_kpi", "to_kpi", "expected_sign", "verdict", "reason", "terms", "own_terms",
    "long_run", "long_run_multiplier", "standardized_effect", "p_value", "joint_p_value", "q_value",
    "n_obs", "n_dropped", "n_units", "n_periods", "method", "caveats", "robustness", "flags",
    "long_run_multiplier_corrected", "data_notes",
    "dynamics",  # bias-corrected dynamics (evidence/dynamics.py)
})


@dataclass(frozen=True)
class Term:
    """One coefficient: a lag of the driver (or of the outcome itself).

    Attributes
    ----------
    name : str
        ``"<kpi>.L<lag>"``, e.g. ``"training_hours.L1"``.
    lag : int
    estimate, std_error, p_value, ci_low, ci_high : float or None
        None where the value is not defined (e.g. a zero standard error).
    """

    name: str
    lag: int
    estimate: float | None
    std_error: float | None
    p_value: float | None
    ci_low: float | None
    ci_high: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "lag": self.lag,
            "estimate": self.estimate,
            "std_error": self.std_error,
            "p_value": self.p_value,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
        }


@dataclass(frozen=True)
class Estimate:
    """A derived estimate (cumulative effect or long-run multiplier) with its interval.

    See :class:`NoEstimate` for the typed "no result".
    """

    estimate: float | None = None
    std_error: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None

    @property
    def available(self) -> bool:
        return self.estimate is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimate": self.estimate,
            "std_error": self.std_error,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
        }


@dataclass(frozen=True)
class NoEstimate(Estimate):
    """An estimate that could not be computed, with the reason (after linearmodels'
    ``InvalidTestStatistic``): every number is None, ``reason`` says why."""

    reason: str = ""

    @property
    def available(self) -> bool:
        return False


def _term(t: Mapping[str, Any]) -> Term:
    return Term(str(t.get("name", "")), int(t.get("lag", 0)),
                *(t.get(k) for k in ("estimate", "std_error", "p_value", "ci_low", "ci_high")))


def _estimate_of(d: Mapping[str, Any] | None, reason: str) -> Estimate:
    if not d or d.get("estimate") is None:
        return NoEstimate(reason=reason or "not estimated")
    return Estimate(**{k: d.get(k) for k in ("estimate", "std_error", "ci_low", "ci_high", "p_value")})


def _clean(obj: Any) -> Any:
    """Deep copy with NaN/inf -> None and numpy scalars -> Python numbers (JSON-safe)."""
    if isinstance(obj, Mapping):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    try:
        import numpy as np

        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, np.integer):
            return int(obj)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(obj, float) or hasattr(obj, "__float__"):
        f = float(obj)
        return f if math.isfinite(f) else None
    return obj


def _fmt(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "-"
    if x != 0 and (abs(x) < 10 ** -(digits) or abs(x) >= 1e5):
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}f}"


def _fmt_p(p: float | None) -> str:
    if p is None:
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


class LinkResult:
    """The test of one hypothesised link ``from -> to``.

    Read-only; the attributes mirror the keys of a link in the evidence file
    (``from_`` stands for ``from``). Build one with :func:`bsc_toolkit.evidence.estimate_link`
    or read them from :attr:`Evidence.links`.

    Examples
    --------
    >>> from bsc_toolkit.evidence import load_evidence
    >>> ev = load_evidence("tests/data/evidence_retail_sample.json")  # doctest: +SKIP
    >>> ev.links[0].verdict  # doctest: +SKIP
    'supported'
    """

    __slots__ = ("_d",)
    _d: dict[str, Any]

    def __init__(self, data: Mapping[str, Any]):
        object.__setattr__(self, "_d", _clean(data))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("LinkResult is read-only")

    # --------------------------------------------------------------- identity
    @property
    def from_(self) -> str:
        return self._d["from"]

    @property
    def to(self) -> str:
        return self._d["to"]

    @property
    def from_kpi(self) -> str:
        return self._d["from_kpi"]

    @property
    def to_kpi(self) -> str:
        return self._d["to_kpi"]

    @property
    def expected_sign(self) -> str:
        return self._d.get("expected_sign", "positive")

    # ---------------------------------------------------------------- verdict
    @property
    def verdict(self) -> str:
        return self._d["verdict"]

    @property
    def reason(self) -> str:
        return self._d.get("reason", "")

    @property
    def p_value(self) -> float | None:
        """P-value of the long-run effect (the test of the link)."""
        return self._d.get("p_value")

    @property
    def joint_p_value(self) -> float | None:
        """P-value of the joint Wald test that every driver lag is zero."""
        return self._d.get("joint_p_value")

    @property
    def q_value(self) -> float | None:
        """Benjamini-Hochberg q-value across the links of the run."""
        return self._d.get("q_value")

    # -------------------------------------------------------------- estimates
    @property
    def terms(self) -> tuple[Term, ...]:
        return tuple(_term(t) for t in self._d.get("terms", []))

    @property
    def own_terms(self) -> tuple[Term, ...]:
        return tuple(_term(t) for t in self._d.get("own_terms", []))

    @property
    def long_run(self) -> Estimate:
        """Cumulative effect over the lag window: the sum of the driver-lag coefficients.

        (Wooldridge's long-run propensity; the file key is ``long_run``.) A
        :class:`NoEstimate` with the reason when there is none.
        """
        return _estimate_of(self._d.get("long_run"), self.reason)

    @property
    def cumulative_effect(self) -> Estimate:
        """Alias of :attr:`long_run` with the name an econometrician reads."""
        return self.long_run

    @property
    def long_run_multiplier(self) -> Estimate | None:
        """The permanent response sum(b) / (1 - sum(rho)) (delta-method SE); None without own lags."""
        lrm = self._d.get("long_run_multiplier")
        if lrm is None:
            return None
        return _estimate_of(lrm, "own lags sum to 1 or more: no finite long-run multiplier")

    @property
    def standardized_effect(self) -> float | None:
        return self._d.get("standardized_effect")

    @property
    def n_obs(self) -> int:
        return int(self._d.get("n_obs", 0))

    @property
    def n_dropped(self) -> int:
        return int(self._d.get("n_dropped", 0))

    @property
    def n_units(self) -> int:
        return int(self._d.get("n_units", 0))

    @property
    def n_periods(self) -> int:
        return int(self._d.get("n_periods", 0))

    @property
    def method(self) -> dict[str, Any]:
        return copy.deepcopy(self._d.get("method", {}))

    @property
    def caveats(self) -> tuple[str, ...]:
        return tuple(self._d.get("caveats", []))

    @property
    def lags(self) -> tuple[int, ...]:
        return tuple(self._d.get("method", {}).get("lags", []))

    # ----------------------------------------------------------------- output
    def to_dict(self) -> dict[str, Any]:
        """The link exactly as in the evidence file (a deep copy)."""
        return copy.deepcopy(self._d)

    def _replace(self, **changes: Any) -> LinkResult:
        """A copy with some fields changed (``from_`` for ``from``); unknown names are refused."""
        if "from_" in changes:
            changes["from"] = changes.pop("from_")
        unknown = sorted(set(changes) - LINK_FIELDS)
        if unknown:
            raise ValueError(f"LinkResult has no field(s) {', '.join(unknown)}; known: "
                             f"{', '.join(sorted(LINK_FIELDS))}")
        d = self.to_dict()
        d.update(changes)
        return LinkResult(d)

    def to_frame(self):
        """One row per coefficient (driver lags, own lags, long run)."""
        import pandas as pd

        rows = []
        for kind, terms in (("driver", self.terms), ("own", self.own_terms)):
            for t in terms:
                rows.append({"term": t.name, "kind": kind, **t.to_dict()})
        lr = self.long_run
        if lr.estimate is not None:
            rows.append({"term": "long_run", "kind": "long_run", "name": "long_run", "lag": None,
                         **lr.to_dict()})
        cols = ["term", "kind", "lag", "estimate", "std_error", "p_value", "ci_low", "ci_high"]
        return pd.DataFrame(rows, columns=cols)

    @property
    def summary(self) -> str:
        m = self._d.get("method", {})
        head = f"Link {self.from_} -> {self.to} ({self.from_kpi} -> {self.to_kpi}), expected {self.expected_sign}"
        lines = [head, "=" * len(head), f"Verdict: {self.verdict} - {self.reason}"]
        lines.append(
            f"Method: {m.get('estimator', '?')}, transform {m.get('transform', '?')}, effects "
            f"{m.get('effects', '?')}, covariance {m.get('covariance', '?')}, lags {m.get('lags', [])} "
            f"({m.get('lag_selection', '?')}), own lags {m.get('own_lags', '?')}, controls "
            f"{m.get('controls', []) or 'none'}"
        )
        if m.get("transform_reason"):
            lines.append(f"Transform: {m['transform_reason']}")
        lines.append(
            f"Observations: {self.n_obs} used, {self.n_dropped} dropped for missing values, "
            f"{self.n_units} unit(s), {self.n_periods} period(s)"
        )
        if self.terms or self.own_terms:
            lines.append("")
            lines.append(f"{'term':<34}{'estimate':>11}{'std.err':>11}{'p':>9}{'95% CI':>24}")
            for t in (*self.terms, *self.own_terms):
                ci = f"[{_fmt(t.ci_low)}, {_fmt(t.ci_high)}]"
                lines.append(f"{t.name[:33]:<34}{_fmt(t.estimate):>11}{_fmt(t.std_error):>11}"
                             f"{_fmt_p(t.p_value):>9}{ci:>24}")
            lr = self.long_run
            ci = f"[{_fmt(lr.ci_low)}, {_fmt(lr.ci_high)}]"
            lines.append(f"{'long-run effect (sum of lags)':<34}{_fmt(lr.estimate):>11}"
                         f"{_fmt(lr.std_error):>11}{_fmt_p(lr.p_value):>9}{ci:>24}")
            lines.append(
                f"joint Wald p = {_fmt_p(self.joint_p_value)}, q (BH) = {_fmt_p(self.q_value)}, "
                f"standardized effect = {_fmt(self.standardized_effect)}"
            )
        for c in self.caveats:
            lines.append(f"Caveat: {c}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary

    def __repr__(self) -> str:
        return f"LinkResult({self.from_!r} -> {self.to!r}, verdict={self.verdict!r})"

    def _repr_html_(self) -> str:
        body = self.to_frame().to_html(index=False, float_format=lambda x: f"{x:.4g}", na_rep="")
        head = escape(self.summary.split("\n")[0])
        return (f"<p><b>{head}</b><br>Verdict: <b>{escape(self.verdict)}</b> - "
                f"{escape(self.reason)}</p>{body}")


def insufficient_link(base: Mapping[str, Any], reason: str, **extra: Any) -> LinkResult:
    """A link without a verdict: ``insufficient_data``, the reason, every estimate null."""
    d = dict(base)
    d.update({
        "verdict": "insufficient_data", "reason": reason, "terms": [], "own_terms": [],
        "long_run": {"estimate": None, "std_error": None, "ci_low": None, "ci_high": None,
                     "p_value": None},
        "standardized_effect": None, "p_value": None, "joint_p_value": None, "q_value": None,
    })
    d.update(extra)
    return LinkResult(d)


_VERDICT_COLOURS = {
    "supported": "#1a9850",
    "contradicted": "#d73027",
    "not_supported": "#737373",
    "insufficient_data": "#9e9ac8",
}


class Evidence:
    """The evidence for every link of a scorecard, as in ``docs/evidence-format.md``.

    Attributes (read-only)
    ----------------------
    links : tuple of LinkResult
    settings, multiple_testing, data : dict
    drivers, chains, suggestions : Section
        Lists of :class:`DriverModel`, :class:`ChainEffect`, :class:`Suggestion`
        (dicts in the file format, with ``summary``, ``to_frame()``, ``_repr_html_``).
    warnings : list of str

    Examples
    --------
    >>> from bsc_toolkit.evidence import load_evidence
    >>> ev = load_evidence("tests/data/evidence_retail_sample.json")  # doctest: +SKIP
    >>> ev.to_frame()[["from", "to", "verdict"]].head(2)  # doctest: +SKIP
    """

    __slots__ = ("_d", "_links", "_source")
    _d: dict[str, Any]
    _links: tuple[LinkResult, ...]
    _source: str | None

    def __init__(self, data: Mapping[str, Any]):
        d = _clean(data)
        links = tuple(LinkResult(x) for x in d.get("links", []))
        object.__setattr__(self, "_d", d)
        object.__setattr__(self, "_links", links)
        object.__setattr__(self, "_source", None)  # the file it was loaded from, for messages

    @property
    def source(self) -> str | None:
        """The file this evidence was loaded from (None when built in memory)."""
        return self._source

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Evidence is read-only")

    @property
    def links(self) -> tuple[LinkResult, ...]:
        return self._links

    def link(self, from_: str, to: str) -> LinkResult:
        """The result of the link ``from_ -> to`` (ids as in the scorecard)."""
        for lk in self._links:
            if lk.from_ == from_ and lk.to == to:
                return lk
        raise KeyError(f"no link {from_} -> {to} in this evidence")

    @property
    def scorecard(self) -> str:
        return self._d.get("scorecard", "")

    @property
    def settings(self) -> dict[str, Any]:
        return copy.deepcopy(self._d.get("settings", {}))

    @property
    def multiple_testing(self) -> dict[str, Any]:
        return copy.deepcopy(self._d.get("multiple_testing", {}))

    @property
    def data(self) -> dict[str, Any]:
        return copy.deepcopy(self._d.get("data", {}))

    @property
    def drivers(self) -> Section:
        """Driver models (a list of :class:`DriverModel`, plain dicts with ``summary``/``to_frame``)."""
        return Section(copy.deepcopy(self._d.get("drivers", [])), DriverModel, "Driver models")

    @property
    def chains(self) -> Section:
        """Chain (indirect) effects (a list of :class:`ChainEffect`)."""
        return Section(copy.deepcopy(self._d.get("chains", [])), ChainEffect, "Chain effects")

    @property
    def suggestions(self) -> Section:
        """EXPLORATORY suggestions (a list of :class:`Suggestion`)."""
        return Section(copy.deepcopy(self._d.get("suggestions", [])), Suggestion,
                       "EXPLORATORY suggestions")

    @property
    def discovery(self) -> dict[str, Any] | None:
        """What the exploratory search covered (pairs tested, FDR families); None when not run."""
        return copy.deepcopy(self._d.get("discovery"))

    @property
    def warnings(self) -> list[str]:
        return list(self._d.get("warnings", []))

    def counts(self) -> dict[str, int]:
        """Number of links per verdict."""
        out = dict.fromkeys(VERDICTS, 0)
        for lk in self._links:
            out[lk.verdict] = out.get(lk.verdict, 0) + 1
        return out

    # ----------------------------------------------------------------- output
    def to_dict(self) -> dict[str, Any]:
        """The evidence file as plain data (JSON-safe: no NaN)."""
        d = copy.deepcopy(self._d)
        d["links"] = [lk.to_dict() for lk in self._links]
        return d

    def to_json(self, indent: int = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False) + "\n"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the evidence file atomically (JSON, never NaN) and return its path.

        Examples
        --------
        >>> ev.save("evidence.json")  # doctest: +SKIP
        """
        from .._io import atomic_write

        return atomic_write(path, self.to_json())

    def to_frame(self):
        """One row per link: ends, lags, long-run effect with CI, p, q, verdict, n."""
        import pandas as pd

        rows = []
        for lk in self._links:
            lr = lk.long_run
            rows.append({
                "from": lk.from_, "to": lk.to, "from_kpi": lk.from_kpi, "to_kpi": lk.to_kpi,
                "expected_sign": lk.expected_sign, "lags": ",".join(str(x) for x in lk.lags),
                "long_run": lr.estimate, "ci_low": lr.ci_low, "ci_high": lr.ci_high,
                "std_error": lr.std_error, "p_value": lk.p_value,
                "joint_p_value": lk.joint_p_value, "q_value": lk.q_value,
                "standardized_effect": lk.standardized_effect, "verdict": lk.verdict,
                "n_obs": lk.n_obs, "transform": lk.method.get("transform"), "reason": lk.reason,
            })
        cols = ["from", "to", "from_kpi", "to_kpi", "expected_sign", "lags", "long_run", "ci_low",
                "ci_high", "std_error", "p_value", "joint_p_value", "q_value",
                "standardized_effect", "verdict", "n_obs", "transform", "reason"]
        return pd.DataFrame(rows, columns=cols)

    def table(self) -> str:
        """The links as a fixed-width text table (what ``bsc validate`` prints)."""
        lines = [f"{'link':<34}{'lags':<8}{'long-run effect [95% CI]':<34}{'q':>8}  verdict"]
        for lk in self._links:
            name = f"{lk.from_} -> {lk.to}"
            lags = ",".join(str(x) for x in lk.lags) or "-"
            lr = lk.long_run
            eff = "-" if lr.estimate is None else f"{lr.estimate:+.3g} [{lr.ci_low:.3g}, {lr.ci_high:.3g}]"
            lines.append(f"{name[:33]:<34}{lags:<8}{eff:<34}{_fmt_p(lk.q_value):>8}  {lk.verdict}")
        return "\n".join(lines)

    @property
    def summary(self) -> str:
        s = self._d.get("settings", {})
        dat = self._d.get("data", {})
        kind = (f"panel of {dat.get('n_units')} units" if dat.get("is_panel") else "single series")
        c = self.counts()
        head = f"Evidence for '{self.scorecard}': {len(self._links)} links"
        lines = [
            head, "=" * len(head),
            f"Data: {dat.get('source', '?')}, {kind} x {dat.get('n_periods')} "
            f"{dat.get('frequency', '')} periods ({dat.get('first_period')} to {dat.get('last_period')})",
            f"Settings: effects {s.get('effects')}, covariance {s.get('cov')}, own lags "
            f"{s.get('own_lags')}, max lag {s.get('max_lag')} ({s.get('lag_criterion', 'bic').upper()}), "
            f"transform {s.get('transform')}, controls {s.get('controls') or 'none'}, alpha {s.get('alpha')}",
            f"Multiple testing: {self._d.get('multiple_testing', {}).get('method', '?')} over "
            f"{self._d.get('multiple_testing', {}).get('n_tests', 0)} links",
            "Verdicts: " + ", ".join(f"{v} {c[v]}" for v in VERDICTS),
            "",
            self.table(),
        ]
        for lk in self._links:
            if lk.verdict == "insufficient_data":
                lines.append(f"  {lk.from_} -> {lk.to}: {lk.reason}")
        extra = sections_text(self)
        if extra:
            lines.append(extra)
        for w in self.warnings:
            lines.append(f"Warning: {w}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary

    def __repr__(self) -> str:
        return f"Evidence({self.scorecard!r}, {len(self._links)} links, {self.counts()})"

    def _repr_html_(self) -> str:
        rows = []
        for lk in self._links:
            lr = lk.long_run
            eff = "" if lr.estimate is None else f"{lr.estimate:+.3g} [{lr.ci_low:.3g}, {lr.ci_high:.3g}]"
            col = _VERDICT_COLOURS.get(lk.verdict, "#000")
            rows.append(
                f"<tr><td>{escape(lk.from_)} &rarr; {escape(lk.to)}</td>"
                f"<td>{escape(','.join(str(x) for x in lk.lags))}</td><td>{escape(eff)}</td>"
                f"<td>{escape(_fmt_p(lk.q_value))}</td><td style='color:{col}'><b>"
                f"{escape(lk.verdict)}</b></td><td>{escape(lk.reason)}</td></tr>"
            )
        head = escape(self.summary.split("\n")[0])
        return (
            f"<p><b>{head}</b></p><table><thead><tr><th>link</th><th>lags</th>"
            "<th>long-run effect [95% CI]</th><th>q</th><th>verdict</th><th>reason</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )


def load_evidence(source: str | os.PathLike[str] | Mapping[str, Any] | Evidence) -> Evidence:
    """Read an evidence file (or dict in the evidence format) back into an :class:`Evidence`.

    The one reader every stage uses (report, map, review, levers): schema problems are a
    :class:`~bsc_toolkit.errors.DataError` naming the file and the place.

    Parameters
    ----------
    source : path, dict or Evidence
        A JSON file written by :meth:`Evidence.save` / ``bsc validate --json``, or its content.

    Raises
    ------
    DataError
        When the file is missing, not JSON or not in the ``bsc-evidence/1`` format (the
        message says where).

    Examples
    --------
    >>> ev = load_evidence("evidence.json")  # doctest: +SKIP
    >>> ev.counts()  # doctest: +SKIP
    """
    if isinstance(source, Evidence):
        return source
    data, name = read_evidence_data(source)
    ev = Evidence(data)
    if name != "<dict>":
        object.__setattr__(ev, "_source", name)
    return ev


# ----------------------------------------------------- drivers, chains, suggestions
def _num(x: Any, sign: bool = False) -> str:
    if x is None:
        return "-"
    return f"{x:+.3g}" if sign else f"{x:.3g}"


def _ci(e: Mapping[str, Any] | None) -> str:
    if not e or e.get("ci_low") is None:
        return ""
    return f"[{e['ci_low']:.3g}, {e['ci_high']:.3g}]"


class _Record(Mapping[str, Any]):
    """A read-only section entry of the evidence file with summary, to_frame and HTML.

    It reads like the file's plain dictionary (``rec["joint_test"]``, ``rec.get(...)``);
    ``to_dict()`` gives a copy.
    """

    kind = "record"
    __slots__ = ("_d",)
    _d: dict[str, Any]

    def __init__(self, data: Mapping[str, Any]):
        object.__setattr__(self, "_d", copy.deepcopy(dict(data)))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __getitem__(self, key: str) -> Any:
        return self._d[key]

    def __iter__(self):
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Record):
            return self._d == other._d
        return isinstance(other, Mapping) and self._d == dict(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._d!r})"

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._d)

    @property
    def summary(self) -> str:  # pragma: no cover - overridden
        return str(dict(self))

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{k: v for k, v in self.items() if not isinstance(v, (dict, list))}])

    def __str__(self) -> str:
        return self.summary

    def _repr_html_(self) -> str:
        lines = self.summary.split("\n")
        body = self.to_frame().to_html(index=False, float_format=lambda x: f"{x:.4g}", na_rep="")
        return f"<p><b>{escape(lines[0])}</b><br>{'<br>'.join(escape(x) for x in lines[1:4])}</p>{body}"


class DriverModel(_Record):
    """A driver model of one lagging Financial KPI (``Evidence.drivers`` entries)."""

    kind = "driver"

    @property
    def summary(self) -> str:
        head = f"Driver model of {self.get('outcome_kpi')} ({self.get('outcome')})"
        lines = [head, "=" * len(head)]
        if self.get("status") != "estimated":
            lines.append(f"No estimate: {self.get('reason')}")
            return "\n".join(lines)
        jt = self.get("joint_test") or {}
        lines.append(f"Joint test that the {len(self.get('drivers') or [])} leading KPIs add nothing: "
                     f"F({jt.get('df_num')}, {jt.get('df_den')}) = {_num(jt.get('statistic'))}, "
                     f"p = {_fmt_p(jt.get('p_value'))}")
        lines.append(f"{'leading KPI':<30}{'lags':<8}{'long-run effect [CI]':<32}{'p':>8}  direct")
        for d in self.get("drivers") or []:
            lr = d.get("long_run") or {}
            lags = ",".join(str(x) for x in d.get("lags") or [])
            lines.append(f"{str(d.get('kpi'))[:29]:<30}{lags:<8}"
                         f"{(_num(lr.get('estimate'), True) + ' ' + _ci(lr)):<32}"
                         f"{_fmt_p(lr.get('p_value')):>8}  {'yes' if d.get('direct') else 'no'}")
        oos = self.get("out_of_sample") or {}
        if oos.get("status") == "estimated":
            lines.append(f"Out of sample ({oos.get('n_splits')} rolling-origin folds, {oos.get('n_forecasts')} "
                         f"forecasts): RMSE {oos['rmse']:.4g} vs baseline {oos['rmse_baseline']:.4g} "
                         f"(relative {_num(oos.get('relative_rmse'))}), DM p = {_fmt_p(oos.get('dm_p_value'))}")
            lines.append(f"  -> {oos.get('conclusion')}")
        elif oos:
            lines.append(f"Out of sample: {oos.get('reason')}")
        return "\n".join(lines)

    def to_frame(self):
        """One row per leading KPI: lags, long-run effect with CI, p, standardized effect."""
        import pandas as pd

        rows = []
        for d in self.get("drivers") or []:
            lr = d.get("long_run") or {}
            rows.append({"outcome_kpi": self.get("outcome_kpi"), "kpi": d.get("kpi"),
                         "perspective": d.get("perspective"), "direct": d.get("direct"),
                         "lags": ",".join(str(x) for x in d.get("lags") or []),
                         "long_run": lr.get("estimate"), "ci_low": lr.get("ci_low"),
                         "ci_high": lr.get("ci_high"), "p_value": lr.get("p_value"),
                         "standardized_effect": d.get("standardized_effect")})
        return pd.DataFrame(rows, columns=["outcome_kpi", "kpi", "perspective", "direct", "lags", "long_run",
                                           "ci_low", "ci_high", "p_value", "standardized_effect"])


class ChainEffect(_Record):
    """An indirect effect along one Learning -> Process -> Customer -> Financial path."""

    kind = "chain"

    @property
    def summary(self) -> str:
        head = "Chain " + " -> ".join(str(x) for x in self.get("path") or [])
        lines = [head, "=" * len(head), str(self.get("reason", ""))]
        for s in self.get("steps") or []:
            lines.append(f"  {s['from']} -> {s['to']}: long-run {_num(s.get('long_run'), True)} ({s['verdict']})")
        bs = self.get("bootstrap") or {}
        if bs.get("replications"):
            lines.append(f"Bootstrap: {bs.get('method')}; {bs.get('valid')} of {bs['replications']} valid "
                         f"replications, seed {bs.get('seed')}")
        return "\n".join(lines)

    def to_frame(self):
        """One row per step, plus the product."""
        import pandas as pd

        rows = [{"step": f"{s['from']} -> {s['to']}", "from_kpi": s["from_kpi"], "to_kpi": s["to_kpi"],
                 "long_run": s.get("long_run"), "verdict": s.get("verdict"), "ci_low": None, "ci_high": None}
                for s in self.get("steps") or []]
        ie = self.get("indirect_effect") or {}
        rows.append({"step": "indirect effect (product)", "from_kpi": (self.get("kpis") or [None])[0],
                     "to_kpi": (self.get("kpis") or [None])[-1], "long_run": ie.get("estimate"),
                     "verdict": "all supported" if self.get("all_steps_supported") else "not all supported",
                     "ci_low": ie.get("ci_low"), "ci_high": ie.get("ci_high")})
        return pd.DataFrame(rows)


def map_explanation(s: Mapping[str, Any]) -> str | None:
    """How the strategy map itself may explain an exploratory candidate link, or None.

    A candidate ``x -> y`` that the map already implies through an indirect path, that runs
    against a path of the map (reverse), or whose two KPIs share a driver in the map is
    expected in data generated by that map: persistent KPIs on one chain predict each other.
    Such candidates are listed, but they are not evidence of a *missing* link.

    Examples
    --------
    >>> map_explanation({"kind": "candidate", "implied_by_map": True})
    'indirect path in the map'
    >>> map_explanation({"kind": "candidate", "common_drivers_in_map": ["a", "b"]})
    'shared driver(s) in the map: a, b'
    >>> map_explanation({"kind": "candidate"}) is None
    True
    """
    if s.get("kind") != "candidate":
        return None
    why = []
    if s.get("implied_by_map"):
        why.append("indirect path in the map")
    if s.get("reverse_implied_by_map"):
        why.append("reverse of a path in the map")
    common = s.get("common_drivers_in_map") or []
    if common:
        why.append("shared driver(s) in the map: " + ", ".join(map(str, common)))
    return "; ".join(why) or None


class Suggestion(_Record):
    """An EXPLORATORY suggestion: a candidate link not in the map, or a reverse-causality flag."""

    kind = "suggestion"

    @property
    def explained_by_map(self) -> str | None:
        """How the map may explain this candidate (see :func:`map_explanation`), or None."""
        return map_explanation(self)

    @property
    def summary(self) -> str:
        lags = self.get("lags") or self.get("lag")
        return (f"EXPLORATORY {self.get('kind')}: {self.get('from_kpi')} -> {self.get('to_kpi')} (lags {lags}), "
                f"long-run {_num(self.get('estimate'), True)} {_ci(self)}, q = {_fmt_p(self.get('q_value'))}\n"
                f"{self.get('note', '')}")

    def to_frame(self):
        """One row: kind, ends, lags, effect with CI, q, how the map may explain it, note."""
        return _suggestion_frame([self])


class Section(tuple):
    """The entries of one evidence section (drivers, chains or suggestions): a read-only sequence."""

    title: str

    def __new__(cls, items: Sequence[Mapping[str, Any]], kind: type, title: str) -> Section:
        obj = super().__new__(cls, (kind(x) for x in items))
        obj.title = title
        return obj

    @property
    def summary(self) -> str:
        if not self:
            return f"{self.title}: none"
        return f"{self.title}:\n" + "\n\n".join(x.summary for x in self)

    def to_frame(self):
        import pandas as pd

        frames = [x.to_frame() for x in self]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def __str__(self) -> str:
        return self.summary

    def _repr_html_(self) -> str:
        return (f"<p><b>{escape(self.title)}</b></p>"
                + self.to_frame().to_html(index=False, float_format=lambda x: f"{x:.4g}", na_rep=""))


def _suggestion_frame(items: Sequence[Mapping[str, Any]]):
    import pandas as pd

    cols = ["kind", "from_kpi", "to_kpi", "lags", "estimate", "ci_low", "ci_high", "standardized_effect",
            "q_value", "explained_by_map", "note"]
    return pd.DataFrame([{c: (",".join(map(str, s.get(c) or [])) if c == "lags"
                              else map_explanation(s) if c == "explained_by_map" else s.get(c)) for c in cols}
                         for s in items], columns=cols)



def sections_text(ev: Evidence) -> str:
    """Short text sections for drivers, chains and suggestions (what ``bsc validate`` prints)."""
    d = ev.to_dict()
    lines: list[str] = []
    drivers = d.get("drivers") or []
    if drivers:
        lines += ["", "Driver models (each lagging Financial KPI on all leading KPIs that reach it)"]
        for m in drivers:
            if m.get("status") != "estimated":
                lines.append(f"  {m.get('outcome_kpi')}: no estimate - {m.get('reason')}")
                continue
            jt = m.get("joint_test") or {}
            oos = m.get("out_of_sample") or {}
            o = (f"OOS RMSE x{oos['relative_rmse']:.3f} vs own past, DM p {_fmt_p(oos.get('dm_p_value'))}"
                 if oos.get("status") == "estimated" and oos.get("relative_rmse") is not None
                 else f"OOS: {oos.get('reason', 'not computed')}")
            lines.append(f"  {m.get('outcome_kpi')}: {len(m.get('drivers') or [])} leading KPIs, joint "
                         f"p {_fmt_p(jt.get('p_value'))}; {o}")
    chains = d.get("chains") or []
    if chains:
        lines += ["", "Chains (indirect effect = product of the steps' long-run effects)"]
        for c in chains:
            ie = c.get("indirect_effect") or {}
            eff = ("-" if ie.get("estimate") is None else f"{ie['estimate']:+.3g} {_ci(ie)}")
            lines.append(f"  {' -> '.join(map(str, c.get('path') or []))}: {eff}, "
                         f"{len(c.get('supported_steps') or [])}/{len(c.get('steps') or [])} steps supported")
    sugg = d.get("suggestions") or []
    if d.get("discovery") is not None or sugg:
        lines += ["", "EXPLORATORY suggestions (own FDR families; leads, not findings)"]
        if not sugg:
            lines.append("  none")
        explained = [s for s in sugg if map_explanation(s)]
        for s in sugg:
            if map_explanation(s):
                continue
            lines.append(f"  {s.get('kind'):<10}{s.get('from_kpi')} -> {s.get('to_kpi')}: "
                         f"{_num(s.get('estimate'), True)}, q {_fmt_p(s.get('q_value'))}")
        if explained:
            kinds: dict[str, int] = {}
            for s in explained:
                for part in (map_explanation(s) or "").split("; "):
                    key = part.split(":")[0]
                    kinds[key] = kinds.get(key, 0) + 1
            detail = ", ".join(f"{k} {v}" for k, v in kinds.items())
            lines.append(f"  + {len(explained)} candidate(s) the map itself may explain ({detail}); "
                         "not listed (see the JSON or Evidence.suggestions.to_frame())")
    return "\n".join(lines)

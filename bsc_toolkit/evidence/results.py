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
from .text import evidence_text, link_text, map_explanation, sections_text

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
    """Deep copy with NaN/inf -> None and numpy scalars -> Python numbers (JSON-safe).

    Dispatches on the exact type first: evidence records are mostly floats, strings, dicts
    and lists, and this runs for every record a run builds.
    """
    t = type(obj)
    if t is float:
        return obj if math.isfinite(obj) else None
    if t is str or t is bool or t is int or obj is None:
        return obj
    if t is dict:
        return {k if type(k) is str else str(k): _clean(v) for k, v in obj.items()}
    if t is list or t is tuple:
        return [_clean(v) for v in obj]
    if isinstance(obj, Mapping):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return int(obj)
    import numpy as np

    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
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

    def __reduce__(self) -> tuple[Any, ...]:  # pickle (a worker process sends results back)
        return (LinkResult, (self._d,))

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
        """How the link was estimated (a copy of the record's ``method``)."""
        return dict(self._d.get("method", {}))

    def get(self, key: str, default: Any = None) -> Any:
        """A field of the record as stored (read-only use: it is not copied)."""
        return self._d.get(key, default)

    @property
    def caveats(self) -> tuple[str, ...]:
        return tuple(self._d.get("caveats", []))

    @property
    def flags(self) -> tuple[str, ...]:
        """Qualifiers of the verdict: ``unstable`` (no verdict: explosive or unit-root dynamics),
        ``unit_root`` (a unit root is not ruled out in the levels the requested transform keeps)."""
        return tuple(self._d.get("flags", []))

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
        d = dict(self._d)  # shallow: records are never changed in place, so parts can be shared
        d.update(_clean(changes))
        new = LinkResult.__new__(LinkResult)
        object.__setattr__(new, "_d", d)
        return new

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
        """The link in full (verdict, method, terms, cumulative effect, multiplier, caveats)."""
        return link_text(self._d)

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
    """A link without a verdict: ``insufficient_data``, the reason, every estimate null (``extra``
    keeps some, e.g. the estimates of an unstable model, for inspection)."""
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
        # links may come as LinkResult objects (read-only and clean already: shared, not copied)
        links = tuple(x if isinstance(x, LinkResult) else LinkResult(x) for x in data.get("links", []))
        d = _clean({k: (None if k == "links" else v) for k, v in data.items()})  # the keys in the order given
        d["links"] = [lk._d for lk in links]
        object.__setattr__(self, "_d", d)
        object.__setattr__(self, "_links", links)
        object.__setattr__(self, "_source", None)  # the file it was loaded from, for messages

    @property
    def source(self) -> str | None:
        """The file this evidence was loaded from (None when built in memory)."""
        return self._source

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Evidence is read-only")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unpickle_evidence, (self._d, self._source))

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
        return copy.deepcopy(self._d)  # the links' records included

    def to_json(self, indent: int = 2) -> str:
        """The evidence file as text (what :meth:`save` writes; no copy of the records is made)."""
        return json.dumps(self._d, indent=indent, ensure_ascii=False, allow_nan=False) + "\n"

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
        """The verdict table with caveat marks (part of :attr:`summary`)."""
        text = self.summary
        start = text.index("\nlink ") + 1 if "\nlink " in text else 0
        return text[start:].split("\n\n")[0]

    @property
    def summary(self) -> str:
        """What ``bsc validate`` prints: verdicts with robustness and caveats, what was done, sections."""
        return evidence_text(self.to_dict())

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


def _unpickle_evidence(d: Mapping[str, Any], source: str | None) -> Evidence:
    ev = Evidence(d)
    object.__setattr__(ev, "_source", source)
    return ev

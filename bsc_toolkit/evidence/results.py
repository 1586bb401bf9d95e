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

from ..errors import DataError

__all__ = ["FORMAT", "Estimate", "Evidence", "LinkResult", "Term", "load_evidence"]

#: the value of the ``format`` key of every evidence file this version writes
FORMAT = "bsc-evidence/1"
VERDICTS = ("supported", "contradicted", "not_supported", "insufficient_data")


@dataclass(frozen=True)
class Term:
    """One coefficient: a lag of the driver (or of the outcome itself).

    Attributes
    ----------
    name : str
        ``"<kpi>.L<lag>"``, e.g. ``"training_hours.L1"``.
    lag : int
    estimate, std_error, p_value, ci_low, ci_high : float
    """

    name: str
    lag: int
    estimate: float
    std_error: float
    p_value: float
    ci_low: float
    ci_high: float

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
    """A derived estimate (long-run effect or multiplier); fields are None without a verdict."""

    estimate: float | None = None
    std_error: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimate": self.estimate,
            "std_error": self.std_error,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
        }


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
        return tuple(Term(**t) for t in self._d.get("terms", []))

    @property
    def own_terms(self) -> tuple[Term, ...]:
        return tuple(Term(**t) for t in self._d.get("own_terms", []))

    @property
    def long_run(self) -> Estimate:
        """Long-run effect: the sum of the driver-lag coefficients (long-run propensity)."""
        return Estimate(**(self._d.get("long_run") or {}))

    @property
    def long_run_multiplier(self) -> Estimate | None:
        """sum(b) / (1 - sum(rho)) with a delta-method SE; None without own lags."""
        lrm = self._d.get("long_run_multiplier")
        return Estimate(**lrm) if lrm else None

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
    drivers, chains, suggestions : list
        Empty in this version (filled by later modules).
    warnings : list of str

    Examples
    --------
    >>> from bsc_toolkit.evidence import load_evidence
    >>> ev = load_evidence("tests/data/evidence_retail_sample.json")  # doctest: +SKIP
    >>> ev.to_frame()[["from", "to", "verdict"]].head(2)  # doctest: +SKIP
    """

    __slots__ = ("_d", "_links")

    def __init__(self, data: Mapping[str, Any]):
        d = _clean(data)
        links = tuple(LinkResult(x) for x in d.get("links", []))
        object.__setattr__(self, "_d", d)
        object.__setattr__(self, "_links", links)

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
    def drivers(self) -> list[Any]:
        return copy.deepcopy(self._d.get("drivers", []))

    @property
    def chains(self) -> list[Any]:
        return copy.deepcopy(self._d.get("chains", []))

    @property
    def suggestions(self) -> list[Any]:
        return copy.deepcopy(self._d.get("suggestions", []))

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


_REQUIRED_LINK_KEYS = ("from", "to", "verdict")


def load_evidence(source: str | os.PathLike[str] | Mapping[str, Any] | Evidence) -> Evidence:
    """Read an evidence file (or dict in the evidence format) back into an :class:`Evidence`.

    Parameters
    ----------
    source : path, dict or Evidence
        A JSON file written by :meth:`Evidence.save` / ``bsc validate --json``, or its content.

    Raises
    ------
    DataError
        When the file is not JSON or not in the ``bsc-evidence/1`` format (the message says where).

    Examples
    --------
    >>> ev = load_evidence("evidence.json")  # doctest: +SKIP
    >>> ev.counts()  # doctest: +SKIP
    """
    if isinstance(source, Evidence):
        return source
    name = "<dict>"
    if isinstance(source, Mapping):
        data = dict(source)
    else:
        name = str(source)
        try:
            text = Path(source).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DataError("evidence file not found", file=name) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(f"not valid JSON: {exc.msg} at line {exc.lineno}", file=name) from None
    if not isinstance(data, Mapping):
        raise DataError(f"expected a JSON object, found {type(data).__name__}", file=name)
    fmt = data.get("format")
    if fmt != FORMAT:
        raise DataError(f"key 'format' must be '{FORMAT}', found {fmt!r}", file=name)
    links = data.get("links")
    if not isinstance(links, Sequence) or isinstance(links, str):
        raise DataError("key 'links' must be a list", file=name)
    for i, lk in enumerate(links):
        if not isinstance(lk, Mapping):
            raise DataError(f"links[{i}] must be an object", file=name)
        for key in _REQUIRED_LINK_KEYS:
            if key not in lk:
                raise DataError(f"links[{i}] lacks the key '{key}'", file=name)
        if lk["verdict"] not in VERDICTS:
            raise DataError(
                f"links[{i}].verdict must be one of {VERDICTS}, found {lk['verdict']!r}", file=name
            )
    return Evidence(data)

"""Reading evidence files: the one reader every stage uses, with located schema errors.

:func:`read_evidence_data` turns a path (or a mapping) into the plain dictionary of the
``bsc-evidence/1`` format (``docs/evidence-format.md``) after checking the parts that
downstream code relies on; every problem is a :class:`~bsc_toolkit.errors.DataError`
naming the file and the place (``links[3].long_run.estimate``). The file is bounded in
size and nesting, so a hostile file cannot exhaust memory.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import DataError

__all__ = ["FORMAT", "MAX_BYTES", "VERDICTS", "read_evidence_data", "check_evidence"]

#: the value of the ``format`` key of every evidence file this version writes
FORMAT = "bsc-evidence/1"
VERDICTS = ("supported", "contradicted", "not_supported", "insufficient_data")
#: largest evidence file read (bytes)
MAX_BYTES = 200 * 1024 * 1024
#: deepest nesting of objects/lists accepted
MAX_DEPTH = 40

_ESTIMATE_KEYS = ("estimate", "std_error", "ci_low", "ci_high", "p_value")
_NUMBER_KEYS = ("p_value", "joint_p_value", "q_value", "standardized_effect")
_INT_KEYS = ("n_obs", "n_dropped", "n_units", "n_periods")


def _show(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


def _kind(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false",
            type(None): "null"}.get(type(v), "a number" if isinstance(v, (int, float)) else type(v).__name__)


def _is_num(v: Any) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v))


def _depth(obj: Any, limit: int) -> int:
    """Nesting depth, iteratively (a deeply nested file cannot exhaust the stack)."""
    stack = [(obj, 1)]
    worst = 0
    while stack:
        o, d = stack.pop()
        worst = max(worst, d)
        if worst > limit:
            return worst
        if isinstance(o, Mapping):
            stack.extend((v, d + 1) for v in o.values())
        elif isinstance(o, list):
            stack.extend((v, d + 1) for v in o)
    return worst


class _Checker:
    def __init__(self, name: str):
        self.name = name

    def fail(self, where: str, what: str, found: Any) -> None:
        raise DataError(f"{where} must be {what}, found {_kind(found)} {_show(found)}", file=self.name)

    def obj(self, v: Any, where: str, optional: bool = False) -> None:
        if optional and v is None:
            return
        if not isinstance(v, Mapping):
            self.fail(where, "an object", v)

    def lst(self, v: Any, where: str) -> None:
        if not isinstance(v, list):
            self.fail(where, "a list", v)

    def num(self, v: Any, where: str) -> None:
        if not _is_num(v):
            self.fail(where, "a finite number or null", v)

    def text(self, v: Any, where: str) -> None:
        if not isinstance(v, str):
            self.fail(where, "a string", v)

    def estimate(self, v: Any, where: str) -> None:
        self.obj(v, where, optional=True)
        for k in _ESTIMATE_KEYS:
            if v is not None and k in v:
                self.num(v[k], f"{where}.{k}")

    def link(self, lk: Any, i: int) -> None:
        w = f"links[{i}]"
        self.obj(lk, w)
        for key in ("from", "to", "verdict"):
            if key not in lk:
                raise DataError(f"{w} lacks the key '{key}'", file=self.name)
        for key in ("from", "to", "from_kpi", "to_kpi", "reason"):
            if key in lk:
                self.text(lk[key], f"{w}.{key}")
        if lk["verdict"] not in VERDICTS:
            raise DataError(f"{w}.verdict must be one of {', '.join(VERDICTS)}, found "
                            f"{_show(lk['verdict'])}", file=self.name)
        for key in _NUMBER_KEYS:
            if key in lk:
                self.num(lk[key], f"{w}.{key}")
        for key in _INT_KEYS:
            if key in lk and not (isinstance(lk[key], int) and not isinstance(lk[key], bool)):
                self.fail(f"{w}.{key}", "a whole number", lk[key])
        for key in ("long_run", "long_run_multiplier"):
            if key in lk:
                self.estimate(lk[key], f"{w}.{key}")
        for key in ("terms", "own_terms"):
            if key in lk:
                self.lst(lk[key], f"{w}.{key}")
                for j, t in enumerate(lk[key]):
                    self.estimate(t, f"{w}.{key}[{j}]")
                    if t is None:
                        self.fail(f"{w}.{key}[{j}]", "an object", t)
        if "method" in lk:
            self.obj(lk["method"], f"{w}.method")
            lags = lk["method"].get("lags", [])
            if not isinstance(lags, list) or not all(isinstance(x, int) and not isinstance(x, bool)
                                                     for x in lags):
                self.fail(f"{w}.method.lags", "a list of whole numbers", lags)
        if "caveats" in lk:
            self.lst(lk["caveats"], f"{w}.caveats")
            for j, c in enumerate(lk["caveats"]):
                self.text(c, f"{w}.caveats[{j}]")
        if "robustness" in lk and lk["robustness"] is not None:
            self.obj(lk["robustness"], f"{w}.robustness")
        if "dynamics" in lk and lk["dynamics"] is not None:
            self.dynamics(lk["dynamics"], f"{w}.dynamics")

    def dynamics(self, d: Any, w: str) -> None:
        """The parts of a link's ``dynamics`` record that chains and levers read."""
        self.obj(d, w)
        if "coefficients" in d:
            self.lst(d["coefficients"], f"{w}.coefficients")
            for j, c in enumerate(d["coefficients"]):
                self.obj(c, f"{w}.coefficients[{j}]")
                for key in ("raw", "corrected"):
                    if key not in c:
                        raise DataError(f"{w}.coefficients[{j}] lacks the key '{key}'", file=self.name)
                    self.num(c[key], f"{w}.coefficients[{j}].{key}")
        if "applies_to" in d:
            self.lst(d["applies_to"], f"{w}.applies_to")
            for j, a in enumerate(d["applies_to"]):
                self.text(a, f"{w}.applies_to[{j}]")
        if "long_run_multiplier" in d:
            self.estimate(d["long_run_multiplier"], f"{w}.long_run_multiplier")


def check_evidence(data: Any, name: str = "<evidence>") -> dict[str, Any]:
    """Check a decoded evidence document; returns it as a dict or raises a located DataError."""
    c = _Checker(name)
    if not isinstance(data, Mapping):
        raise DataError(f"expected a JSON object, found {_kind(data)}", file=name)
    if _depth(data, MAX_DEPTH) > MAX_DEPTH:
        raise DataError(f"nested deeper than {MAX_DEPTH} levels; not an evidence file", file=name)
    fmt = data.get("format")
    if fmt != FORMAT:
        raise DataError(f"key 'format' must be '{FORMAT}', found {_show(fmt)}; is this a file "
                        f"written by `bsc validate --json`?", file=name)
    if "links" not in data:
        raise DataError("key 'links' is missing", file=name)
    links = data["links"]
    if not isinstance(links, list):
        raise DataError(f"key 'links' must be a list, found {_kind(links)}", file=name)
    for i, lk in enumerate(links):
        c.link(lk, i)
    for sec in ("drivers", "chains", "suggestions"):
        items = data.get(sec, [])
        if items is None:
            continue
        if not isinstance(items, list):
            raise DataError(f"key '{sec}' must be a list, found {_kind(items)}", file=name)
        for i, it in enumerate(items):
            if not isinstance(it, Mapping):
                raise DataError(f"{sec}[{i}] must be an object, found {_kind(it)}", file=name)
    for sec in ("data", "settings", "multiple_testing", "discovery"):
        if sec in data:
            c.obj(data[sec], sec, optional=sec == "discovery")
    if "scorecard" in data:
        c.text(data["scorecard"], "scorecard")
    if "warnings" in data:
        c.lst(data["warnings"], "warnings")
        for j, w in enumerate(data["warnings"]):
            c.text(w, f"warnings[{j}]")
    return dict(data)


def read_evidence_data(source: str | os.PathLike[str] | Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The checked evidence dictionary and its name (file path, or ``<dict>``)."""
    if isinstance(source, Mapping):
        return check_evidence(source, "<dict>"), "<dict>"
    if not isinstance(source, (str, os.PathLike)):
        raise DataError(f"evidence must be a file path, a dict or an Evidence, got {type(source).__name__}")
    name = str(source)
    path = Path(source)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise DataError("is a folder, not an evidence file (write one with `bsc validate --json FILE`)",
                            file=name)
        if size > MAX_BYTES:
            raise DataError(f"is {size / 1e6:.0f} MB, larger than the {MAX_BYTES // 2**20} MB an "
                            f"evidence file can be", file=name)
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError("evidence file not found", file=name) from None
    except PermissionError:
        raise DataError("evidence file cannot be read (permission denied)", file=name) from None
    except OSError as exc:
        raise DataError(f"evidence file cannot be read: {exc.strerror or exc}", file=name) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text (byte {exc.start}); not an evidence file", file=name) from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise DataError(f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                        file=name) from None
    except RecursionError:
        raise DataError(f"nested deeper than {MAX_DEPTH} levels; not an evidence file", file=name) from None
    except ValueError as exc:  # NaN / Infinity
        raise DataError(f"not valid JSON: {exc}", file=name) from None
    return check_evidence(data, name), name


def _no_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a number JSON allows (evidence files write null)")


def is_sequence(v: Any) -> bool:
    return isinstance(v, Sequence) and not isinstance(v, (str, bytes))

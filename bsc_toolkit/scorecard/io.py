"""Loading and saving scorecard files (YAML or JSON) with located errors.

Every problem is reported with the file, the path inside the document
(``objectives[3].kpis[0].direction``) and, for YAML, the line.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ValidationError

from .._io import atomic_write
from ..errors import Problem, ScorecardError, clip
from . import _yaml
from .examples import example_path, list_examples
from .model import Scorecard, reference_problems

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

__all__ = [
    "dump_yaml", "load_example", "load_scorecard", "parse_scorecard", "save_scorecard", "scorecard_from_data",
]


def _format_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = str(part)  # a key from the file: identifiers are <= 64 characters, anything longer is cut
            out += ("." if out else "") + (name if len(name) <= 80 else name[:60] + "…")
    return out


def _parse_path(path: str) -> tuple:
    parts: list[Any] = []
    for chunk in path.replace("]", "").split("."):
        pieces = chunk.split("[")
        if pieces[0]:
            parts.append(pieces[0])
        parts.extend(int(p) for p in pieces[1:])
    return tuple(parts)


def _line_for(lines: dict[tuple, int], loc: tuple) -> int | None:
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(()) if lines else None


def _allowed_keys(data: Any, loc: tuple) -> str:
    """The keys a model accepts at ``loc`` (for 'unknown key' messages)."""
    from .model import KPI, Generator, Initiative, Link, Objective, Thresholds

    models: dict[tuple[str | int, ...], type[BaseModel]] = {
        (): Scorecard,
        ("objectives",): Objective,
        ("objectives", "kpis"): KPI,
        ("objectives", "kpis", "thresholds"): Thresholds,
        ("links",): Link,
        ("initiatives",): Initiative,
        ("generator",): Generator,
    }
    shape = tuple(p for p in loc[:-1] if not isinstance(p, int))
    model = models.get(shape)
    if model is None:
        return "?"
    names = [f.alias or name for name, f in model.model_fields.items()]
    return ", ".join(names)


def _describe(err: ErrorDetails, data: Any) -> str:
    loc = tuple(err.get("loc", ()))
    typ = err.get("type", "")
    key = loc[-1] if loc else ""
    if typ == "extra_forbidden":
        return f"unknown key {clip(str(key), 60)} (allowed here: {_allowed_keys(data, loc)})"
    if typ == "missing":
        return f"required key '{key}' is missing"
    if typ in ("literal_error", "enum"):
        expected = err.get("ctx", {}).get("expected", "")
        return f"`{key}` must be one of {expected}, got {clip(err.get('input'))}"
    if typ == "string_pattern_mismatch":
        return (f"`{key}` must be an identifier (letters, digits and underscores, not starting with a "
                f"digit, e.g. 'customer_retention'), got {clip(err.get('input'))}")
    msg = err.get("msg", "invalid value")
    if "input" in err and typ not in ("bsc_reference", "model_type", "dict_type"):
        inp = err["input"]
        if not isinstance(inp, (dict, list)):
            return f"{msg}, got {clip(inp)}"
    return msg


def _pydantic_problems(exc: ValidationError, data: Any, lines: dict[tuple, int]) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        # pydantic puts union/enum branches into loc; keep only document keys
        loc = tuple(p for p in loc if isinstance(p, int) or not str(p).startswith(("function-", "lax-", "json-")))
        if err.get("type") == "bsc_reference":
            ctx = err.get("ctx", {})
            loc = (*loc, *_parse_path(ctx.get("path", "")))
            message = ctx.get("message", err.get("msg", ""))
        else:
            message = _describe(err, data)
        problems.append(Problem(_format_path(loc), message, _line_for(lines, loc)))
    return problems


def scorecard_from_data(
    data: Any, *, file: str | None = None, lines: dict[tuple, int] | None = None
) -> Scorecard:
    """Validate plain data (from YAML, JSON or an LLM) into a :class:`Scorecard`.

    Raises
    ------
    ScorecardError
        With every problem located (path and, when ``lines`` is given, line).
    """
    lines = lines or {}
    if not isinstance(data, dict):
        raise ScorecardError([Problem("", _not_a_scorecard(data), 1 if lines else None)], file)
    fmt = data.get("format")
    if isinstance(fmt, str) and fmt.startswith("bsc-") and "objectives" not in data:
        what = {"bsc-evidence": "an evidence file (from `bsc validate --json`)",
                "bsc-simulation-truth": "the truth file of a simulation (truth.json)"}.get(
                    fmt.split("/")[0], f"a '{fmt}' file")
        raise ScorecardError([Problem("", f"this is {what}, not a scorecard; expected a mapping with 'name' "
                                          "and 'objectives'", 1 if lines else None)], file)
    known = set(Scorecard.model_fields) | {f.alias for f in Scorecard.model_fields.values() if f.alias}
    if data and "objectives" not in data and not (set(map(str, data)) & known):
        keys = ", ".join(_key_name(k) for k in list(data)[:6]) + (", ..." if len(data) > 6 else "")
        raise ScorecardError([Problem("", f"not a scorecard: expected the keys 'name' and 'objectives' at the "
                                          f"top, found {keys}", 1 if lines else None)], file)
    try:
        return Scorecard.model_validate(data)
    except ValidationError as exc:
        problems = _pydantic_problems(exc, data, lines)
        if any(p.message and e.get("type") == "bsc_reference" for p, e in zip(problems, exc.errors(), strict=False)):
            # collect every cross-reference problem, not just the first one
            try:
                sc = Scorecard.model_validate(data, context={"skip_references": True})
            except ValidationError:
                pass
            else:
                problems = [
                    Problem(path, msg, _line_for(lines, _parse_path(path)))
                    for path, msg in reference_problems(sc)
                ]
        raise ScorecardError(problems, file) from None


def _key_name(key: Any) -> str:
    """A top-level key of a file that is not a scorecard, quoted only when it looks like a name."""
    k = str(key)
    return repr(k) if len(k) <= 40 and k.replace("_", "a").replace("-", "a").isalnum() else "(a key that is not a name)"


def _not_a_scorecard(data: Any) -> str:
    """What to say when a document is not a mapping at all (a CSV, a list, an empty file).

    The content of such a file is never quoted: it may be any file (``.env``, a key
    file) named by mistake or by a generated ``parent:``.
    """
    expected = "expected a mapping with 'name' and 'objectives' at the top (a scorecard)"
    if data is None:
        return f"{expected}, got an empty document"
    if isinstance(data, str):
        first = data.strip().splitlines()[0] if data.strip() else ""
        hint = ""
        if first.count(",") >= 2 or first.count(";") >= 2 or "\t" in first:
            hint = " (this looks like a table of KPI history; give data files with --data)"
        return f"{expected}, got a line of text ({len(data):,} characters, not shown){hint}"
    if isinstance(data, list):
        return f"{expected}, got a list of {len(data)} item(s)"
    kind = "a number" if isinstance(data, (int, float)) else f"a {type(data).__name__}"
    return f"{expected}, got {kind}"


def parse_scorecard(text: str, *, file: str | None = None, format: str | None = None) -> Scorecard:
    """Parse YAML or JSON text into a :class:`Scorecard` (JSON is YAML, so YAML is the default).

    The text is read by the bounded loader (:mod:`bsc_toolkit.scorecard._yaml`): size,
    nesting and alias expansion are limited and duplicate keys refused, in YAML and JSON.

    Examples
    --------
    >>> parse_scorecard("name: Tiny\\nobjectives: []").name
    'Tiny'
    """
    fmt = (format or "yaml").lower()
    try:
        if fmt == "json":
            data = _yaml.load_json(text, what="scorecard")
            return scorecard_from_data(data, file=file, lines=_json_lines(text))
        data, node = _yaml.load_yaml(text, what="scorecard")
    except json.JSONDecodeError as exc:
        raise ScorecardError([Problem("", f"malformed JSON: {exc.msg} (column {exc.colno})", exc.lineno)],
                             file) from None
    except _yaml.DocumentError as exc:
        raise ScorecardError([Problem("", str(exc.problem), exc.line)], file) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "malformed YAML"
        raise ScorecardError([Problem("", f"malformed YAML: {what}", line)], file) from None
    except yaml.YAMLError as exc:  # pragma: no cover - other parser errors
        raise ScorecardError([Problem("", f"malformed YAML: {clip(str(exc))}")], file) from None
    return scorecard_from_data(data, file=file, lines=_yaml.line_index(node))


def _json_lines(text: str) -> dict[tuple, int]:
    # JSON is a subset of YAML 1.2 in practice; use the (bounded) YAML composer for line numbers.
    try:
        return _yaml.line_index(_yaml.load_yaml(text)[1])
    except (yaml.YAMLError, ValueError):
        return {}


def load_scorecard(path: str | os.PathLike[str]) -> Scorecard:
    """Load a scorecard from a YAML or JSON file, or a shipped example by name.

    Parameters
    ----------
    path : str or path-like
        A ``.yaml``/``.yml``/``.json`` file, or the name of a shipped example
        (see :func:`bsc_toolkit.scorecard.list_examples`).

    Raises
    ------
    ScorecardError
        When the file is missing, malformed or inconsistent; the message names
        the file, the place inside it and the line.

    Examples
    --------
    >>> from bsc_toolkit.scorecard import load_scorecard
    >>> sc = load_scorecard("retail")
    >>> sc.name
    'Northwind Retail'
    """
    p = Path(path)
    if not p.exists():
        if str(path) in list_examples():
            p = example_path(str(path))
        else:
            raise ScorecardError(
                [Problem("", f"file not found (and not a shipped example: {', '.join(list_examples())})")],
                str(path),
            )
    if p.is_dir():
        raise ScorecardError([Problem("", "is a folder; expected a .yaml or .json scorecard file")], str(path))
    try:
        text = _yaml.read_text(p, "scorecard file")
    except _yaml.DocumentError as exc:
        raise ScorecardError([Problem("", str(exc.problem))], str(path)) from None
    except UnicodeDecodeError as exc:
        raise ScorecardError([Problem("", f"not UTF-8 text ({exc.reason} at byte {exc.start})")], str(path)) from None
    fmt = "json" if p.suffix.lower() == ".json" else "yaml"
    return parse_scorecard(text, file=str(path), format=fmt)


def load_example(name: str) -> Scorecard:
    """Load a shipped example scorecard by name (``retail``, ``hospital``, ``software``, ...).

    Examples
    --------
    >>> load_example("retail").name
    'Northwind Retail'
    """
    return load_scorecard(example_path(name))


def dump_yaml(sc: Scorecard) -> str:
    """YAML text of a scorecard, keys in file order, unset fields omitted."""
    return _yaml.dump(sc.to_dict())


def save_scorecard(sc: Scorecard, path: str | os.PathLike[str]) -> Path:
    """Write a scorecard atomically; ``.json`` gives JSON, anything else YAML."""
    p = Path(path)
    text = sc.to_json() if p.suffix.lower() == ".json" else dump_yaml(sc)
    return atomic_write(p, text)

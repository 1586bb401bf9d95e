"""The one bounded YAML/JSON loader (and the YAML dumper) of the package.

Scorecards, briefs and actuals files are read here, and nowhere else, so every
document gets the same guard rails:

* size: at most :data:`bsc_toolkit._limits.MAX_DOCUMENT_BYTES`;
* nesting: at most :data:`~bsc_toolkit._limits.MAX_YAML_DEPTH` levels;
* aliases: the document's size *with every alias expanded* is at most
  :data:`~bsc_toolkit._limits.MAX_YAML_NODES` values, so a 300-byte "billion
  laughs" alias bomb is refused at the alias that crosses the limit instead of
  hanging the process;
* duplicate keys are refused in YAML and JSON alike (YAML and ``json`` silently
  keep the last one).

Limits are checked on the parser's event stream (libyaml when available, a
linear scan for JSON) before a tree is built, so a refused document costs
little. Breaking a rule raises :class:`DocumentError`, a
:class:`yaml.MarkedYAMLError` that knows its line, so callers report it like any
YAML error; malformed YAML and JSON raise PyYAML's and ``json``'s own errors.

This module is a leaf: it imports nothing from the scorecard package, so the
model, the examples and the file functions can all use it without import cycles.
"""

from __future__ import annotations

import json
import os
import re
from itertools import accumulate
from typing import Any, Protocol

import yaml

from .. import _limits

__all__ = ["DocumentError", "check_size", "dump", "line_index", "load_json", "load_yaml", "read_text"]

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~30x faster


class DocumentError(yaml.MarkedYAMLError):
    """A document breaks a rule of the loader: too large, too deep, an alias bomb, a duplicate key.

    Attributes
    ----------
    problem : str
        What is wrong, in one phrase.
    line : int or None
        The 1-based line, when known.
    """

    def __init__(self, problem: str, line: int | None = None) -> None:
        mark = yaml.Mark("<document>", 0, line - 1, 0, None, 0) if line else None  # no buffer: no snippet
        super().__init__(problem=problem, problem_mark=mark)
        self.line = line


class _Loader(_BaseLoader):
    """Safe loader that refuses duplicate mapping keys."""


def _construct_mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            seen = key in mapping
        except TypeError:  # an unhashable key (a list or mapping used as a key)
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value, not a list or mapping", key_node.start_mark
            ) from None
        if seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {_quote(key)}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _quote(value: Any) -> str:
    from ..errors import clip

    return clip(value if isinstance(value, str) else str(value), 60)


def _n_bytes(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def check_size(n_bytes: int, what: str = "document") -> None:
    """Refuse a document larger than :data:`~bsc_toolkit._limits.MAX_DOCUMENT_BYTES`.

    Examples
    --------
    >>> check_size(1000)
    >>> check_size(10**9, "scorecard file")
    Traceback (most recent call last):
    ...
    bsc_toolkit.scorecard._yaml.DocumentError: the scorecard file is 1,000,000,000 bytes; at most 4,194,304 bytes are read
    """
    if n_bytes > _limits.MAX_DOCUMENT_BYTES:
        raise DocumentError(f"the {what} is {n_bytes:,} bytes; at most {_limits.MAX_DOCUMENT_BYTES:,} bytes are read")


def read_text(path: str | os.PathLike[str], what: str = "document", encoding: str = "utf-8") -> str:
    """Read a text file, at most :data:`~bsc_toolkit._limits.MAX_DOCUMENT_BYTES` bytes of it.

    The read itself is bounded, so ``/dev/zero`` or a growing log cannot hold the process.

    Raises
    ------
    DocumentError
        The file is larger than the limit.
    UnicodeDecodeError
        It is not text in ``encoding``.

    Examples
    --------
    >>> read_text("/dev/zero", "scorecard file")
    Traceback (most recent call last):
    ...
    bsc_toolkit.scorecard._yaml.DocumentError: the scorecard file is larger than 4,194,304 bytes; at most 4,194,304 bytes are read
    """
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size:  # a regular file: say how large it is
            check_size(size, what)
        data = fh.read(_limits.MAX_DOCUMENT_BYTES + 1)
    if len(data) > _limits.MAX_DOCUMENT_BYTES:
        raise DocumentError(f"the {what} is larger than {_limits.MAX_DOCUMENT_BYTES:,} bytes; at most "
                            f"{_limits.MAX_DOCUMENT_BYTES:,} bytes are read")
    return data.decode(encoding)


def _check_events(text: str) -> None:
    """Walk the parser's events once: nesting depth and expanded size (aliases counted in full)."""
    sizes: dict[str, int] = {}  # anchor -> expanded size of the node it names
    stack: list[tuple[int, str | None]] = []  # open collections: (running total at start, anchor)
    total = 0
    loader = _BaseLoader(text)
    try:
        while loader.check_event():
            ev = loader.get_event()
            if isinstance(ev, (yaml.ScalarEvent, yaml.AliasEvent)):
                n = sizes.get(ev.anchor or "", 1) if isinstance(ev, yaml.AliasEvent) else 1
                total += n
                if isinstance(ev, yaml.ScalarEvent) and ev.anchor:
                    sizes[ev.anchor] = 1
            elif isinstance(ev, yaml.CollectionStartEvent):
                stack.append((total, ev.anchor))
                total += 1
                if len(stack) > _limits.MAX_YAML_DEPTH:
                    raise DocumentError(f"nested deeper than {_limits.MAX_YAML_DEPTH} levels",
                                        _line(ev.start_mark))
            elif isinstance(ev, yaml.CollectionEndEvent):
                start, anchor = stack.pop()
                if anchor:
                    sizes[anchor] = total - start
            else:
                continue
            if total > _limits.MAX_YAML_NODES:
                why = " (aliases expanded)" if sizes else ""
                raise DocumentError(f"more than {_limits.MAX_YAML_NODES:,} values{why}; a scorecard or "
                                    "brief needs far fewer (is this a YAML alias bomb?)",
                                    _line(ev.start_mark))
    finally:
        loader.dispose()


class _Mark(Protocol):
    """A parser position (PyYAML's Mark or libyaml's)."""

    line: int


def _line(mark: _Mark | None) -> int | None:
    """The 1-based line of a parser mark (None without one)."""
    return mark.line + 1 if mark is not None else None


def _located(exc: yaml.YAMLError, text: str) -> DocumentError | None:
    """Our own message for the parser errors that carry no line (or libyaml's wording for depth)."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        return DocumentError(f"character #x{code:04x} is not allowed in YAML ({exc.reason})", line)
    problem = getattr(exc, "problem", None) or ""
    if "nesting depth" in problem:  # libyaml's own (larger) depth limit
        return DocumentError(f"nested deeper than {_limits.MAX_YAML_DEPTH} levels",
                             _line(getattr(exc, "problem_mark", None)))
    return None


def load_yaml(text: str, *, what: str = "document") -> tuple[Any, yaml.Node | None]:
    """Parse YAML text within the limits; return the data and the node tree (for line numbers).

    Raises
    ------
    DocumentError
        Too large, too deep, too many values (alias bomb) or a duplicate key, with the line.
    yaml.MarkedYAMLError
        Malformed YAML, with the line.

    Examples
    --------
    >>> load_yaml("a: [1, 2]")[0]
    {'a': [1, 2]}
    >>> load_yaml("a: 1\\na: 2")
    Traceback (most recent call last):
    ...
    yaml.constructor.ConstructorError: duplicate key 'a'
      in "<unicode string>", line 2, column 1
    """
    check_size(_n_bytes(text), what)
    try:
        _check_events(text)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except (yaml.reader.ReaderError, yaml.MarkedYAMLError) as exc:
        if isinstance(exc, DocumentError):
            raise
        located = _located(exc, text)
        if located is None:
            raise
        raise located from None
    return data, node


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise DocumentError(f"duplicate key {_quote(key)}")
        out[key] = value
    return out


def load_json(text: str, *, what: str = "document") -> Any:
    """Parse JSON text within the limits (size, nesting), refusing duplicate keys.

    Raises
    ------
    DocumentError
        Too large, too deep or a duplicate key (with the line where it can be found).
    json.JSONDecodeError
        Malformed JSON.

    Examples
    --------
    >>> load_json('{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> load_json('{"a": 1,\\n "a": 2}')
    Traceback (most recent call last):
    ...
    bsc_toolkit.scorecard._yaml.DocumentError: duplicate key 'a'
      in "<document>", line 2, column 1
    """
    check_size(_n_bytes(text), what)
    bare = _JSON_STRING.sub('""', text)  # brackets inside strings do not nest
    steps = [1 if c in "[{" else -1 for c in _JSON_BRACKET.findall(bare)]
    if steps and max(accumulate(steps)) > _limits.MAX_YAML_DEPTH:
        depth, pos = 0, 0
        for m in _JSON_BRACKET.finditer(bare):
            depth += 1 if m.group() in "[{" else -1
            if depth > _limits.MAX_YAML_DEPTH:
                pos = m.start()
                break
        raise DocumentError(f"nested deeper than {_limits.MAX_YAML_DEPTH} levels", bare.count("\n", 0, pos) + 1)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except DocumentError as exc:
        raise DocumentError(exc.problem or "duplicate key", _duplicate_line(text)) from None


def _duplicate_line(text: str) -> int | None:
    """The line of the first duplicate key (JSON is YAML to the composer), when it can be found."""
    try:
        node = yaml.compose(text, Loader=_BaseLoader)
    except yaml.YAMLError:
        return None
    todo = [node] if node is not None else []
    while todo:
        n = todo.pop()
        if isinstance(n, yaml.MappingNode):
            keys: set[Any] = set()
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in keys:
                        return k.start_mark.line + 1
                    keys.add(k.value)
                todo.append(v)
        elif isinstance(n, yaml.SequenceNode):
            todo.extend(n.value)
    return None


def line_index(node: yaml.Node | None) -> dict[tuple, int]:
    """Map every path (tuple of keys and indices) in a composed YAML tree to its 1-based line.

    A node reached again through an alias is not walked again (its lines are those of the anchor).

    Examples
    --------
    >>> line_index(load_yaml("a:\\n  - x\\n  - y")[1])[("a", 1)]
    3
    """
    index: dict[tuple, int] = {}
    seen: set[int] = set()

    def walk(n: yaml.Node, path: tuple) -> None:
        index[path] = n.start_mark.line + 1
        if id(n) in seen:
            return
        seen.add(id(n))
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else str(k)
                here = (*path, key)
                walk(v, here)
                # the key's own line is where the problem is for a missing/unknown value
                index[here] = k.start_mark.line + 1
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, (*path, i))

    if node is not None:
        walk(node, ())
    return index


class _Dumper(yaml.SafeDumper):
    pass


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    # short lists of scalars (lags, supports) read best inline: lags: [0, 1]
    flow = len(data) <= 6 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(str, _represent_str)


def dump(data: Any) -> str:
    """YAML text of plain data, keys in the given order (how scorecards are written).

    Examples
    --------
    >>> print(dump({"name": "Tiny", "lags": [0, 1]}), end="")
    name: Tiny
    lags: [0, 1]
    """
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                     width=100)

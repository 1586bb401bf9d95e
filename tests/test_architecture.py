"""The package's structure holds: no import cycles, no private names across modules, short functions.

The import graph counts every import of a ``bsc_toolkit`` module, at module level or inside a
function (a lazy import is still a dependency), except imports under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "bsc_toolkit"
#: longest function allowed in the evidence engine (lines of code: the docstring is not counted)
MAX_FUNCTION_LINES = 120


def _modname(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(path: Path, modules: set[str]) -> list[tuple[str, list[str], int]]:
    """(imported module, names imported from it, line) for every bsc_toolkit import in a file."""
    me = _modname(path)
    pkg = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for sub in node.body:
                for n in ast.walk(sub):
                    skip.add(id(n))
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("bsc_toolkit"):
                    out.append((a.name, [], node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("bsc_toolkit"):
                continue
            names = [a.name for a in node.names]
            # `from . import guards`: the names are submodules
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            if subs:
                out.extend((s, [], node.lineno) for s in subs)
            else:
                out.append((target, names, node.lineno))
    return out


def _graph() -> tuple[dict[str, set[str]], dict[str, list[tuple[str, list[str], int]]]]:
    files = {_modname(p): p for p in PKG.rglob("*.py")}
    modules = set(files)
    edges: dict[str, set[str]] = {m: set() for m in modules}
    raw = {}
    for m, p in files.items():
        raw[m] = _imports(p, modules)
        for target, _, _ in raw[m]:
            if target in modules and target != m:
                edges[m].add(target)
    return edges, raw


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def _ancestor_edges(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """Drop edges from a module to its own packages' __init__ (importing a sibling runs it)."""
    return {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in edges.items()}


#: cycles being removed on other branches (history readers, scorecard YAML leaf); empty when merged
KNOWN_CYCLES: list[list[str]] = []
KNOWN_PRIVATE: list[str] = []


def test_no_import_cycles_anywhere() -> None:
    edges, _ = _graph()
    cycles = [c for c in _cycles(_ancestor_edges(edges)) if c not in KNOWN_CYCLES]
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_private_names_imported_across_modules() -> None:
    _, raw = _graph()
    bad = []
    for m, imps in raw.items():
        if m in KNOWN_PRIVATE:
            continue
        for target, names, line in imps:
            for n in names:
                if n.startswith("_") and not n.startswith("__"):
                    bad.append(f"{m}:{line} imports {n} from {target}")
    assert not bad, "\n".join(bad)


def _function_lengths(folder: Path) -> list[tuple[int, str]]:
    out = []
    for p in sorted(folder.rglob("*.py")):
        tree = ast.parse(p.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                doc = node.body[0] if node.body else None
                if isinstance(doc, ast.Expr) and isinstance(getattr(doc, "value", None), ast.Constant) \
                        and isinstance(doc.value.value, str):
                    n -= (doc.end_lineno or doc.lineno) - doc.lineno + 1  # docstrings don't count
                rel = p.relative_to(PKG.parent) if p.is_relative_to(PKG.parent) else p.name
                out.append((n, f"{rel}:{node.lineno} {node.name}"))
    return sorted(out, reverse=True)


def test_evidence_functions_are_short(capsys: pytest.CaptureFixture[str]) -> None:
    lengths = _function_lengths(PKG / "evidence")
    with capsys.disabled():
        print("\nlongest functions in bsc_toolkit/evidence: "
              + ", ".join(f"{name.split(' ')[1]} {n}" for n, name in lengths[:5]))
    too_long = [f"{name}: {n} lines" for n, name in lengths if n > MAX_FUNCTION_LINES]
    assert not too_long, "\n".join(too_long)


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The cycle finder and the private-name rule see what they should (on a made-up graph)."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
    f = tmp_path / "m.py"
    f.write_text("def f():\n" + "    x = 1\n" * 130)
    assert _function_lengths(tmp_path)[0][0] == 131

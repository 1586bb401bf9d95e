"""The :class:`StrategyMap` result: DOT source, rendering to files and notebook display."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .._io import atomic_path, check_not_inputs
from ..errors import MissingDependencyError, RenderError

__all__ = ["FORMATS", "DotNotFoundError", "StrategyMap", "run_dot"]

#: file extension -> graphviz output format (``dot`` writes the DOT source itself)
FORMATS: dict[str, str] = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
DOT_TIMEOUT = 120
PNG_DPI = 144

INSTALL_HINT = (
    "install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install -c conda-forge graphviz` or https://graphviz.org/download/; then check `dot -V`"
)


class DotNotFoundError(MissingDependencyError, RenderError):
    """The graphviz ``dot`` program is not installed (or not on PATH)."""


def run_dot(source: str, fmt: str, *, dpi: int | None = None, dot: str | None = None) -> bytes:
    """Run graphviz ``dot`` on DOT text and return the output bytes.

    Parameters
    ----------
    source : str
        DOT source.
    fmt : str
        A graphviz output format (``svg``, ``png``, ``pdf``).
    dpi : int, optional
        Resolution for bitmap output.
    dot : str, optional
        The ``dot`` executable (default: ``$BSC_DOT`` or ``dot`` on PATH).

    Raises
    ------
    DotNotFoundError
        ``dot`` is missing (a RenderError and a MissingDependencyError, with an install hint).
    RenderError
        ``dot`` failed or timed out; the message quotes what it printed.

    Examples
    --------
    >>> run_dot("digraph { a -> b }", "svg")[:5] in (b"<?xml", b"<svg ")
    True
    """
    exe = dot or os.environ.get("BSC_DOT") or "dot"
    path = shutil.which(exe)
    if path is None:
        raise DotNotFoundError(f"graphviz 'dot' program not found (looked for '{exe}'); {INSTALL_HINT}")
    cmd = [path, f"-T{fmt}"]
    if dpi:
        cmd.append(f"-Gdpi={int(dpi)}")
    try:
        proc = subprocess.run(cmd, input=source.encode("utf-8"), capture_output=True,
                              timeout=DOT_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise RenderError(f"graphviz 'dot -T{fmt}' did not finish within {DOT_TIMEOUT} s") from None
    except OSError as exc:
        raise RenderError(f"could not run graphviz '{path}': {exc}; {INSTALL_HINT}") from None
    if proc.returncode != 0 or not proc.stdout:
        msg = proc.stderr.decode("utf-8", "replace").strip() or f"exit code {proc.returncode}"
        raise RenderError(f"graphviz 'dot -T{fmt}' failed: {msg[:800]}")
    return proc.stdout


@dataclass(frozen=True, repr=False)
class StrategyMap:
    """A drawn strategy map.

    Attributes
    ----------
    source : str
        The DOT source (stable: the same scorecard and evidence give the same text).
    scorecard : str
        Name of the scorecard drawn.
    n_objectives, n_links, n_candidates : int
        Objectives (nodes), hypothesised links and candidate links (edges) drawn.
    n_implied : int
        Exploratory candidate links not drawn because the map itself may explain them
        (an indirect path, a shared driver, the reverse of a path).
    verdicts : dict
        Verdict -> number of scorecard links with it (empty without evidence).
    warnings : tuple of str
        Evidence that could not be drawn, parent references that do not exist, ...
    edges : tuple of dict
        One row per drawn link (see :meth:`to_frame`).
    legend : tuple of (str, str)
        The legend as text: one ``(mark, meaning)`` row per mark that appears on the map,
        in the legend's order (prose about the map can be generated from it).
    caveats : tuple of (int, str, tuple of str)
        The numbered caveat marks: ``(n, short name, links it is on)`` for each ``\u26a0n``.
    inputs : tuple of (str, str)
        ``(name, path)`` of the files the map was drawn from (scorecard, evidence, parent),
        when they were files: :meth:`render` refuses to write over one of them.
    """

    source: str
    scorecard: str = ""
    n_objectives: int = 0
    n_links: int = 0
    n_candidates: int = 0
    n_implied: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    edges: tuple[dict[str, Any], ...] = ()
    legend: tuple[tuple[str, str], ...] = ()
    caveats: tuple[tuple[int, str, tuple[str, ...]], ...] = ()
    inputs: tuple[tuple[str, str], ...] = ()

    @property
    def n_edges(self) -> int:
        """Links plus candidate links drawn."""
        return self.n_links + self.n_candidates

    def render(self, path: str | os.PathLike[str], *, dpi: int = PNG_DPI) -> Path:
        """Write the map to ``path``; the format comes from the extension (.svg .png .pdf .dot).

        The file is written atomically: if graphviz fails, an existing file at
        ``path`` is left untouched. A ``path`` that is one of the files the map was
        drawn from (:attr:`inputs`) is refused with an
        :class:`~bsc_toolkit.errors.OutputError`.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from bsc_toolkit.strategy_map import strategy_map
        >>> out = strategy_map("retail").render(pathlib.Path(tempfile.mkdtemp()) / "map.svg")
        >>> out.read_text()[:5]
        '<?xml'
        """
        p = Path(path)
        check_not_inputs({"path": p}, dict(self.inputs))
        fmt = FORMATS.get(p.suffix.lower())
        if fmt is None:
            raise RenderError(
                f"cannot tell the format of '{p}' from its extension '{p.suffix}'; "
                f"use one of {', '.join(FORMATS)}"
            )
        data = self.source.encode("utf-8") if fmt == "dot" else run_dot(
            self.source, fmt, dpi=dpi if fmt == "png" else None)
        with atomic_path(p) as tmp:
            tmp.write_bytes(data)
        return p

    def svg(self) -> str:
        """The map as SVG text (needs graphviz ``dot``)."""
        return self._svg

    @cached_property
    def _svg(self) -> str:
        return run_dot(self.source, "svg").decode("utf-8")

    def _repr_svg_(self) -> str | None:
        try:
            return self.svg()
        except RenderError:
            return None

    def _repr_html_(self) -> str:
        from html import escape

        try:
            body = self.svg()
            start = body.find("<svg")
            body = body[start:] if start >= 0 else body
        except RenderError as exc:
            body = f"<pre>{escape(str(exc))}</pre>"
        warn = "".join(f"<li>{escape(w)}</li>" for w in self.warnings)
        return (f'<div class="bsc-strategy-map" style="max-width:100%;overflow:auto">{body}'
                + (f"<ul>{warn}</ul>" if warn else "") + "</div>")

    @property
    def summary(self) -> str:
        lines = [f"Strategy map of '{self.scorecard}': {self.n_objectives} objectives, "
                 f"{self.n_links} links" + (f", {self.n_candidates} candidate link{'s' if self.n_candidates != 1 else ''}"
                    if self.n_candidates else "")]
        if self.n_implied:
            lines.append(f"{self.n_implied} exploratory candidate link(s) that the map itself may explain "
                         "(indirect path, shared driver or reverse of a path); not drawn")
        if self.verdicts:
            lines.append("Verdicts: " + ", ".join(f"{k.replace('_', ' ')} {v}"
                                                  for k, v in sorted(self.verdicts.items())))
        fragile = [f"{e['from']} -> {e['to']}" for e in self.edges if e.get("robustness") == "fragile"]
        if fragile:
            lines.append("Fragile verdicts (they change across defensible specifications): " + ", ".join(fragile))
        for n, key, links in self.caveats:
            lines.append(f"\u26a0{n} caveat: {key} ({len(links)} link{'s' if len(links) != 1 else ''})")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary

    def __repr__(self) -> str:
        """A short text form (the DOT source is in ``.source``), also what plain-text exports show."""
        return f"<StrategyMap: {self.summary.splitlines()[0][len('Strategy map of '):]}>"

    def to_frame(self):
        """One row per drawn edge: kind, from, to, their objectives, verdict, effect, lags, robustness
        label and caveat marks (the numbers of the \u26a0 marks, e.g. ``"1,2"``)."""
        import pandas as pd

        cols = ["kind", "from", "to", "from_objective", "to_objective", "verdict", "estimate",
                "standardized_effect", "lags", "reverse_flag", "robustness", "caveats"]
        return pd.DataFrame(list(self.edges), columns=cols)

"""Rendering a report ``.qmd``: Quarto when it is installed, pandoc + typst everywhere else.

* ``quarto``: ``quarto render index.qmd --to html,typst,docx`` in a scratch copy
  (so a surrounding Quarto project cannot interfere), outputs moved into place.
  PDF is made with Quarto's bundled typst (``--to typst``), which needs no LaTeX.
* ``pandoc+typst``: the pandoc 3 binary from the ``pypandoc_binary`` wheel reads
  the ``.qmd`` as Pandoc Markdown; two Lua filters (``figures.lua``, ``bsc.lua``)
  supply what Quarto would (callouts, numbered cross references, badges, PNG
  figures outside HTML). HTML is self-contained (``--embed-resources``), PDF is
  pandoc's typst output compiled by the ``typst`` wheel, DOCX is pandoc's.

Every output is written to a temporary name and moved into place.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from .._io import atomic_path, atomic_write
from ..errors import MissingDependencyError, RenderError

__all__ = [
    "FORMATS",
    "pandoc_convert",
    "pandoc_path",
    "quarto_path",
    "render_pandoc",
    "render_quarto",
    "template_path",
]

#: output formats a report can be rendered to, and their file extensions
FORMATS: dict[str, str] = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}

#: the Pandoc Markdown dialect the fallback reads a .qmd as
QMD_READER = "markdown+smart"


def template_path(name: str) -> Path:
    """Path of a bundled template file (Lua filter, typst template).

    Examples
    --------
    >>> template_path("bsc.lua").name
    'bsc.lua'
    """
    p = Path(str(resources.files("bsc_toolkit.report") / "templates" / name))
    if not p.exists():
        raise RenderError(f"bundled template '{name}' is missing from {p.parent} (broken installation?)")
    return p


def quarto_path() -> str | None:
    """The ``quarto`` executable on PATH, or None.

    Examples
    --------
    >>> quarto_path() is None or quarto_path().endswith("quarto")
    True
    """
    return shutil.which("quarto")


def pandoc_path() -> str:
    """The pandoc 3 binary shipped in the ``pypandoc_binary`` wheel.

    Debian's pandoc 2.x has no typst writer, so the system pandoc is never used.

    Examples
    --------
    >>> Path(pandoc_path()).name.startswith("pandoc")
    True
    """
    try:
        import pypandoc
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MissingDependencyError(
            "rendering reports without Quarto needs pandoc 3 from the 'pypandoc_binary' package: "
            "pip install pypandoc_binary"
        ) from exc
    try:
        path = pypandoc.get_pandoc_path()
    except OSError as exc:
        raise MissingDependencyError(
            f"pandoc was not found ({exc}); install the 'pypandoc_binary' package (pip install pypandoc_binary)"
        ) from exc
    return str(path)


def _run_pandoc(args: Sequence[str], *, cwd: Path | None = None, stdin: str | None = None) -> str:
    cmd = [pandoc_path(), *args]
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, input=stdin, capture_output=True, text=True, encoding="utf-8", timeout=300
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"pandoc timed out after 300 s: {' '.join(cmd[1:])}") from exc
    if proc.returncode != 0:
        err = (proc.stderr or "").strip().splitlines()
        raise RenderError(
            f"pandoc failed (exit {proc.returncode}) on {args[-1] if args else '<stdin>'} in "
            f"{cwd or os.getcwd()}: " + (" | ".join(err[-5:]) or "no message")
        )
    return proc.stdout


def pandoc_convert(text: str, *, to: str, fmt: str = "markdown", extra_args: Sequence[str] = ()) -> str:
    """Convert text with the bundled pandoc (used for sanitising Markdown).

    Examples
    --------
    >>> pandoc_convert("*hi*", to="html").strip()
    '<p><em>hi</em></p>'
    """
    return _run_pandoc(["-f", fmt, "-t", to, *extra_args], stdin=text)


def _colour_meta() -> str:
    from .style import CALLOUT_COLOURS, STATUS_COLOURS, verdict_colours

    colours: dict[str, str] = {}
    for k, v in STATUS_COLOURS.items():
        colours[f"status-{k.replace('_', '-')}"] = v
    for k, v in verdict_colours().items():
        colours[f"verdict-{k.replace('_', '-')}"] = v
    for k, v in CALLOUT_COLOURS.items():
        colours[f"callout-{k}"] = v
    return "bsc-colours:" + json.dumps(colours)


def _filters() -> list[str]:
    return [f"--lua-filter={template_path('figures.lua')}", f"--lua-filter={template_path('bsc.lua')}"]


def _typst_font_paths() -> list[str]:
    """Font folders for typst: matplotlib's bundled DejaVu fonts (always present here)."""
    try:
        import matplotlib

        p = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        return [str(p)] if p.is_dir() else []
    except Exception:  # pragma: no cover - matplotlib is a dependency
        return []


def render_pandoc(qmd: Path, formats: Sequence[str], *, toc: bool = True) -> dict[str, Path]:
    """Render ``qmd`` with pandoc (+ typst for PDF) into the same folder.

    Parameters
    ----------
    qmd : Path
        The Quarto document; figures are resolved relative to its folder.
    formats : sequence of {"html", "pdf", "docx"}
    toc : bool
        Add a table of contents.

    Returns
    -------
    dict
        Format -> path of the written file.

    Examples
    --------
    >>> from pathlib import Path; import tempfile
    >>> d = Path(tempfile.mkdtemp()); _ = (d / "index.qmd").write_text("---\\ntitle: T\\n---\\n\\nHello\\n")
    >>> sorted(render_pandoc(d / "index.qmd", ["html"]))
    ['html']
    """
    qmd = Path(qmd).resolve()
    folder = qmd.parent
    stem = qmd.stem
    common = ["-f", QMD_READER, "--resource-path", str(folder), "-M", _colour_meta(), *_filters()]
    if toc:
        common += ["--toc", "--toc-depth=2"]
    outputs: dict[str, Path] = {}
    for fmt in formats:
        target = folder / f"{stem}{FORMATS[fmt]}"
        if fmt == "html":
            from .style import report_css

            with tempfile.TemporaryDirectory(prefix="bsc-report-") as tmpd:
                css = Path(tmpd) / "report.css"
                css.write_text(report_css(), encoding="utf-8")
                with atomic_path(target) as tmp:
                    _run_pandoc(
                        [*common, "-t", "html5", "--standalone", "--embed-resources", "--css", str(css),
                         "--section-divs", "-o", str(tmp), str(qmd)],
                        cwd=folder,
                    )
        elif fmt == "docx":
            with atomic_path(target) as tmp:
                _run_pandoc([*common, "-t", "docx", "-o", str(tmp), str(qmd)], cwd=folder)
        elif fmt == "pdf":
            source = _run_pandoc(
                [*common, "-t", "typst", "--standalone", f"--template={template_path('report.typ')}", str(qmd)],
                cwd=folder,
            )
            _compile_typst(source, target, folder)
        else:
            raise RenderError(f"unknown report format '{fmt}'; expected one of {', '.join(FORMATS)}")
        outputs[fmt] = target
    return outputs


def _compile_typst(source: str, target: Path, root: Path) -> None:
    try:
        import typst
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MissingDependencyError("PDF reports without Quarto need the 'typst' package: pip install typst") from exc
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".typ", dir=root)
    os.close(fd)
    src = Path(name)
    try:
        src.write_text(source, encoding="utf-8")
        try:
            pdf = typst.compile(str(src), root=str(root), font_paths=_typst_font_paths())
        except Exception as exc:  # typst.TypstError and friends
            raise RenderError(f"typst could not compile the PDF for {target}: {exc}") from exc
        if not isinstance(pdf, bytes) or not pdf.startswith(b"%PDF"):
            raise RenderError(f"typst returned no PDF for {target}")
        atomic_write(target, pdf)
    finally:
        src.unlink(missing_ok=True)


def render_quarto(qmd: Path, formats: Sequence[str], *, quarto: str | None = None) -> dict[str, Path]:
    """Render ``qmd`` with the Quarto CLI (PDF through Quarto's typst format).

    The document and its ``figures/`` are copied to a scratch folder outside any
    Quarto project, rendered there, and the outputs moved next to ``qmd``.

    Examples
    --------
    >>> if quarto_path():  # doctest: +SKIP
    ...     render_quarto(Path("report/index.qmd"), ["html"])
    """
    exe = quarto or quarto_path()
    if not exe:
        raise MissingDependencyError(
            "the Quarto CLI is not on PATH; install it from https://quarto.org/docs/get-started/ "
            "or use renderer='pandoc' (pandoc + typst, no Quarto needed)"
        )
    qmd = Path(qmd).resolve()
    folder = qmd.parent
    to = ",".join("typst" if f == "pdf" else f for f in formats)
    outputs: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="bsc-quarto-") as tmpd:
        work = Path(tmpd)
        shutil.copy2(qmd, work / qmd.name)
        for extra in ("figures", "figures.lua"):
            src = folder / extra
            if src.is_dir():
                shutil.copytree(src, work / extra)
            elif src.exists():
                shutil.copy2(src, work / extra)
        cmd = [exe, "render", qmd.name, "--to", to]
        try:
            proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired as exc:
            raise RenderError(f"quarto render timed out after 900 s for {qmd}") from exc
        if proc.returncode != 0:
            err = (proc.stderr or proc.stdout or "").strip().splitlines()
            raise RenderError(
                f"quarto render failed (exit {proc.returncode}) for {qmd}: " + (" | ".join(err[-6:]) or "no message")
            )
        for fmt in formats:
            produced = work / f"{qmd.stem}{FORMATS[fmt]}"
            if not produced.exists():
                raise RenderError(f"quarto render did not produce {produced.name} for format '{fmt}' ({qmd})")
            target = folder / produced.name
            atomic_write(target, produced.read_bytes())
            outputs[fmt] = target
    return outputs

"""Rendering a report ``.qmd``: Quarto when it is installed, pandoc + typst everywhere else.

* ``quarto``: ``quarto render index.qmd --to html,typst,docx`` in a scratch copy
  (so a surrounding Quarto project cannot interfere), outputs moved into place.
  PDF is made with Quarto's bundled typst (``--to typst``), which needs no LaTeX.
* ``pandoc+typst``: the pandoc 3 binary from the ``pypandoc_binary`` wheel reads
  the ``.qmd`` as Pandoc Markdown; Lua filters (``figures.lua``, ``shared.lua``,
  ``bsc.lua``) supply what Quarto would (callouts, numbered cross references, PNG
  figures outside HTML). HTML is self-contained (``--embed-resources``), PDF is
  pandoc's typst output compiled by the ``typst`` wheel, DOCX is pandoc's.

Both paths share one look: the stylesheet ``report.css`` (HTML), the typst style
``bsc-style.typ`` (PDF: header, footer, breakable tables with repeated headers,
left-aligned cells without hyphenation) and the Lua filter ``shared.lua`` (coloured
badges in typst and Word, break opportunities in long identifiers).

Every external program runs in its own process group with a time limit
(:func:`render_timeout`, ``BSC_RENDER_TIMEOUT`` seconds, default 600); on a time-out
the whole group is killed. Every output is written to a temporary name and moved
into place. Warnings the renderers print are collected and returned to the caller.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from .._io import atomic_path, atomic_write
from ..errors import MissingDependencyError, RenderError
from ._text import template_path

__all__ = [
    "FORMATS",
    "FORMAT_LABELS",
    "formats_block",
    "pandoc_convert",
    "pandoc_path",
    "quarto_path",
    "render_pandoc",
    "render_quarto",
    "render_options",
    "render_timeout",
    "template_path",
]

#: output formats a report can be rendered to, and their file extensions
FORMATS: dict[str, str] = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}
#: how an output format is named to a reader ("Other formats" lists)
FORMAT_LABELS: dict[str, str] = {"html": "HTML", "pdf": "PDF", "docx": "Word (DOCX)"}

#: the Pandoc Markdown dialect the fallback reads a .qmd as
QMD_READER = "markdown+smart"

#: default time limit of one external render step, in seconds
DEFAULT_TIMEOUT = 600.0

# set by render_options(): the time limit and the warnings list of the render under way, so
# render_pandoc(qmd, formats) / render_quarto(qmd, formats) keep their two-argument form
_OPTIONS: contextvars.ContextVar[tuple[float | None, list[str] | None]] = contextvars.ContextVar(
    "bsc_render_options", default=(None, None))


@contextlib.contextmanager
def render_options(*, timeout: float | None = None, warnings: list[str] | None = None) -> Iterator[None]:
    """Time limit and warnings list for the renders inside the ``with`` block (explicit arguments win).

    Examples
    --------
    >>> with render_options(timeout=5):
    ...     render_timeout()
    5.0
    """
    token = _OPTIONS.set((timeout, warnings))
    try:
        yield
    finally:
        _OPTIONS.reset(token)


def _warnings_sink(warnings: list[str] | None) -> list[str] | None:
    return warnings if warnings is not None else _OPTIONS.get()[1]


def render_timeout(timeout: float | None = None) -> float:
    """The time limit (seconds) of one render step: ``timeout``, else ``BSC_RENDER_TIMEOUT``, else 600.

    Examples
    --------
    >>> render_timeout(30)
    30.0
    >>> render_timeout() > 0
    True
    """
    if timeout is None:
        timeout = _OPTIONS.get()[0]
    if timeout is None:
        env = os.environ.get("BSC_RENDER_TIMEOUT", "").strip()
        if env:
            try:
                timeout = float(env)
            except ValueError:
                raise RenderError(f"BSC_RENDER_TIMEOUT must be a number of seconds, got {env!r}") from None
        else:
            timeout = DEFAULT_TIMEOUT
    timeout = float(timeout)
    if not timeout > 0:
        raise RenderError(f"the render time limit must be a positive number of seconds, got {timeout:g}")
    return timeout


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


# ------------------------------------------------------------------ bounded subprocesses
def run_bounded(cmd: Sequence[str], *, what: str, cwd: Path | None = None, stdin: str | None = None,
                timeout: float | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``cmd`` in its own process group with a time limit; kill the whole group on time-out or interrupt.

    Returns the completed process (text output); raises :class:`RenderError` on a time-out.

    Examples
    --------
    >>> run_bounded([sys.executable, "-c", "print('hi')"], what="python").stdout.strip()
    'hi'
    """
    limit = render_timeout(timeout)
    proc = subprocess.Popen(
        list(cmd), cwd=cwd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
        start_new_session=True, env=env,
    )
    try:
        out, err = proc.communicate(input=stdin, timeout=limit)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise RenderError(f"{what} did not finish within {limit:g} s and was stopped "
                          "(set BSC_RENDER_TIMEOUT or timeout= to allow longer)") from None
    except BaseException:  # KeyboardInterrupt, SystemExit from a signal: leave no process behind
        _kill_group(proc)
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.communicate(timeout=10)
    except (subprocess.TimeoutExpired, ValueError, OSError):
        pass


_WARNING_LINE = re.compile(r"^\s*(\x1b\[[0-9;]*m)*\s*(\[WARNING\]|WARN(ING)?\b[:(]?)", re.I)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def renderer_warnings(stderr: str, source: str) -> list[str]:
    """The warning lines a renderer printed (pandoc ``[WARNING]``, Quarto ``WARN``), one line each.

    Examples
    --------
    >>> renderer_warnings("[WARNING] Could not fetch x\\nok line\\nWARN: Unable to parse table", "quarto")
    ['quarto: Could not fetch x', 'quarto: Unable to parse table']
    """
    out: list[str] = []
    for line in (stderr or "").splitlines():
        clean = _ANSI.sub("", line).strip()
        if _WARNING_LINE.match(clean):
            msg = re.sub(r"^(\[WARNING\]|WARN(ING)?)\s*:?\s*(\([^)]*\)\s*)?", "", clean, flags=re.I).strip()
            msg = f"{source}: {msg}" if msg else f"{source}: warning"
            if msg not in out:
                out.append(msg)
    return out


def _run_pandoc(args: Sequence[str], *, cwd: Path | None = None, stdin: str | None = None,
                timeout: float | None = None, warnings: list[str] | None = None) -> str:
    proc = run_bounded([pandoc_path(), *args], what="pandoc", cwd=cwd, stdin=stdin, timeout=timeout)
    if proc.returncode != 0:
        err = (proc.stderr or "").strip().splitlines()
        raise RenderError(
            f"pandoc failed (exit {proc.returncode}) on {Path(args[-1]).name if args else '<stdin>'}: "
            + (" | ".join(err[-5:]) or "no message")
        )
    sink = _warnings_sink(warnings)
    if sink is not None:
        sink.extend(w for w in renderer_warnings(proc.stderr, "pandoc") if w not in sink)
    return proc.stdout


def pandoc_convert(text: str, *, to: str, fmt: str = "markdown", extra_args: Sequence[str] = ()) -> str:
    """Convert text with the bundled pandoc (used for sanitising Markdown).

    Examples
    --------
    >>> pandoc_convert("*hi*", to="html").strip()
    '<p><em>hi</em></p>'
    """
    return _run_pandoc(["-f", fmt, "-t", to, *extra_args], stdin=text)


# ------------------------------------------------------------------ shared style
def colour_meta() -> dict[str, str]:
    """Badge and callout colours (class name -> hex) for the Lua filters (``bsc-colours`` metadata).

    Examples
    --------
    >>> colour_meta()["verdict-supported"].startswith("#")
    True
    """
    from .style import CALLOUT_COLOURS, badge_colours

    colours: dict[str, str] = dict(badge_colours())
    for k, v in CALLOUT_COLOURS.items():
        colours[f"callout-{k}"] = v
    return colours


def _filters() -> list[str]:
    return [f"--lua-filter={template_path(n)}" for n in ("figures.lua", "shared.lua", "bsc.lua")]


def typst_font_paths() -> list[str]:
    """Font folders for typst: matplotlib's bundled DejaVu fonts (always present here)."""
    try:
        import matplotlib

        p = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        return [str(p)] if p.is_dir() else []
    except Exception:  # pragma: no cover - matplotlib is a dependency
        return []


def formats_block(formats: Sequence[str], stem: str = "index") -> str:
    """The "Other formats" list of an HTML report (both renderers): only the files this render writes.

    Examples
    --------
    >>> "index.docx" in formats_block(["html", "pdf"])
    False
    """
    from html import escape

    items = [f'<li><a href="{escape(stem + FORMATS[f])}">{escape(FORMAT_LABELS[f])}</a></li>'
             for f in formats if f != "html"]
    if not items:
        return ""
    return f'<nav class="bsc-formats" aria-label="Other formats"><h2>Other formats</h2><ul>{"".join(items)}</ul></nav>\n'


def render_pandoc(qmd: Path, formats: Sequence[str], *, toc: bool = True, timeout: float | None = None,
                  warnings: list[str] | None = None) -> dict[str, Path]:
    """Render ``qmd`` with pandoc (+ typst for PDF) into the same folder.

    Parameters
    ----------
    qmd : Path
        The Quarto document; figures, ``report.css`` and ``bsc-style.typ`` are resolved
        relative to its folder (bundled defaults when missing).
    formats : sequence of {"html", "pdf", "docx"}
    toc : bool
        Add a table of contents to HTML and DOCX (the PDF has none: its first page is the summary).
    timeout : float, optional
        Time limit per step in seconds (default :func:`render_timeout`).
    warnings : list, optional
        Receives the renderers' warning lines.

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
    from .style import report_css, typst_style

    qmd = Path(qmd).resolve()
    folder = qmd.parent
    stem = qmd.stem
    common = ["-f", QMD_READER, "--resource-path", str(folder), "-M", "bsc-colours:" + json.dumps(colour_meta()),
              *_filters()]
    # a table of contents in HTML and Word; the PDF's first page is kept for the summary and the map
    toc_args = ["--toc", "--toc-depth=2"] if toc else []
    outputs: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="bsc-pandoc-") as tmpd:
        tmp_dir = Path(tmpd)
        css = folder / "report.css"
        if not css.exists():
            css = tmp_dir / "report.css"
            css.write_text(report_css(), encoding="utf-8")
        style = folder / "bsc-style.typ"
        if not style.exists():
            style = tmp_dir / "bsc-style.typ"
            style.write_text(typst_style(""), encoding="utf-8")
        def one(fmt: str) -> Path:
            target = folder / f"{stem}{FORMATS[fmt]}"
            if fmt == "html":
                before = tmp_dir / "formats.html"
                before.write_text(formats_block(formats, stem), encoding="utf-8")
                with atomic_path(target) as tmp:
                    _run_pandoc(
                        [*common, "-t", "html5", "--standalone", "--embed-resources", "--css", str(css),
                         "--include-before-body", str(before), "--section-divs", *toc_args, "-o", str(tmp), str(qmd)],
                        cwd=folder, timeout=timeout, warnings=warnings,
                    )
            elif fmt == "docx":
                with atomic_path(target) as tmp:
                    _run_pandoc([*common, "-t", "docx", *toc_args, "-o", str(tmp), str(qmd)], cwd=folder, timeout=timeout,
                                warnings=warnings)
            elif fmt == "pdf":
                source = _run_pandoc(
                    [*common, "-t", "typst", "--standalone", f"--template={template_path('report.typ')}",
                     f"--include-in-header={style}", str(qmd)],
                    cwd=folder, timeout=timeout, warnings=warnings,
                )
                compile_typst(source, target, folder, timeout=timeout)
            return target

        bad = [f for f in formats if f not in FORMATS]
        if bad:
            raise RenderError(f"unknown report format '{bad[0]}'; expected one of {', '.join(FORMATS)}")
        # the formats are separate processes (pandoc, typst): render them side by side
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=max(len(formats), 1)) as pool:
            futures = {fmt: pool.submit(one, fmt) for fmt in formats}
            for fmt in formats:
                outputs[fmt] = futures[fmt].result()
    return outputs


_TYPST_WORKER = """
import sys, typst
src, out, root = sys.argv[1:4]
fonts = sys.argv[4:]
try:
    pdf = typst.compile(src, root=root, font_paths=fonts)
except Exception as exc:
    sys.stderr.write(str(exc)[-2000:])
    sys.exit(3)
with open(out, "wb") as f:
    f.write(pdf)
"""


def compile_typst(source: str, target: Path, root: Path, *, timeout: float | None = None) -> None:
    """Compile typst ``source`` to the PDF ``target`` in a separate process with a time limit.

    typst runs in-process otherwise, where a runaway document (a loop) could never be
    stopped; here the worker is killed at the time limit and a RenderError says so.
    """
    try:
        import typst  # noqa: F401
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MissingDependencyError("PDF reports without Quarto need the 'typst' package: pip install typst") from exc
    fd, name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".typ", dir=root)
    os.close(fd)
    src = Path(name)
    pdf_tmp = src.with_suffix(".pdf.tmp")
    try:
        src.write_text(source, encoding="utf-8")
        proc = run_bounded([sys.executable, "-c", _TYPST_WORKER, str(src), str(pdf_tmp), str(root),
                            *typst_font_paths()], what=f"typst (PDF for {target.name})", timeout=timeout)
        if proc.returncode != 0:
            msg = " ".join((proc.stderr or "no message").split())[-600:]
            raise RenderError(f"typst could not compile the PDF for {target.name}: {msg}")
        pdf = pdf_tmp.read_bytes() if pdf_tmp.exists() else b""
        if not pdf.startswith(b"%PDF"):
            raise RenderError(f"typst returned no PDF for {target.name}")
        atomic_write(target, pdf)
    finally:
        src.unlink(missing_ok=True)
        pdf_tmp.unlink(missing_ok=True)


def render_quarto(qmd: Path, formats: Sequence[str], *, quarto: str | None = None, timeout: float | None = None,
                  warnings: list[str] | None = None) -> dict[str, Path]:
    """Render ``qmd`` with the Quarto CLI (PDF through Quarto's typst format).

    The document with its figures, filters and styles is copied to a scratch folder
    outside any Quarto project, rendered there, and the outputs moved next to ``qmd``.
    Quarto's warnings are appended to ``warnings``.

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
        for extra in folder.iterdir():
            if extra.name == qmd.name or extra.name.startswith("."):
                continue
            if extra.is_dir():
                shutil.copytree(extra, work / extra.name)
            elif extra.suffix in (".lua", ".css", ".typ", ".svg", ".png") or extra.name == "formats.html":
                shutil.copy2(extra, work / extra.name)
        proc = run_bounded([exe, "render", qmd.name, "--to", to], what="quarto render", cwd=work,
                           timeout=timeout)
        if proc.returncode != 0:
            err = _ANSI.sub("", proc.stderr or proc.stdout or "").strip().splitlines()
            raise RenderError(
                f"quarto render failed (exit {proc.returncode}) for {qmd.name}: " + (" | ".join(err[-6:]) or "no message")
            )
        sink = _warnings_sink(warnings)
        if sink is not None:
            sink.extend(w for w in renderer_warnings(proc.stderr, "quarto") if w not in sink)
        for fmt in formats:
            produced = work / f"{qmd.stem}{FORMATS[fmt]}"
            if not produced.exists():
                raise RenderError(f"quarto render did not produce {produced.name} for format '{fmt}' ({qmd.name})")
            target = folder / produced.name
            atomic_write(target, produced.read_bytes())
            outputs[fmt] = target
    return outputs

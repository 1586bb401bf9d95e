"""``build_report``: write a Quarto document for a scorecard and render it.

The ``.qmd`` is a real Quarto document (front matter with format options,
callouts, cross-referenced figures and tables). It is rendered by Quarto when
the ``quarto`` CLI is on PATH and by pandoc + typst otherwise; the result says
which renderer was used.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._format import fmt_value
from .._io import atomic_write, check_not_inputs, same_file
from ..errors import BSCError, DataError, MissingDependencyError, OutputError
from ..evidence import load_evidence
from ._markdown import front_matter, md_escape, sanitize_markdown
from .content import KINDS, ReportContext, body_for
from .render import (
    FORMATS,
    formats_block,
    quarto_path,
    render_options,
    render_pandoc,
    render_quarto,
    render_timeout,
    template_path,
)

if TYPE_CHECKING:
    import pandas as pd

    from .._typing import EvidenceSource, ScorecardSource
    from ..evidence import Evidence
    from ..generate import OKRSet
    from ..history import KPIHistory
    from ..scorecard import Scorecard, ScoreReport

__all__ = ["WRITTEN", "ReportResult", "build_report", "load_evidence_dict", "okrs_markdown"]

#: what :func:`build_report` writes in its output folder (glob patterns): an input there is refused
WRITTEN: tuple[str, ...] = ("index.*", "figures/*", "figures.lua", "shared.lua", "report.css", "formats.html",
                            "bsc-style.typ")

SUBTITLES = {
    "validation": "Validation report: are the cause-and-effect links supported by the data?",
    "client": "Balanced Scorecard report",
    "handout": "Course handout: reading a Balanced Scorecard",
}


@dataclass(frozen=True)
class ReportResult:
    """What :func:`build_report` wrote.

    Attributes
    ----------
    qmd : Path
        The Quarto document (``out_dir/index.qmd``).
    outputs : dict
        Format (``html``, ``pdf``, ``docx``) -> path of the rendered file.
    renderer : str
        ``"quarto"`` or ``"pandoc+typst"``.
    figures : dict
        Figure name -> SVG path (a PNG with the same stem sits beside it).
    kind : str
        ``validation``, ``client`` or ``handout``.
    warnings : list of str
        What was left out and why (e.g. no strategy map without graphviz), and the
        warnings the renderer (Quarto or pandoc) printed.
    seconds : float
        Wall time of the build.
    """

    qmd: Path
    outputs: dict[str, Path]
    renderer: str
    figures: dict[str, Path] = field(default_factory=dict)
    kind: str = "validation"
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def summary(self) -> str:
        lines = [f"{self.kind} report rendered with {self.renderer} in {self.seconds:.1f} s", f"  source  {self.qmd}"]
        for fmt, p in self.outputs.items():
            lines.append(f"  {fmt:<7} {p}")
        for w in self.warnings:
            lines.append(f"  note: {w}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary

    def to_frame(self) -> pd.DataFrame:
        """One row per file written (kind: source, output or figure)."""
        import pandas as pd

        rows = [{"role": "source", "format": "qmd", "path": str(self.qmd)}]
        rows += [{"role": "output", "format": f, "path": str(p)} for f, p in self.outputs.items()]
        rows += [{"role": "figure", "format": "svg", "path": str(p)} for p in self.figures.values()]
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        items = "".join(
            f"<li>{escape(f)}: <code>{escape(str(p))}</code></li>" for f, p in self.outputs.items()
        )
        warn = "".join(f"<li><i>{escape(w)}</i></li>" for w in self.warnings)
        return (f"<p><b>{escape(self.kind)} report</b> rendered with {escape(self.renderer)} "
                f"in {self.seconds:.1f} s from <code>{escape(str(self.qmd))}</code></p><ul>{items}{warn}</ul>")


# ------------------------------------------------------------------ inputs
def load_evidence_dict(evidence: EvidenceSource | None) -> dict[str, Any]:
    """Evidence as a plain dict in the documented JSON format (empty for ``None``).

    Read by :func:`bsc_toolkit.evidence.load_evidence`, the one reader of evidence:
    an ``Evidence`` object, a dict or the path of the JSON file; a malformed one is a
    :class:`~bsc_toolkit.errors.DataError` naming the file and the place.

    Examples
    --------
    >>> load_evidence_dict({"format": "bsc-evidence/1", "links": []})["links"]
    []
    """
    if evidence is None:
        return {}
    return load_evidence(evidence).to_dict()


def _progress_fn(progress: bool | Callable[[str], None] | None) -> Callable[[str], None]:
    if callable(progress):
        return progress
    if progress:
        return lambda msg: print(f"  report: {msg}", file=sys.stderr, flush=True)
    return lambda msg: None


def _draw_map(scorecard: Scorecard, evidence: Evidence | None, statuses: ScoreReport, fig_dir: Path,
              warnings: list[str]) -> dict[str, Path]:
    try:
        from ..strategy_map import strategy_map
    except ImportError as exc:
        warnings.append(f"strategy map left out: bsc_toolkit.strategy_map is not available ({exc})")
        return {}
    import warnings as _warnings

    try:
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always")
            smap = strategy_map(scorecard, evidence, statuses=statuses)
        warnings.extend(f"strategy map: {w.message}" for w in caught)
        paths = {}
        for ext in ("svg", "png"):
            p = fig_dir / f"strategy_map.{ext}"
            smap.render(p)
            paths[ext] = p
        return paths
    except (BSCError, OSError) as exc:
        warnings.append(f"strategy map left out: {exc}")
        return {}


def _svg_aspect(path: Path | None) -> float | None:
    """Width / height of an SVG from its root element's size (graphviz writes it in pt)."""
    if path is None:
        return None
    import re

    try:
        head = Path(path).read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return None
    m = re.search(r'<svg[^>]*?\bwidth="([\d.]+)(?:pt|px)?"[^>]*?\bheight="([\d.]+)(?:pt|px)?"', head, re.S)
    if not m or float(m.group(2)) <= 0:
        return None
    return float(m.group(1)) / float(m.group(2))


# ------------------------------------------------------------------ staging and signals
@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """Turn SIGTERM into ``SystemExit`` while a report is built, so staging folders are removed.

    Only in the main thread (where Python delivers signals); the previous handler is restored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except (ValueError, OSError):  # pragma: no cover - not the main interpreter
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _front_matter_meta(kind: str, title: str, formats: Sequence[str]) -> dict[str, Any]:
    """Front matter of the report: one look for Quarto and the fallback (our own keys only; title escaped)."""
    from .render import colour_meta, typst_font_paths
    from .style import LIGHT_BADGES

    typst: dict[str, Any] = {"toc": False, "papersize": "a4", "mainfont": "Libertinus Serif", "fontsize": "10.5pt",
                             "margin": {"x": "2.1cm", "top": "2.3cm", "bottom": "2.2cm"},
                             "include-in-header": "bsc-style.typ"}
    fonts = typst_font_paths()
    if fonts:
        typst["font-paths"] = fonts
    return {
        "title": md_escape(title),
        "subtitle": md_escape(SUBTITLES[kind]),
        "date": _dt.date.today().isoformat(),
        "lang": "en",
        "format": {
            # Quarto's own "Other formats" list adds every rendered format again (the PDF as "Typst"):
            # it is off, and formats.html lists exactly the files written, as in the fallback's HTML
            "html": {"toc": True, "embed-resources": True, "fig-format": "svg", "css": ["report.css"],
                     "format-links": False, "include-before-body": ["formats.html"]},
            "typst": typst,
            "docx": {"toc": True},
        },
        "filters": ["figures.lua", "shared.lua"],
        "crossref": {"fig-title": "Figure", "tbl-title": "Table"},
        "bsc-kind": kind,
        "bsc-colours": colour_meta(),
        "bsc-light-badges": sorted(LIGHT_BADGES),
    }


# ------------------------------------------------------------------ main
def build_report(
    scorecard: ScorecardSource,
    *,
    kind: str = "validation",
    evidence: EvidenceSource | None = None,
    history: KPIHistory | None = None,
    out_dir: str | os.PathLike[str],
    formats: Sequence[str] = ("html", "pdf"),
    renderer: str = "auto",
    narrative: str | None = None,
    critique: str | None = None,
    progress: bool | Callable[[str], None] | None = None,
    title: str | None = None,
    start: str | None = None,
    timeout: float | None = None,
) -> ReportResult:
    """Write ``out_dir/index.qmd`` (with figures) for a scorecard and render it.

    Parameters
    ----------
    scorecard : Scorecard or str or Path
        The scorecard (or a file / shipped example name for ``load_scorecard``).
    kind : {"validation", "client", "handout"}
        Validation report (needs ``evidence``), client report, or course handout.
    evidence : Evidence, dict or path, optional
        Results of :func:`bsc_toolkit.evidence.validate` (or its JSON file).
    history : KPIHistory, optional
        KPI history: actuals (latest values), trend charts and the OKR cadence in the
        client report.
    out_dir : path
        Folder for ``index.qmd``, ``figures/`` and the rendered files (see :data:`WRITTEN`).
        An input file (the scorecard, the evidence or the history's data file) that
        the report would replace there is refused before any work.
    formats : sequence of {"html", "pdf", "docx"}
        What to render. An empty sequence writes only the ``.qmd`` and figures.
    renderer : {"auto", "quarto", "pandoc"}
        ``auto`` uses Quarto when ``quarto`` is on PATH, pandoc + typst otherwise.
    narrative, critique : str, optional
        Markdown (e.g. from :func:`bsc_toolkit.generate.narrate` / ``critique``). It is
        sanitised: raw HTML and raw blocks, attributes, images and non-web links are
        removed. Without a narrative, a short one is written from the numbers.
    progress : bool or callable, optional
        ``True`` prints steps on stderr; a callable receives each step's message.
    title : str, optional
        Overrides the document title (default: the scorecard's name).
    start : str, optional
        First OKR period of the client report (``2026Q1``, or ``2026`` for annual data);
        default: the period after the history's last, else the next quarter.
    timeout : float, optional
        Time limit in seconds of each render step (default ``BSC_RENDER_TIMEOUT`` or 600).

    Returns
    -------
    ReportResult

    Raises
    ------
    DataError
        Bad evidence (the message names the file and the place) or a validation report
        without evidence.
    OutputError
        ``out_dir`` would replace an input file.
    RenderError, MissingDependencyError
        The renderer failed, ran out of time or is not installed.

    Examples
    --------
    >>> import tempfile
    >>> from bsc_toolkit.scorecard import load_example
    >>> res = build_report(load_example("retail"), kind="client", out_dir=tempfile.mkdtemp(),
    ...                    formats=["html"], renderer="pandoc")
    >>> res.renderer, sorted(res.outputs)
    ('pandoc+typst', ['html'])
    """
    t0 = time.perf_counter()
    say = _progress_fn(progress)
    if kind not in KINDS:
        raise DataError(f"`kind` must be one of {', '.join(KINDS)}, got {kind!r}")
    formats = [f.strip().lower() for f in formats]
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise DataError(f"`formats` must be among {', '.join(FORMATS)}, got {', '.join(map(repr, bad))}")
    formats = list(dict.fromkeys(formats))
    if renderer not in ("auto", "quarto", "pandoc", "pandoc+typst"):
        raise DataError(f"`renderer` must be one of auto, quarto, pandoc, got {renderer!r}")
    render_timeout(timeout)  # a bad limit is reported before any work
    inputs = _input_files(scorecard, evidence, history)
    check_not_inputs({"out_dir": out_dir}, inputs, folders={"out_dir": WRITTEN})
    from ..scorecard import Scorecard, load_scorecard

    sc = scorecard if isinstance(scorecard, Scorecard) else load_scorecard(scorecard)
    evidence_obj = load_evidence(evidence) if evidence is not None else None
    ev = evidence_obj.to_dict() if evidence_obj is not None else None
    if evidence_obj is not None and evidence_obj.links:
        # refuse evidence about another scorecard before anything is written
        from ..strategy_map.overlay import build_overlay

        build_overlay(sc, evidence_obj)
    if kind == "validation" and not ev:
        raise DataError("a validation report needs evidence: pass evidence= (an Evidence object, dict or the JSON "
                        "file from `bsc validate --json`), or choose kind='client' or 'handout'")
    use_quarto = renderer == "quarto" or (renderer == "auto" and quarto_path() is not None)
    if renderer == "quarto" and quarto_path() is None:
        raise MissingDependencyError(
            "renderer='quarto' but the Quarto CLI is not on PATH; install it from "
            "https://quarto.org/docs/get-started/ or use renderer='pandoc'"
        )
    okr_set = _derive_okrs(sc, evidence_obj, history, start) if kind == "client" else None

    # everything is written to a staging folder inside out_dir and moved into place at the end,
    # so a failure, Ctrl-C or SIGTERM halfway leaves an earlier report in out_dir byte-identical
    # and no staging folder behind
    final = Path(out_dir).resolve()
    final.mkdir(parents=True, exist_ok=True)
    with _terminate_as_exit():
        out = Path(tempfile.mkdtemp(prefix=".bsc-report-", dir=final))
        try:
            result = _build_in(out, final, scorecard=sc, kind=kind, ev=ev, evidence=evidence_obj,
                               history=history, formats=formats, use_quarto=use_quarto, narrative=narrative,
                               critique=critique, say=say, title=title, okr_set=okr_set, timeout=timeout,
                               inputs=inputs)
        finally:
            shutil.rmtree(out, ignore_errors=True)
    return dataclasses.replace(result, seconds=time.perf_counter() - t0)


def _input_files(scorecard: ScorecardSource, evidence: EvidenceSource | None,
                 history: KPIHistory | None) -> dict[str, str | os.PathLike[str] | None]:
    """The files a report is made from, named as in messages (only existing files are checked)."""
    from ..evidence import Evidence

    ev_file = evidence.source if isinstance(evidence, Evidence) else evidence
    return {
        "scorecard": scorecard if isinstance(scorecard, (str, os.PathLike)) else None,
        "evidence": ev_file if isinstance(ev_file, (str, os.PathLike)) else None,
        "history": history.source if history is not None else None,
    }


def _derive_okrs(scorecard: Scorecard, ev: Evidence | None, history: KPIHistory | None,
                 start: str | None) -> OKRSet | BSCError | None:
    """OKRs for the client report (validated before any work: a bad ``start`` is a usage error)."""
    try:
        from ..generate import derive_okrs
    except ImportError:  # pragma: no cover - generate is part of the package
        return None
    try:
        return derive_okrs(scorecard, start=start, evidence=ev, history=history)
    except BSCError as exc:
        if start is not None:
            raise
        return exc


def _build_in(out: Path, final: Path, *, scorecard: Scorecard, kind: str, ev: dict[str, Any] | None,
              evidence: Evidence | None, history: KPIHistory | None, formats: list[str], use_quarto: bool,
              narrative: str | None, critique: str | None, say: Callable[[str], None], title: str | None,
              okr_set: OKRSet | BSCError | None, timeout: float | None,
              inputs: Mapping[str, str | os.PathLike[str] | None]) -> ReportResult:
    fig_dir = out / "figures"
    fig_dir.mkdir(exist_ok=True)
    warnings: list[str] = []

    # ---- numbers -------------------------------------------------------
    from ..scorecard import score

    actuals: dict[str, float | None] = {}
    actuals_source = "scorecard"
    if history is not None:
        for k in scorecard.kpis:
            if k.id in history.data.columns:
                v = history.latest(k.id)
                if v is not None:
                    actuals[k.id] = v
        if actuals:
            actuals_source = str(history.source)
    rep = score(scorecard, actuals or None)

    # ---- figures -------------------------------------------------------
    from . import charts

    figures: dict[str, Path] = {}
    say("drawing charts")
    if kind == "client":
        figures["status_dashboard"] = charts.status_dashboard(scorecard, fig_dir, actuals=actuals or None)["svg"]
        if history is not None:
            try:
                figures["kpi_trends"] = charts.kpi_trends(scorecard, history, fig_dir)["svg"]
            except DataError as exc:
                warnings.append(f"KPI trends left out: {exc}")
    if ev and kind == "validation":
        figures["coefficients"] = charts.coefficient_plot(ev, fig_dir, scorecard=scorecard)["svg"]
        figures["lag_profiles"] = charts.lag_profiles(ev, fig_dir)["svg"]
        if any((lk.get("robustness") or {}).get("specs") for lk in ev.get("links") or []):
            figures["robustness"] = charts.specification_curves(ev, fig_dir)["svg"]
    say("drawing the strategy map")
    mp = _draw_map(scorecard, evidence, rep, fig_dir, warnings)
    if mp:
        figures["strategy_map"] = mp["svg"]

    # ---- text ----------------------------------------------------------
    say("writing index.qmd")
    from .narrative import offline_narrative

    narrative_md, narrative_source = "", ""
    if narrative and str(narrative).strip():
        narrative_md, narrative_source = sanitize_markdown(narrative, shift_headings=2), "given"
    elif ev and kind in ("validation", "client"):
        narrative_md, narrative_source = offline_narrative(scorecard, ev), "offline"
    critique_md = sanitize_markdown(critique, shift_headings=2) if critique else ""
    okrs_md = ""
    if isinstance(okr_set, BSCError):
        warnings.append(f"OKRs left out: {okr_set}")
    elif okr_set is not None:
        okrs_md = okrs_markdown(okr_set)
    aspect = _svg_aspect(figures.get("strategy_map"))
    ctx = ReportContext(
        scorecard=scorecard, score=rep, evidence=ev, history=history,
        figures={k: f"figures/{p.name}" for k, p in figures.items()},
        narrative=narrative_md, narrative_source=narrative_source, critique=critique_md, okrs=okrs_md,
        actuals_source=actuals_source,
        aspects={"strategy_map": aspect} if aspect else {},
    )
    body = body_for(kind, ctx)
    if warnings:
        body += "\n::: {.callout-note}\n## Left out of this report\n\n" + "\n".join(
            f"- {md_escape(w)}" for w in warnings) + "\n:::\n"
    from .. import __version__

    body += (f"\n---\n\n*Generated by bsc-toolkit {md_escape(__version__)} on "
             f"{_dt.date.today().isoformat()}.*\n")
    doc_title = title if title is not None else scorecard.name
    meta = _front_matter_meta(kind, doc_title, formats)
    qmd = out / "index.qmd"
    atomic_write(qmd, front_matter(meta) + "\n" + body)
    from .style import report_css, typst_style

    for name in ("figures.lua", "shared.lua"):
        atomic_write(out / name, template_path(name).read_text(encoding="utf-8"))
    atomic_write(out / "report.css", report_css())
    atomic_write(out / "formats.html", formats_block(formats, qmd.stem))
    atomic_write(out / "bsc-style.typ", typst_style(doc_title))

    # ---- render ----------------------------------------------------------
    outputs: dict[str, Path] = {}
    used = "quarto" if use_quarto else "pandoc+typst"
    render_warnings: list[str] = []
    if formats:
        say(f"rendering {', '.join(formats)} with {used}")
        with render_options(timeout=timeout, warnings=render_warnings):
            outputs = render_quarto(qmd, formats) if use_quarto else render_pandoc(qmd, formats)
    moved = _publish(out, final, inputs)
    return ReportResult(qmd=moved[qmd], outputs={k: moved[v] for k, v in outputs.items()}, renderer=used,
                        figures={k: moved.get(v, final / "figures" / v.name) for k, v in figures.items()},
                        kind=kind, warnings=tuple(warnings + render_warnings))


def _publish(stage: Path, final: Path, inputs: Mapping[str, str | os.PathLike[str] | None]) -> dict[Path, Path]:
    """Move every file of ``stage`` to the same place under ``final``; return old -> new paths.

    Nothing is moved when one of the files would replace an input (a net under the
    check of :data:`WRITTEN` before the build, for files a renderer adds).
    """
    files = sorted(x for x in stage.rglob("*") if x.is_file())
    for src in files:
        dst = final / src.relative_to(stage)
        for name, path in inputs.items():
            if path is not None and Path(path).is_file() and same_file(dst, path):
                raise OutputError(f"the report would replace the input {name} {path} with its "
                                  f"{src.relative_to(stage).as_posix()}: choose another output folder")
    moved: dict[Path, Path] = {}
    for src in files:
        dst = final / src.relative_to(stage)
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
        moved[src] = dst
        moved[src.resolve()] = dst
    return moved


def okrs_markdown(okrs: OKRSet) -> str:
    """OKRs (from :func:`bsc_toolkit.generate.derive_okrs`) as escaped Markdown for the client report.

    Examples
    --------
    >>> from bsc_toolkit.generate import derive_okrs
    >>> from bsc_toolkit.scorecard import load_example
    >>> "Raise" in okrs_markdown(derive_okrs(load_example("retail"), start="2026Q1"))
    True
    """
    objectives = getattr(okrs, "objectives", None) or ()
    periods = tuple(getattr(okrs, "quarters", ()) or ())
    if not objectives:
        return ""
    cadence = getattr(okrs, "cadence", "quarterly")
    lines = []
    if periods:
        lines.append(f"{md_escape(cadence.capitalize())} OKRs, {md_escape(periods[0])} to {md_escape(periods[-1])}: "
                     f"{md_escape(getattr(okrs, 'basis', 'each key result steps from the baseline towards the target'))}.\n")
    for o in objectives:
        lines.append(f"- **{md_escape(getattr(o, 'name', ''))}**")
        for kr in getattr(o, "key_results", ()) or ():
            targets = getattr(kr, "targets", {}) or {}
            steps = ", ".join(f"{md_escape(q)}: {fmt_value(v, '%' if str(kr.unit).startswith('%') else '')}"
                              for q, v in targets.items() if v is not None)
            lines.append(f"    - {md_escape(getattr(kr, 'text', ''))}" + (f" ({steps})" if steps else ""))
    return "\n".join(lines) + "\n"

"""Widget containers that carry a static snapshot of their result in the output's mimebundle.

A live widget needs a kernel (and, in an exported HTML file, saved widget state plus a
script from a CDN). When a notebook is exported with ``jupyter nbconvert --to html``,
rendered by Quarto or shown on a code host, there is neither, and a bare widget comes out
as ``VBox(children=(HTML(value=...`` or as nothing. The containers made here add, next to
the widget view, a ``text/html`` snapshot of the widget's *current* result (the figure
inlined as a PNG, the table, the settings of the controls), an ``image/png`` of the figure
when there is one, and a readable ``text/plain`` line. JupyterLab still draws the live
widget (its widget renderer ranks first); nbconvert draws the widget only when the
notebook holds its state and falls back to the snapshot otherwise.

The snapshot is taken when the widget is displayed: after moving the controls, display
the widget again (``w`` in a new cell) to put the new result into the notebook.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from .._format import fmt_num
from ._deps import require_ipywidgets

__all__ = ["SNAPSHOT_CLASS", "control_settings", "snapshot_box"]

#: CSS class of the snapshot's outer ``<div>`` (tests and exports look for it)
SNAPSHOT_CLASS = "bsc-widget-snapshot"
_PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
_CLASSES: dict[str, type] = {}


def control_settings(controls: Sequence[Any]) -> str:
    """``lever KPI training_hours, change 1.30, kind step`` from widgets with a description and a value.

    Numbers go through the shared formatter (:func:`bsc_toolkit._format.fmt_num`).

    Examples
    --------
    >>> from types import SimpleNamespace as W
    >>> control_settings([W(description="effect (SD)", value=0.3), W(description="units", value=10)])
    'effect (SD) 0.300, units 10'
    """
    parts = []
    for w in controls:
        v = w.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            text = str(v)
        elif isinstance(v, int):
            text = f"{v:,}"
        else:
            text = fmt_num(v)
        parts.append(f"{w.description} {text}".strip())
    return ", ".join(parts)


def _snapshot_class(kind: str) -> type:
    """A subclass of ``ipywidgets.<kind>`` whose mimebundle carries the snapshot."""
    cls = _CLASSES.get(kind)
    if cls is not None:
        return cls
    W = require_ipywidgets()
    base = getattr(W, kind)

    def _repr_mimebundle_(self: Any, **kwargs: Any) -> dict[str, Any] | None:
        data = base._repr_mimebundle_(self, **kwargs)
        if not data:
            return data
        html = self.snapshot_html()
        data["text/html"] = html
        data["text/plain"] = self.snapshot_text()
        png = _PNG.search(html)
        if png:
            data["image/png"] = png.group(1)
        return data

    cls = type(f"Snapshot{kind}", (base,), {
        "_repr_mimebundle_": _repr_mimebundle_,
        "__doc__": f"An ipywidgets {kind} whose output also holds a static snapshot of its result.",
    })
    _CLASSES[kind] = cls
    return cls


def snapshot_box(
    kind: str,
    children: Sequence[Any],
    *,
    name: str,
    title: str,
    controls: Sequence[Any] | Callable[[], str],
    result: Any,
) -> Any:
    """A ``VBox``/``HBox`` whose displayed output also holds a snapshot of ``result``.

    Parameters
    ----------
    kind : {"VBox", "HBox"}
        The ipywidgets container.
    children : sequence of widgets
    name : str
        The widget function's name (``lever_sliders``), written into the snapshot.
    title : str
        What the widget shows, in a few words (``Lever simulation``).
    controls : sequence of widgets, or a callable returning text
        The controls whose current settings the snapshot states.
    result : ipywidgets.HTML
        The widget that holds the current result; its HTML is the snapshot's body.

    Returns
    -------
    ipywidgets container
        With ``.snapshot_html()`` and ``.snapshot_text()``.

    Examples
    --------
    >>> import ipywidgets as W
    >>> out = W.HTML("<b>42</b>")
    >>> box = snapshot_box("VBox", [out], name="demo", title="A demo", controls=[], result=out)
    >>> "bsc-widget-snapshot" in box._repr_mimebundle_()["text/html"]
    True
    """
    box = _snapshot_class(kind)(list(children))

    def settings() -> str:
        return controls() if callable(controls) else control_settings(controls)

    def snapshot_html() -> str:
        now = settings()
        note = ('<p class="bsc-widget-snapshot-note" style="color:#555"><small>Static snapshot of the '
                f"interactive <code>{escape(name)}</code> widget"
                + (f" ({escape(now)})" if now else "")
                + ". Run the notebook in Jupyter to move the controls.</small></p>")
        return (f'<div class="{SNAPSHOT_CLASS}" data-widget="{escape(name)}"><p><b>{escape(title)}</b></p>'
                f"{note}{result.value}</div>")

    def snapshot_text() -> str:
        now = settings()
        return f"{title} ({name} widget{': ' + now if now else ''}); run the notebook in Jupyter to use it"

    box.snapshot_html = snapshot_html
    box.snapshot_text = snapshot_text
    return box


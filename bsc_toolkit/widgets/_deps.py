"""Lazy imports of the optional notebook libraries, with a clear message when missing."""

from __future__ import annotations

import base64
import io
from typing import Any

from ..errors import MissingDependencyError


def require_ipywidgets() -> Any:
    """Return the ``ipywidgets`` module or raise MissingDependencyError naming the extra."""
    try:
        import ipywidgets
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            "the notebook widgets need ipywidgets, which is not installed; "
            "install the notebooks extra: pip install 'bsc-toolkit[notebooks]'"
        ) from None
    return ipywidgets


def figure_png(fig: Any) -> bytes:
    """PNG bytes of a matplotlib figure made by :func:`new_figure`."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return buf.getvalue()


def png_html(png: bytes, alt: str) -> str:
    """An ``<img>`` tag with the PNG inlined (so an HTML widget can hold text and picture)."""
    from html import escape

    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}"/>'


def new_figure(ncols: int = 1, width: float = 4.2, height: float = 3.2) -> tuple[Any, Any]:
    """A matplotlib figure on the non-interactive Agg canvas (no GUI, no global state)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height))
    axes = fig.subplots(1, ncols)
    return fig, axes

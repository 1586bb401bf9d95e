"""Escaping of user and LLM text for graphviz.

Scorecard names come from users and language models, so every piece of text
that ends up in the DOT source is data, never markup. Two contexts exist:

* HTML-like labels (``label=<...>``), parsed by graphviz as XML: ``&``, ``<``,
  ``>``, ``"`` and ``'`` become entities, line breaks become ``<BR/>``, and a
  backslash is doubled (graphviz 2.43 still expands ``\\N``, ``\\G``, ... in HTML
  text; ``\\\\`` gives one literal backslash, an entity ``&#92;`` would not help).
* Quoted DOT strings (``tooltip="..."``): ``"`` is escaped, line breaks become
  ``\\n`` and a backslash becomes four (the string goes through two rounds of
  escape processing, the second of which also expands ``\\N``); braces and
  brackets are harmless inside quotes. Checked against ``dot`` 2.43 output.

Control characters (other than tab and newline) are removed in both, because
they are not allowed in the XML of an SVG file.
"""

from __future__ import annotations

import re
import textwrap

__all__ = ["clean", "dot_quote", "html_text", "wrap_html"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def clean(text: object) -> str:
    """``str(text)`` without control characters; CR/CRLF become LF."""
    s = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", s)


def html_text(text: object) -> str:
    """Escape text for a graphviz HTML-like label (one line; newlines become spaces).

    Examples
    --------
    >>> html_text('<b> & "x"')
    '&lt;b&gt; &amp; &quot;x&quot;'
    """
    s = " ".join(clean(text).split())
    return (
        s.replace("\\", "\\\\")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def wrap_html(text: object, width: int = 22, *, align: str | None = None, max_lines: int = 4) -> str:
    """Wrap text at about ``width`` characters and escape each line for an HTML-like label.

    Lines are joined with ``<BR/>`` (or ``<BR ALIGN="..."/>`` when ``align`` is
    given; otherwise the cell's ``BALIGN`` decides); at most ``max_lines`` lines
    are kept (the last one ends with an ellipsis when text was cut).

    Examples
    --------
    >>> wrap_html("Share of assortment on automated demand forecasting", 22)
    'Share of assortment on<BR/>automated demand<BR/>forecasting'
    """
    words = " ".join(clean(text).split())
    lines = textwrap.wrap(words, width=width, break_long_words=True, break_on_hyphens=True) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, width - 1)].rstrip() + "\u2026"
    sep = f'<BR ALIGN="{align}"/>' if align else "<BR/>"
    return sep.join(html_text(x) for x in lines)


def dot_quote(text: object) -> str:
    r"""Quote text as a DOT string literal (ids, tooltips and other escString attributes).

    Examples
    --------
    >>> print(dot_quote('say "hi" {x}'))
    "say \"hi\" {x}"
    >>> print(dot_quote('a\\b'))
    "a\\\\b"
    """
    s = clean(text).replace("\\", "\\" * 4).replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'

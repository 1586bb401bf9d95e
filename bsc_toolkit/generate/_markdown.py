"""Markdown safety: user and LLM text is data, never markup or code.

:func:`md_escape` turns any text into a Markdown literal (inline). :func:`sanitize_markdown`
keeps an LLM's Markdown formatting but removes what would be executed or passed through
raw by pandoc or Quarto: raw HTML, raw-format attributes, executable code cells and
shortcodes.
"""

from __future__ import annotations

import re

__all__ = ["md_escape", "sanitize_markdown"]

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$@&^])")


def md_escape(text: object) -> str:
    """Escape text for use inline in (pandoc/Quarto) Markdown; newlines become spaces.

    Examples
    --------
    >>> md_escape("<b>*x*</b>") == "\\\\<b\\\\>\\\\*x\\\\*\\\\</b\\\\>"
    True
    """
    s = " ".join(str(text).split())
    return _SPECIAL.sub(r"\\\1", s)


_FENCE_ATTR = re.compile(r"^(\s*)(`{3,}|~{3,})\s*\{[^}\n]*\}", flags=re.M)


def sanitize_markdown(text: str) -> str:
    """Keep Markdown formatting of model-written text but defuse raw HTML and executable code.

    * ``<`` becomes ``&lt;`` (no raw HTML, no Quarto ``{{< shortcodes >}}``);
    * code fences lose their attributes (```` ```{python} ```` becomes a plain code block);
    * inline ```{r} expr``` executions and ``{=html}`` raw attributes are broken up.

    Examples
    --------
    >>> sanitize_markdown("## Verdict\\n<script>x</script>")
    '## Verdict\\n&lt;script>x&lt;/script>'
    """
    s = text.replace("<", "&lt;")
    s = _FENCE_ATTR.sub(r"\1\2", s)
    s = re.sub(r"\{=\s*[\w-]+\s*\}", "", s)
    s = s.replace("`{", "` {")
    return s

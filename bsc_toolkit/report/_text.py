"""Leaf helpers of the report stage (no imports from the rest of it): bundled template paths and
the neutralising of Quarto shortcodes, used by the Markdown writer, the style and the renderers."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from ..errors import RenderError

__all__ = ["WORD_JOINER", "neutralise_shortcodes", "template_path"]

#: U+2060 WORD JOINER: invisible, and it keeps ``{{`` from ever forming a Quarto shortcode
WORD_JOINER = "\u2060"
_BRACE_PAIR = re.compile(r"(?<=\{)(?=\{)|(?<=\})(?=\})")


def neutralise_shortcodes(text: str) -> str:
    """Put an invisible word joiner between doubled braces, so ``{{< ... >}}`` is never a Quarto shortcode.

    Quarto runs shortcodes in the front matter even when every character is
    backslash-escaped (a scorecard name ``{{< env OPENAI_API_KEY >}}`` would put the key
    in the HTML ``<title>``); a joiner between the braces stops that and reads the same.

    Examples
    --------
    >>> neutralise_shortcodes("{{< env KEY >}}") == "{\u2060{< env KEY >}\u2060}"
    True
    """
    return _BRACE_PAIR.sub(WORD_JOINER, text)


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

"""Safe Markdown (Quarto) building blocks: escaping, tables, badges, front matter.

Everything a user or an LLM wrote (scorecard names, rationales, narratives) is
*data*. It goes into the ``.qmd`` through :func:`md_escape` (inline text, front
matter included) or :func:`sanitize_markdown` (Markdown that should keep its
formatting), so it can neither inject HTML or typst nor break a table, a heading,
a fenced div or the YAML front matter, and no Quarto shortcode (``{{< env X >}}``)
can run. Numbers come from the one formatter, :mod:`bsc_toolkit._format`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from ._text import WORD_JOINER, neutralise_shortcodes

__all__ = [
    "WORD_JOINER",
    "badge",
    "front_matter",
    "md_escape",
    "md_table",
    "neutralise_shortcodes",
    "sanitize_markdown",
]



# ASCII punctuation that means something in Pandoc/Quarto Markdown somewhere
# (emphasis, code, links, attributes, raw HTML, entities, headings, tables, math,
# citations and cross references, sub/superscripts, fenced divs, list markers).
# Commas, full stops, parentheses, quotes, ';', '?', '/' and '%' are harmless
# mid-line and are left alone so the .qmd stays readable.
_SPECIAL = set("\\`*_{}[]<>#|!$@~^&:=+\"")
_LEADING_NUMBER = re.compile(r"^(\d+)([.)])")


def md_escape(text: object) -> str:
    """Escape text for inline use in Pandoc/Quarto Markdown (one line, literal).

    Newlines and tabs become spaces, every Markdown-significant character is
    backslash-escaped, ``--`` cannot become a dash or a rule, and a leading
    ``1.`` cannot start a list. The result renders as the original text in
    HTML (escaped there by pandoc), typst and DOCX.

    Examples
    --------
    >>> md_escape("Revenue | <b>growth</b> #1")
    'Revenue \\\\| \\\\<b\\\\>growth\\\\</b\\\\> \\\\#1'
    >>> md_escape("line one\\n---\\nline two")
    'line one \\\\-\\\\-\\\\- line two'
    """
    s = "" if text is None else str(text)
    s = re.sub(r"[\r\n\t\f\v\u2028\u2029]+", " ", s).strip()
    s = "".join(ch for ch in s if ch >= " " or ch == " ")
    s = neutralise_shortcodes(s)
    out = []
    n = len(s)
    for i, ch in enumerate(s):
        if ch in _SPECIAL:
            out.append("\\" + ch)
        elif ch == "-" and (i == 0 or s[i - 1] == "-" or (i + 1 < n and s[i + 1] == "-")):
            out.append("\\-")
        else:
            out.append(ch)
    res = "".join(out)
    res = _LEADING_NUMBER.sub(lambda m: m.group(1) + "\\" + m.group(2), res)
    return res


def badge(kind: str, value: str, label: str) -> str:
    """A coloured badge with its letter, as a bracketed span.

    ``value`` must be one of the fixed status/verdict/robustness words (never user
    text). ``report.css`` colours it in HTML and ``shared.lua`` turns it into a
    coloured box in typst and shaded runs in DOCX, with both renderers.

    Examples
    --------
    >>> badge("status", "no_data", "no data")
    '[[–]{.badge-letter} no data]{.badge .status-no-data}'
    >>> badge("verdict", "supported", "supported")
    '[[S]{.badge-letter} supported]{.badge .verdict-supported}'
    """
    from .style import BADGE_LETTERS

    if not re.fullmatch(r"[a-z_]+", value) or kind not in ("status", "verdict", "robustness"):
        raise ValueError(f"badge value must be a fixed status/verdict word, got {value!r}")
    cls = value.replace("_", "-") if kind == "robustness" else f"{kind}-{value.replace('_', '-')}"
    letter = BADGE_LETTERS.get(cls, value[:1].upper())
    return f"[[{md_escape(letter)}]{{.badge-letter}} {md_escape(label)}]{{.badge .{cls}}}"


def md_table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    widths: Sequence[int] | None = None,
    align: Sequence[str] | None = None,
    caption: str | None = None,
    label: str | None = None,
) -> str:
    """A pipe table. Cells must already be Markdown (escape user text with :func:`md_escape`).

    ``widths`` are relative column widths (as dashes); ``align`` holds ``l``,
    ``r`` or ``c`` per column. ``caption`` and ``label`` give the Quarto caption
    line ``: caption {#tbl-label}``.

    Examples
    --------
    >>> print(md_table(["a", "b"], [["1", "2"]], align="lr"))
    | a | b |
    |:---|---:|
    | 1 | 2 |
    """
    ncol = len(header)
    widths = list(widths) if widths is not None else [3] * ncol
    align = list(align) if align is not None else ["l"] * ncol
    seps = []
    for w, a in zip(widths, align, strict=True):
        d = "-" * max(int(w), 3)
        seps.append({"l": ":" + d, "r": d + ":", "c": ":" + d + ":"}.get(a, d))
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(seps) + "|"]
    for r in rows:
        cells = [str(c).replace("\n", " ") if str(c).strip() else " " for c in r]
        if len(cells) != ncol:
            raise ValueError(f"table row has {len(cells)} cells, header has {ncol}")
        lines.append("| " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    if caption is not None:
        text += f"\n\n: {caption}" + (f" {{#{label}}}" if label else "")
    return text


def front_matter(meta: dict[str, Any]) -> str:
    """YAML front matter, dumped with ``yaml.safe_dump`` (string values quoted safely).

    String values are Markdown to pandoc, so callers escape user text with
    :func:`md_escape` first.

    Examples
    --------
    >>> print(front_matter({"title": 'A "quoted" title'}))
    ---
    title: A "quoted" title
    ---
    <BLANKLINE>
    """
    import yaml

    body = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000)
    return "---\n" + body + "---\n"


# --------------------------------------------------------------- sanitising Markdown
#: the reader the sanitiser parses with: every extension the final render enables (pandoc's
#: Markdown, as the fallback reads the .qmd and as Quarto's reader builds on), so nothing
#: the sanitiser writes back as text can turn into markup when the report is rendered
_READ_FORMAT = "markdown+smart"
#: the writer: the same extensions, so it escapes everything the final reader would parse
_WRITE_FORMAT = "markdown-smart"

_UNSAFE_NODES = {"RawInline", "RawBlock", "Image", "Div", "Span", "Cite"}
_ATTR_NODES = {"Link": 0, "Code": 0, "CodeBlock": 0, "Header": 1}


def _unsafe_parts(node: Any, found: list[str]) -> None:
    """Collect what a parsed (pandoc JSON) document holds that a sanitised text must not."""
    if isinstance(node, list):
        for x in node:
            _unsafe_parts(x, found)
        return
    if not isinstance(node, dict):
        return
    t = node.get("t")
    if t in _UNSAFE_NODES:
        found.append(t)
    elif t in _ATTR_NODES:
        c = node.get("c") or []
        attr = c[_ATTR_NODES[t]] if len(c) > _ATTR_NODES[t] else None
        # headings get automatic identifiers from their text when parsed; classes and key=value pairs
        # (where onclick= and style= would live) are never expected
        if isinstance(attr, list) and len(attr) == 3 and ((attr[0] and t != "Header") or attr[1] or attr[2]):
            found.append(f"{t} attributes")
        if t == "Link":
            target = (c[2] or [""])[0] if len(c) > 2 else ""
            if not re.match(r"^\s*(https?://|mailto:)", str(target), flags=re.I):
                found.append("Link target")
    elif t == "Str" and ("{{" in str(node.get("c")) or "}}" in str(node.get("c"))):
        found.append("shortcode braces")
    for v in node.values():
        if isinstance(v, (list, dict)):
            _unsafe_parts(v, found)


def sanitize_markdown(text: str | None, *, shift_headings: int = 1) -> str:
    """Make Markdown from a user or an LLM safe to include in a report.

    The text is parsed by pandoc with **every** extension the final render enables
    (raw HTML and raw ``{=format}`` blocks, attributes on links, code and headings,
    fenced divs, citations), so what is markup to the renderer is seen as markup here
    too. A Lua filter then drops raw content (``<script>``, ``{=html}``, ``{=typst}``),
    images (nothing local can be embedded), links other than http(s)/mailto, divs,
    spans and every attribute; citations and cross references become their text, math
    becomes code, doubled braces cannot form a Quarto shortcode, and headings move down
    ``shift_headings`` levels. The result is written back with the same extensions and
    parsed once more to check that nothing unsafe survived; if anything did, the text
    is included as escaped plain paragraphs instead.

    Examples
    --------
    >>> sanitize_markdown("# Hi\\n\\n<script>alert(1)</script> **bold**")  # doctest: +SKIP
    '## Hi\\n\\nalert(1) **bold**\\n'
    """
    if not text or not str(text).strip():
        return ""
    from ._text import template_path
    from .render import pandoc_convert

    out = pandoc_convert(
        str(text),
        to=_WRITE_FORMAT,
        fmt=_READ_FORMAT,
        extra_args=[
            f"--lua-filter={template_path('sanitize.lua')}",
            f"--shift-heading-level-by={int(shift_headings)}",
            "--wrap=none",
        ],
    ).strip()
    if not out:
        return ""
    import json

    found: list[str] = []
    _unsafe_parts(json.loads(pandoc_convert(out, to="json", fmt=_READ_FORMAT)).get("blocks"), found)
    if found:  # never expected; escaped plain text is the safe answer
        paras = [p for p in re.split(r"\n\s*\n", str(text)) if p.strip()]
        return "\n\n".join(md_escape(p) for p in paras) + "\n"
    return out + "\n"

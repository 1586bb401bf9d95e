"""Safe Markdown (Quarto) building blocks: escaping, tables, numbers, front matter.

Everything a user or an LLM wrote (scorecard names, rationales, narratives) is
*data*. It goes into the ``.qmd`` through :func:`md_escape` (inline text) or
:func:`sanitize_markdown` (Markdown that should keep its formatting), so it can
neither inject HTML nor break a table, a heading, a fenced div or the YAML
front matter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "badge",
    "fmt_ci",
    "fmt_num",
    "fmt_q",
    "front_matter",
    "md_escape",
    "md_table",
    "q_phrase",
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


def fmt_num(x: float | int | None, digits: int = 3, sign: bool = False) -> str:
    """Format a number for reports: ``digits`` significant figures, no exponent for usual sizes.

    ``None``/NaN give an en dash.

    Examples
    --------
    >>> fmt_num(0.4951858), fmt_num(-0.0481, sign=True), fmt_num(1.1), fmt_num(12345.6), fmt_num(None)
    ('0.495', '-0.0481', '1.10', '12,346', '–')
    """
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    x = float(x)
    plus = "+" if sign and x > 0 else ""
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 10 ** digits:
        return f"{plus}{x:,.0f}"
    if a < 1e-4:
        return f"{plus}{x:.{max(digits - 1, 1)}e}"
    # fixed notation with `digits` significant figures
    decimals = max(digits - 1 - int(math.floor(math.log10(a))), 0)
    return plus + f"{x:.{decimals}f}"


def fmt_q(q: float | None) -> str:
    """Format a p- or q-value: three decimals, ``< 0.001`` below that.

    Examples
    --------
    >>> fmt_q(0.0015), fmt_q(0.00001), fmt_q(1), fmt_q(None)
    ('0.002', '< 0.001', '1.000', '–')
    """
    if q is None or (isinstance(q, float) and not math.isfinite(q)):
        return "–"
    q = float(q)
    if q < 0.001:
        return "< 0.001"
    return f"{q:.3f}"


def q_phrase(q: float | None, name: str = "q") -> str:
    """``q = 0.012`` or ``q < 0.001`` (``q not available`` when missing).

    Examples
    --------
    >>> q_phrase(0.0125), q_phrase(1e-6)
    ('q = 0.013', 'q < 0.001')
    """
    f = fmt_q(q)
    if f == "–":
        return f"{name} not available"
    return f"{name} {f}" if f.startswith("<") else f"{name} = {f}"


def fmt_ci(lo: float | None, hi: float | None) -> str:
    """Format a confidence interval as ``[lo, hi]``.

    Examples
    --------
    >>> fmt_ci(0.2525, 0.7378)
    '[0.253, 0.738]'
    """
    if lo is None or hi is None:
        return "–"
    return f"[{fmt_num(lo)}, {fmt_num(hi)}]"


def badge(kind: str, value: str, label: str) -> str:
    """A coloured badge as a bracketed span, e.g. ``[supported]{.badge .verdict-supported}``.

    ``value`` must be one of the fixed status/verdict words (never user text);
    the Lua filter turns it into a coloured box in HTML, typst and DOCX.

    Examples
    --------
    >>> badge("status", "no_data", "no data")
    '[no data]{.badge .status-no-data}'
    """
    if not re.fullmatch(r"[a-z_]+", value) or kind not in ("status", "verdict"):
        raise ValueError(f"badge value must be a fixed status/verdict word, got {value!r}")
    return f"[{md_escape(label)}]{{.badge .{kind}-{value.replace('_', '-')}}}"


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
_READ_FORMAT = (
    "markdown-raw_html-raw_tex-raw_attribute-yaml_metadata_block-fenced_divs-native_divs"
    "-native_spans-bracketed_spans-citations-link_attributes-inline_code_attributes"
    "-fenced_code_attributes-header_attributes-markdown_in_html_blocks"
)
_WRITE_FORMAT = "markdown-raw_html-raw_attribute-raw_tex-smart"


def sanitize_markdown(text: str | None, *, shift_headings: int = 1) -> str:
    """Make Markdown from a user or an LLM safe to include in a report.

    The text is parsed by pandoc with raw HTML/LaTeX, raw attributes, YAML
    blocks, fenced divs, citations and attributes switched off, so ``<script>``
    is text, ``:::`` cannot close a callout and ``---`` cannot start metadata;
    a Lua filter drops images (no local file can be embedded), raw content and
    links other than http(s)/mailto, and headings move down ``shift_headings``
    levels. The result is written back as plain pandoc Markdown.

    Examples
    --------
    >>> sanitize_markdown("# Hi\\n\\n<script>alert(1)</script> **bold**")  # doctest: +SKIP
    '## Hi\\n\\n\\\\<script\\\\>alert(1)\\\\</script\\\\> **bold**\\n'
    """
    if not text or not str(text).strip():
        return ""
    from .render import pandoc_convert, template_path

    out = pandoc_convert(
        str(text),
        to=_WRITE_FORMAT,
        fmt=_READ_FORMAT,
        extra_args=[
            f"--lua-filter={template_path('sanitize.lua')}",
            f"--shift-heading-level-by={int(shift_headings)}",
            "--wrap=none",
        ],
    )
    return out.strip() + "\n"

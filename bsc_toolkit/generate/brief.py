"""The strategy brief a scorecard is generated from.

A brief is either free text (Markdown: the organisation, its situation and
strategy in prose) or a small YAML file with named fields. Markdown may start
with a YAML front-matter block (``---`` ... ``---``) holding the same fields.
Unknown keys are an error that names the file and the key.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import GenerationError, clip
from ..scorecard._yaml import DocumentError, load_yaml, read_text

__all__ = ["Brief", "as_brief", "demo_brief_path", "list_briefs", "load_brief", "brief_path"]

#: a brief file larger than this is refused before it is read
MAX_BRIEF_BYTES = 200_000
#: a brief's text may hold at most this many characters (about ten pages)
MAX_BRIEF_CHARS = 20_000
#: at most this many themes and constraints, each at most ``MAX_ITEM_CHARS`` long
MAX_ITEMS, MAX_ITEM_CHARS = 40, 300

_PERSPECTIVE_KEYS = {
    "financial": "financial", "finance": "financial", "f": "financial",
    "customer": "customer", "customers": "customer", "c": "customer",
    "internal process": "internal_process", "process": "internal_process", "internal": "internal_process",
    "p": "internal_process",
    "learning growth": "learning_growth", "learning and growth": "learning_growth", "learning": "learning_growth",
    "l": "learning_growth",
}


class Brief(BaseModel):
    """A strategy brief: who the organisation is and what it wants to achieve.

    Attributes
    ----------
    organisation, name, sector, mission, vision, period : str or None
        ``name`` is the scorecard's name (default: "<organisation> Balanced Scorecard").
    themes : tuple of str
        Strategic themes, e.g. "digital transformation", "AI adoption", "ESG".
    constraints : tuple of str
        Constraints the scorecard must respect (budget, regulation, ...).
    n_kpis : int or None
        KPIs wanted in total (15-25; default 20).
    text : str
        Free text (the Markdown body of a text brief).
    source : str or None
        The file the brief came from.

    Examples
    --------
    >>> from bsc_toolkit.generate import Brief
    >>> b = Brief(organisation="Acme", sector="retail", themes=("ESG",))
    >>> b.scorecard_name
    'Acme Balanced Scorecard'
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    organisation: str | None = Field(default=None, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    sector: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=200)
    mission: str | None = Field(default=None, max_length=2000)
    vision: str | None = Field(default=None, max_length=2000)
    period: str | None = Field(default=None, max_length=100)
    themes: tuple[Annotated[str, Field(max_length=MAX_ITEM_CHARS)], ...] = Field(default=(), max_length=MAX_ITEMS)
    constraints: tuple[Annotated[str, Field(max_length=MAX_ITEM_CHARS)], ...] = Field(
        default=(), max_length=MAX_ITEMS)
    n_kpis: int | None = Field(default=None, ge=15, le=25)
    kpis_per_perspective: dict[str, int] | None = Field(
        default=None,
        description="KPIs wanted per perspective, e.g. {financial: 4, customer: 5, internal_process: 6, "
        "learning_growth: 4}: 2-8 each, 15-25 in total, none above 40%.",
    )
    text: str = Field(default="", max_length=MAX_BRIEF_CHARS)
    source: str | None = None

    @field_validator("kpis_per_perspective")
    @classmethod
    def _check_per_perspective(cls, v: dict[str, int] | None) -> dict[str, int] | None:
        if v is None:
            return v
        out: dict[str, int] = {}
        for key, n in v.items():
            p = _PERSPECTIVE_KEYS.get(re.sub(r"[^a-z]+", " ", str(key).lower()).strip())
            if p is None:
                raise ValueError(f"unknown perspective {key!r} (use financial, customer, internal_process, "
                                 "learning_growth)")
            if not 2 <= n <= 8:
                raise ValueError(f"{p}: {n} KPIs, expected 2-8 (2-4 objectives of 1-2 KPIs)")
            out[p] = n
        missing = [p for p in ("financial", "customer", "internal_process", "learning_growth") if p not in out]
        if missing:
            raise ValueError(f"give all four perspectives; missing {', '.join(missing)}")
        total = sum(out.values())
        if not 15 <= total <= 25:
            raise ValueError(f"{total} KPIs in total, expected 15-25")
        for p, n in out.items():
            if n > 0.4 * total:
                raise ValueError(f"{p}: {n} of {total} KPIs is more than 40% (an unbalanced scorecard)")
        return out

    @model_validator(mode="after")
    def _n_kpis_agrees(self) -> Brief:
        if self.n_kpis and self.kpis_per_perspective and sum(self.kpis_per_perspective.values()) != self.n_kpis:
            raise ValueError(f"n_kpis is {self.n_kpis} but kpis_per_perspective adds up to "
                             f"{sum(self.kpis_per_perspective.values())}")
        return self

    @property
    def scorecard_name(self) -> str:
        if self.name:
            return self.name
        org = self.organisation or _first_heading(self.text) or "Organisation"
        if self.department:
            return f"{org} {self.department} Scorecard"
        return f"{org} Balanced Scorecard"

    def as_text(self) -> str:
        """Every field as readable text (what the matcher and the prompts see)."""
        parts = []
        for label, value in (
            ("Organisation", self.organisation), ("Department", self.department),
            ("Sector", self.sector), ("Mission", self.mission), ("Vision", self.vision),
            ("Period", self.period),
        ):
            if value:
                parts.append(f"{label}: {value}")
        if self.themes:
            parts.append("Strategic themes: " + "; ".join(self.themes))
        if self.constraints:
            parts.append("Constraints: " + "; ".join(self.constraints))
        if self.n_kpis:
            parts.append(f"KPIs wanted: {self.n_kpis}")
        if self.text:
            parts.append(self.text)
        return "\n".join(parts)


_FIELDS = [n for n in Brief.model_fields if n != "source"]


def _first_heading(text: str) -> str | None:
    m = re.search(r"^#\s+(.+?)\s*$", text or "", flags=re.M)
    return m.group(1) if m else None


def _load_yaml(text: str, file: str) -> Any:
    """The one place a brief's YAML is parsed: the bounded loader (size, depth, aliases, duplicates)."""
    try:
        return load_yaml(text, what="brief")[0]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise GenerationError(f"brief {file}{line}: malformed YAML: {getattr(exc, 'problem', exc)}") from None


def _from_mapping(data: Any, file: str) -> Brief:
    if not isinstance(data, dict):
        raise GenerationError(f"brief {file}: expected a mapping of fields ({', '.join(_FIELDS)}), got {type(data).__name__}")
    data = dict(data)
    for key in ("themes", "constraints"):
        if isinstance(data.get(key), str):
            data[key] = [data[key]]
    if "description" in data and "text" not in data:
        data["text"] = data.pop("description")
    try:
        return Brief.model_validate({**data, "source": file})
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_url=False):
            key = ".".join(str(p) for p in err.get("loc", ()))
            got = err.get("input")
            if err.get("type") == "extra_forbidden":
                lines.append(f"unknown key '{key}' (allowed: {', '.join(_FIELDS)})")
            elif not key:
                lines.append(str(err.get("msg")).removeprefix("Value error, "))
            else:
                lines.append(f"{key}: {str(err.get('msg')).removeprefix('Value error, ')}, got {clip(got)}")
        raise GenerationError(f"brief {file}: " + "; ".join(lines)) from None


def parse_brief(text: str, *, file: str = "<brief>", format: str | None = None) -> Brief:
    """Parse brief text: YAML fields, or Markdown with optional YAML front matter.

    Examples
    --------
    >>> parse_brief("# Acme\\nWe sell shoes online.", format="md").scorecard_name
    'Acme Balanced Scorecard'
    """
    fmt = (format or "md").lower()
    if len(text) > MAX_BRIEF_CHARS + 5_000:
        raise GenerationError(f"brief {file}: {len(text):,} characters, more than a brief may have "
                              f"({MAX_BRIEF_CHARS:,}); keep it to the organisation and its strategy")
    if fmt in ("yaml", "yml"):
        return _from_mapping(_load_yaml(text, file), file)
    m = re.match(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", text, flags=re.S)
    if m:
        front = _load_yaml(m.group(1), file) or {}
        body = m.group(2).strip()
        if isinstance(front, dict) and body:
            front = {**front, "text": (str(front.get("text", "")) + "\n" + body).strip()}
        return _from_mapping(front, file)
    if not text.strip():
        raise GenerationError(f"brief {file}: is empty; describe the organisation and its strategy")
    fields: dict[str, Any] = {"text": text.strip(), "organisation": _first_heading(text)}
    n = re.search(r"^[ \t]*n_kpis[ \t]*:[ \t]*(\S+)[ \t]*$", text, flags=re.M)
    if n:  # "n_kpis: 18" on a line of its own in a Markdown body
        fields["n_kpis"] = n.group(1)
        fields["text"] = (text[: n.start()] + text[n.end():]).strip()
    return _from_mapping(fields, file)


def _briefs_root():
    return resources.files(__package__).joinpath("briefs")


def list_briefs() -> list[str]:
    """Names of the briefs bundled with the package.

    Examples
    --------
    >>> "demo" in list_briefs()
    True
    """
    return sorted(
        p.name.rsplit(".", 1)[0] for p in _briefs_root().iterdir() if p.name.endswith((".yaml", ".md"))
    )


def brief_path(name: str) -> Path:
    """Path of a bundled brief by name (see :func:`list_briefs`)."""
    for ext in (".yaml", ".md"):
        p = _briefs_root().joinpath(name + ext)
        if p.is_file():
            return Path(str(p))
    raise GenerationError(f"no bundled brief named '{name}' (available: {', '.join(list_briefs())})")


def demo_brief_path() -> Path:
    """The bundled brief ``bsc demo`` generates its scorecard from.

    Examples
    --------
    >>> demo_brief_path().name
    'demo.yaml'
    """
    return brief_path("demo")


def load_brief(path: str | os.PathLike[str]) -> Brief:
    """Load a brief from a YAML file (``.yaml``/``.yml``), a Markdown or text file, or by bundled name.

    Parameters
    ----------
    path : str or path-like
        A file, or the name of a bundled brief (see :func:`list_briefs`).

    Raises
    ------
    GenerationError
        When the file is missing, not UTF-8, malformed, or has an unknown key (named).

    Examples
    --------
    >>> from bsc_toolkit.generate import load_brief
    >>> load_brief("demo").sector
    'retail'
    """
    p = Path(path)
    if not p.exists():
        if str(path) in list_briefs():
            p = brief_path(str(path))
        else:
            raise GenerationError(
                f"brief {path}: file not found (and not a bundled brief: {', '.join(list_briefs())})"
            )
    if p.is_dir():
        raise GenerationError(f"brief {path}: is a folder; expected a .yaml or .md file")
    if p.suffix.lower() in (".csv", ".tsv", ".xlsx", ".xlsm", ".xls", ".parquet", ".duckdb", ".db", ".sqlite",
                            ".pdf", ".docx", ".png", ".svg"):
        raise GenerationError(f"brief {path}: a '{p.suffix}' file is not a strategy brief; expected a .yaml "
                              "brief (organisation, sector, mission, themes, ...) or a .md/.txt text")
    size = p.stat().st_size
    if size > MAX_BRIEF_BYTES:
        raise GenerationError(f"brief {path}: {size:,} bytes, more than a brief may have ({MAX_BRIEF_BYTES:,}); "
                              "keep it to the organisation and its strategy")
    try:
        text = read_text(p, "brief")  # bounded: at most _limits.MAX_DOCUMENT_BYTES
    except DocumentError as exc:
        raise GenerationError(f"brief {path}: {exc.problem}") from None
    except UnicodeDecodeError as exc:
        raise GenerationError(f"brief {path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    fmt = "yaml" if p.suffix.lower() in (".yaml", ".yml") else "md"
    return parse_brief(text, file=str(path), format=fmt)


def as_brief(brief: Brief | str | os.PathLike[str] | dict[str, Any]) -> Brief:
    """Turn what a caller passed into a :class:`Brief`.

    A :class:`Brief` is returned as is; a mapping is validated; a path (or the name
    of a bundled brief) is loaded; any other string is taken as free-text brief.
    """
    if isinstance(brief, Brief):
        return brief
    if isinstance(brief, dict):
        return _from_mapping(brief, "<brief>")
    if isinstance(brief, os.PathLike):
        return load_brief(brief)
    if isinstance(brief, str):
        s = brief.strip()
        if "\n" not in s and len(s) < 400 and (Path(s).exists() or s in list_briefs()):
            return load_brief(s)
        return parse_brief(brief, file="<brief>", format="md")
    raise GenerationError(f"brief must be a Brief, a mapping, a path or text, got {type(brief).__name__}")

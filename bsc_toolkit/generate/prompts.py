"""The prompt templates, read from ``bsc_toolkit/generate/prompts/*.md``.

Templates use :class:`string.Template` placeholders (``$name``), so JSON braces in
the text need no escaping. Edit the Markdown files to change what the LLM is told.
"""

from __future__ import annotations

import string
from importlib import resources

from ..errors import GenerationError

__all__ = ["list_prompts", "render", "template_text"]


def list_prompts() -> list[str]:
    """Names of the prompt templates.

    Examples
    --------
    >>> "system" in list_prompts()
    True
    """
    root = resources.files(__package__).joinpath("prompts")
    return sorted(p.name[:-3] for p in root.iterdir() if p.name.endswith(".md") and p.name != "README.md")


def template_text(name: str) -> str:
    """The raw text of a template."""
    if name not in list_prompts():
        raise GenerationError(f"no prompt template '{name}' (available: {', '.join(list_prompts())})")
    return resources.files(__package__).joinpath("prompts").joinpath(f"{name}.md").read_text(encoding="utf-8")


def render(name: str, **values: object) -> str:
    """Fill a template's ``$placeholders``; a missing value is an error naming it.

    Examples
    --------
    >>> "unknown id" in render("repair", attempt=1, problems="- links[0].to: unknown id")
    True
    """
    try:
        return string.Template(template_text(name)).substitute({k: str(v) for k, v in values.items()})
    except KeyError as exc:
        raise GenerationError(f"prompt template '{name}' needs a value for ${exc.args[0]}") from None
    except ValueError as exc:
        raise GenerationError(f"prompt template '{name}' is malformed: {exc}") from None

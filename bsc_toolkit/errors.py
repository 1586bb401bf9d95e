"""The package's exceptions.

Every error the toolkit raises on purpose derives from :class:`BSCError`, so a
caller (and the ``bsc`` command line) can catch one type and print one clear
line. Subclasses carry the context a user needs to fix the problem: the file,
the place inside it, what was expected and what was found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class BSCError(Exception):
    """Root of every error raised on purpose by bsc-toolkit."""


@dataclass(frozen=True)
class Problem:
    """One located problem in a file: where it is and what is wrong.

    ``path`` is the place inside the document (``objectives[3].kpis[0].direction``),
    ``line`` the 1-based line in the file when the parser knows it.
    """

    path: str
    message: str
    line: int | None = None

    def format(self, file: str | None = None) -> str:
        where = file or "<scorecard>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        loc = f" {self.path}:" if self.path else ""
        return f"{where}:{loc} {self.message}"


class ScorecardError(BSCError, ValueError):
    """A scorecard file (or object) is malformed or inconsistent.

    Attributes
    ----------
    problems : list of Problem
        Every problem found, each with its path inside the document and, where
        known, the line.
    file : str or None
        The file the scorecard came from.
    """

    def __init__(self, problems: Sequence[Problem], file: str | None = None):
        self.problems = list(problems)
        self.file = file
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [p.format(self.file) for p in self.problems]
        if len(lines) == 1:
            return lines[0]
        head = f"{len(lines)} problems in {self.file or 'the scorecard'}:"
        return "\n".join([head, *("  " + x for x in lines)])


class DataError(BSCError, ValueError):
    """KPI history is missing, malformed or does not fit the scorecard.

    The message names the file, the column and (where it applies) the row.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        column: str | None = None,
        row: int | None = None,
    ):
        self.file = file
        self.column = column
        self.row = row
        where = []
        if file:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)


class EstimationError(BSCError, RuntimeError):
    """A statistical model could not be set up or estimated."""


class GenerationError(BSCError, RuntimeError):
    """Scorecard generation failed (LLM provider, invalid answers, brief)."""

    def __init__(self, message: str, *, provider: str | None = None, model: str | None = None):
        self.provider = provider
        self.model = model
        ctx = ", ".join(x for x in (f"provider {provider}" if provider else "", f"model {model}" if model else "") if x)
        super().__init__(f"{message} ({ctx})" if ctx else message)


class RenderError(BSCError, RuntimeError):
    """A map or report could not be rendered (graphviz, pandoc, typst, Quarto)."""


class MissingDependencyError(BSCError, ImportError):
    """An optional dependency or system tool is missing; the message says how to install it."""


class OptionError(DataError):
    """An option has a value outside its allowed set, or does not fit the data (e.g. time effects
    on a single series). The message names the option, what is allowed and what was given."""

    def __init__(self, message: str, *, file: str | None = None):
        super().__init__(message, file=file)

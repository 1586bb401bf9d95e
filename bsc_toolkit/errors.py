"""The package's exceptions, and the two rules every message follows.

Every error the toolkit raises on purpose derives from :class:`BSCError`, so a
caller (and the ``bsc`` command line) can catch one type and print one clear
line. Subclasses carry the context a user needs to fix the problem: the file,
the place inside it, what was expected and what was found.

Messages echo input (a value from a file, an argument, an LLM's answer), and
input can be hostile or huge. Two helpers keep that safe, and :class:`BSCError`
applies both to every message as a last line of defence:

* :func:`clip` quotes a value in at most :data:`MAX_QUOTE` characters and says
  how long it was;
* :func:`redact` replaces every registered secret (:func:`register_secret`; the
  API key in ``OPENAI_API_KEY`` always counts) with ``***``. The atomic writer
  (:mod:`bsc_toolkit._io`) and the package's loggers apply it too.
"""

from __future__ import annotations

import os
import reprlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass

#: the most characters of one input value a message quotes
MAX_QUOTE = 200
#: the longest line of an error message (a net under messages built without :func:`clip`)
MAX_MESSAGE_LINE = 2000
#: environment variables whose values are secrets wherever they appear
SECRET_ENV_VARS: tuple[str, ...] = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY")
#: shorter strings are not treated as secrets (too likely to be ordinary words or numbers)
MIN_SECRET_LENGTH = 8

_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
_REPR = reprlib.Repr()
_REPR.maxstring = MAX_QUOTE
_REPR.maxother = MAX_QUOTE
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = 6
_REPR.maxlevel = 3


def register_secret(value: str | None) -> None:
    """Treat ``value`` as a secret from now on: :func:`redact` replaces it everywhere.

    Values shorter than :data:`MIN_SECRET_LENGTH` characters are ignored.

    Examples
    --------
    >>> register_secret("sk-doc-0123456789")
    >>> redact("key sk-doc-0123456789 leaked")
    'key *** leaked'
    """
    if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
        with _SECRETS_LOCK:
            _SECRETS.add(value)


def secrets() -> list[str]:
    """The registered secrets and those in :data:`SECRET_ENV_VARS`, longest first."""
    found = set(_SECRETS)
    for name in SECRET_ENV_VARS:
        value = os.environ.get(name, "").strip()
        if len(value) >= MIN_SECRET_LENGTH:
            found.add(value)
    return sorted(found, key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` with every secret (see :func:`secrets`) replaced by ``***``.

    Examples
    --------
    >>> redact("nothing secret here")
    'nothing secret here'
    """
    for secret in secrets():
        if secret in text:
            text = text.replace(secret, "***")
    return text


def clip(value: object, limit: int = MAX_QUOTE) -> str:
    """Quote ``value`` for a message: its ``repr``, at most about ``limit`` characters, redacted.

    A longer string is cut and says how long it was; containers are shown in part
    (:mod:`reprlib`), so even a huge list costs little to quote.

    Examples
    --------
    >>> clip("revenue")
    "'revenue'"
    >>> clip("x" * 5000, limit=12)
    "'xxxxxxxxxxxx…' (5,000 characters)"
    >>> clip(list(range(100)))
    '[0, 1, 2, 3, 4, 5, ...]'
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return redact(repr(value))
        return redact(repr(value[:limit] + "…")) + f" ({len(value):,} characters)"
    text = _REPR.repr(value)
    return redact(text if len(text) <= limit else text[:limit] + "…")


def bounded_message(message: str) -> str:
    """A message with secrets redacted and every line cut at :data:`MAX_MESSAGE_LINE` characters.

    :class:`BSCError` applies it to every message; use it for any other text shown to a user.

    Examples
    --------
    >>> len(bounded_message("x" * 10**6)) < 2100
    True
    """
    lines = message.split("\n")
    if any(len(x) > MAX_MESSAGE_LINE for x in lines):
        lines = [x if len(x) <= MAX_MESSAGE_LINE else x[:MAX_MESSAGE_LINE] + f"… ({len(x):,} characters)"
                 for x in lines]
        message = "\n".join(lines)
    return redact(message)


class BSCError(Exception):
    """Root of every error raised on purpose by bsc-toolkit.

    A message is redacted (:func:`redact`) and no line of it is longer than
    :data:`MAX_MESSAGE_LINE` characters, whatever the caller passed.
    """

    def __init__(self, *args: object) -> None:
        if len(args) == 1 and isinstance(args[0], str):
            args = (bounded_message(args[0]),)
        super().__init__(*args)


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
        return bounded_message(f"{where}:{loc} {self.message}")


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


class OutputError(BSCError, ValueError):
    """An output cannot be written where it was asked (a folder, an unwritable place, or an input file)."""


class RenderError(BSCError, RuntimeError):
    """A map or report could not be rendered (graphviz, pandoc, typst, Quarto)."""


class MissingDependencyError(BSCError, ImportError):
    """An optional dependency or system tool is missing; the message says how to install it."""


class OptionError(DataError):
    """An option has a value outside its allowed set, or does not fit the data (e.g. time effects
    on a single series). The message names the option, what is allowed and what was given."""

    def __init__(self, message: str, *, file: str | None = None):
        super().__init__(message, file=file)

"""Small file helpers shared by every stage: atomic, redacted writes; inputs never overwritten.

A result file is written to a temporary name in the same folder and moved into
place with :func:`os.replace`, so a failure (or Ctrl-C) never leaves a good file
half overwritten. Before the move, every secret (:func:`bsc_toolkit.errors.redact`:
the API key, URL credentials) is removed from the file: whatever a model or a
user put into a scorecard, an OKR file or a report, the key is not written.

:func:`check_not_inputs` refuses an output that is the same file as an input, and
:func:`redacting_logger` gives the package's loggers the same redaction.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from .errors import OutputError, redact, secrets

__all__ = ["atomic_path", "atomic_write", "check_not_inputs", "redacting_logger", "same_file"]

#: files larger than this are not read back for redaction (no text output of the toolkit is near it)
_REDACT_MAX_BYTES = 512 * 1024 * 1024


def _redact_file(tmp: Path, target: Path) -> None:
    """Replace every secret in the finished temporary file; refuse a binary file that holds one."""
    found = [s.encode("utf-8") for s in secrets()]
    if not found or tmp.stat().st_size > _REDACT_MAX_BYTES:
        return
    data = tmp.read_bytes()
    if not any(s in data for s in found):
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise OutputError(f"cannot write {target}: the file would contain a secret (the API key); "
                          "nothing was written") from None
    tmp.write_bytes(redact(text).encode("utf-8"))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` is untouched. A
    text file has every secret replaced by ``***`` before the move; a binary file
    holding a secret is refused (:class:`~bsc_toolkit.errors.OutputError`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "out.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "out.txt").read_text()
    'hello'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    sfx = suffix if suffix is not None else target.suffix
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, f"cannot write {target}: it is a folder", str(target))
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=sfx + ".tmp", dir=target.parent)
    except OSError as exc:  # name the user's file, not our temporary one
        raise OSError(exc.errno, f"cannot write {target}: {exc.strerror}", str(target)) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        _redact_file(tmp, target)
        # mkstemp makes the file private (0600); give it the usual permissions a new file gets
        umask = os.umask(0)
        os.umask(umask)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write(path: str | os.PathLike[str], data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` atomically (secrets redacted) and return the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = atomic_write(pathlib.Path(tempfile.mkdtemp()) / "a.txt", "text")
    >>> p.read_text()
    'text'
    """
    with atomic_path(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding=encoding)
    return Path(path)


# ------------------------------------------------------------ inputs and outputs
def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name the same file (links, ``./x`` and ``x``, case-insensitive disks included).

    Examples
    --------
    >>> same_file("a/../x.csv", "x.csv")
    True
    """
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where they would be
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def _existing_file(path: str | os.PathLike[str] | None) -> Path | None:
    if path is None or str(path) in ("", "-"):
        return None
    p = Path(path)
    return p if p.is_file() else None  # example names, URLs and missing files are not files to protect


def check_not_inputs(
    outputs: Mapping[str, str | os.PathLike[str] | None],
    inputs: Mapping[str, str | os.PathLike[str] | None],
    *,
    folders: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Refuse, before any work, an output that would replace an input or another output.

    Parameters
    ----------
    outputs : mapping
        What each output is called in messages (``"--json"``) -> its path. ``None`` and
        ``"-"`` (standard output) are skipped.
    inputs : mapping
        The same for inputs; only existing files count (an example name is not a file).
    folders : mapping, optional
        For an output that is a FOLDER: its name -> glob patterns of the files written
        inside it (``("history.csv", "truth.json")``, ``("index.*", "figures/*")``).

    Raises
    ------
    bsc_toolkit.errors.OutputError
        Naming both options and the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> data = pathlib.Path(tempfile.mkdtemp()) / "h.csv"; _ = data.write_text("x")
    >>> check_not_inputs({"--json": "out.json"}, {"--data": data})
    >>> check_not_inputs({"--json": data}, {"--data": data})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    bsc_toolkit.errors.OutputError: --json ... is the same file as the input --data ...; it would be replaced: choose another output name
    """
    folders = folders or {}
    ins = [(name, p) for name, path in inputs.items() if (p := _existing_file(path)) is not None]
    outs = [(name, path) for name, path in outputs.items() if path is not None and str(path) not in ("", "-")]
    for name, path in outs:
        if name in folders:
            root = os.path.realpath(path)
            for in_name, p in ins:
                rel = os.path.relpath(os.path.realpath(p), root)
                inside = rel != os.pardir and not rel.startswith(os.pardir + os.sep)
                if inside and any(fnmatch.fnmatch(Path(rel).as_posix(), pat)
                                                         for pat in folders[name]):
                    raise OutputError(f"{name} {path} would replace the input {in_name} {p} (it writes "
                                      f"{Path(rel).as_posix()} there): choose another output folder")
            continue
        for in_name, p in ins:
            if same_file(path, p):
                raise OutputError(f"{name} {path} is the same file as the input {in_name} {p}; it would be "
                                  "replaced: choose another output name")
    files = [(name, path) for name, path in outs if name not in folders]
    for i, (name, path) in enumerate(files):
        for other, other_path in files[:i]:
            if same_file(path, other_path):
                raise OutputError(f"{name} {path} and {other} {other_path} are the same file; one would "
                                  "overwrite the other: give them different names")


# ------------------------------------------------------------------ logging
class _RedactFilter(logging.Filter):
    """Formats a record's message and removes every secret from it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        return True


def redacting_logger(name: str) -> logging.Logger:
    """The logger ``name`` with a filter that removes every secret from its records.

    A logger's filters see only the records logged on that logger (not those of its
    children), so each module of the package that logs asks for its logger here.

    Examples
    --------
    >>> redacting_logger("bsc_toolkit.example").name
    'bsc_toolkit.example'
    """
    logger = logging.getLogger(name)
    if not any(isinstance(f, _RedactFilter) for f in logger.filters):
        logger.addFilter(_RedactFilter())
    return logger

"""Talking to any OpenAI-compatible chat-completions server.

The official ``openai`` client is used with ``max_retries=0``: the retry loop is
here, visible and testable. Timeouts, connection errors, HTTP 429 and 5xx are
retried with exponential backoff (honouring ``Retry-After``); other HTTP errors
fail at once.

The transport is bounded: ``timeout`` is the longest time of one request from
start to the last byte of the answer (a server that drips one byte a second
cannot hold it open), answers larger than
:data:`bsc_toolkit._limits.MAX_LLM_RESPONSE_BYTES` are refused, and redirects
are not followed (a redirect would send the request, and the key, elsewhere).

The API key is registered as a secret (:func:`bsc_toolkit.errors.register_secret`)
as soon as a configuration holds it: it is redacted from every message, log line
and written file, and from the model's answers themselves.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import importlib
import math
import os
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .. import _limits
from .._io import redacting_logger
from ..errors import GenerationError, clip, redact, register_secret

__all__ = [
    "DEFAULT_MODEL", "LLMConfig", "RESPONSE_MODES", "ResponseFormatRejected", "ResponseTooLarge", "chat",
    "resolve_config", "resolve_response_mode", "retry_delay",
]

log = redacting_logger("bsc_toolkit.generate")

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_BASE_URL = "https://api.openai.com/v1"

#: how the answer's format is requested: ``auto`` tries ``json_schema``, then ``json_object``,
#: then no ``response_format``; the others force one of them
RESPONSE_MODES = ("auto", "json_schema", "json_object", "none")
RESPONSE_MODE_ENV = "BSC_LLM_RESPONSE_MODE"

# an HTTP 400/422 whose error text matches this is a refusal of the response_format itself
_FORMAT_REFUSAL = re.compile(r"response[_ ]?format|json[_ ]?schema|structured", re.IGNORECASE)


class ResponseFormatRejected(GenerationError):
    """The server refused the request's ``response_format`` (HTTP 400/422 whose text names it).

    Raised by :func:`chat` only when a ``response_format`` was sent; the generator
    catches it to fall back to a simpler mode. Uncaught, it reads like any other
    refused request.

    Attributes
    ----------
    status : int
        The HTTP status (400 or 422).
    detail : str
        The server's error text (API key redacted).
    """

    def __init__(self, message: str, *, status: int, detail: str,
                 provider: str | None = None, model: str | None = None):
        self.status = status
        self.detail = detail
        super().__init__(message, provider=provider, model=model)


def resolve_response_mode(mode: str | None = None) -> str:
    """The response mode to use: ``mode``, else ``BSC_LLM_RESPONSE_MODE``, else ``"auto"``.

    Examples
    --------
    >>> resolve_response_mode("json_object")
    'json_object'
    """
    source = "`response_mode`"
    if mode is None:
        mode = os.environ.get(RESPONSE_MODE_ENV) or "auto"
        source = RESPONSE_MODE_ENV
    value = mode.strip().lower() if isinstance(mode, str) else mode
    if value not in RESPONSE_MODES:
        allowed = ", ".join(repr(m) for m in RESPONSE_MODES)
        raise GenerationError(f"{source} must be one of {allowed}, got {mode!r}")
    return str(value)


def _safe_url(url: str) -> str:
    """The URL without user info, query or fragment (they may hold secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


@dataclass(frozen=True)
class LLMConfig:
    """Where and how to reach the model. ``api_key`` is never shown (not in repr, not in messages).

    Attributes
    ----------
    model : str
    base_url : str or None
        ``None`` means the OpenAI API.
    api_key : str or None
    timeout : float
        Longest time of one request in seconds, from sending it to the last byte of the answer
        (at most :data:`bsc_toolkit._limits.MAX_TIMEOUT`).
    retries : int
        Retries of transient failures (timeouts, connection errors, 429, 5xx) per request.
    backoff : float
        First backoff delay in seconds; doubles each retry (``Retry-After`` wins when sent).
    max_backoff : float
        Longest single wait, in seconds.
    """

    model: str
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 60.0
    retries: int = 3
    backoff: float = 1.0
    max_backoff: float = 30.0

    def __post_init__(self) -> None:
        for secret in self._secrets():
            register_secret(secret)
        if not (0 < self.timeout <= _limits.MAX_TIMEOUT):  # also refuses nan
            raise GenerationError(f"timeout must be in (0, {_limits.MAX_TIMEOUT:g}] s, got {self.timeout!r}")

    def _secrets(self) -> list[str]:
        found = [self.api_key] if self.api_key else []
        if self.base_url:
            parts = urlsplit(self.base_url)
            found += [x for x in (parts.password, parts.query) if x]
        return found

    @property
    def url(self) -> str:
        return _safe_url(self.base_url or DEFAULT_BASE_URL)

    @property
    def provider(self) -> str:
        """The provider as named in messages: the base URL's host (and port)."""
        parts = urlsplit(self.url)
        return parts.netloc or self.url

    def redact(self, text: object) -> str:
        """``text`` with the API key, any URL credentials and every registered secret replaced by ``***``."""
        s = redact(str(text))
        for secret in self._secrets():
            if len(secret) >= 4:
                s = s.replace(secret, "***")
        return s

    def __repr__(self) -> str:
        key = "***" if self.api_key else None
        return f"LLMConfig(model={self.model!r}, url={self.url!r}, api_key={key!r}, timeout={self.timeout})"


def resolve_config(
    provider: str = "auto",
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
    max_backoff: float = 30.0,
) -> LLMConfig | None:
    """Decide between the offline generator (``None``) and an LLM (an :class:`LLMConfig`).

    Arguments win over the environment: ``OPENAI_API_KEY``, ``OPENAI_BASE_URL`` and
    ``BSC_LLM_MODEL`` (default model ``gpt-4o-mini``). ``provider="auto"`` uses the LLM
    when a key or a base URL is configured, and the offline generator otherwise.

    Examples
    --------
    >>> resolve_config("offline") is None
    True
    >>> cfg = resolve_config("openai", base_url="http://localhost:11434/v1", model="llama3.1")
    >>> cfg.provider
    'localhost:11434'
    """
    if provider not in ("auto", "offline", "openai"):
        raise GenerationError(f"`provider` must be one of 'auto', 'offline', 'openai', got {provider!r}")
    if provider == "offline":
        return None
    key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY") or None
    url = base_url if base_url is not None else os.environ.get("OPENAI_BASE_URL") or None
    if provider == "auto" and not key and not url:
        return None
    if not key and not url:
        raise GenerationError(
            "provider 'openai' needs an API key or a base URL: set OPENAI_API_KEY (or pass api_key), "
            "or point OPENAI_BASE_URL / base_url at a local OpenAI-compatible server (Ollama, vLLM, LM Studio)",
            provider="openai",
        )
    mdl = model or os.environ.get("BSC_LLM_MODEL") or DEFAULT_MODEL
    if not (0 < timeout <= _limits.MAX_TIMEOUT) or not (0 <= retries <= 100) or not (0 <= backoff <= 3600):
        raise GenerationError(f"timeout must be in (0, {_limits.MAX_TIMEOUT:g}] s, retries in 0..100 and backoff in "
                              f"0..3600 s, got {timeout!r}, {retries!r}, {backoff!r}")
    return LLMConfig(mdl, url, key, float(timeout), int(retries), float(backoff), float(max_backoff))


def retry_delay(headers: Any, attempt: int, backoff: float, max_backoff: float = 30.0) -> float:
    """Seconds to wait before retry number ``attempt + 1``.

    ``Retry-After-Ms`` or ``Retry-After`` (seconds or an HTTP date) from the server win;
    otherwise ``backoff * 2**attempt``. Never more than ``max_backoff``.

    Examples
    --------
    >>> retry_delay({"retry-after": "2"}, 0, backoff=0.5)
    2.0
    >>> retry_delay({}, 3, backoff=0.5)
    4.0
    >>> retry_delay({"retry-after": "nan"}, 0, backoff=0.5)  # a broken header falls back to backoff
    0.5
    """
    delay: float | None = None
    get = (lambda k: headers.get(k)) if headers is not None else (lambda k: None)
    ms = get("retry-after-ms")
    if ms is not None:
        try:
            delay = float(ms) / 1000.0
        except ValueError:
            delay = None
    ra = get("retry-after")
    if (delay is None or math.isnan(delay)) and ra is not None:
        try:
            delay = float(ra)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(ra)
                delay = (when - _dt.datetime.now(_dt.timezone.utc)).total_seconds()
            except (TypeError, ValueError, OverflowError):
                delay = None
    if delay is None or math.isnan(delay) or delay < 0:  # 'nan', '-1', a date in the past
        delay = backoff * (2**attempt)
    return float(min(delay, max_backoff))


class ResponseTooLarge(GenerationError):
    """The server's answer is larger than :data:`bsc_toolkit._limits.MAX_LLM_RESPONSE_BYTES`."""


def _http_library() -> Any:
    """The HTTP library the installed ``openai`` client is built on (``httpx``, or ``httpx2`` in openai 3)."""
    import openai

    base = next(c for c in openai.DefaultHttpxClient.__mro__ if c.__name__ == "Client")
    return importlib.import_module(base.__module__.partition(".")[0])


def _proxy_for(url: str) -> str | None:
    """The proxy the environment names for ``url`` (``HTTPS_PROXY``, ``NO_PROXY``, ...), as httpx would use."""
    parts = urlsplit(url)
    if parts.hostname and urllib.request.proxy_bypass(parts.hostname):
        return None
    return urllib.request.getproxies().get(parts.scheme)


def _deadline_transport(lib: Any, url: str, seconds: float, max_bytes: int) -> Any:
    """A transport of ``lib`` whose requests end ``seconds`` after they start, however the server drips.

    Each request runs in a worker thread that also reads the whole (size-bounded) body;
    the caller waits at most ``seconds``. At the deadline the connections are closed
    (the worker then ends at its next read) and ``lib.ReadTimeout`` is raised, which
    the ``openai`` client reports as a timeout. Only the libraries' public API is used.
    """
    proxy = _proxy_for(url)

    class DeadlineTransport(lib.BaseTransport):  # lib is httpx or httpx2, chosen at run time
        def __init__(self) -> None:
            self._inner = lib.HTTPTransport(proxy=proxy)

        def handle_request(self, request: Any) -> Any:
            result: dict[str, Any] = {}
            inner = self._inner

            def work() -> None:
                try:
                    resp = inner.handle_request(request)
                    chunks, size = [], 0
                    try:
                        for chunk in resp.stream:
                            size += len(chunk)
                            if size > max_bytes:
                                raise ResponseTooLarge(f"the server's answer is larger than {max_bytes:,} bytes")
                            chunks.append(chunk)
                    finally:
                        resp.stream.close()
                    result["response"] = lib.Response(resp.status_code, headers=resp.headers,
                                                      content=b"".join(chunks), request=request)
                except BaseException as exc:  # handed to the caller's thread
                    result["error"] = exc

            worker = threading.Thread(target=work, name="bsc-llm-request", daemon=True)
            worker.start()
            worker.join(seconds)
            if worker.is_alive():
                self._inner = lib.HTTPTransport(proxy=proxy)  # the next request gets fresh connections
                inner.close()
                raise lib.ReadTimeout(f"no complete answer within {seconds:g} s", request=request)
            if "error" in result:
                raise result["error"]
            return result["response"]

        def close(self) -> None:
            self._inner.close()

    return DeadlineTransport()


def _client(cfg: LLMConfig) -> Any:
    """The ``openai`` client for one conversation: no retries of its own, no redirects, a total deadline."""
    import openai

    base_url = cfg.base_url or DEFAULT_BASE_URL
    lib = _http_library()
    transport = _deadline_transport(lib, base_url, cfg.timeout, _limits.MAX_LLM_RESPONSE_BYTES)
    http = openai.DefaultHttpxClient(transport=transport, follow_redirects=False, timeout=cfg.timeout)
    return openai.OpenAI(base_url=base_url, api_key=cfg.api_key or "not-needed", timeout=cfg.timeout,
                         max_retries=0, http_client=http)


def _redirect_message(exc: Any, cfg: LLMConfig) -> str:
    status = exc.status_code
    location = exc.response.headers.get("location", "") if exc.response is not None else ""
    target = _safe_url(location) if "://" in location else location
    where = f" to {clip(target, 120)}" if target else ""
    return (f"the server answered with a redirect (HTTP {status}){where}; redirects are not followed (the "
            f"request and the API key would go to another address): set the base URL to the final address")


def chat(
    cfg: LLMConfig,
    messages: Sequence[dict[str, str]],
    *,
    response_format: dict[str, Any] | None = None,
    temperature: float | None = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Send one chat-completions request (retrying transient failures) and return the answer text.

    Each attempt ends ``cfg.timeout`` seconds after it starts, answer read or not.
    The answer comes back with every secret (the API key, ...) replaced by ``***``.

    Raises
    ------
    GenerationError
        Naming the provider (host), the model and what happened; never the API key.

    Examples
    --------
    >>> cfg = LLMConfig("gpt-4o-mini", api_key="sk-example")  # doctest: +SKIP
    >>> chat(cfg, [{"role": "user", "content": "Say hi"}])  # doctest: +SKIP
    'Hi!'
    """
    try:
        import openai
    except ImportError as exc:  # pragma: no cover - openai is a dependency
        from ..errors import MissingDependencyError

        raise MissingDependencyError("the LLM generator needs the `openai` package: pip install openai") from exc

    kwargs: dict[str, Any] = {"model": cfg.model, "messages": list(messages)}
    if response_format is not None:
        kwargs["response_format"] = response_format
    if temperature is not None:
        kwargs["temperature"] = temperature
    attempts = cfg.retries + 1

    def fail(what: str) -> GenerationError:
        return GenerationError(cfg.redact(what), provider=cfg.provider, model=cfg.model)

    with _client(cfg) as client:
        for attempt in range(attempts):
            headers = None
            try:
                resp = client.chat.completions.create(**kwargs)
            except openai.APITimeoutError:
                what = f"the request timed out after {cfg.timeout:g} s (start to last byte of the answer)"
            except openai.APIConnectionError as exc:
                cause = exc.__cause__ or exc
                what = f"could not connect to {cfg.url} ({type(cause).__name__}: {clip(str(cause))})"
            except openai.APIStatusError as exc:
                status = exc.status_code
                detail = _detail(exc)
                if 300 <= status < 400:
                    raise fail(_redirect_message(exc, cfg)) from None
                if status == 429 or status >= 500:
                    what = f"the server answered HTTP {status}" + (f": {detail}" if detail else "")
                    headers = exc.response.headers if exc.response is not None else None
                else:
                    hint = {401: " (check the API key)", 403: " (check the key's permissions)",
                            404: " (check the model name and the base URL)"}.get(status, "")
                    msg = cfg.redact(f"the server refused the request with HTTP {status}{hint}: {detail}")
                    if (status in (400, 422) and response_format is not None
                            and _FORMAT_REFUSAL.search(detail)):
                        raise ResponseFormatRejected(
                            msg, status=status, detail=cfg.redact(detail), provider=cfg.provider,
                            model=cfg.model,
                        ) from None
                    raise GenerationError(msg, provider=cfg.provider, model=cfg.model) from None
            except ResponseTooLarge as exc:
                raise fail(f"{exc}; the request was abandoned") from None
            except openai.OpenAIError as exc:
                raise fail(f"the request failed: {type(exc).__name__}: {clip(str(exc))}") from None
            except (ValueError, RecursionError) as exc:  # a body that is not a chat-completions answer
                what = (f"the server's answer is not a valid chat-completions response "
                        f"({type(exc).__name__}: {clip(str(exc), 120)})")
            else:
                return cfg.redact(_content(resp))
            if attempt + 1 >= attempts:
                raise fail(f"{what}; gave up after {attempts} attempt(s)")
            delay = retry_delay(headers, attempt, cfg.backoff, cfg.max_backoff)
            log.warning(cfg.redact(
                f"{cfg.provider} ({cfg.model}): {what}; retry {attempt + 1} of {cfg.retries} in {delay:.3g} s"
            ))
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def _detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error")
        msg = err.get("message") if isinstance(err, dict) else body.get("message")
        if msg:
            return str(msg)[:300]
    return str(getattr(exc, "message", "") or exc)[:300]


def _content(resp: Any) -> str:
    """The answer's text; empty when the body has no message text (the caller asks again)."""
    try:
        msg = resp.choices[0].message
        text = getattr(msg, "content", None) or getattr(msg, "refusal", None) or ""
    except (AttributeError, TypeError, IndexError, KeyError):
        return ""
    return text.strip() if isinstance(text, str) else ""

"""A local fake of the OpenAI chat-completions API, for tests and notebooks.

It is a real HTTP server (``http.server`` in a thread) on 127.0.0.1 with an
OS-chosen port, so the real ``openai`` client talks to it exactly as to OpenAI,
Ollama or vLLM. Answers are scripted; every request is recorded.

Example::

    from fake_llm import FakeLLM, reply, status

    with FakeLLM([status(429, retry_after="0"), reply('{"name": "x"}')]) as llm:
        generate_scorecard(brief, base_url=llm.base_url, api_key="sk-test")
        llm.requests[-1].json["response_format"]

Script entries:

* a ``str``: a 200 answer whose message content is that text;
* ``reply(content, delay=0)``: the same, optionally after ``delay`` seconds;
* ``status(code, body=None, retry_after=None)``: an HTTP error answer;
* ``DROP``: close the connection without answering;
* ``drip(content, interval=0.2)``: a 200 answer sent one byte every ``interval`` seconds
  (``headers=True``: the status line and headers too), the slow-loris server;
* ``redirect(location, code=302)``: a redirect to ``location`` (e.g. another FakeLLM);
* ``raw(body, status=200, content_length=None)``: these exact body bytes as the answer,
  e.g. truncated or deeply nested JSON; a larger ``content_length`` than the body
  announces more than is sent (the connection is then closed).

The content of ``reply``/``drip`` may be a function of the recorded :class:`Request`
(e.g. ``lambda req: req.headers["authorization"]``: a server that echoes the key).

When the script is used up, the last entry is repeated.

``FakeLLM(script, reject_formats=("json_schema",))`` plays a server without structured
output (like older Ollama): every request whose ``response_format`` type is listed is
answered with HTTP 400 (``reject_status``) and an error naming the response format,
without using up a script entry. By default nothing is rejected.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["DROP", "FakeLLM", "Request", "chat_completion", "drip", "format_refusal", "free_port", "raw", "redirect",
           "reply", "status"]

DROP = {"drop": True}


def reply(content: str | Any, *, delay: float = 0.0) -> dict[str, Any]:
    """A 200 chat-completion answer with ``content`` (after ``delay`` seconds)."""
    return {"status": 200, "content": content, "delay": delay}


def drip(content: str | Any, *, interval: float = 0.2, headers: bool = False) -> dict[str, Any]:
    """A 200 chat-completion answer sent one byte every ``interval`` seconds (headers too with ``headers``)."""
    return {"status": 200, "content": content, "drip": interval, "drip_headers": headers}


def redirect(location: str, code: int = 302) -> dict[str, Any]:
    """A redirect answer (``Location: location``)."""
    return {"status": code, "body": {"error": {"message": "moved"}}, "headers": {"Location": location}}


def raw(body: bytes, *, status: int = 200, content_length: int | None = None,
        content_type: str = "application/json", headers: dict[str, str] | None = None) -> dict[str, Any]:
    """These exact body bytes as the answer (``content_length`` may announce more than is sent)."""
    return {"raw": body, "status": status, "content_length": content_length, "content_type": content_type,
            "headers": dict(headers or {})}


def status(code: int, body: Any = None, *, retry_after: str | None = None,
           headers: dict[str, str] | None = None) -> dict[str, Any]:
    """An HTTP error answer (e.g. 429, 500, 401) with an OpenAI-style error body."""
    hdrs = dict(headers or {})
    if retry_after is not None:
        hdrs["Retry-After"] = retry_after
    if body is None:
        body = {"error": {"message": f"fake error {code}", "type": "fake", "code": code}}
    return {"status": code, "body": body, "headers": hdrs}


def format_refusal(kind: str, code: int = 400) -> dict[str, Any]:
    """The error answer of a server that does not support ``response_format`` type ``kind``."""
    return status(code, {"error": {"message": f"invalid response_format type: {kind!r} is not supported",
                                   "type": "invalid_request_error", "param": "response_format",
                                   "code": None}})


def chat_completion(content: str, model: str = "fake-model") -> dict[str, Any]:
    """The JSON body of a chat-completions answer."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop", "logprobs": None}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@dataclass
class Request:
    """One recorded request: method, path, headers (lower-case names) and the JSON body."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any = field(default=None)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (for 'server is down' tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _QuietServer(ThreadingHTTPServer):
    """A threading HTTP server that does not print a traceback when a client hangs up (timeout tests)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class FakeLLM:
    """A scripted chat-completions server on 127.0.0.1; use as a context manager."""

    def __init__(self, script: list[Any] | None = None, *, reject_formats: tuple[str, ...] = (),
                 reject_status: int = 400) -> None:
        self.script = list(script or ["{}"])
        self.reject_formats = tuple(reject_formats)
        self.reject_status = reject_status
        self.requests: list[Request] = []
        self._served = 0  # script entries used (refused response formats use none)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # ------------------------------------------------------------ lifecycle
    def start(self) -> FakeLLM:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"null")
                except json.JSONDecodeError:
                    body = None
                req = Request("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                entry = fake._record_and_next(req)
                fake._answer(self, entry, body, req)

            def do_GET(self) -> None:  # noqa: N802
                fake._record_and_next(Request("GET", self.path, {k.lower(): v for k, v in self.headers.items()}))
                self._send(404, {"error": {"message": "not found"}})

            def _send(self, code: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------ behaviour
    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeLLM was never started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def chat_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def _record_and_next(self, req: Request) -> Any:
        with self._lock:
            self.requests.append(req)
            rf = req.json.get("response_format") if isinstance(req.json, dict) else None
            kind = rf.get("type") if isinstance(rf, dict) else None
            if kind is not None and kind in self.reject_formats:
                return format_refusal(kind, self.reject_status)
            i = min(self._served, len(self.script) - 1)
            self._served += 1
            return self.script[i]

    def _answer(self, handler: Any, entry: Any, body: Any, req: Request | None = None) -> None:
        if isinstance(entry, str):
            entry = reply(entry)
        try:
            if entry.get("drop"):
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
                return
            if entry.get("delay"):
                time.sleep(entry["delay"])
            if entry.get("raw") is not None:
                self._send_raw(handler, entry)
                return
            code = entry.get("status", 200)
            if code == 200:
                model = body.get("model", "fake-model") if isinstance(body, dict) else "fake-model"
                content = entry["content"](req) if callable(entry["content"]) else entry["content"]
                if entry.get("drip"):
                    self._drip(handler, json.dumps(chat_completion(content, model)).encode(), entry)
                else:
                    handler._send(200, chat_completion(content, model))
            else:
                handler._send(code, entry.get("body"), entry.get("headers"))
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass  # the client gave up (timeout test)

    @staticmethod
    def _send_raw(handler: Any, entry: dict[str, Any]) -> None:
        data = entry["raw"]
        handler.send_response(entry.get("status", 200))
        handler.send_header("Content-Type", entry.get("content_type", "application/json"))
        handler.send_header("Content-Length", str(entry.get("content_length") or len(data)))
        for k, v in entry.get("headers", {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()
        if entry.get("content_length") and entry["content_length"] > len(data):
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)

    def _drip(self, handler: Any, data: bytes, entry: dict[str, Any]) -> None:
        """Send the answer one byte at a time until the client hangs up or the server stops."""
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                f"\r\n").encode()
        if not entry.get("drip_headers"):
            handler.wfile.write(head)
            handler.wfile.flush()
            head = b""
        for i in range(len(head + data)):
            if self._server is None:
                return
            handler.wfile.write((head + data)[i:i + 1])
            handler.wfile.flush()
            time.sleep(entry["drip"])

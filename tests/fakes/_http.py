"""A real HTTP/1.1 server on 127.0.0.1, in a background thread, with fault injection.

Each provider fake subclasses `FakeHttpServer` and implements `handle`. The base class owns the
socket, the thread, keep-alive, and the faults every fake supports:

- `rate_limit_next(n, retry_after=...)`: the next n requests get 429 (the subclass shapes the
  body and headers the provider would send, through `rate_limited_response`);
- `fail_next(n, status=500)`: the next n requests get that status;
- `go_down(mode="refuse" | "503")` / `come_back()`: connections refused (the listening socket
  is closed, and open keep-alive connections are dropped), or every request answered 503.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self
from urllib.parse import parse_qs, urlsplit

DownMode = Literal["refuse", "503"]


@dataclass(frozen=True, slots=True)
class Request:
    """One request as the fake received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # header names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        """The body as form fields, or JSON object fields as strings."""
        content_type = self.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            data = self.json()
            return {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {k: v[-1] for k, v in parsed.items()}


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        all_headers = {"Content-Type": "application/json"}
        all_headers.update(headers or {})
        return cls(status, json.dumps(payload).encode("utf-8"), all_headers)


@dataclass(frozen=True, slots=True)
class _Fault:
    status: int
    retry_after: float | None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
    fake: FakeHttpServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Stay silent: tests read the records, not stderr."""

    def _serve(self) -> None:
        fake = self.server.fake
        if fake.down_mode == "refuse":
            self.close_connection = True
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        response = fake.dispatch(request)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.command != "HEAD" or "Content-Length" not in response.headers:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    do_GET = _serve  # noqa: N815
    do_POST = _serve  # noqa: N815
    do_HEAD = _serve  # noqa: N815
    do_PUT = _serve  # noqa: N815
    do_DELETE = _serve  # noqa: N815


class FakeHttpServer:
    """Base of the HTTP provider fakes; subclasses implement `handle`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: deque[_Fault] = deque()
        self.down_mode: DownMode | None = None
        self.requests: list[Request] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    # lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        server = _Server(("127.0.0.1", self._port), _Handler)
        server.fake = self
        self._port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    # fault injection -----------------------------------------------------------------------

    def rate_limit_next(self, n: int = 1, *, retry_after: float = 1) -> None:
        with self._lock:
            self._faults.extend(_Fault(429, retry_after) for _ in range(n))

    def fail_next(self, n: int = 1, *, status: int = 500) -> None:
        with self._lock:
            self._faults.extend(_Fault(status, None) for _ in range(n))

    def go_down(self, mode: DownMode = "refuse") -> None:
        """Refuse connections (listening socket closed) or answer 503 to everything."""
        self.down_mode = mode
        if mode == "refuse" and self._server is not None:
            self.stop()

    def come_back(self) -> None:
        was_refusing = self.down_mode == "refuse"
        self.down_mode = None
        if was_refusing and self._server is None:
            self.start()

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
        self.come_back()

    # dispatch ------------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
            fault = self._faults.popleft() if self._faults else None
        if self.down_mode == "503":
            return self.error_response(request, 503, None)
        if fault is not None:
            if fault.status == 429:
                return self.rate_limited_response(request, fault.retry_after or 1)
            return self.error_response(request, fault.status, None)
        return self.handle(request)

    def handle(self, request: Request) -> Response:
        raise NotImplementedError

    def rate_limited_response(self, request: Request, retry_after: float) -> Response:
        return Response.json(
            429,
            {"error": "Too Many Requests"},
            {"Retry-After": f"{retry_after:g}"},
        )

    def error_response(self, request: Request, status: int, detail: str | None) -> Response:
        return Response.json(status, {"error": detail or f"HTTP {status}"})


def free_port() -> int:
    """A port free on 127.0.0.1 right now (for servers that cannot bind port 0 themselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port

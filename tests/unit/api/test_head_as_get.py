"""The HEAD middleware on its own: a streamed answer stops at its headers, the scope keeps
its method for the middlewares around it."""

from __future__ import annotations

import itertools
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse, StreamingResponse
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from crisis.api.head_requests import HeadAsGet


def _app() -> FastAPI:
    """FastAPI routes, which answer only the methods they declare (no HEAD of their own)."""
    app = FastAPI()

    @app.get("/flux")
    def endless() -> StreamingResponse:
        def lines() -> Iterator[bytes]:
            for number in itertools.count():
                yield f"ligne {number}\n".encode()

        return StreamingResponse(lines(), media_type="text/plain; charset=utf-8")

    @app.get("/texte")
    def text() -> PlainTextResponse:
        return PlainTextResponse("Crue en cours")

    @app.post("/envoi")
    def post_only() -> dict[str, str]:
        return {}

    return app


class _MethodSeen:
    """Records the method the outer middlewares see once the answer is sent."""

    def __init__(self, app: ASGIApp, seen: list[str]) -> None:
        self.app = app
        self.seen = seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.seen.append(scope["method"])


def test_an_endless_stream_answers_head_with_its_headers_only() -> None:
    seen: list[str] = []
    app = _app()
    app.add_middleware(HeadAsGet)
    app.add_middleware(_MethodSeen, seen=seen)
    client = TestClient(app)
    head = client.head("/flux")
    assert head.status_code == 200
    assert head.headers["content-type"] == "text/plain; charset=utf-8"
    assert head.content == b""
    assert seen == ["HEAD"]


def test_an_address_without_get_answers_head_as_it_answers_get() -> None:
    app = _app()
    app.add_middleware(HeadAsGet)
    client = TestClient(app)
    head = client.head("/envoi")
    assert head.status_code == client.get("/envoi").status_code == 405
    assert head.headers["allow"] == "POST"
    assert client.head("/ailleurs").status_code == 404


@pytest.fixture
def served() -> Iterator[str]:
    app = _app()
    app.add_middleware(HeadAsGet)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_a_real_server_sends_the_head_answer_with_the_get_length(served: str) -> None:
    with httpx.Client(base_url=served, timeout=5) as client:
        get = client.get("/texte")
        head = client.head("/texte")
        stream = client.head("/flux")
        again = client.get("/texte")  # the connection still serves after the HEAD answers
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content)) == "13"
    assert stream.status_code == 200
    assert stream.content == b""
    assert again.content == get.content

"""A fake generic JSON SMS gateway: POST /messages with a bearer API key, GET /health."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass

from tests.fakes._http import FakeHttpServer, Request, Response


@dataclass(frozen=True, slots=True)
class Sms:
    id: str
    to: str
    text: str
    sender: str


class FakeSmsGateway(FakeHttpServer):
    """`messages` lists accepted SMS; a wrong or missing key gets 401; `fail_next(n, status=401)`
    and the base-class faults (429 with Retry-After, 500, down) apply too."""

    def __init__(self, *, api_key: str = "sms-test-key") -> None:
        super().__init__()
        self.api_key = api_key
        self.messages: list[Sms] = []
        self._ids = itertools.count(1)
        self._state_lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Response.json(401, {"error": "unauthorized"})
        if request.method == "GET" and request.path == "/health":
            return Response.json(200, {"status": "ok"})
        if request.method == "POST" and request.path == "/messages":
            try:
                payload = request.json()
                to, text, sender = payload["to"], payload["text"], payload["sender"]
            except (ValueError, KeyError, TypeError):
                return Response.json(400, {"error": "invalid payload"})
            if not str(to).startswith("+"):
                return Response.json(422, {"error": "invalid phone number"})
            with self._state_lock:
                sms = Sms(f"sms-{next(self._ids):06d}", to, text, sender)
                self.messages.append(sms)
            return Response.json(201, {"id": sms.id, "status": "accepted"})
        return Response.json(404, {"error": "not found"})

"""A fake generic JSON SMS gateway: POST /messages with a bearer API key, GET /health; with a
`callback_url`, it POSTs delivery reports there as docs/integrations/sms.md describes them."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass

from tests.fakes._http import FakeHttpServer, Request, Response, call_back


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
        self.callback_url: str | None = None
        self.report_delay = 0.1
        self.final_states: dict[str, str] = {}  # by number; DELIVRD otherwise
        self.report_answers: list[int] = []
        self._timers: list[threading.Timer] = []

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        super().stop()

    def _report(self, sms: Sms) -> None:
        """An intermediate notice and the final report, in one POST (a list)."""
        assert self.callback_url is not None
        body = [
            {"id": sms.id, "state": "ENROUTE"},
            {"id": sms.id, "state": self.final_states.get(sms.to, "DELIVRD"), "error": "000"},
        ]
        status = call_back(self.callback_url, json_body=body)
        with self._state_lock:
            self.report_answers.append(status)

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
                if self.callback_url:
                    timer = threading.Timer(self.report_delay, self._report, (sms,))
                    timer.daemon = True
                    self._timers.append(timer)
                    timer.start()
            return Response.json(201, {"id": sms.id, "status": "accepted"})
        return Response.json(404, {"error": "not found"})

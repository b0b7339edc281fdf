"""A fake webhook receiver: records every request's body and headers."""

from __future__ import annotations

from tests.fakes._http import FakeHttpServer, Request, Response


class FakeWebhookReceiver(FakeHttpServer):
    """Answers 200 to POST on any path and 405 to anything else, as a receiver that only
    routes the POST of its deliveries does; `received` lists the POSTed requests (body bytes,
    lower-cased headers); the base-class faults apply."""

    @property
    def received(self) -> list[Request]:
        return [r for r in self.requests if r.method == "POST"]

    def handle(self, request: Request) -> Response:
        if request.method == "POST":
            return Response.json(200, {"received": True})
        return Response(405, b"")

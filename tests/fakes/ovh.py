"""A fake of OVHcloud's SMS API, built from its public documentation and official client.

Sources (cited in docs/integrations/sms.md): the signature and `/auth/time` as python-ovh's
`Client.call` and `Client.time_delta` compute them; `POST /sms/{serviceName}/users/{login}/
jobs`, its parameters and its answer (`ids`, `validReceivers`, `invalidReceivers`,
`totalCreditsRemoved`) as the API schema gives them (`sms.SmsSendingReport`); the SMS user's
`callBack` (« URL called when state of a sent SMS changes ») and the query string of its call
(`id`, `ptt`, `date`, `description`, `descriptionDlr`) as the guide « Tout savoir sur les
utilisateurs SMS » describes it.

What the documentation leaves open, the fake decides and says so: a request whose timestamp
is more than `window_seconds` from the API's clock is answered 400 « Query out of time », a
wrong signature 400 `INVALID_SIGNATURE`, an unknown key 403 `INVALID_KEY` /
`INVALID_CREDENTIAL` (the errorCode values python-ovh handles); a report is called once, by
GET, after `report_delay` seconds, preceded by an intermediate notice.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.fakes._http import FakeHttpServer, Request, Response, call_back

BASE = "/1.0"
DELIVERED = ("1", "4")  # (description, ptt): success, delivered
UNREACHABLE = ("2", "24")  # failed: subscriber absent
EXPIRED = ("2", "8")
INTERMEDIATE = ("4", "3")  # waiting: accepted by the operator


@dataclass
class Job:
    id: int
    receiver: str
    body: dict[str, Any]


@dataclass
class Report:
    query: dict[str, str]
    status: int  # what the service answered (0: unreachable)


@dataclass
class _Outcomes:
    by_receiver: dict[str, tuple[str, str]] = field(default_factory=dict)
    invalid: set[str] = field(default_factory=set)


class FakeOvhSms(FakeHttpServer):
    def __init__(
        self,
        *,
        application_key: str,
        application_secret: str,
        consumer_key: str,
        service_name: str,
        logins: tuple[str, ...],
        skew_seconds: int = 0,
        window_seconds: int = 180,
    ) -> None:
        super().__init__()
        self.application_key = application_key
        self.application_secret = application_secret
        self.consumer_key = consumer_key
        self.service_name = service_name
        self.callbacks: dict[str, str] = dict.fromkeys(logins, "")
        self.skew_seconds = skew_seconds
        self.window_seconds = window_seconds
        self.report_delay = 0.1
        self.duplicate_reports = False
        self.outcomes = _Outcomes()
        self.jobs: list[Job] = []
        self.refused: list[str] = []  # the errorCode or message of each refused request
        self.reports: list[Report] = []
        self._ids = itertools.count(10867690)
        self._state = threading.Lock()
        self._timers: list[threading.Timer] = []

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        super().stop()

    def api_now(self) -> int:
        return int(time.time()) + self.skew_seconds

    # -- requests --------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if not request.path.startswith(BASE + "/"):
            return _error(404, "", "The requested object does not exist")
        path = request.path.removeprefix(BASE)
        if request.method == "GET" and path == "/auth/time":
            return Response.json(200, self.api_now())
        refusal = self._authenticate(request)
        if refusal is not None:
            return refusal
        user_prefix = f"/sms/{self.service_name}/users/"
        if not path.startswith(user_prefix):
            return _error(404, "", "The requested object does not exist")
        login, _, rest = path.removeprefix(user_prefix).partition("/")
        if login not in self.callbacks:
            return _error(404, "", f"The requested object (login = {login}) does not exist")
        if rest == "" and request.method == "GET":
            return Response.json(200, self._user(login))
        if rest == "" and request.method == "PUT":
            self.callbacks[login] = str(request.json().get("callBack", ""))
            return Response.json(200, None)
        if rest == "jobs" and request.method == "POST":
            return self._post_job(login, request.json())
        return _error(404, "", "The requested object does not exist")

    def _authenticate(self, request: Request) -> Response | None:
        headers = request.headers
        if headers.get("x-ovh-application") != self.application_key:
            return self._refuse(403, "INVALID_KEY", "This application key is invalid")
        try:
            timestamp = int(headers.get("x-ovh-timestamp", ""))
        except ValueError:
            timestamp = 0
        if abs(timestamp - self.api_now()) > self.window_seconds:
            return self._refuse(400, "", "Query out of time")
        if headers.get("x-ovh-consumer") != self.consumer_key:
            return self._refuse(403, "INVALID_CREDENTIAL", "This credential does not exist")
        target = self.url + request.path
        if request.query:
            target += "?" + urlencode(request.query, doseq=True)
        joined = "+".join(
            (
                self.application_secret,
                self.consumer_key,
                request.method,
                target,
                request.body.decode("utf-8"),
                str(timestamp),
            )
        )
        expected = "$1$" + hashlib.sha1(joined.encode("utf-8")).hexdigest()  # noqa: S324
        if headers.get("x-ovh-signature") != expected:
            return self._refuse(400, "INVALID_SIGNATURE", "Invalid signature")
        return None

    def _refuse(self, status: int, code: str, message: str) -> Response:
        with self._state:
            self.refused.append(code or message)
        return _error(status, code, message)

    def _user(self, login: str) -> dict[str, Any]:
        return {
            "login": login,
            "callBack": self.callbacks[login],
            "stopCallBack": "",
            "ipRestrictions": [],
            "quotaInformations": {"active": False, "quotaLeft": 0, "quotaStatus": "inactive"},
        }

    def _post_job(self, login: str, body: dict[str, Any]) -> Response:
        receivers = body.get("receivers")
        message = body.get("message")
        if not isinstance(receivers, list) or not receivers or not message:
            return _error(400, "", "Missing parameter receivers or message")
        if ("sender" in body) == bool(body.get("senderForResponse")):
            return _error(400, "", "Either a sender or senderForResponse, not both")
        if body.get("coding", "7bit") not in ("7bit", "8bit"):
            return _error(400, "", "Invalid coding")
        if body.get("class", "phoneDisplay") not in ("flash", "phoneDisplay", "sim", "toolkit"):
            return _error(400, "", "Invalid class")
        valid = [r for r in receivers if r.startswith("+") and r not in self.outcomes.invalid]
        invalid = [r for r in receivers if r not in valid]
        ids: list[int] = []
        with self._state:
            for receiver in valid:
                job = Job(next(self._ids), receiver, body)
                self.jobs.append(job)
                ids.append(job.id)
                self._schedule_report(login, job)
        return Response.json(
            200,
            {
                "ids": ids,
                "invalidReceivers": invalid,
                "validReceivers": valid,
                "totalCreditsRemoved": len(ids),
            },
        )

    # -- delivery reports ------------------------------------------------------------------

    def _schedule_report(self, login: str, job: Job) -> None:
        callback = self.callbacks[login]
        if not callback:
            return
        final = self.outcomes.by_receiver.get(job.receiver, DELIVERED)
        calls = [INTERMEDIATE, final] + ([final] if self.duplicate_reports else [])
        timer = threading.Timer(self.report_delay, self._report, (callback, job, calls))
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _report(self, callback: str, job: Job, calls: list[tuple[str, str]]) -> None:
        for description, ptt in calls:
            query = {
                "id": str(job.id),
                "ptt": ptt,
                "date": time.strftime("%Y-%m-%d %H:%M:%S"),
                "description": description,
                "descriptionDlr": {"1": "Success", "2": "Failed", "4": "Waiting"}[description],
            }
            status = call_back(f"{callback}?{urlencode(query)}")
            with self._state:
                self.reports.append(Report(query, status))

    def rate_limited_response(self, request: Request, retry_after: float) -> Response:
        return _error(429, "", "Too many requests", {"Retry-After": f"{retry_after:g}"})

    def error_response(self, request: Request, status: int, detail: str | None) -> Response:
        return _error(status, "", detail or "Internal server error")


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    payload: dict[str, Any] = {"message": message}
    if code:
        payload["errorCode"] = code
    return Response(
        status,
        json.dumps(payload).encode("utf-8"),
        {"Content-Type": "application/json", **(headers or {})},
    )

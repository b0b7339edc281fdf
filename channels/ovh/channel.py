"""The SMS channel through OVHcloud's SMS API (aiohttp, signed requests).

Each SMS is one job posted as the configured SMS user (`POST /sms/{serviceName}/users/{login}
/jobs`), so that its delivery reports come back to that user's callback URL
(`crisis/api/sms_reports.py`). The job's answer (`ids`, `validReceivers`,
`invalidReceivers`) gives the SMS id the reports will name.

Requests are signed (`channels.ovh.signature`) with the API's own time: `GET /auth/time` once,
again when the API answers that a request is out of its time window.
"""

from __future__ import annotations

import json
import time
from typing import Any, Final
from urllib.parse import quote

import aiohttp

from channels._common import guard_exercise, parse_retry_after
from channels.config import OvhSmsConfig
from channels.contract import (
    ChannelLimits,
    LengthUnit,
    OutgoingMessage,
    Receipt,
    RecipientKind,
    SendError,
)
from channels.http_session import LoopSession, request_timeout, succeeded
from channels.measure import SmsEncoding, measure_sms
from channels.ovh.signature import signed_headers
from channels.sms_text import e164, sms_body
from crisis.clock import Clock

DEFAULT_RATE_PER_SECOND: Final = 10.0
WHO: Final = "OVHcloud"
OUT_OF_TIME: Final = "query out of time"

# The API's errorCode values that its official client (python-ovh) names, in French.
_REFUSALS: Final[dict[str, str]] = {
    "INVALID_KEY": "clé d'application inconnue",
    "INVALID_CREDENTIAL": "clé de consommateur inconnue ou expirée",
    "NOT_CREDENTIAL": "clé de consommateur non validée",
    "NOT_GRANTED_CALL": "cette clé n'a pas le droit d'appeler cette route",
    "FORBIDDEN": "accès interdit",
    "INVALID_SIGNATURE": "signature refusée (secret d'application erroné ?)",
}


class OvhSmsChannel:
    name = "sms"
    recipient_kind = RecipientKind.PHONE

    def __init__(self, config: OvhSmsConfig, *, clock: Clock, name: str = "sms") -> None:
        self.name = name
        self._config = config
        self._clock = clock
        self.limits = ChannelLimits(
            max_length=config.max_segments,
            length_unit=LengthUnit.SMS_SEGMENTS,
            rate_per_second=config.rate_per_second or DEFAULT_RATE_PER_SECOND,
            max_segments=config.max_segments,
            handset_receipts=True,
        )
        self._pool = LoopSession(pool_size=config.connection_pool_size)
        self._timeout = request_timeout(config.timeout_seconds)
        self._time_delta: int | None = None
        base = f"/sms/{quote(config.service_name, safe='')}"
        self._user_path = f"{base}/users/{quote(config.login, safe='')}"

    def __repr__(self) -> str:
        c = self._config
        return f"OvhSmsChannel(name={self.name!r}, service={c.service_name!r}, login={c.login!r})"

    async def aclose(self) -> None:
        await self._pool.close()

    # -- the contract ----------------------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> Receipt:
        c = self._config
        guard_exercise(message, production=c.production, channel=self.name)
        to = e164(message.recipient)
        text = sms_body(message.text, max_segments=c.max_segments)
        gsm = measure_sms(text).encoding is SmsEncoding.GSM7
        job: dict[str, Any] = {
            "receivers": [to],
            "message": text,
            "charset": "UTF-8",
            "coding": "7bit" if gsm else "8bit",
            "class": "phoneDisplay",
            "priority": "high",
            "noStopClause": c.no_stop_clause,
            "validityPeriod": c.validity_period_minutes,
            "senderForResponse": c.sender_for_response,
        }
        if c.sender is not None:
            job["sender"] = c.sender
        report = await self._call("POST", f"{self._user_path}/jobs", job)
        try:
            ids = [str(i) for i in report["ids"]]
            invalid = [str(r) for r in report.get("invalidReceivers") or ()]
        except (KeyError, TypeError) as exc:
            # Accepted but unreadable: retrying could send twice, so the error is final.
            raise SendError(f"{WHO} : réponse illisible après l'envoi.", retryable=False) from exc
        if to in invalid or not ids:
            raise SendError(
                f"{WHO} refuse le destinataire {to} (numéro invalide pour le compte SMS).",
                retryable=False,
            )
        return Receipt(provider_message_id=ids[0], accepted_at=self._clock.now())

    async def check(self) -> str:
        """An authenticated read of the SMS user: the keys, the signature and the time are
        right, and its callback URL ends with the configured token."""
        c = self._config
        user = await self._call("GET", self._user_path)
        callback = str(user.get("callBack") or "") if isinstance(user, dict) else ""
        token = c.callback_token.get_secret_value()
        shown = callback.replace(token, "…") if callback else "aucune"
        if not callback.rstrip("/").endswith(token):
            raise SendError(
                f"{WHO} : l'utilisateur SMS {c.login} a pour URL de rappel « {shown} », qui ne "
                "se termine pas par le jeton configuré (callback_token) : les accusés de "
                "remise ne reviendraient pas. Réglez-la (espace client : Utilisateurs API > "
                "Callback, ou PUT /sms/{serviceName}/users/{login}).",
                retryable=False,
            )
        sender = c.sender or "numéro court (senderForResponse)"
        return (
            f"API {WHO} : requête signée acceptée ({c.endpoint}), compte SMS "
            f"{c.service_name}, utilisateur {c.login}, expéditeur {sender}, URL de rappel des "
            f"accusés « {shown} »."
        )

    # -- inside ----------------------------------------------------------------------------

    async def _call(self, method: str, path: str, payload: object = None) -> Any:
        """The API's JSON answer to a signed request; a `SendError` otherwise."""
        url = self._config.endpoint.rstrip("/") + path
        body = "" if payload is None else json.dumps(payload, ensure_ascii=False)
        for attempt in (1, 2):
            timestamp = int(time.time()) + await self._delta()
            headers = signed_headers(
                application_key=self._config.application_key,
                secret=self._config.application_secret.get_secret_value(),
                consumer_key=self._config.consumer_key.get_secret_value(),
                method=method,
                url=url,
                body=body,
                timestamp=timestamp,
            )
            status, answer, retry_after = await self._exchange(method, url, headers, body)
            if succeeded(status):
                return answer
            text = str(answer.get("message", "")) if isinstance(answer, dict) else ""
            if status == 400 and OUT_OF_TIME in text.lower() and attempt == 1:
                self._time_delta = None  # our clock or theirs moved: ask again
                continue
            raise _error(status, answer, retry_after)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _delta(self) -> int:
        """The API's clock minus ours, in seconds (`GET /auth/time`, unsigned).

        The signature's timestamp is a protocol field read against the API's real clock, so
        it is taken from the machine's real time, not from the service's (possibly virtual)
        clock."""
        if self._time_delta is None:
            url = self._config.endpoint.rstrip("/") + "/auth/time"
            status, answer, retry_after = await self._exchange("GET", url, {}, "")
            if not succeeded(status) or not isinstance(answer, int):
                raise _error(status, answer, retry_after)
            self._time_delta = answer - int(time.time())
        return self._time_delta

    async def _exchange(
        self, method: str, url: str, headers: dict[str, str], body: str
    ) -> tuple[int, Any, float | None]:
        try:
            async with self._pool.request(
                method,
                url,
                headers=headers,
                data=body.encode("utf-8") if body else None,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                raw = await response.read()
                status = response.status
                retry_after = parse_retry_after(
                    response.headers.get("retry-after"), self._clock.now()
                )
        except TimeoutError as exc:
            raise SendError(f"{WHO} : délai dépassé.", retryable=True) from exc
        except aiohttp.ClientError as exc:
            unreachable = f"{WHO} injoignable ({exc.__class__.__name__})."
            raise SendError(unreachable, retryable=True) from exc
        try:
            answer = json.loads(raw) if raw else None
        except ValueError:
            answer = None
        return status, answer, retry_after


def _error(status: int, answer: Any, retry_after: float | None) -> SendError:
    details = answer if isinstance(answer, dict) else {}
    code = str(details.get("errorCode", ""))
    text = str(details.get("message", "")).strip()
    if status == 429 or status >= 500:
        return SendError(
            f"{WHO} {'limite le débit' if status == 429 else 'est indisponible'} (HTTP {status}).",
            retryable=True,
            retry_after=retry_after,
        )
    if status == 400 and OUT_OF_TIME in text.lower():
        return SendError(
            f"{WHO} : requête hors de sa fenêtre de temps, même à son heure.", retryable=True
        )
    if code in _REFUSALS or "signature" in text.lower():
        reason = _REFUSALS.get(code) or _REFUSALS["INVALID_SIGNATURE"]
        return SendError(f"{WHO} refuse la requête : {reason} (HTTP {status}).", retryable=False)
    if status == 404:
        return SendError(
            f"{WHO} : compte SMS ou utilisateur SMS introuvable (HTTP 404).", retryable=False
        )
    suffix = f" : {text}" if text else ""
    return SendError(f"{WHO} refuse le message (HTTP {status}){suffix}.", retryable=False)

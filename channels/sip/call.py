"""An outgoing call: INVITE (answering a digest challenge), ringing, CANCEL at the ringing
timeout, ACK of the answer, the far end's BYE or INFO, and our BYE (RFC 3261 §12, §13, §15)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from channels.contract import SendError
from channels.sip.digest import DigestError, authorization, parse_challenge
from channels.sip.endpoint import SipEndpoint, TransactionTimeoutError
from channels.sip.message import SipMessage, header_param, new_branch, new_tag, uri_of

USER_AGENT = "crisis-prefecture"
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO"


@dataclass(frozen=True, slots=True)
class Trunk:
    """Where calls go and who they come from."""

    proxy: tuple[str, int]
    domain: str
    caller_id: str
    username: str | None = None
    password: str | None = None
    display_name: str = "Prefecture"

    def from_uri(self) -> str:
        return f"sip:{self.username or self.caller_id}@{self.domain}"

    def target_uri(self, number: str) -> str:
        return (
            f"sip:{number}@{self.domain};user=phone"
            if number.startswith("+")
            else (f"sip:{number}@{self.domain}")
        )


class CallError(SendError):
    """The call was not answered: `status` is the SIP status (0: no response, 408: our ringing
    timeout), `reason` says why in French, `retryable` whether calling again may help,
    `about_recipient` when the trunk works and the person did not pick up (busy, no answer)."""

    def __init__(
        self,
        status: int,
        reason: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        about_recipient: bool = False,
    ) -> None:
        super().__init__(
            reason, retryable=retryable, retry_after=retry_after, about_recipient=about_recipient
        )
        self.status = status


# Statuses that say the number itself is wrong, or that the trunk will never take the call.
_FINAL = {
    400: "requête refusée par le relais",
    401: "authentification refusée par le relais",
    403: "appel interdit par le relais",
    404: "numéro inconnu",
    407: "authentification refusée par le relais",
    484: "numéro incomplet",
    488: "aucun codec audio commun (G.711 attendu)",
    604: "numéro inexistant",
    606: "appel impossible vers ce correspondant",
}
_RETRYABLE = {
    408: "pas de réponse",
    480: "correspondant indisponible",
    486: "ligne occupée",
    487: "appel abandonné",
    600: "ligne occupée",
    603: "appel refusé par le correspondant",
}


def failure_for(status: int, sip_reason: str, retry_after: str | None = None) -> CallError:
    label = f"SIP {status} {sip_reason}".strip()
    if status in _FINAL:
        return CallError(status, f"{_FINAL[status]} ({label})", retryable=False)
    if status in _RETRYABLE:
        return CallError(
            status, f"{_RETRYABLE[status]} ({label})", retryable=True, about_recipient=True
        )
    after: float | None = None
    if retry_after is not None:
        with contextlib.suppress(ValueError):
            after = float(retry_after.split(";")[0].strip())
    if status >= 500:
        return CallError(
            status, f"relais téléphonique indisponible ({label})", retryable=True, retry_after=after
        )
    return CallError(status, f"appel refusé ({label})", retryable=status != 400)


@dataclass
class OutgoingCall:
    endpoint: SipEndpoint
    trunk: Trunk
    number: str
    sdp: bytes
    on_key: Callable[[str], None]
    call_id: str = field(default_factory=lambda: secrets.token_hex(12))
    local_tag: str = field(default_factory=new_tag)
    cseq: int = 0
    remote_to: str = ""  # the To of the answer, with the callee's tag
    remote_target: str = ""
    route_set: list[str] = field(default_factory=list)
    answer: SipMessage | None = None
    ended: asyncio.Event = field(default_factory=asyncio.Event)  # the far end hung up
    ringing: bool = False

    def _from(self) -> str:
        return f'"{self.trunk.display_name}" <{self.trunk.from_uri()}>;tag={self.local_tag}'

    def _invite(self, authorization_header: tuple[str, str] | None) -> SipMessage:
        self.cseq += 1
        target = self.trunk.target_uri(self.number)
        headers = [
            ("Via", self.endpoint.via()),
            ("Max-Forwards", "70"),
            ("From", self._from()),
            ("To", f"<{target}>"),
            ("Call-ID", self.call_id),
            ("CSeq", f"{self.cseq} INVITE"),
            ("Contact", f"<sip:{self.trunk.caller_id}@{self.endpoint.host}:{self.endpoint.port}>"),
            ("P-Asserted-Identity", f"<{self.trunk.from_uri()}>"),
            ("Allow", ALLOW),
            ("User-Agent", USER_AGENT),
            ("Content-Type", "application/sdp"),
        ]
        if authorization_header is not None:
            headers.append(authorization_header)
        return SipMessage(headers=headers, body=self.sdp, method="INVITE", uri=target)

    async def dial(self, *, ring_timeout: float) -> SipMessage:
        """Ring the number; return the 200 OK (acknowledged), or raise CallError."""
        self.endpoint.on_dialog(self.call_id, self._far_request, self._stray_response)
        invite = self._invite(None)
        final = await self._ring(invite, ring_timeout)
        if final.status in (401, 407) and self.trunk.username and self.trunk.password:
            invite = self._invite(self._answer_challenge(final, "INVITE", invite.uri))
            final = await self._ring(invite, ring_timeout)
        if final.status >= 300:
            self.endpoint.forget(self.call_id)
            if final.status == 487 and getattr(self, "_cancelled", False):
                raise CallError(
                    408,
                    f"pas de réponse (sonnerie sans décroché pendant {ring_timeout:g} s)",
                    retryable=True,
                    about_recipient=True,
                )
            raise failure_for(final.status, final.reason, final.header("retry-after"))
        self._establish(final)
        return final

    async def _ring(self, invite: SipMessage, ring_timeout: float) -> SipMessage:
        self._cancelled = False

        def provisional(response: SipMessage) -> None:
            if response.status in (180, 183):
                self.ringing = True

        ringing = asyncio.create_task(
            self.endpoint.request(
                invite,
                self.trunk.proxy,
                on_provisional=provisional,
                give_up_after=ring_timeout + 40,
            )
        )
        try:
            done, _ = await asyncio.wait({ringing}, timeout=ring_timeout)
            if not done:
                self._cancelled = True
                await self._cancel(invite)
            return await ringing
        except TransactionTimeoutError:
            raise CallError(0, "le relais téléphonique ne répond pas", retryable=True) from None
        finally:
            if not ringing.done():
                ringing.cancel()

    async def _cancel(self, invite: SipMessage) -> None:
        """CANCEL the INVITE (same branch and CSeq number, §9.1); its 487 ends the ringing."""
        headers = [
            ("Via", invite.header("via") or ""),
            ("Max-Forwards", "70"),
            ("From", invite.header("from") or ""),
            ("To", invite.header("to") or ""),
            ("Call-ID", self.call_id),
            ("CSeq", f"{invite.cseq()[0]} CANCEL"),
            ("User-Agent", USER_AGENT),
        ]
        cancel = SipMessage(headers=headers, method="CANCEL", uri=invite.uri)
        with contextlib.suppress(TransactionTimeoutError):
            await self.endpoint.request(cancel, self.trunk.proxy, give_up_after=8.0)

    def _answer_challenge(self, response: SipMessage, method: str, uri: str) -> tuple[str, str]:
        proxy = response.status == 407
        value = response.header("proxy-authenticate" if proxy else "www-authenticate") or ""
        assert self.trunk.username is not None and self.trunk.password is not None
        try:
            answer = authorization(
                parse_challenge(value),
                method=method,
                uri=uri,
                username=self.trunk.username,
                password=self.trunk.password,
            )
        except DigestError as error:
            raise CallError(
                response.status, f"authentification impossible : {error}", retryable=False
            ) from None
        return ("Proxy-Authorization" if proxy else "Authorization", answer)

    def _establish(self, ok: SipMessage) -> None:
        self.answer = ok
        self.remote_to = ok.header("to") or ""
        contact = ok.header("contact")
        self.remote_target = uri_of(contact) if contact else self.trunk.target_uri(self.number)
        self.route_set = list(reversed([r for v in ok.all("record-route") for r in _split(v)]))
        self._send_ack(ok)

    def _send_ack(self, ok: SipMessage) -> None:
        number = ok.cseq()[0]
        self.endpoint.send(self._in_dialog("ACK", number), self.trunk.proxy)

    def _in_dialog(self, method: str, number: int) -> SipMessage:
        headers = [
            ("Via", self.endpoint.via(new_branch())),
            ("Max-Forwards", "70"),
            ("From", self._from()),
            ("To", self.remote_to),
            ("Call-ID", self.call_id),
            ("CSeq", f"{number} {method}"),
            ("User-Agent", USER_AGENT),
        ]
        headers += [("Route", r) for r in self.route_set]
        return SipMessage(headers=headers, method=method, uri=self.remote_target)

    def _stray_response(self, response: SipMessage) -> None:
        # A 200 OK sent again: our ACK was lost, send it again (§13.2.2.4).
        if response.status == 200 and response.cseq()[1] == "INVITE" and self.answer is not None:
            self._send_ack(response)

    def _far_request(self, request: SipMessage) -> tuple[int, str]:
        if request.method == "BYE":
            self.ended.set()
            return 200, "OK"
        if request.method == "INFO":
            key = info_key(request)
            if key is not None:
                self.on_key(key)
            return 200, "OK"
        if request.method in ("OPTIONS", "UPDATE"):
            return 200, "OK"
        return 501, "Not Implemented"

    async def hang_up(self) -> None:
        """BYE, unless the far end hung up first; then the Call-ID is forgotten."""
        try:
            if self.answer is not None and not self.ended.is_set():
                self.cseq += 1
                with contextlib.suppress(TransactionTimeoutError, ConnectionError):
                    await self.endpoint.request(
                        self._in_dialog("BYE", self.cseq), self.trunk.proxy, give_up_after=8.0
                    )
        finally:
            self.endpoint.forget(self.call_id)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def info_key(request: SipMessage) -> str | None:
    """A key sent as SIP INFO: application/dtmf-relay (Signal=1) or application/dtmf (1)."""
    kind = (request.header("content-type") or "").lower()
    text = request.body.decode("utf-8", "replace")
    if "dtmf-relay" in kind:
        for line in text.splitlines():
            name, _, value = line.partition("=")
            if name.strip().lower() == "signal" and value.strip():
                return value.strip()[0]
        return None
    if "application/dtmf" in kind and text.strip():
        return text.strip()[0]
    return None


def tag_of(value: str) -> str | None:
    return header_param(value, "tag")

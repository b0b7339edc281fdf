"""One UDP socket speaking SIP: client transactions and the far end's in-dialog requests.

A request we send is a client transaction (RFC 3261 §17.1): over UDP it is sent again at
T1, 2·T1, … (capped at T2 for non-INVITE) until a response comes, and given up after 64·T1.
An INVITE stops being sent again at its first provisional response and waits for its final
one; a final response other than 2xx is acknowledged by the transaction itself (§17.1.1.3).
Requests from the far end (BYE, INFO, OPTIONS) go to the call that owns their Call-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from channels.sip.message import SipMessage, SipParseError, new_branch, parse

log = logging.getLogger(__name__)

T1 = 0.5
T2 = 4.0
TIMEOUT = 64 * T1

RequestHandler = Callable[[SipMessage], tuple[int, str]]
ResponseHandler = Callable[[SipMessage], None]


class TransactionTimeoutError(Exception):
    """No response at all before 64·T1."""


@dataclass
class _Transaction:
    request: SipMessage
    address: tuple[str, int]
    final: asyncio.Future[SipMessage]
    on_provisional: Callable[[SipMessage], None] | None
    provisional: asyncio.Event = field(default_factory=asyncio.Event)
    responded: asyncio.Event = field(default_factory=asyncio.Event)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, endpoint: SipEndpoint) -> None:
        self._endpoint = endpoint

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._endpoint.received(data, addr)

    def error_received(self, exc: Exception) -> None:  # ICMP unreachable and the like
        log.debug("SIP socket error: %s", exc)


def route_host(target: tuple[str, int]) -> str:
    """The local address the system would use to reach `target` (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(target)
        host: str = probe.getsockname()[0]
        return host


class SipEndpoint:
    def __init__(self, *, bind_host: str, advertised_host: str, bind_port: int = 0) -> None:
        self._bind = (bind_host, bind_port)
        self.host = advertised_host
        self.port = 0
        self._transport: asyncio.DatagramTransport | None = None
        self._transactions: dict[tuple[str, str], _Transaction] = {}
        self._dialog_requests: dict[str, RequestHandler] = {}
        self._stray_responses: dict[str, ResponseHandler] = {}

    async def start(self) -> None:
        if self._transport is not None:
            return
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=self._bind, family=socket.AF_INET
        )
        self._transport = transport
        self.port = int(transport.get_extra_info("sockname")[1])

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        for transaction in self._transactions.values():
            if not transaction.final.done():
                transaction.final.cancel()
        self._transactions.clear()

    @property
    def started(self) -> bool:
        return self._transport is not None

    def via(self, branch: str | None = None) -> str:
        return f"SIP/2.0/UDP {self.host}:{self.port};rport;branch={branch or new_branch()}"

    def send(self, message: SipMessage, address: tuple[str, int]) -> None:
        if self._transport is None:
            raise ConnectionError("socket SIP fermée")
        self._transport.sendto(message.encode(), address)

    def on_dialog(self, call_id: str, requests: RequestHandler, responses: ResponseHandler) -> None:
        """Route the far end's requests, and responses no transaction waits for (a 200 OK
        sent again because our ACK was lost), to the call with this Call-ID."""
        self._dialog_requests[call_id] = requests
        self._stray_responses[call_id] = responses

    def forget(self, call_id: str) -> None:
        self._dialog_requests.pop(call_id, None)
        self._stray_responses.pop(call_id, None)

    async def request(
        self,
        message: SipMessage,
        address: tuple[str, int],
        *,
        on_provisional: Callable[[SipMessage], None] | None = None,
        give_up_after: float = TIMEOUT,
    ) -> SipMessage:
        """Send a request as a client transaction and return its final response."""
        key = (message.branch(), message.cseq()[1])
        final: asyncio.Future[SipMessage] = asyncio.get_running_loop().create_future()
        transaction = _Transaction(message, address, final, on_provisional)
        self._transactions[key] = transaction
        resend = asyncio.create_task(self._retransmit(transaction))
        try:
            self.send(message, address)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + give_up_after
            try:
                # Nothing at all from the far end within 64·T1: it is not there.
                await asyncio.wait_for(transaction.responded.wait(), min(TIMEOUT, give_up_after))
                return await asyncio.wait_for(
                    asyncio.shield(final), max(0.0, deadline - loop.time())
                )
            except TimeoutError:
                raise TransactionTimeoutError from None
        finally:
            resend.cancel()
            self._transactions.pop(key, None)

    async def _retransmit(self, transaction: _Transaction) -> None:
        interval = T1
        invite = transaction.request.method == "INVITE"
        while not transaction.final.done():
            await asyncio.sleep(interval)
            if transaction.final.done() or (invite and transaction.provisional.is_set()):
                return
            with contextlib.suppress(ConnectionError):
                self.send(transaction.request, transaction.address)
            interval = interval * 2 if invite else min(interval * 2, T2)

    def received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            message = parse(data)
        except SipParseError:
            return
        if message.is_request:
            self._answer_request(message, addr)
        else:
            self._match_response(message)

    def _match_response(self, response: SipMessage) -> None:
        try:
            method = response.cseq()[1]
        except SipParseError:
            return
        transaction = self._transactions.get((response.branch(), method))
        if transaction is None or transaction.final.done():
            handler = self._stray_responses.get(response.header("call-id") or "")
            if handler is not None:
                handler(response)
            return
        transaction.responded.set()
        if response.status < 200:
            transaction.provisional.set()
            if transaction.on_provisional is not None:
                transaction.on_provisional(response)
            return
        if method == "INVITE" and response.status >= 300:
            self.send(_ack_for_failure(transaction.request, response), transaction.address)
        transaction.final.set_result(response)

    def _answer_request(self, request: SipMessage, addr: tuple[str, int]) -> None:
        if request.method == "ACK":
            return
        handler = self._dialog_requests.get(request.header("call-id") or "")
        if handler is not None:
            status, reason = handler(request)
        elif request.method == "OPTIONS":
            status, reason = 200, "OK"
        else:
            status, reason = 481, "Call/Transaction Does Not Exist"
        self.send(response_to(request, status, reason), _reply_address(request, addr))


def response_to(request: SipMessage, status: int, reason: str) -> SipMessage:
    copied = ("via", "from", "to", "call-id", "cseq")
    headers = [(k, v) for k, v in request.headers if k.lower() in copied or len(k) == 1]
    return SipMessage(headers=headers, status=status, reason=reason)


def _reply_address(request: SipMessage, addr: tuple[str, int]) -> tuple[str, int]:
    """Responses go back where the request came from (RFC 3581 symmetric response)."""
    return addr


def _ack_for_failure(invite: SipMessage, response: SipMessage) -> SipMessage:
    """The ACK of a non-2xx final response: same branch, the response's To (§17.1.1.3)."""
    headers = [
        ("Via", invite.header("via") or ""),
        ("From", invite.header("from") or ""),
        ("To", response.header("to") or invite.header("to") or ""),
        ("Call-ID", invite.header("call-id") or ""),
        ("CSeq", f"{invite.cseq()[0]} ACK"),
        ("Max-Forwards", "70"),
    ]
    headers += [("Route", r) for r in invite.all("route")]
    return SipMessage(headers=headers, method="ACK", uri=invite.uri)

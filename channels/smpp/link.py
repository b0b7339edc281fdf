"""One bound SMPP link over asyncio: a window of requests in flight, the SMSC's requests
answered, enquire_link while idle.

Requests wait for their answer by sequence number, at most `window` of them at once. The
SMSC's own requests are answered here: enquire_link at once, unbind by unbind_resp and the
end of the link, deliver_sm (a receipt or a mobile-originated message) once the handler
given to the link has dealt with it, so that a receipt is acknowledged only when recorded.
When the link ends (dropped, or an answer that never came), every request still waiting
fails with `LinkDownError`: whoever sent it cannot know whether the SMSC took it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from channels.smpp import pdu as smpp

log = logging.getLogger(__name__)

DeliverHandler = Callable[[Any], Awaitable[int]]  # a deliver_sm → the status to answer


class LinkDownError(Exception):
    """The link ended, or an answer did not come in time: the request's fate is unknown."""


class BindRefusedError(Exception):
    """The SMSC refused the bind: wrong credentials or not allowed; `status` says which."""

    def __init__(self, status: int) -> None:
        super().__init__(smpp.status_text(status))
        self.status = status


@dataclass(frozen=True, slots=True)
class LinkSettings:
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    tls: ssl.SSLContext | None = None
    window: int = 10
    response_timeout: float = 10.0
    enquire_link_seconds: float = 30.0
    connect_timeout: float = 10.0
    # bind_transceiver, or one of a transmitter + receiver pair (bind_transmitter,
    # bind_receiver) for an SMSC that offers no transceiver.
    bind: str = "bind_transceiver"


class SmppLink:
    """A connection bound as transceiver (or transmitter, or receiver); `open()` connects and
    binds."""

    def __init__(self, settings: LinkSettings, *, on_deliver: DeliverHandler | None) -> None:
        self._settings = settings
        self._on_deliver = on_deliver
        self._sequence = smpp.Sequence()
        self._window = asyncio.Semaphore(settings.window)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = asyncio.Event()
        self._last_activity = 0.0
        self.system_id_of_smsc = ""

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def open(self) -> None:
        s = self._settings
        try:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(
                    s.host, s.port, ssl=s.tls, server_hostname=s.host if s.tls else None
                ),
                s.connect_timeout,
            )
        except (OSError, TimeoutError) as error:
            self._closed.set()
            raise LinkDownError(f"connexion impossible à {s.host}:{s.port}") from error
        self._touch()
        self._spawn(self._read_loop())
        try:
            answer = await self.request(
                s.bind,
                system_id=s.system_id,
                password=s.password,
                system_type=s.system_type,
                interface_version=0x34,
                addr_ton=0,
                addr_npi=0,
                address_range="",
            )
        except BaseException:
            await self.close()
            raise
        if answer.status != smpp.ESME_ROK:
            await self.close()
            raise BindRefusedError(answer.status)
        self.system_id_of_smsc = _text(getattr(answer, "system_id", b""))
        self._spawn(self._keep_alive())

    async def request(self, command: str, **fields: Any) -> Any:
        """Send a request and return its answer (whatever its status); `LinkDownError` if the link
        ends first or the answer takes longer than the response timeout."""
        async with self._window:
            if self.closed or self._writer is None:
                raise LinkDownError("liaison fermée")
            request = smpp.request(command, self._sequence, **fields)
            answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._waiting[request.sequence] = answer
            try:
                self._writer.write(smpp.encode(request))
                try:
                    return await asyncio.wait_for(answer, self._settings.response_timeout)
                except TimeoutError:
                    # An SMSC that stopped answering: the link is not trusted any more.
                    self._end()
                    raise LinkDownError("pas de réponse de l'opérateur dans le délai") from None
            finally:
                self._waiting.pop(request.sequence, None)

    async def enquire_link(self) -> None:
        answer = await self.request("enquire_link")
        if answer.status != smpp.ESME_ROK:
            raise LinkDownError(f"enquire_link refusé : {smpp.status_text(answer.status)}")

    async def unbind(self) -> None:
        """Unbind politely (bounded by the response timeout), then close."""
        with contextlib.suppress(LinkDownError):
            await self.request("unbind")
        await self.close()

    async def close(self) -> None:
        self._end()
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._writer is not None:
            with contextlib.suppress(OSError, ssl.SSLError):
                await self._writer.wait_closed()

    # -- inside --------------------------------------------------------------------------

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _touch(self) -> None:
        self._last_activity = asyncio.get_running_loop().time()

    def _end(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        for answer in self._waiting.values():
            if not answer.done():
                answer.set_exception(LinkDownError("liaison coupée avant la réponse"))
        if self._writer is not None:
            self._writer.close()

    def _send(self, pdu: Any) -> None:
        if self._writer is not None and not self.closed:
            self._writer.write(smpp.encode(pdu))

    async def _read_loop(self) -> None:
        assert self._reader is not None
        try:
            while True:
                head = await self._reader.readexactly(4)
                length = int.from_bytes(head, "big")
                if not 16 <= length <= smpp.MAX_PDU_OCTETS:
                    log.warning("SMPP: PDU of %d octets, link closed", length)
                    return
                raw = head + await self._reader.readexactly(length - 4)
                self._touch()
                self._received(raw)
        except (asyncio.IncompleteReadError, OSError, ssl.SSLError):
            return
        except Exception:
            # A PDU the codec could not read: the stream cannot be trusted past it.
            log.exception("SMPP: unreadable PDU, link closed")
            return
        finally:
            self._end()

    def _received(self, raw: bytes) -> None:
        _, command_id, status, sequence = smpp.header(raw)
        decoded = smpp.decode(raw)
        if command_id & 0x80000000:  # an answer (generic_nack included)
            answer = self._waiting.get(sequence)
            if answer is not None and not answer.done():
                if decoded is None:
                    decoded = smpp.response("generic_nack", to=sequence, status=status)
                answer.set_result(decoded)
            return
        if decoded is None:
            self._send(smpp.response("generic_nack", to=sequence, status=smpp.ESME_RINVCMDID))
            return
        if decoded.command == "enquire_link":
            self._send(smpp.response("enquire_link_resp", to=sequence))
        elif decoded.command == "unbind":
            self._send(smpp.response("unbind_resp", to=sequence))
            self._end()
        elif decoded.command == "deliver_sm":
            self._spawn(self._deliver(decoded))
        else:
            self._send(smpp.response("generic_nack", to=sequence, status=smpp.ESME_RINVCMDID))

    async def _deliver(self, request: Any) -> None:
        status = smpp.ESME_ROK
        if self._on_deliver is not None:
            try:
                status = await self._on_deliver(request)
            except Exception:
                log.exception("SMPP: deliver_sm not handled; the SMSC will send it again")
                status = smpp.ESME_RX_T_APPN
        self._send(smpp.response("deliver_sm_resp", to=request.sequence, status=status))

    async def _keep_alive(self) -> None:
        period = self._settings.enquire_link_seconds
        loop = asyncio.get_running_loop()
        while not self.closed:
            idle = loop.time() - self._last_activity
            if idle < period:
                await asyncio.sleep(period - idle)
                continue
            try:
                await self.enquire_link()
            except LinkDownError:
                return
            self._touch()


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value or "")

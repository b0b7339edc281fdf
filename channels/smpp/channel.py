"""The SMS channel over SMPP 3.4: one transceiver bind per event loop, kept up (or, with
`bind: pair`, a transmitter that sends and a receiver that takes the receipts, each kept up).

A send becomes one submit_sm per part (or one with `message_payload`), each taken from the
operator's throughput (`rate_per_second`, counted in PDUs) and sent within the link's window.
The link is opened on first use and re-bound after it drops, with a backoff, so that the
receipts the SMSC holds reach the service even while nothing is sent.

What may be sent twice: a submit_sm written before the link dropped, whose answer never came,
is reported as a retryable failure and sent again, since the SMSC may or may not have taken
it. At most `window` parts per drop are in that state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from channels._common import guard_exercise
from channels.config import SmppConfig
from channels.contract import (
    ChannelLimits,
    HandsetReceipt,
    LengthUnit,
    OutgoingMessage,
    Receipt,
    RecipientKind,
    SendError,
)
from channels.pacing import TokenBucket
from channels.smpp import pdu as smpp
from channels.smpp.link import BindRefusedError, LinkDownError, LinkSettings, SmppLink
from channels.smpp.receipts import is_receipt, parse_receipt
from channels.smpp.text import encode_text
from channels.sms_text import e164, sms_body
from crisis.clock import Clock

log = logging.getLogger(__name__)

DEFAULT_RATE_PER_SECOND: Final = 10.0
TON_INTERNATIONAL, TON_NATIONAL, TON_NETWORK, TON_ALPHANUMERIC = 1, 2, 3, 5
NPI_UNKNOWN, NPI_E164 = 0, 1
SHORT_CODE_DIGITS: Final = 8

# Receives each receipt; True once it is recorded (the SMSC's deliver_sm is then answered),
# False to have the SMSC send it again later.
ReceiptSink = Callable[[HandsetReceipt], Awaitable[bool]]


def source_address(config: SmppConfig) -> tuple[int, int, str]:
    """TON, NPI and address of the sender: a name is alphanumeric (5, 0), `+33…` an
    international number (1, 1), a short code a network-specific one (3, 0), another number
    a national one (2, 1); the configuration may say otherwise."""
    value = config.source_addr
    if any(char.isalpha() for char in value):
        ton, npi = TON_ALPHANUMERIC, NPI_UNKNOWN
    elif value.startswith("+"):
        ton, npi, value = TON_INTERNATIONAL, NPI_E164, value[1:]
    elif len(value) <= SHORT_CODE_DIGITS:
        ton, npi = TON_NETWORK, NPI_UNKNOWN
    else:
        ton, npi = TON_NATIONAL, NPI_E164
    if config.source_addr_ton is not None:
        ton = config.source_addr_ton
    if config.source_addr_npi is not None:
        npi = config.source_addr_npi
    return ton, npi, value


@dataclass
class ReceiptCounters:
    """What came back from the SMSC, by kind, since the channel was built."""

    receipts: int = 0  # final receipts handed to the service
    not_recorded: int = 0  # handed over but not recorded: the SMSC sends them again
    intermediate: int = 0  # ENROUTE, ACCEPTD… notices: not an outcome
    unhandled: int = 0  # receipts arriving while nobody takes them (a CLI command)
    mobile_originated: int = 0  # an SMS sent to the service's number: not read here


@dataclass
class _LoopState:
    """What one event loop's use of the channel holds: its link and its pacing."""

    bucket: TokenBucket
    connecting: asyncio.Lock = field(default_factory=asyncio.Lock)
    link: SmppLink | None = None
    failures: int = 0
    next_try: float = 0.0
    watcher: asyncio.Task[None] | None = None
    closing: bool = False
    # The receiver of a transmitter + receiver pair, kept bound by its own watcher.
    receiver: SmppLink | None = None
    receiver_watcher: asyncio.Task[None] | None = None
    receiver_failures: int = 0
    receiver_next_try: float = 0.0


class SmppChannel:
    name = "sms"
    recipient_kind = RecipientKind.PHONE

    def __init__(self, config: SmppConfig, *, clock: Clock, name: str = "sms") -> None:
        self.name = name
        self._config = config
        self._clock = clock
        rate = config.rate_per_second or DEFAULT_RATE_PER_SECOND
        self.limits = ChannelLimits(
            max_length=config.max_segments,
            length_unit=LengthUnit.SMS_SEGMENTS,
            rate_per_second=rate,
            max_segments=config.max_segments,
            handset_receipts=True,
        )
        self._source = source_address(config)
        self._receipt_sink: ReceiptSink | None = None
        self.counters = ReceiptCounters()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._state: _LoopState | None = None

    def __repr__(self) -> str:
        c = self._config
        return f"SmppChannel(name={self.name!r}, host={c.host!r}, system_id={c.system_id!r})"

    def set_receipt_sink(self, sink: ReceiptSink | None) -> None:
        """Where receipts go (the service's recorder); without one they are acknowledged and
        counted as unhandled."""
        self._receipt_sink = sink

    # -- the contract ----------------------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> Receipt:
        guard_exercise(message, production=self._config.production, channel=self.name)
        to = e164(message.recipient)
        text = sms_body(message.text, max_segments=self._config.max_segments)
        encoded = encode_text(
            text,
            delivery_id=message.delivery_id,
            payload=self._config.long_messages == "message_payload",
        )
        ton, npi, source = self._source
        common: dict[str, Any] = {
            "service_type": "",
            "source_addr_ton": ton,
            "source_addr_npi": npi,
            "source_addr": source,
            "dest_addr_ton": TON_INTERNATIONAL,
            "dest_addr_npi": NPI_E164,
            "destination_addr": to.removeprefix("+"),
            "esm_class": encoded.esm_class,
            "registered_delivery": 1 if self._config.registered_delivery else 0,
            "data_coding": encoded.data_coding,
        }
        if encoded.payload is not None:
            ids = [await self._submit({**common, "message_payload": encoded.payload})]
        else:
            ids = []
            for part in encoded.short_messages:
                ids.append(await self._submit({**common, "short_message": part}))
        return Receipt(
            provider_message_id=ids[0],
            accepted_at=self._clock.now(),
            provider_part_ids=tuple(ids) if len(ids) > 1 else (),
        )

    async def check(self) -> str:
        """Bind on a link of its own (two for a pair), exchange an enquire_link, unbind."""
        c = self._config
        links = [SmppLink(self._link_settings(bind), on_deliver=None) for bind in self._binds()]
        try:
            for link in links:
                await link.open()
                await link.enquire_link()
        except BindRefusedError as refused:
            raise SendError(
                f"SMSC {c.host}:{c.port} : connexion refusée — {refused}.", retryable=False
            ) from None
        except LinkDownError as down:
            raise SendError(
                f"SMSC {c.host}:{c.port} injoignable : {down}.", retryable=True
            ) from None
        finally:
            for link in links:
                await link.unbind()
        ton, npi, source = self._source
        kind = "transmitter + receiver" if c.bind == "pair" else "transceiver"
        return (
            f"Liaison SMPP acceptée par {c.host}:{c.port} (system_id {c.system_id}, "
            f"{kind}{', TLS' if c.tls else ''}), enquire_link répondu ; émetteur "
            f"{source} (TON {ton}, NPI {npi})."
        )

    async def aclose(self) -> None:
        state = self._state
        if state is None or self._loop is not asyncio.get_running_loop():
            return
        state.closing = True
        for watcher in (state.watcher, state.receiver_watcher):
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
        for link in (state.link, state.receiver):
            if link is not None:
                await link.unbind()
        self._state = None

    # -- inside ----------------------------------------------------------------------------

    def _binds(self) -> tuple[str, ...]:
        """The bind of each link: one transceiver, or a transmitter and a receiver."""
        if self._config.bind == "pair":
            return ("bind_transmitter", "bind_receiver")
        return ("bind_transceiver",)

    def _link_settings(self, bind: str = "bind_transceiver") -> LinkSettings:
        c = self._config
        tls: ssl.SSLContext | None = None
        if c.tls:
            tls = ssl.create_default_context(cafile=str(c.ca_file) if c.ca_file else None)
        return LinkSettings(
            host=c.host,
            port=c.port,
            system_id=c.system_id,
            password=c.password.get_secret_value(),
            system_type=c.system_type,
            tls=tls,
            window=c.window,
            response_timeout=c.response_timeout_seconds,
            enquire_link_seconds=c.enquire_link_seconds,
            bind=bind,
        )

    def _loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        if self._state is None or self._loop is not loop:
            self._state = _LoopState(bucket=TokenBucket(self.limits.rate_per_second))
            self._loop = loop
        return self._state

    async def _submit(self, fields: dict[str, Any]) -> str:
        state = self._loop_state()
        link = await self._link(state)
        await state.bucket.acquire()
        try:
            answer = await link.request("submit_sm", **fields)
        except LinkDownError:
            raise SendError(
                "SMSC : liaison coupée avant la réponse de l'opérateur ; nouvel essai (un "
                "doublon est possible si l'opérateur avait pris le message).",
                retryable=True,
            ) from None
        finally:
            state.bucket.finished()
        if answer.status != smpp.ESME_ROK:
            error = smpp.submit_error(answer.status)
            if error.retry_after:
                state.bucket.pause(error.retry_after)
            raise error
        message_id = answer.message_id
        if isinstance(message_id, bytes):
            message_id = message_id.decode("latin-1")
        if not message_id:
            # Accepted, but without an id no receipt can be matched: still an acceptance.
            log.warning("SMPP: submit_sm_resp without message_id")
        return str(message_id or "")

    async def _link(self, state: _LoopState) -> SmppLink:
        if state.link is not None and not state.link.closed:
            return state.link
        async with state.connecting:
            if state.link is not None and not state.link.closed:
                return state.link
            wait = state.next_try - asyncio.get_running_loop().time()
            if wait > 0:
                raise SendError(
                    f"SMSC {self._config.host}:{self._config.port} injoignable ; nouvel essai "
                    f"de connexion dans {wait:.0f} s.",
                    retryable=True,
                    retry_after=wait,
                )
            try:
                state.link = await self._bind(state)
            except BindRefusedError as refused:
                raise SendError(
                    f"SMSC : connexion refusée — {refused} ; vérifiez l'identifiant et le mot "
                    "de passe SMPP.",
                    retryable=True,
                    retry_after=self._backoff(state.failures),
                ) from None
            except LinkDownError as down:
                raise SendError(
                    f"SMSC {self._config.host}:{self._config.port} injoignable : {down}.",
                    retryable=True,
                    retry_after=self._backoff(state.failures),
                ) from None
            if state.watcher is None or state.watcher.done():
                state.watcher = asyncio.ensure_future(self._keep_bound(state))
            if self._config.bind == "pair" and (
                state.receiver_watcher is None or state.receiver_watcher.done()
            ):
                state.receiver_watcher = asyncio.ensure_future(self._keep_receiving(state))
            return state.link

    async def _bind(self, state: _LoopState) -> SmppLink:
        """A bound link, or the error of this attempt (the next one waits a backoff)."""
        link = SmppLink(self._link_settings(self._binds()[0]), on_deliver=self._on_deliver)
        try:
            await link.open()
        except (BindRefusedError, LinkDownError):
            state.failures += 1
            state.next_try = asyncio.get_running_loop().time() + self._backoff(state.failures)
            raise
        if state.failures:
            log.info("SMPP: bound again to %s after %d failures", self._config.host, state.failures)
        state.failures = 0
        state.next_try = 0.0
        return link

    def _backoff(self, failures: int) -> float:
        c = self._config
        return float(
            min(c.reconnect_max_seconds, c.reconnect_min_seconds * 2 ** max(0, failures - 1))
        )

    async def _keep_bound(self, state: _LoopState) -> None:
        """Re-bind after the link drops, backing off, so that receipts keep coming."""
        loop = asyncio.get_running_loop()
        while not state.closing:
            link = state.link
            if link is not None and not link.closed:
                await link.wait_closed()
                if state.closing:
                    return
                log.warning("SMPP: link to %s dropped; binding again", self._config.host)
            await asyncio.sleep(max(0.0, state.next_try - loop.time()))
            async with state.connecting:
                if state.link is not None and not state.link.closed:
                    continue
                with contextlib.suppress(BindRefusedError, LinkDownError):
                    state.link = await self._bind(state)

    async def _keep_receiving(self, state: _LoopState) -> None:
        """The receiver of a pair: bound as soon as the transmitter is, and again after it
        drops, backing off on its own, so that the receipts keep coming."""
        loop = asyncio.get_running_loop()
        while not state.closing:
            receiver = state.receiver
            if receiver is not None and not receiver.closed:
                await receiver.wait_closed()
                if state.closing:
                    return
                log.warning("SMPP: receiver link to %s dropped; binding again", self._config.host)
            await asyncio.sleep(max(0.0, state.receiver_next_try - loop.time()))
            receiver = SmppLink(self._link_settings("bind_receiver"), on_deliver=self._on_deliver)
            try:
                await receiver.open()
            except (BindRefusedError, LinkDownError):
                state.receiver_failures += 1
                state.receiver_next_try = loop.time() + self._backoff(state.receiver_failures)
                continue
            state.receiver_failures, state.receiver_next_try = 0, 0.0
            state.receiver = receiver

    async def _on_deliver(self, deliver_sm: Any) -> int:
        if not is_receipt(deliver_sm):
            self.counters.mobile_originated += 1
            return smpp.ESME_ROK
        receipt = parse_receipt(
            deliver_sm,
            channel=self.name,
            received_at=self._clock.now(),
            receipt_ids=self._config.receipt_ids,
        )
        if receipt is None:
            self.counters.intermediate += 1
            return smpp.ESME_ROK
        sink = self._receipt_sink
        if sink is None:
            self.counters.unhandled += 1
            return smpp.ESME_ROK
        if await sink(receipt):
            self.counters.receipts += 1
            return smpp.ESME_ROK
        self.counters.not_recorded += 1
        return smpp.ESME_RX_T_APPN

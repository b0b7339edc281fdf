"""Phone calls through a SIP trunk: the message spoken in French, a key to acknowledge.

A delivery is one call. It rings the number (`ring_seconds` at most), then reads the message
and its instructions (« 1 » acknowledges, « 2 » declines, « 9 » repeats) until a key is
pressed, `plays` times at most. « 1 » and « 2 » are handed at once to `answers` (the service
records the acknowledgement, or moves the escalation on) and the caller hears the result;
an answer without a key is « message laissé, non confirmé ». Busy, no answer, refused or
failed: a `SendError` with the SIP reason in French, retried by the outbox's policy.

At most `max_calls` calls at once (the trunk's channels), `calls_per_second` new calls. The
SIP and RTP sockets belong to the event loop that uses them (the dispatcher's, or a command's).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from channels._common import e164, guard_exercise
from channels.config import VoiceConfig
from channels.contract import (
    ChannelLimits,
    LengthUnit,
    OutgoingMessage,
    Receipt,
    RecipientKind,
    SendError,
)
from channels.pacing import TokenBucket
from channels.sip import sdp
from channels.sip.call import CallError, OutgoingCall, Trunk
from channels.sip.endpoint import SipEndpoint, TransactionTimeoutError, route_host
from channels.sip.message import SipMessage
from channels.sip.registration import send_with_auth
from channels.sip.rtp import RtpStream
from channels.speech import SpeechError, Synthesizer, speakable
from crisis.clock import Clock

log = logging.getLogger(__name__)

INSTRUCTIONS = "Pour confirmer, tapez 1. Si vous ne pouvez pas, tapez 2. Pour réécouter, tapez 9."
SAID_ACKNOWLEDGED = "Merci, c'est confirmé. Au revoir."
SAID_NOT_RECORDED = (
    "Votre réponse n'a pas pu être enregistrée. Appelez le cadre de permanence. Au revoir."
)
SAID_DECLINED = "C'est noté, nous appelons la personne suivante. Au revoir."
TEST_MESSAGE = (
    "Ceci est un appel d'essai du service de communication de crise de la préfecture. "
    "Aucune action n'est attendue de votre part."
)
MAX_REPEATS = 3  # « 9 » pressed again and again: the message is read this many extra times
CODECS = {"pcmu": (sdp.PCMU, sdp.PCMA), "pcma": (sdp.PCMA, sdp.PCMU)}


class CallOutcome(StrEnum):
    ACKNOWLEDGED = "acknowledged"  # « 1 »
    DECLINED = "declined"  # « 2 »
    MESSAGE_LEFT = "message_left"  # answered, no key: « message laissé, non confirmé »


CALL_OUTCOME_LABELS = {
    CallOutcome.ACKNOWLEDGED: "accusé de réception par téléphone (touche 1)",
    CallOutcome.DECLINED: "indisponible (touche 2)",
    CallOutcome.MESSAGE_LEFT: "message laissé, non confirmé",
}


@dataclass(frozen=True, slots=True)
class CallAnswer:
    delivery_id: str
    outcome: CallOutcome
    call_id: str
    number: str


# Records a key press; True when it was recorded (the caller hears which).
CallAnswers = Callable[[CallAnswer], Awaitable[bool]]


class RegistrationState(StrEnum):
    NOT_NEEDED = "not_needed"  # a static trunk
    UNKNOWN = "unknown"  # not tried yet
    REGISTERED = "registered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class _Talk:
    """A call answered: its signalling, its media, the keys pressed, the law in use."""

    call: OutgoingCall
    rtp: RtpStream
    keys: asyncio.Queue[str]
    payload_type: int


def _number(recipient: str) -> str:
    return e164(recipient, who="Appel", region="FR")


def spoken_text(text: str) -> str:
    """What a call says: the message, then what to press."""
    return f"{speakable(text).strip()}\n{INSTRUCTIONS}"


@dataclass
class _LoopState:
    """What belongs to one event loop: sockets, the call slots, the pace of new calls."""

    endpoint: SipEndpoint
    slots: asyncio.Semaphore
    pace: TokenBucket
    ready: asyncio.Task[None] | None = None
    refresh: asyncio.Task[None] | None = None
    active: set[str] = field(default_factory=set)


class VoiceChannel:
    name = "voice"
    recipient_kind = RecipientKind.PHONE

    def __init__(
        self,
        config: VoiceConfig,
        *,
        clock: Clock,
        name: str = "voice",
        answers: CallAnswers | None = None,
    ) -> None:
        self.name = name
        self._config = config
        self._clock = clock
        self.answers = answers
        call_seconds = config.ring_seconds + (config.plays + MAX_REPEATS) * (
            config.max_spoken_seconds + 15 + config.key_wait_seconds
        )
        self.limits = ChannelLimits(
            max_length=config.max_spoken_seconds,
            length_unit=LengthUnit.SPOKEN_SECONDS,
            rate_per_second=config.calls_per_second,
            max_in_flight=config.max_calls,
            send_seconds=call_seconds,
        )
        self.trunk = Trunk(
            proxy=config.proxy_address(),
            domain=config.sip_domain(),
            caller_id=config.caller_id,
            username=config.username,
            password=config.password.get_secret_value() if config.password else None,
            display_name=config.display_name,
        )
        self._synthesizers = {
            law: Synthesizer(
                voice=config.voice,
                words_per_minute=config.words_per_minute,
                law=law,
                cache_dir=config.cache_dir,
            )
            for law in ("pcmu", "pcma")
        }
        self.synthesizer = self._synthesizers[config.codec]
        self.registration = (
            RegistrationState.UNKNOWN if config.username else RegistrationState.NOT_NEEDED
        )
        self.registration_detail = ""
        self._loops: dict[asyncio.AbstractEventLoop, _LoopState] = {}
        self.calls_in_progress = 0  # across loops, read by the metrics

    def __repr__(self) -> str:
        return f"VoiceChannel(name={self.name!r}, proxy={self._config.proxy!r})"

    # -- sockets, per event loop -------------------------------------------------------------

    def _host(self) -> str:
        if self._config.advertised_host:
            return self._config.advertised_host
        if self._config.bind_host not in ("0.0.0.0", ""):  # noqa: S104
            return self._config.bind_host
        return route_host(self.trunk.proxy)

    async def _state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        for other in [known for known in self._loops if known.is_closed()]:
            del self._loops[other]
        state = self._loops.get(loop)
        if state is None:
            # Made before any await: the calls that start together share one socket and
            # one set of call slots.
            state = self._loops[loop] = _LoopState(
                endpoint=SipEndpoint(bind_host=self._config.bind_host, advertised_host=""),
                slots=asyncio.Semaphore(self._config.max_calls),
                pace=TokenBucket(self._config.calls_per_second),
            )
            state.ready = loop.create_task(self._open(state))
        assert state.ready is not None
        try:
            await asyncio.shield(state.ready)
        except OSError as error:
            # No socket or no address for the trunk: the next call tries again from scratch.
            if self._loops.get(loop) is state:
                del self._loops[loop]
            state.endpoint.close()
            raise SendError(
                f"Appel : relais SIP {self._config.proxy} injoignable ({error.strerror or error}).",
                retryable=True,
            ) from None
        return state

    async def _open(self, state: _LoopState) -> None:
        host, port = self.trunk.proxy
        # The trunk's name is looked up once per loop, never by the sends themselves.
        found = await asyncio.get_running_loop().getaddrinfo(
            host, port, family=socket.AF_INET, type=socket.SOCK_DGRAM
        )
        self.trunk = replace(self.trunk, proxy=(str(found[0][4][0]), port))
        state.endpoint.host = self._host()  # what the trunk is told to answer to
        await state.endpoint.start()
        if self._config.username:
            await self._register(state)
            state.refresh = asyncio.create_task(self._keep_registered(state))

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        state = self._loops.pop(loop, None)
        if state is None:
            return
        if state.ready is not None and not state.ready.done():
            state.ready.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await state.ready
        if state.refresh is not None:
            state.refresh.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await state.refresh
        state.endpoint.close()

    async def _register(self, state: _LoopState) -> str:
        try:
            response = await send_with_auth(
                state.endpoint, self.trunk, "REGISTER", expires=self._config.register_expires
            )
        except TransactionTimeoutError:
            self.registration = RegistrationState.FAILED
            self.registration_detail = "le relais SIP ne répond pas"
            return self.registration_detail
        if 200 <= response.status < 300:
            self.registration = RegistrationState.REGISTERED
            self.registration_detail = f"enregistré ({response.status} {response.reason})"
        else:
            self.registration = RegistrationState.FAILED
            self.registration_detail = (
                f"enregistrement refusé (SIP {response.status} {response.reason})"
            )
        return self.registration_detail

    async def _keep_registered(self, state: _LoopState) -> None:
        while True:
            ok = self.registration is RegistrationState.REGISTERED
            await asyncio.sleep(self._config.register_expires / 2 if ok else 30.0)
            await self._register(state)

    # -- the contract ------------------------------------------------------------------------

    async def _render(self, text: str, payload_type: int | None = None) -> bytes:
        law = {sdp.PCMU: "pcmu", sdp.PCMA: "pcma"}.get(payload_type or -1, self._config.codec)
        try:
            return await asyncio.to_thread(self._synthesizers[law].render, text)
        except (SpeechError, OSError) as error:
            raise SendError(f"Appel : {error}", retryable=True) from None

    async def send(self, message: OutgoingMessage) -> Receipt:
        guard_exercise(message, production=self._config.production, channel=self.name)
        number = _number(message.recipient)
        if not message.text.strip():
            raise SendError("Appel : le message est vide.", retryable=False)
        outcome, call_id, answered_at = await self._call(
            number, spoken_text(message.text), delivery_id=message.delivery_id, listen=True
        )
        return Receipt(provider_message_id=call_id, accepted_at=answered_at, outcome=outcome.value)

    async def check(self) -> str:
        """REGISTER when credentials are set, else OPTIONS: the trunk answers, or why not."""
        state = await self._state()
        if self._config.username:
            detail = await self._register(state)
            if self.registration is not RegistrationState.REGISTERED:
                raise SendError(f"Trunk SIP {self._config.proxy} : {detail}.", retryable=True)
            return f"Trunk SIP {self._config.proxy} : {detail}, appelant {self._config.caller_id}."
        try:
            response = await send_with_auth(state.endpoint, self.trunk, "OPTIONS")
        except TransactionTimeoutError:
            raise SendError(
                f"Trunk SIP {self._config.proxy} : le relais ne répond pas (OPTIONS).",
                retryable=True,
            ) from None
        if response.status >= 500:
            raise SendError(
                f"Trunk SIP {self._config.proxy} : SIP {response.status} {response.reason}.",
                retryable=True,
            )
        return (
            f"Trunk SIP {self._config.proxy} joignable (OPTIONS : {response.status} "
            f"{response.reason}), appelant {self._config.caller_id}."
        )

    async def test_call(self) -> str:
        """Ring `test_number` with a test message; say how it went."""
        if not self._config.test_number:
            raise SendError(
                "Appel d'essai : aucun numéro d'essai (test_number) n'est configuré.",
                retryable=False,
            )
        number = _number(self._config.test_number)
        _, call_id, _ = await self._call(number, TEST_MESSAGE, delivery_id="", listen=False)
        return f"Appel d'essai vers {number} : décroché, message lu (appel {call_id})."

    # -- one call ----------------------------------------------------------------------------

    async def _call(
        self, number: str, text: str, *, delivery_id: str, listen: bool
    ) -> tuple[CallOutcome, str, datetime]:
        spoken = await self._render(text)  # before ringing: nobody waits for it on the line
        state = await self._state()
        async with state.slots:
            await state.pace.acquire()
            state.pace.finished()  # the pace counts call starts, not calls in progress
            keys: asyncio.Queue[str] = asyncio.Queue()
            rtp = RtpStream(on_key=keys.put_nowait)
            await rtp.open(self._config.bind_host)
            codecs = CODECS[self._config.codec]
            offer = sdp.offer(
                host=state.endpoint.host,
                port=rtp.port,
                codecs=codecs,
                session_id=secrets.randbelow(2**31),
            )
            call = OutgoingCall(state.endpoint, self.trunk, number, offer, keys.put_nowait)
            self.calls_in_progress += 1
            state.active.add(call.call_id)
            try:
                ok = await self._dial(call)
                answered_at = self._clock.now()
                try:
                    media = sdp.read_answer(ok.body, offered=codecs)
                except (sdp.SdpError, ValueError) as error:
                    raise SendError(f"Appel : {error}", retryable=True) from None
                rtp.connect(
                    (media.host, media.port),
                    payload_type=media.payload_type,
                    event_type=media.event_payload_type,
                )
                if media.payload_type != codecs[0]:
                    spoken = await self._render(text, media.payload_type)
                talk = _Talk(call, rtp, keys, media.payload_type)
                outcome = await self._converse(talk, spoken, delivery_id, number, listen)
                return outcome, call.call_id, answered_at
            finally:
                with contextlib.suppress(Exception):
                    await call.hang_up()
                rtp.close()
                state.active.discard(call.call_id)
                self.calls_in_progress -= 1

    async def _dial(self, call: OutgoingCall) -> SipMessage:
        try:
            return await call.dial(ring_timeout=self._config.ring_seconds)
        except CallError as failure:
            # Busy, no answer: not before `retry_seconds` (the dispatcher's backoff starts at
            # seconds, a phone that just rang out needs longer).
            wait = failure.retry_after
            if failure.retryable and failure.status != 0:
                wait = max(wait or 0.0, self._config.retry_seconds)
            raise SendError(
                f"Appel : {failure.reason}.",
                retryable=failure.retryable,
                retry_after=wait,
                about_recipient=failure.about_recipient,
            ) from None

    async def _converse(
        self, talk: _Talk, spoken: bytes, delivery_id: str, number: str, listen: bool
    ) -> CallOutcome:
        call = talk.call
        plays, allowed = 0, self._config.plays if listen else 1
        while plays < allowed and not call.ended.is_set():
            plays += 1
            key = await self._play_for_key(talk, spoken, wait=listen)
            if key == "9" and allowed < self._config.plays + MAX_REPEATS:
                allowed += 1
            elif key in ("1", "2"):
                outcome = CallOutcome.ACKNOWLEDGED if key == "1" else CallOutcome.DECLINED
                recorded = await self._record(
                    CallAnswer(delivery_id, outcome, call.call_id, number)
                )
                reply = SAID_DECLINED if key == "2" else SAID_ACKNOWLEDGED
                if not recorded:
                    reply = SAID_NOT_RECORDED
                await talk.rtp.play(await self._render(reply, talk.payload_type), stop=call.ended)
                return outcome
        return CallOutcome.MESSAGE_LEFT

    async def _record(self, answer: CallAnswer) -> bool:
        if self.answers is None:
            return True  # nobody to tell: the outcome travels with the receipt
        try:
            return await self.answers(answer)
        except Exception:
            log.exception("recording the answer of call %s failed", answer.call_id)
            return False

    async def _play_for_key(self, talk: _Talk, spoken: bytes, *, wait: bool) -> str | None:
        """Read the message (then wait a little) until a key or the far end's BYE."""
        call, rtp, keys = talk.call, talk.rtp, talk.keys
        stop = asyncio.Event()

        async def watch() -> str | None:
            ended = asyncio.create_task(call.ended.wait())
            pressed = asyncio.create_task(keys.get())
            try:
                done, _ = await asyncio.wait({ended, pressed}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                ended.cancel()
                pressed.cancel()  # a key pressed later stays in the queue for the next look
            stop.set()
            return pressed.result() if pressed in done else None

        watcher = asyncio.create_task(watch())
        try:
            if await rtp.play(spoken, stop=stop) and wait:
                await rtp.silence(self._config.key_wait_seconds, stop=stop)
            if not watcher.done():
                watcher.cancel()
                return None
            return await watcher
        finally:
            if not watcher.done():
                watcher.cancel()

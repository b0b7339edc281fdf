"""The voice channel against real SIP software from Debian: kamailio as the trunk (digest
authentication, a busy number), baresip as the callee (answers, records what it hears,
presses keys). One pair of peers for the module."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from channels.config import VoiceConfig
from channels.contract import OutgoingMessage, Receipt, RecipientKind, SendError
from channels.speech import seconds_of
from channels.voice import CallAnswer, CallOutcome, RegistrationState, VoiceChannel, spoken_text
from crisis.clock import ManualClock
from tests.peers.sip.fake_uas import ManyCallees
from tests.peers.sip.peers import (
    ANSWERING,
    BUSY,
    RINGING_ONLY,
    TRUNK_PASSWORD,
    TRUNK_USER,
    Baresip,
    Kamailio,
    callee_behind_trunk,
    wav_loudness,
    wav_seconds,
)

T0 = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)
MESSAGE = "Appel d'astreinte de la préfecture. Rendez-vous au C O D."


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Baresip, Kamailio]]:
    with callee_behind_trunk(tmp_path_factory.mktemp("sip")) as peers:
        yield peers


def voice(trunk_port: int, **overrides: object) -> VoiceChannel:
    values: dict[str, object] = {
        "proxy": f"127.0.0.1:{trunk_port}",
        "username": TRUNK_USER,
        "password": SecretStr(TRUNK_PASSWORD),
        "caller_id": "+33238000000",
        "bind_host": "127.0.0.1",
        "ring_seconds": 1.5,
        "plays": 1,
        "key_wait_seconds": 0.3,
        "retry_seconds": 60,
        "words_per_minute": 400,  # the suite's time: the same words, spoken fast
    }
    values.update(overrides)
    return VoiceChannel(VoiceConfig.model_validate(values), clock=ManualClock(T0))


def call(to: str, text: str = MESSAGE, *, exercise: bool = False) -> OutgoingMessage:
    return OutgoingMessage(
        delivery_id="d-1",
        recipient_kind=RecipientKind.PHONE,
        recipient=to,
        text=text,
        exercise=exercise,
    )


def send(channel: VoiceChannel, message: OutgoingMessage) -> Receipt:
    async def run() -> Receipt:
        try:
            return await channel.send(message)
        finally:
            await channel.aclose()

    return asyncio.run(run())


def test_an_answered_call_reads_the_message_once_per_play_and_leaves_it(
    peers: tuple[Baresip, Kamailio],
) -> None:
    callee, trunk = peers
    callee.clear()
    channel = voice(trunk.port)
    receipt = send(channel, call(ANSWERING))
    assert receipt.outcome == CallOutcome.MESSAGE_LEFT.value
    assert receipt.provider_message_id
    rendered = seconds_of(channel.synthesizer.render(spoken_text(MESSAGE)))
    time.sleep(0.2)  # baresip closes its recording when the BYE is through
    [heard] = callee.heard()
    # What baresip heard lasts as long as what was rendered (plus the pause for a key).
    assert abs(wav_seconds(heard) - (rendered + 0.3)) <= 1.0
    assert wav_loudness(heard) > 500  # speech, not silence


def test_key_1_acknowledges_and_the_caller_hears_it_recorded(
    peers: tuple[Baresip, Kamailio],
) -> None:
    callee, trunk = peers
    answers: list[CallAnswer] = []

    async def record(answer: CallAnswer) -> bool:
        answers.append(answer)
        return True

    channel = voice(trunk.port)
    channel.answers = record
    timer = callee.when_answered(lambda: callee.press("1"))
    receipt = send(channel, call(ANSWERING))
    timer.join()
    assert receipt.outcome == CallOutcome.ACKNOWLEDGED.value
    assert [(a.outcome, a.delivery_id, a.number) for a in answers] == [
        (CallOutcome.ACKNOWLEDGED, "d-1", ANSWERING)
    ]


def test_key_9_reads_the_message_again(peers: tuple[Baresip, Kamailio]) -> None:
    callee, trunk = peers
    callee.clear()
    channel = voice(trunk.port)  # one reading only, unless « 9 » asks for another
    timer = callee.when_answered(lambda: callee.press("9"), after=0.5)
    receipt = send(channel, call(ANSWERING))
    timer.join()
    assert receipt.outcome == CallOutcome.MESSAGE_LEFT.value
    rendered = seconds_of(channel.synthesizer.render(spoken_text(MESSAGE)))
    time.sleep(0.2)
    [heard] = callee.heard()
    # Half a second of the first reading, then the whole message again and the pause.
    assert abs(wav_seconds(heard) - (0.5 + rendered + 0.3)) <= 1.0


def test_busy_and_no_answer_are_retryable_with_the_sip_reason_in_french(
    peers: tuple[Baresip, Kamailio],
) -> None:
    _, trunk = peers
    with pytest.raises(SendError) as busy:
        send(voice(trunk.port), call(BUSY))
    assert busy.value.retryable
    assert busy.value.reason == "Appel : ligne occupée (SIP 486 Busy Here)."
    assert busy.value.retry_after == 60
    assert busy.value.about_recipient  # the trunk works: no outage of the channel
    with pytest.raises(SendError) as unanswered:
        send(voice(trunk.port), call(RINGING_ONLY))
    assert unanswered.value.retryable
    assert "pas de réponse (sonnerie sans décroché pendant 1.5 s)" in unanswered.value.reason
    assert unanswered.value.about_recipient


def test_a_wrong_password_is_refused_for_good(peers: tuple[Baresip, Kamailio]) -> None:
    _, trunk = peers
    with pytest.raises(SendError) as refused:
        send(voice(trunk.port, password=SecretStr("pas-le-bon")), call(ANSWERING))
    assert not refused.value.retryable
    assert "authentification refusée" in refused.value.reason


def test_check_registers_with_the_trunk(peers: tuple[Baresip, Kamailio]) -> None:
    _, trunk = peers
    channel = voice(trunk.port)

    async def run() -> str:
        try:
            return await channel.check()
        finally:
            await channel.aclose()

    report = asyncio.run(run())
    assert report.startswith(f"Trunk SIP 127.0.0.1:{trunk.port} : enregistré (200 OK)")
    assert channel.registration is RegistrationState.REGISTERED


def test_check_without_credentials_sends_options(peers: tuple[Baresip, Kamailio]) -> None:
    _, trunk = peers
    channel = voice(trunk.port, username=None, password=None)

    async def run() -> str:
        try:
            return await channel.check()
        finally:
            await channel.aclose()

    assert "joignable (OPTIONS : 200 OK)" in asyncio.run(run())


def test_an_exercise_never_rings_through_a_production_trunk(
    peers: tuple[Baresip, Kamailio],
) -> None:
    callee, trunk = peers
    callee.clear()
    with pytest.raises(SendError) as refused:
        send(voice(trunk.port), call(ANSWERING, "EXERCICE – " + MESSAGE, exercise=True))
    assert not refused.value.retryable
    assert "public réel" in refused.value.reason
    assert callee.heard() == []


def test_ten_callees_on_four_channels_never_see_more_than_four_calls(tmp_path: Path) -> None:
    async def run() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        _, callees = await loop.create_datagram_endpoint(
            lambda: ManyCallees(talk_seconds=0.3), local_addr=("127.0.0.1", 0)
        )
        channel = voice(
            callees.port, username=None, password=None, max_calls=4, calls_per_second=50
        )
        try:
            numbers = [f"+336123456{n:02d}" for n in range(10)]
            receipts = await asyncio.gather(*(channel.send(call(n)) for n in numbers))
            assert {r.outcome for r in receipts} == {CallOutcome.MESSAGE_LEFT.value}
        finally:
            await channel.aclose()
            await callees.close()
        return callees.answered, callees.most_at_once

    answered, most = asyncio.run(run())
    assert answered == 10
    assert most == 4


def test_an_unknown_trunk_is_a_retryable_failure_in_french() -> None:
    channel = voice(9, proxy="relais-inconnu.invalid:5060")
    with pytest.raises(SendError) as down:
        send(channel, call(ANSWERING))
    assert down.value.retryable
    assert down.value.reason.startswith(
        "Appel : relais SIP relais-inconnu.invalid:5060 injoignable"
    )

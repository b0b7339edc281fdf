"""The OVHcloud SMS channel against a fake of OVHcloud's API (tests/fakes/ovh.py): signed
requests checked by the fake, the API's time taken from `/auth/time`, jobs posted as the SMS
user, refusals in French, `check` reading the user and its callback URL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from channels.config import OvhSmsConfig
from channels.contract import OutgoingMessage, Receipt, RecipientKind, SendError
from channels.ovh.channel import OvhSmsChannel
from channels.ovh.signature import signature
from crisis.clock import ManualClock
from tests.fakes.ovh import FakeOvhSms

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
TOKEN = "rappel-ovh-" + "x" * 32
KEYS: dict[str, Any] = {
    "application_key": "ak-prefecture",
    "application_secret": "as-secret",
    "consumer_key": "ck-1",
}


@pytest.fixture
def ovh() -> Iterator[FakeOvhSms]:
    with FakeOvhSms(
        **KEYS, service_name="sms-ab12345-1", logins=("crisis", "crisis-ex"), skew_seconds=0
    ) as server:
        server.callbacks["crisis"] = f"https://crise.prefecture.example/api/v1/sms/ovh/{TOKEN}"
        yield server


def config_for(ovh: FakeOvhSms, **overrides: Any) -> OvhSmsConfig:
    values: dict[str, Any] = {
        "protocol": "ovh",
        "endpoint": f"{ovh.url}/1.0",
        **KEYS,
        "service_name": "sms-ab12345-1",
        "login": "crisis",
        "sender": "PREF45",
        "callback_token": TOKEN,
        "timeout_seconds": 2.0,
    }
    values.update(overrides)
    return OvhSmsConfig.model_validate(values)


def make_channel(ovh: FakeOvhSms, **overrides: Any) -> OvhSmsChannel:
    return OvhSmsChannel(config_for(ovh, **overrides), clock=ManualClock(T0))


def sms(
    text: str = "Crue : évitez les berges de la Loire.", to: str = "+33612345678"
) -> OutgoingMessage:
    return OutgoingMessage(
        delivery_id="d-1",
        recipient_kind=RecipientKind.PHONE,
        recipient=to,
        text=text,
        exercise=False,
    )


def send(channel: OvhSmsChannel, message: OutgoingMessage) -> Receipt:
    async def main() -> Receipt:
        try:
            return await channel.send(message)
        finally:
            await channel.aclose()

    return asyncio.run(main())


def refusal(channel: OvhSmsChannel, message: OutgoingMessage) -> SendError:
    with pytest.raises(SendError) as info:
        send(channel, message)
    return info.value


def check(channel: OvhSmsChannel) -> str:
    async def main() -> str:
        try:
            return await channel.check()
        finally:
            await channel.aclose()

    return asyncio.run(main())


def test_signature_is_the_documented_sha1() -> None:
    # python-ovh's Client.call: "$1$" + sha1("+".join(AS, CK, METHOD, url, body, timestamp)).
    assert (
        signature(
            secret="AS",
            consumer_key="CK",
            method="get",
            url="https://eu.api.ovh.com/1.0/me",
            body="",
            timestamp=1366560945,
        )
        == "$1$"
        + __import__("hashlib")
        .sha1(b"AS+CK+GET+https://eu.api.ovh.com/1.0/me++1366560945")
        .hexdigest()
    )


def test_sms_is_posted_as_the_sms_user_and_its_id_kept(ovh: FakeOvhSms) -> None:
    receipt = send(make_channel(ovh), sms(to="+33 6 12 34 56 78"))
    assert receipt.provider_message_id == "10867690"
    assert receipt.accepted_at == T0
    job = ovh.jobs[0]
    assert job.receiver == "+33612345678"
    assert job.body["message"] == "Crue : évitez les berges de la Loire."
    assert job.body["sender"] == "PREF45"
    assert job.body["noStopClause"] is True
    assert job.body["senderForResponse"] is False
    assert (job.body["coding"], job.body["class"], job.body["priority"]) == (
        "7bit",
        "phoneDisplay",
        "high",
    )
    assert ovh.refused == []


def test_a_ucs2_text_is_sent_as_8bit(ovh: FakeOvhSms) -> None:
    send(make_channel(ovh), sms("Évacuation : ж"))
    assert ovh.jobs[0].body["coding"] == "8bit"


def test_short_number_sender_sends_no_sender_field(ovh: FakeOvhSms) -> None:
    send(make_channel(ovh, sender=None, sender_for_response=True), sms())
    assert "sender" not in ovh.jobs[0].body
    assert ovh.jobs[0].body["senderForResponse"] is True


def test_the_apis_clock_is_used_however_far_ours_is(ovh: FakeOvhSms) -> None:
    ovh.skew_seconds = 3600  # the API an hour ahead of this machine
    send(make_channel(ovh), sms())
    assert len(ovh.jobs) == 1
    assert ovh.refused == []


def test_a_clock_that_moved_is_asked_again(ovh: FakeOvhSms) -> None:
    channel = make_channel(ovh)

    async def main() -> None:
        try:
            await channel.send(sms())
            ovh.skew_seconds = -7200  # the API's clock (or ours) jumped since
            await channel.send(sms(to="+33612345679"))
        finally:
            await channel.aclose()

    asyncio.run(main())
    assert len(ovh.jobs) == 2
    assert ovh.refused == ["Query out of time"]


def test_a_wrong_secret_is_refused_by_the_signature_check(ovh: FakeOvhSms) -> None:
    error = refusal(make_channel(ovh, application_secret="not-the-secret"), sms())
    assert not error.retryable
    assert "signature refusée" in error.reason
    assert ovh.refused == ["INVALID_SIGNATURE"]
    assert ovh.jobs == []


def test_an_unknown_consumer_key_is_refused(ovh: FakeOvhSms) -> None:
    error = refusal(make_channel(ovh, consumer_key="ck-other"), sms())
    assert not error.retryable
    assert "clé de consommateur inconnue" in error.reason


def test_an_invalid_receiver_is_a_final_failure(ovh: FakeOvhSms) -> None:
    ovh.outcomes.invalid.add("+33612345678")
    error = refusal(make_channel(ovh), sms())
    assert not error.retryable
    assert "refuse le destinataire +33612345678" in error.reason


def test_rate_limit_and_outage_are_retryable(ovh: FakeOvhSms) -> None:
    channel = make_channel(ovh)
    send(channel, sms())  # the time is known: the faults hit the job itself
    ovh.rate_limit_next(1, retry_after=20)
    error = refusal(channel, sms())
    assert (error.retryable, error.retry_after) == (True, 20)
    ovh.fail_next(1, status=503)
    assert refusal(channel, sms()).retryable


def test_exercise_message_is_refused_by_a_production_user(ovh: FakeOvhSms) -> None:
    error = refusal(make_channel(ovh), replace(sms("EXERCICE - crue"), exercise=True))
    assert not error.retryable
    assert ovh.jobs == []


def test_check_reads_the_user_and_its_callback(ovh: FakeOvhSms) -> None:
    report = check(make_channel(ovh))
    assert "requête signée acceptée" in report
    assert "sms-ab12345-1" in report
    assert TOKEN not in report  # the secret end of the URL is not shown


def test_check_fails_when_the_callback_is_not_ours(ovh: FakeOvhSms) -> None:
    ovh.callbacks["crisis"] = "https://ailleurs.example/dlr"
    with pytest.raises(SendError, match="ne se termine pas par le jeton"):
        check(make_channel(ovh))


def test_check_fails_on_a_wrong_secret(ovh: FakeOvhSms) -> None:
    with pytest.raises(SendError, match="signature refusée"):
        check(make_channel(ovh, application_secret="faux"))


def test_configuration_wants_one_sender_and_a_long_token() -> None:
    base = {
        "protocol": "ovh",
        **KEYS,
        "service_name": "s",
        "login": "l",
        "callback_token": TOKEN,
    }
    with pytest.raises(ValueError, match="l'un ou l'autre"):
        OvhSmsConfig.model_validate(base)
    with pytest.raises(ValueError, match="l'un ou l'autre"):
        OvhSmsConfig.model_validate({**base, "sender": "PREF", "sender_for_response": True})
    with pytest.raises(ValueError, match="32 caractères"):
        OvhSmsConfig.model_validate({**base, "sender": "PREF", "callback_token": "court"})


def test_exercises_need_an_sms_user_and_a_token_of_their_own(ovh: FakeOvhSms) -> None:
    from channels.config import ChannelsConfig
    from crisis.delivery.config import DeliveryConfig

    def config(login: str, token: str, *, production: bool) -> OvhSmsConfig:
        return config_for(ovh, login=login, callback_token=token, production=production)

    real = config("crisis", TOKEN, production=True)
    with pytest.raises(ValueError, match="utilisateur SMS OVHcloud à eux"):
        DeliveryConfig(
            production=ChannelsConfig(sms=real),
            exercise=ChannelsConfig(sms=config("crisis", "y" * 40, production=False)),
        )
    with pytest.raises(ValueError, match="jeton de rappel"):
        DeliveryConfig(
            production=ChannelsConfig(sms=real),
            exercise=ChannelsConfig(sms=config("crisis-ex", TOKEN, production=False)),
        )
    DeliveryConfig(
        production=ChannelsConfig(sms=real),
        exercise=ChannelsConfig(sms=config("crisis-ex", "y" * 40, production=False)),
    )

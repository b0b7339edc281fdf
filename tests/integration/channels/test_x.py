"""X channel against the fake X API v2 server, through tweepy.Client."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from channels.config import XConfig
from channels.contract import OutgoingMessage, Receipt, RecipientKind, SendError
from channels.measure import x_weighted_length as weighted_length
from channels.x import XChannel
from crisis.clock import ManualClock
from tests.fakes.x import FakeXServer

T0 = datetime(2025, 3, 14, 2, 30, tzinfo=UTC)
SECRETS = {
    "consumer_key": "ck-secret",
    "consumer_secret": "cs-secret",
    "access_token": "at-secret",
    "access_token_secret": "ats-secret",
}
LONG_TEXT = (
    "Inondation de la Loire : la préfecture active le centre opérationnel départemental. "
    "Les habitants des communes riveraines doivent éviter les berges et ne pas s'engager "
    "sur les routes submergées. Suivez les consignes sur https://www.example.gouv.fr/crue 🌊. "
    "Le numéro unique 0 800 00 00 00 répond à vos questions, de jour comme de nuit. "
    "Les écoles de Saumur, Tours et Blois resteront fermées demain ; les transports scolaires "
    "sont suspendus. Ne vous déplacez qu'en cas de nécessité absolue."
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeXServer]:
    with FakeXServer(now=lambda: clock.now().timestamp()) as server:
        yield server


def channel(fake: FakeXServer, clock: ManualClock, **overrides: object) -> XChannel:
    values: dict[str, object] = {k: SecretStr(v) for k, v in SECRETS.items()}
    values.update(api_base_url=fake.url, timeout_seconds=2.0)
    values.update(overrides)
    return XChannel(XConfig.model_validate(values), clock=clock)


def post(
    text: str = "Crue de la Loire : évitez les berges.", delivery: str = "d-1"
) -> OutgoingMessage:
    return OutgoingMessage(
        delivery_id=delivery,
        recipient_kind=RecipientKind.BROADCAST,
        recipient="",
        text=text,
        exercise=False,
    )


async def _send(ch: XChannel, message: OutgoingMessage) -> Receipt:
    try:
        return await ch.send(message)
    finally:
        await ch.aclose()


def send_error(ch: XChannel, message: OutgoingMessage) -> SendError:
    with pytest.raises(SendError) as info:
        asyncio.run(_send(ch, message))
    return info.value


def test_single_post_with_provider_id_and_clock_instant(
    fake: FakeXServer, clock: ManualClock
) -> None:
    receipt = asyncio.run(_send(channel(fake, clock), post()))
    assert receipt.provider_message_id == fake.posts[0].id
    assert receipt.accepted_at == T0
    assert receipt.provider_part_ids == ()
    assert fake.posts[0].text == "Crue de la Loire : évitez les berges."
    assert fake.posts[0].authorization == "OAuth"


def test_long_text_becomes_a_numbered_thread(fake: FakeXServer, clock: ManualClock) -> None:
    receipt = asyncio.run(_send(channel(fake, clock), post(LONG_TEXT)))
    thread = fake.thread_of(receipt.provider_message_id)
    assert len(thread) >= 2
    assert [p.id for p in thread] == list(receipt.provider_part_ids)
    total = len(thread)
    for i, part in enumerate(thread, start=1):
        assert part.text.endswith(f"({i}/{total})")
        assert weighted_length(part.text) <= 280
    assert "https://www.example.gouv.fr/crue" in " ".join(p.text for p in thread)


def test_oauth2_user_token_is_sent_as_bearer(fake: FakeXServer, clock: ManualClock) -> None:
    ch = XChannel(
        XConfig(user_access_token=SecretStr("oauth2-secret"), api_base_url=fake.url),
        clock=clock,
    )
    asyncio.run(_send(ch, post()))
    assert fake.posts[0].authorization == "Bearer"


def test_rate_limit_retry_after_comes_from_reset_header(
    fake: FakeXServer, clock: ManualClock
) -> None:
    fake.rate_limit_next(1, retry_after=120)
    error = send_error(channel(fake, clock), post())
    assert error.retryable
    assert error.retry_after == pytest.approx(120, abs=1)


def test_daily_quota_exhausted_waits_until_reset(fake: FakeXServer, clock: ManualClock) -> None:
    fake.daily_remaining = 1
    ch = channel(fake, clock)

    async def scenario() -> tuple[Receipt, SendError, int]:
        try:
            first = await ch.send(post(delivery="a"))
            with pytest.raises(SendError) as info:
                await ch.send(post(delivery="b"))
            return first, info.value, len(fake.requests)
        finally:
            await ch.aclose()

    first, error, requests_seen = asyncio.run(scenario())
    assert first.provider_message_id
    assert error.retryable
    assert error.retry_after == pytest.approx(86_400, abs=1)
    assert requests_seen == 1  # refused locally, from the remaining-quota header


def test_thread_larger_than_remaining_quota_is_not_started(
    fake: FakeXServer, clock: ManualClock
) -> None:
    ch = channel(fake, clock)
    fake.daily_remaining = 2

    async def scenario() -> SendError:
        try:
            await ch.send(post("Premier message.", delivery="a"))  # learns: 1 left
            with pytest.raises(SendError) as info:
                await ch.send(post(LONG_TEXT, delivery="b"))
            return info.value
        finally:
            await ch.aclose()

    error = asyncio.run(scenario())
    assert error.retryable
    assert len(fake.posts) == 1


def test_quota_429_from_server_reports_the_daily_reset(
    fake: FakeXServer, clock: ManualClock
) -> None:
    fake.daily_remaining = 0
    clock.advance(timedelta(seconds=10))
    error = send_error(channel(fake, clock), post())
    assert error.retryable
    assert error.retry_after == pytest.approx(86_400, abs=1)


def test_app_quota_is_respected_too(fake: FakeXServer, clock: ManualClock) -> None:
    fake.app_daily_limit = 50
    fake.app_daily_remaining = 0
    error = send_error(channel(fake, clock), post())
    assert error.retryable
    assert error.retry_after == pytest.approx(86_400, abs=1)


def test_interrupted_thread_resumes_without_duplicates(
    fake: FakeXServer, clock: ManualClock
) -> None:
    ch = channel(fake, clock)

    async def scenario() -> Receipt:
        try:
            await ch.send(post("Court.", delivery="warmup"))
            fake.requests.clear()
            # second part fails once: the first part is already published
            original = fake.handle

            calls = {"n": 0}

            def flaky(request):  # type: ignore[no-untyped-def]
                calls["n"] += 1
                if calls["n"] == 2:
                    return fake.error_response(request, 503, None)
                return original(request)

            fake.handle = flaky  # type: ignore[method-assign]
            with pytest.raises(SendError) as info:
                await ch.send(post(LONG_TEXT, delivery="thread"))
            assert info.value.retryable
            return await ch.send(post(LONG_TEXT, delivery="thread"))
        finally:
            await ch.aclose()

    receipt = asyncio.run(scenario())
    thread = fake.thread_of(receipt.provider_message_id)
    assert len(thread) == len(receipt.provider_part_ids)
    assert len(fake.posts) == 1 + len(thread)  # warm-up + one copy of each part


def test_server_error_and_down_are_retryable(fake: FakeXServer, clock: ManualClock) -> None:
    fake.fail_next(1, status=500)
    assert send_error(channel(fake, clock), post()).retryable
    fake.go_down("503")
    assert send_error(channel(fake, clock), post()).retryable
    fake.go_down("refuse")
    assert send_error(channel(fake, clock), post()).retryable
    fake.come_back()
    asyncio.run(_send(channel(fake, clock), post()))
    assert len(fake.posts) == 1


@pytest.mark.parametrize("status", [400, 401, 403])
def test_client_errors_are_permanent(fake: FakeXServer, clock: ManualClock, status: int) -> None:
    fake.fail_next(1, status=status)
    error = send_error(channel(fake, clock), post())
    assert not error.retryable
    for secret in SECRETS.values():
        assert secret not in str(error)


def test_rejected_credentials_are_permanent(fake: FakeXServer, clock: ManualClock) -> None:
    fake.reject_auth = True
    error = send_error(channel(fake, clock), post())
    assert not error.retryable


def test_check_reads_the_account_and_publishes_nothing(
    fake: FakeXServer, clock: ManualClock
) -> None:
    ch = channel(fake, clock)

    async def run() -> str:
        try:
            return await ch.check()
        finally:
            await ch.aclose()

    report = asyncio.run(run())
    assert "@prefet_test" in report
    assert "100 publications restantes" in report
    assert fake.posts == []
    assert [r.path for r in fake.requests] == ["/2/users/me"]


def test_secrets_do_not_appear_in_repr(fake: FakeXServer, clock: ManualClock) -> None:
    ch = channel(fake, clock)
    text = repr(ch) + repr(ch._config)
    for secret in SECRETS.values():
        assert secret not in text

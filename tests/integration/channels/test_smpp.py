"""The SMPP channel against an SMSC built on the npm package `smpp` (tests/peers/smsc)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from channels.config import SmppConfig
from channels.contract import HandsetReceipt, OutgoingMessage, Receipt, RecipientKind, SendError
from channels.measure import measure_sms
from channels.smpp import pdu as smpp
from channels.smpp.channel import SmppChannel
from crisis.clock import ManualClock
from tests.fakes.tls import make_certificates
from tests.peers.smsc_server import Smsc, running_smsc

T0 = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
ACCOUNTS = {"crisis": "s3cret", "crisis-ex": "ex3rcice"}
_T = TypeVar("_T")


@pytest.fixture(scope="module")
def smsc() -> Iterator[Smsc]:
    with running_smsc(ACCOUNTS) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(smsc: Smsc) -> None:
    smsc.reset()


def make_channel(smsc: Smsc, **overrides: Any) -> SmppChannel:
    values: dict[str, Any] = {
        "protocol": "smpp",
        "host": smsc.host,
        "port": smsc.port,
        "system_id": "crisis",
        "password": "s3cret",
        "source_addr": "PREF45",
        "rate_per_second": 500,
        "window": 5,
        "reconnect_min_seconds": 0.05,
        "reconnect_max_seconds": 0.2,
        "response_timeout_seconds": 2.0,
    }
    values.update(overrides)
    return SmppChannel(SmppConfig.model_validate(values), clock=ManualClock(T0))


def sms(text: str, to: str = "+33612345678", delivery_id: str = "d-1") -> OutgoingMessage:
    return OutgoingMessage(
        delivery_id=delivery_id,
        recipient_kind=RecipientKind.PHONE,
        recipient=to,
        text=text,
        exercise=False,
    )


def run(channel: SmppChannel, use: Callable[[SmppChannel], Awaitable[_T]]) -> _T:
    """`use(channel)` on a loop of its own, the channel unbound at the end."""

    async def main() -> _T:
        try:
            return await use(channel)
        finally:
            await channel.aclose()

    return asyncio.run(main())


def send_one(channel: SmppChannel, message: OutgoingMessage) -> Receipt:
    return run(channel, lambda ch: ch.send(message))


def refusal(channel: SmppChannel, message: OutgoingMessage) -> SendError:
    with pytest.raises(SendError) as info:
        send_one(channel, message)
    return info.value


@pytest.mark.parametrize(
    ("text", "parts", "data_coding"),
    [
        ("a" * 160, 1, 0),
        ("b" * 161, 2, 0),
        ("c" * 306, 2, 0),
        ("d" * 307, 3, 0),
        ("€" * 80, 1, 0),  # 160 septets: each € is an escape pair
        ("€" * 81, 2, 0),
        ("ж" * 70, 1, 8),
        ("ж" * 71, 2, 8),
        ("ж" * 134, 2, 8),
        ("ж" * 135, 3, 8),
    ],
    ids=[
        *("gsm160", "gsm161", "gsm306", "gsm307", "euro80", "euro81"),
        *("ucs70", "ucs71", "ucs134", "ucs135"),
    ],
)
def test_segment_edges_are_reassembled_by_the_smsc(
    smsc: Smsc, text: str, parts: int, data_coding: int
) -> None:
    receipt = send_one(make_channel(smsc), sms(text))
    state = smsc.wait_for(lambda s: len(s["messages"]) == 1)
    assert state["messages"] == [{"destination_addr": "33612345678", "text": text, "parts": parts}]
    submits = state["submits"]
    assert len(submits) == parts
    assert {s["data_coding"] for s in submits} == {data_coding}
    assert {s["esm_class"] for s in submits} == {0x40 if parts > 1 else 0}
    limit = (153 if parts > 1 else 160) if data_coding == 0 else (134 if parts > 1 else 140)
    sizes = [s["units"] for s in submits]
    assert max(sizes) <= limit
    assert sum(sizes) == (len(text.encode("utf-16-be")) if data_coding else measure_sms(text).units)
    if parts > 1:
        assert [s["concat"]["seq"] for s in submits] == list(range(1, parts + 1))
        assert len({s["concat"]["ref"] for s in submits}) == 1
        assert receipt.provider_part_ids == tuple(s["message_id"] for s in submits)
    assert receipt.provider_message_id == submits[0]["message_id"]


def test_fields_of_a_submit(smsc: Smsc) -> None:
    send_one(
        make_channel(smsc), sms("Crue de la Loire : évitez les berges.", to="+33 6 12 34 56 78")
    )
    submit = smsc.wait_for(lambda s: len(s["submits"]) == 1)["submits"][0]
    assert submit["system_id"] == "crisis"
    assert (submit["source_addr"], submit["source_addr_ton"], submit["source_addr_npi"]) == (
        "PREF45",
        5,
        0,
    )
    assert (submit["destination_addr"], submit["dest_addr_ton"], submit["dest_addr_npi"]) == (
        "33612345678",
        1,
        1,
    )
    assert submit["registered_delivery"] == 1
    assert submit["text"] == "Crue de la Loire : évitez les berges."


@pytest.mark.parametrize(
    ("sender", "address", "ton", "npi"),
    [("+33612000000", "33612000000", 1, 1), ("38000", "38000", 3, 0)],
)
def test_numeric_senders_get_their_ton_and_npi(
    smsc: Smsc, sender: str, address: str, ton: int, npi: int
) -> None:
    send_one(make_channel(smsc, source_addr=sender), sms("Essai de numéro."))
    submit = smsc.wait_for(lambda s: len(s["submits"]) == 1)["submits"][0]
    assert (submit["source_addr"], submit["source_addr_ton"], submit["source_addr_npi"]) == (
        address,
        ton,
        npi,
    )


def test_message_payload_carries_a_long_text_in_one_pdu(smsc: Smsc) -> None:
    text = "Évacuation du quartier des Halles, rejoignez le gymnase Jean-Zay. " * 4
    send_one(make_channel(smsc, long_messages="message_payload"), sms(text))
    state = smsc.wait_for(lambda s: len(s["messages"]) == 1)
    [submit] = state["submits"]
    assert submit["payload"] and submit["esm_class"] == 0
    assert state["messages"][0]["text"] == text.strip()


def test_throttling_is_retried_later_and_slows_the_channel(smsc: Smsc) -> None:
    smsc.throttle(1)

    async def use(channel: SmppChannel) -> tuple[SendError, float]:
        with pytest.raises(SendError) as info:
            await channel.send(sms("Premier essai."))
        loop = asyncio.get_running_loop()
        started = loop.time()
        await channel.send(sms("Deuxième essai."))
        return info.value, loop.time() - started

    error, waited = run(make_channel(smsc), use)
    assert error.retryable and error.retry_after == 1.0
    assert "ESME_RTHROTTLED" in error.reason
    assert waited >= 0.95  # the channel's own pace paused for the operator's second
    assert [m["text"] for m in smsc.state()["messages"]] == ["Deuxième essai."]


def test_queue_full_is_retryable(smsc: Smsc) -> None:
    smsc.throttle(1, status=smpp.ESME_RMSGQFUL)
    error = refusal(make_channel(smsc), sms("File pleine."))
    assert error.retryable
    assert "file d'attente de l'opérateur pleine" in error.reason


def test_invalid_destination_is_final_with_a_french_reason(smsc: Smsc) -> None:
    smsc.configure(invalid_numbers=["33612345678"])
    error = refusal(make_channel(smsc), sms("Numéro inconnu."))
    assert not error.retryable
    assert error.reason == "SMSC : numéro de destinataire invalide (ESME_RINVDSTADR)."


def test_wrong_password_is_reported_and_retried_later(smsc: Smsc) -> None:
    error = refusal(make_channel(smsc, password="faux"), sms("Mot de passe."))
    assert error.retryable and error.retry_after is not None
    assert "mot de passe refusé" in error.reason
    assert smsc.state()["submits"] == []


def test_check_binds_exchanges_an_enquire_link_and_unbinds(smsc: Smsc) -> None:
    report = run(make_channel(smsc), lambda ch: ch.check())
    assert report.startswith(f"Liaison SMPP acceptée par 127.0.0.1:{smsc.port}")
    state = smsc.wait_for(lambda s: s["unbinds"] == 1)
    assert [b["command"] for b in state["binds"]] == ["bind_transceiver"]
    assert state["enquire_links"] == 1


def test_check_fails_when_the_bind_is_refused(smsc: Smsc) -> None:
    with pytest.raises(SendError) as info:
        run(make_channel(smsc, system_id="inconnu"), lambda ch: ch.check())
    assert "identifiant (system_id) inconnu" in info.value.reason


def test_enquire_link_keeps_an_idle_link_alive(smsc: Smsc) -> None:
    async def use(channel: SmppChannel) -> None:
        await channel.send(sms("Avant le silence."))
        await asyncio.sleep(0.35)

    run(make_channel(smsc, enquire_link_seconds=0.1), use)
    assert smsc.state()["enquire_links"] >= 2


def test_link_dropped_mid_fan_out_loses_nothing(smsc: Smsc) -> None:
    window = 5
    count = 40
    smsc.configure(receipt_mode="none")
    smsc.drop_at(15)

    async def deliver(channel: SmppChannel, number: int) -> int:
        """Like the dispatcher: a retryable failure is tried again, after its delay."""
        attempts = 0
        while True:
            attempts += 1
            try:
                await channel.send(sms(f"Message {number}", to=f"+336123450{number:02d}"))
                return attempts
            except SendError as error:
                if not error.retryable:
                    raise
                await asyncio.sleep(min(error.retry_after or 0.05, 0.2))

    async def use(channel: SmppChannel) -> list[int]:
        return list(await asyncio.gather(*(deliver(channel, n) for n in range(count))))

    attempts = run(make_channel(smsc, window=window), use)
    texts = [m["text"] for m in smsc.state()["messages"]]
    assert sorted(set(texts)) == sorted(f"Message {n}" for n in range(count))
    duplicates = len(texts) - count
    assert 0 <= duplicates <= window  # only submits awaiting their answer at the drop
    assert sum(a > 1 for a in attempts) >= 1
    assert len(smsc.state()["binds"]) == 2


def test_smsc_asking_to_unbind_is_followed_by_a_new_bind(smsc: Smsc) -> None:
    async def use(channel: SmppChannel) -> None:
        await channel.send(sms("Avant."))
        smsc.ask_unbind()
        await asyncio.sleep(0.3)  # the link ends; the channel binds again by itself
        await channel.send(sms("Après."))

    run(make_channel(smsc), use)
    state = smsc.state()
    assert [m["text"] for m in state["messages"]] == ["Avant.", "Après."]
    assert len(state["binds"]) == 2


class Sink:
    def __init__(self, *, accept: bool = True) -> None:
        self.receipts: list[HandsetReceipt] = []
        self.accept = accept

    async def __call__(self, receipt: HandsetReceipt) -> bool:
        self.receipts.append(receipt)
        return self.accept


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


@pytest.mark.parametrize(
    ("mode", "delivered", "state", "reason"),
    [
        ("delivered", True, "DELIVRD", "remis au téléphone"),
        ("expired", False, "EXPIRED", "non remis : délai de validité expiré"),
        ("undeliverable", False, "UNDELIV", "non remis : numéro injoignable"),
    ],
)
def test_receipts_reach_the_sink_with_the_submit_ids(
    smsc: Smsc, mode: str, delivered: bool, state: str, reason: str
) -> None:
    smsc.configure(receipt_mode=mode, receipt_delay_ms=30)
    sink = Sink()
    channel = make_channel(smsc)
    channel.set_receipt_sink(sink)

    async def use(ch: SmppChannel) -> Receipt:
        receipt = await ch.send(sms("d" * 307))  # three parts, three receipts
        await _until(lambda: len(sink.receipts) == 3)
        return receipt

    receipt = run(channel, use)
    assert {r.provider_message_id for r in sink.receipts} == set(receipt.provider_part_ids)
    assert {(r.delivered, r.state, r.channel) for r in sink.receipts} == {(delivered, state, "sms")}
    assert all(r.reason.startswith(reason) for r in sink.receipts)
    assert all(r.received_at == T0 for r in sink.receipts)
    answered = smsc.wait_for(lambda s: len(s["receipts_sent"]) == 3)["receipts_sent"]
    assert {r["answer"] for r in answered} == {0}
    assert channel.counters.receipts == 3


def test_text_only_receipt_is_read(smsc: Smsc) -> None:
    sink = Sink()
    channel = make_channel(smsc)
    channel.set_receipt_sink(sink)

    async def use(ch: SmppChannel) -> None:
        await ch.send(sms("Bonjour."))  # the link is bound: the receipt can come
        smsc.send_receipt(system_id="crisis", message_id="X-42", outcome="rejected", tlv=False)
        await _until(lambda: any(r.provider_message_id == "X-42" for r in sink.receipts))

    run(channel, use)
    [receipt] = [r for r in sink.receipts if r.provider_message_id == "X-42"]
    assert (receipt.delivered, receipt.state, receipt.error_code) == (False, "REJECTD", "002")


def test_a_receipt_not_recorded_is_refused_so_the_smsc_sends_it_again(smsc: Smsc) -> None:
    smsc.configure(receipt_mode="none")
    sink = Sink(accept=False)
    channel = make_channel(smsc)
    channel.set_receipt_sink(sink)

    async def use(ch: SmppChannel) -> None:
        await ch.send(sms("Bonjour."))
        smsc.send_receipt(system_id="crisis", message_id="M-1")
        await _until(lambda: len(sink.receipts) == 1)

    run(channel, use)
    sent = smsc.wait_for(lambda s: len(s["receipts_sent"]) == 1)["receipts_sent"]
    assert sent[0]["answer"] == smpp.ESME_RX_T_APPN
    assert channel.counters.not_recorded == 1


def test_exercise_message_is_refused_by_a_production_bind(smsc: Smsc) -> None:
    error = refusal(make_channel(smsc), replace(sms("EXERCICE - crue"), exercise=True))
    assert not error.retryable and "public réel" in error.reason
    assert smsc.state()["binds"] == []


def test_exercise_bind_sends_exercise_messages(smsc: Smsc) -> None:
    channel = make_channel(smsc, system_id="crisis-ex", password="ex3rcice", production=False)
    send_one(channel, replace(sms("EXERCICE - crue"), exercise=True))
    assert [s["system_id"] for s in smsc.state()["submits"]] == ["crisis-ex"]


def test_busiest_second_holds_the_configured_rate(smsc: Smsc) -> None:
    """The issue's check: 1,000 SMS at 50/s (about 20 s of real time)."""
    rate, count = 50, 1000
    smsc.configure(receipt_mode="none")

    async def use(channel: SmppChannel) -> None:
        await asyncio.gather(
            *(channel.send(sms(f"n{n}", to=f"+3361234{n:04d}")) for n in range(count))
        )

    run(make_channel(smsc, rate_per_second=rate, window=10), use)
    instants = sorted(s["at"] for s in smsc.state()["submits"])
    assert len(instants) == count
    busiest = max(
        sum(1 for t in instants[i:] if t < start + 1000) for i, start in enumerate(instants)
    )
    assert busiest <= rate


def test_smpp_inside_tls_with_the_operators_ca(tmp_path: Path) -> None:
    certificates = make_certificates(tmp_path)
    with running_smsc(ACCOUNTS, tls=(certificates.cert_file, certificates.key_file)) as secure:
        channel = make_channel(secure, tls=True, ca_file=str(certificates.ca_file))
        report = run(channel, lambda ch: ch.check())
        assert ", TLS)" in report
        send_one(make_channel(secure, tls=True, ca_file=str(certificates.ca_file)), sms("Chiffré."))
        assert [m["text"] for m in secure.state()["messages"]] == ["Chiffré."]
        # Without the operator's CA, the certificate is refused: nothing is sent in clear.
        error = refusal(make_channel(secure, tls=True), sms("Sans l'AC."))
        assert error.retryable
        assert [m["text"] for m in secure.state()["messages"]] == ["Chiffré."]


def test_a_pair_sends_on_the_transmitter_and_takes_receipts_on_the_receiver(
    smsc: Smsc,
) -> None:
    smsc.configure(receipt_mode="delivered", receipt_delay_ms=30)
    sink = Sink()
    channel = make_channel(smsc, bind="pair")
    channel.set_receipt_sink(sink)

    async def use(ch: SmppChannel) -> Receipt:
        receipt = await ch.send(sms("d" * 307))  # three parts, three receipts
        await _until(lambda: len(sink.receipts) == 3)
        return receipt

    receipt = run(channel, use)
    assert {r.provider_message_id for r in sink.receipts} == set(receipt.provider_part_ids)
    state = smsc.wait_for(lambda s: s["unbinds"] == 2)
    assert sorted(b["command"] for b in state["binds"]) == ["bind_receiver", "bind_transmitter"]
    assert len(state["submits"]) == 3  # the SMSC refuses a submit on a receiver: none was


def test_a_pairs_receiver_is_bound_again_and_gets_the_receipts_held_meanwhile(
    smsc: Smsc,
) -> None:
    smsc.configure(receipt_mode="delivered", receipt_delay_ms=150)
    sink = Sink()
    channel = make_channel(smsc, bind="pair")
    channel.set_receipt_sink(sink)

    async def use(ch: SmppChannel) -> None:
        await ch.send(sms("Avant la coupure."))
        async with asyncio.timeout(5):  # the receiver is bound just after the transmitter
            while len((await asyncio.to_thread(smsc.state))["binds"]) < 2:
                await asyncio.sleep(0.01)
        smsc.ask_unbind()  # both links end before the receipt is due
        await _until(lambda: len(sink.receipts) == 1)
        await ch.send(sms("Après la coupure.", to="+33612345679"))
        await _until(lambda: len(sink.receipts) == 2)

    run(channel, use)
    commands = [b["command"] for b in smsc.state()["binds"]]
    assert commands.count("bind_receiver") == 2
    assert commands.count("bind_transmitter") == 2


def test_check_binds_both_links_of_a_pair(smsc: Smsc) -> None:
    report = run(make_channel(smsc, bind="pair"), lambda ch: ch.check())
    assert "(system_id crisis, transmitter + receiver)" in report
    state = smsc.wait_for(lambda s: s["unbinds"] == 2)
    assert sorted(b["command"] for b in state["binds"]) == ["bind_receiver", "bind_transmitter"]
    assert state["enquire_links"] == 2

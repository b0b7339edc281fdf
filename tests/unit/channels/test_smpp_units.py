"""SMPP pieces without a network: the configuration, the parts of a text, receipts, statuses."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from channels.config import ChannelsConfig, SmppConfig, SmsConfig
from channels.registry import build_channels
from channels.smpp import pdu as smpp
from channels.smpp.channel import SmppChannel, source_address
from channels.smpp.receipts import parse_receipt
from channels.smpp.text import DATA_CODING_UCS2, encode_text, reference
from channels.sms import SmsChannel
from crisis.clock import ManualClock
from crisis.delivery.config import DeliveryConfig

NOW = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
SMPP = {
    "protocol": "smpp",
    "host": "smsc.operateur.example",
    "system_id": "pref45",
    "password": "secret",
    "source_addr": "PREF45",
}


def test_protocol_selects_the_provider() -> None:
    config = ChannelsConfig.model_validate(
        {"sms": {"base_url": "http://127.0.0.1:9", "api_key": "k"}}
    )
    assert isinstance(config.sms, SmsConfig)
    config = ChannelsConfig.model_validate({"sms": SMPP})
    assert isinstance(config.sms, SmppConfig)
    built = build_channels(config, clock=ManualClock(NOW))
    assert isinstance(built["sms"], SmppChannel)
    http = ChannelsConfig.model_validate(
        {"sms": {"protocol": "http", "base_url": "http://127.0.0.1:9", "api_key": "k"}}
    )
    assert isinstance(build_channels(http, clock=ManualClock(NOW))["sms"], SmsChannel)


def test_unknown_protocol_and_bad_sender_are_refused() -> None:
    with pytest.raises(ValidationError):
        ChannelsConfig.model_validate({"sms": {**SMPP, "protocol": "ucp"}})
    with pytest.raises(ValidationError, match="émetteur invalide"):
        SmppConfig.model_validate({**SMPP, "source_addr": "PREFECTURE-DU-LOIRET"})


def test_exercise_needs_a_bind_of_its_own() -> None:
    with pytest.raises(ValidationError, match="liaison SMPP à eux"):
        DeliveryConfig.model_validate(
            {"production": {"sms": SMPP}, "exercise": {"sms": {**SMPP, "production": False}}}
        )
    DeliveryConfig.model_validate(
        {
            "production": {"sms": SMPP},
            "exercise": {"sms": {**SMPP, "system_id": "pref45-ex", "production": False}},
        }
    )


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("PREF45", (5, 0, "PREF45")),
        ("+33612000000", (1, 1, "33612000000")),
        ("38000", (3, 0, "38000")),
        ("0612000000", (2, 1, "0612000000")),
    ],
)
def test_source_ton_and_npi(sender: str, expected: tuple[int, int, str]) -> None:
    assert source_address(SmppConfig.model_validate({**SMPP, "source_addr": sender})) == expected


def test_configured_ton_and_npi_win() -> None:
    config = SmppConfig.model_validate(
        {**SMPP, "source_addr": "38000", "source_addr_ton": 0, "source_addr_npi": 1}
    )
    assert source_address(config) == (0, 1, "38000")


def test_parts_never_split_an_escape_or_a_surrogate_pair() -> None:
    gsm = encode_text("a" * 152 + "€" + "b" * 10, delivery_id="d", payload=False)
    first = gsm.short_messages[0]
    assert first[6:] == b"a" * 152  # the escape pair of € did not fit: it opens part 2
    emoji = encode_text("ж" * 66 + "😀" + "ж" * 5, delivery_id="d", payload=False)
    assert emoji.data_coding == DATA_CODING_UCS2
    assert len(emoji.short_messages[0]) == 6 + 66 * 2
    assert emoji.short_messages[1][6:10] == "😀".encode("utf-16-be")


def test_udh_and_reference() -> None:
    encoded = encode_text("x" * 200, delivery_id="delivery-7", payload=False)
    ref = reference("delivery-7")
    assert [part[:6] for part in encoded.short_messages] == [
        bytes((5, 0, 3, ref, 2, 1)),
        bytes((5, 0, 3, ref, 2, 2)),
    ]
    assert encoded.esm_class == 0x40
    payload = encode_text("x" * 200, delivery_id="d", payload=True)
    assert payload.payload == b"x" * 200 and payload.short_messages == ()


def deliver(**fields: Any) -> SimpleNamespace:
    values: dict[str, Any] = {"esm_class": 4, "short_message": b"", "message_payload": None}
    values.update(fields)
    return SimpleNamespace(**values)


def test_receipt_from_tlvs_wins_over_the_text() -> None:
    receipt = parse_receipt(
        deliver(
            receipted_message_id=b"abc",
            message_state=5,
            short_message=b"id:zzz sub:001 dlvrd:000 stat:DELIVRD err:012 text:",
        ),
        channel="sms",
        received_at=NOW,
    )
    assert receipt is not None
    assert (receipt.provider_message_id, receipt.delivered, receipt.state) == (
        "abc",
        False,
        "UNDELIV",
    )
    assert receipt.error_code == "012"


def test_receipt_from_the_text_form() -> None:
    text = b"id:0A1B sub:001 dlvrd:001 submit date:2612062300 done date:2612062301 stat:DELIVRD err:000 text:Crue"
    receipt = parse_receipt(deliver(short_message=text), channel="sms", received_at=NOW)
    assert receipt is not None
    assert (receipt.provider_message_id, receipt.delivered, receipt.reason) == (
        "0A1B",
        True,
        "remis au téléphone",
    )
    assert receipt.received_at == NOW


def test_intermediate_notice_is_not_an_outcome() -> None:
    notice = deliver(receipted_message_id=b"abc", message_state=1)
    assert parse_receipt(notice, channel="sms", received_at=NOW) is None
    assert parse_receipt(deliver(short_message=b"hello"), channel="sms", received_at=NOW) is None


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (smpp.ESME_RTHROTTLED, True),
        (smpp.ESME_RMSGQFUL, True),
        (smpp.ESME_RSYSERR, True),
        (smpp.ESME_RINVDSTADR, False),
        (smpp.ESME_RSUBMITFAIL, False),
        (0x0400, False),
    ],
)
def test_submit_statuses(status: int, retryable: bool) -> None:
    error = smpp.submit_error(status)
    assert error.retryable is retryable
    assert error.reason.startswith("SMSC : ")


def test_unknown_status_is_named_by_its_code() -> None:
    assert smpp.submit_error(0x0400).reason == "SMSC : statut SMPP 0x00000400."


def test_pdus_round_trip_through_the_codec() -> None:
    sequence = smpp.Sequence()
    submit = smpp.request("submit_sm", sequence, source_addr="PREF45", short_message=b"abc")
    decoded = smpp.decode(smpp.encode(submit))
    assert decoded is not None
    assert (decoded.command, decoded.sequence, decoded.short_message) == ("submit_sm", 1, b"abc")
    answer = smpp.decode(smpp.encode(smpp.response("deliver_sm_resp", to=42)))
    assert answer is not None
    assert (answer.command, answer.sequence, answer.status) == ("deliver_sm_resp", 42, 0)


@pytest.mark.parametrize(
    ("conversion", "text_id", "expected"),
    [
        ("as_is", "0A1B", "0A1B"),
        ("hex_to_decimal", "0A1B", "2587"),
        ("decimal_to_hex", "2587", "a1b"),
        ("decimal_to_hex", "pas-un-nombre", "pas-un-nombre"),
    ],
)
def test_receipt_ids_converted_as_the_operator_needs(
    conversion: str, text_id: str, expected: str
) -> None:
    text = f"id:{text_id} sub:001 dlvrd:001 stat:DELIVRD err:000 text:".encode()
    receipt = parse_receipt(
        deliver(short_message=text), channel="sms", received_at=NOW, receipt_ids=conversion
    )
    assert receipt is not None
    assert receipt.provider_message_id == expected

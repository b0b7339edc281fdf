"""The voice channel's pure parts: the spoken-text rules, the measure at composition, the
configuration, SIP messages and digest answers."""

from __future__ import annotations

import hashlib

import pytest
from pydantic import ValidationError

from channels.config import VoiceConfig
from channels.contract import ChannelLimits, LengthUnit
from channels.measure import measure
from channels.sip.call import failure_for, info_key
from channels.sip.digest import authorization, parse_challenge
from channels.sip.message import parse
from channels.sip.sdp import PCMA, PCMU, read_answer
from channels.speech import estimated_spoken_seconds, speakable, spoken_seconds, synthesize
from crisis.delivery.config import DeliveryConfig
from crisis.delivery.planning import check_texts
from crisis.domain.errors import InvalidInput
from crisis.domain.messages import MessageTexts


def test_acronyms_are_spelled_long_numbers_read_digit_by_digit_and_sentences_kept_short() -> None:
    said = speakable(
        "Le COD est activé à 21 h 40. Rappelez le 01 69 91 91 91. L'ORSEC est déclenché, "
        "les sapeurs-pompiers sont engagés, un panache de fumée se dirige vers le nord-est "
        "et aucune victime n'est signalée à cette heure."
    )
    assert said == (
        "Le C O D est activé à 21 h 40. Rappelez le 0 1 6 9 9 1 9 1 9 1. "
        "L'ORSEC est déclenché. Les sapeurs-pompiers sont engagés. Un panache de fumée se "
        "dirige vers le nord-est et aucune victime n'est signalée à cette heure."
    )
    assert speakable(said) == said


def test_a_voice_text_is_measured_in_spoken_seconds_and_refused_beyond_the_limit() -> None:
    limits = ChannelLimits(max_length=5, length_unit=LengthUnit.SPOKEN_SECONDS, rate_per_second=1)
    short = measure("Crue de la Seine.", limits)
    assert short.fits and 0 < short.length <= 5
    long = measure("Crue de la Seine. " * 12, limits)
    assert not long.fits
    assert long.length == pytest.approx(spoken_seconds(speakable("Crue de la Seine. " * 12)), abs=1)


SAID_ON_THE_PHONE = (
    "Bonjour. Ici la préfecture de l'Essonne. Le COD est activé depuis 19 h 20.",
    "Une inondation touche Juvisy-sur-Orge, Savigny-sur-Orge et Athis-Mons. Évitez les "
    "déplacements. Appelez le 01 23 45 67 89. Appuyez sur 1 pour confirmer, 9 pour réécouter.",
    "Exercice. Exercice. Ceci est un exercice de la préfecture.",
    "Madame la maire, la vigilance rouge crues est en cours sur le département, le pic est "
    "attendu demain à 6 heures, les écoles resteront fermées, merci de relayer ces consignes.",
)


@pytest.mark.parametrize("text", SAID_ON_THE_PHONE)
def test_the_estimate_used_without_synthesis_errs_on_the_long_side(text: str) -> None:
    said = speakable(text)
    spoken = spoken_seconds(said)
    assert spoken == pytest.approx(
        len(synthesize(said, voice="fr", words_per_minute=150, law="pcmu")) / 8000
    )
    assert spoken * 0.95 <= estimated_spoken_seconds(said) <= spoken * 1.3


def test_a_voice_variant_is_measured_even_where_the_synthesis_programs_are_absent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    text = "Crue de la Seine, le C O D est activé. Pas de victime signalée à cette heure."
    limits = ChannelLimits(max_length=5, length_unit=LengthUnit.SPOKEN_SECONDS, rate_per_second=1)
    spoken_seconds.cache_clear()
    try:
        assert spoken_seconds(text) == estimated_spoken_seconds(text)
        assert not measure("Crue de la Seine. " * 12, limits).fits
    finally:
        spoken_seconds.cache_clear()  # no estimate left behind for the other tests


class _Voice:
    name = "voice"
    limits = ChannelLimits(max_length=5, length_unit=LengthUnit.SPOKEN_SECONDS, rate_per_second=1)


def test_composition_refuses_a_voice_variant_too_long_to_say() -> None:
    texts = MessageTexts.parse({"default": "Crue.", "voice": "Crue de la Seine. " * 12})
    with pytest.raises(InvalidInput) as refused:
        check_texts(texts, {"voice": _Voice()}, subject="Crue")  # type: ignore[dict-item]
    assert refused.value.field == "texts.voice"
    assert "secondes parlées pour 5 autorisés" in str(refused.value)


def test_the_channels_file_voice_section() -> None:
    config = VoiceConfig(proxy="10.1.2.3", caller_id="+33238000000")
    assert config.proxy_address() == ("10.1.2.3", 5060)
    assert config.sip_domain() == "10.1.2.3"
    with pytest.raises(ValidationError):
        VoiceConfig(proxy="10.1.2.3:port", caller_id="+33238000000")
    with pytest.raises(ValidationError):
        VoiceConfig(proxy="10.1.2.3:5060", caller_id="+33238000000", username="seul")
    with pytest.raises(ValidationError, match="production: false"):
        DeliveryConfig.model_validate(
            {"exercise": {"voice": {"proxy": "10.1.2.3:5060", "caller_id": "+33238000000"}}}
        )


def test_sip_responses_and_their_french_reasons() -> None:
    response = parse(
        b"SIP/2.0 486 Busy Here\r\nv: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKabc\r\n"
        b"i: call-1\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n"
    )
    assert (response.status, response.branch(), response.cseq()) == (
        486,
        "z9hG4bKabc",
        (1, "INVITE"),
    )
    assert response.header("call-id") == "call-1"
    busy = failure_for(486, "Busy Here")
    assert (busy.reason, busy.retryable) == ("ligne occupée (SIP 486 Busy Here)", True)
    unknown = failure_for(404, "Not Found")
    assert (unknown.reason, unknown.retryable) == ("numéro inconnu (SIP 404 Not Found)", False)
    down = failure_for(503, "Service Unavailable", "120")
    assert (down.retryable, down.retry_after) == (True, 120.0)


def test_digest_answer_of_rfc_2617() -> None:
    # RFC 2617 §3.5's example, without qop (RFC 2069 compatibility form).
    challenge = parse_challenge(
        'Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"'
    )
    answer = authorization(
        challenge, method="GET", uri="/dir/index.html", username="Mufasa", password="Circle Of Life"
    )
    ha1 = hashlib.md5(b"Mufasa:testrealm@host.com:Circle Of Life").hexdigest()  # noqa: S324
    ha2 = hashlib.md5(b"GET:/dir/index.html").hexdigest()  # noqa: S324
    expected = hashlib.md5(  # noqa: S324
        f"{ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:{ha2}".encode()
    ).hexdigest()
    assert f'response="{expected}"' in answer


def test_the_answer_picks_an_offered_law_and_the_telephone_events() -> None:
    sdp = (
        b"v=0\r\no=- 1 1 IN IP4 10.0.0.9\r\ns=-\r\nc=IN IP4 10.0.0.9\r\nt=0 0\r\n"
        b"m=audio 4000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
    )
    answer = read_answer(sdp, offered=(PCMU, PCMA))
    assert (answer.host, answer.port, answer.payload_type, answer.event_payload_type) == (
        "10.0.0.9",
        4000,
        PCMA,
        101,
    )


def test_keys_sent_as_sip_info_are_understood() -> None:
    relay = parse(
        b"INFO sip:prefecture@10.0.0.1 SIP/2.0\r\nCall-ID: c\r\nCSeq: 2 INFO\r\n"
        b"Content-Type: application/dtmf-relay\r\nContent-Length: 24\r\n\r\n"
        b"Signal=1\r\nDuration=160\r\n"
    )
    plain = parse(
        b"INFO sip:prefecture@10.0.0.1 SIP/2.0\r\nCall-ID: c\r\nCSeq: 3 INFO\r\n"
        b"Content-Type: application/dtmf\r\nContent-Length: 1\r\n\r\n2"
    )
    other = parse(
        b"INFO sip:prefecture@10.0.0.1 SIP/2.0\r\nCall-ID: c\r\nCSeq: 4 INFO\r\n"
        b"Content-Type: application/media_control+xml\r\nContent-Length: 0\r\n\r\n"
    )
    assert [info_key(relay), info_key(plain), info_key(other)] == ["1", "2", None]

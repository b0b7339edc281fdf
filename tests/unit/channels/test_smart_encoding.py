"""Smart encoding keeps French text in GSM-7; own texts are shortened, never their link."""

from __future__ import annotations

import pytest

from channels.measure import fit_sms, measure_sms
from channels.smart_encoding import SMART_REPLACEMENTS, smart_encode


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("Pollution de l’Orge à Savigny-sur-Orge", "Pollution de l'Orge à Savigny-sur-Orge"),
        ("« Évitez les berges » – merci…", '" Évitez les berges " - merci...'),
        ("“cœur” — 10\u202fh", '"coeur" - 10 h'),
        ("zéro\u200blargeur", "zérolargeur"),
    ],
)
def test_typographic_characters_get_their_gsm7_form(text: str, sent: str) -> None:
    assert smart_encode(text) == sent
    assert measure_sms(text).encoding == "GSM-7"


def test_accents_are_kept_and_every_replacement_is_gsm7() -> None:
    assert smart_encode("é è à ù ê") == "é è à ù ê"
    for replacement in SMART_REPLACEMENTS.values():
        assert measure_sms(replacement or "x").encoding == "GSM-7"


def test_one_apostrophe_no_longer_makes_the_text_ucs2() -> None:
    text = "Appel d’astreinte : " + "a" * 250
    assert measure_sms(text).segments == 2
    assert measure_sms(text).encoding == "GSM-7"


def test_fit_keeps_the_link_and_cuts_the_head() -> None:
    link = " Confirmez : https://crise.example.fr/ack/abc.def"
    fitted = fit_sms("Événement : " + "très " * 200, keep=link, max_segments=2)
    assert fitted.endswith(link)
    assert "... " in fitted
    assert measure_sms(fitted).segments <= 2


def test_fit_leaves_a_short_text_alone() -> None:
    assert fit_sms("Crue : évitez les berges.", keep=" 01 69 91 91 91", max_segments=1) == (
        "Crue : évitez les berges. 01 69 91 91 91"
    )

"""The event page's « Appels téléphoniques »: per call, who, the number masked, the outcome
in French, the attempts and the time; nothing when the event has no call."""

from __future__ import annotations

import html
import re

from crisis.bootstrap import Service
from crisis.services.call_views import masked_number
from tests.integration.web.call_rows import open_exercise, write_calls
from tests.integration.web.conftest import new_client, sign_in


def _section(page: str) -> str:
    found = re.search(r'<section[^>]*id="appels">(.*?)</section>', page, re.S)
    assert found is not None, "no calls section"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.unescape(found.group(1))))


def test_each_call_says_who_the_masked_number_the_outcome_attempts_and_time(
    service: Service, people: dict[str, str]
) -> None:
    crisis_id = open_exercise(service)
    client = new_client(service)
    sign_in(client, people["duty_officer"])
    assert 'id="appels"' not in client.get(f"/evenements/{crisis_id}").text
    write_calls(service, crisis_id, exercise=True)
    text = _section(client.get(f"/evenements/{crisis_id}").text)
    assert "8 appels (astreinte et élus), le plus récent d'abord" in text
    for expected in (
        "Maire d'Évry 06 •• •• •• 78 touche 1 : accusé de réception",
        "Maire de Corbeil 06 •• •• •• 89 répondu",
        "Maire de Ris 06 •• •• •• 90 message laissé, non confirmé",
        "Maire de Massy 06 •• •• •• 01 occupé — nouvel essai prévu",
        "Maire de Grigny 06 •• •• •• 12 pas de réponse",
        "Maire d'Étampes 06 •• •• •• 23 refusé",
        "Maire de Savigny 06 •• •• •• 34 échec",
        "Maire de Palaiseau 06 •• •• •• 45 touche 2 : indisponible",
    ):
        assert expected in text, (expected, text)
    assert "Appel : numéro inconnu (SIP 404 Not Found)." in text  # why it failed
    assert "3" in text.split("Maire de Grigny")[1].split("Maire")[0]  # its attempts
    # Most recent first; no full number anywhere on the page.
    assert text.index("Palaiseau") < text.index("Évry")
    page = client.get(f"/evenements/{crisis_id}").text
    assert "612345678" not in page and "06 12 34 56 78" not in page


def test_a_number_is_masked_but_for_its_first_and_last_two_digits() -> None:
    assert masked_number("+33612345678") == "06 •• •• •• 78"
    assert masked_number("+442079460000").endswith("00")
    assert "2079" not in masked_number("+442079460000")

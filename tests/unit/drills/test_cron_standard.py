"""Standard cron as people write it: the form stored and shown, names in French and English,
and every refusal in French with the field and the reason."""

from __future__ import annotations

import re

import pytest

from crisis.cron_standard import parse_cron
from crisis.domain.errors import InvalidInput


@pytest.mark.parametrize(
    ("written", "weekdays"),
    [
        ("0 10 * * 0", {0}),
        ("0 10 * * 7", {0}),
        ("0 10 * * 1", {1}),
        ("0 10 * * 6", {6}),
        ("0 10 * * lun", {1}),
        ("0 10 * * Lundi", {1}),
        ("0 10 * * MON", {1}),
        ("0 10 * * mar", {2}),
        ("0 10 * * mardi", {2}),
        ("0 10 * * mer,jeu", {3, 4}),
        ("0 10 * * vendredi-dimanche", {5, 6, 0}),
        ("0 10 * * sam-lun", {6, 0, 1}),
        ("0 10 * * 5-7", {5, 6, 0}),
        ("0 10 * * 0-7", {0, 1, 2, 3, 4, 5, 6}),
        ("0 10 * * */2", {0, 2, 4, 6}),
        ("0 10 * * 1-5/2", {1, 3, 5}),
        ("0 10 * * 1-7/2", {1, 3, 5, 0}),
        ("0 10 * * 7/2", {0, 2, 4, 6}),
    ],
)
def test_days_of_the_week_count_from_sunday(written: str, weekdays: set[int]) -> None:
    assert parse_cron(written).weekdays == weekdays


@pytest.mark.parametrize(
    ("written", "months"),
    [
        ("0 10 1 jan *", {1}),
        ("0 10 1 janv *", {1}),
        ("0 10 1 Février *", {2}),
        ("0 10 1 fevr *", {2}),
        ("0 10 1 mar *", {3}),
        ("0 10 1 mars *", {3}),
        ("0 10 1 mai,juin *", {5, 6}),
        ("0 10 1 août *", {8}),
        ("0 10 1 déc *", {12}),
        ("0 10 1 nov-févr *", {11, 12, 1, 2}),
    ],
)
def test_months_by_name(written: str, months: set[int]) -> None:
    assert parse_cron(written).months == months


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("0 10 * * lundi", "0 10 * * mon"),
        ("  0   10 * *   DIM ", "0 10 * * sun"),
        ("05 09 01 * *", "5 9 1 * *"),
        ("0 10 1 janv-mars,déc *", "0 10 1 jan-mar,dec *"),
        ("0 10 * * lun-ven/2", "0 10 * * mon-fri/2"),
        ("@weekly", "0 0 * * 0"),
        ("@Monthly", "0 0 1 * *"),
    ],
)
def test_the_stored_form_is_standard_cron(written: str, stored: str) -> None:
    assert parse_cron(written).text == stored
    assert parse_cron(stored).text == stored


@pytest.mark.parametrize(
    ("written", "field", "reason"),
    [
        ("* * 7", None, "5 champs attendus (minute heure jour mois jour de la semaine), 3 reçus"),
        ("0 10 1 * * *", None, "6 reçus"),
        ("0 10 * * 8", "jour de la semaine « 8 »", "hors limites (0 à 7, 0 et 7 = dimanche)"),
        ("60 10 * * *", "minute « 60 »", "hors limites (0 à 59)"),
        ("0 24 * * *", "heure « 24 »", "hors limites (0 à 23)"),
        ("0 10 0 * *", "jour du mois « 0 »", "hors limites (1 à 31)"),
        ("0 10 1 13 *", "mois « 13 »", "hors limites (1 à 12)"),
        ("0 10 * * lunedi", "jour de la semaine « lunedi »", "ni un nombre ni un nom"),
        ("0 10 * foo *", "mois « foo »", "ni un nombre ni un nom"),
        ("0 dix * * *", "heure « dix »", "n'est pas un nombre"),
        ("0 10 * * 1-1", "jour de la semaine « 1-1 »", "écrivez « 1 »"),
        ("0 10 * * 7-0", "jour de la semaine « 7-0 »", "un intervalle va d'une valeur"),
        ("0 10 * * ven-lun/2", "jour de la semaine « ven-lun/2 »", "ne prend pas de pas"),
        ("0 10 */0 * *", "jour du mois « */0 »", "le pas « 0 »"),
        ("0 10 1/x * *", "jour du mois « 1/x »", "le pas « x »"),
        ("0 10 1,,2 * *", "jour du mois « 1,,2 »", "une valeur manque"),
        ("0 10 -3 * *", "jour du mois « -3 »", "sans nombre négatif"),
        ("0 10 L * *", "jour du mois « L »", "utilisez une règle RRULE"),
        ("0 10 * * 1#2", "jour de la semaine « 1#2 »", "pas du cron standard"),
        ("0 10 ? * lun", "jour du mois « ? »", "pas du cron standard"),
        ("0 10 1-31 * lun", "jour du mois « 1-31 »", "écrivez « * »"),
        ("0 10 1-7 * 0-6", "jour de la semaine « 0-6 »", "écrivez « * »"),
    ],
)
def test_refusals_name_the_field_and_the_reason_in_french(
    written: str, field: str | None, reason: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_cron(written)
    assert caught.value.field == "cron"
    message = caught.value.message
    assert message.startswith("Expression cron invalide")
    if field is not None:
        assert f"champ {field} :" in message
    assert reason in message
    # Nothing of a library's English leaks into the sentence.
    english = re.compile(r"\b(invalid|value|range|must|expression|field|not|the)\b", re.I)
    assert not english.search(message.replace("Expression cron", "")), message

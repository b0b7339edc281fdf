"""French formatting filters: dates across DST changes, phones, lists of communes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from crisis.templating.filters import (
    FilterError,
    communes,
    date_fr,
    heure_fr,
    paragraphes,
    telephone_e164,
    telephone_fr,
)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime(2026, 11, 28, 21, 15, tzinfo=UTC), "samedi 28 novembre 2026 à 22 h 15"),
        # clocks go back at 03:00 CEST on 25 October 2026: 2 h 30 happens twice
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "dimanche 25 octobre 2026 à 2 h 30"),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "dimanche 25 octobre 2026 à 2 h 30"),
        # clocks go forward at 02:00 CET on 29 March 2026
        (datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "dimanche 29 mars 2026 à 1 h 30"),
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "dimanche 29 mars 2026 à 3 h 30"),
        # summer / winter pair, same UTC hour
        (datetime(2026, 7, 14, 12, 0, tzinfo=UTC), "mardi 14 juillet 2026 à 14 h 00"),
        (datetime(2026, 1, 14, 12, 0, tzinfo=UTC), "mercredi 14 janvier 2026 à 13 h 00"),
        # 31 December 23:30 in Paris; 35 minutes later Paris is in the new year, UTC is not
        (datetime(2026, 12, 31, 22, 30, tzinfo=UTC), "jeudi 31 décembre 2026 à 23 h 30"),
        (datetime(2026, 12, 31, 23, 5, tzinfo=UTC), "vendredi 1er janvier 2027 à 0 h 05"),
    ],
)
def test_date_fr_in_paris_time(instant: datetime, expected: str) -> None:
    assert date_fr(instant) == expected


def test_date_fr_accepts_other_offsets_and_iso_strings() -> None:
    new_york = timezone(timedelta(hours=-5))
    assert date_fr(datetime(2026, 11, 28, 16, 15, tzinfo=new_york)) == (
        "samedi 28 novembre 2026 à 22 h 15"
    )
    assert date_fr("2026-11-28T21:15:00Z") == "samedi 28 novembre 2026 à 22 h 15"


def test_naive_datetime_refused() -> None:
    with pytest.raises(FilterError, match="sans fuseau"):
        date_fr(datetime(2026, 11, 28, 22, 15))


def test_heure_fr() -> None:
    assert heure_fr(datetime(2026, 11, 28, 21, 15, tzinfo=UTC)) == "22 h 15"
    assert heure_fr(datetime(2026, 11, 28, 23, 5, tzinfo=UTC)) == "0 h 05"


@pytest.mark.parametrize(
    ("raw", "national", "e164"),
    [
        ("0169919191", "01 69 91 91 91", "+33169919191"),
        ("+33 1 69 91 91 91", "01 69 91 91 91", "+33169919191"),
        ("01.69.91.91.91", "01 69 91 91 91", "+33169919191"),
        ("0800009191", "0 800 00 91 91", "+33800009191"),
        ("06 12 34 56 78", "06 12 34 56 78", "+33612345678"),
    ],
)
def test_telephone(raw: str, national: str, e164: str) -> None:
    assert telephone_fr(raw) == national
    assert telephone_e164(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "not a number", "+44 20 7946 0958"])
def test_invalid_or_foreign_phone_refused(raw: str) -> None:
    with pytest.raises(FilterError):
        telephone_fr(raw)


def test_communes_french_list() -> None:
    assert communes(["Évry", "Corbeil-Essonnes", "Ris-Orangis"]) == (
        "Évry, Corbeil-Essonnes et Ris-Orangis"
    )
    assert communes(["Évry", "Corbeil-Essonnes"]) == "Évry et Corbeil-Essonnes"
    assert communes(("Massy",)) == "Massy"


def test_paragraphes_escapes() -> None:
    assert str(paragraphes("<b>a</b>\nb\n\nc")) == "<p>&lt;b&gt;a&lt;/b&gt;<br>\nb</p>\n<p>c</p>"

"""Text measurement per channel kind, with concrete numbers."""

from __future__ import annotations

import pytest

from channels.contract import ChannelLimits, LengthUnit
from channels.measure import (
    SmsEncoding,
    measure,
    measure_sms,
    utf16_length,
    x_weighted_length,
)

SMS_3 = ChannelLimits(
    max_length=None, length_unit=LengthUnit.SMS_SEGMENTS, rate_per_second=10, max_segments=3
)
X = ChannelLimits(max_length=280, length_unit=LengthUnit.X_WEIGHTED, rate_per_second=1)
TELEGRAM = ChannelLimits(max_length=4096, length_unit=LengthUnit.UTF16, rate_per_second=30)


@pytest.mark.parametrize(
    ("text", "encoding", "segments", "units"),
    [
        ("a" * 160, SmsEncoding.GSM7, 1, 160),
        ("a" * 161, SmsEncoding.GSM7, 2, 161),
        ("a" * 306, SmsEncoding.GSM7, 2, 306),
        ("a" * 307, SmsEncoding.GSM7, 3, 307),
        ("é" * 160, SmsEncoding.GSM7, 1, 160),
        ("€" * 80, SmsEncoding.GSM7, 1, 160),
        ("€" * 81, SmsEncoding.GSM7, 2, 162),
        ("ê" * 70, SmsEncoding.UCS2, 1, 70),
        ("ê" * 71, SmsEncoding.UCS2, 2, 71),
        ("ê" + "a" * 133, SmsEncoding.UCS2, 2, 134),
        ("ê" + "a" * 134, SmsEncoding.UCS2, 3, 135),
        ("", SmsEncoding.GSM7, 0, 0),
    ],
)
def test_sms_segments(text: str, encoding: SmsEncoding, segments: int, units: int) -> None:
    result = measure_sms(text)
    assert (result.encoding, result.segments, result.units) == (encoding, segments, units)


def test_french_letters_in_gsm7_basic_table() -> None:
    result = measure_sms("é è à ù ì ò É Ç")
    assert result.encoding is SmsEncoding.GSM7
    assert result.units == 15


@pytest.mark.parametrize("char", ["ê", "â", "ç", "î", "ô", "û", "ë", "ï"])
def test_french_letters_outside_gsm7_switch_to_ucs2(char: str) -> None:
    result = measure_sms(f"Préfecture {char}")
    assert result.encoding is SmsEncoding.UCS2
    assert result.non_gsm == (char,)


@pytest.mark.parametrize("char", ["œ", "’", "«"])
def test_typographic_characters_are_measured_after_smart_encoding(char: str) -> None:
    assert measure_sms(f"Préfecture {char}").encoding is SmsEncoding.GSM7


@pytest.mark.parametrize("char", ["€", "[", "]", "{", "}", "~", "^", "\\", "|"])
def test_extension_characters_count_two_septets(char: str) -> None:
    assert measure_sms(char).units == 2


def test_extension_character_is_never_split_across_parts() -> None:
    # 152 septets then an escape pair: the pair cannot straddle the 153-septet boundary.
    text = "a" * 152 + "€" + "a" * 10
    result = measure_sms(text)
    assert result.units == 164
    assert result.segments == 2
    assert measure_sms("a" * 152 + "€" + "a" * 152).segments == 3


def test_surrogate_pair_counts_two_ucs2_units_and_is_not_split() -> None:
    assert measure_sms("😷").units == 2
    assert measure_sms("ê" * 66 + "😷").segments == 1  # 68 units fit a single 70
    assert measure_sms("ê" * 66 + "😷" + "ê" * 3).segments == 2  # 71 units, emoji in part 2


def test_x_weighted_length() -> None:
    assert x_weighted_length("a" * 280) == 280
    assert x_weighted_length("é" * 280) == 280  # accented Latin counts 1
    assert x_weighted_length("😷") == 2
    assert x_weighted_length("日本") == 4
    assert x_weighted_length("Infos : https://www.essonne.gouv.fr/Actualites/crise-2026") == 31


def test_utf16_length() -> None:
    assert utf16_length("Évry") == 4
    assert utf16_length("😷") == 2


def test_measure_dispatches_on_length_unit() -> None:
    sms = measure("ê" * 71, SMS_3)
    assert (sms.length, sms.limit, sms.fits, sms.segments, sms.encoding) == (
        2,
        3,
        True,
        2,
        SmsEncoding.UCS2,
    )
    too_long = measure("ê" * 202, SMS_3)
    assert (too_long.length, too_long.fits, too_long.excess) == (4, False, 1)

    x = measure("a" * 281, X)
    assert (x.length, x.limit, x.fits, x.excess, x.segments, x.encoding) == (
        281,
        280,
        False,
        1,
        None,
        None,
    )
    telegram = measure("😷" * 2048, TELEGRAM)
    assert (telegram.length, telegram.fits) == (4096, True)
    assert measure("😷" * 2049, TELEGRAM).fits is False


def test_measure_characters_and_unlimited() -> None:
    chars = ChannelLimits(max_length=160, length_unit=LengthUnit.CHARACTERS, rate_per_second=1)
    assert measure("😷" * 160, chars).fits is True
    assert measure("a" * 161, chars).excess == 1
    free = ChannelLimits(max_length=None, length_unit=LengthUnit.UNLIMITED, rate_per_second=1)
    result = measure("a" * 100_000, free)
    assert (result.length, result.limit, result.fits) == (100_000, None, True)

"""SMS segment counting (GSM-7 / UCS-2), as the SMS channel applies it."""

from __future__ import annotations

import pytest

from channels.measure import measure_sms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("GSM-7", 0)),
        ("a" * 160, ("GSM-7", 1)),
        ("a" * 161, ("GSM-7", 2)),
        ("a" * 306, ("GSM-7", 2)),
        ("a" * 307, ("GSM-7", 3)),
        ("é" * 160, ("GSM-7", 1)),  # é, è, à, ù are in the GSM alphabet
        ("€" * 80, ("GSM-7", 1)),  # extension: two septets each
        ("€" * 81, ("GSM-7", 2)),
        ("ç" + "a" * 69, ("UCS-2", 1)),  # lower-case ç is not GSM-7
        ("ê" * 71, ("UCS-2", 2)),
        ("ô" * 134, ("UCS-2", 2)),
        ("ô" * 135, ("UCS-2", 3)),
        ("🌊" * 35, ("UCS-2", 1)),  # 70 UTF-16 units
    ],
)
def test_segments(text: str, expected: tuple[str, int]) -> None:
    measured = measure_sms(text)
    assert (measured.encoding.value, measured.segments) == expected


def test_escape_pairs_are_not_split_across_parts() -> None:
    # 152 septets then a two-septet euro: the euro starts the second part.
    measured = measure_sms("a" * 152 + "€" + "a" * 152)
    assert (measured.encoding.value, measured.segments) == ("GSM-7", 3)

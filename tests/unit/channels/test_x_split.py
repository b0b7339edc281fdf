"""X weighted length and thread splitting (pure)."""

from __future__ import annotations

import pytest

from channels.measure import x_weighted_length as weighted_length
from channels.x_thread import split_thread


def test_weighted_length_counts_urls_emoji_and_accents() -> None:
    assert weighted_length("é" * 10) == 10  # Latin accents weigh 1
    assert weighted_length("🌊") == 2
    assert weighted_length("https://www.example.gouv.fr/" + "a" * 200) == 23
    assert weighted_length("中") == 2


def test_short_text_stays_one_post_without_numbering() -> None:
    assert split_thread("  Crue : évitez les berges.  ") == ["Crue : évitez les berges."]


def test_exactly_280_weighted_is_one_post_even_if_len_differs() -> None:
    text = "https://example.fr/" + "x" * 500 + " " + "é" * 256  # 23 + 1 + 256
    assert weighted_length(text) == 280
    assert split_thread(text) == [text]


def test_split_on_sentence_boundaries_with_numbering() -> None:
    sentences = [f"Phrase numéro {i} du communiqué de la préfecture, à lire." for i in range(12)]
    parts = split_thread(" ".join(sentences))
    total = len(parts)
    assert total >= 2
    for i, part in enumerate(parts, start=1):
        assert part.endswith(f" ({i}/{total})")
        assert weighted_length(part) <= 280
        body = part.rsplit(" (", 1)[0]
        assert body.endswith("à lire.")  # never cut inside a sentence here
    rebuilt = " ".join(p.rsplit(" (", 1)[0] for p in parts)
    assert rebuilt == " ".join(sentences)


def test_emoji_heavy_text_is_split_by_weight_not_len() -> None:
    text = " ".join(["🚨🌊"] * 100)  # len 299, weighted 499
    parts = split_thread(text)
    assert len(parts) == 2
    assert all(weighted_length(p) <= 280 for p in parts)


def test_urls_are_never_cut() -> None:
    url = "https://www.loiret.gouv.fr/actualites/crue-de-la-loire-consignes-" + "x" * 80
    text = ("Consignes de sécurité " * 8 + url + " ") * 3
    parts = split_thread(text)
    assert sum(p.count(url) for p in parts) == 3
    assert all(weighted_length(p) <= 280 for p in parts)


def test_a_giant_word_is_cut_as_a_last_resort() -> None:
    parts = split_thread("a" * 700)
    assert all(weighted_length(p) <= 280 for p in parts)
    assert "".join(p.rsplit(" (", 1)[0] for p in parts) == "a" * 700


@pytest.mark.parametrize("n_sentences", [40, 120])
def test_two_digit_numbering_still_fits(n_sentences: int) -> None:
    sentence = "Message {} : rendez-vous au point de regroupement."
    text = " ".join(sentence.format(i) for i in range(n_sentences))
    parts = split_thread(text)
    assert all(weighted_length(p) <= 280 for p in parts)
    assert parts[-1].endswith(f"({len(parts)}/{len(parts)})")

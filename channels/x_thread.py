"""An X post too long for one: a thread of parts numbered « (1/3) », cut at sentences, then
words, then characters, each within X's weighted length (URLs 23, most CJK and emoji 2)."""

from __future__ import annotations

import re

from channels.measure import x_weighted_length as weighted_length

X_MAX_WEIGHT = 280

_SENTENCE_END = re.compile(r"(?<=[.!?…])(\s+)")
_SPACES = re.compile(r"(\s+)")


def _pieces(text: str, pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    """Split into (separator before, chunk) pairs, keeping the original separators."""
    parts = pattern.split(text)
    pieces = [("", parts[0])]
    pieces.extend((parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2))
    return [(sep, chunk) for sep, chunk in pieces if chunk]


def _hard_split(word: str, budget: int) -> list[str]:
    """Cut one over-long word by characters (a last resort; URLs weigh 23 and never get here)."""
    out: list[str] = []
    current = ""
    for char in word:
        if current and weighted_length(current + char) > budget:
            out.append(current)
            current = char
        else:
            current += char
    if current:
        out.append(current)
    return out


def _pack(text: str, budget: int) -> list[str]:
    """Greedy packing: whole sentences first, then words, then characters."""
    parts: list[str] = []
    current = ""
    for sep, sentence in _pieces(text, _SENTENCE_END):
        candidate = current + sep + sentence if current else sentence
        if weighted_length(candidate) <= budget:
            current = candidate
            continue
        if current:
            parts.append(current)
            current = ""
        if weighted_length(sentence) <= budget:
            current = sentence
            continue
        for wsep, word in _pieces(sentence, _SPACES):
            candidate = current + wsep + word if current else word
            if weighted_length(candidate) <= budget:
                current = candidate
                continue
            if current:
                parts.append(current)
                current = ""
            if weighted_length(word) <= budget:
                current = word
            else:
                *full, current = _hard_split(word, budget)
                parts.extend(full)
    if current:
        parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def split_thread(text: str, *, max_weight: int = X_MAX_WEIGHT) -> list[str]:
    """One post if it fits, else parts numbered « (1/3) », each within `max_weight`."""
    text = text.strip()
    if weighted_length(text) <= max_weight:
        return [text]
    digits = 1
    while True:
        widest = "9" * digits
        budget = max_weight - weighted_length(f" ({widest}/{widest})")
        parts = _pack(text, budget)
        if len(str(len(parts))) <= digits:
            break
        digits += 1
    total = len(parts)
    return [f"{part} ({i}/{total})" for i, part in enumerate(parts, start=1)]

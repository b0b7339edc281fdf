"""« Exercice » once in a title, whether the scenario's own title carries it or not.

The bundled scenarios are titled « Exercice — crue de la Seine… »: a calendar entry or a
heading that put its own « Exercice — » in front read « Exercice — Exercice — … ».
"""

from __future__ import annotations

import re

# « Exercice — », « EXERCICE – », « exercice : », « Exercice - » at the start of a title.
_EXERCISE_PREFIX = re.compile(r"\s*exercice\s*[—–:-]\s*", re.IGNORECASE)
_EXERCISE_WORD = re.compile(r"\s*exercice\b", re.IGNORECASE)


def without_exercise_word(title: str) -> str:
    """« Exercice — crue de la Seine » → « crue de la Seine »; another title unchanged."""
    found = _EXERCISE_PREFIX.match(title)
    if found is None or found.end() == len(title):
        return title
    return title[found.end() :]


def exercise_title(title: str, *, word: str = "Exercice") -> str:
    """« crue de la Seine » or « Exercice — crue de la Seine » → « {word} — crue de la Seine »;
    a title that starts with the word already (« Exercice trimestriel ») stays as it is."""
    subject = without_exercise_word(title)
    if _EXERCISE_WORD.match(subject):
        return subject
    return f"{word} — {subject}"

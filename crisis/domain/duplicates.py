"""One crisis, one event: the rule that finds a likely duplicate of an event being opened.

An event being opened is a likely duplicate of an event that is
- still open (not closed), of the same nature (real or exercise: a drill never hides a real
  event, nor the reverse),
- opened (reported) within the last `window` (24 hours by default),
- and either of the same kind (inondation, tempête…; « autre » excepted, it says nothing), or
  with a similar title: the significant words of the two titles (accents, case, punctuation
  and small words such as « de », « la », « à » set aside) overlap by at least
  `TITLE_OVERLAP` of the shorter title's words.

The rule is pure: the handler gives it the open events it read (after taking the lock that
makes two openings wait for each other), the console shows its sentence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from crisis.domain.crisis import Crisis
from crisis.domain.errors import Conflict
from crisis.domain.vocabulary import CrisisKind, CrisisState

DEFAULT_WINDOW_HOURS = 24
TITLE_OVERLAP = 0.6
# Words that say nothing of the event: articles, prepositions, and words every title has.
STOP_WORDS = frozenset(
    {
        "a",
        "au",
        "aux",
        "avec",
        "d",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "ou",
        "par",
        "pour",
        "sur",
        "sous",
        "un",
        "une",
        "dans",
        "vers",
        "chez",
        "entre",
        "evenement",
        "crise",
    }
)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Candidate:
    """The event someone is opening."""

    title: str
    kind: CrisisKind
    exercise: bool


@dataclass(frozen=True, slots=True)
class LikelyDuplicateMatch:
    crisis_id: str
    title: str
    kind: CrisisKind
    reported_at: datetime
    created_by: str
    cod_active: bool
    same_kind: bool
    similar_title: bool

    @property
    def reason(self) -> str:
        """Why it was taken for the same event, in French."""
        if self.same_kind and self.similar_title:
            return "même nature d'événement et titre proche"
        return "même nature d'événement" if self.same_kind else "titre proche"


class LikelyDuplicate(Conflict):
    """Refused: an open event looks like the one being opened (answered with 409)."""

    def __init__(self, matches: list[LikelyDuplicateMatch], window_hours: int) -> None:
        first = matches[0]
        super().__init__(
            f"Un événement semblable est déjà ouvert : « {first.title} » ({first.reason}). "
            "Rien n'a été créé. Rejoignez cet événement, ou confirmez qu'il s'agit d'un "
            "événement distinct."
        )
        self.matches = matches
        self.window_hours = window_hours
        # The refusal is journalled on the first one's chain: its team sees the attempt.
        self.crisis_id = first.crisis_id


def rule_sentence(window_hours: int) -> str:
    """The rule, as the opening form and the duplicate page state it."""
    return (
        "Avant d'enregistrer, la console cherche un événement de même nature (réel ou exercice) "
        f"encore ouvert et signalé depuis moins de {window_hours} h, qui soit du même type "
        "d'événement ou dont le titre est proche (mêmes mots principaux)."
    )


def significant_words(title: str) -> frozenset[str]:
    plain = unicodedata.normalize("NFKD", title.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return frozenset(
        w for w in _WORD.findall(plain) if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())
    )


def similar_titles(first: str, second: str) -> bool:
    a, b = significant_words(first), significant_words(second)
    if not a or not b:
        return False
    return len(a & b) / min(len(a), len(b)) >= TITLE_OVERLAP


def likely_duplicates(
    candidate: Candidate,
    crises: Iterable[Crisis],
    *,
    now: datetime,
    window: timedelta = timedelta(hours=DEFAULT_WINDOW_HOURS),
) -> list[LikelyDuplicateMatch]:
    """The open events the candidate is likely a duplicate of, most recent first."""
    found: list[LikelyDuplicateMatch] = []
    for crisis in crises:
        if crisis.state is CrisisState.CLOSED or crisis.exercise != candidate.exercise:
            continue
        if crisis.reported_at < now - window:
            continue
        same_kind = crisis.kind == candidate.kind and candidate.kind is not CrisisKind.AUTRE
        similar = similar_titles(crisis.title, candidate.title)
        if not (same_kind or similar):
            continue
        found.append(
            LikelyDuplicateMatch(
                crisis_id=crisis.id,
                title=crisis.title,
                kind=crisis.kind,
                reported_at=crisis.reported_at,
                created_by=crisis.created_by,
                cod_active=crisis.state is CrisisState.COD_ACTIVE,
                same_kind=same_kind,
                similar_title=similar,
            )
        )
    found.sort(key=lambda m: m.reported_at, reverse=True)
    return found

"""Reading console forms: texts, choices and Paris times into what the commands expect."""

from __future__ import annotations

from datetime import datetime

from starlette.datastructures import FormData

from crisis.clock import PARIS
from crisis.domain.era import check_instant
from crisis.domain.errors import InvalidInput
from crisis.domain.vocabulary import Audience


def text(form: FormData, name: str, *, limit: int = 2000) -> str:
    value = str(form.get(name) or "").strip()
    if len(value) > limit:
        raise InvalidInput(name, f"Ce champ ne peut dépasser {limit} caractères.")
    return value


def choices(form: FormData, name: str) -> list[str]:
    return [str(v).strip() for v in form.getlist(name) if str(v).strip()]


def paris_instant(form: FormData, name: str) -> datetime | None:
    """A datetime-local field, read as Paris time; empty: None (the command's « now »)."""
    value = text(form, name, limit=40)
    if not value:
        return None
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(name, "Date et heure invalides (jj/mm/aaaa hh:mm attendu).") from None
    check_instant(name, local)
    if local.tzinfo is not None:
        return local
    return local.replace(tzinfo=PARIS)


def audiences(form: FormData, name: str = "audiences") -> tuple[Audience, ...]:
    chosen: list[Audience] = []
    for value in choices(form, name):
        try:
            chosen.append(Audience(value))
        except ValueError:
            raise InvalidInput(name, f"Public inconnu : {value}.") from None
    return tuple(chosen)

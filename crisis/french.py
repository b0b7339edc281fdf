"""How people read instants: in French, in Europe/Paris."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_datetime

from crisis.clock import PARIS, ensure_utc


def long_datetime(instant: datetime) -> str:
    """« samedi 28 novembre 2026 à 22 h 15 », « vendredi 1er janvier 2027 à 0 h 30 »"""
    local = ensure_utc(instant).astimezone(PARIS)
    day = "1er" if local.day == 1 else str(local.day)
    weekday = format_datetime(local, "EEEE", locale="fr_FR")
    rest = format_datetime(local, "MMMM y 'à' H 'h' mm", locale="fr_FR")
    return f"{weekday} {day} {rest}"


def short_time(instant: datetime) -> str:
    """« 22 h 15 »"""
    return format_datetime(ensure_utc(instant).astimezone(PARIS), "H 'h' mm", locale="fr_FR")


def entries(count: int) -> str:
    return f"{count} entrée" if count <= 1 else f"{count} entrées"


def compact_datetime(instant: datetime) -> str:
    """« 28/11 22 h 15 », for tables."""
    local = ensure_utc(instant).astimezone(PARIS)
    return f"{local:%d/%m} {local.hour} h {local:%M}"


def long_date(day: date) -> str:
    """« 1er janvier 2027 », « 31 décembre 2026 »"""
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {format_date(day, 'MMMM y', locale='fr_FR')}"

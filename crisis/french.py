"""How people read instants: in French, in Europe/Paris."""

from __future__ import annotations

import errno
from datetime import date, datetime

from crisis.clock import PARIS, ensure_utc

# The names of the French calendar, written here: loading Babel's French locale for them
# costs every command that prints a date 0.05 s (Babel still formats the numbers).
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def long_datetime(instant: datetime) -> str:
    """« samedi 28 novembre 2026 à 22 h 15 », « vendredi 1er janvier 2027 à 0 h 30 »"""
    local = ensure_utc(instant).astimezone(PARIS)
    return f"{WEEKDAYS[local.weekday()]} {long_date(local.date())} à {_hour(local)}"


def _hour(local: datetime) -> str:
    return f"{local.hour} h {local.minute:02d}"


def short_time(instant: datetime) -> str:
    """« 22 h 15 »"""
    return _hour(ensure_utc(instant).astimezone(PARIS))


def entries(count: int) -> str:
    return counted(count, "entrée")


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """« 0 contact », « 1 contact », « 3 contacts »: French puts 0 and 1 in the singular, and
    a reader is never handed « contact(s) »."""
    return f"{count} {singular if count <= 1 else plural or singular + 's'}"


def compact_datetime(instant: datetime) -> str:
    """« 28/11 22 h 15 », for tables."""
    local = ensure_utc(instant).astimezone(PARIS)
    return f"{local:%d/%m} {local.hour} h {local:%M}"


def decimal(value: float, digits: int = 2) -> str:
    """« 10,53 », « 3 » : a decimal comma and no useless zeros."""
    from babel.numbers import format_decimal

    return format_decimal(round(value, digits), format="#,##0.##", locale="fr_FR")


def duration(seconds: float) -> str:
    """As a person says it: « 45 s », « 2 min 05 s », « 34 min », « 1 h 12 min », « 2 h »."""
    sign = "−" if seconds < 0 else ""
    total = round(abs(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        # Beyond an hour, seconds say nothing a reader needs.
        minutes += 1 if secs >= 30 else 0
        if minutes == 60:
            hours, minutes = hours + 1, 0
        text = f"{hours} h" + (f" {minutes:02d} min" if minutes else "")
    elif minutes:
        text = f"{minutes} min" + (f" {secs:02d} s" if secs else "")
    else:
        text = f"{secs} s"
    return sign + text


def duration_minutes(minutes: float) -> str:
    return duration(minutes * 60)


def sentence(text: str) -> str:
    """The text ending with one full stop: « au plus 3. », never « au plus 3.. »."""
    text = text.strip()
    return text if not text or text[-1] in ".!?…" else f"{text}."


def long_date(day: date) -> str:
    """« 1er janvier 2027 », « 31 décembre 2026 »"""
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


# What the system says of a file, in the words of the person at the keyboard.
_OS_REASONS = {
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération interdite",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENOSPC: "plus de place sur le disque",
    errno.EDQUOT: "quota de disque dépassé",
    errno.EISDIR: "c'est un dossier",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EEXIST: "existe déjà",
    errno.ENAMETOOLONG: "nom trop long",
}


def os_reason(error: OSError) -> str:
    """Why a file could not be read or written, in French (the system's words otherwise)."""
    if error.errno in _OS_REASONS:
        return _OS_REASONS[error.errno]
    return error.strerror or error.__class__.__name__

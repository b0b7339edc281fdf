"""Read the on-call rota (tableau d'astreinte) a préfecture exports from Excel.

Header `nom;role;debut;fin` (optional `email`, `mobile`, `telegram`), one line per shift;
names insensitive to case, accents and spaces; `;` or `,`; UTF-8 (BOM or not) or
Windows-1252, as the contacts import. Instants are French dates `28/11/2026 20:00`
(Europe/Paris) or ISO 8601 with their offset. Line numbers count the header as line 1.
A member without address of their own is linked to the contact of category `cellule` of
the same name, if any.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from crisis.clock import PARIS
from crisis.contacts.csv_import import control_character, decode, sniff_delimiter
from crisis.domain.contacts import (
    Problem,
    fold,
    normalise_email,
    normalise_mobile,
)
from crisis.domain.errors import InvalidInput
from crisis.domain.oncall import ShiftInput, parse_role

REQUIRED_COLUMNS = ("nom", "role", "debut", "fin")
OPTIONAL_COLUMNS = ("email", "mobile", "telegram")
COLUMN_ALIASES: dict[str, str] = {
    "fonction": "role",
    "roles": "role",
    "du": "debut",
    "au": "fin",
    "datedebut": "debut",
    "datefin": "fin",
    "e-mail": "email",
    "courriel": "email",
    "mail": "email",
    "portable": "mobile",
    "telephoneportable": "mobile",
    "idtelegram": "telegram",
    "telegramchatid": "telegram",
}
_FRENCH_DATE = re.compile(
    r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})[ T]+(?P<H>\d{1,2})[:h](?P<M>\d{2})?"
)
_TELEGRAM_ID = re.compile(r"-?[0-9]{1,20}")


@dataclass(slots=True)
class ParsedRoster:
    shifts: list[ShiftInput] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def parse_instant(raw: str, *, zone: ZoneInfo = PARIS) -> datetime:
    """« 28/11/2026 20:00 », « 28/11/2026 20h », or ISO 8601 with offset; ValueError else."""
    text = raw.strip()
    match = _FRENCH_DATE.fullmatch(text)
    if match:
        aware = datetime(
            int(match["y"]),
            int(match["m"]),
            int(match["d"]),
            int(match["H"]),
            int(match["M"] or 0),
            tzinfo=zone,
        )
        # An hour skipped by the change to summer time does not exist.
        back = aware.astimezone(ZoneInfo("UTC")).astimezone(zone)
        if back.replace(tzinfo=None) != aware.replace(tzinfo=None):
            raise ValueError("heure inexistante (passage à l'heure d'été)")
        return aware.astimezone(ZoneInfo("UTC"))
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        return instant.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))
    return instant.astimezone(ZoneInfo("UTC"))


def _column(header: str) -> str:
    folded = fold(header).replace(" ", "").replace("_", "")
    return COLUMN_ALIASES.get(folded, folded)


def parse_roster_csv(content: bytes) -> ParsedRoster:
    parsed = ParsedRoster()
    try:
        text, _encoding = decode(content)
    except UnicodeDecodeError:
        parsed.problems.append(Problem("fichier", "encodage illisible (UTF-8 ou Windows-1252)"))
        return parsed
    if not text.strip():
        parsed.problems.append(Problem("fichier", "le fichier est vide"))
        return parsed
    if (refused := control_character(text)) is not None:
        parsed.problems.append(Problem("fichier", f"caractère de contrôle interdit ({refused})"))
        return parsed
    delimiter = sniff_delimiter(text.splitlines()[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    names = [_column(h) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        parsed.problems.append(
            Problem(
                "fichier",
                f"colonne(s) obligatoire(s) absente(s) : {', '.join(missing)} "
                f"(en-tête attendu : {';'.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)})",
            )
        )
        return parsed
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    positions = {n: i for i, n in reversed(list(enumerate(names))) if n in known}
    previous_end = reader.line_num
    for cells in reader:
        line = previous_end + 1
        previous_end = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        raw = {n: (cells[i].strip() if i < len(cells) else "") for n, i in positions.items()}
        item = _row(raw, line, parsed.problems)
        if item is not None:
            parsed.shifts.append(item)
    if not parsed.shifts and not parsed.problems:
        parsed.problems.append(Problem("fichier", "le fichier ne contient aucune astreinte"))
    return parsed


def _row(raw: dict[str, str], line: int, problems: list[Problem]) -> ShiftInput | None:
    before = len(problems)
    name = " ".join(raw["nom"].split())
    if not name:
        problems.append(Problem("nom", "le nom est obligatoire", line=line))
    try:
        role = parse_role(raw["role"])
    except InvalidInput as error:
        problems.append(Problem("role", error.message[0].lower() + error.message[1:], line=line))
        role = None
    instants: dict[str, datetime] = {}
    for column, label in (("debut", "début"), ("fin", "fin")):
        try:
            instants[column] = parse_instant(raw[column])
        except ValueError as error:
            detail = str(error) if "heure" in str(error) else "attendu JJ/MM/AAAA HH:MM"
            problems.append(
                Problem(column, f"{label} « {raw[column]} » invalide ({detail})", line=line)
            )
    if len(instants) == 2 and instants["fin"] <= instants["debut"]:
        problems.append(Problem("fin", "la fin de l'astreinte doit suivre son début", line=line))
    email = mobile = telegram = None
    if raw.get("email"):
        try:
            email = normalise_email(raw["email"])
        except ValueError:
            problems.append(Problem("email", f"e-mail « {raw['email']} » invalide", line=line))
    if raw.get("mobile"):
        try:
            mobile = normalise_mobile(raw["mobile"])
        except ValueError as error:
            problems.append(
                Problem("mobile", f"mobile « {raw['mobile']} » invalide ({error})", line=line)
            )
    if raw.get("telegram"):
        telegram = raw["telegram"]
        if not _TELEGRAM_ID.fullmatch(telegram):
            problems.append(
                Problem("telegram", f"identifiant Telegram « {telegram} » invalide", line=line)
            )
    if len(problems) > before or role is None:
        return None
    return ShiftInput(
        name=name,
        role=role,
        starts_at=instants["debut"],
        ends_at=instants["fin"],
        email=email,
        mobile=mobile,
        telegram_chat_id=telegram,
        line=line,
    )

"""The cell on call: roles, members, the rota (astreinte), callouts and their pages.

Pure model: no framework. Instants are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from crisis.domain.commands import Command
from crisis.domain.errors import InvalidInput
from crisis.domain.events import Event
from crisis.domain.vocabulary import Team as Team


class CellRole(StrEnum):
    CHEF_DE_CELLULE = "chef_de_cellule"
    REDACTEUR = "redacteur"
    CHARGE_RESEAUX_SOCIAUX = "charge_reseaux_sociaux"
    ATTACHE_PRESSE = "attache_presse"  # attaché de presse / porte-parole
    CHEF_DE_SALLE_CIP = "chef_de_salle_cip"
    OPERATEUR_CIP = "operateur_cip"


CELL_ROLE_LABELS: dict[CellRole, str] = {
    CellRole.CHEF_DE_CELLULE: "chef de cellule",
    CellRole.REDACTEUR: "rédacteur",
    CellRole.CHARGE_RESEAUX_SOCIAUX: "chargé des réseaux sociaux",
    CellRole.ATTACHE_PRESSE: "attaché de presse / porte-parole",
    CellRole.CHEF_DE_SALLE_CIP: "chef de salle CIP",
    CellRole.OPERATEUR_CIP: "opérateur CIP",
}


TEAM_ROLES: dict[Team, tuple[CellRole, ...]] = {
    Team.CELL: (
        CellRole.CHEF_DE_CELLULE,
        CellRole.REDACTEUR,
        CellRole.CHARGE_RESEAUX_SOCIAUX,
        CellRole.ATTACHE_PRESSE,
    ),
    Team.CIP: (CellRole.CHEF_DE_SALLE_CIP, CellRole.OPERATEUR_CIP),
}

TEAM_LABELS: dict[Team, str] = {
    Team.CELL: "cellule de communication",
    Team.CIP: "cellule d'information du public",
}


def parse_role(raw: str, *, field: str = "role") -> CellRole:
    from crisis.domain.contacts import fold

    word = fold(raw).replace(" ", "_").replace("-", "_").replace("'", "_")
    aliases = {
        "chef": CellRole.CHEF_DE_CELLULE,
        "chef_cellule": CellRole.CHEF_DE_CELLULE,
        "reseaux_sociaux": CellRole.CHARGE_RESEAUX_SOCIAUX,
        "porte_parole": CellRole.ATTACHE_PRESSE,
        "attache_de_presse": CellRole.ATTACHE_PRESSE,
        "chef_de_salle": CellRole.CHEF_DE_SALLE_CIP,
        "operateur": CellRole.OPERATEUR_CIP,
    }
    try:
        return CellRole(word)
    except ValueError:
        if word in aliases:
            return aliases[word]
    known = ", ".join(r.value for r in CellRole)
    raise InvalidInput(field, f"Rôle inconnu « {raw} » ; rôles possibles : {known}.")


def parse_quorum(names: list[str], *, team: Team) -> tuple[CellRole, ...]:
    roles = tuple(parse_role(n, field="quorum") for n in names)
    stray = [r for r in roles if r not in TEAM_ROLES[team]]
    if stray:
        raise InvalidInput(
            "quorum",
            f"Le rôle {CELL_ROLE_LABELS[stray[0]]} n'appartient pas à l'équipe "
            f"{TEAM_LABELS[team]}.",
        )
    return roles


def format_numero_unique(raw: str) -> str:
    """A valid French number, formatted the French way (« 01 69 91 91 91 »); else 422."""
    reason = (
        f"« {raw} » n'est pas un numéro de téléphone français valide "
        "(exemples : 01 69 91 91 91, 0 800 00 91 91)."
    )
    try:
        import phonenumbers  # loaded by the commands that check a number only

        number = phonenumbers.parse(raw.strip(), "FR")
    except phonenumbers.NumberParseException:
        raise InvalidInput("numero_unique", reason) from None
    if number.country_code != 33 or not phonenumbers.is_valid_number(number):
        raise InvalidInput("numero_unique", reason)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def numero_unique_link(numero: str) -> str:
    """The `tel:` address of a checked numéro unique (RFC 3966: « tel:+33-1-69-91-91-91 »)."""
    import phonenumbers

    number = phonenumbers.parse(numero, "FR")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.RFC3966)


# -- the roster ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    key: str  # the folded name: what a re-import matches on
    name: str
    contact_id: str | None
    email: str | None
    mobile: str | None
    telegram_chat_id: str | None


@dataclass(frozen=True, slots=True)
class Shift:
    id: str
    member_id: str
    role: CellRole
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class ShiftInput:
    """One line of the rota, before it is stored (CSV line or API item)."""

    name: str
    role: CellRole
    starts_at: datetime
    ends_at: datetime
    email: str | None = None
    mobile: str | None = None
    telegram_chat_id: str | None = None
    line: int | None = None


# -- commands -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportRoster(Command):
    """Replace the rota's shifts; members are matched by name and kept (with their chat)."""

    shifts: tuple[ShiftInput, ...]
    source: str = "api"

    def journal_payload(self) -> object:
        # Addresses are personal data: the journal keeps who is on call when, not how to reach.
        return {
            "source": self.source,
            "shifts": [
                {
                    "name": s.name,
                    "role": s.role.value,
                    "starts_at": s.starts_at.isoformat(),
                    "ends_at": s.ends_at.isoformat(),
                }
                for s in self.shifts
            ],
        }


@dataclass(frozen=True, slots=True)
class StartCallout(Command):
    crisis_id: str
    team: Team = Team.CELL
    reason: str = "sur ordre"


@dataclass(frozen=True, slots=True)
class AcknowledgePage(Command):
    """By member (the console, the API: one's own pages, or the duty officer's « pour le
    compte de »; none: the signed-in user's own), or by Telegram chat (`/ack`, the button)."""

    via: str
    member_id: str | None = None
    telegram_chat_id: str | None = None
    crisis_id: str | None = None


@dataclass(frozen=True, slots=True)
class AcknowledgeByLink(Command):
    """The personal link of a page (`/ack/{token}`), found by its token's SHA-256."""

    token_hash: str

    def journal_payload(self) -> object:
        return {}  # the page acknowledged is in the event; the link stays out of the journal


@dataclass(frozen=True, slots=True)
class AnswerCall(Command):
    """A key pressed during a call (`channels.voice`): « 1 » acknowledges the page the call
    carries, « 2 » declines it. A call that is not a page (an élu's) changes nothing here: its
    confirmation is recorded with the delivery."""

    delivery_id: str
    outcome: str  # acknowledged, declined


@dataclass(frozen=True, slots=True)
class CheckCallouts(Command):
    crisis_id: str | None = None


@dataclass(frozen=True, slots=True)
class IssueBindCode(Command):
    member: str  # id or name


@dataclass(frozen=True, slots=True)
class BindTelegram(Command):
    code: str
    telegram_chat_id: str

    def journal_payload(self) -> object:
        return {"telegram_chat_id": self.telegram_chat_id}  # the code is a secret, used once


@dataclass(frozen=True, slots=True)
class OrderCip(Command):
    crisis_id: str
    numero_unique: str
    ordered_by: str | None = None  # None: the actor
    ordered_at: datetime | None = None  # None: now


@dataclass(frozen=True, slots=True)
class DeclareCipOperational(Command):
    crisis_id: str
    declared_at: datetime | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class DeactivateCip(Command):
    crisis_id: str
    reason: str
    deactivated_at: datetime | None = None


# -- events (journalled on the crisis stream) -----------------------------------------------


@dataclass(frozen=True, slots=True)
class CalloutStarted(Event):
    callout_id: str
    team: str
    reason: str
    roles: tuple[str, ...]
    quorum: tuple[str, ...]
    ack_minutes: int
    escalations: int


@dataclass(frozen=True, slots=True)
class MemberPaged(Event):
    callout_id: str
    page_id: str
    message_id: str | None
    role: str
    member_id: str
    member_name: str
    round: int
    channels: tuple[str, ...]
    ack_due_at: datetime


@dataclass(frozen=True, slots=True)
class RoleUnstaffed(Event):
    """Nobody (left) to page for a role in this round."""

    callout_id: str
    role: str
    round: int
    ack_due_at: datetime


@dataclass(frozen=True, slots=True)
class CalloutEscalated(Event):
    callout_id: str
    role: str
    round: int
    due_at: datetime
    paged: tuple[str, ...]  # member names


@dataclass(frozen=True, slots=True)
class CalloutOfficerAlerted(Event):
    callout_id: str
    role: str
    due_at: datetime
    rounds: int
    paged: int = 0  # people really paged for the role (reachable through a channel)
    exhausted: bool = False  # alerted at once: nobody left to page


@dataclass(frozen=True, slots=True)
class CalloutRoundCalls(Event):
    """The phone calls of one round of a role, in aggregate: by outcome (acknowledged,
    declined, message_left, no_answer for those that rang out or failed, cancelled,
    pending), one entry per round however many calls and attempts."""

    callout_id: str
    role: str
    round: int
    calls: dict[str, int]


@dataclass(frozen=True, slots=True)
class PageDeclined(Event):
    """« 2 » pressed on the phone: the member cannot come; the round is over at once."""

    callout_id: str
    page_id: str
    role: str
    member_id: str
    member_name: str
    round: int


@dataclass(frozen=True, slots=True)
class PageAcknowledged(Event):
    callout_id: str
    page_id: str
    role: str
    member_id: str
    member_name: str
    acknowledged_at: datetime
    via: str
    role_acknowledged: bool  # the first acknowledgement of this role in this callout
    # Who recorded it « pour le compte de » the member (the duty officer); None: the member.
    recorded_by: str | None = None


@dataclass(frozen=True, slots=True)
class QuorumReached(Event):
    callout_id: str
    team: str
    quorum: tuple[str, ...]
    reached_at: datetime


@dataclass(frozen=True, slots=True)
class ShiftHandedOver(Event):
    role: str
    at: datetime
    from_members: tuple[str, ...]
    to_members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CipPublished(Event):
    message_id: str
    numero_unique: str
    kind: str  # activation, deactivation


@dataclass(frozen=True, slots=True)
class CipDeactivated(Event):
    deactivated_at: datetime
    deactivated_by: str
    reason: str

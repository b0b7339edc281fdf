"""What `crisis demo` puts in a demonstration database: one user per role, élus, médias and
the on-call cell, through the same commands as the console and the CLI (all journalled).

Every address is a fiction: e-mail domains under `.example` (reserved, RFC 2606), mobiles in
06 00 00 00 xx, Telegram chats of no one. The demonstration channels reach none of them anyway.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

from crisis.bootstrap import Service
from crisis.domain.approval_calls import ApproverInput, SetApprovers
from crisis.domain.commands import AddUser, CodDecision, OpenCrisis
from crisis.domain.contact_commands import ContactInput, CreateContact
from crisis.domain.oncall import CellRole, ImportRoster, ShiftInput
from crisis.domain.vocabulary import CrisisKind
from crisis.services.context import Actor
from crisis.services.roles import Role

DEMO_ACTOR = Actor(name="démonstration", role="local")
# An exercise, opened with its COD activated, for the cell to write its first message in.
DEMO_EVENT = OpenCrisis(
    title="Démonstration — crue de l'Orge",
    kind=CrisisKind.INONDATION,
    exercise=True,
    communes=("Juvisy-sur-Orge", "Athis-Mons"),
    activation=CodDecision(decided_by="préfet (démonstration)", synergi_ref="DEMO-0001"),
)
ROSTER_DAYS = 30

# The user of each role, in the order the quick start meets them.
DEMO_USERS: tuple[tuple[str, Role], ...] = (
    ("cellule", Role.COMM_CELL),
    ("prefet", Role.PREFECT),
    ("permanence", Role.DUTY_OFFICER),
    ("auditeur", Role.AUDITOR),
    ("admin", Role.ADMIN),
)

DEMO_CONTACTS: tuple[ContactInput, ...] = (
    ContactInput(
        name="Claire Martin",
        category="elu",
        email="claire.martin@mairie-juvisy.example",
        mobile="06 00 00 00 01",
        telegram_chat_id="900001",
        commune="Juvisy-sur-Orge",
        fonction="maire",
        exercise=True,
    ),
    ContactInput(
        name="Paul Durand",
        category="elu",
        email="paul.durand@mairie-athis-mons.example",
        mobile="06 00 00 00 02",
        commune="Athis-Mons",
        fonction="maire",
        exercise=True,
    ),
    ContactInput(
        name="Sophie Bernard",
        category="elu",
        email="sophie.bernard@assemblee.example",
        mobile="06 00 00 00 03",
        fonction="députée",
        exercise=True,
    ),
    ContactInput(
        name="Karim Haddad",
        category="elu",
        email="karim.haddad@departement.example",
        telegram_chat_id="900004",
        fonction="conseiller départemental",
        exercise=True,
    ),
    ContactInput(
        name="Rédaction de Radio Essonne",
        category="media",
        email="redaction@radio-essonne.example",
        mobile="06 00 00 00 05",
        exercise=True,
    ),
    ContactInput(
        name="Le Quotidien du Sud francilien",
        category="media",
        email="desk@quotidien-sud.example",
        exercise=True,
    ),
    ContactInput(
        name="Agence régionale d'information",
        category="media",
        email="alertes@agence-regionale.example",
        telegram_chat_id="900007",
        exercise=True,
    ),
)

# How the « prefet » account is reached when a message waits for its approval: the quick
# start shows the call in the demonstration outbox.
DEMO_APPROVER = ContactInput(
    name="Anne Lambert",
    category="partenaire",
    email="anne.lambert@prefecture.example",
    mobile="06 00 00 00 21",
    fonction="préfète (compte « prefet »)",
    exercise=True,
)

# The on-call cell: one member per role of the cell's quorum, and a press attaché.
DEMO_ONCALL: tuple[tuple[str, CellRole, str, str], ...] = (
    ("Julie Moreau", CellRole.CHEF_DE_CELLULE, "julie.moreau", "06 00 00 00 11"),
    ("Marc Lefèvre", CellRole.REDACTEUR, "marc.lefevre", "06 00 00 00 12"),
    ("Inès Garcia", CellRole.CHARGE_RESEAUX_SOCIAUX, "ines.garcia", "06 00 00 00 13"),
    ("Thomas Petit", CellRole.ATTACHE_PRESSE, "thomas.petit", "06 00 00 00 14"),
)
ONCALL_DOMAIN = "prefecture.example"


@dataclass(frozen=True, slots=True)
class DemoUser:
    name: str
    role: Role
    password: str


@dataclass(frozen=True, slots=True)
class DemoContents:
    users: tuple[DemoUser, ...]
    event_id: str
    elus: int
    medias: int
    oncall_members: int
    roster_days: int


def demo_password() -> str:
    """Twelve random letters and digits in three groups: easy to type, shown once."""
    alphabet = string.ascii_lowercase + string.digits
    groups = ("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


def seed_demonstration(service: Service) -> DemoContents:
    """Fill a new demonstration database; the passwords are returned, never stored in clear."""
    bus = service.bus
    users = []
    for name, role in DEMO_USERS:
        password = demo_password()
        bus.handle(AddUser(name=name, role=role.value, password=password), actor=DEMO_ACTOR)
        users.append(DemoUser(name=name, role=role, password=password))
    for contact in DEMO_CONTACTS:
        bus.handle(CreateContact(contact=contact), actor=DEMO_ACTOR)
    bus.handle(CreateContact(contact=DEMO_APPROVER), actor=DEMO_ACTOR)
    approver = ApproverInput(user="prefet", member=DEMO_APPROVER.email)
    bus.handle(SetApprovers(approvers=(approver,)), actor=DEMO_ACTOR)
    start = service.clock.now().replace(second=0, microsecond=0) - timedelta(hours=1)
    end = start + timedelta(days=ROSTER_DAYS)
    shifts = tuple(
        ShiftInput(
            name=name,
            role=role,
            starts_at=start,
            ends_at=end,
            email=f"{mailbox}@{ONCALL_DOMAIN}",
            mobile=mobile,
        )
        for name, role, mailbox, mobile in DEMO_ONCALL
    )
    bus.handle(ImportRoster(shifts=shifts, source="démonstration"), actor=DEMO_ACTOR)
    # Last: its activation pages the on-call cell just imported.
    event_id: str = bus.handle(DEMO_EVENT, actor=DEMO_ACTOR)
    return DemoContents(
        users=tuple(users),
        event_id=event_id,
        elus=sum(c.category == "elu" for c in DEMO_CONTACTS),
        medias=sum(c.category == "media" for c in DEMO_CONTACTS),
        oncall_members=len(DEMO_ONCALL),
        roster_days=ROSTER_DAYS,
    )

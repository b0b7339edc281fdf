"""Closed lists of the domain: kinds of event, states, clocks, audiences."""

from __future__ import annotations

from enum import StrEnum


class CrisisKind(StrEnum):
    INONDATION = "inondation"
    ACCIDENT_INDUSTRIEL = "accident_industriel"
    TEMPETE = "tempete"
    CANICULE = "canicule"
    POLLUTION = "pollution"
    TRANSPORT = "transport"
    SANITAIRE = "sanitaire"
    ATTENTAT = "attentat"
    AUTRE = "autre"


CRISIS_KIND_LABELS: dict[CrisisKind, str] = {
    CrisisKind.INONDATION: "Inondation",
    CrisisKind.ACCIDENT_INDUSTRIEL: "Accident industriel",
    CrisisKind.TEMPETE: "Tempête",
    CrisisKind.CANICULE: "Canicule",
    CrisisKind.POLLUTION: "Pollution",
    CrisisKind.TRANSPORT: "Accident de transport",
    CrisisKind.SANITAIRE: "Crise sanitaire",
    CrisisKind.ATTENTAT: "Attentat",
    CrisisKind.AUTRE: "Autre événement majeur",
}


class CrisisState(StrEnum):
    REPORTED = "reported"
    COD_ACTIVE = "cod_active"
    CLOSED = "closed"


CRISIS_STATE_LABELS: dict[CrisisState, str] = {
    CrisisState.REPORTED: "signalé",
    CrisisState.COD_ACTIVE: "COD activé",
    CrisisState.CLOSED: "clos",
}


class Audience(StrEnum):
    ELUS = "elus"
    PUBLIC = "public"
    MEDIA = "media"


class ClockName(StrEnum):
    CELL = "cell"  # commitment 47
    ELUS = "elus"  # commitment 48, per audience
    PUBLIC = "public"
    MEDIA = "media"
    CIP = "cip"  # commitment 50: exists only once the préfet orders the CIP


# The clocks the COD activation starts; the CIP clock starts at the préfet's order.
COD_CLOCKS: tuple[ClockName, ...] = (
    ClockName.CELL,
    ClockName.ELUS,
    ClockName.PUBLIC,
    ClockName.MEDIA,
)

CLOCK_LABELS: dict[ClockName, str] = {
    ClockName.CELL: "cellule de communication opérationnelle",
    ClockName.ELUS: "information des élus",
    ClockName.PUBLIC: "information du public",
    ClockName.MEDIA: "information des médias",
    ClockName.CIP: "cellule d'information du public opérationnelle",
}

AUDIENCE_CLOCK: dict[Audience, ClockName] = {
    Audience.ELUS: ClockName.ELUS,
    Audience.PUBLIC: ClockName.PUBLIC,
    Audience.MEDIA: ClockName.MEDIA,
}


class ClockState(StrEnum):
    RUNNING = "running"
    MET = "met"
    BREACHED = "breached"


CLOCK_STATE_LABELS: dict[ClockState, str] = {
    ClockState.RUNNING: "en cours",
    ClockState.MET: "tenu",
    ClockState.BREACHED: "dépassé",
}


# Defined here, light to import, for the command line's options; each belongs to its module
# (crisis.domain.oncall, .programme, .retex), which exports it.
class Team(StrEnum):
    CELL = "cell"  # the communication cell (commitment 47)
    CIP = "cip"  # the cellule d'information du public (commitment 50)


class DrillMode(StrEnum):
    UNATTENDED = "unattended"  # played at full speed on a virtual clock, sandbox channels
    LIVE = "live"  # played in real time with people, on the exercise channels


class ActionState(StrEnum):
    TODO = "a_faire"
    DOING = "en_cours"
    DONE = "faite"


# The role a user of the console or the API holds (crisis.services.roles).
class Role(StrEnum):
    DUTY_OFFICER = "duty_officer"
    COMM_CELL = "comm_cell"
    PREFECT = "prefect"
    AUDITOR = "auditor"
    ADMIN = "admin"

"""Request bodies. Unknown fields are refused; instants must carry their offset."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from crisis.api.text import (
    Instant,
    OptionalPlainLine,
    OptionalPlainText,
    PlainLine,
    PlainText,
    ShortName,
    StrictFlag,
)
from crisis.domain.vocabulary import Audience, CrisisKind


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CodActivationCreate(Body):
    decided_at: Instant | None = Field(
        default=None, description="Instant de la décision du préfet ; par défaut maintenant."
    )
    decided_by: PlainLine = Field(min_length=1, max_length=120, examples=["M. le préfet"])
    synergi_ref: OptionalPlainLine | None = Field(
        default=None, max_length=120, description="Obligatoire pour un événement réel."
    )


class CrisisCreate(Body):
    title: PlainLine = Field(min_length=1, max_length=200, examples=["Crue de la Seine à Corbeil"])
    kind: CrisisKind
    communes: list[ShortName] = Field(default_factory=list, max_length=500)
    reported_at: Instant | None = None
    exercise: StrictFlag = False
    cod_activation: CodActivationCreate | None = Field(
        default=None, description="Pour ouvrir l'événement et activer le COD d'un seul geste."
    )
    distinct: StrictFlag = Field(
        default=False,
        description="Un événement semblable est déjà ouvert (réponse 409 `likely_duplicate`) et "
        "il s'agit bien d'un autre événement : l'enregistrer quand même.",
    )


class CellOperationalCreate(Body):
    declared_at: Instant | None = None
    note: OptionalPlainText = Field(default="", max_length=2000)


class DeliveryCreate(Body):
    audience: Audience
    delivered_at: Instant
    means: PlainLine = Field(min_length=1, max_length=500, examples=["conférence de presse"])
    recipients: OptionalPlainLine = Field(
        default="", max_length=2000, examples=["maires des 12 communes"]
    )


class CrisisClose(Body):
    reason: PlainText = Field(min_length=1, max_length=2000)
    closed_at: Instant | None = None
    opened_by_mistake: StrictFlag = Field(
        default=False,
        description="Ouvert par erreur (un doublon, une fausse manœuvre) : l'événement est "
        "exclu des indicateurs, avec ce motif.",
    )


class DeliveryRecorded(BaseModel):
    delivery_id: str
    crisis_id: str


class UserRead(BaseModel):
    name: str
    role: str


class Health(BaseModel):
    status: str
    database: str
    scheduler: str  # leader, standby, stopped, or « aucun » for a process without one
    worker: str

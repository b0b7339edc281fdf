"""Request bodies. Unknown fields are refused; instants must carry their offset."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from crisis.domain.vocabulary import Audience, CrisisKind


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CodActivationCreate(Body):
    decided_at: AwareDatetime | None = Field(
        default=None, description="Instant de la décision du préfet ; par défaut maintenant."
    )
    decided_by: str = Field(min_length=1, max_length=120, examples=["M. le préfet"])
    synergi_ref: str | None = Field(
        default=None, max_length=120, description="Obligatoire pour un événement réel."
    )


class CrisisCreate(Body):
    title: str = Field(min_length=1, max_length=200, examples=["Crue de la Seine à Corbeil"])
    kind: CrisisKind
    communes: list[str] = Field(default_factory=list, max_length=500)
    reported_at: AwareDatetime | None = None
    exercise: bool = False
    cod_activation: CodActivationCreate | None = Field(
        default=None, description="Pour ouvrir l'événement et activer le COD d'un seul geste."
    )


class CellOperationalCreate(Body):
    declared_at: AwareDatetime | None = None
    note: str = Field(default="", max_length=2000)


class DeliveryCreate(Body):
    audience: Audience
    delivered_at: AwareDatetime
    means: str = Field(min_length=1, max_length=500, examples=["conférence de presse"])
    recipients: str = Field(default="", max_length=2000, examples=["maires des 12 communes"])


class CrisisClose(Body):
    reason: str = Field(min_length=1, max_length=2000)
    closed_at: AwareDatetime | None = None


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

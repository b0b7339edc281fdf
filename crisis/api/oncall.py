"""Routes of the cell on call: roster, callouts and acknowledgements, the CIP; the public
routes (personal links, Telegram webhook) are in `crisis.api.oncall_public`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from crisis.api.auth import CurrentActor, CurrentService, allowed
from crisis.api.commands import IdempotencyKey, run_command
from crisis.api.errors import responses
from crisis.api.schemas import Body as RequestBody
from crisis.api.text import Instant, OptionalPlainLine, OptionalPlainText, PlainLine, PlainText
from crisis.bootstrap import Service
from crisis.domain.commands import Command
from crisis.domain.contacts import InvalidContacts
from crisis.domain.errors import NotFound
from crisis.domain.oncall import (
    AcknowledgePage,
    CellRole,
    DeactivateCip,
    DeclareCipOperational,
    ImportRoster,
    IssueBindCode,
    OrderCip,
    ShiftInput,
    StartCallout,
    Team,
)
from crisis.oncall.csv_import import parse_roster_csv
from crisis.services.ack_handlers import AckReport
from crisis.services.context import Actor
from crisis.services.oncall_views import callouts_view, cip_view, members_view, on_call_now
from crisis.services.roster_handlers import RosterReport
from crisis.store.unit_of_work import UnitOfWork

router = APIRouter(prefix="/api/v1", tags=["astreinte et CIP"])

WRITE_ERRORS = responses(401, 403, 404, 409, 422)


class ShiftCreate(RequestBody):
    name: PlainLine = Field(min_length=1, max_length=200, examples=["Claire Martin"])
    role: CellRole
    starts_at: Instant
    ends_at: Instant
    email: OptionalPlainLine | None = Field(default=None, max_length=320)
    mobile: OptionalPlainLine | None = Field(default=None, max_length=40)
    telegram_chat_id: OptionalPlainLine | None = Field(default=None, max_length=32)


class RosterWrite(RequestBody):
    shifts: list[ShiftCreate] = Field(max_length=5000)


class CalloutCreate(RequestBody):
    team: Team = Team.CELL
    reason: PlainLine = Field(default="sur ordre", max_length=500)


class AcknowledgementCreate(RequestBody):
    member_id: PlainLine | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description=(
            "Identifiant ou nom du membre. Absent : le membre qui porte le nom de "
            "l'utilisateur connecté. Un autre membre que soi : cadre de permanence seulement, "
            "« pour le compte de » (403 sinon)."
        ),
    )


class CipCreate(RequestBody):
    numero_unique: PlainLine = Field(min_length=1, max_length=40, examples=["01 69 91 91 91"])
    ordered_at: Instant | None = Field(
        default=None, description="Instant de l'ordre du préfet ; par défaut maintenant."
    )
    ordered_by: OptionalPlainLine | None = Field(
        default=None, max_length=120, examples=["M. le préfet"]
    )


class CipOperationalCreate(RequestBody):
    declared_at: Instant | None = None
    note: OptionalPlainText = Field(default="", max_length=2000)


class CipDeactivationCreate(RequestBody):
    reason: PlainText = Field(min_length=1, max_length=2000)
    deactivated_at: Instant | None = None


def _run(
    service: Service,
    actor: Actor,
    request: Request,
    payload: bytes,
    command: Command,
    key: str | None,
    present: Any,
) -> JSONResponse:
    return run_command(service, actor, request, payload, command, key, present)


def _present_roster(_: UnitOfWork, report: Any) -> tuple[int, Any]:
    assert isinstance(report, RosterReport)
    return 200, {
        "members": report.members,
        "shifts": report.shifts,
        "created": report.created,
        "linked_to_contacts": report.linked_to_contacts,
        "unreachable": report.unreachable,
    }


def _present_callouts(status: int) -> Any:
    def present(uow: UnitOfWork, crisis_id: Any) -> tuple[int, Any]:
        return status, callouts_view(uow, str(crisis_id))

    return present


def _present_cip(status: int) -> Any:
    def present(uow: UnitOfWork, crisis_id: Any) -> tuple[int, Any]:
        return status, cip_view(uow, str(crisis_id))

    return present


def _present_ack(_: UnitOfWork, report: Any) -> tuple[int, Any]:
    assert isinstance(report, AckReport)
    return 200, {
        "member": report.member_name,
        "acknowledged": report.acknowledged,
        "recorded_by": report.recorded_by,
    }


# -- the roster -----------------------------------------------------------------------------


@router.put(
    "/oncall/roster",
    dependencies=[allowed(ImportRoster)],
    responses=responses(401, 403, 422),
    summary="Remplacer le tableau d'astreinte (JSON)",
)
def put_roster(
    body: RosterWrite,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    shifts = tuple(
        ShiftInput(
            name=s.name,
            role=s.role,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            email=s.email,
            mobile=s.mobile,
            telegram_chat_id=s.telegram_chat_id,
            line=i + 1,
        )
        for i, s in enumerate(body.shifts)
    )
    command = ImportRoster(shifts=shifts, source="api")
    payload = body.model_dump_json().encode()
    return _run(service, actor, request, payload, command, idempotency_key, _present_roster)


@router.post(
    "/oncall/roster/import",
    dependencies=[allowed(ImportRoster)],
    responses=responses(401, 403, 422),
    summary="Importer le tableau d'astreinte (CSV) ; tout ou rien",
    description=(
        "Corps : le fichier CSV (`text/csv`), en-tête `nom;role;debut;fin;email;mobile;telegram`. "
        "Une erreur sur une ligne refuse tout le fichier, chaque erreur citant sa ligne."
    ),
)
def import_roster_csv(
    content: Annotated[bytes, Body(media_type="text/csv")],
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    parsed = parse_roster_csv(content)
    if parsed.problems:
        raise InvalidContacts(
            parsed.problems,
            "Astreinte refusée, rien n'a été importé : "
            + "; ".join(str(p) for p in parsed.problems),
        )
    command = ImportRoster(shifts=tuple(parsed.shifts), source="csv")
    return _run(service, actor, request, content, command, idempotency_key, _present_roster)


@router.get(
    "/oncall/now",
    responses=responses(401),
    summary="Qui est d'astreinte, rôle par rôle ([] si personne)",
)
def get_on_call(
    service: CurrentService,
    actor: CurrentActor,
    at: Annotated[Instant | None, Query(description="Par défaut maintenant.")] = None,
) -> list[dict[str, Any]]:
    with service.bus.reading() as uow:
        return on_call_now(uow, at or service.clock.now())


@router.get("/oncall/members", responses=responses(401), summary="Membres de l'astreinte")
def get_members(service: CurrentService, actor: CurrentActor) -> list[dict[str, Any]]:
    with service.bus.reading() as uow:
        return members_view(uow)


class BindCodeCreate(RequestBody):
    member: PlainLine = Field(
        min_length=1, max_length=200, description="Identifiant ou nom du membre."
    )


def _present_code(_: UnitOfWork, result: Any) -> tuple[int, Any]:
    return 201, {
        "member_id": result["member_id"],
        "member": result["member"],
        "code": result["code"],
        "expires_at": result["expires_at"].isoformat(),
    }


@router.post(
    "/oncall/bind-codes",
    dependencies=[allowed(IssueBindCode)],
    status_code=201,
    responses=WRITE_ERRORS,
    summary="Code à usage unique pour associer un compte Telegram (/start CODE)",
)
def post_bind_code(
    body: BindCodeCreate,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = IssueBindCode(member=body.member)
    payload = body.model_dump_json().encode()
    return _run(service, actor, request, payload, command, idempotency_key, _present_code)


# -- callouts -------------------------------------------------------------------------------


@router.post(
    "/crises/{crisis_id}/callout",
    dependencies=[allowed(StartCallout)],
    status_code=201,
    responses=WRITE_ERRORS,
    summary="Appeler l'astreinte (cellule ou CIP)",
)
def post_callout(
    crisis_id: str,
    body: CalloutCreate,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = StartCallout(crisis_id=crisis_id, team=body.team, reason=body.reason)
    payload = body.model_dump_json().encode()
    return _run(service, actor, request, payload, command, idempotency_key, _present_callouts(201))


@router.get(
    "/crises/{crisis_id}/callouts",
    responses=responses(401, 404),
    summary="Appels, tours d'escalade, accusés de réception",
)
def get_callouts(
    crisis_id: str, service: CurrentService, actor: CurrentActor
) -> list[dict[str, Any]]:
    with service.bus.reading() as uow:
        uow.crises.get(crisis_id)
        return callouts_view(uow, crisis_id)


@router.post(
    "/crises/{crisis_id}/acknowledgements",
    dependencies=[allowed(AcknowledgePage)],
    responses=WRITE_ERRORS,
    summary=(
        "Accuser réception de ses propres appels, ou (cadre de permanence) enregistrer celui "
        "d'un membre pour son compte"
    ),
)
def post_acknowledgement(
    crisis_id: str,
    body: AcknowledgementCreate,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = AcknowledgePage(via="api", member_id=body.member_id, crisis_id=crisis_id)
    payload = body.model_dump_json().encode()
    return _run(service, actor, request, payload, command, idempotency_key, _present_ack)


# -- the CIP --------------------------------------------------------------------------------


@router.post(
    "/crises/{crisis_id}/cip",
    dependencies=[allowed(OrderCip)],
    status_code=201,
    responses=WRITE_ERRORS,
    summary="Enregistrer l'ordre du préfet d'activer la CIP et son numéro unique",
)
def post_cip(
    crisis_id: str,
    body: CipCreate,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = OrderCip(
        crisis_id=crisis_id,
        numero_unique=body.numero_unique,
        ordered_by=body.ordered_by,
        ordered_at=body.ordered_at,
    )
    payload = body.model_dump_json().encode()
    return _run(service, actor, request, payload, command, idempotency_key, _present_cip(201))


@router.post(
    "/crises/{crisis_id}/cip/operational",
    dependencies=[allowed(DeclareCipOperational)],
    responses=WRITE_ERRORS,
    summary="Déclarer la CIP opérationnelle (horloge `cip`) ; publie le numéro unique",
)
def post_cip_operational(
    crisis_id: str,
    body: CipOperationalCreate,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = DeclareCipOperational(
        crisis_id=crisis_id, declared_at=body.declared_at, note=body.note
    )
    payload = body.model_dump_json().encode()
    return _run(service, actor, request, payload, command, idempotency_key, _present_cip(200))


@router.post(
    "/crises/{crisis_id}/cip/deactivation",
    dependencies=[allowed(DeactivateCip)],
    responses=WRITE_ERRORS,
    summary="Fermer la CIP ; publie la fermeture",
)
def post_cip_deactivation(
    crisis_id: str,
    body: CipDeactivationCreate,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = DeactivateCip(
        crisis_id=crisis_id, reason=body.reason, deactivated_at=body.deactivated_at
    )
    payload = body.model_dump_json().encode()
    return _run(service, actor, request, payload, command, idempotency_key, _present_cip(200))


@router.get("/crises/{crisis_id}/cip", responses=responses(401, 404), summary="La CIP")
def get_cip(crisis_id: str, service: CurrentService, actor: CurrentActor) -> dict[str, Any]:
    with service.bus.reading() as uow:
        uow.crises.get(crisis_id)
        view = cip_view(uow, crisis_id)
    if view is None:
        raise NotFound("La cellule d'information du public n'a pas été activée pour cet événement.")
    return view

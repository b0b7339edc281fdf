"""Routes of the exercise programme: its entries and its iCalendar export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from crisis.api.auth import CurrentActor, CurrentService, allowed
from crisis.api.commands import IdempotencyKey, run_command
from crisis.api.errors import responses
from crisis.api.schemas import Body
from crisis.api.text import Instant, OptionalPlainLine, PlainLine
from crisis.domain.errors import InvalidInput
from crisis.domain.programme import AddDrillSchedule, DrillMode, RemoveDrillSchedule
from crisis.services.programme_views import programme_ical, programme_view, schedule_view
from crisis.settings import Settings
from crisis.store.unit_of_work import UnitOfWork
from drills.model import bundled_scenarios

router = APIRouter(prefix="/api/v1/drills", tags=["exercices"])

WRITE_ERRORS = responses(401, 403, 404, 409, 422)


class DrillScheduleCreate(Body):
    name: PlainLine = Field(min_length=1, max_length=200, examples=["Exercice mensuel crue"])
    scenario: PlainLine = Field(
        min_length=1,
        max_length=500,
        description="Nom d'un scénario fourni, ou fichier du dossier des scénarios du service.",
        examples=["crue-seine"],
    )
    rrule: OptionalPlainLine | None = Field(
        default=None, max_length=500, examples=["FREQ=MONTHLY;BYDAY=1TU;BYHOUR=10;BYMINUTE=0"]
    )
    cron: OptionalPlainLine | None = Field(
        default=None,
        max_length=200,
        description="Cron standard à 5 champs, heure de Paris : 0 et 7 = dimanche, 1 = lundi ; "
        "noms de jours et de mois en français ou en anglais ; si le jour du mois et le jour de "
        "la semaine sont tous deux restreints, un jour qui satisfait l'un ou l'autre convient. "
        "Gardée sous sa forme standard.",
        examples=["0 10 * * lun"],
    )
    starts_at: Instant | None = None
    notice_days: int = Field(default=7, ge=0, le=365)
    mode: DrillMode = DrillMode.UNATTENDED


def _api_scenario(ref: str, settings: Settings, uow: UnitOfWork) -> str:
    """Over HTTP, a bundled scenario, one uploaded to the console, or a file of the service's
    scenario folder only."""
    if ref in bundled_scenarios() or uow.programme.scenario(ref) is not None:
        return ref
    folder = settings.resolved_drill_scenarios_dir.resolve()
    candidate = (folder / ref).resolve()
    if candidate.parent != folder or not candidate.is_file():
        known = ", ".join(sorted(bundled_scenarios()))
        raise InvalidInput(
            "scenario",
            f"Scénario introuvable « {ref} » : un scénario fourni ({known}), un scénario "
            "déposé dans la console ou un fichier du dossier des scénarios du service.",
        )
    return str(candidate)


@router.get("/schedules", responses=responses(401), summary="Le programme d'exercices")
def list_schedules(service: CurrentService, _: CurrentActor) -> list[dict[str, Any]]:
    with service.bus.reading() as uow:
        return programme_view(uow, now=service.clock.now())


@router.post(
    "/schedules",
    dependencies=[allowed(AddDrillSchedule)],
    status_code=201,
    responses=WRITE_ERRORS,
    summary="Programmer un exercice récurrent (heure de Paris)",
)
async def add_schedule(
    body: DrillScheduleCreate,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    key: IdempotencyKey = None,
) -> JSONResponse:
    with service.bus.reading() as uow:
        scenario = _api_scenario(body.scenario, service.settings, uow)
    command = AddDrillSchedule(
        name=body.name,
        scenario=scenario,
        rrule=body.rrule,
        cron=body.cron,
        starts_at=body.starts_at,
        notice_days=body.notice_days,
        mode=body.mode,
    )
    now = service.clock.now()

    def present(_: UnitOfWork, created: Any) -> tuple[int, Any]:
        return 201, schedule_view(created, now=now)

    payload = body.model_dump_json().encode()
    return run_command(service, actor, request, payload, command, key, present)


@router.delete(
    "/schedules/{schedule_id}",
    dependencies=[allowed(RemoveDrillSchedule)],
    responses=WRITE_ERRORS,
    summary="Retirer une entrée du programme",
)
async def remove_schedule(
    schedule_id: str,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    key: IdempotencyKey = None,
) -> JSONResponse:
    def present(_: UnitOfWork, removed: Any) -> tuple[int, Any]:
        return 200, {"id": removed, "removed": True}

    command = RemoveDrillSchedule(schedule_id=schedule_id)
    return run_command(service, actor, request, b"", command, key, present)


@router.get(
    "/schedule.ics",
    responses={200: {"content": {"text/calendar": {}}}, **responses(401)},
    summary="Les prochains exercices, au format iCalendar",
)
def schedule_ics(
    service: CurrentService,
    _: CurrentActor,
    count: Annotated[int, Query(ge=1, le=500, description="Exercices par entrée.")] = 10,
) -> Response:
    with service.bus.reading() as uow:
        data = programme_ical(uow, now=service.clock.now(), count=count)
    return Response(data, media_type="text/calendar; charset=utf-8")

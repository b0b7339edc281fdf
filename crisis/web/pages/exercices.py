"""Les exercices (`/exercices`): scenarios, a drill played now, the programme and its history.

The bundled scenarios, those uploaded to the console (kept in the database: `UploadScenario`,
checked by the drills' own loader, each problem with its line and field; removable) and those
of the service's scenario folder, with their objectives, injects and faults; a scenario played
now (`PlayDrill`: journalled, played on the virtual clock in its own sandboxed service and
recorded exactly as a programmed run), its progress shown until its timing report opens; the
exercise programme (entries with their next three dates in Paris time, added and removed
through the programme's commands, the iCalendar file) and the history of every drill played,
programmed or on demand, with its verdict and its report.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from crisis.domain.errors import Conflict, FieldCheck, InvalidInput, NotFound
from crisis.domain.programme import (
    DRILL_MODE_LABELS,
    ONE_OFF,
    AddDrillSchedule,
    DrillClaim,
    DrillMode,
    DrillRun,
    DrillSchedule,
    PlayDrill,
    RemoveDrillSchedule,
    RemoveScenario,
    RunState,
    UploadScenario,
)
from crisis.exercise_titles import without_exercise_word
from crisis.labels import CLOCK_SHORT_LABELS, COMMITMENT_STATE_LABELS
from crisis.reporting.report_models import TimingReport
from crisis.services.programme_handlers import occurrence_key
from crisis.services.programme_views import programme_ical, programme_view
from crisis.services.registry import may_run
from crisis.services.scenario_library import InvalidScenario, scenario_catalogue
from crisis.services.situation_cache import SituationCache
from crisis.store.journal_export import ExportedJournal
from crisis.store.unit_of_work import UnitOfWork
from crisis.web import forms
from crisis.web.commands import allowed_to, run
from crisis.web.field_errors import field_errors, refuse_with_the_rest
from crisis.web.pages.rapports import KINDS, report_download
from crisis.web.rendering import page
from crisis.web.replay_export import export_document
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, PostedForm, SignedIn, service_of
from crisis.web.uploads import read_upload, rehearsed
from drills.model import load_scenario_text
from drills.programme import DrillProgress
from drills.runner import JOURNAL_FILE

router = console_router()

MAX_HISTORY = 50
ORIGINS = {"fourni": "fourni", "déposé": "déposé dans la console", "dossier": "dossier du service"}
DONE = {
    "ajoute": "Entrée ajoutée au programme.",
    "retire": "Entrée retirée du programme.",
    "depose": "Scénario déposé : il est listé ci-dessous, prêt à être joué ou programmé.",
    "scenario_retire": "Scénario retiré.",
}


@dataclass(frozen=True, slots=True)
class PlayedRun:
    """A run of the history, or the drill the page follows: named, with its report's address."""

    schedule: DrillSchedule
    run: DrillRun
    # (minute played, minutes in all) while this service plays it, else None
    progress: tuple[int, int] | None = None

    @property
    def on_demand(self) -> bool:
        return self.schedule.rule_kind == ONE_OFF

    @property
    def scenario(self) -> str:
        return self.schedule.scenario_title

    @property
    def subject(self) -> str:
        """What the drill is about, without the « Exercice — » its title may start with."""
        return without_exercise_word(self.schedule.scenario_title)

    @property
    def started_by(self) -> str:
        return self.schedule.created_by

    @property
    def address(self) -> str:
        return f"/exercices/essais/{self.schedule.id}/{occurrence_key(self.run.occurrence)}"

    @property
    def report_file(self) -> Path | None:
        if self.run.report_dir is None:
            return None
        path = Path(self.run.report_dir) / "report.json"
        return path if path.is_file() else None

    @property
    def step(self) -> int:
        return (self.progress or (0, 1))[0]

    @property
    def steps(self) -> int:
        return (self.progress or (0, 1))[1]


def _history(uow: UnitOfWork, progress: DrillProgress) -> list[PlayedRun]:
    runs = sorted(uow.programme.runs(), key=lambda r: r.occurrence, reverse=True)[:MAX_HISTORY]
    schedules = uow.programme.by_ids({r.schedule_id for r in runs})
    return [
        PlayedRun(schedules[r.schedule_id], r, progress.of(r.report_dir or ""))
        for r in runs
        if r.schedule_id in schedules
    ]


def _page(
    request: Request, session: SignedIn, extra: dict[str, Any] | None = None, status: int = 200
) -> Response:
    service = service_of(request)
    now = service.clock.now()
    with service.bus.reading() as uow:
        programme = programme_view(uow, now=now)
        history = _history(uow, service.drill_progress)
        scenarios = scenario_catalogue(uow, service.settings.resolved_drill_scenarios_dir)
    context: dict[str, Any] = {
        "scenarios": scenarios,
        "scenario_options": [(e.ref, e.scenario.title) for e in scenarios if e.scenario],
        "programme": programme,
        "history": history,
        "states": COMMITMENT_STATE_LABELS,
        "clock_labels": CLOCK_SHORT_LABELS,
        "origins": ORIGINS,
        "modes": [(m.value, label) for m, label in DRILL_MODE_LABELS.items()],
        "kind_labels": dict(KINDS),
        "may_play": may_run(session.user.role, PlayDrill),
        "checked": None,
        "done": "",
        "problems": [],
        "errors": {},
        "programme_refused": False,
        "values": {"idempotency_key": str(uuid.uuid4()), "notice_days": "7", "mode": "unattended"},
        **(extra or {}),
    }
    return page(request, "exercices.html.j2", context, session=session, status_code=status)


@router.get("/exercices")
def drills(request: Request, session: CurrentUser, fait: str = "") -> Response:
    return _page(request, session, {"done": DONE.get(fait, "")})


# Uploaded scenarios: checked, kept, removed.


@router.post("/exercices/scenarios", dependencies=[allowed_to(UploadScenario)])
async def upload(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    """« Vérifier » rehearses the upload (nothing kept); « Déposer » keeps a valid file."""
    try:
        missing = "Choisissez le fichier du scénario (YAML)."
        file_name, content = await read_upload(form, "scenario", missing=missing)
    except InvalidInput as error:
        return _page(request, session, {"errors": {"scenario": error.message}}, status=422)
    command = UploadScenario(file_name=file_name, content=content)
    keep = form.get("action") == "deposer"
    try:
        if keep:
            run(request, session, form, command, keyed=False)
        else:
            kept = await rehearsed(request, session, command)
    except InvalidScenario as error:
        return _page(request, session, {"problems": error.problems}, status=422)
    except (InvalidInput, Conflict) as error:
        status = 409 if isinstance(error, Conflict) else 422
        return _page(request, session, {"errors": {"scenario": error.message}}, status=status)
    if keep:
        return RedirectResponse("/exercices?fait=depose#contenu", status_code=303)
    checked = load_scenario_text(kept.content, Path(kept.file_name))
    return _page(request, session, {"checked": (kept, checked)})


@router.post("/exercices/scenarios/{name}/retirer")
def remove_scenario(
    request: Request, name: str, session: CurrentUser, form: PostedForm
) -> Response:
    run(request, session, form, RemoveScenario(name=name), keyed=False)
    return RedirectResponse("/exercices?fait=scenario_retire#scenarios", status_code=303)


# A drill played now, through `PlayDrill`, then followed until its report.


def _claimed(_: UnitOfWork, claim: DrillClaim) -> tuple[int, dict[str, str]]:
    return 200, {"schedule_id": claim.schedule_id, "key": occurrence_key(claim.occurrence)}


def _known(request: Request, ref: str) -> str:
    """A scenario the page lists: never any file of the server a form might name."""
    service = service_of(request)
    with service.bus.reading() as uow:
        catalogue = scenario_catalogue(uow, service.settings.resolved_drill_scenarios_dir)
    if ref not in {e.ref for e in catalogue if e.scenario is not None}:
        raise InvalidInput(
            "scenario", f"Scénario inconnu : « {ref} ». Choisissez-le dans la liste."
        )
    return ref


@router.post("/exercices/jouer", dependencies=[allowed_to(PlayDrill)])
def play_now(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    ref = _known(request, forms.text(form, "scenario", limit=500))
    command = PlayDrill(scenario=ref)
    claimed = run(request, session, form, command, _claimed, keyed=False)
    return RedirectResponse(
        f"/exercices/essais/{claimed['schedule_id']}/{claimed['key']}", status_code=303
    )


def _played(request: Request, schedule_id: str, key: str) -> PlayedRun:
    service = service_of(request)
    with service.bus.reading() as uow:
        schedule = uow.programme.by_ids({schedule_id}).get(schedule_id)
        runs = uow.programme.runs(schedule_id) if schedule is not None else []
    found = next((r for r in runs if occurrence_key(r.occurrence) == key), None)
    if schedule is None or found is None:
        raise NotFound("Aucun exercice joué ne correspond à cette adresse.")
    return PlayedRun(schedule, found, service.drill_progress.of(found.report_dir or ""))


def _journal_file(played: PlayedRun) -> Path | None:
    """The journal a programmed drill kept beside its report (drills.runner.JOURNAL_FILE)."""
    if played.run.report_dir is None:
        return None
    path = Path(played.run.report_dir) / JOURNAL_FILE
    return path if path.is_file() else None


@router.get("/exercices/essais/{schedule_id}/{key}/relecture.html")
def drill_replay_export(
    request: Request, schedule_id: str, key: str, session: CurrentUser
) -> Response:
    """The drill's replay as one self-contained HTML file, from the journal it kept."""
    path = _journal_file(_played(request, schedule_id, key))
    if path is None:
        raise NotFound(
            "La relecture de cet exercice n'est pas disponible : son journal n'a pas été "
            "conservé sur cette instance du service."
        )
    journal = ExportedJournal(path.read_text("utf-8").splitlines())
    (crisis_id,) = journal.streams
    document = export_document(
        journal, SituationCache(), crisis_id, now=service_of(request).clock.now()
    )
    return Response(
        document,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="relecture-{crisis_id}.html"',
            "Cache-Control": "no-store",
        },
    )


def _report(played: PlayedRun) -> TimingReport:
    path = played.report_file
    if path is None:
        raise NotFound(
            "Le rapport de cet exercice n'est pas sur cette instance du service "
            "(il est écrit par celle qui l'a joué) ; son verdict est dans l'historique."
        )
    return TimingReport.model_validate_json(path.read_text("utf-8"))


@router.get("/exercices/essais/{schedule_id}/{key}")
def played(request: Request, schedule_id: str, key: str, session: CurrentUser) -> Response:
    found = _played(request, schedule_id, key)
    if found.run.state is not RunState.DONE:
        return page(
            request,
            "exercice_en_cours.html.j2",
            {"play": found, "failed": found.run.state is not RunState.RUNNING},
            session=session,
        )
    return page(
        request,
        "rapport.html.j2",
        {
            "r": _report(found),
            "kind_labels": dict(KINDS),
            "states": COMMITMENT_STATE_LABELS,
            "report_base": found.address,
            "replay_export": f"{found.address}/relecture.html" if _journal_file(found) else "",
            "parent": ("/exercices", "Exercices"),
        },
        session=session,
    )


@router.get("/exercices/essais/{schedule_id}/{key}/etat")
def progress(request: Request, schedule_id: str, key: str, session: CurrentUser) -> Response:
    """The progress fragment htmx polls; once the run is over, htmx is sent to its page."""
    found = _played(request, schedule_id, key)
    if found.run.state is not RunState.RUNNING:
        return Response(headers={"HX-Redirect": found.address})
    return page(request, "exercice_avancement.html.j2", {"play": found}, session=session)


@router.get("/exercices/essais/{schedule_id}/{key}/rapport.{extension}")
def played_download(
    request: Request, schedule_id: str, key: str, extension: str, session: CurrentUser
) -> Response:
    return report_download(_report(_played(request, schedule_id, key)), extension)


@router.get("/exercices/essais/{schedule_id}/{key}/chronologie.svg")
def played_timeline(request: Request, schedule_id: str, key: str, session: CurrentUser) -> Response:
    return report_download(_report(_played(request, schedule_id, key)), "svg")


# The programme.


SCHEDULE_FIELDS = (
    "idempotency_key",
    "name",
    "scenario",
    "rrule",
    "cron",
    "starts_at",
    "notice_days",
    "mode",
)


def _schedule_command(form: FormData, check: FieldCheck) -> AddDrillSchedule:
    """The form read whole: a field it cannot read is noted in `check`, the others still are."""
    mode = check.read(lambda: _drill_mode(forms.text(form, "mode", limit=40)))
    notice = check.read(lambda: forms.text(form, "notice_days", limit=4)) or "7"
    if not notice.isdigit():
        check.add("notice_days", "Nombre de jours entier attendu.")
    rule = check.read(lambda: forms.text(form, "rrule", limit=500))
    cron = check.read(lambda: forms.text(form, "cron", limit=200))
    return AddDrillSchedule(
        name=check.read(lambda: forms.text(form, "name", limit=200)) or "",
        scenario=check.read(lambda: forms.text(form, "scenario", limit=500)) or "",
        rrule=rule or None,
        cron=cron or None,
        starts_at=check.read(lambda: forms.paris_instant(form, "starts_at")),
        notice_days=int(notice) if notice.isdigit() else 0,
        mode=mode or DrillMode.UNATTENDED,
    )


def _drill_mode(value: str) -> DrillMode:
    try:
        return DrillMode(value)
    except ValueError:
        raise InvalidInput("mode", "Choisissez le mode dans la liste.") from None


@router.post("/exercices/programme", dependencies=[allowed_to(AddDrillSchedule)])
def add_schedule(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    """Every problem at once: the form's own (a field unreadable) and the service layer's."""
    check = FieldCheck()
    command = _schedule_command(form, check)
    try:
        check.read(lambda: _known(request, command.scenario))
        refuse_with_the_rest(check, service_of(request).bus, command, session.actor)
        run(request, session, form, command)
    except InvalidInput as error:
        values = {name: forms.text(form, name, limit=1000) for name in SCHEDULE_FIELDS}
        errors = field_errors(error)
        # « one rule or the other » is said beside the first of the two fields
        if "rule" in errors:
            errors.setdefault("rrule", errors.pop("rule"))
        context = {"errors": errors, "values": values, "programme_refused": True}
        return _page(request, session, context, status=422)
    return RedirectResponse("/exercices?fait=ajoute#programme", status_code=303)


@router.post("/exercices/programme/{schedule_id}/retirer")
def remove_schedule(
    request: Request, schedule_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    run(request, session, form, RemoveDrillSchedule(schedule_id=schedule_id), keyed=False)
    return RedirectResponse("/exercices?fait=retire#programme", status_code=303)


@router.get("/exercices/programme.ics")
def calendar(request: Request, session: CurrentUser) -> Response:
    service = service_of(request)
    with service.bus.reading() as uow:
        data = programme_ical(uow, now=service.clock.now())
    return Response(
        data,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="programme-exercices.ics"'},
    )

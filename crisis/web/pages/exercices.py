"""Les exercices (`/exercices`): scenarios, a drill played now, the programme and its history.

The bundled scenarios and those of the service's scenario folder, with their objectives,
injects and faults; an uploaded scenario checked by the drills' own loader (each problem
with its line and field); a scenario played now on the virtual clock by the drill runner
(in its own sandboxed service, as `crisis drill run` does), its progress shown until its
timing report opens; the exercise programme (entries with their next three dates in Paris
time, added and removed through the programme's commands, the iCalendar file) and the
history of the programmed drills with their verdicts.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from crisis.bootstrap import Service, bootstrap
from crisis.domain.errors import InvalidInput, NotFound
from crisis.domain.programme import (
    DRILL_MODE_LABELS,
    AddDrillSchedule,
    DrillMode,
    RemoveDrillSchedule,
)
from crisis.labels import COMMITMENT_STATE_LABELS
from crisis.reporting.report_models import TimingReport
from crisis.services.bus import Forbidden
from crisis.services.programme_views import programme_ical, programme_view
from crisis.services.registry import may_run
from crisis.web import forms
from crisis.web.commands import run
from crisis.web.pages.rapports import KINDS, report_download
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, PostedForm, SignedIn, service_of
from crisis.web.uploads import read_upload
from drills.model import Scenario, ScenarioError, bundled_scenarios, load_scenario
from drills.runner import DrillRunner

router = console_router()


@dataclass
class DrillPlay:
    """A drill played from the console, in this process: its progress, then its report."""

    scenario: str
    started_by: str
    step: int = 0
    steps: int = 1
    report: TimingReport | None = None
    error: str = ""
    done: threading.Event = field(default_factory=threading.Event)


_PLAYS: dict[str, DrillPlay] = {}


def _scenarios(request: Request) -> list[tuple[str, str, Scenario | None, str]]:
    """(reference, origin, scenario or None, problem) for each bundled and folder scenario."""
    found: list[tuple[str, str, Scenario | None, str]] = []
    for name, path in sorted(bundled_scenarios().items()):
        found.append((name, "fourni", load_scenario(path), ""))
    folder = service_of(request).settings.resolved_drill_scenarios_dir
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            try:
                found.append((path.name, "déposé", load_scenario(path), ""))
            except ScenarioError as error:
                found.append((path.name, "déposé", None, " ; ".join(error.problems)))
    return found


def _page(
    request: Request, session: SignedIn, extra: dict[str, Any] | None = None, status: int = 200
) -> Response:
    service = service_of(request)
    now = service.clock.now()
    with service.bus.unit_of_work() as uow:
        programme = programme_view(uow, now=now)
        runs = sorted(uow.programme.runs(), key=lambda r: r.occurrence, reverse=True)[:50]
        names = {s.id: s.name for s in uow.programme.active()}
    scenarios = _scenarios(request)
    context: dict[str, Any] = {
        "scenarios": scenarios,
        "scenario_options": [(ref, s.title) for ref, _, s, _ in scenarios if s is not None],
        "programme": programme,
        "runs": runs,
        "schedule_names": names,
        "states": COMMITMENT_STATE_LABELS,
        "modes": [(m.value, label) for m, label in DRILL_MODE_LABELS.items()],
        "kind_labels": dict(KINDS),
        "may_play": may_run(session.user.role, AddDrillSchedule),
        "checked": None,
        "done": "",
        "problems": [],
        "errors": {},
        "values": {"idempotency_key": str(uuid.uuid4()), "notice_days": "7", "mode": "unattended"},
        **(extra or {}),
    }
    return page(request, "exercices.html.j2", context, session=session, status_code=status)


@router.get("/exercices")
def drills(request: Request, session: CurrentUser, fait: str = "") -> Response:
    done = {"ajoute": "Entrée ajoutée au programme.", "retire": "Entrée retirée du programme."}
    return _page(request, session, {"done": done.get(fait, "")})


@router.post("/exercices/valider")
async def validate(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    try:
        file_name, content = await read_upload(form, "scenario")
    except InvalidInput as error:
        return _page(request, session, {"errors": {"scenario": error.message}}, status=422)
    with TemporaryDirectory(prefix="crisis-scenario-") as scratch:
        path = Path(scratch) / Path(file_name).name
        path.write_bytes(content)
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            # The loader names the file by its path: the user knows it by its name.
            problems = [p.replace(str(path), file_name) for p in error.problems]
            return _page(request, session, {"problems": problems}, status=422)
    return _page(request, session, {"checked": (file_name, scenario)})


def _play(play: DrillPlay, scenario: Scenario, service: Service) -> None:
    def progress(step: int, steps: int) -> None:
        play.step, play.steps = step, steps

    try:
        with TemporaryDirectory(prefix="crisis-drill-console-") as out:
            runner = DrillRunner(
                scenario, start=service.clock.now(), make_service=bootstrap, progress=progress
            )
            play.report = runner.run(Path(out)).report
    except Exception as error:  # the page says it failed; the runner logged nothing itself
        play.error = f"{type(error).__name__} : {error}"
    finally:
        play.done.set()


@router.post("/exercices/jouer")
def play_now(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    # Playing a drill is the programme keepers' (the command table's rule for the programme).
    if not may_run(session.user.role, AddDrillSchedule):
        raise Forbidden("Votre rôle ne permet pas de jouer un exercice.")
    ref = forms.text(form, "scenario", limit=500)
    known = {name: scenario for name, _, scenario, _ in _scenarios(request) if scenario}
    if ref not in known:
        raise InvalidInput("scenario", f"Scénario inconnu : {ref}.")
    play_id = str(uuid.uuid4())
    play = DrillPlay(scenario=known[ref].title, started_by=session.user.name)
    _PLAYS[play_id] = play
    threading.Thread(
        target=_play,
        args=(play, known[ref], service_of(request)),
        name=f"exercice-console-{play_id[:8]}",
        daemon=True,
    ).start()
    return RedirectResponse(f"/exercices/essais/{play_id}", status_code=303)


def _played(play_id: str) -> DrillPlay:
    play = _PLAYS.get(play_id)
    if play is None:
        raise NotFound("Exercice inconnu (le service a peut-être redémarré depuis).")
    return play


def _finished(play_id: str) -> TimingReport:
    report = _played(play_id).report
    if report is None:
        raise NotFound("L'exercice n'est pas terminé.")
    return report


@router.get("/exercices/essais/{play_id}")
def played(request: Request, play_id: str, session: CurrentUser) -> Response:
    play = _played(play_id)
    if play.report is None:
        return page(
            request,
            "exercice_en_cours.html.j2",
            {"play": play, "play_id": play_id},
            session=session,
        )
    return page(
        request,
        "rapport.html.j2",
        {
            "r": play.report,
            "kind_labels": dict(KINDS),
            "states": COMMITMENT_STATE_LABELS,
            "report_base": f"/exercices/essais/{play_id}",
            "parent": ("/exercices", "Exercices"),
        },
        session=session,
    )


@router.get("/exercices/essais/{play_id}/etat")
def progress(request: Request, play_id: str, session: CurrentUser) -> Response:
    """The progress fragment htmx polls; once the report exists, htmx is sent to it."""
    play = _played(play_id)
    if play.done.is_set():
        return Response(headers={"HX-Redirect": f"/exercices/essais/{play_id}"})
    return page(
        request, "exercice_avancement.html.j2", {"play": play, "play_id": play_id}, session=session
    )


@router.get("/exercices/essais/{play_id}/rapport.{extension}")
def played_download(
    request: Request, play_id: str, extension: str, session: CurrentUser
) -> Response:
    return report_download(_finished(play_id), extension)


@router.get("/exercices/essais/{play_id}/chronologie.svg")
def played_timeline(request: Request, play_id: str, session: CurrentUser) -> Response:
    return report_download(_finished(play_id), "svg")


# The programme.


SCHEDULE_FIELDS = (
    "idempotency_key",
    "name",
    "scenario",
    "rrule",
    "starts_at",
    "notice_days",
    "mode",
)


def _schedule_command(form: FormData) -> AddDrillSchedule:
    try:
        mode = DrillMode(forms.text(form, "mode", limit=40))
    except ValueError:
        raise InvalidInput("mode", "Choisissez le mode dans la liste.") from None
    notice = forms.text(form, "notice_days", limit=4) or "7"
    if not notice.isdigit():
        raise InvalidInput("notice_days", "Nombre de jours entier attendu.")
    rule = forms.text(form, "rrule", limit=500)
    return AddDrillSchedule(
        name=forms.text(form, "name", limit=200),
        scenario=forms.text(form, "scenario", limit=500),
        rrule=rule or None,
        starts_at=forms.paris_instant(form, "starts_at"),
        notice_days=int(notice),
        mode=mode,
    )


@router.post("/exercices/programme")
def add_schedule(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    try:
        run(request, session, form, _schedule_command(form))
    except InvalidInput as error:
        values = {
            name: forms.text(form, name, limit=1000)
            for name in (
                "idempotency_key",
                "name",
                "scenario",
                "rrule",
                "starts_at",
                "notice_days",
                "mode",
            )
        }
        context = {"errors": {error.field: error.message}, "values": values}
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
    with service.bus.unit_of_work() as uow:
        data = programme_ical(uow, now=service.clock.now())
    return Response(
        data,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="programme-exercices.ics"'},
    )

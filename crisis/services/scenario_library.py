"""Drill scenarios: the bundled ones, the service's folder, and those uploaded to the console.

An uploaded scenario is checked by the drills' own loader (each problem with its line and
field) and kept in the database only if valid: every instance of the service lists and plays
it, and a restart keeps it. It is referred to by its name (the file's name without `.yaml`,
in lower case), as a bundled scenario is; a file of the folder by its path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from crisis.domain.contacts import fold
from crisis.domain.errors import Conflict, InvalidInput, NotFound
from crisis.domain.programme import RemoveScenario, UploadedScenario, UploadScenario
from crisis.services.context import HandlerContext, Outcome
from crisis.store.journal import SYSTEM_STREAM
from crisis.store.unit_of_work import UnitOfWork
from drills.model import (
    Scenario,
    ScenarioError,
    bundled_scenarios,
    load_scenario,
    load_scenario_text,
)

MAX_SCENARIO_BYTES = 1_000_000
MAX_NAME_LENGTH = 100
_NOT_IN_NAME = re.compile(r"[^a-z0-9]+")


class InvalidScenario(InvalidInput):
    """A scenario file refused: every problem, each with its line and field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("scenario", " ; ".join(problems))
        self.problems = problems


def scenario_name(file_name: str) -> str:
    """« Crue Orge (v2).yaml » → « crue-orge-v2 »."""
    stem = Path(file_name).name.rsplit(".", 1)[0] if "." in file_name else Path(file_name).name
    return _NOT_IN_NAME.sub("-", fold(stem)).strip("-")[:MAX_NAME_LENGTH]


def scenario_path(ref: str) -> Path:
    bundled = bundled_scenarios()
    if ref in bundled:
        return bundled[ref]
    path = Path(ref)
    if not path.is_file():
        known = ", ".join(sorted(bundled))
        raise InvalidInput(
            "scenario", f"Scénario introuvable « {ref} » (fichier, ou l'un de : {known})."
        )
    return path


def load_scenario_ref(ref: str, uow: UnitOfWork) -> Scenario:
    """A bundled name, an uploaded scenario's name, or a file; a ScenarioError becomes a 422
    naming file, line and field."""
    try:
        if ref not in bundled_scenarios():
            uploaded = uow.programme.scenario(ref)
            if uploaded is not None:
                return load_scenario_text(uploaded.content, Path(uploaded.file_name))
        return load_scenario(scenario_path(ref))
    except ScenarioError as error:
        raise InvalidInput("scenario", " ; ".join(error.problems)) from None


def upload_scenario(cmd: UploadScenario, ctx: HandlerContext) -> Outcome:
    name = scenario_name(cmd.file_name)
    if not name:
        raise InvalidInput("scenario", "Nommez le fichier avec des lettres ou des chiffres.")
    if len(cmd.content) > MAX_SCENARIO_BYTES:
        raise InvalidInput("scenario", "Le scénario dépasse 1 Mo.")
    if name in bundled_scenarios():
        raise Conflict(f"« {name} » est le nom d'un scénario fourni : renommez le fichier.")
    if ctx.uow.programme.scenario(name) is not None:
        raise Conflict(
            f"Un scénario déposé s'appelle déjà « {name} » : retirez-le d'abord, "
            "ou renommez le fichier."
        )
    try:
        text = cmd.content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidScenario(
            [f"{cmd.file_name} : encodage illisible, enregistrez le fichier en UTF-8"]
        ) from None
    try:
        scenario = load_scenario_text(text, Path(cmd.file_name))
    except ScenarioError as error:
        raise InvalidScenario(error.problems) from None
    kept = UploadedScenario(
        name=name,
        file_name=cmd.file_name,
        title=scenario.title,
        content=text,
        sha256=hashlib.sha256(cmd.content).hexdigest(),
        uploaded_by=ctx.actor.name,
        uploaded_at=ctx.now,
    )
    ctx.uow.programme.add_scenario(kept)
    journal = {"name": name, "title": scenario.title}
    return Outcome(result=kept, stream=SYSTEM_STREAM, journal=journal)


def remove_scenario(cmd: RemoveScenario, ctx: HandlerContext) -> Outcome:
    if cmd.name in bundled_scenarios():
        raise Conflict("Un scénario fourni avec le service ne peut pas être retiré.")
    kept = ctx.uow.programme.scenario(cmd.name)
    if kept is None:
        raise NotFound(f"Aucun scénario déposé ne s'appelle « {cmd.name} ».")
    users = [s.name for s in ctx.uow.programme.active() if s.scenario == cmd.name]
    if users:
        raise Conflict(
            f"Le scénario « {kept.title} » est au programme ({', '.join(users)}) : "
            "retirez d'abord ces entrées du programme."
        )
    ctx.uow.programme.remove_scenario(cmd.name)
    journal = {"name": kept.name, "title": kept.title, "sha256": kept.sha256}
    return Outcome(result=kept.name, stream=SYSTEM_STREAM, journal=journal)


@dataclass(frozen=True, slots=True)
class ScenarioEntry:
    """One scenario as the console lists it."""

    ref: str  # what a programme entry and « play now » name it by
    name: str  # as people see it
    origin: str  # fourni, déposé dans la console, dossier du service
    scenario: Scenario | None
    problem: str = ""
    removable: bool = False


def scenario_catalogue(uow: UnitOfWork, folder: Path) -> list[ScenarioEntry]:
    """The bundled scenarios, those uploaded to the console, then those of the folder."""
    found = [
        ScenarioEntry(name, name, "fourni", load_scenario(path))
        for name, path in sorted(bundled_scenarios().items())
    ]
    for kept in uow.programme.scenarios():
        try:
            scenario = load_scenario_text(kept.content, Path(kept.file_name))
            found.append(ScenarioEntry(kept.name, kept.name, "déposé", scenario, removable=True))
        except ScenarioError as error:  # valid when kept: the loader grew stricter since
            problem = " ; ".join(error.problems)
            found.append(ScenarioEntry(kept.name, kept.name, "déposé", None, problem, True))
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            try:
                found.append(ScenarioEntry(str(path), path.name, "dossier", load_scenario(path)))
            except ScenarioError as error:
                problem = " ; ".join(error.problems)
                found.append(ScenarioEntry(str(path), path.name, "dossier", None, problem))
    return found

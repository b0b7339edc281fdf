"""Routes of `/api/v1/contacts`: the directory of recipients, CSV import, named lists."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from crisis.api.auth import CurrentActor, CurrentService, allowed
from crisis.api.commands import IdempotencyKey, run_command
from crisis.api.errors import FieldError, error_response, responses
from crisis.api.schemas import Body as RequestBody
from crisis.api.text import OptionalPlainLine, OptionalPlainText, PlainLine, ShortName, StrictFlag
from crisis.domain.contact_commands import (
    AddToContactList,
    ContactInput,
    CreateContact,
    CreateContactList,
    DeactivateContact,
    ImportContacts,
    ReactivateContact,
    RemoveFromContactList,
    UpdateContact,
)
from crisis.domain.contacts import (
    MAX_COMMUNE_LENGTH,
    MAX_FONCTION_LENGTH,
    MAX_LIST_NAME_LENGTH,
    MAX_NAME_LENGTH,
    Category,
    Contact,
    ContactList,
    InvalidContacts,
    Problem,
)
from crisis.domain.errors import InvalidInput
from crisis.domain.vocabulary import Audience
from crisis.services.contact_handlers import ImportReport, ListChange
from crisis.store.unit_of_work import UnitOfWork

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])

WRITE_ERRORS = responses(401, 403, 404, 409, 422)
MAX_UPLOAD_BYTES = 5_000_000


class ContactWrite(RequestBody):
    name: PlainLine = Field(min_length=1, max_length=MAX_NAME_LENGTH, examples=["Jeanne Martin"])
    category: Category
    email: OptionalPlainLine | None = Field(
        default=None, max_length=320, examples=["maire@mairie.fr"]
    )
    mobile: OptionalPlainLine | None = Field(
        default=None,
        max_length=40,
        description="Mobile, tel qu'on le tape (06 12 34 56 78, +33 6…) ; enregistré en E.164.",
    )
    telegram_chat_id: OptionalPlainLine | None = Field(default=None, max_length=32)
    commune: OptionalPlainLine | None = Field(default=None, max_length=MAX_COMMUNE_LENGTH)
    fonction: OptionalPlainLine | None = Field(
        default=None, max_length=MAX_FONCTION_LENGTH, examples=["Maire"]
    )
    exercise: StrictFlag = Field(default=False, description="Participe aux exercices.")

    def to_input(self) -> ContactInput:
        return ContactInput(
            name=self.name,
            category=self.category.value,
            email=self.email,
            mobile=self.mobile,
            telegram_chat_id=self.telegram_chat_id,
            commune=self.commune,
            fonction=self.fonction,
            exercise=self.exercise,
        )


class ContactRead(BaseModel):
    id: str
    key: str = Field(description="Clé stable : e-mail, sinon mobile, sinon Telegram, sinon nom.")
    name: str
    category: Category
    email: str | None
    mobile: str | None
    telegram_chat_id: str | None
    commune: str | None
    fonction: str | None
    exercise: bool
    active: bool = Field(description="Un contact inactif ne reçoit rien.")
    created_at: datetime
    updated_at: datetime


class ContactPage(BaseModel):
    contacts: list[ContactRead]


class ImportProblem(BaseModel):
    line: int | None
    field: str
    reason: str


class ImportResult(BaseModel):
    file_name: str
    sha256: str
    created: int
    updated: int
    unchanged: int
    skipped: int = Field(description="Lignes invalides ignorées (avec `skip_invalid`).")
    errors: list[ImportProblem]


class ContactListCreate(RequestBody):
    name: PlainLine = Field(
        min_length=1, max_length=MAX_LIST_NAME_LENGTH, examples=["maires des communes inondées"]
    )
    description: OptionalPlainText = Field(default="", max_length=2000)


class ContactListRead(BaseModel):
    id: str
    name: str
    description: str
    created_at: datetime
    created_by: str


class ContactListDetail(ContactListRead):
    contacts: list[ContactRead]


class ContactListPage(BaseModel):
    lists: list[ContactListRead]


class MembersChange(RequestBody):
    contacts: list[ShortName] = Field(
        min_length=1, max_length=1000, description="Identifiant, e-mail ou mobile de chacun."
    )


class MembersChanged(BaseModel):
    list_id: str
    changed: list[str] = Field(description="Contacts ajoutés (ou retirés).")
    unchanged: list[str] = Field(description="Déjà dans la liste (ou déjà absents).")


def contact_read(contact: Contact) -> ContactRead:
    return ContactRead(
        id=contact.id,
        key=contact.key,
        name=contact.name,
        category=contact.category,
        email=contact.email,
        mobile=contact.mobile,
        telegram_chat_id=contact.telegram_chat_id,
        commune=contact.commune,
        fonction=contact.fonction,
        exercise=contact.exercise,
        active=contact.active,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
    )


def list_read(contact_list: ContactList) -> ContactListRead:
    return ContactListRead(
        id=contact_list.id,
        name=contact_list.name,
        description=contact_list.description,
        created_at=contact_list.created_at,
        created_by=contact_list.created_by,
    )


def _problem(problem: Problem) -> ImportProblem:
    return ImportProblem(line=problem.line, field=problem.field, reason=problem.reason)


def install_contact_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InvalidContacts)
    async def _invalid_contacts(_: Request, exc: InvalidContacts) -> JSONResponse:
        fields = [FieldError(field=p.field, reason=str(p)) for p in exc.problems]
        return error_response(422, "invalid_input", exc.message, fields)


def _present_contact(status: int) -> Any:
    def present(_: UnitOfWork, contact: Any) -> tuple[int, Any]:
        return status, contact_read(contact).model_dump(mode="json")

    return present


def _present_change(_: UnitOfWork, change: Any) -> tuple[int, Any]:
    assert isinstance(change, ListChange)
    body = MembersChanged(
        list_id=change.contact_list.id, changed=change.changed, unchanged=change.unchanged
    )
    return 200, body.model_dump(mode="json")


# Named lists, import and audiences come before `/{contact_id}`.


@router.get(
    "/lists",
    response_model=ContactListPage,
    responses=responses(401),
    summary="Lister les listes nommées",
)
def list_lists(service: CurrentService, _: CurrentActor) -> ContactListPage:
    with service.bus.reading() as uow:
        return ContactListPage(lists=[list_read(cl) for cl in uow.contacts.lists()])


@router.post(
    "/lists",
    dependencies=[allowed(CreateContactList)],
    status_code=201,
    response_model=ContactListRead,
    responses=responses(401, 403, 409, 422),
    summary="Créer une liste nommée (« maires des communes inondées »)",
)
def create_list(
    body: ContactListCreate,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = CreateContactList(name=body.name, description=body.description)

    def present(_: UnitOfWork, created: Any) -> tuple[int, Any]:
        return 201, list_read(created).model_dump(mode="json")

    payload = body.model_dump_json().encode()
    return run_command(service, actor, request, payload, command, idempotency_key, present)


@router.get(
    "/lists/{list_id}",
    response_model=ContactListDetail,
    responses=responses(401, 404, 422),
    summary="Lire une liste et les contacts qu'elle atteint",
)
def read_list(
    list_id: str,
    service: CurrentService,
    _: CurrentActor,
    exercise: Annotated[
        bool, Query(description="Seulement les contacts qui participent aux exercices.")
    ] = False,
) -> ContactListDetail:
    with service.bus.reading() as uow:
        found = uow.contacts.get_list(list_id)
        members = uow.contacts.resolve(found.id, exercise=exercise)
    return ContactListDetail(
        **list_read(found).model_dump(), contacts=[contact_read(c) for c in members]
    )


@router.post(
    "/lists/{list_id}/members",
    dependencies=[allowed(AddToContactList)],
    response_model=MembersChanged,
    responses=WRITE_ERRORS,
    summary="Ajouter des contacts à une liste",
)
def add_members(
    list_id: str,
    body: MembersChange,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = AddToContactList(list_ref=list_id, contact_refs=tuple(body.contacts))
    payload = body.model_dump_json().encode()
    return run_command(service, actor, request, payload, command, idempotency_key, _present_change)


@router.post(
    "/lists/{list_id}/members/remove",
    dependencies=[allowed(RemoveFromContactList)],
    response_model=MembersChanged,
    responses=WRITE_ERRORS,
    summary="Retirer des contacts d'une liste",
)
def remove_members(
    list_id: str,
    body: MembersChange,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = RemoveFromContactList(list_ref=list_id, contact_refs=tuple(body.contacts))
    payload = body.model_dump_json().encode()
    return run_command(service, actor, request, payload, command, idempotency_key, _present_change)


@router.post(
    "/import",
    dependencies=[allowed(ImportContacts)],
    response_model=ImportResult,
    responses=responses(401, 403, 422),
    summary="Importer un fichier CSV de contacts (tout ou rien, sauf `skip_invalid`)",
    description=(
        "Corps : le fichier CSV tel qu'exporté d'Excel (`text/csv`), séparateur `;` ou `,`, "
        "UTF-8 (avec ou sans BOM) ou Windows-1252. En-tête : "
        "`nom;categorie;email;mobile;telegram;commune`, colonnes facultatives `fonction` et "
        "`exercice`. Un contact existant (même clé) est mis à jour, jamais dupliqué. "
        "Sans `skip_invalid`, une seule ligne invalide fait refuser tout le fichier (422, "
        "chaque ligne en erreur listée)."
    ),
)
def import_contacts(
    content: Annotated[bytes, Body(media_type="text/csv")],
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    skip_invalid: Annotated[
        bool, Query(description="Importer les lignes valides et lister les autres.")
    ] = False,
    file_name: Annotated[
        PlainLine,
        Query(min_length=1, max_length=200, description="Nom du fichier, pour le journal."),
    ] = "contacts.csv",
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidInput(
            "corps", f"Fichier trop volumineux ({MAX_UPLOAD_BYTES // 1_000_000} Mo au plus)."
        )
    command = ImportContacts(file_name=file_name, content=content, skip_invalid=skip_invalid)

    def present(_: UnitOfWork, report: Any) -> tuple[int, Any]:
        assert isinstance(report, ImportReport)
        body = ImportResult(
            file_name=report.file_name,
            sha256=report.sha256,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            skipped=report.skipped,
            errors=[_problem(p) for p in report.problems],
        )
        return 200, body.model_dump(mode="json")

    return run_command(service, actor, request, content, command, idempotency_key, present)


@router.get(
    "/audiences/{audience}",
    response_model=ContactPage,
    responses=responses(401, 422),
    summary="Les contacts qu'un public atteint (le public : aucun, il passe par la diffusion)",
)
def resolve_audience(
    audience: Audience,
    service: CurrentService,
    _: CurrentActor,
    exercise: Annotated[
        bool, Query(description="Seulement les contacts qui participent aux exercices.")
    ] = False,
) -> ContactPage:
    with service.bus.reading() as uow:
        found = uow.contacts.resolve(audience, exercise=exercise)
    return ContactPage(contacts=[contact_read(c) for c in found])


@router.get(
    "",
    response_model=ContactPage,
    responses=responses(401, 422),
    summary="Lister les contacts (par catégorie, participation aux exercices)",
)
def list_contacts(
    service: CurrentService,
    _: CurrentActor,
    category: Annotated[Category | None, Query(description="Seulement cette catégorie.")] = None,
    exercise: Annotated[
        bool | None, Query(description="Participants aux exercices (ou non).")
    ] = None,
    active: Annotated[bool | None, Query(description="Contacts actifs (ou inactifs).")] = None,
) -> ContactPage:
    with service.bus.reading() as uow:
        found = uow.contacts.find(category=category, exercise=exercise, active=active)
    return ContactPage(contacts=[contact_read(c) for c in found])


@router.post(
    "",
    dependencies=[allowed(CreateContact)],
    status_code=201,
    response_model=ContactRead,
    responses=responses(401, 403, 409, 422),
    summary="Créer un contact",
)
def create_contact(
    body: ContactWrite,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = CreateContact(contact=body.to_input())
    payload = body.model_dump_json().encode()
    return run_command(
        service, actor, request, payload, command, idempotency_key, _present_contact(201)
    )


@router.get(
    "/{contact_id}",
    response_model=ContactRead,
    responses=responses(401, 404),
    summary="Lire un contact",
)
def read_contact(contact_id: str, service: CurrentService, _: CurrentActor) -> ContactRead:
    with service.bus.reading() as uow:
        return contact_read(uow.contacts.get(contact_id))


@router.put(
    "/{contact_id}",
    dependencies=[allowed(UpdateContact)],
    response_model=ContactRead,
    responses=WRITE_ERRORS,
    summary="Remplacer les données d'un contact",
)
def update_contact(
    contact_id: str,
    body: ContactWrite,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = UpdateContact(contact_id=contact_id, contact=body.to_input())
    payload = body.model_dump_json().encode()
    return run_command(
        service, actor, request, payload, command, idempotency_key, _present_contact(200)
    )


class Deactivation(RequestBody):
    reason: OptionalPlainLine = Field(
        default="", max_length=500, examples=["a quitté ses fonctions"]
    )


@router.post(
    "/{contact_id}/deactivate",
    dependencies=[allowed(DeactivateContact)],
    response_model=ContactRead,
    responses=WRITE_ERRORS,
    summary="Désactiver un contact : il ne reçoit plus rien",
)
def deactivate_contact(
    contact_id: str,
    body: Deactivation,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = DeactivateContact(contact_id=contact_id, reason=body.reason)
    payload = body.model_dump_json().encode()
    return run_command(
        service, actor, request, payload, command, idempotency_key, _present_contact(200)
    )


@router.post(
    "/{contact_id}/reactivate",
    dependencies=[allowed(ReactivateContact)],
    response_model=ContactRead,
    responses=WRITE_ERRORS,
    summary="Réactiver un contact",
)
def reactivate_contact(
    contact_id: str,
    request: Request,
    service: CurrentService,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    command = ReactivateContact(contact_id=contact_id)
    return run_command(
        service, actor, request, b"", command, idempotency_key, _present_contact(200)
    )

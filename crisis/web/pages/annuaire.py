"""L'annuaire (`/annuaire`): the directory of élus, media and partners, and its named lists.

Search and filters (active contacts by default, inactive ones marked « inactif »); create,
edit, deactivate and reactivate a contact (who takes part in exercises included), and put it
in or take it out of the named lists (`annuaire_listes`); import
the Excel CSV in two steps — the import handler rehearsed on the file (nothing kept) shows
what would change or every error with its line, then one click applies the same file — and
export the directory as the CSV Excel opens. Every change goes through the contact commands.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from crisis.contacts.csv_export import contacts_csv, french_mobile
from crisis.domain.contact_commands import (
    ContactInput,
    CreateContact,
    CreateContactList,
    DeactivateContact,
    ImportContacts,
    ReactivateContact,
    UpdateContact,
)
from crisis.domain.contacts import (
    CATEGORY_LABELS,
    Category,
    Contact,
    ContactList,
    InvalidContacts,
    fold,
)
from crisis.domain.errors import Conflict, InvalidInput
from crisis.services.contact_handlers import ImportReport
from crisis.store.unit_of_work import UnitOfWork
from crisis.web import forms
from crisis.web.commands import allowed_to, run
from crisis.web.field_errors import field_errors
from crisis.web.rendering import page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, PostedForm, SignedIn, service_of
from crisis.web.uploads import carried, preview, read_upload, rehearsed

router = console_router()

PAGE_SIZE = 100
CATEGORIES = [(c.value, label) for c, label in CATEGORY_LABELS.items()]
FIELDS = ("nom", "categorie", "email", "mobile", "telegram", "commune", "fonction")
DONE = {
    "cree": "Contact créé.",
    "modifie": "Contact modifié.",
    "inchange": "Rien n'a changé : le contact était déjà ainsi.",
    "liste": "Liste créée.",
    "desactive": "Contact désactivé : il ne recevra plus rien, ni message ni exercice.",
    "reactive": "Contact réactivé : il recevra de nouveau les messages qui le concernent.",
    "ajoute_liste": "Contact ajouté à la liste.",
    "retire_liste": "Contact retiré de la liste.",
    "deja_liste": "Le contact était déjà dans cette liste.",
}
STATES = {"actifs": True, "inactifs": False, "tous": None}
STATE_OPTIONS = [("actifs", "Actifs"), ("inactifs", "Inactifs"), ("tous", "Tous")]


def _matches(contact: Contact, words: list[str]) -> bool:
    haystack = fold(
        " ".join(v or "" for v in (contact.name, contact.email, contact.mobile, contact.commune))
        + " "
        + (contact.fonction or "")
        + " "
        + french_mobile(contact.mobile).replace(" ", "")
    )
    return all(word in haystack for word in words)


@router.get("/annuaire")
def directory(
    request: Request,
    session: CurrentUser,
    q: str = "",
    categorie: str = "",
    commune: str = "",
    exercice: str = "",
    etat: str = "actifs",
    liste: str = "",
    page_number: int = 1,
    fait: str = "",
) -> Response:
    filters = {"q": q, "categorie": categorie, "commune": commune, "exercice": exercice}
    filters |= {"etat": etat if etat in STATES else "actifs", "liste": liste}
    return directory_page(request, session, filters, page_number=page_number, done=fait)


def directory_page(
    request: Request,
    session: SignedIn,
    filters: dict[str, str],
    *,
    page_number: int = 1,
    done: str = "",
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    """The directory with its filters (and, for a named list, its members' forms)."""
    q, categorie, commune, liste = (filters[k] for k in ("q", "categorie", "commune", "liste"))
    category = Category(categorie) if categorie in Category.__members__.values() else None
    exercise = {"oui": True, "non": False}.get(filters["exercice"])
    with service_of(request).bus.reading() as uow:
        lists = uow.contacts.lists()
        sizes = {cl.id: len(uow.contacts.member_ids(cl.id)) for cl in lists}
        everyone = uow.contacts.find(
            category=category, exercise=exercise, active=STATES.get(filters["etat"], True)
        )
        members = uow.contacts.member_ids(liste) if liste in sizes else None
    communes = sorted({c.commune for c in everyone if c.commune}, key=fold)
    words = fold(q).split()
    found = [
        c
        for c in everyone
        if (not words or _matches(c, words))
        and (not commune or fold(c.commune or "") == fold(commune))
        and (members is None or c.id in members)
    ]
    pages = max(1, -(-len(found) // PAGE_SIZE))
    current = min(max(1, page_number), pages)
    shown = found[(current - 1) * PAGE_SIZE : current * PAGE_SIZE]
    return page(
        request,
        "annuaire.html.j2",
        {
            "contacts": shown,
            "total": len(found),
            "pages": pages,
            "current": current,
            "filters": filters,
            "states": STATE_OPTIONS,
            "chosen_list": next((cl for cl in lists if cl.id == liste), None),
            "categories": CATEGORIES,
            "category_labels": {c.value: label for c, label in CATEGORY_LABELS.items()},
            "commune_options": [(c, c) for c in communes],
            "list_options": [(cl.id, cl.name) for cl in lists],
            "lists": lists,
            "sizes": sizes,
            "mobile": french_mobile,
            "done": DONE.get(done, ""),
            "list_errors": {},
            "list_values": {"idempotency_key": str(uuid.uuid4())},
            "member_errors": {},
            "member_refs": "",
            **(extra or {}),
        },
        session=session,
        status_code=status,
    )


@router.get("/annuaire/export.csv")
def export(request: Request, session: CurrentUser) -> Response:
    service = service_of(request)
    with service.bus.reading() as uow:
        body = contacts_csv(uow.contacts.find())
    day = service.clock.now().strftime("%Y-%m-%d")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="annuaire-{day}.csv"',
            "Cache-Control": "no-store",
        },
    )


# Creating and editing a contact.


def contact_values(contact: Contact | None) -> dict[str, Any]:
    if contact is None:
        empty: dict[str, Any] = dict.fromkeys(FIELDS, "")
        return {
            **empty,
            "idempotency_key": str(uuid.uuid4()),
            "categorie": "elu",
            "exercice": False,
        }
    return {
        "nom": contact.name,
        "categorie": contact.category.value,
        "email": contact.email or "",
        "mobile": french_mobile(contact.mobile),
        "telegram": contact.telegram_chat_id or "",
        "commune": contact.commune or "",
        "fonction": contact.fonction or "",
        "exercice": contact.exercise,
    }


def contact_page(
    request: Request,
    session: SignedIn,
    contact: Contact | None,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    status: int = 200,
    done: str = "",
) -> Response:
    memberships: list[ContactList] = []
    others: list[ContactList] = []
    if contact is not None:
        with service_of(request).bus.reading() as uow:
            inside = uow.contacts.list_ids_of(contact.id)
            for contact_list in uow.contacts.lists():
                (memberships if contact_list.id in inside else others).append(contact_list)
    return page(
        request,
        "annuaire_contact.html.j2",
        {
            "contact": contact,
            "values": values,
            "errors": errors,
            "categories": CATEGORIES,
            "done": DONE.get(done, ""),
            "memberships": memberships,
            "other_lists": [(cl.id, cl.name) for cl in others],
        },
        session=session,
        status_code=status,
    )


def _id(_: UnitOfWork, created: Any) -> tuple[int, Any]:
    """What a replayed double submit finds again: the id of what the first one created."""
    return 201, {"id": created.id}


def _input(form: FormData) -> ContactInput:
    return ContactInput(
        name=forms.text(form, "nom", limit=400),
        category=forms.text(form, "categorie", limit=40),
        email=forms.text(form, "email", limit=400) or None,
        mobile=forms.text(form, "mobile", limit=60) or None,
        telegram_chat_id=forms.text(form, "telegram", limit=60) or None,
        commune=forms.text(form, "commune", limit=400) or None,
        fonction=forms.text(form, "fonction", limit=400) or None,
        exercise=form.get("exercice") == "oui",
    )


def refused_fields(error: InvalidInput | Conflict) -> dict[str, str]:
    if isinstance(error, InvalidInput):
        return field_errors(error)
    return {"general": error.message}


def _posted_values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: forms.text(form, name, limit=10_000) for name in FIELDS}
    values["exercice"] = form.get("exercice") == "oui"
    values["idempotency_key"] = forms.text(form, "idempotency_key", limit=100)
    return values


@router.get("/annuaire/nouveau")
def new_contact(request: Request, session: CurrentUser) -> Response:
    return contact_page(request, session, None, contact_values(None), {})


@router.post("/annuaire/nouveau")
def create_contact(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    try:
        created = run(request, session, form, CreateContact(contact=_input(form)), _id)
    except (InvalidInput, Conflict) as error:
        status = 409 if isinstance(error, Conflict) else 422
        values = _posted_values(form)
        return contact_page(request, session, None, values, refused_fields(error), status=status)
    return RedirectResponse(f"/annuaire/contacts/{created['id']}?fait=cree", status_code=303)


@router.get("/annuaire/contacts/{contact_id}")
def edit_contact(
    request: Request, contact_id: str, session: CurrentUser, fait: str = ""
) -> Response:
    with service_of(request).bus.reading() as uow:
        contact = uow.contacts.get(contact_id)
    return contact_page(request, session, contact, contact_values(contact), {}, done=fait)


@router.post("/annuaire/contacts/{contact_id}")
def update_contact(
    request: Request, contact_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    with service_of(request).bus.reading() as uow:
        before = uow.contacts.get(contact_id)
    try:
        command = UpdateContact(contact_id=contact_id, contact=_input(form))
        run(request, session, form, command, keyed=False)
    except (InvalidInput, Conflict) as error:
        status = 409 if isinstance(error, Conflict) else 422
        values = _posted_values(form)
        return contact_page(request, session, before, values, refused_fields(error), status=status)
    with service_of(request).bus.reading() as uow:
        changed = uow.contacts.get(contact_id).updated_at != before.updated_at
    done = "modifie" if changed else "inchange"
    return RedirectResponse(f"/annuaire/contacts/{contact_id}?fait={done}#contenu", status_code=303)


def _switch(
    request: Request, session: SignedIn, contact_id: str, form: FormData, active: bool
) -> Response:
    with service_of(request).bus.reading() as uow:
        contact = uow.contacts.get(contact_id)
    command: DeactivateContact | ReactivateContact
    if active:
        command = ReactivateContact(contact_id=contact_id)
    else:
        command = DeactivateContact(
            contact_id=contact_id, reason=forms.text(form, "motif", limit=2000)
        )
    try:
        run(request, session, form, command, keyed=False)
    except (InvalidInput, Conflict) as error:
        status = 409 if isinstance(error, Conflict) else 422
        values = contact_values(contact)
        return contact_page(request, session, contact, values, refused_fields(error), status=status)
    done = "reactive" if active else "desactive"
    return RedirectResponse(f"/annuaire/contacts/{contact_id}?fait={done}#contenu", status_code=303)


@router.post("/annuaire/contacts/{contact_id}/desactiver")
def deactivate(
    request: Request, contact_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    return _switch(request, session, contact_id, form, active=False)


@router.post("/annuaire/contacts/{contact_id}/reactiver")
def reactivate(
    request: Request, contact_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    return _switch(request, session, contact_id, form, active=True)


@router.post("/annuaire/listes")
def create_list(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    values = {
        "idempotency_key": forms.text(form, "idempotency_key", limit=100),
        "nom_liste": forms.text(form, "nom_liste", limit=10_000),
        "description": forms.text(form, "description", limit=10_000),
    }
    try:
        command = CreateContactList(
            name=forms.text(form, "nom_liste", limit=400),
            description=forms.text(form, "description", limit=10_000),
        )
        created = run(request, session, form, command, _id)
    except (InvalidInput, Conflict) as error:
        found = refused_fields(error)
        # The command's `name` is the form's « nom_liste »; a conflict is the name's too.
        errors = {"nom_liste" if k in ("name", "general") else k: v for k, v in found.items()}
        filters = dict.fromkeys(("q", "categorie", "commune", "exercice", "liste"), "")
        extra = {"list_errors": errors, "list_values": values}
        status = 409 if isinstance(error, Conflict) else 422
        return directory_page(
            request, session, filters | {"etat": "actifs"}, extra=extra, status=status
        )
    return RedirectResponse(f"/annuaire?liste={created['id']}&fait=liste", status_code=303)


# Importing the Excel file: rehearse, then apply.


def _import_page(
    request: Request, session: SignedIn, context: dict[str, Any], status: int = 200
) -> Response:
    values = {"report": None, "problems": [], "file_error": "", "carried": {}, **context}
    return page(request, "annuaire_import.html.j2", values, session=session, status_code=status)


@router.get("/annuaire/import")
def import_form(request: Request, session: CurrentUser) -> Response:
    return _import_page(request, session, {})


@router.post("/annuaire/import", dependencies=[allowed_to(ImportContacts)])
async def preview_import(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    try:
        file_name, content = await read_upload(form, "fichier")
    except InvalidInput as error:
        return _import_page(request, session, {"file_error": error.message}, status=422)
    command = ImportContacts(file_name=file_name, content=content)
    try:
        report = await rehearsed(request, session, command)
    except InvalidContacts as error:
        refused = {"problems": error.problems, "file_name": file_name}
        return _import_page(request, session, refused, status=422)
    assert isinstance(report, ImportReport)
    return _import_page(request, session, preview(report, file_name, content))


@router.post("/annuaire/import/appliquer", dependencies=[allowed_to(ImportContacts)])
def apply_import(request: Request, session: CurrentUser, form: PostedForm) -> Response:
    file_name, content = carried(form)
    command = ImportContacts(file_name=file_name, content=content)
    try:
        report = run(request, session, form, command)
    except InvalidContacts as error:
        # The directory changed since the preview (another import): say what is wrong now.
        context = {"problems": error.problems, "file_name": command.file_name}
        return _import_page(request, session, context, status=422)
    return _import_page(request, session, {"applied": report})

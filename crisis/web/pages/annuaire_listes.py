"""The members of the named lists, from the directory (`/annuaire?liste=…`) and a contact's page.

Added by e-mail, mobile or identifier (several at once, one a line), or from the contact's
page by choosing the list; taken out one at a time. Through `AddToContactList` and
`RemoveFromContactList`, journalled like the CLI's and the API's.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from crisis.domain.contact_commands import AddToContactList, RemoveFromContactList
from crisis.domain.errors import InvalidInput, NotFound
from crisis.services.contact_handlers import ListChange
from crisis.store.unit_of_work import UnitOfWork
from crisis.web import forms
from crisis.web.commands import run
from crisis.web.pages.annuaire import STATES, contact_page, contact_values, directory_page
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, PostedForm, service_of

router = console_router()

_SEPARATORS = re.compile(r"[\n,;]+")
MAX_REFS = 200


def _changed(_: UnitOfWork, change: ListChange) -> tuple[int, dict[str, Any]]:
    """What the page needs of a list change (and what a replay would find again)."""
    return 200, {"list_id": change.contact_list.id, "changed": len(change.changed)}


def _refs(text: str) -> tuple[str, ...]:
    refs = tuple(dict.fromkeys(r.strip() for r in _SEPARATORS.split(text) if r.strip()))
    if len(refs) > MAX_REFS:
        raise InvalidInput("contacts", f"{MAX_REFS} contacts au plus à la fois.")
    return refs


def _state(form_value: str) -> str:
    return form_value if form_value in STATES else "actifs"


@router.post("/annuaire/listes/{list_id}/membres")
def add_members(request: Request, list_id: str, session: CurrentUser, form: PostedForm) -> Response:
    with service_of(request).bus.reading() as uow:
        target = uow.contacts.get_list(list_id)  # an unknown list: the 404 page
    typed = forms.text(form, "contacts", limit=20_000)
    etat = _state(forms.text(form, "etat", limit=20))
    try:
        command = AddToContactList(list_ref=target.id, contact_refs=_refs(typed))
        change = run(request, session, form, command, _changed, keyed=False)
    except (InvalidInput, NotFound) as error:
        # A contact nobody has, or an ambiguous one: said beside the field, nothing added.
        filters = {"q": "", "categorie": "", "commune": "", "exercice": ""}
        extra = {"member_errors": {"contacts": error.message}, "member_refs": typed}
        filters |= {"etat": etat, "liste": target.id}
        return directory_page(request, session, filters, extra=extra, status=422)
    done = "ajoute_liste" if change["changed"] else "deja_liste"
    return RedirectResponse(
        f"/annuaire?liste={target.id}&etat={etat}&fait={done}#contenu", status_code=303
    )


@router.post("/annuaire/listes/{list_id}/membres/retirer")
def remove_member(
    request: Request, list_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    contact_id = forms.text(form, "contact", limit=100)
    command = RemoveFromContactList(list_ref=list_id, contact_refs=(contact_id,))
    change = run(request, session, form, command, _changed, keyed=False)
    if forms.text(form, "retour", limit=20) == "contact":
        return RedirectResponse(
            f"/annuaire/contacts/{contact_id}?fait=retire_liste#contenu", status_code=303
        )
    etat = _state(forms.text(form, "etat", limit=20))
    target = change["list_id"]
    return RedirectResponse(
        f"/annuaire?liste={target}&etat={etat}&fait=retire_liste#contenu", status_code=303
    )


@router.post("/annuaire/contacts/{contact_id}/listes")
def join_list(
    request: Request, contact_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    with service_of(request).bus.reading() as uow:
        contact = uow.contacts.get(contact_id)
    chosen = forms.text(form, "liste", limit=100)
    try:
        if not chosen:
            raise InvalidInput("liste", "Choisissez une liste.")
        command = AddToContactList(list_ref=chosen, contact_refs=(contact.id,))
        change = run(request, session, form, command, _changed, keyed=False)
    except (InvalidInput, NotFound) as error:
        errors = {"liste": error.message}
        return contact_page(request, session, contact, contact_values(contact), errors, status=422)
    done = "ajoute_liste" if change["changed"] else "deja_liste"
    return RedirectResponse(f"/annuaire/contacts/{contact.id}?fait={done}#contenu", status_code=303)

"""The event page's forms that record something typed: the COD's activation, a clock
correction, an off-service delivery, the CIP's order, the closing. A refused form comes back
on the event page, open, with every error beside its field and listed on top of it (nothing
recorded)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request, Response
from starlette.datastructures import FormData

from crisis.domain.commands import (
    ActivateCod,
    CloseCrisis,
    CodDecision,
    Command,
    CorrectClock,
    RecordDelivery,
)
from crisis.domain.errors import Conflict, FieldCheck, InvalidInput
from crisis.domain.oncall import OrderCip
from crisis.domain.vocabulary import Audience, ClockName
from crisis.services import step_up
from crisis.web import forms
from crisis.web.commands import allowed_to, run
from crisis.web.field_errors import field_errors, refuse_with_the_rest
from crisis.web.pages.event import back, refused_form_page
from crisis.web.pages.step_up import require_fresh_verification
from crisis.web.routing import console_router
from crisis.web.sessions import CurrentUser, PostedForm, SignedIn, service_of

router = console_router()
T = TypeVar("T")

# The fields each form shows again as typed when it is refused.
FIELDS = {
    "cod": ("decided_by", "decided_at", "synergi_ref"),
    "correction": ("clock", "correction", "met_at", "reason"),
    "hors-service": ("audience", "means", "recipients", "delivered_at"),
    "cip": ("numero_unique", "ordered_by"),
    "cloture": ("reason", "erreur"),
}


def _submit(
    request: Request,
    crisis_id: str,
    session: SignedIn,
    form: FormData,
    *,
    name: str,
    build: Callable[[FieldCheck], Command],
) -> Response | None:
    """Run the command the form says; None when it was recorded, else the refused page
    with every problem, the form's and the service layer's."""
    check = FieldCheck()
    command = build(check)
    try:
        refuse_with_the_rest(check, service_of(request).bus, command, session.actor)
        run(request, session, form, command, keyed=False)
    except InvalidInput as error:
        values = {field: forms.text(form, field, limit=10_000) for field in FIELDS[name]}
        errors = field_errors(error)
        return refused_form_page(
            request, crisis_id, session, form=name, errors=errors, values=values
        )
    return None


def _choice(
    check: FieldCheck, form: FormData, field: str, make: Callable[[str], T], why: str
) -> T | None:
    try:
        return make(forms.text(form, field, limit=40))
    except ValueError:
        check.add(field, why)
        return None


@router.post("/evenements/{crisis_id}/corrections", dependencies=[allowed_to(CorrectClock)])
def correct_clock(
    request: Request, crisis_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    def build(check: FieldCheck) -> Command:
        clock = _choice(check, form, "clock", ClockName, "Choisissez l'horloge à corriger.")
        withdrawn = form.get("correction") != "heure"
        met_at = None if withdrawn else check.read(lambda: forms.paris_instant(form, "met_at"))
        if not withdrawn and met_at is None and "met_at" not in check.fields:
            check.add("met_at", "Indiquez l'heure à retenir.")
        return CorrectClock(
            crisis_id=crisis_id,
            clock=clock or ClockName.CELL,
            reason=check.read(lambda: forms.text(form, "reason", limit=500)) or "",
            met_at=met_at,
        )

    refused = _submit(request, crisis_id, session, form, name="correction", build=build)
    return refused or back(crisis_id, "correction", "#horloges")


@router.post(
    "/evenements/{crisis_id}/diffusion-hors-service", dependencies=[allowed_to(RecordDelivery)]
)
def off_service_delivery(
    request: Request, crisis_id: str, session: CurrentUser, form: PostedForm
) -> Response:
    def build(check: FieldCheck) -> Command:
        audience = _choice(check, form, "audience", Audience, "Choisissez le public informé.")
        delivered_at = check.read(lambda: forms.paris_instant(form, "delivered_at"))
        return RecordDelivery(
            crisis_id=crisis_id,
            audience=audience or Audience.ELUS,
            delivered_at=delivered_at or service_of(request).clock.now(),
            means=check.read(lambda: forms.text(form, "means", limit=500)) or "",
            recipients=check.read(lambda: forms.text(form, "recipients", limit=2000)) or "",
        )

    refused = _submit(request, crisis_id, session, form, name="hors-service", build=build)
    return refused or back(crisis_id, "hors-service")


@router.post("/evenements/{crisis_id}/clore", dependencies=[allowed_to(CloseCrisis)])
def close(request: Request, crisis_id: str, session: CurrentUser, form: PostedForm) -> Response:
    mistake = form.get("erreur") == "oui"

    def build(check: FieldCheck) -> Command:
        return CloseCrisis(
            crisis_id=crisis_id,
            reason=check.read(lambda: forms.text(form, "reason")) or "",
            opened_by_mistake=mistake,
        )

    refused = _submit(request, crisis_id, session, form, name="cloture", build=build)
    return refused or back(crisis_id, "erreur" if mistake else "clos")


@router.post("/evenements/{crisis_id}/cip", dependencies=[allowed_to(OrderCip)])
def order_cip(request: Request, crisis_id: str, session: CurrentUser, form: PostedForm) -> Response:
    require_fresh_verification(request, session, step_up.ORDER_CIP, f"/evenements/{crisis_id}#cip")

    def build(check: FieldCheck) -> Command:
        return OrderCip(
            crisis_id=crisis_id,
            numero_unique=check.read(lambda: forms.text(form, "numero_unique", limit=40)) or "",
            ordered_by=check.read(lambda: forms.text(form, "ordered_by", limit=120)) or None,
        )

    refused = _submit(request, crisis_id, session, form, name="cip", build=build)
    return refused or back(crisis_id, "cip", "#cip")


@router.post("/evenements/{crisis_id}/cod", dependencies=[allowed_to(ActivateCod)])
def activate(request: Request, crisis_id: str, session: CurrentUser, form: PostedForm) -> Response:
    require_fresh_verification(request, session, step_up.ACTIVATE_COD, f"/evenements/{crisis_id}")

    def build(check: FieldCheck) -> Command:
        decision = CodDecision(
            decided_by=check.read(lambda: forms.text(form, "decided_by", limit=120)) or "",
            synergi_ref=check.read(lambda: forms.text(form, "synergi_ref", limit=120)) or None,
            decided_at=check.read(lambda: forms.paris_instant(form, "decided_at")),
        )
        return ActivateCod(crisis_id=crisis_id, decision=decision)

    try:
        refused = _submit(request, crisis_id, session, form, name="cod", build=build)
    except Conflict:
        # Another tab or another person activated it first: one activation, shown as it is.
        with service_of(request).bus.reading() as uow:
            crisis = uow.crises.get(crisis_id)
        if crisis.activation is None or crisis.closed_at is not None:
            raise
        return back(crisis_id, "cod-deja")
    return refused or back(crisis_id, "cod")

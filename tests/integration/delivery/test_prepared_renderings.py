"""Commands that render prepare before their transaction: what changed between the
preparation and the transaction is noticed, and the command prepared again on the new state."""

from __future__ import annotations

from typing import Any

from crisis.bootstrap import Service
from crisis.domain.commands import CodDecision, OpenCrisis
from crisis.domain.draft_commands import ComposeMessage, EditDraft, SaveTemplate
from crisis.domain.vocabulary import Audience, CrisisKind
from crisis.services.context import Actor
from crisis.services.preparation import PrepareContext

CELL = Actor(name="cellule", role="comm_cell")
OFFICER = Actor(name="cadre", role="duty_officer")


def manifest() -> dict[str, Any]:
    return {
        "title": "Coupure d'eau potable",
        "description": "Information sur une coupure d'eau potable.",
        "audiences": ["public", "elus"],
        "variants": ["sms"],
        "variables": [
            {"name": "commune", "type": "str", "description": "Commune.", "example": "Massy"}
        ],
    }


def save(service: Service, sms: str) -> dict[str, Any]:
    saved: dict[str, Any] = service.bus.handle(
        SaveTemplate(name="coupure_eau", manifest=manifest(), sources={"sms": sms}), actor=CELL
    )
    return saved


def test_a_version_stored_meanwhile_makes_the_next_one_prepared_again(service: Service) -> None:
    save(service, "Coupure à {{ commune }}.")
    preparers = dict(service.bus.command_preparers)
    real = preparers[SaveTemplate]
    calls: list[int] = []

    def racing(command: SaveTemplate, prep: PrepareContext) -> object:
        prepared = real(command, prep)
        calls.append(1)
        if len(calls) == 1:  # another author stores version 2 once this one is checked
            save(service, "Eau coupée à {{ commune }}.")
        return prepared

    service.bus.command_preparers = {**preparers, SaveTemplate: racing}
    saved = save(service, "Plus d'eau à {{ commune }}.")
    assert saved == {"name": "coupure_eau", "version": 3}
    assert len(calls) == 3  # this one twice, the other one once
    with service.bus.reading() as uow:
        stored = uow.templates.get("coupure_eau", 3)
        assert stored is not None
        assert stored.sources == {"sms": "Plus d'eau à {{ commune }}."}
        assert uow.templates.latest_version("coupure_eau") == 3


def test_a_draft_edited_meanwhile_is_rendered_again_with_its_new_variables(
    service: Service,
) -> None:
    save(service, "Coupure à {{ commune }}.")
    crisis_id = service.bus.handle(
        OpenCrisis(
            title="Crue de la Seine",
            kind=CrisisKind.INONDATION,
            exercise=False,
            activation=CodDecision(decided_by="préfet", synergi_ref="SYN-91-7"),
        ),
        actor=OFFICER,
    )
    draft_id = service.bus.handle(
        ComposeMessage(
            crisis_id=crisis_id,
            template="coupure_eau",
            variables={"commune": "Évry"},
            audiences=(Audience.ELUS,),
        ),
        actor=CELL,
    )
    preparers = dict(service.bus.command_preparers)
    real = preparers[EditDraft]
    calls: list[int] = []

    def racing(command: EditDraft, prep: PrepareContext) -> object:
        prepared = real(command, prep)
        calls.append(1)
        if len(calls) == 1:  # someone else changes the commune once this edit is rendered
            service.bus.handle(
                EditDraft(
                    crisis_id=crisis_id,
                    draft_id=draft_id,
                    variables={"commune": "Massy"},
                    audiences=(Audience.ELUS,),
                ),
                actor=CELL,
            )
        return prepared

    service.bus.command_preparers = {**preparers, EditDraft: racing}
    # Only the audiences change: the draft is rendered again with its stored variables.
    service.bus.handle(
        EditDraft(crisis_id=crisis_id, draft_id=draft_id, audiences=(Audience.PUBLIC,)),
        actor=CELL,
    )
    with service.bus.reading() as uow:
        draft = uow.drafts.get(draft_id, crisis_id=crisis_id)
    assert draft.variables == {"commune": "Massy"}
    assert draft.texts["sms"] == "Coupure à Massy."
    assert draft.audiences == (Audience.PUBLIC,)
    assert len(calls) == 3

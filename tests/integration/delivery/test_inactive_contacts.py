"""A deactivated contact receives nothing: not as one of an audience, not through a named
list, not as a drill's cell member or participant, not as a roster member's linked contact;
reactivated, it receives again. Deactivation and reactivation are journalled."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from crisis.bootstrap import Service
from crisis.domain.contact_commands import (
    AddToContactList,
    ContactInput,
    CreateContact,
    CreateContactList,
    DeactivateContact,
    ReactivateContact,
)
from crisis.domain.contacts import Category
from crisis.domain.errors import Conflict, InvalidInput
from crisis.domain.oncall import Member
from crisis.domain.programme import DeliverInject
from crisis.domain.vocabulary import Audience
from crisis.services.context import SYSTEM_ACTOR
from crisis.store.journal import SYSTEM_STREAM
from tests.integration.delivery.conftest import OFFICER, add_people, open_active
from tests.integration.delivery.test_broadcast import send, statuses

CORBEIL = {"maire@corbeil.fr", "+33611223344", "1001"}


def _id(service: Service, ref: str) -> str:
    with service.bus.unit_of_work() as uow:
        return uow.contacts.find_by_ref(ref).id


def _recipients(engine: Engine, message_id: str) -> set[str]:
    return {recipient for _, recipient in statuses(engine, message_id)}


def test_a_message_to_the_elus_does_not_reach_a_deactivated_elu(
    service: Service, engine: Engine
) -> None:
    add_people(service)
    corbeil = _id(service, "maire@corbeil.fr")
    service.bus.handle(
        DeactivateContact(contact_id=corbeil, reason="a quitté ses fonctions"), actor=OFFICER
    )
    crisis_id = open_active(service, exercise=False)

    reached = _recipients(engine, send(service, crisis_id, audiences=(Audience.ELUS,)))
    assert "maire@evry.fr" in reached
    assert reached & CORBEIL == set()

    # Nor through a named list that still holds him.
    service.bus.handle(CreateContactList(name="maires"), actor=OFFICER)
    refs = ("maire@corbeil.fr", "maire@evry.fr")
    service.bus.handle(AddToContactList(list_ref="maires", contact_refs=refs), actor=OFFICER)
    reached = _recipients(engine, send(service, crisis_id, audiences=(), lists=("maires",)))
    assert "maire@evry.fr" in reached
    assert reached & CORBEIL == set()

    # Reactivated, he is reached again.
    service.bus.handle(ReactivateContact(contact_id=corbeil), actor=OFFICER)
    reached = _recipients(engine, send(service, crisis_id, audiences=(Audience.ELUS,)))
    assert reached & CORBEIL


def test_deactivation_is_journalled_on_the_system_chain_and_not_done_twice(
    service: Service,
) -> None:
    add_people(service)
    corbeil = _id(service, "maire@corbeil.fr")
    service.bus.handle(DeactivateContact(contact_id=corbeil, reason="  départ  "), actor=OFFICER)
    with pytest.raises(Conflict, match=r"Le contact « Maire de Corbeil » est déjà inactif\."):
        service.bus.handle(DeactivateContact(contact_id=corbeil), actor=OFFICER)
    service.bus.handle(ReactivateContact(contact_id=corbeil), actor=OFFICER)
    too_long = DeactivateContact(contact_id=corbeil, reason="x" * 501)
    with pytest.raises(InvalidInput, match=r"Le motif ne doit pas dépasser 500 caractères\."):
        service.bus.handle(too_long, actor=OFFICER)
    with service.bus.unit_of_work() as uow:
        entries = uow.journal.entries(SYSTEM_STREAM)
        assert uow.contacts.get(corbeil).active is True
    done = [
        e for e in entries if e.kind in ("command.DeactivateContact", "command.ReactivateContact")
    ]
    assert [e.kind for e in done] == ["command.DeactivateContact", "command.ReactivateContact"]
    assert done[0].payload["outcome"] == {
        "contact_id": corbeil,
        "name": "Maire de Corbeil",
        "reason": "départ",
    }
    assert done[0].actor == OFFICER.name


def test_the_cell_and_drill_participants_leave_out_inactive_contacts(service: Service) -> None:
    cell = ContactInput(
        name="Chloé Chef", category="cellule", email="chloe@prefecture.gouv.fr", exercise=True
    )
    service.bus.handle(CreateContact(contact=cell), actor=OFFICER)
    add_people(service)
    chloe = _id(service, "chloe@prefecture.gouv.fr")
    service.bus.handle(DeactivateContact(contact_id=chloe), actor=OFFICER)
    with service.bus.unit_of_work() as uow:
        # The drill notices' recipients (the cell's contacts who take part in exercises).
        assert uow.contacts.recipients([Category.CELLULE], exercise=True) == []
        assert uow.contacts.resolve(Audience.ELUS, exercise=True) != []

    # A live drill's inject to a deactivated participant is refused, nothing leaves.
    crisis_id = open_active(service, exercise=True)
    inject = DeliverInject(
        crisis_id=crisis_id,
        offset_minutes=5,
        sender="SDIS",
        to="chef_de_cellule",
        channel="email",
        content="Point de situation",
        contact_ids=(chloe,),
    )
    with pytest.raises(Conflict, match="« Chloé Chef » est un contact inactif"):
        service.bus.handle(inject, actor=SYSTEM_ACTOR)


def test_a_roster_member_linked_to_an_inactive_contact_gets_no_address_from_it(
    service: Service,
) -> None:
    cell = ContactInput(
        name="Rémi Rédac", category="cellule", mobile="06 70 80 90 10", exercise=False
    )
    service.bus.handle(CreateContact(contact=cell), actor=OFFICER)
    remi = _id(service, "06 70 80 90 10")
    member = Member(
        id="m1",
        key="nom:remi redac",
        name="Rémi Rédac",
        contact_id=remi,
        email="remi@prefecture.gouv.fr",
        mobile=None,
        telegram_chat_id=None,
    )
    with service.bus.unit_of_work() as uow:
        assert uow.oncall.addresses(member)["mobile"] == "+33670809010"
    service.bus.handle(DeactivateContact(contact_id=remi), actor=OFFICER)
    with service.bus.unit_of_work() as uow:
        assert uow.oncall.addresses(member) == {
            "email": "remi@prefecture.gouv.fr",
            "mobile": None,
            "telegram_chat_id": None,
        }

"""Contacts on both databases: import, re-import, all or nothing, lists, audiences, schema."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from crisis.bootstrap import Service
from crisis.domain.contact_commands import (
    AddToContactList,
    ContactInput,
    CreateContact,
    CreateContactList,
    ImportContacts,
    RemoveFromContactList,
    UpdateContact,
)
from crisis.domain.contacts import Category, InvalidContacts
from crisis.domain.errors import Conflict, InvalidInput, NotFound
from crisis.domain.vocabulary import Audience
from crisis.services.bus import Forbidden
from crisis.services.context import Actor
from crisis.store.journal import SYSTEM_STREAM
from crisis.store.tables import contacts, journal

CELL = Actor(name="cellule", role="comm_cell", user_id="u-cell")
PREFECT = Actor(name="préfet", role="prefect", user_id="u-pref")
AUDITOR = Actor(name="auditrice", role="auditor", user_id="u-aud")

HEADER = "nom;categorie;email;mobile;telegram;commune;fonction;exercice"
FILE = (
    HEADER,
    "Jean Dupont;elu;jean.dupont@evry.fr;06 12 34 56 78;;Évry-Courcouronnes;Maire;oui",
    "Hélène Lefèvre;elu;;07 56 12 34 56;;Corbeil-Essonnes;Maire-adjoint;non",
    "Le Parisien;media;redaction@leparisien.fr;;;Paris;;x",
    "France Bleu;media;;;-1001234;;;",
    "Claire Roux;cellule;claire.roux@interieur.gouv.fr;0698765432;;;Chargée de com;oui",
    "SDIS 91;partenaire;;;;Évry-Courcouronnes;;non",
)


def csv(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def import_file(service: Service, content: bytes, *, skip_invalid: bool = False) -> Any:
    return service.bus.handle(
        ImportContacts(file_name="annuaire.csv", content=content, skip_invalid=skip_invalid),
        actor=CELL,
    )


def test_import_creates_every_contact(service: Service) -> None:
    report = import_file(service, csv(*FILE))
    assert (report.created, report.updated, report.unchanged, report.skipped) == (6, 0, 0, 0)
    with service.bus.unit_of_work() as uow:
        found = uow.contacts.find()
        by_name = {c.name: c for c in found}
    assert [c.name for c in found] == [
        "Claire Roux",
        "Hélène Lefèvre",
        "Jean Dupont",
        "France Bleu",
        "Le Parisien",
        "SDIS 91",
    ]
    jean = by_name["Jean Dupont"]
    assert jean.key == "email:jean.dupont@evry.fr"
    assert jean.mobile == "+33612345678"
    assert jean.commune == "Évry-Courcouronnes"
    assert jean.fonction == "Maire"
    assert jean.exercise is True
    assert by_name["Hélène Lefèvre"].key == "mobile:+33756123456"
    assert by_name["France Bleu"].key == "telegram:-1001234"
    assert by_name["SDIS 91"].key == "nom:partenaire|sdis 91|evry-courcouronnes"


def test_reimport_updates_by_key_and_never_duplicates(service: Service) -> None:
    import_file(service, csv(*FILE))
    with service.bus.unit_of_work() as uow:
        jean_id = uow.contacts.by_key("email:jean.dupont@evry.fr")
        assert jean_id is not None
    changed = (
        HEADER,
        # same e-mail typed in capitals, new mobile and function
        "Jean Dupont;elu;JEAN.DUPONT@EVRY.FR;+33 6 98 76 54 32;;Évry-Courcouronnes;"
        "Maire honoraire;oui",
        # same mobile typed as Excel leaves it
        "Hélène Lefèvre;elu;;756123456;;Corbeil-Essonnes;Maire-adjoint;non",
        "Nouveau Maire;elu;maire@lisses.fr;;;Lisses;Maire;oui",
    )
    report = import_file(service, csv(*changed))
    assert (report.created, report.updated, report.unchanged, report.skipped) == (1, 1, 1, 0)
    assert count(service.engine, contacts) == 7
    with service.bus.unit_of_work() as uow:
        jean = uow.contacts.get(jean_id.id)
    assert jean.mobile == "+33698765432"
    assert jean.fonction == "Maire honoraire"


def test_a_directory_larger_than_one_statement_is_imported_and_reimported(
    service: Service,
) -> None:
    rows = [f"Élu {n};elu;elu{n}@essonne.fr;;;Évry-Courcouronnes;Maire;oui" for n in range(1_234)]
    report = import_file(service, csv(HEADER, *rows))
    assert (report.created, report.updated, report.unchanged) == (1_234, 0, 0)
    rows[700] = "Élu 700;elu;elu700@essonne.fr;;;Lisses;Maire;oui"
    report = import_file(service, csv(HEADER, *rows))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1_233)
    assert count(service.engine, contacts) == 1_234
    with service.bus.reading() as uow:
        moved = uow.contacts.by_key("email:elu700@essonne.fr")
        kept = uow.contacts.by_key("email:elu699@essonne.fr")
    assert moved is not None and moved.commune == "Lisses"
    assert kept is not None and kept.commune == "Évry-Courcouronnes"


def test_reimport_without_optional_columns_keeps_function_and_exercise(service: Service) -> None:
    import_file(service, csv(*FILE))
    report = import_file(
        service,
        csv(
            "nom;categorie;email;mobile;telegram;commune",
            "Jean Dupont;elu;jean.dupont@evry.fr;06 12 34 56 78;;Évry-Courcouronnes",
        ),
    )
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    with service.bus.unit_of_work() as uow:
        jean = uow.contacts.by_key("email:jean.dupont@evry.fr")
    assert jean is not None
    assert (jean.fonction, jean.exercise) == ("Maire", True)


def test_one_bad_row_imports_nothing(service: Service) -> None:
    entries_before = count(service.engine, journal)
    bad = (*FILE, "Erreur;elu;;06 12;;;;", "Erreur 2;pompier;x@y.fr;;;;;")
    with pytest.raises(InvalidContacts) as caught:
        import_file(service, csv(*bad))
    assert [str(p) for p in caught.value.problems] == [
        "ligne 8 : mobile « 06 12 » invalide",
        "ligne 9 : catégorie « pompier » inconnue "
        "(valeurs possibles : elu, media, cellule, partenaire)",
    ]
    assert caught.value.message.startswith(
        "Le fichier « annuaire.csv » n'a pas été importé (2 erreurs) : ligne 8 : mobile"
    )
    assert count(service.engine, contacts) == 0
    assert count(service.engine, journal) == entries_before


def test_skip_invalid_imports_the_valid_rows(service: Service) -> None:
    bad = (*FILE, "Erreur;elu;;06 12;;;;", "Jean bis;elu;jean.dupont@evry.fr;;;;;")
    report = import_file(service, csv(*bad), skip_invalid=True)
    assert (report.created, report.skipped) == (6, 2)
    assert [str(p) for p in report.problems] == [
        "ligne 8 : mobile « 06 12 » invalide",
        "ligne 9 : même contact que la ligne 2 (e-mail jean.dupont@evry.fr)",
    ]
    assert count(service.engine, contacts) == 6


def test_skip_invalid_does_not_accept_a_broken_file(service: Service) -> None:
    with pytest.raises(InvalidContacts, match="colonne obligatoire absente : telegram"):
        import_file(
            service, csv("nom;categorie;email;mobile;commune", "A;elu;a@x.fr;;"), skip_invalid=True
        )
    assert count(service.engine, contacts) == 0


def test_import_is_journalled_without_personal_data(service: Service) -> None:
    content = csv(*FILE, "Erreur;elu;;06 12;;;;")
    report = import_file(service, content, skip_invalid=True)
    with service.bus.unit_of_work() as uow:
        [entry] = uow.journal.entries(SYSTEM_STREAM)
        assert uow.journal.verify(SYSTEM_STREAM).ok
    assert entry.kind == "command.ImportContacts"
    assert entry.actor == "cellule"
    assert entry.payload == {
        "command": {
            "file_name": "annuaire.csv",
            "sha256": report.sha256,
            "size_bytes": len(content),
            "skip_invalid": True,
        },
        "role": "comm_cell",
        "outcome": {
            "created": 6,
            "updated": 0,
            "unchanged": 0,
            "skipped": 1,
            "skipped_lines": [8],
        },
    }
    assert "dupont" not in str(entry.payload).lower()


def test_only_keepers_of_the_directory_may_import(service: Service) -> None:
    for actor in (PREFECT, AUDITOR):
        with pytest.raises(Forbidden):
            service.bus.handle(ImportContacts(file_name="a.csv", content=csv(*FILE)), actor=actor)
    for role in ("duty_officer", "admin"):
        service.bus.handle(
            ImportContacts(file_name="a.csv", content=csv(*FILE)),
            actor=Actor(name=role, role=role, user_id=role),
        )
    assert count(service.engine, contacts) == 6


def test_resolve_audiences_and_exercise_participation(service: Service) -> None:
    import_file(service, csv(*FILE))
    with service.bus.unit_of_work() as uow:

        def names(target: Audience | str, exercise: bool) -> list[str]:
            return [c.name for c in uow.contacts.resolve(target, exercise=exercise)]

        assert names(Audience.ELUS, False) == ["Hélène Lefèvre", "Jean Dupont"]
        assert names(Audience.ELUS, True) == ["Jean Dupont"]
        assert names(Audience.MEDIA, False) == ["France Bleu", "Le Parisien"]
        assert names(Audience.MEDIA, True) == ["Le Parisien"]
        assert names(Audience.PUBLIC, False) == []
        assert names(Audience.PUBLIC, True) == []
        assert [c.name for c in uow.contacts.find(category=Category.CELLULE)] == ["Claire Roux"]
        assert [c.name for c in uow.contacts.find(exercise=True)] == [
            "Claire Roux",
            "Jean Dupont",
            "Le Parisien",
        ]


def test_named_lists(service: Service) -> None:
    import_file(service, csv(*FILE))
    created = service.bus.handle(
        CreateContactList(name="Maires des communes inondées", description="Crue de la Seine"),
        actor=CELL,
    )
    change = service.bus.handle(
        AddToContactList(
            list_ref="maires des communes inondees",
            contact_refs=("jean.dupont@evry.fr", "07 56 12 34 56", "jean.dupont@evry.fr"),
        ),
        actor=CELL,
    )
    assert len(change.changed) == 2
    assert change.unchanged == []
    again = service.bus.handle(
        AddToContactList(list_ref=created.id, contact_refs=("JEAN.DUPONT@evry.fr",)), actor=CELL
    )
    assert again.changed == []
    assert len(again.unchanged) == 1
    with service.bus.unit_of_work() as uow:
        assert [c.name for c in uow.contacts.resolve(created.id, exercise=False)] == [
            "Hélène Lefèvre",
            "Jean Dupont",
        ]
        assert [
            c.name for c in uow.contacts.resolve("Maires des communes inondées", exercise=True)
        ] == ["Jean Dupont"]
    removed = service.bus.handle(
        RemoveFromContactList(list_ref=created.id, contact_refs=("+33612345678",)), actor=CELL
    )
    assert len(removed.changed) == 1
    with service.bus.unit_of_work() as uow:
        assert [c.name for c in uow.contacts.resolve(created.id, exercise=False)] == [
            "Hélène Lefèvre"
        ]
        kinds = [e.kind for e in uow.journal.entries(SYSTEM_STREAM)]
    assert kinds == [
        "command.ImportContacts",
        "command.CreateContactList",
        "command.AddToContactList",
        "command.AddToContactList",
        "command.RemoveFromContactList",
    ]


def test_list_names_are_unique_ignoring_case_and_accents(service: Service) -> None:
    service.bus.handle(CreateContactList(name="Maires inondés"), actor=CELL)
    with pytest.raises(Conflict, match="Une liste nommée « Maires inondés » existe déjà"):
        service.bus.handle(CreateContactList(name="  MAIRES   INONDES "), actor=CELL)


def test_an_ambiguous_reference_is_refused(service: Service) -> None:
    import_file(service, csv(*FILE, "Standard mairie;elu;mairie@evry.fr;0612345678;;Évry;;"))
    service.bus.handle(CreateContactList(name="L"), actor=CELL)
    with pytest.raises(InvalidInput, match="Plusieurs contacts correspondent"):
        service.bus.handle(
            AddToContactList(list_ref="L", contact_refs=("06 12 34 56 78",)), actor=CELL
        )


def test_unknown_list_or_contact(service: Service) -> None:
    import_file(service, csv(*FILE))
    with pytest.raises(NotFound, match="Aucune liste de contacts ne s'appelle « nope »"):
        service.bus.handle(AddToContactList(list_ref="nope", contact_refs=("x",)), actor=CELL)
    service.bus.handle(CreateContactList(name="L"), actor=CELL)
    with pytest.raises(NotFound, match=r"Aucun contact ne correspond à « inconnu@x\.fr »"):
        service.bus.handle(
            AddToContactList(list_ref="L", contact_refs=("inconnu@x.fr",)), actor=CELL
        )


def test_create_and_update_one_contact(service: Service) -> None:
    created = service.bus.handle(
        CreateContact(
            contact=ContactInput(
                name="Marie Curie", category="élu", mobile="06.12.34.56.78", commune="Lisses"
            )
        ),
        actor=CELL,
    )
    assert created.key == "mobile:+33612345678"
    assert created.exercise is False
    with pytest.raises(Conflict, match="même clé"):
        service.bus.handle(
            CreateContact(contact=ContactInput(name="Autre", category="media", mobile="612345678")),
            actor=CELL,
        )
    updated = service.bus.handle(
        UpdateContact(
            contact_id=created.id,
            contact=ContactInput(
                name="Marie Curie",
                category="elu",
                email="marie@lisses.fr",
                mobile="0612345678",
                commune="Lisses",
                exercise=True,
            ),
        ),
        actor=CELL,
    )
    assert updated.id == created.id
    assert updated.key == "email:marie@lisses.fr"
    assert updated.exercise is True
    with pytest.raises(InvalidContacts) as caught:
        service.bus.handle(
            UpdateContact(
                contact_id=created.id,
                contact=ContactInput(name=" ", category="elu", email="pas un mail"),
            ),
            actor=CELL,
        )
    assert [(p.field, p.reason) for p in caught.value.problems] == [
        ("nom", "nom obligatoire"),
        ("email", "e-mail « pas un mail » invalide"),
    ]

"""The hash-chained journal, on SQLite and PostgreSQL: intact chains verify, edits are caught."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select, text, update

import crisis
from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.commands import CodDecision, OpenCrisis, RecordDelivery
from crisis.domain.vocabulary import Audience, CrisisKind
from crisis.services.context import Actor
from crisis.store.journal import GENESIS_HASH
from crisis.store.tables import journal

OFFICER = Actor(name="cadre de permanence", role="duty_officer", user_id="u1")
CELL = Actor(name="cellule", role="comm_cell", user_id="u2")


def open_and_activate(service: Service) -> str:
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title="Crue de l'Yerres",
            kind=CrisisKind.INONDATION,
            exercise=False,
            communes=("Yerres",),
            activation=CodDecision(decided_by="préfet", synergi_ref="SYN-42"),
        ),
        actor=OFFICER,
    )
    return crisis_id


def test_commands_and_events_are_chained_in_order(service: Service, clock: ManualClock) -> None:
    crisis_id = open_and_activate(service)
    clock.advance(timedelta(minutes=5))
    service.bus.handle(
        RecordDelivery(
            crisis_id=crisis_id,
            audience=Audience.ELUS,
            delivered_at=clock.now(),
            means="appels",
        ),
        actor=CELL,
    )
    with service.bus.unit_of_work() as uow:
        entries = uow.journal.entries(crisis_id)
        check = uow.journal.verify(crisis_id)
    kinds = [e.kind for e in entries]
    assert kinds[:3] == ["command.OpenCrisis", "event.CrisisOpened", "event.CodActivated"]
    assert kinds[3:7] == ["event.ClockStarted"] * 4
    assert kinds[7:] == ["command.RecordDelivery", "event.DeliveryRecorded", "event.ClockMet"]
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert entries[7].actor == "cellule"
    assert entries[7].payload["role"] == "comm_cell"
    assert check.ok and check.entries_checked == len(entries)


def _tamper(engine: Engine, statement: str, **params: object) -> None:
    with engine.begin() as connection:
        connection.execute(text(statement), params)


def test_payloads_read_back_as_written_whatever_their_values(
    service: Service, clock: ManualClock
) -> None:
    """Payloads read back exactly: text with escapes, integers beyond 64 bits, infinity."""
    payloads: list[dict[str, Any]] = [
        {"texte": "Évacuez « vite » les berges\u2028\t\\ 🌊", "n": -(2**63), "x": 1.5},
        {"très grand": 2**70 + 1, "liste": [None, True, {"é": []}], "id": "1" * 19},
        {"pas un nombre": float("inf"), "n": 10**18},
    ]
    with service.bus.unit_of_work() as uow:
        for payload in payloads:
            uow.journal.append(
                stream="essai", at=clock.now(), actor="cadre", kind="test.Payload", payload=payload
            )
        uow.commit()
    with service.bus.reading() as uow:
        assert [e.payload for e in uow.journal.entries("essai")] == payloads
        assert uow.journal.verify("essai").ok


@pytest.mark.parametrize(
    ("statement", "broken_seq"),
    [
        (
            "UPDATE journal SET payload = replace(payload, 'préfet', 'sous-préfet') "
            "WHERE stream = :s AND seq = 3",
            3,
        ),
        ("UPDATE journal SET actor = 'quelqu''un' WHERE stream = :s AND seq = 2", 2),
        ("DELETE FROM journal WHERE stream = :s AND seq = 4", 4),
        ("UPDATE journal SET at = at + INTERVAL '1 minute' WHERE stream = :s AND seq = 5", 5),
    ],
    ids=["payload", "actor", "deletion", "instant"],
)
def test_direct_edits_are_caught_with_the_first_broken_entry(
    service: Service, engine: Engine, statement: str, broken_seq: int
) -> None:
    crisis_id = open_and_activate(service)
    if engine.dialect.name == "sqlite":
        statement = statement.replace("at + INTERVAL '1 minute'", "datetime(at, '+1 minute')")
    _tamper(engine, statement, s=crisis_id)
    with service.bus.unit_of_work() as uow:
        check = uow.journal.verify(crisis_id)
    assert not check.ok
    assert check.first_broken_seq == broken_seq
    assert check.reason


def test_reordering_is_caught(service: Service, engine: Engine) -> None:
    crisis_id = open_and_activate(service)
    with engine.begin() as connection:
        rows = connection.execute(
            select(journal.c.id, journal.c.seq)
            .where(journal.c.stream == crisis_id)
            .order_by(journal.c.seq)
        ).all()
        second, third = rows[1], rows[2]
        connection.execute(update(journal).where(journal.c.id == second.id).values(seq=-1))
        connection.execute(update(journal).where(journal.c.id == third.id).values(seq=second.seq))
        connection.execute(update(journal).where(journal.c.id == second.id).values(seq=third.seq))
    with service.bus.unit_of_work() as uow:
        check = uow.journal.verify(crisis_id)
    assert not check.ok
    assert check.first_broken_seq == 2


def test_truncated_tail_is_caught(service: Service, engine: Engine) -> None:
    crisis_id = open_and_activate(service)
    with engine.begin() as connection:
        last = connection.execute(
            select(func.max(journal.c.seq)).where(journal.c.stream == crisis_id)
        ).scalar_one()
        connection.execute(
            delete(journal).where(journal.c.stream == crisis_id, journal.c.seq == last)
        )
    with service.bus.unit_of_work() as uow:
        check = uow.journal.verify(crisis_id)
    assert not check.ok
    assert check.first_broken_seq == last
    assert check.reason is not None and "fin de la chaîne" in check.reason


def test_no_code_path_updates_or_deletes_a_journal_entry() -> None:
    """The journal table is only ever inserted into; only its head pointer moves."""
    package = Path(crisis.__file__).parent
    offenders = [
        f"{path.relative_to(package)}: {needle}"
        for path in sorted(package.rglob("*.py"))
        for needle in (
            "update(journal)",
            "delete(journal)",
            "UPDATE journal",
            "DELETE FROM journal",
        )
        if needle in path.read_text("utf-8")
    ]
    assert offenders == []

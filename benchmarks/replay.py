"""Replay benchmark: the state of a 12-hour event with 100,000 deliveries, rebuilt at 10 instants.

    PYTHONPATH=. .venv/bin/python benchmarks/replay.py [--deliveries 100000] [--database sqlite]

The event is opened, its COD activated, its cell declared and its deadlines checked through
the real commands on a clock moved by hand; its messages and their 100,000 deliveries are
written to its journal as the dispatcher writes them (`MessageSent`, then `DeliveriesAccepted`
batches of 50 and one `DeliveryFailed` per failure, 1 in 100), spread over 12 hours (seeded:
the same event every run). The replay reads the journal alone, so that is what it is timed on.

Printed: the journal's size, the first reading (the fold carried to the end, with its
checkpoints), then the rebuild at 10 instants of the event (seeded), each in milliseconds,
from a cache already warm (as on the replay page, once opened) and the fold from nothing for
comparison. The target is ≤ 200 ms at every instant; the last line is
`replay_max_ms=<the slowest of the 10>`.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

BATCH = 50
MESSAGES = 10


def seed(service: object, clock: object, deliveries: int) -> str:
    from crisis.bootstrap import Service
    from crisis.clock import ManualClock
    from crisis.domain.commands import (
        CheckDeadlines,
        CloseCrisis,
        CodDecision,
        DeclareCellOperational,
        OpenCrisis,
    )
    from crisis.domain.events import (
        AcceptedDelivery,
        DeliveriesAccepted,
        DeliveryFailed,
        MessageSent,
    )
    from crisis.domain.vocabulary import CrisisKind
    from crisis.services.context import SYSTEM_ACTOR, Actor

    assert isinstance(service, Service) and isinstance(clock, ManualClock)
    rng = random.Random(34)
    officer = Actor(name="cadre", role="local")
    start = datetime(2026, 11, 29, 18, 30, tzinfo=UTC)
    clock.set(start)
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title="Crue nationale",
            kind=CrisisKind.INONDATION,
            exercise=False,
            communes=("Évry-Courcouronnes",),
            activation=CodDecision(decided_by="préfet", synergi_ref="SYN-34"),
        ),
        actor=officer,
    )
    clock.set(start + timedelta(minutes=40))
    service.bus.handle(DeclareCellOperational(crisis_id=crisis_id, note=""), actor=officer)
    clock.set(start + timedelta(minutes=61))
    service.bus.handle(CheckDeadlines(crisis_id=crisis_id), actor=SYSTEM_ACTOR)
    per_message = deliveries // MESSAGES
    span = timedelta(hours=12)
    channels = ("email", "sms", "telegram_dm")
    for number in range(MESSAGES):
        sent_at = start + timedelta(minutes=50) + number * (span - timedelta(hours=2)) / MESSAGES
        message_id = f"m-{number}"
        split = {c: per_message // len(channels) for c in channels}
        split["email"] += per_message - sum(split.values())
        with service.bus.unit_of_work() as uow:
            uow.journal.append(
                stream=crisis_id,
                at=sent_at,
                actor="cellule",
                kind="event.MessageSent",
                payload=MessageSent(
                    crisis_id=crisis_id,
                    message_id=message_id,
                    purpose="factual",
                    msg_type="alert",
                    references_id=None,
                    audiences=("public",),
                    lists=(),
                    exercise=False,
                    deliveries=split,
                    unreachable=0,
                ),
            )
            uow.commit()
        at = sent_at
        for channel, count in split.items():
            ids = [f"{message_id}-{channel}-{i}" for i in range(count)]
            for first in range(0, count, BATCH):
                at += timedelta(seconds=rng.uniform(0.5, 2.5))
                batch = ids[first : first + BATCH]
                failed = [d for d in batch if rng.random() < 0.01]
                accepted = [d for d in batch if d not in failed]
                items: list[tuple[str, object]] = [
                    (
                        "event.DeliveriesAccepted",
                        DeliveriesAccepted(
                            crisis_id=crisis_id,
                            message_id=message_id,
                            channel=channel,
                            audience="public",
                            deliveries=tuple(
                                AcceptedDelivery(
                                    delivery_id=d,
                                    queued_at=sent_at,
                                    accepted_at=at,
                                    provider_message_id=f"p-{d}",
                                    attempts=1,
                                )
                                for d in accepted
                            ),
                        ),
                    )
                ]
                items += [
                    (
                        "event.DeliveryFailed",
                        DeliveryFailed(
                            crisis_id=crisis_id,
                            delivery_id=d,
                            message_id=message_id,
                            channel=channel,
                            audience="public",
                            reason="numéro inconnu",
                            attempts=3,
                            refused=False,
                            fallback_delivery_id=None,
                        ),
                    )
                    for d in failed
                ]
                with service.bus.unit_of_work() as uow:
                    uow.journal.append_many(stream=crisis_id, at=at, actor="système", items=items)
                    uow.commit()
    clock.set(start + span)
    service.bus.handle(CloseCrisis(crisis_id=crisis_id, reason="décrue"), actor=officer)
    return crisis_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=100_000)
    args = parser.parse_args()

    from crisis.bootstrap import SchedulerMode, bootstrap
    from crisis.clock import ManualClock
    from crisis.services.situation import fold
    from crisis.services.situation_cache import SituationCache
    from crisis.settings import Settings
    from crisis.store.engine import make_engine
    from crisis.store.migrate import upgrade
    from crisis.web.replay_views import frame

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'replay.sqlite3'}")
        upgrade(engine)
        clock = ManualClock(datetime(2026, 11, 29, 18, tzinfo=UTC))
        service = bootstrap(
            settings=Settings(data_dir=Path(folder)),
            clock=clock,
            engine=engine,
            scheduler_mode=SchedulerMode.NONE,
        )
        began = time.perf_counter()
        crisis_id = seed(service, clock, args.deliveries)
        print(f"seeded in {time.perf_counter() - began:.1f} s")
        cache = SituationCache()
        with service.bus.reading() as uow:
            began = time.perf_counter()
            folds = cache.folds(uow.journal, crisis_id)
            first = time.perf_counter() - began
            entries = len(folds.visible)
            print(
                f"journal: {entries} entries, {args.deliveries} deliveries; "
                f"first reading (fold to the end, {len(folds.checkpoints)} checkpoints): "
                f"{first * 1000:.0f} ms"
            )
            assert folds.first_at is not None and folds.closed_at is not None
            rng = random.Random(10)
            length = (folds.closed_at - folds.first_at).total_seconds()
            instants = sorted(
                folds.first_at + timedelta(seconds=rng.uniform(0, length)) for _ in range(10)
            )
            slowest = 0.0
            for instant in instants:
                began = time.perf_counter()
                situation = cache.at(uow.journal, crisis_id, instant)
                took = (time.perf_counter() - began) * 1000
                slowest = max(slowest, took)
                accepted = sum(f.accepted for m in situation.messages for f in m.channels.values())
                print(
                    f"{instant:%H:%M:%S} UTC: {took:6.1f} ms "
                    f"({situation.last_seq} entries, {accepted} accepted)"
                )
            shown = 0.0
            for instant in instants:
                began = time.perf_counter()
                frame(uow.journal, cache, crisis_id, now=folds.closed_at, at=instant)
                shown = max(shown, (time.perf_counter() - began) * 1000)
            print(f"the page's whole frame (state, entries around, RETEX), slowest: {shown:.1f} ms")
            began = time.perf_counter()
            every = uow.journal.entries(crisis_id)
            fold(crisis_id, every).situation(folds.closed_at)
            print(
                f"fold from nothing, for comparison: {(time.perf_counter() - began) * 1000:.0f} ms"
            )
        service.close()
        print(f"replay_max_ms={slowest:.1f}")


if __name__ == "__main__":
    main()

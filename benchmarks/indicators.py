"""Indicators benchmark: the Qual-e-Pref pack of a year of 500 events on SQLite.

    PYTHONPATH=. .venv/bin/python benchmarks/indicators.py [--events 500]

The year is built through the real commands on a clock moved by hand (an event every
17.5 hours: the decision, the cell, the three audiences, a CIP order for one in ten, the
closing; one in ten is an exercise), in a temporary SQLite file. Then `indicators_view`
(every journal stream read, each chain used verified) is timed, and each format rendered.
The target is under 5 s for 500 events; the last line is `indicators_seconds=<value>`.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))


def build_year(service: object, clock: object, events: int) -> None:
    from crisis.bootstrap import Service
    from crisis.clock import ManualClock
    from crisis.domain.commands import (
        CloseCrisis,
        CodDecision,
        DeclareCellOperational,
        OpenCrisis,
        RecordDelivery,
    )
    from crisis.domain.oncall import DeclareCipOperational, OrderCip
    from crisis.domain.vocabulary import Audience, CrisisKind
    from crisis.services.context import Actor

    assert isinstance(service, Service) and isinstance(clock, ManualClock)
    officer = Actor(name="cadre", role="local")
    rng = random.Random(47)
    start = datetime(2026, 1, 1, 6, tzinfo=UTC)
    spacing = timedelta(minutes=int(365 * 24 * 60 / events))
    for index in range(events):
        decided = start + index * spacing
        clock.set(decided)
        bus = service.bus
        crisis_id = bus.handle(
            OpenCrisis(
                title=f"Événement {index + 1}",
                kind=CrisisKind.INONDATION,
                exercise=index % 10 == 9,
                communes=("Évry-Courcouronnes",),
                activation=CodDecision(decided_by="préfet", synergi_ref=f"SYN-{index}"),
            ),
            actor=officer,
        )
        steps = sorted(
            [("cell", rng.randint(10, 90))]
            + [(audience, rng.randint(5, 80)) for audience in ("elus", "public", "media")]
        )
        steps.sort(key=lambda step: step[1])
        for name, minutes in steps:
            clock.set(decided + timedelta(minutes=minutes))
            if name == "cell":
                bus.handle(DeclareCellOperational(crisis_id=crisis_id), actor=officer)
            else:
                bus.handle(
                    RecordDelivery(
                        crisis_id=crisis_id,
                        audience=Audience(name),
                        delivered_at=clock.now(),
                        means="téléphone",
                    ),
                    actor=officer,
                )
        if index % 10 == 3:
            clock.set(decided + timedelta(minutes=95))
            bus.handle(OrderCip(crisis_id=crisis_id, numero_unique="0800009191"), actor=officer)
            clock.set(decided + timedelta(minutes=140))
            bus.handle(DeclareCipOperational(crisis_id=crisis_id), actor=officer)
        clock.set(decided + timedelta(hours=6))
        bus.handle(CloseCrisis(crisis_id=crisis_id, reason="fin"), actor=officer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=500)
    args = parser.parse_args()

    from crisis.bootstrap import SchedulerMode, bootstrap
    from crisis.clock import ManualClock
    from crisis.reporting.indicators_render import IndicatorsFormat, render_indicators
    from crisis.reporting.indicators_service import indicators_view
    from crisis.settings import Settings
    from crisis.store.engine import make_engine
    from crisis.store.migrate import upgrade

    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.sqlite3")
        upgrade(engine)
        clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
        settings = Settings(
            data_dir=Path(folder), approval_audiences=[], callout_on_activation=False
        )
        service = bootstrap(
            settings=settings, clock=clock, engine=engine, scheduler_mode=SchedulerMode.NONE
        )
        began = time.perf_counter()
        build_year(service, clock, args.events)
        print(f"year built through the commands: {time.perf_counter() - began:.1f} s")
        clock.set(datetime(2027, 1, 2, tzinfo=UTC))
        began = time.perf_counter()
        with service.bus.unit_of_work() as uow:
            pack = indicators_view(
                uow, first=date(2026, 1, 1), last=date(2026, 12, 31), now=clock.now()
            )
        seconds = time.perf_counter() - began
        print(
            f"events: {len(pack.events)} real, {pack.exercises.count} exercises; "
            f"47 within target: {pack.commitments.c47.share_within_target}"
        )
        for fmt in IndicatorsFormat:
            began = time.perf_counter()
            size = len(render_indicators(pack, fmt))
            print(f"render {fmt.value}: {time.perf_counter() - began:.2f} s, {size} bytes")
        engine.dispose()
    print(f"indicators_seconds={seconds:.3f}")


if __name__ == "__main__":
    main()

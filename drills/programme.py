"""Playing the programme's occurrences: each claimed run in a worker thread, its end recorded.

An unattended run plays the scenario on a virtual clock from the occurrence instant (so its
report is the same whenever the sweep noticed it); a live run plays it in real time in the
service's database, with its dispatcher delivering the injects.

The scheduler only posts `RunDueDrills`; the composition root hands the bus the hook made by
`drill_starter`, which plays what the command claimed once its claims are committed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from crisis.domain.events import Event
from crisis.domain.programme import (
    DrillClaim,
    DrillMode,
    DrillPlayRequested,
    DrillRunClaimed,
    RecordDrillRun,
)
from crisis.reporting.report_models import TimingReport
from crisis.services.bus import MessageBus
from crisis.services.context import SYSTEM_ACTOR
from crisis.services.scenario_library import load_scenario_ref
from drills.live import LiveDrill, LiveDrillError
from drills.runner import DrillRunner, ServiceFactory

log = logging.getLogger(__name__)


def verdict_of(report: TimingReport, *, missed: bool) -> dict[str, Any]:
    return {
        "missed": missed,
        "clocks": {
            c.name: {
                "state": c.state,
                "achieved_minutes": c.achieved_minutes,
                "target_minutes": c.target_minutes,
            }
            for c in report.clocks
        },
    }


class DrillProgress:
    """How far each unattended run played by one service has got, by report folder: what the
    console shows while it plays (minute played, minutes in all). One per service, never per
    process: each service knows the runs it plays."""

    def __init__(self) -> None:
        self._runs: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def of(self, report_dir: str) -> tuple[int, int] | None:
        """(minute played, minutes in all) of a run playing now, else None."""
        with self._lock:
            return self._runs.get(report_dir)

    def update(self, report_dir: str, step: int, steps: int) -> None:
        with self._lock:
            self._runs[report_dir] = (step, steps)

    def finished(self, report_dir: str) -> None:
        with self._lock:
            self._runs.pop(report_dir, None)


def play_claim(
    bus: MessageBus,
    claim: DrillClaim,
    *,
    make_service: ServiceFactory,
    progress: DrillProgress | None = None,
) -> None:
    """Play one claimed occurrence and record its end; a failure is recorded, not raised."""
    out_dir = Path(claim.report_dir)
    played = progress or DrillProgress()

    def advance(step: int, steps: int) -> None:
        played.update(claim.report_dir, step, steps)

    try:
        with bus.unit_of_work() as uow:
            scenario = load_scenario_ref(claim.scenario, uow)
        if claim.mode is DrillMode.UNATTENDED:
            runner = DrillRunner(
                scenario, start=claim.occurrence, make_service=make_service, progress=advance
            )
            result = runner.run(out_dir)
            crisis_id, verdict = "", verdict_of(result.report, missed=result.missed)
        else:
            live = LiveDrill(scenario, bus=bus, clock=bus.clock, sleep=time.sleep)
            outcome = live.run(out_dir, start=claim.occurrence)
            crisis_id, verdict = (
                outcome.crisis_id,
                verdict_of(outcome.report, missed=outcome.missed),
            )
    except LiveDrillError as error:
        _record(bus, claim, error="; ".join(error.problems))
        return
    except Exception as error:
        log.exception("programmed drill %s at %s failed", claim.schedule_id, claim.occurrence)
        _record(bus, claim, error=f"{type(error).__name__} : {error}")
        return
    finally:
        played.finished(claim.report_dir)
    _record(bus, claim, verdict=verdict, crisis_id=crisis_id or None)


def _record(
    bus: MessageBus,
    claim: DrillClaim,
    *,
    verdict: dict[str, Any] | None = None,
    error: str | None = None,
    crisis_id: str | None = None,
) -> None:
    bus.handle(
        RecordDrillRun(
            schedule_id=claim.schedule_id,
            occurrence=claim.occurrence,
            report_dir=claim.report_dir,
            verdict=verdict,
            error=error,
            crisis_id=crisis_id,
        ),
        actor=SYSTEM_ACTOR,
    )


def start_runs(
    bus: MessageBus,
    claims: Sequence[DrillClaim],
    *,
    make_service: ServiceFactory,
    progress: DrillProgress | None = None,
) -> list[threading.Thread]:
    """One worker thread per claimed occurrence, so that the sweep returns at once."""
    threads = []
    for claim in claims:
        thread = threading.Thread(
            target=play_claim,
            args=(bus, claim),
            kwargs={"make_service": make_service, "progress": progress},
            name=f"exercice-{claim.schedule_id[:8]}",
            daemon=True,
        )
        thread.start()
        threads.append(thread)
    return threads


def drill_starter(
    bus: MessageBus,
    make_service: ServiceFactory,
    announced: type[DrillRunClaimed | DrillPlayRequested] = DrillRunClaimed,
    *,
    progress: DrillProgress | None = None,
) -> Callable[[Sequence[Event]], None]:
    """The after-commit hook that plays each occurrence `RunDueDrills` claimed (the
    scheduler's), or each drill `PlayDrill` claimed (every process's)."""

    def start_claimed(events: Sequence[Event]) -> None:
        claims = [e.claim for e in events if isinstance(e, announced)]
        if claims:
            start_runs(bus, claims, make_service=make_service, progress=progress)

    return start_claimed

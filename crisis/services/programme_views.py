"""What people read of the programme: entries with their next occurrences, and iCalendar."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from icalendar import Calendar, Event

from crisis.clock import PARIS
from crisis.domain.programme import DRILL_MODE_LABELS, DrillSchedule
from crisis.exercise_titles import exercise_title
from crisis.french import long_datetime
from crisis.services.programme_handlers import occurrence_key, recurrence_of
from crisis.services.scenario_library import load_scenario_ref
from crisis.store.unit_of_work import UnitOfWork
from drills.model import Scenario

UID_DOMAIN = "exercices.crisis-comm"


def schedule_view(schedule: DrillSchedule, *, now: datetime, count: int = 3) -> dict[str, Any]:
    upcoming = recurrence_of(schedule).next(now, count)
    return {
        "id": schedule.id,
        "name": schedule.name,
        "scenario": schedule.scenario,
        "scenario_title": schedule.scenario_title,
        "rule_kind": schedule.rule_kind,
        "rule": schedule.rule,
        "starts_at": schedule.starts_at,
        "notice_days": schedule.notice_days,
        "mode": schedule.mode.value,
        "mode_label": DRILL_MODE_LABELS[schedule.mode],
        "created_by": schedule.created_by,
        "created_at": schedule.created_at,
        "next": [{"at": at, "label": long_datetime(at)} for at in upcoming],
    }


def programme_view(uow: UnitOfWork, *, now: datetime) -> list[dict[str, Any]]:
    return [schedule_view(s, now=now) for s in uow.programme.active()]


def _scenario(ref: str, uow: UnitOfWork) -> Scenario | None:
    try:
        return load_scenario_ref(ref, uow)
    except Exception:  # the file moved or broke since: the calendar still lists the entry
        return None


def programme_ical(uow: UnitOfWork, *, now: datetime, count: int = 10) -> bytes:
    """The next `count` drills of each entry, as an iCalendar file (Europe/Paris times)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Préfecture//Programme d'exercices//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Programme d'exercices de communication de crise")
    calendar.add("x-wr-timezone", "Europe/Paris")
    for schedule in uow.programme.active():
        scenario = _scenario(schedule.scenario, uow)
        for occurrence in recurrence_of(schedule).next(now, count):
            event = Event()
            event.add("uid", f"{schedule.id}-{occurrence_key(occurrence)}@{UID_DOMAIN}")
            event.add("dtstamp", now)
            event.add("dtstart", occurrence.astimezone(PARIS))
            event.add("summary", exercise_title(schedule.scenario_title))
            lines = [f"Programme : {schedule.name}", f"Mode : {DRILL_MODE_LABELS[schedule.mode]}"]
            if scenario is not None:
                event.add("duration", scenario.duration)
                lines.append("Objectifs :")
                lines.extend(f"- {objective}" for objective in scenario.objectives)
            event.add("description", "\n".join(lines))
            event.add("categories", ["EXERCICE"])
            calendar.add_component(event)
    calendar.add_missing_timezones()
    data: bytes = calendar.to_ical()
    return data

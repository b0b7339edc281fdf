"""The exercise programme in the store: entries, runs and notices (each once)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from crisis.domain.errors import NotFound
from crisis.domain.programme import (
    ONE_OFF,
    DrillMode,
    DrillRun,
    DrillSchedule,
    RunState,
    UploadedScenario,
)
from crisis.store.tables import drill_notices, drill_runs, drill_scenarios, drill_schedules


def _schedule(row: Any) -> DrillSchedule:
    return DrillSchedule(
        id=row.id,
        name=row.name,
        scenario=row.scenario,
        scenario_title=row.scenario_title,
        rule_kind=row.rule_kind,
        rule=row.rule,
        starts_at=row.starts_at,
        notice_days=row.notice_days,
        mode=DrillMode(row.mode),
        created_by=row.created_by,
        created_at=row.created_at,
        removed_at=row.removed_at,
        removed_by=row.removed_by,
    )


def _run(row: Any) -> DrillRun:
    return DrillRun(
        schedule_id=row.schedule_id,
        occurrence=row.occurrence,
        state=RunState(row.state),
        mode=DrillMode(row.mode),
        started_at=row.started_at,
        finished_at=row.finished_at,
        report_dir=row.report_dir,
        verdict=row.verdict,
        error=row.error,
    )


class ProgrammeRepository:
    def __init__(self, connection: Connection) -> None:
        self._conn = connection

    def add(self, schedule: DrillSchedule) -> None:
        self._conn.execute(
            insert(drill_schedules).values(
                id=schedule.id,
                name=schedule.name,
                scenario=schedule.scenario,
                scenario_title=schedule.scenario_title,
                rule_kind=schedule.rule_kind,
                rule=schedule.rule,
                starts_at=schedule.starts_at,
                notice_days=schedule.notice_days,
                mode=schedule.mode.value,
                created_by=schedule.created_by,
                created_at=schedule.created_at,
            )
        )

    def get(self, schedule_id: str) -> DrillSchedule:
        query = select(drill_schedules).where(drill_schedules.c.id == schedule_id)
        row = self._conn.execute(query).first()
        if row is None:
            raise NotFound(f"Aucun exercice programmé ne porte l'identifiant « {schedule_id} ».")
        return _schedule(row)

    def active(self) -> list[DrillSchedule]:
        """The programme's entries (a drill played on demand is none)."""
        query = (
            select(drill_schedules)
            .where(drill_schedules.c.removed_at.is_(None), drill_schedules.c.rule_kind != ONE_OFF)
            .order_by(drill_schedules.c.created_at, drill_schedules.c.id)
        )
        return [_schedule(row) for row in self._conn.execute(query)]

    def by_ids(self, schedule_ids: Collection[str]) -> dict[str, DrillSchedule]:
        """Entries by id, removed and on-demand ones too (what a run's history names)."""
        if not schedule_ids:
            return {}
        query = select(drill_schedules).where(drill_schedules.c.id.in_(sorted(schedule_ids)))
        return {row.id: _schedule(row) for row in self._conn.execute(query)}

    def remove(self, schedule_id: str, *, by: str, at: datetime) -> None:
        self._conn.execute(
            update(drill_schedules)
            .where(drill_schedules.c.id == schedule_id)
            .values(removed_at=at, removed_by=by)
        )

    def last_occurrence(self, schedule_id: str) -> datetime | None:
        query = select(func.max(drill_runs.c.occurrence)).where(
            drill_runs.c.schedule_id == schedule_id
        )
        value: datetime | None = self._conn.execute(query).scalar_one_or_none()
        return value

    def add_run(
        self,
        *,
        schedule_id: str,
        occurrence: datetime,
        state: RunState,
        mode: DrillMode,
        at: datetime,
        report_dir: str | None = None,
    ) -> None:
        """Insert the run of an occurrence; a second insert breaks the primary key."""
        self._conn.execute(
            insert(drill_runs).values(
                schedule_id=schedule_id,
                occurrence=occurrence,
                state=state.value,
                mode=mode.value,
                started_at=at,
                report_dir=report_dir,
                finished_at=at if state is RunState.MISSED else None,
            )
        )

    def run(self, schedule_id: str, occurrence: datetime) -> DrillRun | None:
        query = select(drill_runs).where(
            drill_runs.c.schedule_id == schedule_id, drill_runs.c.occurrence == occurrence
        )
        row = self._conn.execute(query.with_for_update()).first()
        return None if row is None else _run(row)

    def finish_run(
        self,
        *,
        schedule_id: str,
        occurrence: datetime,
        state: RunState,
        at: datetime,
        report_dir: str | None,
        verdict: Mapping[str, Any] | None,
        error: str | None,
        crisis_id: str | None,
    ) -> None:
        self._conn.execute(
            update(drill_runs)
            .where(drill_runs.c.schedule_id == schedule_id, drill_runs.c.occurrence == occurrence)
            .values(
                state=state.value,
                finished_at=at,
                report_dir=report_dir,
                verdict=dict(verdict) if verdict is not None else None,
                error=error,
                crisis_id=crisis_id,
            )
        )

    def runs(self, schedule_id: str | None = None) -> list[DrillRun]:
        query = select(drill_runs).order_by(drill_runs.c.occurrence, drill_runs.c.schedule_id)
        if schedule_id is not None:
            query = query.where(drill_runs.c.schedule_id == schedule_id)
        return [_run(row) for row in self._conn.execute(query)]

    def notice_sent(self, schedule_id: str, occurrence: datetime) -> bool:
        query = select(drill_notices.c.schedule_id).where(
            drill_notices.c.schedule_id == schedule_id, drill_notices.c.occurrence == occurrence
        )
        return self._conn.execute(query).first() is not None

    def add_notice(
        self,
        *,
        schedule_id: str,
        occurrence: datetime,
        at: datetime,
        message_id: str | None,
        recipients: int,
    ) -> None:
        self._conn.execute(
            insert(drill_notices).values(
                schedule_id=schedule_id,
                occurrence=occurrence,
                sent_at=at,
                message_id=message_id,
                recipients=recipients,
            )
        )

    # Scenarios uploaded to the console

    def add_scenario(self, scenario: UploadedScenario) -> None:
        self._conn.execute(
            insert(drill_scenarios).values(
                name=scenario.name,
                file_name=scenario.file_name,
                title=scenario.title,
                content=scenario.content,
                sha256=scenario.sha256,
                uploaded_by=scenario.uploaded_by,
                uploaded_at=scenario.uploaded_at,
            )
        )

    def scenario(self, name: str) -> UploadedScenario | None:
        row = self._conn.execute(
            select(drill_scenarios).where(drill_scenarios.c.name == name)
        ).first()
        return None if row is None else _uploaded(row)

    def scenarios(self) -> list[UploadedScenario]:
        query = select(drill_scenarios).order_by(drill_scenarios.c.name)
        return [_uploaded(row) for row in self._conn.execute(query)]

    def remove_scenario(self, name: str) -> None:
        self._conn.execute(delete(drill_scenarios).where(drill_scenarios.c.name == name))


def _uploaded(row: Any) -> UploadedScenario:
    return UploadedScenario(
        name=row.name,
        file_name=row.file_name,
        title=row.title,
        content=row.content,
        sha256=row.sha256,
        uploaded_by=row.uploaded_by,
        uploaded_at=row.uploaded_at,
    )

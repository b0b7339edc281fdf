"""Whether a process can serve: database reachable, schema current, scheduler, dispatcher."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from crisis.bootstrap import Service
from crisis.scheduling.supervisor import SchedulerRole
from crisis.store.engine import READ_OPTIONS
from crisis.store.migrate import current_revision, head_revision

# A channel loop claims at least every `idle_seconds` (half a second by default): a minute of
# silence means the loop is stuck.
HEARTBEAT_LIMIT_SECONDS = 60.0


def readiness(service: Service) -> dict[str, Any]:
    reasons: list[str] = []
    checks: dict[str, Any] = {}
    try:
        with service.engine.connect().execution_options(**READ_OPTIONS) as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "joignable"
        current, head = current_revision(service.engine), head_revision(service.engine)
        checks["migrations"] = {"current": current, "head": head}
        if current != head:
            reasons.append(
                f"schéma de la base pas à jour (version {current or 'aucune'}, attendue {head}) :"
                " lancez « crisis db upgrade »"
            )
    except Exception as error:
        checks["database"] = "injoignable"
        reasons.append(f"base de données injoignable ({type(error).__name__})")
    scheduler = service.scheduler
    if scheduler is not None:
        checks["scheduler"] = scheduler.role.value
        if scheduler.role is SchedulerRole.STOPPED:
            reasons.append("planificateur arrêté")
    if service.watch is not None:
        failing = service.watch.reasons()
        last_sweep = service.watch.last_sweep()
        checks["deadline_sweep"] = last_sweep.isoformat() if last_sweep else None
        reasons.extend(failing)
    if service.dispatcher is not None:
        ages = service.metrics.heartbeat_ages()
        checks["dispatcher_heartbeat_age_seconds"] = {k: round(v, 1) for k, v in ages.items()}
        for channel, age in ages.items():
            if age > HEARTBEAT_LIMIT_SECONDS:
                reasons.append(f"répartiteur silencieux depuis {age:.0f} s sur le canal {channel}")
    trunks = _voice_trunks(service, reasons)
    if trunks:
        checks["voice_trunk"] = trunks
    return {"ready": not reasons, "reasons": reasons, "checks": checks}


def _voice_trunks(service: Service, reasons: list[str]) -> dict[str, str]:
    """The registration of each voice trunk in use (a channel not used yet has not tried)."""
    states: dict[str, str] = {}
    for mode, channels in (
        ("réel", service.catalog.production),
        ("exercice", service.catalog.exercise),
    ):
        channel = channels.built().get("voice")
        state = getattr(channel, "registration", None)
        if state is None:
            continue
        states[mode] = str(state.value)
        if state.value == "failed":
            detail = getattr(channel, "registration_detail", "")
            reasons.append(f"trunk SIP ({mode}) non enregistré : {detail}")
    return states

"""Read models of the roster, the callouts and the CIP, shared by the API and the CLI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crisis.domain.oncall import CELL_ROLE_LABELS, CellRole
from crisis.store.unit_of_work import UnitOfWork


def _iso(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant is not None else None


def on_call_now(uow: UnitOfWork, at: datetime) -> list[dict[str, Any]]:
    """Who is on call at `at`, role by role (roles in their fixed order): `[]` when nobody."""
    order = list(CellRole)
    found: list[dict[str, Any]] = []
    for shift in sorted(uow.oncall.on_call(at), key=lambda s: (order.index(s.role), s.starts_at)):
        member = uow.oncall.member(shift.member_id)
        assert member is not None
        found.append(
            {
                "role": shift.role.value,
                "role_label": CELL_ROLE_LABELS[shift.role],
                "member_id": member.id,
                "name": member.name,
                "starts_at": shift.starts_at.isoformat(),
                "ends_at": shift.ends_at.isoformat(),
                "telegram_bound": member.telegram_chat_id is not None,
            }
        )
    return found


def members_view(uow: UnitOfWork) -> list[dict[str, Any]]:
    return [
        {
            "member_id": m.id,
            "name": m.name,
            "contact_id": m.contact_id,
            "reachable_by": sorted(k for k, v in uow.oncall.addresses(m).items() if v),
        }
        for m in uow.oncall.members()
    ]


def callouts_view(uow: UnitOfWork, crisis_id: str) -> list[dict[str, Any]]:
    views: list[dict[str, Any]] = []
    for callout in uow.oncall.callouts_of(crisis_id):
        acked = uow.oncall.role_acknowledged_instants(callout.id)
        names = {m.id: m.name for m in uow.oncall.members()}
        views.append(
            {
                "callout_id": callout.id,
                "team": callout.team.value,
                "started_at": callout.started_at.isoformat(),
                "started_by": callout.started_by,
                "reason": callout.reason,
                "quorum": [r.value for r in callout.quorum],
                "quorum_reached_at": _iso(callout.quorum_reached_at),
                "roles": {role.value: _iso(at) for role, at in sorted(acked.items())},
                "rounds": [
                    {
                        "role": r.role.value,
                        "round": r.round,
                        "kind": r.kind,
                        "started_at": r.started_at.isoformat(),
                        "due_at": r.due_at.isoformat(),
                    }
                    for r in uow.oncall.rounds(callout.id)
                ],
                "pages": [
                    {
                        "page_id": p.id,
                        "role": p.role.value,
                        "round": p.round,
                        "member_id": p.member_id,
                        "name": names.get(p.member_id, ""),
                        "paged_at": p.paged_at.isoformat(),
                        "acknowledged_at": _iso(p.acknowledged_at),
                        "via": p.ack_via,
                    }
                    for p in uow.oncall.pages_of(callout.id)
                ],
            }
        )
    return views


def cip_view(uow: UnitOfWork, crisis_id: str) -> dict[str, Any] | None:
    cip = uow.oncall.cip(crisis_id)
    if cip is None:
        return None
    return {
        "crisis_id": crisis_id,
        "numero_unique": cip.numero_unique,
        "ordered_at": cip.ordered_at.isoformat(),
        "ordered_by": cip.ordered_by,
        "operational_at": _iso(cip.operational_at),
        "deactivated_at": _iso(cip.deactivated_at),
        "deactivated_by": cip.deactivated_by,
        "deactivation_reason": cip.deactivation_reason,
    }

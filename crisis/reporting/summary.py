"""One line of detail per journal entry, in French, for the chronology of a report."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from crisis.domain.oncall import Team
from crisis.french import compact_datetime, decimal, short_time
from crisis.labels import (
    ACK_VIA_LABELS,
    DELIVERY_OUTCOME_LABELS,
    DELIVERY_OUTCOME_PLURALS,
    EVENT_LABELS,
    PERSON_OUTCOME_LABELS,
    ROUND_CALL_LABELS,
    TEAM_LABELS,
    audience_label,
    channel_label,
    clock_label,
    role_label,
)
from crisis.services.approval_calls import STOP_LABELS
from crisis.services.registry import command_action, command_label
from crisis.store.journal import JournalEntry

Payload = dict[str, Any]


def _at(value: Any) -> str:
    return compact_datetime(datetime.fromisoformat(str(value))) if value else "—"


def _roles(codes: Iterable[Any]) -> str:
    return ", ".join(role_label(str(c)) for c in codes) or "—"


def _team(code: Any) -> str:
    try:
        return TEAM_LABELS[Team(str(code))]
    except ValueError:
        return str(code)


def _rounds(count: Any) -> str:
    return f"{count} tour" if count == 1 else f"{count} tours"


def round_calls(calls: Any) -> str:
    """« 3 appels — touche 1 : 2 ; message laissé : 1 », in the labels' order."""
    counts = {str(k): int(v) for k, v in dict(calls).items()}
    total = sum(counts.values())
    parts = [f"{label} : {counts[k]}" for k, label in ROUND_CALL_LABELS.items() if counts.get(k)]
    return f"{total} appel{'s' if total > 1 else ''} — " + " ; ".join(parts)


def _who_paged(p: Payload) -> str:
    return f"{p.get('member_name')} ({role_label(p.get('role'))})"


def _message_sent(p: Payload) -> str:
    audiences = [audience_label(str(a)) for a in p.get("audiences", [])]
    lists = [f"liste « {name} »" for name in p.get("lists", [])]
    counts = _deliveries(p)
    to = ", ".join(audiences + lists) or "destinataires nommés"
    return f"{to} — {counts or 'aucune diffusion'}"


def _deliveries(p: Payload) -> str:
    """« courriel 3, Telegram (message personnel) 100 000 »: rows written, per channel."""
    by_channel = sorted(p.get("deliveries", {}).items())
    return ", ".join(f"{channel_label(str(k))} {decimal(v, 0)}" for k, v in by_channel)


def delivery_route(p: Payload) -> str:
    """« Telegram (message personnel) → élus »: an outcome's channel and audience."""
    return f"{channel_label(str(p.get('channel')))} → {audience_label(str(p.get('audience')))}"


def deliveries_accepted(count: int) -> str:
    """« 1 diffusion acceptée », « 100 000 diffusions acceptées »."""
    plural = "" if count == 1 else "s"
    return f"{decimal(count, 0)} diffusion{plural} acceptée{plural}"


def _fanout_completed(p: Payload) -> str:
    unreachable = int(p.get("unreachable", 0))
    without = f" ; {decimal(unreachable, 0)} sans adresse utilisable" if unreachable else ""
    return f"en tout — {_deliveries(p) or 'aucune diffusion'}{without}"


def _command(p: Payload) -> Payload:
    command = p.get("command")
    return command if isinstance(command, dict) else {}


def _handsets(p: Payload) -> str:
    reports = list(p.get("reports", ()))
    delivered = sum(1 for r in reports if r.get("delivered"))
    parts = [f"{delivered} remis au téléphone"] if delivered else []
    if len(reports) > delivered:
        parts.append(f"{len(reports) - delivered} non remis")
    return f"{delivery_route(p)} : {', '.join(parts)}"


_RECEIPT_KINDS = {
    "matched": "rapproché(s)",
    "waiting": "en attente de leur envoi",
    "duplicate": "en double",
    "unknown": "inconnu(s), abandonné(s)",
}


def _receipts(p: Payload) -> str:
    """« 3 accusé(s) : 2 rapproché(s), 1 en double »."""
    counts = p.get("outcome")
    total = _command(p).get("receipts", 0)
    parts = [
        f"{counts[kind]} {label}"
        for kind, label in _RECEIPT_KINDS.items()
        if isinstance(counts, dict) and counts.get(kind)
    ]
    return f"{total} accusé(s)" + (f" : {', '.join(parts)}" if parts else "")


def _outcomes(p: Payload) -> str:
    outcomes: dict[str, int] = _command(p).get("outcomes", {})
    if not outcomes:
        return ""
    labels = {1: DELIVERY_OUTCOME_LABELS}
    return ", ".join(
        f"{count} {labels.get(count, DELIVERY_OUTCOME_PLURALS).get(code, code)}"
        for code, count in sorted(outcomes.items())
    )


_BY_DELIVERY = re.compile(r"^diffusion ([0-9a-f-]{8})[0-9a-f-]* \((.+)\)$")


def met_by_label(met_by: str) -> str:
    """« diffusion 17e09167-… (email) » as « diffusion par courriel (réf. 17e09167) »."""
    match = _BY_DELIVERY.match(met_by)
    if match is None:
        return met_by
    return f"diffusion par {channel_label(match.group(2))} (réf. {match.group(1)})"


def _clock_met(p: Payload) -> str:
    late = " (en retard)" if p.get("late") else ""
    return f"{clock_label(str(p.get('clock')))} : {met_by_label(str(p.get('met_by')))}{late}"


_SUMMARIES: dict[str, Callable[[Payload], str]] = {
    "event.CrisisOpened": lambda p: ", ".join(p.get("communes", [])),
    "event.CodActivated": lambda p: (
        f"décidé par {p.get('decided_by')} ; SYNERGI : {p.get('synergi_ref') or '—'}"
    ),
    "event.ClockStarted": lambda p: (
        f"{clock_label(str(p.get('clock')))} : échéance {_at(p.get('deadline'))}"
    ),
    "event.ClockMet": _clock_met,
    "event.ClockWarning": lambda p: (
        f"{clock_label(str(p.get('clock')))} : {p.get('offset_minutes')} min écoulées"
    ),
    "event.ClockBreached": lambda p: (
        f"{clock_label(str(p.get('clock')))} : objectif de {p.get('target_minutes')} min dépassé"
    ),
    "event.CellDeclaredOperational": lambda p: (
        f"par {p.get('declared_by')}" + (f" — {p.get('note')}" if p.get("note") else "")
    ),
    "event.DeliveryRecorded": lambda p: (
        f"{audience_label(str(p.get('audience')))} par {p.get('means')}"
        + (f" ({p.get('recipients')})" if p.get("recipients") else "")
    ),
    "event.MessageSent": _message_sent,
    "event.FanoutCompleted": _fanout_completed,
    "event.DeliveriesAccepted": lambda p: (
        f"{delivery_route(p)} : {deliveries_accepted(len(p.get('deliveries', ())))}"
    ),
    "event.DeliveryAccepted": delivery_route,
    "event.HandsetReceiptsRecorded": _handsets,
    "event.DeliveryFailed": lambda p: f"{delivery_route(p)} : {p.get('reason')}",
    "event.DeliveryRequeued": lambda p: channel_label(str(p.get("channel"))),
    "event.ChannelDown": lambda p: (
        f"{channel_label(str(p.get('channel')))} : {p.get('failures')} échecs de suite, "
        f"{p.get('waiting')} diffusion(s) en attente"
    ),
    "event.ChannelRestored": lambda p: channel_label(str(p.get("channel"))),
    "event.DeliveriesGaveUp": lambda p: (
        f"{channel_label(str(p.get('channel')))} : {p.get('count')} diffusion(s)"
        + (" refusée(s) (exercice)" if p.get("refused") else " en échec définitif")
    ),
    "command.RecordDeliveryOutcomes": _outcomes,
    "command.RecordHandsetReceipts": _receipts,
    "event.CrisisClosed": lambda p: (
        ("ouvert par erreur : " if p.get("opened_by_mistake") else "") + str(p.get("reason", ""))
    ),
    "event.InjectPlayed": lambda p: (
        f"{p.get('sender')} → {role_label(p.get('to'))} ({channel_label(str(p.get('channel')))})"
        f" : {p.get('content')}"
    ),
    "event.DraftComposed": lambda p: f"rédigé par {p.get('composed_by')}",
    "event.DraftRejected": lambda p: str(p.get("reason", "")),
    "event.DraftApproved": lambda p: (
        f"validé par {p.get('approved_by')} (auteur : {p.get('author')})"
    ),
    "event.CalloutStarted": lambda p: (
        f"{_team(p.get('team'))} ({p.get('reason')}) ; rôles : {_roles(p.get('roles', []))}"
    ),
    "event.MemberPaged": lambda p: f"{_who_paged(p)}, tour {int(p.get('round', 0)) + 1}",
    "event.RoleUnstaffed": lambda p: (
        f"{role_label(p.get('role'))} : personne à appeler au tour {int(p.get('round', 0)) + 1}"
    ),
    "event.CalloutEscalated": lambda p: (
        f"{role_label(p.get('role'))} : pas de réponse, tour {int(p.get('round', 0)) + 1}"
        + (f" ({', '.join(p.get('paged', []))})" if p.get("paged") else "")
    ),
    "event.CalloutOfficerAlerted": lambda p: (
        f"{role_label(p.get('role'))} : sans réponse après {_rounds(p.get('rounds'))}"
    ),
    "event.PageAcknowledged": lambda p: (
        f"{_who_paged(p)} par {ACK_VIA_LABELS.get(str(p.get('via')), str(p.get('via')))}"
        + (
            f", saisi par {p.get('recorded_by')} pour le compte de {p.get('member_name')}"
            if p.get("recorded_by")
            else ""
        )
    ),
    "event.PageDeclined": lambda p: f"{_who_paged(p)} : indisponible (touche 2)",
    "event.CalloutRoundCalls": lambda p: (
        f"{role_label(p.get('role'))}, tour {int(p.get('round', 0)) + 1} : "
        + round_calls(p.get("calls", {}))
    ),
    "event.QuorumReached": lambda p: f"{_team(p.get('team'))} : {_roles(p.get('quorum', []))}",
    "event.ShiftHandedOver": lambda p: (
        f"{role_label(p.get('role'))} : {', '.join(p.get('from_members', [])) or '—'} → "
        f"{', '.join(p.get('to_members', [])) or '—'}"
    ),
    "event.CipOrdered": lambda p: (
        f"numéro unique {p.get('numero_unique')}, ordre de {p.get('ordered_by')}"
    ),
    "event.CipDeclaredOperational": lambda p: (
        f"par {p.get('declared_by')}" + (f" — {p.get('note')}" if p.get("note") else "")
    ),
    "event.CipPublished": lambda p: (
        f"annonce de l'ouverture : {p.get('numero_unique')}"
        if p.get("kind") == "activation"
        else f"annonce de la fermeture : {p.get('numero_unique')}"
    ),
    "event.CipDeactivated": lambda p: str(p.get("reason", "")),
    # The approvers called (crisis.services.approval_calls).
    "event.ApprovalCallStarted": lambda p: (
        f"ordre : {', '.join(p.get('approvers', [])) or 'personne à appeler'}"
        + (
            f" ; dernier appel au plus tard {_at(p.get('last_call_at'))}"
            if p.get("deadline")
            else ""
        )
    ),
    "event.ApproverPaged": lambda p: (
        f"{p.get('approver')} ("
        + (", ".join(channel_label(str(c)) for c in p.get("channels", [])) or "injoignable")
        + f"), suite à {_at(p.get('next_due_at'))}"
    ),
    "event.ApprovalPageAcknowledged": lambda p: (
        f"{p.get('approver')} par {ACK_VIA_LABELS.get(str(p.get('via')), str(p.get('via')))}"
        + (
            f" ; sans décision, les appels reprennent à {_at(p.get('resume_at'))}"
            if p.get("resume_at")
            else ""
        )
    ),
    "event.ApprovalCallResumed": lambda p: (
        f"{p.get('approver')} (pris en charge à {_at(p.get('acknowledged_at'))})"
        + (" ; liste épuisée, appels arrêtés" if p.get("final") else "")
    ),
    "event.ApprovalPageDeclined": lambda p: str(p.get("approver", "")),
    "event.ApprovalCallOfficerAlerted": lambda p: (
        f"après {_rounds(p.get('passes'))} de la liste, {p.get('paged')} valideur(s) joint(s)"
        + (" ; appels arrêtés" if p.get("final") else "")
    ),
    "event.ApprovalCallStopped": lambda p: (
        STOP_LABELS.get(str(p.get("reason")), str(p.get("reason")))
        + (f" ({p.get('by')})" if p.get("by") else "")
        + (f" ; {_calls(p.get('calls') or {})}" if p.get("calls") else "")
    ),
    "event.ReplayAnnotated": lambda p: (
        f"à {short_time(datetime.fromisoformat(str(p.get('at'))))} : {p.get('text')}"
    ),
}


def _calls(calls: Payload) -> str:
    """The phone calls in aggregate: « 1 accusé de réception par téléphone (touche 1) »."""
    labels = {
        **PERSON_OUTCOME_LABELS,
        "no_answer": "sans réponse",
        "cancelled": "annulé avant de sonner",
        "pending": "en attente",
    }
    return "appels : " + ", ".join(
        f"{count} {labels.get(outcome, outcome)}" for outcome, count in calls.items()
    )


def _outcome(p: Payload) -> Payload:
    outcome = p.get("outcome")
    return outcome if isinstance(outcome, dict) else {}


def _contact_switched(p: Payload) -> str:
    reason = _outcome(p).get("reason")
    return str(_outcome(p).get("name", "")) + (f" — {reason}" if reason else "")


def _scenario(p: Payload) -> str:
    return f"{_outcome(p).get('title', '')} (« {_outcome(p).get('name', '')} »)"


_SUMMARIES |= {
    "command.DeactivateContact": _contact_switched,
    "command.ReactivateContact": _contact_switched,
    "command.UploadScenario": _scenario,
    "command.RemoveScenario": _scenario,
    "command.PlayDrill": lambda p: str(_outcome(p).get("title", "")),
}


def journal_label(kind: str) -> str:
    """« Alerte d'échéance » for `event.ClockWarning`, « Validation d'un message » for
    `command.ApproveDraft`, « Refus : valider un message » for `refused.ApproveDraft`."""
    prefix, _, name = kind.partition(".")
    if prefix == "command":
        return command_label(name) or name
    if prefix == "event":
        return EVENT_LABELS.get(name, name)
    if prefix == "refused":
        return f"Refus : {command_action(name) or name}"
    return kind


def entry_summary(entry: JournalEntry) -> str:
    if entry.kind.startswith("refused."):
        return str(entry.payload.get("reason", ""))
    summary = _SUMMARIES.get(entry.kind)
    return summary(entry.payload) if summary is not None else ""

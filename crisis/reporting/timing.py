"""The timing report: every figure is computed from journal entries, so it can be traced.

The report reads the crisis stream in order. It knows the events of the core (activation,
clocks, deliveries), of the approval workflow, of the callout and of the CIP by their kinds;
any other entry still appears in the chronology.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from crisis.domain.vocabulary import CLOCK_LABELS, ClockName
from crisis.reporting.chronology import GROUPED_KINDS, extend_group
from crisis.reporting.report_models import (
    COMMITMENTS,
    STATE_LABELS,
    AcknowledgementReport,
    CalloutReport,
    ChainReport,
    ChannelDeliveryReport,
    ChronologyEntry,
    CipReport,
    ClockReport,
    InjectReport,
    MessageReport,
    TimingReport,
    Verdict,
)
from crisis.services.retex_views import RETEX_KINDS, current_retex
from crisis.store.journal import ChainCheck, JournalEntry


def minutes_between(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 60, 2)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile: a value that really occurred, the same on every run."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return round(ordered[rank - 1], 3)


def _instant(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


class _Clock:
    def __init__(self, payload: dict[str, Any]) -> None:
        self.name = str(payload["clock"])
        self.target = int(payload["target_minutes"])
        self.started_at = _instant(payload["started_at"])
        self.deadline = _instant(payload["deadline"])
        self.met_at: datetime | None = None
        self.met_by: str | None = None
        self.warnings: list[int] = []
        self.breach_raised_at: datetime | None = None

    def report(self) -> ClockReport:
        achieved = minutes_between(self.started_at, self.met_at) if self.met_at else None
        if self.met_at is not None:
            state = "met" if self.met_at <= self.deadline else "met_late"
        else:
            state = "breached" if self.breach_raised_at is not None else "running"
        try:
            label = CLOCK_LABELS[ClockName(self.name)]
        except (ValueError, KeyError):
            label = COMMITMENTS.get(self.name, ("", self.name))[1]
        return ClockReport(
            name=self.name,
            label=label,
            commitment=COMMITMENTS.get(self.name, ("", ""))[0],
            target_minutes=self.target,
            started_at=self.started_at,
            deadline=self.deadline,
            met_at=self.met_at,
            met_by=self.met_by,
            achieved_minutes=achieved,
            margin_minutes=round(self.target - achieved, 2) if achieved is not None else None,
            state=state,
            warnings_raised=sorted(self.warnings),
            breach_raised_at=self.breach_raised_at,
        )


class _Message:
    def __init__(self, entry: JournalEntry) -> None:
        payload = entry.payload
        self.id = str(payload["message_id"])
        self.purpose = str(payload.get("purpose", "factual"))
        self.msg_type = str(payload.get("msg_type", "alert"))
        self.author = entry.actor
        self.created_at = entry.at
        self.audiences = [str(a) for a in payload.get("audiences", [])]
        self.lists = [str(a) for a in payload.get("lists", [])]
        self.planned: dict[str, int] = {
            str(k): int(v) for k, v in payload.get("deliveries", {}).items()
        }
        # Per channel: the latencies (seconds) and the first and last acceptance.
        self.latencies: dict[str, list[float]] = {}
        self.accepted_span: dict[str, tuple[datetime, datetime]] = {}
        self.failed: dict[str, int] = {}
        self.approver: str | None = None
        self.approved_at: datetime | None = None
        self.approval_requested_at: datetime | None = None
        self.author_override: str | None = None

    def accept(self, channel: str, accepted_at: datetime, queued_at: Any) -> None:
        latency = (accepted_at - _instant(queued_at)).total_seconds()
        self.latencies.setdefault(channel, []).append(latency)
        first, last = self.accepted_span.get(channel, (accepted_at, accepted_at))
        self.accepted_span[channel] = (min(first, accepted_at), max(last, accepted_at))

    def report(self) -> MessageReport:
        channels = []
        for channel in sorted(set(self.planned) | set(self.latencies) | set(self.failed)):
            latencies = sorted(self.latencies.get(channel, []))
            span = self.accepted_span.get(channel)
            channels.append(
                ChannelDeliveryReport(
                    channel=channel,
                    deliveries=self.planned.get(channel, len(latencies)),
                    accepted=len(latencies),
                    failed=self.failed.get(channel, 0),
                    first_accepted_at=span[0] if span else None,
                    last_accepted_at=span[1] if span else None,
                    latency_p50_seconds=percentile(latencies, 0.5),
                    latency_p95_seconds=percentile(latencies, 0.95),
                )
            )
        author = self.author_override or self.author
        return MessageReport(
            message_id=self.id,
            purpose=self.purpose,
            msg_type=self.msg_type,
            author=author,
            created_at=self.created_at,
            audiences=self.audiences,
            lists=self.lists,
            approver=self.approver,
            approved_at=self.approved_at,
            minutes_to_approval=minutes_between(self.approval_requested_at, self.approved_at)
            if self.approved_at and self.approval_requested_at
            else None,
            channels=channels,
            failures=sum(self.failed.values()),
        )


KIND_LABELS: dict[str, str] = {
    "command.OpenCrisis": "Ouverture de l'événement",
    "command.ActivateCod": "Enregistrement de l'activation du COD",
    "command.DeclareCellOperational": "Déclaration : cellule opérationnelle",
    "command.RecordDelivery": "Diffusion hors service enregistrée",
    "command.CheckDeadlines": "Contrôle des échéances",
    "command.CloseCrisis": "Clôture demandée",
    "command.SendMessage": "Envoi d'un message",
    "command.RecordDeliveryOutcomes": "Résultats de diffusion",
    "command.RetryDelivery": "Relance d'une diffusion",
    "event.CrisisOpened": "Événement ouvert",
    "event.CodActivated": "COD activé (décision du préfet)",
    "event.ClockStarted": "Horloge lancée",
    "event.ClockMet": "Horloge tenue",
    "event.ClockWarning": "Alerte d'échéance",
    "event.ClockBreached": "Échéance dépassée",
    "event.CellDeclaredOperational": "Cellule déclarée opérationnelle",
    "event.DeliveryRecorded": "Diffusion hors service",
    "event.MessageSent": "Message mis en diffusion",
    "event.DeliveryAccepted": "Diffusion acceptée par le fournisseur",
    "event.DeliveryFailed": "Diffusion en échec",
    "event.DeliveryRequeued": "Diffusion relancée",
    "event.CrisisClosed": "Événement clos",
    "command.PlayInject": "Inject d'exercice",
    "command.DeliverInject": "Inject d'exercice transmis aux joueurs",
    "event.DraftComposed": "Message rédigé",
    "event.DraftEdited": "Message modifié",
    "event.DraftSubmitted": "Message soumis à validation",
    "event.DraftApproved": "Message approuvé",
    "event.DraftRejected": "Message refusé",
    "event.DraftSent": "Message validé envoyé",
    "event.CalloutStarted": "Appel de la cellule lancé",
    "event.MemberPaged": "Membre appelé",
    "event.RoleUnstaffed": "Rôle sans personne à appeler",
    "event.CalloutEscalated": "Escalade de l'appel",
    "event.CalloutOfficerAlerted": "Cadre de permanence alerté (appel sans réponse)",
    "event.PageAcknowledged": "Accusé de réception",
    "event.QuorumReached": "Quorum atteint",
    "event.ShiftHandedOver": "Relève",
    "event.CipOrdered": "Ordre d'activation de la CIP",
    "event.CipDeclaredOperational": "CIP opérationnelle",
    "event.CipPublished": "Numéro unique publié",
    "event.CipDeactivated": "CIP désactivée",
    "event.InjectPlayed": "Inject joué",
    "command.RecordRetex": "Retour d'expérience enregistré",
    "command.UpdateRetexAction": "Action corrective mise à jour",
    "event.RetexRecorded": "Retour d'expérience (nouvelle version)",
    "event.RetexActionUpdated": "Changement d'état d'une action corrective",
}


def kind_label(kind: str) -> str:
    if kind in KIND_LABELS:
        return KIND_LABELS[kind]
    prefix, _, name = kind.partition(".")
    if prefix == "refused":
        return f"Refus : {name}"
    return name or kind


def _clock_label(name: Any) -> str:
    try:
        return CLOCK_LABELS[ClockName(str(name))]
    except (ValueError, KeyError):
        return str(name)


def _summary(entry: JournalEntry) -> str:
    p = entry.payload
    kind = entry.kind
    clock_label = _clock_label(p.get("clock"))
    if kind == "event.CodActivated":
        return f"décidé par {p.get('decided_by')} ; SYNERGI : {p.get('synergi_ref') or '—'}"
    if kind in ("event.ClockMet",):
        return f"{clock_label} : {p.get('met_by')}" + (" (en retard)" if p.get("late") else "")
    if kind == "event.ClockWarning":
        return f"{clock_label} : {p.get('offset_minutes')} min écoulées"
    if kind == "event.ClockBreached":
        return f"{clock_label} : objectif de {p.get('target_minutes')} min dépassé"
    if kind == "event.DeliveryAccepted":
        return f"{p.get('channel')} → {p.get('audience')}"
    if kind == "event.DeliveryFailed":
        return f"{p.get('channel')} → {p.get('audience')} : {p.get('reason')}"
    if kind == "event.MessageSent":
        counts = ", ".join(f"{k} {v}" for k, v in sorted(p.get("deliveries", {}).items()))
        return f"{', '.join(p.get('audiences', []) + p.get('lists', []))} — {counts}"
    if kind == "event.MemberPaged":
        return f"{p.get('member_name')} ({p.get('role')}), tour {p.get('round')}"
    if kind == "event.PageAcknowledged":
        return f"{p.get('member_name')} ({p.get('role')}) par {p.get('via')}"
    if kind == "event.CipOrdered":
        return f"numéro unique {p.get('numero_unique')}, ordre de {p.get('ordered_by')}"
    if kind == "event.DraftRejected":
        return str(p.get("reason", ""))
    if kind == "event.DraftApproved":
        return f"approuvé par {p.get('approved_by')} (auteur : {p.get('author')})"
    if kind == "event.InjectPlayed":
        return f"{p.get('sender')} → {p.get('to')} ({p.get('channel')}) : {p.get('content')}"
    if kind.startswith("refused."):
        return str(p.get("reason", ""))
    if kind == "event.CrisisClosed":
        return str(p.get("reason", ""))
    return ""


def build_report(
    *, crisis_id: str, entries: Iterable[JournalEntry], chain: ChainCheck, now: datetime
) -> TimingReport:
    retex_entries: list[JournalEntry] = []  # the journal itself is read once, as a stream
    head: dict[str, Any] = {}
    clocks: dict[str, _Clock] = {}
    messages: dict[str, _Message] = {}
    acknowledgements: list[AcknowledgementReport] = []
    pages: dict[str, datetime] = {}
    drafts: dict[str, dict[str, Any]] = {}
    callout: dict[str, Any] = {"pages": 0, "escalations": 0, "officer_alerts": 0}
    cip: dict[str, Any] = {}
    injects: list[InjectReport] = []
    chronology: list[ChronologyEntry] = []
    group: tuple[str, Any, Any, Any] | None = None
    for entry in entries:
        p = entry.payload
        kind = entry.kind
        if kind in RETEX_KINDS:
            retex_entries.append(entry)
        key = (kind, p.get("message_id"), p.get("channel"), p.get("audience"))
        if kind in GROUPED_KINDS and key == group:
            extend_group(chronology[-1], entry)
        else:
            group = key if kind in GROUPED_KINDS else None
            chronology.append(
                ChronologyEntry(
                    seq=entry.seq,
                    at=entry.at,
                    actor=entry.actor,
                    kind=kind,
                    label=kind_label(kind),
                    summary=_summary(entry),
                    hash=entry.hash,
                )
            )
        if kind == "event.CrisisOpened":
            head.update(
                title=p["title"],
                kind=p["kind"],
                exercise=p["exercise"],
                communes=list(p.get("communes", [])),
                reported_at=_instant(p["reported_at"]),
            )
        elif kind == "event.CodActivated":
            head.update(
                cod_decided_at=_instant(p["decided_at"]),
                cod_decided_by=p["decided_by"],
                synergi_ref=p.get("synergi_ref"),
            )
        elif kind == "event.ClockStarted":
            clocks[str(p["clock"])] = _Clock(p)
        elif kind == "event.ClockMet":
            clock = clocks.get(str(p["clock"]))
            met_at = _instant(p["met_at"])
            if clock is not None and (clock.met_at is None or met_at < clock.met_at):
                clock.met_at, clock.met_by = met_at, str(p.get("met_by"))
        elif kind == "event.ClockWarning":
            clock = clocks.get(str(p["clock"]))
            if clock is not None:
                clock.warnings.append(int(p["offset_minutes"]))
        elif kind == "event.ClockBreached":
            clock = clocks.get(str(p["clock"]))
            if clock is not None:
                clock.breach_raised_at = _instant(p["raised_at"])
        elif kind == "event.CrisisClosed":
            head.update(closed_at=_instant(p["closed_at"]), close_reason=p.get("reason"))
        elif kind == "event.MessageSent":
            message = messages.get(str(p["message_id"]))
            if message is None:
                messages[str(p["message_id"])] = _Message(entry)
            else:
                message.planned = {str(k): int(v) for k, v in p.get("deliveries", {}).items()}
                message.audiences = [str(a) for a in p.get("audiences", [])]
                message.lists = [str(a) for a in p.get("lists", [])]
                message.purpose = str(p.get("purpose", message.purpose))
                message.msg_type = str(p.get("msg_type", message.msg_type))
        elif kind == "event.DeliveryAccepted":
            message = messages.get(str(p["message_id"]))
            if message is not None:
                message.accept(str(p["channel"]), _instant(p["accepted_at"]), p["queued_at"])
        elif kind == "event.DeliveryFailed":
            message = messages.get(str(p["message_id"]))
            if message is not None:
                channel = str(p["channel"])
                message.failed[channel] = message.failed.get(channel, 0) + 1
        elif kind == "event.DraftComposed":
            drafts[str(p["draft_id"])] = {"author": str(p["composed_by"]), "composed_at": entry.at}
        elif kind == "event.DraftSubmitted":
            drafts.setdefault(str(p["draft_id"]), {})["submitted_at"] = entry.at
        elif kind == "event.DraftApproved":
            draft = drafts.setdefault(str(p["draft_id"]), {})
            draft.update(approver=str(p["approved_by"]), approved_at=entry.at)
        elif kind == "event.DraftSent":
            _link_draft(messages, drafts.get(str(p["draft_id"]), {}), str(p["message_id"]))
        elif kind == "event.MemberPaged":
            pages[str(p["page_id"])] = entry.at
            callout["pages"] += 1
        elif kind == "event.CalloutEscalated":
            callout["escalations"] += 1
        elif kind == "event.CalloutOfficerAlerted":
            callout["officer_alerts"] += 1
        elif kind == "event.QuorumReached" and p.get("team") == "cell":
            callout.setdefault("quorum_reached_at", _instant(p["reached_at"]))
        elif kind == "event.PageAcknowledged":
            acknowledged_at = _instant(p["acknowledged_at"])
            paged_at = pages.get(str(p["page_id"]))
            acknowledgements.append(
                AcknowledgementReport(
                    who=str(p["member_name"]),
                    role=p.get("role"),
                    paged_at=paged_at,
                    acknowledged_at=acknowledged_at,
                    minutes_to_acknowledge=minutes_between(paged_at, acknowledged_at)
                    if paged_at
                    else None,
                    via=p.get("via"),
                )
            )
        elif kind == "event.CipOrdered":
            cip.update(
                ordered_at=_instant(p["ordered_at"]),
                ordered_by=str(p["ordered_by"]),
                numero_unique=str(p["numero_unique"]),
            )
        elif kind == "event.CipDeclaredOperational":
            cip.setdefault("operational_at", _instant(p["declared_at"]))
        elif kind == "event.CipPublished" and p.get("kind") == "activation":
            cip.setdefault("published_at", entry.at)
        elif kind == "event.CipDeactivated":
            cip["deactivated_at"] = _instant(p["deactivated_at"])
        elif kind == "event.InjectPlayed":
            injects.append(
                InjectReport(
                    offset_minutes=int(p["offset_minutes"]),
                    played_at=entry.at,
                    sender=str(p["sender"]),
                    to=str(p["to"]),
                    channel=str(p["channel"]),
                    content=str(p["content"]),
                    expected_action=p.get("expected_action"),
                    target_at=_instant(p["target_at"]) if p.get("target_at") else None,
                )
            )
    clock_reports = [c.report() for c in clocks.values()]
    return TimingReport(
        crisis_id=crisis_id,
        title=head.get("title", ""),
        kind=head.get("kind", ""),
        exercise=bool(head.get("exercise", False)),
        communes=head.get("communes", []),
        reported_at=head.get("reported_at"),
        cod_decided_at=head.get("cod_decided_at"),
        cod_decided_by=head.get("cod_decided_by"),
        synergi_ref=head.get("synergi_ref"),
        closed_at=head.get("closed_at"),
        close_reason=head.get("close_reason"),
        generated_at=now,
        clocks=clock_reports,
        messages=[m.report() for m in messages.values()],
        acknowledgements=acknowledgements,
        callout=CalloutReport(acknowledgements=acknowledgements, **callout)
        if callout["pages"]
        else None,
        cip=_cip_report(cip),
        injects=injects,
        verdicts=_verdicts(clock_reports),
        chronology=chronology,
        journal=ChainReport(
            ok=chain.ok,
            entries_checked=chain.entries_checked,
            first_broken_seq=chain.first_broken_seq,
            reason=chain.reason,
        ),
        retex=current_retex(crisis_id, retex_entries),
    )


def _link_draft(messages: dict[str, _Message], draft: dict[str, Any], message_id: str) -> None:
    """A message sent from a draft: its author, its approver and its time to approval."""
    message = messages.get(message_id)
    if message is None:
        return
    if "author" in draft:
        message.author_override = str(draft["author"])
    if "composed_at" in draft:
        message.created_at = draft["composed_at"]
    if "approver" in draft:
        message.approver = str(draft["approver"])
        message.approved_at = draft["approved_at"]
        message.approval_requested_at = draft.get("submitted_at", message.created_at)


def _cip_report(cip: dict[str, Any]) -> CipReport | None:
    if "ordered_at" not in cip:
        return None
    operational = cip.get("operational_at")
    return CipReport(
        ordered_at=cip["ordered_at"],
        ordered_by=cip["ordered_by"],
        numero_unique=cip["numero_unique"],
        operational_at=operational,
        minutes_to_operational=minutes_between(cip["ordered_at"], operational)
        if operational
        else None,
        published_at=cip.get("published_at"),
        deactivated_at=cip.get("deactivated_at"),
    )


def _verdicts(clocks: Sequence[ClockReport]) -> list[Verdict]:
    by_name = {c.name: c for c in clocks}
    verdicts: list[Verdict] = []
    for name, (commitment, subject) in COMMITMENTS.items():
        clock = by_name.get(name)
        if clock is None:
            state = "not_started"
            detail = "le COD n'a pas été activé" if name != "cip" else "la CIP n'a pas été activée"
        else:
            state = clock.state
            if clock.achieved_minutes is not None:
                detail = (
                    f"atteint en {clock.achieved_minutes:g} min pour {clock.target_minutes} min"
                )
            else:
                detail = f"objectif de {clock.target_minutes} min"
        verdicts.append(
            Verdict(
                commitment=commitment,
                subject=subject,
                state=state,
                label=STATE_LABELS[state],
                detail=detail,
            )
        )
    return verdicts

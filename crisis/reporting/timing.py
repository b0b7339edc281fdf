"""The timing report: every figure is computed from journal entries, so it can be traced.

The report reads the crisis stream in order. It knows the events of the core (activation,
clocks, deliveries), of the approval workflow, of the callout and of the CIP by their kinds;
any other entry still appears in the chronology.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from crisis.french import duration_minutes
from crisis.labels import COMMITMENT_STATE_LABELS
from crisis.reporting.chronology import GROUPED_KINDS, Run
from crisis.reporting.citations import cited
from crisis.reporting.message_timing import MessageTiming, minutes_between
from crisis.reporting.message_timing import instant as _instant
from crisis.reporting.report_models import (
    COMMITMENTS,
    AcknowledgementReport,
    AnnotationReport,
    CalloutReport,
    ChainReport,
    ChronologyEntry,
    CipReport,
    ClockReport,
    InjectReport,
    TimingReport,
    Verdict,
)
from crisis.reporting.summary import entry_summary, journal_label
from crisis.reporting.timing_clocks import JournalClock as _Clock
from crisis.services.retex_views import (
    RETEX_KINDS,
    EntryRef,
    RetexView,
    current_retex,
    entry_ref,
)
from crisis.store.journal import ChainCheck, JournalEntry


def build_report(
    *,
    crisis_id: str,
    entries: Iterable[JournalEntry],
    chain: ChainCheck | Callable[[], ChainCheck],
    now: datetime,
) -> TimingReport:
    """The report of one crisis from its journal entries, read once as a stream; `chain` is
    the check of the journal, or what gives it once every entry was read."""
    retex_entries: list[JournalEntry] = []  # the journal itself is read once, as a stream
    annotations: list[JournalEntry] = []
    head: dict[str, Any] = {}
    clocks: dict[str, _Clock] = {}
    messages: dict[str, MessageTiming] = {}
    acknowledgements: list[AcknowledgementReport] = []
    pages: dict[str, datetime] = {}
    drafts: dict[str, dict[str, Any]] = {}
    callout: dict[str, Any] = {"pages": 0, "escalations": 0, "officer_alerts": 0}
    cip: dict[str, Any] = {}
    injects: list[InjectReport] = []
    chronology: list[ChronologyEntry] = []
    group: tuple[str, Any, Any, Any] | None = None
    run: Run | None = None
    for entry in entries:
        p = entry.payload
        kind = entry.kind
        if kind in RETEX_KINDS:
            retex_entries.append(entry)
        key = (kind, p.get("message_id"), p.get("channel"), p.get("audience"))
        if run is not None and key == group:
            run.extend(entry)
        else:
            if run is not None:
                run.close()
            line = ChronologyEntry(
                seq=entry.seq,
                at=entry.at,
                actor=entry.actor,
                kind=kind,
                label=journal_label(kind),
                summary=entry_summary(entry),
                hash=entry.hash,
            )
            chronology.append(line)
            group, run = (key, Run(line, entry)) if kind in GROUPED_KINDS else (None, None)
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
            clocks[str(p["clock"])] = _Clock(entry)
        elif kind == "event.ClockMet":
            clock = clocks.get(str(p["clock"]))
            if clock is not None:
                clock.meet(entry)
        elif kind == "event.ClockCorrected":
            clock = clocks.get(str(p["clock"]))
            if clock is not None:
                clock.correct(entry)
        elif kind == "event.ClockWarning":
            clock = clocks.get(str(p["clock"]))
            if clock is not None:
                clock.warnings.append(int(p["offset_minutes"]))
        elif kind == "event.ClockBreached":
            clock = clocks.get(str(p["clock"]))
            if clock is not None:
                clock.breach_raised_at = _instant(p["raised_at"])
                clock.breached_in = entry_ref(entry)
        elif kind == "event.CrisisClosed":
            head.update(
                closed_at=_instant(p["closed_at"]),
                close_reason=p.get("reason"),
                opened_by_mistake=bool(p.get("opened_by_mistake", False)),
            )
        elif kind == "event.MessageSent":
            message = messages.get(str(p["message_id"]))
            if message is None:
                messages[str(p["message_id"])] = MessageTiming(entry)
            else:
                message.planned = {str(k): int(v) for k, v in p.get("deliveries", {}).items()}
                message.audiences = [str(a) for a in p.get("audiences", [])]
                message.lists = [str(a) for a in p.get("lists", [])]
                message.purpose = str(p.get("purpose", message.purpose))
                message.msg_type = str(p.get("msg_type", message.msg_type))
        elif kind == "event.FanoutCompleted":
            message = messages.get(str(p["message_id"]))
            if message is not None:  # what the background wrote after the send's answer
                message.planned = {str(k): int(v) for k, v in p.get("deliveries", {}).items()}
        elif kind == "event.DeliveriesAccepted":
            message = messages.get(str(p["message_id"]))
            if message is not None:
                channel = str(p["channel"])
                fallbacks = set(p.get("fallbacks", ())) | message.fallback_ids
                for delivery in p["deliveries"]:
                    message.accept(
                        channel,
                        _instant(delivery["accepted_at"]),
                        delivery["queued_at"],
                        entry,
                        delivery_id=str(delivery["delivery_id"]),
                        audience=str(p.get("audience", "")) or None,
                    )
                    if delivery["delivery_id"] in fallbacks:
                        message.fallback(channel, str(delivery["delivery_id"]))
        elif kind == "event.DeliveryAccepted":  # one entry per delivery, in older journals
            message = messages.get(str(p["message_id"]))
            if message is not None:
                message.accept(
                    str(p["channel"]),
                    _instant(p["accepted_at"]),
                    p["queued_at"],
                    entry,
                    delivery_id=str(p.get("delivery_id", "")) or None,
                    audience=str(p.get("audience", "")) or None,
                )
                if p.get("delivery_id") in message.fallback_ids:
                    message.fallback(str(p["channel"]), str(p["delivery_id"]))
        elif kind == "event.HandsetReceiptsRecorded":
            message = messages.get(str(p["message_id"]))
            if message is not None:
                message.handsets(
                    str(p["channel"]), p.get("reports", ()), str(p.get("audience", "")) or None
                )
        elif kind == "event.DeliveryFailed":
            message = messages.get(str(p["message_id"]))
            if message is not None:
                channel = str(p["channel"])
                # An exercise interlock's refusal never reached a provider: not « sent ».
                shown = (not p.get("refused") and str(p.get("audience", ""))) or None
                message.refuse(channel, shown)
                if p.get("fallback_delivery_id"):
                    message.fallback_ids.add(str(p["fallback_delivery_id"]))
                if p.get("fallback_of") or p.get("delivery_id") in message.fallback_ids:
                    message.fallback(channel, str(p["delivery_id"]))
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
            paging = messages.get(str(p.get("message_id")))
            if paging is not None:
                paging.paged = (str(p["member_name"]), str(p["role"]))
        elif kind == "event.CalloutEscalated":
            callout["escalations"] += 1
        elif kind == "event.CalloutRoundCalls":
            calls = callout.setdefault("calls", {})
            for outcome, count in p.get("calls", {}).items():
                calls[str(outcome)] = calls.get(str(outcome), 0) + int(count)
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
                    recorded_by=p.get("recorded_by"),
                )
            )
        elif kind == "event.CipOrdered":
            cip.update(
                ordered_at=_instant(p["ordered_at"]),
                ordered_by=str(p["ordered_by"]),
                numero_unique=str(p["numero_unique"]),
                ordered_in=entry_ref(entry),
            )
        elif kind == "event.CipDeclaredOperational":
            declared_at = _instant(p["declared_at"])
            if "operational_at" not in cip or declared_at < cip["operational_at"]:
                cip.update(operational_at=declared_at, operational_in=entry_ref(entry))
        elif kind == "event.CipPublished" and p.get("kind") == "activation":
            # The announcement queued: published once a channel accepts it (see below).
            if "announced_at" not in cip:
                cip.update(announced_at=entry.at, announced_message=str(p.get("message_id")))
        elif kind == "event.CipDeactivated":
            cip["deactivated_at"] = _instant(p["deactivated_at"])
        elif kind == "event.ReplayAnnotated":
            annotations.append(entry)
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
    if run is not None:
        run.close()
    clock_reports = [c.report() for c in clocks.values()]
    if callable(chain):
        chain = chain()
    retex = current_retex(crisis_id, retex_entries)
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
        opened_by_mistake=bool(head.get("opened_by_mistake", False)),
        generated_at=now,
        clocks=clock_reports,
        messages=[m.report() for m in messages.values()],
        acknowledgements=acknowledgements,
        callout=CalloutReport(acknowledgements=acknowledgements, **callout)
        if callout["pages"]
        else None,
        cip=_cip_report(cip, messages),
        injects=injects,
        verdicts=_verdicts(clock_reports),
        chronology=chronology,
        journal=ChainReport(
            ok=chain.ok,
            entries_checked=chain.entries_checked,
            first_broken_seq=chain.first_broken_seq,
            reason=chain.reason,
            head_hash=chronology[-1].hash if chronology else None,
        ),
        retex=retex,
        annotations=_annotations(annotations, retex),
    )


def _annotations(entries: list[JournalEntry], retex: RetexView | None) -> list[AnnotationReport]:
    """The replay's remarks in the order of the instants they speak of."""
    actions = {a.action_id: a.description for a in retex.actions} if retex else {}
    found = [
        AnnotationReport(
            at=_instant(e.payload["at"]),
            text=str(e.payload["text"]),
            written_by=str(e.payload["written_by"]),
            written_at=e.at,
            action_id=e.payload.get("action_id"),
            action=actions.get(str(e.payload.get("action_id"))),
            seq=e.seq,
        )
        for e in entries
    ]
    return sorted(found, key=lambda a: (a.at, a.seq))


def _link_draft(messages: dict[str, MessageTiming], draft: dict[str, Any], message_id: str) -> None:
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


def _cip_report(cip: dict[str, Any], messages: dict[str, MessageTiming]) -> CipReport | None:
    """The CIP, its numéro unique published only once a channel accepted its announcement."""
    if "ordered_at" not in cip:
        return None
    operational = cip.get("operational_at")
    announcement = messages.get(str(cip.get("announced_message")))
    published = announcement.first_accepted if announcement is not None else None
    found = [cip.get("ordered_in"), cip.get("operational_in"), published[1] if published else None]
    return CipReport(
        ordered_at=cip["ordered_at"],
        ordered_by=cip["ordered_by"],
        numero_unique=cip["numero_unique"],
        operational_at=operational,
        minutes_to_operational=minutes_between(cip["ordered_at"], operational)
        if operational
        else None,
        announced_at=cip.get("announced_at"),
        published_at=published[0] if published else None,
        deactivated_at=cip.get("deactivated_at"),
        sources=sorted((s for s in found if s is not None), key=lambda s: s.seq),
    )


def _verdicts(clocks: Sequence[ClockReport]) -> list[Verdict]:
    by_name = {c.name: c for c in clocks}
    verdicts: list[Verdict] = []
    for name, (commitment, subject) in COMMITMENTS.items():
        clock = by_name.get(name)
        if clock is None:
            state = "not_started"
            detail = "le COD n'a pas été activé" if name != "cip" else "la CIP n'a pas été activée"
            sources: list[EntryRef] = []
        else:
            state = clock.state
            if clock.achieved_minutes is not None:
                achieved = duration_minutes(clock.achieved_minutes)
                detail = f"atteint en {achieved} pour {duration_minutes(clock.target_minutes)}"
            else:
                detail = f"objectif de {duration_minutes(clock.target_minutes)}"
            sources = clock.sources
            detail = cited(detail, sources)
        verdicts.append(
            Verdict(
                commitment=commitment,
                subject=subject,
                state=state,
                label=COMMITMENT_STATE_LABELS[state],
                detail=detail,
                sources=sources,
            )
        )
    return verdicts

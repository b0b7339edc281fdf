"""The timing of one message in the report: its acceptances, failures, fallbacks and handset
receipts, gathered from the journal entry by entry (`crisis.reporting.timing`)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from crisis.handset_times import median_and_worst
from crisis.reporting.report_models import (
    ChannelDeliveryReport,
    HandsetAudienceReport,
    MessageReport,
)
from crisis.services.retex_views import EntryRef, entry_ref
from crisis.store.journal import JournalEntry


def minutes_between(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 60, 2)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile: a value that really occurred, the same on every run."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return round(ordered[rank - 1], 3)


def handset_report(
    audience: str,
    channel: str,
    *,
    accepted: int,
    failed: int,
    seconds: Sequence[float],
    undelivered: int,
) -> HandsetAudienceReport:
    """A message's (or several's) figures for one audience and channel."""
    ordered = sorted(seconds)
    median, worst = median_and_worst(ordered)
    return HandsetAudienceReport(
        audience=audience,
        channel=channel,
        sent=accepted + failed,
        accepted=accepted,
        delivered=len(ordered),
        undelivered=undelivered,
        median_seconds=median,
        worst_seconds=worst,
        seconds=ordered,
    )


def merge_handsets(
    reports: Iterable[HandsetAudienceReport], *, channel: str | None = None
) -> list[HandsetAudienceReport]:
    """Several messages' (or events') figures summed per audience and channel, or per
    audience alone under `channel` when it is given; times pooled, not averaged."""
    groups: dict[tuple[str, str], list[HandsetAudienceReport]] = {}
    for report in reports:
        key = (report.audience, channel or report.channel)
        groups.setdefault(key, []).append(report)
    return [
        handset_report(
            audience,
            name,
            accepted=sum(r.accepted for r in group),
            failed=sum(r.sent - r.accepted for r in group),
            seconds=[t for r in group for t in r.seconds],
            undelivered=sum(r.undelivered for r in group),
        )
        for (audience, name), group in sorted(groups.items())
    ]


def instant(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


class MessageTiming:
    """What the journal says of one message, gathered entry by entry for its report."""

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
        if self.purpose == "callout":
            # A page's calls are counted with their round (CalloutRoundCalls), not here.
            self.planned.pop("voice", None)
        # Per channel: the latencies (seconds) and the first and last acceptance.
        self.latencies: dict[str, list[float]] = {}
        self.accepted_span: dict[str, tuple[datetime, datetime]] = {}
        self.failed: dict[str, int] = {}
        # Fallback deliveries (each a delivery of its own, outside the plan), by channel.
        self.fallbacks: dict[str, set[str]] = {}
        self.fallback_ids: set[str] = set()  # named by the failures they stand in for
        # The earliest acceptance on any channel, and the entry that holds it.
        self.first_accepted: tuple[datetime, EntryRef] | None = None
        self.approver: str | None = None
        self.approved_at: datetime | None = None
        self.approval_requested_at: datetime | None = None
        self.author_override: str | None = None
        self.paged: tuple[str, str] | None = None
        # Per delivery its queueing instant; per channel what the handset receipts said:
        # the seconds from queueing to each handset reached, and how many were not.
        self.queued_at: dict[str, datetime] = {}
        self.handset_seconds: dict[str, list[float]] = {}
        self.handset_missed: dict[str, int] = {}
        # The same per channel and audience, with the acceptances and final failures there.
        self.audience_of: dict[str, str] = {}
        self.outcomes: dict[tuple[str, str], list[int]] = {}  # [accepted, failed]
        self.audience_seconds: dict[tuple[str, str], list[float]] = {}
        self.audience_missed: dict[tuple[str, str], int] = {}

    def accept(
        self,
        channel: str,
        accepted_at: datetime,
        queued_at: Any,
        entry: JournalEntry,
        delivery_id: str | None = None,
        audience: str | None = None,
    ) -> None:
        if delivery_id is not None:
            self.queued_at[delivery_id] = instant(queued_at)
        if audience is not None:
            self.outcomes.setdefault((channel, audience), [0, 0])[0] += 1
        if self.first_accepted is None or accepted_at < self.first_accepted[0]:
            self.first_accepted = (accepted_at, entry_ref(entry))
        latency = (accepted_at - instant(queued_at)).total_seconds()
        self.latencies.setdefault(channel, []).append(latency)
        first, last = self.accepted_span.get(channel, (accepted_at, accepted_at))
        self.accepted_span[channel] = (min(first, accepted_at), max(last, accepted_at))

    def refuse(self, channel: str, audience: str | None) -> None:
        self.failed[channel] = self.failed.get(channel, 0) + 1
        if audience is not None:
            self.outcomes.setdefault((channel, audience), [0, 0])[1] += 1

    def handsets(
        self, channel: str, reports: Iterable[dict[str, Any]], audience: str | None = None
    ) -> None:
        seconds = self.handset_seconds.setdefault(channel, [])
        key = (channel, audience or "")
        by_audience = self.audience_seconds.setdefault(key, [])
        for report in reports:
            if not report.get("delivered"):
                self.handset_missed[channel] = self.handset_missed.get(channel, 0) + 1
                self.audience_missed[key] = self.audience_missed.get(key, 0) + 1
                continue
            queued = self.queued_at.get(str(report["delivery_id"]))
            if queued is not None:
                seconds.append((instant(report["at"]) - queued).total_seconds())
                by_audience.append(seconds[-1])

    def handset_reports(self) -> list[HandsetAudienceReport]:
        """Per channel and audience that sent receipts."""
        return [
            handset_report(
                audience,
                channel,
                accepted=self.outcomes.get((channel, audience), [0, 0])[0],
                failed=self.outcomes.get((channel, audience), [0, 0])[1],
                seconds=self.audience_seconds[(channel, audience)],
                undelivered=self.audience_missed.get((channel, audience), 0),
            )
            for channel, audience in sorted(self.audience_seconds, key=lambda k: (k[1], k[0]))
        ]

    def fallback(self, channel: str, delivery_id: str) -> None:
        self.fallbacks.setdefault(channel, set()).add(delivery_id)

    def deliveries(self, channel: str) -> int:
        """The plan's deliveries on a channel plus its fallbacks: acceptances and failures
        are counted on the same basis. A journal older than the fallbacks' marking falls
        back on the acceptances themselves, so that a channel never shows more accepted
        deliveries than deliveries."""
        accepted = len(self.latencies.get(channel, []))
        planned = self.planned.get(channel)
        fallbacks = len(self.fallbacks.get(channel, ()))
        if planned is None:
            return max(accepted, fallbacks)
        return max(planned + fallbacks, accepted)

    def _handset_figures(self, channel: str) -> dict[str, Any]:
        if channel not in self.handset_seconds:
            return {}
        seconds = self.handset_seconds[channel]
        median, worst = median_and_worst(seconds)
        return {
            "handset_delivered": len(seconds),
            "handset_undelivered": self.handset_missed.get(channel, 0),
            "handset_p50_seconds": median,
            "handset_worst_seconds": worst,
        }

    def report(self) -> MessageReport:
        channels = []
        for channel in sorted(set(self.planned) | set(self.latencies) | set(self.failed)):
            latencies = sorted(self.latencies.get(channel, []))
            span = self.accepted_span.get(channel)
            channels.append(
                ChannelDeliveryReport(
                    channel=channel,
                    deliveries=self.deliveries(channel),
                    fallbacks=len(self.fallbacks.get(channel, ())),
                    accepted=len(latencies),
                    failed=self.failed.get(channel, 0),
                    first_accepted_at=span[0] if span else None,
                    last_accepted_at=span[1] if span else None,
                    latency_p50_seconds=percentile(latencies, 0.5),
                    latency_p95_seconds=percentile(latencies, 0.95),
                    **self._handset_figures(channel),
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
            handsets=self.handset_reports(),
            paged_member=self.paged[0] if self.paged else None,
            paged_role=self.paged[1] if self.paged else None,
        )

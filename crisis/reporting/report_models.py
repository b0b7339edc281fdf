"""What a timing report holds: its clocks, messages, callouts, CIP, injects, verdicts and
chronology, as typed models the renderers and the API share."""

from __future__ import annotations

from pydantic import BaseModel, Field

from crisis.services.retex_views import EntryRef, RetexView
from crisis.services.views import Instant

COMMITMENTS: dict[str, tuple[str, str]] = {
    # clock name → (commitment, what it measures)
    "cell": ("47", "cellule de communication opérationnelle en moins d'une heure"),
    "elus": ("48", "information factuelle des élus dans l'heure"),
    "public": ("48", "information factuelle du public dans l'heure"),
    "media": ("48", "information factuelle des médias dans l'heure"),
    "cip": ("50", "cellule d'information du public opérationnelle"),
}


class ClockReport(BaseModel):
    name: str
    label: str
    commitment: str
    target_minutes: int
    started_at: Instant
    deadline: Instant
    met_at: Instant | None
    met_by: str | None
    achieved_minutes: float | None
    margin_minutes: float | None
    state: str
    warnings_raised: list[int]
    breach_raised_at: Instant | None
    # The journal entries that hold the figures: the start, the breach, and the entry holding
    # the earliest instant the clock was met.
    sources: list[EntryRef] = []
    # Explicit corrections of what met the clock, in French, oldest first.
    corrections: list[str] = []


class ChannelDeliveryReport(BaseModel):
    channel: str
    deliveries: int  # the plan's, plus the fallbacks on this channel: each is a delivery
    fallbacks: int = 0  # of which fallbacks for deliveries that failed on another channel
    accepted: int
    failed: int
    first_accepted_at: Instant | None
    last_accepted_at: Instant | None
    latency_p50_seconds: float | None
    latency_p95_seconds: float | None
    # The operator's receipts (SMS over SMPP); None when the channel sent none.
    handset_delivered: int | None = None
    handset_undelivered: int = 0
    handset_p50_seconds: float | None = None  # queued → on the handset
    handset_worst_seconds: float | None = None


class HandsetAudienceReport(BaseModel):
    """The SMS of one audience on a channel whose provider reports what reached the handset
    (SMPP receipts, OVHcloud's delivery reports): how far they went, from the journal.

    `sent` counts the deliveries whose fate the provider gave (accepted or refused for good);
    the times run from queueing to the handset. `seconds` keeps each time, to aggregate
    several messages or events with the same rule; it is not part of a rendered report."""

    audience: str
    channel: str
    sent: int
    accepted: int
    delivered: int
    undelivered: int
    median_seconds: float | None
    worst_seconds: float | None
    seconds: list[float] = Field(default_factory=list, exclude=True)


class MessageReport(BaseModel):
    message_id: str
    purpose: str
    msg_type: str
    author: str
    created_at: Instant
    audiences: list[str]
    lists: list[str]
    approver: str | None
    approved_at: Instant | None
    minutes_to_approval: float | None
    channels: list[ChannelDeliveryReport]
    failures: int
    # Per audience and channel that sent handset receipts (empty for the others).
    handsets: list[HandsetAudienceReport] = []
    paged_member: str | None = None  # a callout: whom it called, and as what
    paged_role: str | None = None


class AcknowledgementReport(BaseModel):
    who: str
    role: str | None
    paged_at: Instant | None
    acknowledged_at: Instant
    minutes_to_acknowledge: float | None
    via: str | None = None
    # The duty officer who recorded it « pour le compte de » `who`; None: `who` themselves.
    recorded_by: str | None = None


class CalloutReport(BaseModel):
    pages: int
    escalations: int
    officer_alerts: int
    quorum_reached_at: Instant | None = None
    acknowledgements: list[AcknowledgementReport]
    # The phone calls of every round by outcome, from the rounds' summaries (one journal
    # entry per round: acknowledged, declined, message_left, no_answer, cancelled, pending).
    calls: dict[str, int] = {}


class CipReport(BaseModel):
    ordered_at: Instant
    ordered_by: str
    numero_unique: str
    operational_at: Instant | None
    minutes_to_operational: float | None
    # The announcement of the numéro unique queued, then its first acceptance by a channel:
    # the numéro is published only from then on.
    announced_at: Instant | None = None
    published_at: Instant | None
    deactivated_at: Instant | None
    # The order, the declaration that holds the operational instant, the first acceptance.
    sources: list[EntryRef] = []


class InjectReport(BaseModel):
    offset_minutes: int
    played_at: Instant
    sender: str
    to: str
    channel: str
    content: str
    expected_action: str | None
    target_at: Instant | None


class Verdict(BaseModel):
    commitment: str
    subject: str
    state: str
    label: str
    detail: str
    sources: list[EntryRef] = []


class ChronologyEntry(BaseModel):
    seq: int
    at: Instant
    actor: str
    kind: str
    label: str
    summary: str
    hash: str = Field(description="Empreinte de l'entrée (de la dernière, pour un groupe).")
    # Consecutive outcomes of one message on one channel for one audience are one line:
    # entries `seq` to `last_seq`, `entries` of them.
    last_seq: int | None = None
    entries: int = 1


class ChainReport(BaseModel):
    ok: bool
    entries_checked: int
    first_broken_seq: int | None
    reason: str | None
    head_hash: str | None = None  # the hash of the stream's last entry


class AnnotationReport(BaseModel):
    """A remark attached to an instant from the replay, for the RETEX."""

    at: Instant
    text: str
    written_by: str
    written_at: Instant
    action_id: str | None
    action: str | None = Field(description="La description de l'action corrective liée.")
    seq: int


class TimingReport(BaseModel):
    crisis_id: str
    title: str
    kind: str
    exercise: bool
    communes: list[str]
    reported_at: Instant | None
    cod_decided_at: Instant | None
    cod_decided_by: str | None
    synergi_ref: str | None
    closed_at: Instant | None
    close_reason: str | None
    opened_by_mistake: bool = False
    generated_at: Instant
    clocks: list[ClockReport]
    messages: list[MessageReport]
    acknowledgements: list[AcknowledgementReport]
    callout: CalloutReport | None
    cip: CipReport | None
    injects: list[InjectReport]
    verdicts: list[Verdict]
    chronology: list[ChronologyEntry]
    journal: ChainReport
    retex: RetexView | None = None
    annotations: list[AnnotationReport] = Field(default_factory=list)

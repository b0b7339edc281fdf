"""Handset receipts: an operator's word on what reached the phone, matched to deliveries.

A receipt names an SMS part by the operator's id. It is matched to its part (and so to its
delivery) when the part is known; otherwise it waits: the receipt often comes before the
dispatcher has recorded the acceptance that carries the id, and is applied when it does.
A receipt for a part that has one already is a duplicate (the SMSC sent it again), counted
and ignored; one still unmatched after `RECEIPT_WAIT` names nothing the service sent, and is
counted as unknown and dropped. Each batch is journalled as one event per message, channel
and audience. An élu's SMS not delivered goes to that élu's fallback channel.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import timedelta

from channels.contract import HandsetReceipt
from crisis.domain.commands import RecordHandsetReceipts
from crisis.domain.crisis import Crisis
from crisis.domain.events import HandsetReceiptsRecorded, HandsetReport
from crisis.domain.messages import MessagePurpose
from crisis.domain.vocabulary import Audience
from crisis.services.context import HandlerContext, Outcome
from crisis.services.fallbacks import fallback
from crisis.store.receipts_repository import DELIVERED, DeliveryFacts, HandsetOutcome

# How long a receipt waits for the acceptance that names its id.
RECEIPT_WAIT = timedelta(hours=1)


def record_handset_receipts(cmd: RecordHandsetReceipts, ctx: HandlerContext) -> Outcome:
    receipts: Sequence[HandsetReceipt] = cmd.receipts
    counts: Counter[str] = Counter()
    repository = ctx.uow.receipts
    repository.lock()
    parts = repository.parts(cmd.route, {r.provider_message_id for r in receipts})
    reached: set[str] = set()
    for receipt in receipts:
        part = parts.get(receipt.provider_message_id)
        if part is None:
            counts["waiting" if repository.wait(cmd.route, receipt) else "duplicate"] += 1
        elif repository.record_part(part, receipt):
            counts["matched"] += 1
            reached.add(part.delivery_id)
        else:
            counts["duplicate"] += 1
    counts["unknown"] += repository.drop_waiting_before(ctx.now - RECEIPT_WAIT)
    crises: dict[str, Crisis] = {}
    apply_handset_outcomes(ctx, reached, crises)
    for crisis in crises.values():
        if crisis.events:
            ctx.uow.crises.save(crisis)
    stream = next(iter(crises), "system")
    result = {kind: counts[kind] for kind in ("matched", "waiting", "duplicate", "unknown")}
    return Outcome(result=result, stream=stream, journal=result)


def record_parts(
    ctx: HandlerContext,
    route: str,
    accepted: Sequence[tuple[str, Sequence[str]]],
    crises: dict[str, Crisis],
) -> None:
    """The parts of deliveries just accepted on a route that sends receipts, (delivery id,
    its parts' ids) each; the receipts that came before them are applied now, their events
    added to `crises` (locked by the caller, who saves them, after `ReceiptsRepository.lock`)."""
    repository = ctx.uow.receipts
    repository.add_parts(route, accepted)
    ids = {pid for _, provider_ids in accepted for pid in provider_ids if pid}
    parts = repository.parts(route, ids)
    matched: set[str] = set()
    for receipt in repository.take_waiting(route, ids):
        part = parts[receipt.provider_message_id]
        if repository.record_part(part, receipt):
            matched.add(part.delivery_id)
    apply_handset_outcomes(ctx, matched, crises)


def apply_handset_outcomes(
    ctx: HandlerContext, delivery_ids: Iterable[str], crises: dict[str, Crisis]
) -> None:
    """Record each delivery's handset outcome that its parts now decide, journal them one
    event per message, channel and audience, and fall back for the élus not reached. The
    events go to `crises` (the aggregates already loaded, others loaded and locked here);
    the caller saves them."""
    outcomes = ctx.uow.receipts.outcomes(set(delivery_ids))
    if not outcomes:
        return
    facts = ctx.uow.receipts.delivery_facts(outcomes)
    for crisis_id in sorted({f.crisis_id for f in facts.values()} - set(crises)):
        crises[crisis_id] = ctx.uow.crises.get(crisis_id, for_update=True)
        ctx.touched.append(crises[crisis_id])
    groups: dict[tuple[str, str, str, str], list[HandsetReport]] = {}
    factual: dict[str, bool] = {}
    for delivery_id, outcome in sorted(outcomes.items()):
        if not ctx.uow.receipts.set_handset(outcome):
            continue  # decided already: the first final word stays
        fact = facts[delivery_id]
        factual[fact.message_id] = fact.purpose == MessagePurpose.FACTUAL.value
        key = (fact.crisis_id, fact.message_id, fact.channel, fact.audience)
        groups.setdefault(key, []).append(_report(ctx, outcome, fact))
    mode = ctx.settings.elus_met_on == "delivery"
    for (crisis_id, message_id, channel, audience), reports in groups.items():
        crises[crisis_id].handsets_reached(
            HandsetReceiptsRecorded(
                crisis_id=crisis_id,
                message_id=message_id,
                channel=channel,
                audience=audience,
                reports=tuple(reports),
            ),
            factual=factual[message_id],
            elus_met_on_delivery=mode,
        )


def _report(ctx: HandlerContext, outcome: HandsetOutcome, fact: DeliveryFacts) -> HandsetReport:
    delivered = outcome.status == DELIVERED
    other = None
    if not delivered and fact.audience == Audience.ELUS.value:
        message = ctx.uow.outbox.message(fact.message_id)
        assert message is not None
        other = fallback(ctx, message, outcome.delivery_id)
    return HandsetReport(
        delivery_id=outcome.delivery_id,
        delivered=delivered,
        at=outcome.at,
        reason=outcome.reason,
        fallback_delivery_id=other,
    )

"""The CIP (cellule d'information du public): the préfet's order, its callout, its
declaration as operational (by hand or when its team's quorum is reached), its closing, and the
publication of its numéro unique."""

from __future__ import annotations

from datetime import datetime
from functools import cache

from crisis.domain.crisis import Crisis
from crisis.domain.errors import Conflict, InvalidInput
from crisis.domain.messages import MessageTexts, MessageType
from crisis.domain.oncall import (
    CellRole,
    CipDeactivated,
    CipPublished,
    DeactivateCip,
    DeclareCipOperational,
    OrderCip,
    QuorumReached,
    Team,
    format_numero_unique,
)
from crisis.domain.vocabulary import CRISIS_KIND_LABELS, Audience, CrisisState
from crisis.french import long_datetime
from crisis.services.callout_handlers import SYSTEM_NAME, begin_callout, quorum_note
from crisis.services.context import HandlerContext, Outcome
from crisis.services.message_handlers import deliver
from crisis.store.oncall_repository import CipActivation


def order_cip(cmd: OrderCip, ctx: HandlerContext) -> Outcome:
    crisis = ctx.uow.crises.get(cmd.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    numero = format_numero_unique(cmd.numero_unique)
    ordered_at = cmd.ordered_at or ctx.now
    ordered_by = cmd.ordered_by if cmd.ordered_by is not None else ctx.actor.name
    crisis.order_cip(
        ordered_at=ordered_at,
        ordered_by=ordered_by,
        numero_unique=numero,
        recorded_by=ctx.actor.name,
        now=ctx.now,
        policy=ctx.settings.clock_policy,
    )
    ctx.uow.oncall.add_cip(
        CipActivation(
            crisis_id=crisis.id,
            numero_unique=numero,
            ordered_at=ordered_at,
            ordered_by=ordered_by.strip(),
            operational_at=None,
            deactivated_at=None,
            deactivated_by=None,
            deactivation_reason=None,
        )
    )
    begin_callout(ctx, crisis, Team.CIP, reason="ordre du préfet")
    ctx.uow.crises.save(crisis)
    return Outcome(result=crisis.id, stream=crisis.id)


def _active_cip(ctx: HandlerContext, crisis_id: str) -> CipActivation:
    cip = ctx.uow.oncall.cip(crisis_id)
    if cip is None:
        raise Conflict(
            "La cellule d'information du public n'a pas été activée : "
            "enregistrez d'abord l'ordre du préfet."
        )
    if cip.deactivated_at is not None:
        raise Conflict(
            "La cellule d'information du public est fermée depuis le "
            f"{long_datetime(cip.deactivated_at)}."
        )
    return cip


def declare_cip_operational(cmd: DeclareCipOperational, ctx: HandlerContext) -> Outcome:
    crisis = ctx.uow.crises.get(cmd.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    cip = _active_cip(ctx, crisis.id)
    _cip_operational(
        ctx, crisis, cip, at=cmd.declared_at or ctx.now, by=ctx.actor.name, note=cmd.note.strip()
    )
    ctx.uow.crises.save(crisis)
    return Outcome(result=crisis.id, stream=crisis.id)


def _cip_operational(
    ctx: HandlerContext, crisis: Crisis, cip: CipActivation, *, at: datetime, by: str, note: str
) -> None:
    crisis.declare_cip_operational(at=at, by=by, note=note, now=ctx.now)
    first = cip.operational_at is None
    ctx.uow.oncall.set_cip_operational(crisis.id, at)
    if first:
        _publish(ctx, crisis, kind="activation", texts=_activation_texts(ctx, crisis, cip, at))


def deactivate_cip(cmd: DeactivateCip, ctx: HandlerContext) -> Outcome:
    crisis = ctx.uow.crises.get(cmd.crisis_id, for_update=True)
    ctx.touched.append(crisis)
    if crisis.state is not CrisisState.COD_ACTIVE:
        raise Conflict("Cet événement n'est pas en cours : rien à fermer.")
    cip = _active_cip(ctx, crisis.id)
    reason = cmd.reason.strip()
    if not reason:
        raise InvalidInput("reason", "Indiquez le motif de la fermeture de la CIP.")
    at = cmd.deactivated_at or ctx.now
    if at > ctx.now:
        raise InvalidInput("deactivated_at", "L'heure de fermeture ne peut pas être dans le futur.")
    if at < cip.ordered_at:
        raise InvalidInput(
            "deactivated_at", "L'heure de fermeture est antérieure à l'ordre du préfet."
        )
    ctx.uow.oncall.set_cip_deactivated(crisis.id, at=at, by=ctx.actor.name, reason=reason)
    crisis.record_event(
        CipDeactivated(
            crisis_id=crisis.id, deactivated_at=at, deactivated_by=ctx.actor.name, reason=reason
        )
    )
    _publish(ctx, crisis, kind="deactivation", texts=_deactivation_texts(ctx, crisis, cip, at))
    ctx.uow.crises.save(crisis)
    return Outcome(result=crisis.id, stream=crisis.id)


@cache
def _templates() -> object:
    from crisis.templating import TemplateRegistry

    return TemplateRegistry.with_bundled()


def _site(ctx: HandlerContext) -> str | None:
    if ctx.catalog is None:
        return None
    base = ctx.catalog.config.public.base_url
    return base if base.startswith("https://") else None


def _activation_texts(
    ctx: HandlerContext, crisis: Crisis, cip: CipActivation, at: datetime
) -> dict[str, str]:
    from crisis.templating import TemplateRegistry

    registry = _templates()
    assert isinstance(registry, TemplateRegistry)
    variables: dict[str, object] = {
        "evenement": CRISIS_KIND_LABELS[crisis.kind].lower(),
        "communes": list(crisis.communes) or ["l'ensemble du département"],
        "numero_unique": cip.numero_unique,
        "ouverte_le": at,
        "horaires": ctx.settings.cip_hours,
    }
    site = _site(ctx)
    if site is not None:
        variables["site_web"] = site
    rendered = registry.render("activation_cip", variables=variables, exercise=False)
    texts = {variant.variant.value: variant.text for variant in rendered}
    texts["default"] = texts.get("telegram") or texts["sms"]
    return texts


def _deactivation_texts(
    ctx: HandlerContext, crisis: Crisis, cip: CipActivation, at: datetime
) -> dict[str, str]:
    kind = CRISIS_KIND_LABELS[crisis.kind]
    site = _site(ctx)
    more = f" Informations à jour : {site}" if site else ""
    default = (
        f"{kind} : la cellule d'information du public est fermée depuis le "
        f"{long_datetime(at)}. Le numéro unique {cip.numero_unique} n'est plus en service. "
        f"En cas d'urgence, composez le 112.{more}"
    )
    return {
        "default": default,
        "sms": (
            f"{kind} : la cellule d'information du public est fermee, le {cip.numero_unique} "
            "n'est plus en service. Urgence : 112."
        ),
        "x": (
            f"{kind} : la cellule d'information du public est fermée. Le "
            f"{cip.numero_unique} n'est plus en service. Urgence : 112."
        ),
        "email_subject": f"Fermeture de la cellule d'information du public ({kind.lower()})",
        "feed_title": "Fermeture de la cellule d'information du public",
        "cap_headline": f"{kind} : fermeture de la cellule d'information du public",
    }


def _publish(ctx: HandlerContext, crisis: Crisis, *, kind: str, texts: dict[str, str]) -> None:
    """To the public and the media, through the outbox, in the current transaction."""
    cip = ctx.uow.oncall.cip(crisis.id)
    assert cip is not None
    if ctx.catalog is None:
        return  # no channels wired (a bare CLI): the journal entry stands
    earlier = _activation_message(ctx, crisis.id) if kind == "deactivation" else None
    try:
        sent = deliver(
            ctx,
            crisis,
            texts=MessageTexts.parse(texts),
            audiences=(Audience.PUBLIC, Audience.MEDIA),
            lists=(),
            channels=None,
            msg_type=MessageType.UPDATE if earlier else MessageType.ALERT,
            references_id=earlier,
            author=ctx.actor.name,
        )
    except InvalidInput:
        return  # nobody reachable: the order itself is journalled
    crisis.record_event(
        CipPublished(
            crisis_id=crisis.id,
            message_id=sent.message_id,
            numero_unique=cip.numero_unique,
            kind=kind,
        )
    )


def _activation_message(ctx: HandlerContext, crisis_id: str) -> str | None:
    for entry in reversed(ctx.uow.journal.entries(crisis_id)):
        if entry.kind == "event.CipPublished" and entry.payload.get("kind") == "activation":
            value = entry.payload.get("message_id")
            return str(value) if value else None
    return None


def on_quorum_reached(event: object, ctx: HandlerContext) -> None:
    """Subscribed to QuorumReached: the CIP team's quorum declares the CIP operational."""
    assert isinstance(event, QuorumReached)
    if event.team != Team.CIP.value:
        return
    crisis = next(c for c in ctx.touched if c.id == event.crisis_id)
    cip = ctx.uow.oncall.cip(crisis.id)
    if cip is None or cip.deactivated_at is not None:
        return
    note = quorum_note(tuple(CellRole(r) for r in event.quorum))
    _cip_operational(ctx, crisis, cip, at=event.reached_at, by=SYSTEM_NAME, note=note)
    ctx.uow.crises.save(crisis)

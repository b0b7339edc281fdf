"""Acknowledgements of the pages of a call-out: by the member's Telegram chat, by the member
signed in to the console or the API (or the duty officer « pour le compte de », see
`crisis.services.ack_rights`), and by the personal link (`crisis.services.oncall_links`).
Each may complete the quorum (`callout_handlers.check_quorum`).
"""

from __future__ import annotations

from dataclasses import dataclass

from crisis.domain.crisis import Crisis
from crisis.domain.errors import Conflict, InvalidInput, NotFound
from crisis.domain.messages import ChannelName
from crisis.domain.oncall import (
    CELL_ROLE_LABELS,
    AcknowledgeByLink,
    AcknowledgePage,
    Member,
    PageAcknowledged,
)
from crisis.services.ack_rights import OWN_VIA, own_member, recorded_by
from crisis.services.callout_handlers import check_quorum, summarise_calls
from crisis.services.context import TRUSTED_ROLES, HandlerContext, Outcome
from crisis.services.oncall_links import LinkProblem, LinkRefused, check_link
from crisis.services.roster_handlers import find_member
from crisis.store.callout_repository import CalloutRepository, Page


@dataclass(frozen=True, slots=True)
class AckReport:
    member_name: str
    acknowledged: list[dict[str, str]]  # crisis title, role, team
    recorded_by: str | None = None  # « pour le compte de » the member


def acknowledge_page(cmd: AcknowledgePage, ctx: HandlerContext) -> Outcome:
    repo = ctx.uow.oncall
    on_behalf: str | None = None
    if cmd.telegram_chat_id is not None:
        member = repo.member_by_chat(cmd.telegram_chat_id)
        if member is None:
            raise NotFound(
                "Ce compte Telegram n'est associé à aucun membre d'astreinte : "
                "envoyez /start suivi de votre code."
            )
    elif cmd.member_id is not None:
        member = find_member(ctx, cmd.member_id)
        on_behalf = recorded_by(ctx.uow, ctx.actor, member)
    else:
        own = own_member(ctx.uow, ctx.actor.name)
        if own is None:
            raise InvalidInput(
                "member_id",
                f"Indiquez qui accuse réception : votre compte « {ctx.actor.name} » ne porte le "
                "nom d'aucun membre du tableau d'astreinte.",
            )
        member = own
    pages = repo.pending_pages(member_id=member.id, crisis_id=cmd.crisis_id)
    if not pages:
        raise Conflict(f"Aucun appel n'attend d'accusé de réception de {member.name}.")
    via = cmd.via
    if on_behalf is None and ctx.actor.role not in TRUSTED_ROLES:
        via = OWN_VIA.get(via, via)  # the member themselves, signed in
    return acknowledge_pages(ctx, pages, member, via=via, on_behalf=on_behalf)


def acknowledge_by_link(cmd: AcknowledgeByLink, ctx: HandlerContext) -> Outcome:
    """The personal link: checked again in this transaction, then used (once)."""
    check = check_link(ctx.uow, cmd.token_hash, ctx.now)
    if check.problem is not None:
        raise LinkRefused(check.problem)
    assert check.page is not None
    if not ctx.uow.oncall.use_ack_link(cmd.token_hash, at=ctx.now):
        raise LinkRefused(LinkProblem.USED)
    member = ctx.uow.oncall.member(check.page.member_id)
    assert member is not None
    return acknowledge_pages(ctx, [check.page], member, via="link", on_behalf=None)


def latest_round(repo: CalloutRepository, page: Page) -> int:
    """The role's last round paged so far (a late acknowledgement may answer an earlier)."""
    return max(
        (p.round for p in repo.pages_of(page.callout_id) if p.role is page.role),
        default=page.round,
    )


def acknowledge_pages(
    ctx: HandlerContext, pages: list[Page], member: Member, *, via: str, on_behalf: str | None
) -> Outcome:
    repo = ctx.uow.oncall
    crises: dict[str, Crisis] = {}
    done: list[dict[str, str]] = []
    for page in pages:
        crisis = crises.get(page.crisis_id)
        if crisis is None:
            crisis = crises[page.crisis_id] = ctx.uow.crises.get(page.crisis_id, for_update=True)
            ctx.touched.append(crisis)
        callout = repo.callout(page.callout_id)
        assert callout is not None
        before = repo.role_acknowledged_instants(callout.id)
        if not repo.acknowledge(page.id, at=ctx.now, via=via):
            continue
        if page.message_id is not None:
            # The call planned after the texts is no longer needed (nor its retries).
            ctx.uow.outbox.cancel_pending(
                page.message_id,
                channel=ChannelName.VOICE.value,
                now=ctx.now,
                reason="accusé de réception reçu avant l'appel",
            )
        crisis.record_event(
            PageAcknowledged(
                crisis_id=crisis.id,
                callout_id=callout.id,
                page_id=page.id,
                role=page.role.value,
                member_id=member.id,
                member_name=member.name,
                acknowledged_at=ctx.now,
                via=via,
                role_acknowledged=page.role not in before,
                recorded_by=on_behalf,
            )
        )
        if page.role not in before:
            # The role's round ends here: its calls are journalled once, as when it escalates.
            summarise_calls(ctx, crisis, callout, page.role, latest_round(repo, page))
        done.append(
            {"crisis": crisis.title, "role": CELL_ROLE_LABELS[page.role], "team": callout.team}
        )
        check_quorum(ctx, crisis, callout)
    for crisis in crises.values():
        ctx.uow.crises.save(crisis)
    stream = pages[0].crisis_id
    return Outcome(result=AckReport(member.name, done, on_behalf), stream=stream)

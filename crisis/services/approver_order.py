"""The approvers' order, set by the administrator (console, CLI): who is called first when a
message waits for approval, and how each is reached (a contact of the directory, else the
on-call member who bears the user's name)."""

from __future__ import annotations

from dataclasses import dataclass

from crisis.domain.approval_calls import SetApprovers
from crisis.domain.contacts import fold
from crisis.domain.errors import InvalidInput, NotFound
from crisis.labels import CHANNEL_LABELS
from crisis.services.context import HandlerContext, Outcome
from crisis.services.roles import ROLE_LABELS, Role
from crisis.store.approvals_repository import Approver
from crisis.store.journal import SYSTEM_STREAM
from crisis.store.unit_of_work import UnitOfWork

APPROVER_ROLE = Role.PREFECT
# The addresses of a contact and the call-out method each serves.
_METHOD_OF_ADDRESS = {"telegram_chat_id": "telegram_dm", "mobile": "sms", "email": "email"}


def set_approvers(cmd: SetApprovers, ctx: HandlerContext) -> Outcome:
    """Replace the whole order; every line is checked before anything changes."""
    items: list[Approver] = []
    seen: set[str] = set()
    for position, line in enumerate(cmd.approvers, start=1):
        field = f"approvers.{position}"
        user = ctx.uow.users.by_name(line.user.strip())
        if user is None:
            raise InvalidInput(field, f"Aucun utilisateur ne s'appelle « {line.user} ».")
        if user.role != APPROVER_ROLE.value:
            raise InvalidInput(
                field,
                f"{user.name} ({ROLE_LABELS.get(Role(user.role), user.role)}) n'a pas le droit "
                "de valider les messages : seul le rôle préfet (ou délégué) l'a.",
            )
        if not user.active:
            raise InvalidInput(field, f"Le compte de {user.name} est désactivé.")
        if user.id in seen:
            raise InvalidInput(field, f"{user.name} figure deux fois dans la liste.")
        seen.add(user.id)
        contact_id = None
        if line.member:
            try:
                contact = ctx.uow.contacts.find_by_ref(line.member)
            except NotFound as error:
                raise InvalidInput(field, error.message) from None
            if not contact.active:
                raise InvalidInput(field, f"Le contact {contact.name} est désactivé.")
            contact_id = contact.id
        items.append(Approver(user.id, position, contact_id))
    ctx.uow.approvals.replace_approvers(items, at=ctx.now, by=ctx.actor.name)
    return Outcome(result=len(items), stream=SYSTEM_STREAM, journal={"approvers": len(items)})


@dataclass(frozen=True, slots=True)
class ApproverLine:
    position: int
    user: str
    contact: str | None  # the contact of the directory, None: the on-call member of the name
    reached_as: str | None  # who is really reached (None: nobody)
    methods: tuple[str, ...]  # French labels of the methods an address exists for
    problem: str | None  # why this approver would not be called, in French


def approver_lines(uow: UnitOfWork) -> list[ApproverLine]:
    """The order as the administrator reads it, each line with what would go wrong."""
    lines: list[ApproverLine] = []
    for approver in uow.approvals.approvers():
        user = uow.users.by_id(approver.user_id)
        assert user is not None
        contact_name: str | None = None
        addresses: dict[str, str | None] = {}
        reached_as: str | None = None
        if approver.contact_id is not None:
            contact = uow.contacts.get(approver.contact_id)
            contact_name = contact.name
            if contact.active:
                reached_as = contact.name
                addresses = {
                    "email": contact.email,
                    "mobile": contact.mobile,
                    "telegram_chat_id": contact.telegram_chat_id,
                }
        else:
            member = uow.oncall.member_by_key(fold(user.name))
            if member is not None:
                reached_as = member.name
                addresses = uow.oncall.addresses(member)
        methods = [
            CHANNEL_LABELS.get(method, method)
            for field, method in _METHOD_OF_ADDRESS.items()
            if addresses.get(field)
        ]
        if addresses.get("mobile"):
            methods.append(CHANNEL_LABELS.get("voice", "appel"))
        problem = None
        if not user.active:
            problem = "compte désactivé : ne sera pas appelé"
        elif user.role != APPROVER_ROLE.value:
            problem = "n'a plus le droit de valider : ne sera pas appelé"
        elif reached_as is None:
            problem = "aucun moyen de le joindre : choisissez un contact de l'annuaire"
        elif not methods:
            problem = "le contact n'a ni téléphone, ni courriel, ni Telegram"
        lines.append(
            ApproverLine(
                position=approver.position,
                user=user.name,
                contact=contact_name,
                reached_as=reached_as,
                methods=tuple(methods),
                problem=problem,
            )
        )
    return lines

"""Whose page a signed-in user may acknowledge.

A console or API user is the member of the rota who bears the same name: the roster knows its
members by their folded name (`oncall_members.key`, what a re-import matches on), and a user
by a unique name, so that name is the link between the two. A user acknowledges their own
pages; only the duty officer records an acknowledgement « pour le compte de » another member
(received by telephone, for example), and the journal keeps both names.
"""

from __future__ import annotations

from crisis.domain.contacts import fold
from crisis.domain.errors import Forbidden
from crisis.domain.oncall import Member
from crisis.services.context import TRUSTED_ROLES, Actor
from crisis.services.roles import Role
from crisis.store.unit_of_work import UnitOfWork

# Who may record another member's acknowledgement, « pour le compte de ».
ON_BEHALF_ROLES = frozenset({Role.DUTY_OFFICER.value})


# What a member's own acknowledgement through the console or the API is journalled as, apart
# from the duty officer's « pour le compte de » (`api`, `console`).
OWN_VIA = {"api": "api_membre", "console": "console_membre"}


def own_member(uow: UnitOfWork, user_name: str) -> Member | None:
    """The member of the rota the signed-in user is, if any."""
    return uow.oncall.member_by_key(fold(user_name))


def recorded_by(uow: UnitOfWork, actor: Actor, member: Member) -> str | None:
    """None when the actor may acknowledge as the member themselves; the actor's name when
    they record it for the member; Forbidden for anyone else."""
    if actor.role in TRUSTED_ROLES:
        # The server's operator, a drill's simulated player: named as the member, or not.
        return None if fold(actor.name) == member.key else actor.name
    if member.key == fold(actor.name):
        return None
    if actor.role in ON_BEHALF_ROLES:
        return actor.name
    raise Forbidden(
        f"Vous ne pouvez accuser réception que de vos propres appels : l'appel de "
        f"{member.name} ne peut être acquitté que par {member.name} (lien reçu, Telegram) ou, "
        "pour son compte, par le cadre de permanence."
    )

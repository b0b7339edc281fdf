"""What a handler is given: the transaction, the instant, the actor, the settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from crisis.catalog import ChannelCatalog
from crisis.domain.crisis import Crisis
from crisis.domain.events import Event
from crisis.services.preparation import Prepared
from crisis.settings import Settings
from crisis.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from crisis.services.template_library import TemplateLibrary


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    role: str
    user_id: str | None = None


SYSTEM_ACTOR = Actor(name="système", role="system")
# The scheduler, and the operator at the server's console (the CLI reads the database anyway).
TRUSTED_ROLES = frozenset({"system", "local"})


@dataclass(slots=True)
class HandlerContext:
    uow: UnitOfWork
    now: datetime
    actor: Actor
    settings: Settings
    new_id: Callable[[], str]
    catalog: ChannelCatalog | None = None
    templates: TemplateLibrary | None = None
    # The aggregate the command touched: its events are journalled on its stream.
    touched: list[Crisis] = field(default_factory=list)
    # Events about no crisis, journalled by their handler: routed like the others, and handed
    # to the after-commit hooks.
    announced: list[Event] = field(default_factory=list)
    # What the command's preparation computed before the transaction (a rendering).
    prepared: Prepared | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """A handler's answer: the result for the caller, and the journal stream it belongs to."""

    result: Any
    stream: str
    # A summary of what the command did, journalled with it (counts, not personal data).
    journal: Mapping[str, Any] | None = None


def catalog_of(ctx: HandlerContext) -> ChannelCatalog:
    if ctx.catalog is None:
        raise RuntimeError("no channel catalog wired into the bus")
    return ctx.catalog

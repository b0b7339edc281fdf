"""What a command computes before its transaction opens.

Rendering a template takes time (up to its limit) and must not hold the database's write
lock meanwhile: a deadline check waiting behind it would be late. A command that renders
declares a preparation (in the command table): the bus runs it before the transaction,
with short read-only transactions for what it needs to read, and hands its result to the
handler, which checks that what was read still holds and writes.

A refusal met while preparing (bad variables, a template too long…) is kept and raised by
the handler where it used to render: the checks the handler makes first (the event is
closed, the draft is no longer editable) still answer first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from crisis.domain.errors import DomainError
from crisis.settings import Settings
from crisis.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from crisis.services.template_library import TemplateLibrary

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PrepareContext:
    """What a preparation is given: read-only transactions, the settings, the templates."""

    reading: Callable[[], UnitOfWork]
    settings: Settings
    templates: TemplateLibrary | None


Preparer = Callable[[Any, PrepareContext], object]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A preparation's result, or the refusal it met."""

    value: object = None
    refusal: DomainError | None = None

    def get(self, kind: type[T]) -> T:
        """The result (of type ``kind``), or the refusal raised."""
        if self.refusal is not None:
            raise self.refusal
        if not isinstance(self.value, kind):
            raise RuntimeError(f"prepared {type(self.value).__name__}, expected {kind.__name__}")
        return self.value


def prepare(preparer: Preparer, command: object, context: PrepareContext) -> Prepared:
    try:
        return Prepared(value=preparer(command, context))
    except DomainError as refusal:
        return Prepared(refusal=refusal)

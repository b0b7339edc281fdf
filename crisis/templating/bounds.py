"""What one rendering may cost: time, loop turns, characters built, characters produced.

Every hook of the sandbox (calls, attribute reads, operators, filters, loop turns, output)
asks the budget of the rendering in progress, so a template that would build a string of
hundreds of megabytes or loop for minutes is stopped early with a French reason. The budget
of the rendering in progress is held in a context variable set for the duration of one
rendering only: each thread (each request) sees its own, and nothing outlives the rendering.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from string import Formatter
from typing import Final

from jinja2.exceptions import SecurityError

MAX_SOURCE_LENGTH: Final = 20_000  # characters of one variant's source
MAX_VALUE_LENGTH: Final = 100_000  # characters of any one string (or items of a list)
MAX_OUTPUT_LENGTH: Final = 100_000  # characters one variant may produce
MAX_BUILT_LENGTH: Final = 1_000_000  # characters all the operations of a rendering build
MAX_RANGE: Final = 1_000  # values of one range()
MAX_LOOP_TURNS: Final = 10_000  # turns of every loop of a rendering, together
# Processor time of one rendering (the rendering thread's own: a busy machine, or other threads
# of the service holding the interpreter, do not make a sound template fail).
MAX_RENDER_SECONDS: Final = 0.5


def french_number(value: float) -> str:
    """« 100 000 », « 0,5 »: spaces between thousands, a decimal comma."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,}".replace(",", " ").replace(".", ",")
    return f"{int(value):,}".replace(",", " ")


class RenderLimitError(SecurityError):
    """An operation refused because its result, or the rendering, would go past a limit.

    ``str(error)`` is a French sentence naming the limit, fit to show the template's author.
    """


def too_long(limit: int) -> RenderLimitError:
    return RenderLimitError(
        f"le modèle produit un texte trop long (plus de {french_number(limit)} caractères)"
    )


@dataclass(frozen=True, slots=True)
class RenderLimits:
    """The limits of one rendering; the defaults are the service's (see the README)."""

    seconds: float = MAX_RENDER_SECONDS
    output: int = MAX_OUTPUT_LENGTH
    value: int = MAX_VALUE_LENGTH
    built: int = MAX_BUILT_LENGTH
    loop_turns: int = MAX_LOOP_TURNS


class TimeAllowance:
    """Rendering time left to renderings that go together (the variants of one message,
    the example runs of a template): together they render for at most ``seconds``. Only
    time spent rendering counts, not what is done between renderings (measuring a text)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.left = seconds


class RenderBudget:
    """What is left to one rendering; every method raises RenderLimitError once it is spent.

    Its time is what ``allowance`` has left when it starts; ``close`` takes what it used.
    """

    def __init__(
        self,
        limits: RenderLimits,
        *,
        allowance: TimeAllowance | None = None,
        timer: Callable[[], float] = time.thread_time,
    ) -> None:
        self.limits = limits
        self._allowance = allowance or TimeAllowance(limits.seconds)
        self._timer = timer
        self._started = timer()
        self._deadline = self._started + self._allowance.left
        self._built = 0
        self._output = 0
        self._turns = 0

    def close(self) -> None:
        self._allowance.left -= self._timer() - self._started

    def tick(self) -> None:
        """Called by every hook: past the deadline, the rendering stops."""
        if self._timer() > self._deadline:
            seconds = self._allowance.seconds
            raise RenderLimitError(
                f"le rendu du modèle a dépassé {french_number(seconds)} seconde"
                + ("s" if seconds >= 2 else "")
            )

    def allow(self, length: int) -> None:
        """Refuse, before it is built, a value of ``length`` characters (or items)."""
        self.tick()
        if length > self.limits.value:
            raise too_long(self.limits.value)
        if self._built + length > self.limits.built:
            raise RenderLimitError(
                "le modèle construit trop de texte "
                f"(plus de {french_number(self.limits.built)} caractères en tout)"
            )

    def charge(self, value: object) -> None:
        """Count a value an operation has just built (strings and lists only)."""
        if isinstance(value, str | list | tuple):
            self.allow(len(value))
            self._built += len(value)
        else:
            self.tick()

    def emit(self, length: int) -> None:
        """Count characters written to the output, wherever they are written (a macro's
        or a block's body included)."""
        self.tick()
        self._output += length
        if self._output > self.limits.output:
            raise too_long(self.limits.output)

    def turn(self) -> None:
        self.tick()
        self._turns += 1
        if self._turns > self.limits.loop_turns:
            raise RenderLimitError(
                "le modèle fait trop de tours de boucle "
                f"(plus de {french_number(self.limits.loop_turns)})"
            )


_ACTIVE: ContextVar[RenderBudget | None] = ContextVar("crisis_render_budget", default=None)


@contextmanager
def rendering_with(budget: RenderBudget) -> Iterator[RenderBudget]:
    """Make ``budget`` the one the sandbox's hooks charge, for the duration of the block."""
    token = _ACTIVE.set(budget)
    try:
        yield budget
    finally:
        _ACTIVE.reset(token)
        budget.close()


def active_budget() -> RenderBudget:
    budget = _ACTIVE.get()
    if budget is None:
        # Rendering outside ``rendering_with`` would run without any limit: refused.
        raise RenderLimitError("rendu hors du cadre prévu (aucune limite active)")
    return budget


# printf-style conversion: %[(key)][flags][width][.precision][length]type
_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.)", re.DOTALL)
_DIGITS = re.compile(r"\d+")


def check_printf(template: str, budget: RenderBudget) -> None:
    """Refuse a ``%`` format whose widths or precisions would build too long a text."""
    for width, precision, _ in _PRINTF.findall(template):
        for number in (width, precision):
            if number == "*":
                raise RenderLimitError("largeur « * » refusée dans un format %")
            if number and (len(number) > 9 or int(number) > budget.limits.value):
                raise too_long(budget.limits.value)


def check_format_spec(spec: str, budget: RenderBudget) -> None:
    """Refuse a ``str.format`` field spec (``{:>300000000}``) whose numbers are too large."""
    for number in _DIGITS.findall(spec):
        if len(number) > 9 or int(number) > budget.limits.value:
            raise too_long(budget.limits.value)


def check_format_string(template: str, budget: RenderBudget) -> None:
    """Every field spec of a ``str.format`` template; a spec that is itself a field
    (``{:{width}}``) cannot be checked before it is used: refused."""
    for _, _, spec, _ in Formatter().parse(template):
        if spec and "{" in spec:
            raise RenderLimitError("format imbriqué refusé (« {:{…}} »)")
        if spec:
            check_format_spec(spec, budget)

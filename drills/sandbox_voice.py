"""The drill's telephone: a voice channel that places no call and reaches no trunk.

Each call is answered as the scenario scripts it for the number called (`call_answers` of a
participant or an audience member), one answer per attempt, the last one repeated:
« 1 » acknowledges and « 2 » declines through the same answers as a real call (the service
records the acknowledgement « par téléphone », or moves the escalation on), « sans touche »
is a message left, « occupé », « pas de réponse » and « refusé » fail as the SIP trunk's
answers do (the first two retried by the outbox's policy). A number the scenario does not
script is answered without a key (« message laissé »): the drill's clocks stay the players'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from channels._common import e164
from channels.config import VoiceConfig
from channels.contract import (
    ChannelLimits,
    LengthUnit,
    OutgoingMessage,
    Receipt,
    RecipientKind,
    SendError,
)
from channels.voice import CallAnswer, CallAnswers, CallOutcome
from crisis.clock import Clock

DEFAULT_ANSWER = "sans touche"  # answered, no key: it changes no clock
# A scripted answer that is no key: how the trunk would have refused the call.
_FAILURES: dict[str, tuple[str, bool]] = {
    "occupé": ("Appel : ligne occupée (SIP 486 Busy Here, simulé).", True),
    "pas de réponse": ("Appel : pas de réponse (sonnerie sans décroché, simulé).", True),
    "refusé": ("Appel : appel refusé par le correspondant (SIP 603 Decline, simulé).", False),
}
_KEYS = {"1": CallOutcome.ACKNOWLEDGED, "2": CallOutcome.DECLINED}
CALL_ANSWERS = (*_KEYS, "sans touche", *_FAILURES)  # what a scenario may script


@dataclass(frozen=True, slots=True)
class SimulatedCall:
    number: str
    answer: str
    delivery_id: str
    text: str


@dataclass
class SandboxVoiceChannel:
    """The channel contract of `channels.voice`, with the answers scripted; never production."""

    clock: Clock
    scripts: Mapping[str, Sequence[str]] = field(default_factory=dict)  # E.164 → answers
    answers: CallAnswers | None = None  # the service's relay (crisis.catalog)
    name: str = "voice"
    recipient_kind: RecipientKind = RecipientKind.PHONE
    limits: ChannelLimits = field(
        default_factory=lambda: ChannelLimits(
            max_length=VoiceConfig.model_fields["max_spoken_seconds"].default,
            length_unit=LengthUnit.SPOKEN_SECONDS,
            rate_per_second=1000.0,
        )
    )
    calls: list[SimulatedCall] = field(default_factory=list)
    sent: list[OutgoingMessage] = field(default_factory=list)  # the calls answered
    refused: int = 0

    def _answer(self, number: str) -> str:
        script = self.scripts.get(number) or (DEFAULT_ANSWER,)
        attempt = sum(1 for c in self.calls if c.number == number)
        return script[min(attempt, len(script) - 1)]

    async def send(self, message: OutgoingMessage) -> Receipt:
        if not message.exercise:
            raise SendError(
                "canal d'exercice : seuls les messages d'exercice y passent", retryable=False
            )
        number = e164(message.recipient, who="Appel", region="FR")
        answer = self._answer(number)
        call_id = f"appel-simule-{len(self.calls) + 1}"
        self.calls.append(SimulatedCall(number, answer, message.delivery_id, message.text))
        if answer in _FAILURES:
            self.refused += 1
            reason, retryable = _FAILURES[answer]
            raise SendError(reason, retryable=retryable, about_recipient=True)
        answered_at = self.clock.now()
        outcome = _KEYS.get(answer, CallOutcome.MESSAGE_LEFT)
        if outcome is not CallOutcome.MESSAGE_LEFT and self.answers is not None:
            await self.answers(CallAnswer(message.delivery_id, outcome, call_id, number))
        self.sent.append(message)
        return Receipt(provider_message_id=call_id, accepted_at=answered_at, outcome=outcome.value)

    async def check(self) -> str:
        return "téléphone d'exercice simulé : aucun appel réel"


def call_scripts(people: Sequence[tuple[str | None, Sequence[str]]]) -> dict[str, list[str]]:
    """Each scripted person's answers by their number in E.164 (numbers that do not parse
    are left out: their calls fail as a real trunk's would)."""
    scripts: dict[str, list[str]] = {}
    for mobile, answers in people:
        if not mobile or not answers:
            continue
        try:
            scripts[e164(mobile, who="Appel", region="FR")] = list(answers)
        except SendError:
            continue
    return scripts

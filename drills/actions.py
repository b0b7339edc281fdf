"""Playing a scenario's simulated player actions through the bus, as the players would."""

from __future__ import annotations

from datetime import datetime

from crisis.clock import Clock
from crisis.domain.commands import (
    ActivateCod,
    CloseCrisis,
    CodDecision,
    Command,
    DeclareCellOperational,
    RecordDelivery,
    SendMessage,
)
from crisis.domain.draft_commands import ApproveDraft, ComposeMessage, SendDraft, SubmitDraft
from crisis.domain.oncall import AcknowledgePage, DeclareCipOperational, OrderCip
from crisis.domain.vocabulary import Audience
from crisis.services.bus import MessageBus
from crisis.services.context import Actor
from crisis.services.message_handlers import PendingApproval
from drills.model import Action, parse_offset


class DrillError(Exception):
    """The scenario asks for something the service refuses; the message says what."""


class ActionPlayer:
    """Each action runs as its player (`by`), a trusted local operator, on one crisis."""

    def __init__(self, bus: MessageBus, *, clock: Clock, crisis_id: str, start: datetime) -> None:
        self.bus = bus
        self.clock = clock
        self.crisis_id = crisis_id
        self.start = start
        self.waiting: list[str] = []  # messages submitted for approval, oldest first

    def play(self, action: Action) -> None:
        player = Actor(name=action.by, role="local")
        if action.do == "approve":
            self._approve(action, player)
            return
        if action.do == "compose":
            draft_id: str = self.bus.handle(
                ComposeMessage(
                    crisis_id=self.crisis_id,
                    template=action.template or "",
                    variables=self._variables(action),
                    audiences=tuple(action.audiences),
                    channels=tuple(action.channels) if action.channels else None,
                ),
                actor=player,
            )
            self.bus.handle(SubmitDraft(crisis_id=self.crisis_id, draft_id=draft_id), actor=player)
            self.waiting.append(draft_id)
            return
        result = self.bus.handle(self._command(action), actor=player)
        if isinstance(result, PendingApproval):
            self.waiting.append(result.draft_id)

    def _approve(self, action: Action, player: Actor) -> None:
        if not self.waiting:
            raise DrillError(f"+{action.at} : aucun message n'attend l'approbation")
        draft_id = self.waiting.pop(0)
        self.bus.handle(ApproveDraft(crisis_id=self.crisis_id, draft_id=draft_id), actor=player)
        self.bus.handle(SendDraft(crisis_id=self.crisis_id, draft_id=draft_id), actor=player)

    def _command(self, action: Action) -> Command:
        crisis_id = self.crisis_id
        match action.do:
            case "activate_cod":
                return ActivateCod(
                    crisis_id=crisis_id,
                    decision=CodDecision(decided_by=action.by, synergi_ref=action.synergi),
                )
            case "send_message":
                return SendMessage(
                    crisis_id=crisis_id,
                    texts=tuple(sorted(action.texts.items())),
                    audiences=tuple(action.audiences),
                    channels=tuple(action.channels) if action.channels else None,
                )
            case "acknowledge":
                return AcknowledgePage(via="exercice", member_id=action.by, crisis_id=crisis_id)
            case "activate_cip":
                return OrderCip(
                    crisis_id=crisis_id,
                    numero_unique=action.numero_unique or "",
                    ordered_by=action.by,
                )
            case "cip_operational":
                return DeclareCipOperational(crisis_id=crisis_id, note=f"déclarée par {action.by}")
            case "declare_cell_operational":
                return DeclareCellOperational(crisis_id=crisis_id, note=f"déclaré par {action.by}")
            case "record_delivery":
                return RecordDelivery(
                    crisis_id=crisis_id,
                    audience=Audience(action.audiences[0]),
                    delivered_at=self.clock.now(),
                    means=action.means or "",
                )
            case "close":
                return CloseCrisis(crisis_id=crisis_id, reason=action.reason or "")
        raise DrillError(f"action inconnue : {action.do}")

    def _variables(self, action: Action) -> dict[str, object]:
        """The template's variables; an offset such as `+00:40` is that instant of the drill."""
        values: dict[str, object] = {}
        for name, value in action.variables.items():
            try:
                values[name] = (self.start + parse_offset(value)).isoformat()
            except ValueError:
                values[name] = value
        return values

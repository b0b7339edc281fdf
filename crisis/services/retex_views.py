"""The current RETEX of an event: the fold of its RETEX journal entries, with their sources."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from crisis.domain.retex import ACTION_STATE_LABELS, ActionState
from crisis.services.views import Instant
from crisis.store.journal import JournalEntry

RETEX_KINDS = frozenset({"event.RetexRecorded", "event.RetexActionUpdated"})


class EntryRef(BaseModel):
    """A journal entry a figure comes from: its chain, its sequence number and its hash."""

    chain: str
    seq: int
    hash: str
    kind: str


def entry_ref(entry: JournalEntry) -> EntryRef:
    return EntryRef(chain=entry.stream, seq=entry.seq, hash=entry.hash, kind=entry.kind)


class ActionView(BaseModel):
    action_id: str
    description: str
    owner: str
    due_date: date
    state: str
    state_label: str
    done_at: Instant | None
    source: EntryRef


class RetexView(BaseModel):
    crisis_id: str
    version: int
    worked: str
    did_not_work: str
    recorded_by: str
    recorded_at: Instant
    actions: list[ActionView]
    source: EntryRef


def _action(raw: dict[str, Any], source: EntryRef) -> ActionView:
    state = ActionState(raw["state"])
    return ActionView(
        action_id=str(raw["action_id"]),
        description=str(raw["description"]),
        owner=str(raw["owner"]),
        due_date=date.fromisoformat(str(raw["due_date"])),
        state=state.value,
        state_label=ACTION_STATE_LABELS[state],
        done_at=datetime.fromisoformat(raw["done_at"]) if raw.get("done_at") else None,
        source=source,
    )


def current_retex(crisis_id: str, entries: Iterable[JournalEntry]) -> RetexView | None:
    """The last recorded version, with every later change of an action's state applied."""
    retex: RetexView | None = None
    for entry in entries:
        if entry.kind not in RETEX_KINDS:
            continue
        p = entry.payload
        source = entry_ref(entry)
        if entry.kind == "event.RetexRecorded":
            retex = RetexView(
                crisis_id=crisis_id,
                version=int(p["version"]),
                worked=str(p["worked"]),
                did_not_work=str(p["did_not_work"]),
                recorded_by=str(p["recorded_by"]),
                recorded_at=datetime.fromisoformat(p["recorded_at"]),
                actions=[_action(a, source) for a in p["actions"]],
                source=source,
            )
        elif retex is not None:
            for index, action in enumerate(retex.actions):
                if action.action_id == p["action_id"]:
                    state = ActionState(p["state"])
                    retex.actions[index] = action.model_copy(
                        update={
                            "state": state.value,
                            "state_label": ACTION_STATE_LABELS[state],
                            "done_at": datetime.fromisoformat(p["done_at"])
                            if p.get("done_at")
                            else None,
                            "source": source,
                        }
                    )
    return retex

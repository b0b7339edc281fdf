"""The RETEX as people send it (API body, CLI file), and the command it becomes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from crisis.domain.retex import (
    MAX_ACTIONS,
    MAX_FIELD_LENGTH,
    MAX_TEXT_LENGTH,
    ActionState,
    CorrectiveActionInput,
    RecordRetex,
)
from crisis.iso_day import IsoDay


class CorrectiveActionWrite(BaseModel):
    action_id: str | None = Field(
        default=None, max_length=64, description="Absent : une nouvelle action."
    )
    description: str = Field(max_length=MAX_TEXT_LENGTH, description="Ce qu'il faut faire.")
    owner: str = Field(max_length=MAX_FIELD_LENGTH, description="Qui en est responsable.")
    due_date: IsoDay = Field(description="Échéance (AAAA-MM-JJ).")
    state: ActionState = Field(default=ActionState.TODO, description="a_faire, en_cours, faite.")


class RetexWrite(BaseModel):
    worked: str = Field(default="", max_length=MAX_TEXT_LENGTH, description="Ce qui a fonctionné.")
    did_not_work: str = Field(
        default="", max_length=MAX_TEXT_LENGTH, description="Ce qui n'a pas fonctionné."
    )
    actions: list[CorrectiveActionWrite] = Field(default_factory=list, max_length=MAX_ACTIONS)

    def command(self, crisis_id: str) -> RecordRetex:
        return RecordRetex(
            crisis_id=crisis_id,
            worked=self.worked,
            did_not_work=self.did_not_work,
            actions=tuple(
                CorrectiveActionInput(
                    description=a.description,
                    owner=a.owner,
                    due_date=a.due_date,
                    state=a.state,
                    action_id=a.action_id,
                )
                for a in self.actions
            ),
        )


class RetexActionWrite(BaseModel):
    state: ActionState = Field(description="a_faire, en_cours ou faite.")

"""Roles and the least-privilege matrix: which role may run which command."""

from __future__ import annotations

from enum import StrEnum

from crisis.domain.commands import (
    ActivateCod,
    AddUser,
    CheckDeadlines,
    CloseCrisis,
    Command,
    DeclareCellOperational,
    OpenCrisis,
    PlayInject,
    RecordDelivery,
    RecordDeliveryOutcomes,
    RetryDelivery,
    SendMessage,
    SetPassword,
)
from crisis.domain.contact_commands import (
    AddToContactList,
    CreateContact,
    CreateContactList,
    ImportContacts,
    RemoveFromContactList,
    UpdateContact,
)
from crisis.domain.draft_commands import (
    ApproveDraft,
    ComposeMessage,
    EditDraft,
    RejectDraft,
    SaveTemplate,
    SendDraft,
    SubmitDraft,
)
from crisis.domain.oncall import (
    AcknowledgePage,
    BindTelegram,
    CheckCallouts,
    DeactivateCip,
    DeclareCipOperational,
    ImportRoster,
    IssueBindCode,
    OrderCip,
    StartCallout,
)
from crisis.domain.programme import (
    AddDrillSchedule,
    DeliverInject,
    NotifyDrillParticipants,
    RecordDrillRun,
    RemoveDrillSchedule,
    RunDueDrills,
)


class Role(StrEnum):
    DUTY_OFFICER = "duty_officer"
    COMM_CELL = "comm_cell"
    PREFECT = "prefect"
    AUDITOR = "auditor"
    ADMIN = "admin"


ROLE_LABELS: dict[Role, str] = {
    Role.DUTY_OFFICER: "cadre de permanence",
    Role.COMM_CELL: "cellule de communication",
    Role.PREFECT: "préfet ou délégué",
    Role.AUDITOR: "auditeur",
    Role.ADMIN: "administrateur",
}

CONTACT_KEEPERS = frozenset({Role.COMM_CELL, Role.DUTY_OFFICER, Role.ADMIN})
# Who writes prepared messages and sends them once approved; only the préfet approves.
MESSAGE_WRITERS = frozenset({Role.COMM_CELL, Role.DUTY_OFFICER, Role.PREFECT})
APPROVERS = frozenset({Role.PREFECT})

# Every role may read. Writing is granted command by command; the auditor writes nothing.
COMMAND_ROLES: dict[type[Command], frozenset[Role]] = {
    OpenCrisis: frozenset({Role.DUTY_OFFICER, Role.PREFECT}),
    ActivateCod: frozenset({Role.DUTY_OFFICER, Role.PREFECT}),
    DeclareCellOperational: frozenset({Role.DUTY_OFFICER, Role.COMM_CELL, Role.PREFECT}),
    RecordDelivery: frozenset({Role.DUTY_OFFICER, Role.COMM_CELL, Role.PREFECT}),
    CloseCrisis: frozenset({Role.PREFECT, Role.ADMIN}),
    AddUser: frozenset({Role.ADMIN}),
    SetPassword: frozenset({Role.ADMIN}),
    CheckDeadlines: frozenset(),  # the scheduler's, run as the system
    # The directory of recipients: kept by the cell, the duty officer and the administrator.
    ImportContacts: CONTACT_KEEPERS,
    CreateContact: CONTACT_KEEPERS,
    UpdateContact: CONTACT_KEEPERS,
    CreateContactList: CONTACT_KEEPERS,
    AddToContactList: CONTACT_KEEPERS,
    RemoveFromContactList: CONTACT_KEEPERS,
    # Sending factual information: the communication cell, the duty officer, the prefect.
    SendMessage: frozenset({Role.COMM_CELL, Role.DUTY_OFFICER, Role.PREFECT}),
    RetryDelivery: frozenset({Role.COMM_CELL, Role.DUTY_OFFICER}),
    RecordDeliveryOutcomes: frozenset(),  # the dispatcher's, run as the system
    PlayInject: frozenset(),  # the drill runner's
    # Prepared messages and the préfet's approval.
    ComposeMessage: MESSAGE_WRITERS,
    EditDraft: MESSAGE_WRITERS,
    SubmitDraft: MESSAGE_WRITERS,
    SendDraft: MESSAGE_WRITERS,
    ApproveDraft: APPROVERS,
    RejectDraft: APPROVERS,
    SaveTemplate: frozenset({Role.COMM_CELL}),
    # The cell on call and the CIP.
    ImportRoster: CONTACT_KEEPERS,
    IssueBindCode: CONTACT_KEEPERS,
    StartCallout: frozenset({Role.DUTY_OFFICER, Role.COMM_CELL, Role.PREFECT}),
    AcknowledgePage: frozenset({Role.DUTY_OFFICER, Role.COMM_CELL, Role.PREFECT}),
    OrderCip: frozenset({Role.PREFECT}),
    DeclareCipOperational: frozenset({Role.DUTY_OFFICER, Role.COMM_CELL, Role.PREFECT}),
    DeactivateCip: frozenset({Role.PREFECT}),
    CheckCallouts: frozenset(),  # the scheduler's, run as the system
    BindTelegram: frozenset(),  # the bot's, run as the system
    # The exercise programme: kept by the duty officer and the administrator.
    AddDrillSchedule: frozenset({Role.DUTY_OFFICER, Role.ADMIN}),
    RemoveDrillSchedule: frozenset({Role.DUTY_OFFICER, Role.ADMIN}),
    RunDueDrills: frozenset(),  # the scheduler's, run as the system
    NotifyDrillParticipants: frozenset(),  # the scheduler's, run as the system
    RecordDrillRun: frozenset(),  # the programme's runner, run as the system
    DeliverInject: frozenset(),  # the live drill's director
}


def may_run(role: str, command_type: type[Command]) -> bool:
    allowed = COMMAND_ROLES.get(command_type, frozenset())
    return any(role == r.value for r in allowed)

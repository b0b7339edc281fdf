"""The table of commands: for each one, its handler, the roles allowed to run it and its label.

A command is declared here once. The bus reads the handlers and the roles from this table; the
reports, the CLI and the API read the French label through `command_label`. Every role may
read; writing is granted command by command, and the auditor writes only the replay's
annotations. A command with no role is run by the service itself (the scheduler, the
dispatcher, the drill runner, the bot) as the system.

Over 500 lines because the table is the one place where every command is declared, five lines
a command: split, it would no longer be read (nor checked) as one table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from crisis.domain.account_commands import (
    ChangeRole,
    DeactivateUser,
    ReactivateUser,
    RevokeApiToken,
    RevokePasskeys,
    SetUserEmail,
    UnbindIdentity,
    UnlockAccount,
)
from crisis.domain.annotations import AnnotateInstant
from crisis.domain.approval_calls import AcknowledgeApprovalPage, SetApprovers
from crisis.domain.commands import (
    ActivateCod,
    AddUser,
    CheckDeadlines,
    CloseCrisis,
    Command,
    ContinueFanout,
    CorrectClock,
    DeclareCellOperational,
    OpenCrisis,
    PlayInject,
    RecordDelivery,
    RecordDeliveryOutcomes,
    RecordHandsetReceipts,
    RecordServiceAlert,
    RetryDelivery,
    SendMessage,
    SetPassword,
)
from crisis.domain.contact_commands import (
    AddToContactList,
    CreateContact,
    CreateContactList,
    DeactivateContact,
    ImportContacts,
    ReactivateContact,
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
    AcknowledgeByLink,
    AcknowledgePage,
    AnswerCall,
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
    PlayDrill,
    RecordDrillRun,
    RemoveDrillSchedule,
    RemoveScenario,
    RunDueDrills,
    UploadScenario,
)
from crisis.domain.retex import RecordRetex, UpdateRetexAction
from crisis.services import (
    account_handlers,
    ack_handlers,
    alert_handlers,
    annotation_handlers,
    approval_calls,
    approver_order,
    call_answers,
    callout_handlers,
    cip_handlers,
    contact_handlers,
    draft_handlers,
    drill_handlers,
    fanout_handlers,
    handlers,
    message_handlers,
    outcome_handlers,
    programme_handlers,
    receipt_handlers,
    retex_handlers,
    roster_handlers,
    scenario_library,
)
from crisis.services.context import HandlerContext, Outcome
from crisis.services.preparation import Preparer
from crisis.services.roles import ROLE_LABELS, Role

CommandHandler = Callable[[Any, HandlerContext], Outcome]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    command: type[Command]
    handler: CommandHandler
    roles: frozenset[Role]
    label: str  # French, as read in the journal: "Activation du COD"
    action: str  # what it asks for, ending « Votre rôle … ne permet pas de … »
    # Run before the transaction opens (rendering a template): see services/preparation.
    prepare: Preparer | None = None


SYSTEM_ONLY: frozenset[Role] = frozenset()
CRISIS_OPENERS = frozenset({Role.DUTY_OFFICER, Role.PREFECT})
CRISIS_WRITERS = frozenset({Role.DUTY_OFFICER, Role.COMM_CELL, Role.PREFECT})
CONTACT_KEEPERS = frozenset({Role.COMM_CELL, Role.DUTY_OFFICER, Role.ADMIN})
# Who writes prepared messages and sends them once approved; only the préfet approves.
MESSAGE_WRITERS = frozenset({Role.COMM_CELL, Role.DUTY_OFFICER, Role.PREFECT})
APPROVERS = frozenset({Role.PREFECT})
PROGRAMME_KEEPERS = frozenset({Role.DUTY_OFFICER, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})

COMMAND_SPECS: tuple[CommandSpec, ...] = (
    # The event and its clocks.
    CommandSpec(
        OpenCrisis,
        handlers.open_crisis,
        CRISIS_OPENERS,
        "Ouverture de l'événement",
        "ouvrir un événement",
    ),
    CommandSpec(
        ActivateCod,
        handlers.activate_cod,
        CRISIS_OPENERS,
        "Activation du COD",
        "enregistrer l'activation du COD",
    ),
    CommandSpec(
        DeclareCellOperational,
        handlers.declare_cell_operational,
        CRISIS_WRITERS,
        "Déclaration de la cellule opérationnelle",
        "déclarer la cellule de communication opérationnelle",
    ),
    CommandSpec(
        CorrectClock,
        handlers.correct_clock,
        frozenset({Role.DUTY_OFFICER, Role.PREFECT, Role.ADMIN}),
        "Correction d'une horloge",
        "corriger une horloge",
    ),
    CommandSpec(
        RecordDelivery,
        handlers.record_delivery,
        CRISIS_WRITERS,
        "Enregistrement d'une diffusion",
        "enregistrer une diffusion faite hors du service",
    ),
    CommandSpec(
        CheckDeadlines,
        handlers.check_deadlines,
        SYSTEM_ONLY,
        "Contrôle des échéances",
        "contrôler les échéances",
    ),
    CommandSpec(
        RecordServiceAlert,
        alert_handlers.record_service_alert,
        SYSTEM_ONLY,  # the scheduler's watch
        "Alerte sur le fonctionnement du service",
        "signaler une panne du service",
    ),
    CommandSpec(
        CloseCrisis,
        handlers.close_crisis,
        frozenset({Role.PREFECT, Role.ADMIN}),
        "Clôture de l'événement",
        "clore un événement",
    ),
    CommandSpec(
        AddUser,
        handlers.add_user,
        frozenset({Role.ADMIN}),
        "Ajout d'un utilisateur",
        "ajouter un utilisateur",
    ),
    CommandSpec(
        SetPassword,
        handlers.set_password,
        frozenset({Role.ADMIN}),
        "Mot de passe de la console enregistré",
        "enregistrer un mot de passe de la console",
    ),
    CommandSpec(
        ChangeRole,
        account_handlers.change_role,
        ADMINS,
        "Changement de rôle",
        "changer le rôle d'un utilisateur",
    ),
    CommandSpec(
        RevokeApiToken,
        account_handlers.revoke_api_token,
        ADMINS,
        "Révocation du jeton d'API",
        "révoquer un jeton d'API",
    ),
    CommandSpec(
        UnlockAccount,
        account_handlers.unlock_account,
        ADMINS,
        "Délais de connexion levés",
        "lever les délais de connexion d'un compte",
    ),
    CommandSpec(
        DeactivateUser,
        account_handlers.deactivate_user,
        ADMINS,
        "Désactivation d'un compte",
        "désactiver un compte",
    ),
    CommandSpec(
        ReactivateUser,
        account_handlers.reactivate_user,
        ADMINS,
        "Réactivation d'un compte",
        "réactiver un compte",
    ),
    CommandSpec(
        SetUserEmail,
        account_handlers.set_user_email,
        ADMINS,
        "Adresse électronique d'un compte",
        "changer l'adresse électronique d'un compte",
    ),
    CommandSpec(
        RevokePasskeys,
        account_handlers.revoke_passkeys,
        ADMINS,
        "Clés d'accès d'un compte révoquées",
        "révoquer les clés d'accès d'un compte",
    ),
    CommandSpec(
        UnbindIdentity,
        account_handlers.unbind_identity,
        ADMINS,
        "Identité ProConnect déliée",
        "délier l'identité ProConnect d'un compte",
    ),
    # The directory of recipients: kept by the cell, the duty officer and the administrator.
    CommandSpec(
        ImportContacts,
        contact_handlers.import_contacts,
        CONTACT_KEEPERS,
        "Import de contacts",
        "importer des contacts",
    ),
    CommandSpec(
        CreateContact,
        contact_handlers.create_contact,
        CONTACT_KEEPERS,
        "Création d'un contact",
        "créer un contact",
    ),
    CommandSpec(
        UpdateContact,
        contact_handlers.update_contact,
        CONTACT_KEEPERS,
        "Modification d'un contact",
        "modifier un contact",
    ),
    CommandSpec(
        DeactivateContact,
        contact_handlers.deactivate_contact,
        CONTACT_KEEPERS,
        "Désactivation d'un contact",
        "désactiver un contact",
    ),
    CommandSpec(
        ReactivateContact,
        contact_handlers.reactivate_contact,
        CONTACT_KEEPERS,
        "Réactivation d'un contact",
        "réactiver un contact",
    ),
    CommandSpec(
        CreateContactList,
        contact_handlers.create_contact_list,
        CONTACT_KEEPERS,
        "Création d'une liste de diffusion",
        "créer une liste de diffusion",
    ),
    CommandSpec(
        AddToContactList,
        contact_handlers.add_to_contact_list,
        CONTACT_KEEPERS,
        "Ajout à une liste de diffusion",
        "ajouter un contact à une liste",
    ),
    CommandSpec(
        RemoveFromContactList,
        contact_handlers.remove_from_contact_list,
        CONTACT_KEEPERS,
        "Retrait d'une liste de diffusion",
        "retirer un contact d'une liste",
    ),
    # Sending factual information: the communication cell, the duty officer, the préfet.
    CommandSpec(
        SendMessage,
        message_handlers.send_message,
        MESSAGE_WRITERS,
        "Envoi d'un message",
        "envoyer un message",
    ),
    CommandSpec(
        RetryDelivery,
        outcome_handlers.retry_delivery,
        frozenset({Role.COMM_CELL, Role.DUTY_OFFICER}),
        "Nouvelle tentative de remise",
        "relancer une diffusion",
    ),
    CommandSpec(
        ContinueFanout,
        fanout_handlers.continue_fanout,
        SYSTEM_ONLY,  # the fan-out runner's
        "Mise en file d'un grand public",
        "poursuivre la mise en file d'un message",
    ),
    CommandSpec(
        RecordDeliveryOutcomes,
        outcome_handlers.record_delivery_outcomes,
        SYSTEM_ONLY,  # the dispatcher's
        "Enregistrement des résultats de remise",
        "enregistrer les résultats de diffusion",
    ),
    CommandSpec(
        RecordHandsetReceipts,
        receipt_handlers.record_handset_receipts,
        SYSTEM_ONLY,  # the SMS channels' receipt recorder
        "Enregistrement des accusés de remise",
        "enregistrer les accusés de remise",
    ),
    CommandSpec(
        PlayInject,
        drill_handlers.play_inject,
        SYSTEM_ONLY,  # the drill runner's
        "Jeu d'une injection d'exercice",
        "jouer un inject d'exercice",
    ),
    # Prepared messages and the préfet's approval.
    CommandSpec(
        ComposeMessage,
        draft_handlers.compose_message,
        MESSAGE_WRITERS,
        "Rédaction d'un message",
        "rédiger un message",
        prepare=draft_handlers.prepare_compose,
    ),
    CommandSpec(
        EditDraft,
        draft_handlers.edit_draft,
        MESSAGE_WRITERS,
        "Modification d'un message",
        "modifier un message",
        prepare=draft_handlers.prepare_edit,
    ),
    CommandSpec(
        SubmitDraft,
        draft_handlers.submit_draft,
        MESSAGE_WRITERS,
        "Soumission d'un message à validation",
        "soumettre un message à validation",
    ),
    CommandSpec(
        SendDraft,
        draft_handlers.send_draft,
        MESSAGE_WRITERS,
        "Envoi d'un message validé",
        "envoyer un message validé",
    ),
    CommandSpec(
        ApproveDraft,
        draft_handlers.approve_draft,
        APPROVERS,
        "Validation d'un message",
        "valider un message",
    ),
    CommandSpec(
        RejectDraft,
        draft_handlers.reject_draft,
        APPROVERS,
        "Refus d'un message",
        "refuser un message",
    ),
    CommandSpec(
        SaveTemplate,
        draft_handlers.save_template,
        frozenset({Role.COMM_CELL}),
        "Enregistrement d'un modèle de message",
        "enregistrer un modèle de message",
        prepare=draft_handlers.prepare_template,
    ),
    # The cell on call and the CIP.
    CommandSpec(
        ImportRoster,
        roster_handlers.import_roster,
        CONTACT_KEEPERS,
        "Import du tableau d'astreinte",
        "importer le tableau d'astreinte",
    ),
    CommandSpec(
        IssueBindCode,
        roster_handlers.issue_bind_code,
        CONTACT_KEEPERS,
        "Émission d'un code de liaison Telegram",
        "délivrer un code de liaison Telegram",
    ),
    CommandSpec(
        BindTelegram,
        roster_handlers.bind_telegram,
        SYSTEM_ONLY,  # the bot's
        "Liaison d'un compte Telegram",
        "lier un compte Telegram",
    ),
    CommandSpec(
        StartCallout,
        callout_handlers.start_callout,
        CRISIS_WRITERS,
        "Appel de la cellule d'astreinte",
        "appeler la cellule d'astreinte",
    ),
    CommandSpec(
        AcknowledgePage,
        ack_handlers.acknowledge_page,
        CRISIS_WRITERS,  # one's own page; another member's: the duty officer only (ack_rights)
        "Accusé de réception d'un appel",
        "accuser réception d'un appel",
    ),
    # The approvers called when a message waits (crisis.services.approval_calls).
    CommandSpec(
        SetApprovers,
        approver_order.set_approvers,
        ADMINS,
        "Ordre d'appel des valideurs",
        "fixer l'ordre d'appel des valideurs",
    ),
    CommandSpec(
        AcknowledgeApprovalPage,
        approval_calls.acknowledge_approval_page,
        APPROVERS,
        "Prise en charge d'un message à valider",
        "prendre en charge un message à valider",
    ),
    CommandSpec(
        AcknowledgeByLink,
        ack_handlers.acknowledge_by_link,
        SYSTEM_ONLY,  # the public /ack/ route's, on behalf of whoever holds the link
        "Accusé de réception par lien personnel",
        "accuser réception par un lien personnel",
    ),
    CommandSpec(
        AnswerCall,
        call_answers.answer_call,
        SYSTEM_ONLY,  # the voice channel's, on behalf of whoever pressed the key
        "Réponse à un appel téléphonique",
        "répondre à un appel téléphonique",
    ),
    CommandSpec(
        CheckCallouts,
        callout_handlers.check_callouts,
        SYSTEM_ONLY,  # the scheduler's
        "Contrôle des appels d'astreinte",
        "contrôler les appels sans réponse",
    ),
    CommandSpec(
        OrderCip,
        cip_handlers.order_cip,
        frozenset({Role.PREFECT}),
        "Ordre d'activation de la CIP",
        "ordonner l'activation de la CIP",
    ),
    CommandSpec(
        DeclareCipOperational,
        cip_handlers.declare_cip_operational,
        CRISIS_WRITERS,
        "Déclaration de la CIP opérationnelle",
        "déclarer la CIP opérationnelle",
    ),
    CommandSpec(
        DeactivateCip,
        cip_handlers.deactivate_cip,
        frozenset({Role.PREFECT}),
        "Désactivation de la CIP",
        "fermer la CIP",
    ),
    # The exercise programme: kept by the duty officer and the administrator.
    CommandSpec(
        AddDrillSchedule,
        programme_handlers.add_drill_schedule,
        PROGRAMME_KEEPERS,
        "Programmation d'un exercice",
        "programmer un exercice",
    ),
    CommandSpec(
        RemoveDrillSchedule,
        programme_handlers.remove_drill_schedule,
        PROGRAMME_KEEPERS,
        "Retrait d'un exercice programmé",
        "retirer un exercice du programme",
    ),
    CommandSpec(
        PlayDrill,
        programme_handlers.play_drill,
        PROGRAMME_KEEPERS,
        "Exercice joué à la demande",
        "jouer un exercice",
    ),
    CommandSpec(
        UploadScenario,
        scenario_library.upload_scenario,
        PROGRAMME_KEEPERS,
        "Dépôt d'un scénario d'exercice",
        "déposer un scénario d'exercice",
    ),
    CommandSpec(
        RemoveScenario,
        scenario_library.remove_scenario,
        PROGRAMME_KEEPERS,
        "Retrait d'un scénario déposé",
        "retirer un scénario d'exercice",
    ),
    CommandSpec(
        RunDueDrills,
        programme_handlers.run_due_drills,
        SYSTEM_ONLY,  # the scheduler's
        "Lancement des exercices programmés",
        "lancer les exercices arrivés à échéance",
    ),
    CommandSpec(
        NotifyDrillParticipants,
        programme_handlers.notify_drill_participants,
        SYSTEM_ONLY,  # the scheduler's
        "Préavis aux participants d'un exercice",
        "prévenir les participants d'un exercice",
    ),
    CommandSpec(
        RecordDrillRun,
        programme_handlers.record_drill_run,
        SYSTEM_ONLY,  # the programme's runner
        "Enregistrement d'un exercice joué",
        "enregistrer le déroulement d'un exercice",
    ),
    CommandSpec(
        DeliverInject,
        programme_handlers.deliver_inject,
        SYSTEM_ONLY,  # the live drill's director
        "Envoi d'une injection d'exercice",
        "transmettre un inject aux joueurs",
    ),
    # The RETEX of a closed event: written by those who ran it.
    CommandSpec(
        RecordRetex,
        retex_handlers.record_retex,
        CRISIS_WRITERS,
        "Retour d'expérience enregistré",
        "enregistrer le retour d'expérience",
    ),
    CommandSpec(
        UpdateRetexAction,
        retex_handlers.update_retex_action,
        CRISIS_WRITERS,
        "Action corrective mise à jour",
        "mettre à jour une action corrective",
    ),
    # The replay's remarks: the auditor's one write, and the duty officer's.
    CommandSpec(
        AnnotateInstant,
        annotation_handlers.annotate_instant,
        frozenset({Role.AUDITOR, Role.DUTY_OFFICER}),
        "Annotation d'un instant de l'événement",
        "annoter un instant de l'événement",
    ),
)

COMMANDS: Mapping[type[Command], CommandSpec] = {spec.command: spec for spec in COMMAND_SPECS}
_BY_NAME: Mapping[str, CommandSpec] = {spec.command.__name__: spec for spec in COMMAND_SPECS}


def command_handlers() -> dict[type[Command], CommandHandler]:
    return {spec.command: spec.handler for spec in COMMAND_SPECS}


def command_preparers() -> dict[type[Command], Preparer]:
    return {spec.command: spec.prepare for spec in COMMAND_SPECS if spec.prepare is not None}


def may_run(role: str, command_type: type[Command]) -> bool:
    spec = COMMANDS.get(command_type)
    return spec is not None and any(role == allowed.value for allowed in spec.roles)


def refusal(role: str, command_type: type[Command]) -> str:
    """« Votre rôle (cadre de permanence) ne permet pas de valider un message. »"""
    spec = COMMANDS.get(command_type)
    action = spec.action if spec is not None else "cette action"
    preposition = "d'" if action[:1].lower() in "aeéèêiîoôuh" else "de "
    try:
        role_name = ROLE_LABELS[Role(role)]
    except ValueError:
        role_name = role
    return f"Votre rôle ({role_name}) ne permet pas {preposition}{action}."


def command_action(name: str) -> str | None:
    """What a command named as in the journal asks for ("valider un message"), None if unknown."""
    spec = _BY_NAME.get(name)
    return spec.action if spec is not None else None


def command_label(name: str) -> str | None:
    """The French label of a command named as in the journal ("ActivateCod"), None if unknown."""
    spec = _BY_NAME.get(name)
    return spec.label if spec is not None else None

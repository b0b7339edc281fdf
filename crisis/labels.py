"""The French vocabulary: the one place where every code a person might meet gets its label.

Journal entry kinds, commands, events, roles, audiences, channels, clocks and states: the CLI,
the API's error messages, the reports and the bot read their labels here, so an internal name
(`ApproveDraft`, `duty_officer`, `telegram_dm`) never reaches a person. JSON answers keep the
stable codes for scripts.

The tables that live next to their enum in the domain (crisis kinds, clock names, cell roles,
draft states…) are re-exported here, so that callers outside the domain have one module to
ask; a test checks that every enum member, command and event has its label.
"""

from __future__ import annotations

from collections.abc import Mapping

from crisis.domain.contacts import CATEGORY_LABELS
from crisis.domain.drafts import DRAFT_STATE_LABELS
from crisis.domain.messages import ChannelName, MessagePurpose, MessageType
from crisis.domain.oncall import CELL_ROLE_LABELS, TEAM_LABELS
from crisis.domain.programme import DRILL_MODE_LABELS
from crisis.domain.vocabulary import (
    CLOCK_LABELS,
    CLOCK_STATE_LABELS,
    CRISIS_KIND_LABELS,
    CRISIS_STATE_LABELS,
    Audience,
    ClockName,
)

__all__ = [
    "CATEGORY_LABELS",
    "CELL_ROLE_LABELS",
    "CLOCK_LABELS",
    "CLOCK_STATE_LABELS",
    "CRISIS_KIND_LABELS",
    "CRISIS_STATE_LABELS",
    "DRAFT_STATE_LABELS",
    "DRILL_MODE_LABELS",
    "TEAM_LABELS",
]

# -- people and audiences -------------------------------------------------------------------

# The roles of the service's users (crisis.services.roles.Role), by code.
USER_ROLE_LABELS: dict[str, str] = {
    "duty_officer": "cadre de permanence",
    "comm_cell": "cellule de communication",
    "prefect": "préfet ou délégué",
    "auditor": "auditeur",
    "admin": "administrateur",
    "system": "système",
    "local": "opérateur local",
}

AUDIENCE_LABELS: dict[Audience | str, str] = {
    Audience.ELUS: "élus",
    Audience.PUBLIC: "public",
    Audience.MEDIA: "médias",
    # Pages go to the cell; internal alerts to the duty officer or the cabinet.
    "cellule": "cellule de communication",
    "cadre_permanence": "cadre de permanence",
    "cabinet": "cabinet du préfet",
}

# The clocks in a chart's narrow label column.
CLOCK_SHORT_LABELS: dict[ClockName, str] = {
    ClockName.CELL: "Cellule de communication",
    ClockName.ELUS: "Information des élus",
    ClockName.PUBLIC: "Information du public",
    ClockName.MEDIA: "Information des médias",
    ClockName.CIP: "Cellule d'information (CIP)",
}

# How a commitment stands in a report (met late, not started: words of the report only).
COMMITMENT_STATE_LABELS: dict[str, str] = {
    "met": "tenu",
    "met_late": "tenu en retard",
    "breached": "non tenu",
    "running": "en cours",
    "not_started": "non déclenché",
}

# The roles a drill scenario names its participants by, beyond the cell roles.
SCENARIO_ROLE_LABELS: dict[str, str] = {
    "cadre_permanence": "cadre de permanence",
    "prefet": "préfet",
    "sous_prefet": "sous-préfet",
    "directeur_cabinet": "directeur de cabinet",
    "sidpc": "SIDPC",
    **{role.value: label for role, label in CELL_ROLE_LABELS.items()},
}

# -- channels and messages ------------------------------------------------------------------

CHANNEL_LABELS: dict[ChannelName | str, str] = {
    ChannelName.TELEGRAM_DM: "Telegram (message personnel)",
    ChannelName.TELEGRAM_PUBLIC: "canal Telegram public",
    ChannelName.X: "X (ex-Twitter)",
    ChannelName.EMAIL: "courriel",
    ChannelName.SMS: "SMS",
    ChannelName.WEBHOOK: "partenaires (webhook)",
    ChannelName.FEED: "page publique et flux",
    ChannelName.CAP: "alerte CAP",
    # The means a drill inject arrives by, or a delivery recorded by hand.
    "telephone": "téléphone",
    "telegram": "Telegram",
    "radio": "radio",
    "fax": "télécopie",
    "courrier": "courrier",
    "oral": "oral",
}

PURPOSE_LABELS: dict[MessagePurpose, str] = {
    MessagePurpose.FACTUAL: "information factuelle",
    MessagePurpose.CLOCK_ALERT: "alerte d'échéance",
    MessagePurpose.DELIVERY_ALERT: "alerte d'échec de diffusion",
    MessagePurpose.CALLOUT: "appel d'astreinte",
    MessagePurpose.DRILL_NOTICE: "avis d'exercice",
    MessagePurpose.DRILL_INJECT: "inject d'exercice",
}

MESSAGE_TYPE_LABELS: dict[MessageType, str] = {
    MessageType.ALERT: "premier message",
    MessageType.UPDATE: "mise à jour",
    MessageType.CANCEL: "annulation",
}

DELIVERY_OUTCOME_LABELS: dict[str, str] = {
    "accepted": "acceptée",
    "retry": "à réessayer",
    "failed": "en échec",
    "refused": "refusée (exercice)",
}

DELIVERY_OUTCOME_PLURALS: dict[str, str] = {
    "accepted": "acceptées",
    "retry": "à réessayer",
    "failed": "en échec",
    "refused": "refusées (exercice)",
}

ACK_VIA_LABELS: dict[str, str] = {
    "telegram": "Telegram",
    "link": "lien reçu",
    "api": "saisie par un collègue",
    "exercice": "réponse simulée de l'exercice",
}

# -- the journal ------------------------------------------------------------------------------

# What a command asks for, as the end of « Votre rôle (…) ne permet pas de … ».
COMMAND_LABELS: dict[str, str] = {
    "OpenCrisis": "ouvrir un événement",
    "ActivateCod": "enregistrer l'activation du COD",
    "DeclareCellOperational": "déclarer la cellule de communication opérationnelle",
    "RecordDelivery": "enregistrer une diffusion faite hors du service",
    "CheckDeadlines": "contrôler les échéances",
    "CloseCrisis": "clore un événement",
    "AddUser": "ajouter un utilisateur",
    "ImportContacts": "importer des contacts",
    "CreateContact": "créer un contact",
    "UpdateContact": "modifier un contact",
    "CreateContactList": "créer une liste de diffusion",
    "AddToContactList": "ajouter un contact à une liste",
    "RemoveFromContactList": "retirer un contact d'une liste",
    "SendMessage": "envoyer un message",
    "RecordDeliveryOutcomes": "enregistrer les résultats de diffusion",
    "RetryDelivery": "relancer une diffusion",
    "PlayInject": "jouer un inject d'exercice",
    "ComposeMessage": "rédiger un message",
    "EditDraft": "modifier un message",
    "SubmitDraft": "soumettre un message à validation",
    "ApproveDraft": "valider un message",
    "RejectDraft": "refuser un message",
    "SendDraft": "envoyer un message validé",
    "SaveTemplate": "enregistrer un modèle de message",
    "ImportRoster": "importer le tableau d'astreinte",
    "IssueBindCode": "délivrer un code de liaison Telegram",
    "StartCallout": "appeler la cellule d'astreinte",
    "AcknowledgePage": "accuser réception d'un appel",
    "CheckCallouts": "contrôler les appels sans réponse",
    "BindTelegram": "lier un compte Telegram",
    "OrderCip": "ordonner l'activation de la CIP",
    "DeclareCipOperational": "déclarer la CIP opérationnelle",
    "DeactivateCip": "fermer la CIP",
    "AddDrillSchedule": "programmer un exercice",
    "RemoveDrillSchedule": "retirer un exercice du programme",
    "RunDueDrills": "lancer les exercices arrivés à échéance",
    "NotifyDrillParticipants": "prévenir les participants d'un exercice",
    "RecordDrillRun": "enregistrer le déroulement d'un exercice",
    "DeliverInject": "transmettre un inject aux joueurs",
}

# A journal entry that records a command, as a line of the main courante.
COMMAND_ENTRY_LABELS: dict[str, str] = {
    "OpenCrisis": "Ouverture de l'événement",
    "ActivateCod": "Enregistrement de l'activation du COD",
    "DeclareCellOperational": "Déclaration : cellule opérationnelle",
    "RecordDelivery": "Diffusion hors service enregistrée",
    "CheckDeadlines": "Contrôle des échéances",
    "CloseCrisis": "Clôture demandée",
    "AddUser": "Ajout d'un utilisateur",
    "ImportContacts": "Import de contacts",
    "CreateContact": "Création d'un contact",
    "UpdateContact": "Modification d'un contact",
    "CreateContactList": "Création d'une liste de diffusion",
    "AddToContactList": "Ajout à une liste de diffusion",
    "RemoveFromContactList": "Retrait d'une liste de diffusion",
    "SendMessage": "Envoi d'un message",
    "RecordDeliveryOutcomes": "Résultats de diffusion",
    "RetryDelivery": "Relance d'une diffusion",
    "PlayInject": "Inject d'exercice",
    "ComposeMessage": "Rédaction d'un message",
    "EditDraft": "Modification d'un message",
    "SubmitDraft": "Demande de validation",
    "ApproveDraft": "Validation d'un message",
    "RejectDraft": "Refus d'un message",
    "SendDraft": "Envoi d'un message validé",
    "SaveTemplate": "Enregistrement d'un modèle",
    "ImportRoster": "Import du tableau d'astreinte",
    "IssueBindCode": "Code de liaison Telegram délivré",
    "StartCallout": "Appel de la cellule demandé",
    "AcknowledgePage": "Réponse à un appel",
    "CheckCallouts": "Contrôle des appels sans réponse",
    "BindTelegram": "Liaison d'un compte Telegram",
    "OrderCip": "Ordre d'activation de la CIP enregistré",
    "DeclareCipOperational": "Déclaration : CIP opérationnelle",
    "DeactivateCip": "Fermeture de la CIP demandée",
    "AddDrillSchedule": "Exercice programmé",
    "RemoveDrillSchedule": "Exercice retiré du programme",
    "RunDueDrills": "Lancement des exercices programmés",
    "NotifyDrillParticipants": "Avis aux participants d'un exercice",
    "RecordDrillRun": "Déroulement d'un exercice enregistré",
    "DeliverInject": "Inject d'exercice transmis aux joueurs",
}

EVENT_LABELS: dict[str, str] = {
    "CrisisOpened": "Événement ouvert",
    "CodActivated": "COD activé (décision du préfet)",
    "ClockStarted": "Horloge lancée",
    "ClockMet": "Horloge tenue",
    "ClockWarning": "Alerte d'échéance",
    "ClockBreached": "Échéance dépassée",
    "CellDeclaredOperational": "Cellule déclarée opérationnelle",
    "DeliveryRecorded": "Diffusion hors service",
    "MessageSent": "Message mis en diffusion",
    "DeliveryAccepted": "Diffusion acceptée par le fournisseur",
    "DeliveryFailed": "Diffusion en échec",
    "DeliveryRequeued": "Diffusion relancée",
    "CrisisClosed": "Événement clos",
    "InjectPlayed": "Inject joué",
    "DraftComposed": "Message rédigé",
    "DraftEdited": "Message modifié",
    "DraftSubmitted": "Message soumis à validation",
    "DraftApproved": "Message validé",
    "DraftRejected": "Message refusé",
    "DraftSent": "Message validé envoyé",
    "CalloutStarted": "Appel de la cellule lancé",
    "MemberPaged": "Membre appelé",
    "RoleUnstaffed": "Rôle sans personne à appeler",
    "CalloutEscalated": "Escalade de l'appel",
    "CalloutOfficerAlerted": "Cadre de permanence alerté (appel sans réponse)",
    "PageAcknowledged": "Accusé de réception",
    "QuorumReached": "Quorum atteint",
    "ShiftHandedOver": "Relève",
    "CipOrdered": "Ordre d'activation de la CIP",
    "CipDeclaredOperational": "CIP opérationnelle",
    "CipPublished": "Numéro unique publié",
    "CipDeactivated": "CIP fermée",
    # Entries of the exercise programme, on the system stream.
    "DrillMissed": "Exercice manqué (service arrêté)",
    "DrillRunStarted": "Exercice programmé lancé",
    "DrillNoticeSent": "Avis d'exercice envoyé",
}


def _lookup(table: Mapping[str, str], code: str) -> str:
    return table.get(code, code)


def command_label(name: str) -> str:
    """« valider un message » for `ApproveDraft`."""
    return _lookup(COMMAND_LABELS, name)


def journal_label(kind: str) -> str:
    """« Message validé » for `event.DraftApproved`; « Refus : valider un message »…"""
    prefix, _, name = kind.partition(".")
    if prefix == "command":
        return _lookup(COMMAND_ENTRY_LABELS, name)
    if prefix == "event":
        return _lookup(EVENT_LABELS, name)
    if prefix == "refused":
        return f"Refus : {command_label(name)}"
    return kind


def role_label(code: str | None) -> str:
    """A user role, a cell role or a scenario role, by its code."""
    if code is None:
        return "—"
    return USER_ROLE_LABELS.get(code) or SCENARIO_ROLE_LABELS.get(code) or code


def channel_label(code: str) -> str:
    return CHANNEL_LABELS.get(code, code)


def audience_label(code: str) -> str:
    return AUDIENCE_LABELS.get(code, code)


def clock_label(code: str) -> str:
    try:
        return CLOCK_LABELS[ClockName(code)]
    except ValueError:
        return code


def purpose_label(code: str) -> str:
    try:
        return PURPOSE_LABELS[MessagePurpose(code)]
    except ValueError:
        return code


def message_type_label(code: str) -> str:
    try:
        return MESSAGE_TYPE_LABELS[MessageType(code)]
    except ValueError:
        return code


def forbidden_sentence(role: str, command: str) -> str:
    """« Votre rôle (cadre de permanence) ne permet pas de valider un message. »"""
    action = command_label(command)
    elided = action[:1].lower() in "aeéèêiîoôuh"
    preposition = "d'" if elided else "de "
    return f"Votre rôle ({role_label(role)}) ne permet pas {preposition}{action}."

"""The French vocabulary: the one place where every code a person might meet gets its label.

Journal entry kinds, events, roles, audiences, channels, clocks and states: the CLI,
the API's error messages, the reports and the bot read their labels here, so an internal name
(`ApproveDraft`, `duty_officer`, `telegram_dm`) never reaches a person. JSON answers keep the
stable codes for scripts.

The tables that live next to their enum in the domain (crisis kinds, clock names, cell roles,
draft states…) are re-exported here, so that callers outside the domain have one module to
ask; a test checks that every enum member and event has its label. A command's labels (as
read in the journal, and as the action a 403 refuses) are declared with its handler and roles
in `crisis.services.registry`.
"""

from __future__ import annotations

from crisis.domain.contacts import CATEGORY_LABELS
from crisis.domain.drafts import DRAFT_STATE_LABELS
from crisis.domain.messages import ChannelName, MessagePurpose, MessageType
from crisis.domain.oncall import CELL_ROLE_LABELS, TEAM_LABELS
from crisis.domain.programme import DRILL_MODE_LABELS
from crisis.domain.retex import ACTION_STATE_LABELS
from crisis.domain.vocabulary import (
    CLOCK_LABELS,
    CLOCK_STATE_LABELS,
    CRISIS_KIND_LABELS,
    CRISIS_STATE_LABELS,
    Audience,
    ClockName,
)

__all__ = [
    "ACTION_STATE_LABELS",
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
    ChannelName.VOICE: "appel téléphonique",
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
    # Deadline warnings and breaches, and an unanswered callout: to the duty officer, the cabinet.
    MessagePurpose.CLOCK_ALERT: "alerte interne",
    MessagePurpose.DELIVERY_ALERT: "alerte d'échec de diffusion",
    MessagePurpose.CALLOUT: "appel d'astreinte",
    MessagePurpose.APPROVAL_CALL: "appel d'un valideur",
    MessagePurpose.DRILL_NOTICE: "avis d'exercice",
    MessagePurpose.DRILL_INJECT: "inject d'exercice",
}

MESSAGE_TYPE_LABELS: dict[MessageType, str] = {
    MessageType.ALERT: "premier message",
    MessageType.UPDATE: "mise à jour",
    MessageType.CANCEL: "annulation",
}

# The variants of a prepared message, one per channel or part of a channel's document.
VARIANT_LABELS: dict[str, str] = {
    "sms": "SMS",
    "x": "X (Twitter)",
    "telegram": "Telegram",
    "email_subject": "objet du courriel",
    "email_text": "courriel (texte)",
    "email_html": "courriel (HTML)",
    "feed": "flux public",
    "feed_title": "titre du flux public",
    "default": "texte commun",
    "cap_headline": "alerte CAP : titre",
    "cap_description": "alerte CAP : description",
    "cap_instruction": "alerte CAP : consignes",
    "voice": "appel (texte lu)",
}


# The types of a template's variables (crisis.templating.VariableType), by code.
VARIABLE_TYPE_LABELS: dict[str, str] = {
    "str": "texte d'une ligne",
    "text": "texte de plusieurs lignes",
    "datetime": "date et heure",
    "communes": "liste de communes",
    "phone": "numéro de téléphone",
    "url": "adresse web",
    "int": "nombre entier",
}


def variant_label(code: str) -> str:
    return VARIANT_LABELS.get(code, code)


DELIVERY_STATUS_LABELS: dict[str, str] = {
    "pending": "en attente",
    "in_flight": "en cours d'envoi",
    "accepted": "acceptée",
    "failed": "en échec",
    "refused": "refusée",
    "cancelled": "annulée (accusé de réception reçu avant)",
}

# What a person called did (channels.voice.CallOutcome).
PERSON_OUTCOME_LABELS: dict[str, str] = {
    "acknowledged": "accusé de réception par téléphone",
    "declined": "indisponible (touche 2)",
    "message_left": "message laissé, non confirmé",
}

# What came of one phone call, as the event page shows it (crisis.services.call_views).
CALL_OUTCOME_LABELS: dict[str, str] = {
    "answered": "répondu",
    "key_1": "touche 1 : accusé de réception",
    "declined": "touche 2 : indisponible",
    "message_left": "message laissé, non confirmé",
    "busy": "occupé",
    "no_answer": "pas de réponse",
    "refused": "refusé",
    "failed": "échec",
    "ringing": "appel en cours",
    "pending": "pas encore appelé",
    "cancelled": "annulé (plus nécessaire)",
}

# The calls of a call-out round counted by outcome (CalloutRoundCalls, journalled once).
ROUND_CALL_LABELS: dict[str, str] = {
    "acknowledged": "touche 1",
    "declined": "touche 2",
    "message_left": "message laissé",
    "no_answer": "sans réponse ou en échec",
    "cancelled": "annulé",
    "pending": "en attente",
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
    # « Accusé reçu par téléphone »: a colleague records it on the event page.
    "console": "téléphone, saisi dans la console",
    # The member themselves, signed in.
    "console_membre": "console, par le membre lui-même",
    "api_membre": "API, par le membre lui-même",
    # « 1 » pressed during the call of the voice channel (crisis.services.call_answers).
    "telephone_touche": "téléphone (touche 1)",
}

# -- the journal ------------------------------------------------------------------------------

# The events of the journal; a command's label is in its entry of crisis.services.registry.
EVENT_LABELS: dict[str, str] = {
    "CrisisOpened": "Événement ouvert",
    "CodActivated": "COD activé (décision du préfet)",
    "ClockStarted": "Horloge lancée",
    "ClockMet": "Horloge tenue",
    "ClockCorrected": "Horloge corrigée",
    "ClockWarning": "Alerte d'échéance",
    "ClockBreached": "Échéance dépassée",
    "CellDeclaredOperational": "Cellule déclarée opérationnelle",
    "DeliveryRecorded": "Diffusion hors service",
    "MessageSent": "Message mis en diffusion",
    "FanoutCompleted": "Mise en file terminée (grand public)",
    "DeliveriesAccepted": "Diffusions acceptées par le fournisseur",
    "DeliveryAccepted": "Diffusion acceptée par le fournisseur",
    "DeliveryFailed": "Diffusion en échec",
    "HandsetReceiptsRecorded": "Accusés de remise au téléphone",
    "DeliveryRequeued": "Diffusion relancée",
    "ChannelDown": "Canal déclaré en panne",
    "ChannelRestored": "Canal rétabli",
    "DeliveriesGaveUp": "Diffusions abandonnées",
    "CrisisClosed": "Événement clos",
    "InjectPlayed": "Inject joué",
    "RetexRecorded": "Retour d'expérience (nouvelle version)",
    "RetexActionUpdated": "Changement d'état d'une action corrective",
    "ReplayAnnotated": "Annotation de la relecture",
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
    "PageDeclined": "Appel décliné au téléphone (touche 2)",
    "CalloutRoundCalls": "Bilan des appels téléphoniques d'une vague",
    "ApprovalCallStarted": "Appel des valideurs lancé",
    "ApproverPaged": "Valideur appelé",
    "ApprovalPageAcknowledged": "Message à valider pris en charge",
    "ApprovalPageDeclined": "Valideur indisponible (touche 2)",
    "ApprovalCallResumed": "Pris en charge sans décision : appels repris",
    "ApprovalCallOfficerAlerted": "Cadre de permanence alerté (message à valider sans décision)",
    "ApprovalCallStopped": "Appel des valideurs arrêté",
    "QuorumReached": "Quorum atteint",
    "ShiftHandedOver": "Relève",
    "CipOrdered": "Ordre d'activation de la CIP",
    "CipDeclaredOperational": "CIP opérationnelle",
    "CipPublished": "Numéro unique publié",
    "CipDeactivated": "CIP fermée",
    # Entries of the exercise programme, on the system stream.
    "DrillMissed": "Exercice manqué (service arrêté)",
    "DrillRunStarted": "Exercice lancé (programme ou à la demande)",
    "DrillRunClaimed": "Exercice programmé pris en charge",
    "DrillPlayRequested": "Exercice à la demande pris en charge",
    "DrillNoticeSent": "Avis d'exercice envoyé",
}


def role_label(code: str | None) -> str:
    """A user role, a cell role or a scenario role, by its code."""
    if code is None:
        return "—"
    return USER_ROLE_LABELS.get(code) or SCENARIO_ROLE_LABELS.get(code) or code


def channel_label(code: str) -> str:
    return CHANNEL_LABELS.get(code, code)


def delivery_status_label(code: str) -> str:
    return DELIVERY_STATUS_LABELS.get(code, code)


def ack_via_label(code: str | None) -> str:
    if not code:
        return "—"
    return ACK_VIA_LABELS.get(code, code)


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


# The two ways an SMS travels, as channels.measure.SmsEncoding names them.
SMS_ENCODING_LABELS: dict[str, str] = {
    "GSM-7": "GSM 7 bits",
    "UCS-2": "Unicode (UCS-2)",
}


def sms_encoding_label(code: str | None) -> str:
    return SMS_ENCODING_LABELS.get(code or "", code or "")

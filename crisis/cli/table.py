"""The command table of `crisis`: each top-level command, where it lives, and its one line.

`crisis --help` is written from this table alone, and `crisis NAME …` imports only NAME's
module: the other commands' libraries (SQLAlchemy, the service, the report renderers) are not
loaded for it. A test checks each line against its command's own help, and that every
command of the table loads.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CommandEntry:
    name: str
    module: str
    attribute: str  # a function (one command) or a `typer.Typer` (a group of commands)
    summary: str  # the line of `crisis --help`: the start of the command's own help


COMMANDS: tuple[CommandEntry, ...] = (
    CommandEntry(
        "demo",
        "crisis.cli.demo",
        "demo",
        "Créer la base de démonstration.",
    ),
    CommandEntry(
        "serve",
        "crisis.cli.events",
        "serve",
        "Lancer l'API, l'ordonnanceur et le répartiteur des diffusions.",
    ),
    CommandEntry(
        "worker",
        "crisis.cli.events",
        "worker",
        "Lancer seulement le répartiteur des diffusions (pour monter en charge).",
    ),
    CommandEntry(
        "activate",
        "crisis.cli.events",
        "activate",
        "Ouvrir un événement et enregistrer l'activation du COD.",
    ),
    CommandEntry(
        "status",
        "crisis.cli.events",
        "status",
        "État d'un événement et de ses horloges.",
    ),
    CommandEntry(
        "list",
        "crisis.cli.events",
        "list_crises",
        "Lister les événements.",
    ),
    CommandEntry(
        "cell-operational",
        "crisis.cli.events",
        "cell_operational",
        "Déclarer la cellule de communication opérationnelle.",
    ),
    CommandEntry(
        "delivery",
        "crisis.cli.events",
        "delivery",
        "Enregistrer une diffusion faite hors service.",
    ),
    CommandEntry(
        "deliveries",
        "crisis.cli.events",
        "deliveries",
        "Les messages d'un événement et l'état de chacune de leurs diffusions.",
    ),
    CommandEntry(
        "close",
        "crisis.cli.events",
        "close",
        "Clore un événement.",
    ),
    CommandEntry(
        "report",
        "crisis.cli.events",
        "report",
        "Rapport de chronométrage d'un événement ou d'un exercice.",
    ),
    CommandEntry(
        "journal",
        "crisis.cli.operations",
        "journal_app",
        "Main courante et export du journal.",
    ),
    CommandEntry(
        "messages",
        "crisis.cli.messages",
        "messages_app",
        "Messages préparés : rédaction, validation du préfet, envoi.",
    ),
    CommandEntry(
        "contacts",
        "crisis.cli.contacts",
        "contacts_app",
        "Annuaire des destinataires (élus, médias, cellule, partenaires) et listes nommées.",
    ),
    CommandEntry(
        "oncall",
        "crisis.cli.oncall",
        "oncall_app",
        "Astreinte de la cellule : tableau, qui est d'astreinte, codes Telegram.",
    ),
    CommandEntry(
        "callout",
        "crisis.cli.oncall",
        "callout",
        "Appeler l'astreinte : chaque membre d'astreinte reçoit un appel à acquitter.",
    ),
    CommandEntry(
        "approvers",
        "crisis.cli.approvers",
        "approvers_app",
        "Valideurs appelés quand un message attend la validation du préfet.",
    ),
    CommandEntry(
        "cip",
        "crisis.cli.oncall",
        "cip_app",
        "Cellule d'information du public (CIP) et numéro unique.",
    ),
    CommandEntry(
        "bot",
        "crisis.cli.oncall",
        "bot",
        "Le bot Telegram d'astreinte (en production : webhook servi par `crisis serve`).",
    ),
    CommandEntry(
        "templates",
        "crisis.cli.templates",
        "templates_app",
        "Modèles de messages : liste et aperçu du rendu par canal.",
    ),
    CommandEntry(
        "drill",
        "crisis.cli.drills",
        "drill_app",
        "Exercices : scénarios, déroulement, programme.",
    ),
    CommandEntry(
        "indicateurs",
        "crisis.cli.indicators",
        "indicateurs",
        "Indicateurs Qual-e-Pref (engagements 47 à 50) d'une période, d'après le journal.",
    ),
    CommandEntry(
        "retex",
        "crisis.cli.indicators",
        "retex_app",
        "Retour d'expérience (RETEX) d'un événement ou d'un exercice clos.",
    ),
    CommandEntry(
        "audit",
        "crisis.cli.audit",
        "audit_app",
        "Contrôle du journal.",
    ),
    CommandEntry(
        "user",
        "crisis.cli.users",
        "user_app",
        "Utilisateurs et jetons d'accès.",
    ),
    CommandEntry(
        "db",
        "crisis.cli.users",
        "db_app",
        "Base de données.",
    ),
    CommandEntry(
        "channels",
        "crisis.cli.channels",
        "channels_app",
        "Canaux de diffusion.",
    ),
    CommandEntry(
        "secrets",
        "crisis.cli.secrets",
        "secrets_app",
        "Secrets du service.",
    ),
    CommandEntry(
        "backup",
        "crisis.cli.operations",
        "backup",
        "Copier la base SQLite, même service en marche.",
    ),
    CommandEntry(
        "restore",
        "crisis.cli.operations",
        "restore",
        "Remplacer la base SQLite par une copie.",
    ),
)

BY_NAME: dict[str, CommandEntry] = {entry.name: entry for entry in COMMANDS}

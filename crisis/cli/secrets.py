"""`crisis secrets generate`: values for the secrets the service checks requests with."""

from __future__ import annotations

import base64
import secrets

import typer

secrets_app = typer.Typer(help="Secrets du service.", no_args_is_help=True)


@secrets_app.command("generate")
def generate() -> None:
    """Afficher des secrets neufs, à placer dans l'environnement du service (crisis.env)."""
    from channels.config import SECRET_PREFIX
    from crisis.secret_strength import new_token

    webhook = SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    typer.echo(
        "# Secrets neufs, tirés au hasard (32 octets chacun) : à garder hors du dépôt.\n"
        f"CRISIS_METRICS_TOKEN={new_token()}\n"
        f"CRISIS_TELEGRAM_WEBHOOK_SECRET={new_token()}\n"
        "# Secret du canal webhook, pour le fichier des secrets (CRISIS_SECRETS_FILE), cité\n"
        "# ${WEBHOOK_SECRET} dans le fichier des canaux :\n"
        f"# WEBHOOK_SECRET: {webhook}\n"
        "# Jeton de rappel des accusés SMS (OVHcloud, passerelle générique), cité\n"
        "# ${SMS_CALLBACK_TOKEN} dans le fichier des canaux (un autre pour les exercices) :\n"
        f"# SMS_CALLBACK_TOKEN: {new_token()}"
    )

"""What an approver's call says: a message waits for their decision, and the link that opens
it (after sign-in). The link is stored with a placeholder for its token, as a call-out's
(`crisis.domain.ack_links`); the call reads a short French text and « 1 » acknowledges.
"""

from __future__ import annotations

from datetime import datetime

from crisis.domain.crisis import Crisis
from crisis.french import sentence, short_time
from crisis.services.context import HandlerContext


def approval_texts(
    ctx: HandlerContext,
    crisis: Crisis,
    *,
    audiences: str,
    deadline: datetime | None,
    link: str | None,
) -> dict[str, str]:
    due = f" Échéance : {short_time(deadline)}." if deadline is not None else ""
    phone = ctx.settings.callout_contact_phone
    contact = f"Cadre de permanence : {phone}.\n" if phone else ""
    way = (
        f"Ouvrez ce lien pour le lire (connexion demandée) :\n{link}"
        if link
        else "Ouvrez la console, page « Messages à valider »."
    )
    default = (
        f"MESSAGE À VALIDER – {sentence(f'Événement : {crisis.title}')}\n"
        f"Un message aux {audiences} attend votre validation.{due}\n"
        f"{contact}{way}"
    )
    email_text = (
        f"Bonjour,\n\nUn message aux {audiences} attend votre validation : "
        f"{sentence(crisis.title)}{due}\n\n"
        + (
            f"Ouvrez ce lien pour le lire, puis le valider ou le refuser (connexion "
            f"demandée) : {link}\n"
            if link
            else "Ouvrez la console, page « Messages à valider ».\n"
        )
        + (f"\nLe cadre de permanence est joignable au {phone}.\n" if phone else "")
    )
    # Read on the phone: short sentences; what to press is added by the channel.
    voice = (
        "Un message attend votre validation. "
        f"{sentence(f'Événement : {crisis.title}')} "
        f"Il s'adresse aux {audiences}."
        + (f" Échéance : {short_time(deadline)}." if deadline is not None else "")
        + " Le lien pour le lire vous a été envoyé par message."
    )
    return {
        "default": default,
        "telegram": default,
        "sms": f"Préfecture - message à valider : {sentence(crisis.title)}{sms_keep(link)}",
        "voice": voice,
        "email_subject": f"Message à valider – {crisis.title}",
        "email_text": email_text,
    }


def sms_keep(link: str | None) -> str:
    """The end of the SMS, never cut: the link comes last (no full stop after it)."""
    return f" Lire : {link}" if link else " Ouvrez la console."

"""What a call-out says: the page texts per channel, with the way to acknowledge.

The end of the SMS (the link, the number to call) is what `fit_own_sms` never cuts. The link
is stored with a placeholder for its token (see `crisis.domain.ack_links`).
"""

from __future__ import annotations

from crisis.domain.ack_links import PLACEHOLDER, ack_url
from crisis.domain.crisis import Crisis
from crisis.domain.oncall import CELL_ROLE_LABELS, TEAM_LABELS, CellRole
from crisis.french import sentence
from crisis.services.context import HandlerContext
from crisis.store.callout_repository import Callout


def page_texts(
    ctx: HandlerContext, crisis: Crisis, callout: Callout, role: CellRole, link: str | None
) -> dict[str, str]:
    team = TEAM_LABELS[callout.team]
    role_label = CELL_ROLE_LABELS[role]
    place = ctx.settings.callout_place
    phone = ctx.settings.callout_contact_phone
    contact = f"Cadre de permanence : {phone}.\n" if phone else ""
    # A link ends its line, never followed by punctuation a client would take into it.
    ways = (
        f"touchez « J'arrive », répondez /ack ou ouvrez ce lien :\n{link}"
        if link
        else "touchez « J'arrive » ou répondez /ack."
    )
    default = (
        f"APPEL D'ASTREINTE – {team}\n"
        f"{sentence(f'Événement : {crisis.title}')}\n"
        f"Vous êtes appelé(e) comme {role_label}. Rendez-vous : {place}.\n"
        f"{contact}"
        f"Accusez réception dès maintenant : {ways}"
    )
    title = sentence(crisis.title)
    sms = f"Préfecture - appel d'astreinte ({role_label}) : {title}{sms_keep(ctx, link)}"
    email_text = (
        f"Bonjour,\n\nLa {team} est appelée : {sentence(crisis.title)}\n"
        f"Vous êtes appelé(e) comme {role_label}. Rendez-vous : {place}.\n\n"
        + (
            f"Merci d'accuser réception dès maintenant : {link}\n"
            if link
            else "Merci d'accuser réception dès maintenant auprès du cadre de permanence "
            "(ou /ack sur Telegram).\n"
        )
        + (f"\nLe cadre de permanence est joignable au {phone}.\n" if phone else "")
    )
    # Read on the phone: short sentences, what to press is added by the channel.
    voice = (
        f"Appel d'astreinte de la préfecture, {team}. "
        f"{sentence(f'Événement : {crisis.title}')} "
        f"Vous êtes appelé comme {role_label}. Rendez-vous : {place}."
    )
    return {
        "default": default,
        "telegram": default,
        "sms": sms,
        "voice": voice,
        "email_subject": f"Appel d'astreinte : {team} – {crisis.title}",
        "email_text": email_text,
    }


def sms_keep(ctx: HandlerContext, link: str | None) -> str:
    """The end of a call-out SMS, what the member must do: never cut when the SMS is shortened."""
    phone = ctx.settings.callout_contact_phone
    way = f"Confirmez : {link}" if link else "Confirmez au cadre de permanence."
    # The link comes last: no full stop after it that a phone would take into it.
    return (f" Cadre de permanence : {phone}." if phone else "") + f" {way}"


def ack_link(ctx: HandlerContext) -> str | None:
    """The link as stored: its token is put in when each delivery is claimed for sending."""
    if ctx.catalog is None:
        return None
    return ack_url(ctx.catalog.config.public.base_url, PLACEHOLDER)

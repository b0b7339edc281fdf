"""What a call-out says: the page texts per channel, with the way to acknowledge.

The end of the SMS (the link, the number to call) is what `fit_own_sms` never cuts.
"""

from __future__ import annotations

from datetime import timedelta

from crisis.domain.crisis import Crisis
from crisis.domain.oncall import CELL_ROLE_LABELS, TEAM_LABELS, CellRole
from crisis.services.context import HandlerContext
from crisis.services.oncall_links import ack_url, make_token
from crisis.store.callout_repository import Callout


def page_texts(
    ctx: HandlerContext, crisis: Crisis, callout: Callout, role: CellRole, link: str | None
) -> dict[str, str]:
    team = TEAM_LABELS[callout.team]
    role_label = CELL_ROLE_LABELS[role]
    place = ctx.settings.callout_place
    phone = ctx.settings.callout_contact_phone
    ways = "touchez « J'arrive » ou répondez /ack"
    if link:
        ways += f", ou ouvrez {link}"
    contact = f" Cadre de permanence : {phone}." if phone else ""
    default = (
        f"APPEL D'ASTREINTE – {team}\n"
        f"Événement : {crisis.title}.\n"
        f"Vous êtes appelé(e) comme {role_label}. Rendez-vous : {place}.\n"
        f"Accusez réception dès maintenant : {ways}.{contact}"
    )
    sms = f"Prefecture - appel d'astreinte ({role_label}) : {crisis.title}.{sms_keep(ctx, link)}"
    email_text = (
        f"Bonjour,\n\nLa {team} est appelée : {crisis.title}.\n"
        f"Vous êtes appelé(e) comme {role_label}. Rendez-vous : {place}.\n\n"
        + (
            f"Merci d'accuser réception dès maintenant : {link}\n"
            if link
            else "Merci d'accuser réception dès maintenant auprès du cadre de permanence "
            "(ou /ack sur Telegram).\n"
        )
        + (f"\nLe cadre de permanence est joignable au {phone}.\n" if phone else "")
    )
    return {
        "default": default,
        "telegram": default,
        "sms": sms,
        "email_subject": f"Appel d'astreinte : {team} – {crisis.title}",
        "email_text": email_text,
    }


def sms_keep(ctx: HandlerContext, link: str | None) -> str:
    """The end of a call-out SMS, what the member must do: never cut when the SMS is shortened."""
    phone = ctx.settings.callout_contact_phone
    way = f"Confirmez : {link}" if link else "Confirmez au cadre de permanence."
    return f" {way}" + (f" Cadre de permanence : {phone}." if phone else "")


def ack_link(ctx: HandlerContext, page_id: str) -> str | None:
    secret = ctx.settings.ack_secret
    if secret is None or ctx.catalog is None:
        return None
    token = make_token(
        secret=secret.get_secret_value(),
        page_id=page_id,
        expires_at=ctx.now + timedelta(minutes=ctx.settings.ack_link_minutes),
    )
    return ack_url(ctx.catalog.config.public.base_url, token)

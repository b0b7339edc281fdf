"""What you see is what goes out: the preview of a send counts, per channel really used, the
deliveries the send then writes, with the final text (EXERCICE marker, smart-encoded SMS);
the validation and « Envoyer » pages show it, and « Envoyer » asks for confirmation."""

from __future__ import annotations

import html

from fastapi.testclient import TestClient

from crisis.bootstrap import Service
from crisis.domain.commands import AddUser, SendMessage
from crisis.domain.draft_commands import ApproveDraft
from crisis.domain.vocabulary import Audience
from crisis.services.context import SYSTEM_ACTOR, Actor
from crisis.services.send_preview import SendPreview, send_preview
from crisis.settings import Settings
from tests.integration.delivery.conftest import add_people, open_active
from tests.integration.web.conftest import PASSWORD, new_client, sign_in

TEXT = "Crue de la Seine : évitez les berges à Corbeil – « restez prudents »."


def _preview(service: Service, crisis_id: str, audiences: tuple[Audience, ...]) -> SendPreview:
    with service.bus.reading() as uow:
        return send_preview(
            uow,
            catalog=service.catalog,
            settings=service.settings,
            crisis=uow.crises.get(crisis_id),
            texts={"default": TEXT},
            audiences=audiences,
            lists=(),
            channels=None,
        )


def test_the_preview_counts_what_the_send_writes(service: Service) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    audiences = (Audience.ELUS, Audience.MEDIA, Audience.PUBLIC)
    preview = _preview(service, crisis_id, audiences)
    sent = service.bus.handle(
        SendMessage(crisis_id=crisis_id, texts=(("default", TEXT),), audiences=audiences),
        actor=SYSTEM_ACTOR,
    )
    with service.bus.reading() as uow:
        counts = uow.outbox.counts(message_id=sent.message_id)
    written: dict[str, int] = {}
    for (channel, _status), count in counts.items():
        written[channel] = written.get(channel, 0) + count
    assert {c.channel: c.recipients for c in preview.channels} == written
    sms = next(c for c in preview.channels if c.channel == "sms")
    assert sms.text.startswith("EXERCICE")
    assert "«" not in sms.text and '" restez prudents "' in sms.text  # smart-encoded
    assert sms.encoding == "GSM-7"


def test_channels_that_will_not_be_used_are_not_shown(service: Service) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    preview = _preview(service, crisis_id, (Audience.MEDIA,))
    shown = {c.channel for c in preview.channels}
    assert "sms" not in shown  # no mobile among the exercise's media
    assert shown  # but the e-mail and Telegram of « Le Républicain »


def _signed_in(service: Service, name: str, role: str) -> tuple[TestClient, str]:
    service.bus.handle(AddUser(name=name, role=role, password=PASSWORD), actor=SYSTEM_ACTOR)
    client = new_client(service)
    return client, sign_in(client, name)


def test_validation_and_send_pages_show_the_summary_and_send_once_confirmed(
    service: Service, settings: Settings
) -> None:
    settings.approval_audiences = [Audience.ELUS]
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    cell = Actor("Hugo Bernard", "comm_cell", "u-cell")
    held = service.bus.handle(
        SendMessage(crisis_id=crisis_id, texts=(("default", TEXT),), audiences=(Audience.ELUS,)),
        actor=cell,
    )
    prefect, _ = _signed_in(service, "Préfète Durand", "prefect")
    queue = html.unescape(prefect.get("/validation").text)
    assert "Ce qui partira, canal par canal" in queue
    assert "2 destinataires" in queue  # the two maires taking part, by SMS
    assert "codage GSM 7 bits" in queue
    assert 'data-canal="x"' not in queue  # the élus are not reached on X

    service.bus.handle(
        ApproveDraft(crisis_id=crisis_id, draft_id=held.draft_id),
        actor=Actor("Préfète Durand", "prefect", "u-prefect"),
    )
    officer, token = _signed_in(service, "Claire Martin", "duty_officer")
    event = officer.get(f"/evenements/{crisis_id}").text
    send_url = f"/evenements/{crisis_id}/brouillons/{held.draft_id}/envoyer"
    assert f'href="{send_url}"' in event
    unconfirmed = officer.post(send_url, data={"csrf_token": token}, follow_redirects=False)
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"] == send_url
    confirmation = html.unescape(officer.get(send_url).text)
    assert "Envoyer ce message ?" in confirmation
    assert "Confirmer l'envoi" in confirmation
    assert "EXERCICE" in confirmation
    with service.bus.reading() as uow:
        assert uow.outbox.messages_of(crisis_id) == []
    sent = officer.post(send_url, data={"csrf_token": token, "confirme": "oui"})
    assert "Message mis en diffusion." in html.unescape(sent.text)
    with service.bus.reading() as uow:
        assert len(uow.outbox.messages_of(crisis_id)) == 1

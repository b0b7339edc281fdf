"""The event page speaks French: channels, delivery statuses, audiences and acknowledgements
read with the words of `crisis.labels`, never as the codes the store keeps."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.clock import ManualClock
from crisis.domain.commands import SendMessage
from crisis.domain.oncall import AcknowledgePage, CellRole, ImportRoster, ShiftInput
from crisis.domain.vocabulary import Audience
from crisis.fanout_runner import FanoutRunner
from crisis.services import fanout_handlers, message_handlers
from crisis.services.context import SYSTEM_ACTOR
from crisis.settings import Settings
from tests.integration.delivery.conftest import (
    CELL,
    OFFICER,
    Fakes,
    add_people,
    delivery_config,
    open_active,
)
from tests.integration.delivery.conftest import fakes as fakes  # the fixture, re-exported
from tests.integration.delivery.test_broadcast import dispatch
from tests.integration.web.conftest import new_client, sign_in

# The codes the store keeps for channels and delivery statuses: none may reach the page's text.
RAW_CODES = re.compile(
    r"\b(email|sms|telegram_dm|telegram_public|webhook|in_flight|pending|accepted|failed"
    r"|refused)\b"
)


@pytest.fixture
def service(engine: Engine, clock: ManualClock, settings: Settings, fakes: Fakes) -> Service:
    return bootstrap(
        settings=settings,
        clock=clock,
        engine=engine,
        delivery=delivery_config(fakes),
        scheduler_mode=SchedulerMode.NONE,
    )


def _text(markup: str) -> str:
    """The text a person reads (tags and attributes out)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def _visible_text(page: str, section: str) -> str:
    """The text of one `<section id=…>` of the page."""
    found = re.search(rf'<section[^>]*id="{section}".*?</section>', page, re.S)
    assert found is not None, f"no section {section}"
    return _text(found.group(0))


def test_the_event_page_names_channels_and_statuses_in_french(
    service: Service, clock: ManualClock, fakes: Fakes, people: dict[str, str]
) -> None:
    start = clock.now() - timedelta(hours=1)
    end = start + timedelta(hours=12)
    service.bus.handle(
        ImportRoster(
            shifts=(
                ShiftInput("Chloé Chef", CellRole.CHEF_DE_CELLULE, start, end, mobile="0611111111"),
                ShiftInput(
                    "Rémi Rédac", CellRole.REDACTEUR, start, end, email="remi@prefecture.gouv.fr"
                ),
                ShiftInput(
                    "Sarah Réseaux",
                    CellRole.CHARGE_RESEAUX_SOCIAUX,
                    start,
                    end,
                    telegram_chat_id="501",
                ),
            )
        ),
        actor=SYSTEM_ACTOR,
    )
    add_people(service)
    crisis_id = open_active(service, exercise=True)  # the cell on call is paged at once
    dispatch(service)
    fakes.sms.fail_next(2, status=400)
    service.bus.handle(
        SendMessage(
            crisis_id=crisis_id,
            texts=(("default", "Crue de la Seine : évitez les berges."),),
            audiences=(Audience.ELUS,),
        ),
        actor=CELL,
    )
    dispatch(service)
    # A second message stays in the outbox: its deliveries wait, « en attente ».
    service.bus.handle(
        SendMessage(
            crisis_id=crisis_id,
            texts=(("default", "Crue de la Seine : la décrue est amorcée."),),
            audiences=(Audience.MEDIA,),
        ),
        actor=CELL,
    )
    with service.bus.unit_of_work() as uow:
        redacteur = next(m for m in uow.oncall.members() if m.name == "Rémi Rédac")
    service.bus.handle(
        AcknowledgePage(via="console", member_id=redacteur.id, crisis_id=crisis_id),
        actor=OFFICER,  # received by telephone: the duty officer records it for him
    )

    client = new_client(service)
    sign_in(client, people["duty_officer"])
    page = client.get(f"/evenements/{crisis_id}").text

    messages = _visible_text(page, "messages")
    for label in ("courriel", "SMS", "Telegram (message personnel)"):
        assert label in messages
    for status in ("en attente", "en cours d'envoi", "acceptée", "en échec", "refusée"):
        assert status in messages
    assert re.search(r"SMS → Maire [^:]+ : en échec après 1 essai", messages)
    assert "publics : élus" not in messages  # sent at once: no prepared message is left
    astreinte = _visible_text(page, "astreinte")
    for label in ("courriel", "SMS", "Telegram (message personnel)"):
        assert label in astreinte
    assert "reçu (téléphone, saisi dans la console)" in astreinte
    assert "Tour" in astreinte and " 1 " in astreinte  # the first round is « 1 », not « 0 »
    assert "escalade" not in astreinte  # nobody was paged a second time
    # Buttons repeated row after row say, to a screen reader, whom they are for.
    assert re.search(
        r"Accusé reçu par téléphone\s+— pour le compte de Chloé Chef, chef de cellule", astreinte
    )
    assert re.search(r"Relancer\s+— la diffusion SMS à Maire ", messages)
    for section, text in (("messages", messages), ("astreinte", astreinte)):
        assert not RAW_CODES.findall(text), (section, RAW_CODES.findall(text))

    # The timing report in the console says the same words.
    report = client.get(f"/rapports/{crisis_id}").text
    found = re.search(r">Messages</h2>(.*?)>Intégrité du journal<", report, re.S)
    assert found is not None
    sent = _text(found.group(1))
    assert "(information factuelle)" in sent and "publics : élus" in sent
    for label in ("courriel", "SMS", "Telegram (message personnel)"):
        assert label in sent
    assert not RAW_CODES.findall(sent), RAW_CODES.findall(sent)


def test_the_event_page_says_when_a_large_audience_is_still_being_queued(
    service: Service, people: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout_handlers, "PLAN_CHUNK", 1)
    monkeypatch.setattr(message_handlers, "INLINE_CONTACTS", 1)
    add_people(service)
    crisis_id = open_active(service, exercise=False)
    service.bus.handle(
        SendMessage(
            crisis_id=crisis_id,
            texts=(("default", "Crue de la Seine : évitez les berges."),),
            audiences=(Audience.ELUS,),
            channels=("email",),
        ),
        actor=CELL,
    )
    client = new_client(service)
    sign_in(client, people["comm_cell"])

    queuing = _visible_text(client.get(f"/evenements/{crisis_id}").text, "messages")
    FanoutRunner(service.bus).run_pending()
    queued = _visible_text(client.get(f"/evenements/{crisis_id}").text, "messages")

    assert "mise en file en cours" in queuing
    assert "la suite est mise en file en arrière-plan" in queuing
    assert "mise en file en cours" not in queued

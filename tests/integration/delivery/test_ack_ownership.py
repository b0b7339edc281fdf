"""An acknowledgement belongs to the person paged (issue 28, part 1), on both databases.

The personal link exists only in the message sent to its person: no API answer, console page
or export shows it to anyone, the store keeps only its hash, the logs mask it. It serves once,
for its own page, until it expires or its call-out is over. Through the console or the API, a
user acknowledges only their own page; the duty officer records another member's « pour le
compte de », journalled and reported with both names.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, select, text, update

from crisis.api.app import create_app
from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.clock import ManualClock
from crisis.delivery.config import DeliveryConfig
from crisis.domain.ack_links import PLACEHOLDER
from crisis.domain.commands import AddUser, CloseCrisis, DeclareCellOperational
from crisis.domain.oncall import AcknowledgePage
from crisis.ops.logs import configure_logging
from crisis.services.context import SYSTEM_ACTOR
from crisis.services.roles import Role
from crisis.settings import Settings
from crisis.store.migrate import upgrade
from crisis.store.tables import messages
from tests.integration.delivery.conftest import OFFICER, Fakes
from tests.integration.delivery.test_broadcast import dispatch
from tests.integration.delivery.test_oncall import activate, journal, link_in, roster
from tests.integration.store.test_migrations import _downgrade as downgrade
from tests.integration.store.test_migrations import fresh_engine as fresh_engine  # the fixture
from tests.integration.web.conftest import PASSWORD, sign_in

# A token as minted: 43 characters of the URL-safe alphabet.
TOKEN = re.compile(r"/ack/([A-Za-z0-9_\-]{43})(?![A-Za-z0-9_\-])")
# Anything that looks like a working link, in whatever a user is shown.
LINK_LIKE = re.compile(r"/ack/[A-Za-z0-9_\-.=]{20,}")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        approval_audiences=[],
        callout_ack_minutes=10,
        callout_escalations=2,
        signin_failure_delay_seconds=0,
    )


def sent_texts(fakes: Fakes) -> list[str]:
    """Every page as its person received it: SMS, Telegram, e-mail."""
    texts = [m.text for m in fakes.sms.messages]
    texts += [m.text for chat in fakes.telegram.messages.values() for m in chat]
    for mail in fakes.smtp.mails:
        body = mail.message.get_body(("plain",))
        assert body is not None
        texts.append(body.get_content())
    return texts


def delivered_tokens(fakes: Fakes) -> set[str]:
    return {token for text in sent_texts(fakes) for token in TOKEN.findall(text)}


def callout_in_progress(service: Service, fakes: Fakes, clock: ManualClock) -> tuple[str, set[str]]:
    """An event whose cell is paged, every page sent: its id and the tokens sent."""
    roster(service, clock)
    crisis_id = activate(service)
    dispatch(service)
    tokens = delivered_tokens(fakes)
    # Claire (Telegram), Rémi and Paul (e-mail), Sarah (SMS): one token each.
    assert len(tokens) == 4, sent_texts(fakes)
    return crisis_id, tokens


def members(service: Service) -> dict[str, str]:
    with service.bus.reading() as uow:
        return {m.name: m.id for m in uow.oncall.members()}


def user(service: Service, name: str, role: Role) -> str:
    """A user with a password and an API token; the token."""
    result = service.bus.handle(
        AddUser(name=name, role=role.value, password=PASSWORD), actor=SYSTEM_ACTOR
    )
    token: str = result["token"]
    return token


def leaks(body: str, tokens: set[str]) -> list[str]:
    found = [t for t in tokens if t in body]
    found += LINK_LIKE.findall(body)
    if PLACEHOLDER in body:
        found.append(PLACEHOLDER)
    return found


def _query_choices(spec: dict[str, Any], operation: dict[str, Any]) -> list[str]:
    """`?name=value` for each value of each enumerated query parameter (the formats)."""
    choices = [""]
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "query":
            continue
        schema = parameter.get("schema", {})
        options = [schema, *schema.get("anyOf", [])]
        for option in options:
            ref = option.get("$ref")
            if ref is not None:
                option = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
            for value in option.get("enum", []):
                choices.append(f"?{parameter['name']}={value}")
    return choices


def api_reads(client: TestClient, crisis_id: str, message_ids: list[str]) -> list[str]:
    """Every GET of the API that can be filled with this event and its messages."""
    spec = client.get("/openapi.json").json()
    values = {"crisis_id": [crisis_id], "message_id": message_ids}
    urls: list[str] = []
    for path, operations in spec["paths"].items():
        operation = operations.get("get")
        if operation is None or path.startswith("/ack/"):
            continue
        names = re.findall(r"{(\w+)}", path)
        if any(name not in values for name in names):
            continue
        for combination in product(*(values[name] for name in names)):
            url = path
            for name, value in zip(names, combination, strict=True):
                url = url.replace(f"{{{name}}}", value)
            urls += [url + query for query in _query_choices(spec, operation)]
    return urls


def console_reads(crisis_id: str) -> list[str]:
    reports = [
        f"{base}/rapport.{extension}"
        for base in (f"/evenements/{crisis_id}", f"/rapports/{crisis_id}")
        for extension in ("html", "json", "md", "csv", "svg")
    ]
    return [
        "/",
        "/astreinte",
        "/tableau/evenements",
        "/validation",
        "/rapports",
        "/rapports/journal",
        f"/rapports/{crisis_id}",
        f"/rapports/{crisis_id}/chronologie.svg",
        f"/evenements/{crisis_id}",
        f"/evenements/{crisis_id}/horloges",
        f"/evenements/{crisis_id}/messages/nouveau",
        "/indicateurs",
        "/indicateurs/indicateurs.csv",
        "/indicateurs/indicateurs.json",
        "/annuaire/export.csv",
        *reports,
    ]


def test_no_role_finds_an_acknowledgement_token_in_any_answer_page_or_export(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    crisis_id, tokens = callout_in_progress(service, fakes, clock)
    with service.bus.reading() as uow:
        message_ids = [m.id for m in uow.outbox.messages_of(crisis_id)]
    read = 0
    # One application for every role, as one service answers them all: its routes and its
    # OpenAPI document are built once instead of once per role.
    app = create_app(service)
    for role in Role:
        token = user(service, f"utilisateur {role.value}", role)
        client = TestClient(app, base_url="https://console.test")
        sign_in(client, f"utilisateur {role.value}")
        bearer = {"Authorization": f"Bearer {token}"}
        urls = api_reads(client, crisis_id, message_ids) + console_reads(crisis_id)
        for url in urls:
            answer = client.get(url, headers=bearer)
            assert answer.status_code < 500, (role, url, answer.text[:500])
            body = answer.content.decode("utf-8", "replace")
            assert not leaks(body, tokens), (role, url, leaks(body, tokens))
            read += answer.status_code == 200
        # The page texts are there, their links masked.
        detail = client.get(f"/api/v1/messages/{message_ids[0]}", headers=bearer).json()
        assert "lien personnel d'accusé de réception (masqué)" in json.dumps(
            detail, ensure_ascii=False
        )
    assert read > 100  # the sweep did read pages, answers and exports


def test_the_store_holds_only_hashes_of_the_tokens(
    service: Service, fakes: Fakes, clock: ManualClock, engine: Engine
) -> None:
    _, tokens = callout_in_progress(service, fakes, clock)
    hashes = {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    tables = MetaData()
    tables.reflect(engine)
    dump: list[str] = []
    with engine.connect() as connection:
        for table in tables.sorted_tables:
            for row in connection.execute(select(table)):
                dump.append(json.dumps([str(v) for v in row], ensure_ascii=False))
        stored = set(connection.scalars(text("SELECT token_hash FROM ack_links")))
    everything = "\n".join(dump)
    assert not [t for t in tokens if t in everything]
    assert hashes == stored


def test_a_link_acknowledges_once_its_own_page_the_second_use_says_so_and_changes_nothing(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    crisis_id, _ = callout_in_progress(service, fakes, clock)
    (sms,) = fakes.sms.messages
    path = link_in(sms.text)
    client = TestClient(create_app(service))
    assert client.post(path).status_code == 200
    (ack,) = journal(service, crisis_id, "PageAcknowledged")
    assert ack.payload["member_name"] == "Sarah Réseaux"  # the link's member, nobody else
    assert ack.payload["recorded_by"] is None
    again = client.post(path)
    assert again.status_code == 410
    assert "Votre accusé de réception est déjà enregistré" in again.text
    assert "Merci" in again.text
    assert len(journal(service, crisis_id, "PageAcknowledged")) == 1


def test_an_expired_link_is_refused_in_french_and_changes_nothing(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    crisis_id, _ = callout_in_progress(service, fakes, clock)
    (sms,) = fakes.sms.messages
    path = link_in(sms.text)
    clock.advance(timedelta(minutes=service.settings.ack_link_minutes))
    client = TestClient(create_app(service))
    for answer in (client.get(path), client.post(path)):
        assert answer.status_code == 410
        assert "Ce lien d'accusé de réception a expiré" in answer.text.replace("&#x27;", "'")
    assert journal(service, crisis_id, "PageAcknowledged") == []


@pytest.mark.parametrize("ending", ["operational", "closed"])
def test_a_link_stops_with_its_callout(
    service: Service, fakes: Fakes, clock: ManualClock, ending: str
) -> None:
    crisis_id, _ = callout_in_progress(service, fakes, clock)
    (sms,) = fakes.sms.messages
    path = link_in(sms.text)
    if ending == "operational":
        service.bus.handle(DeclareCellOperational(crisis_id=crisis_id, note="ok"), actor=OFFICER)
    else:
        service.bus.handle(CloseCrisis(crisis_id=crisis_id, reason="fin"), actor=SYSTEM_ACTOR)
    answer = TestClient(create_app(service)).post(path)
    assert answer.status_code == 410
    assert "Cet appel est terminé" in answer.text
    assert journal(service, crisis_id, "PageAcknowledged") == []


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.COMM_CELL, Role.PREFECT])
def test_acknowledging_another_members_page_is_refused(
    service: Service, fakes: Fakes, clock: ManualClock, role: Role
) -> None:
    crisis_id, _ = callout_in_progress(service, fakes, clock)
    token = user(service, "Quelqu'un d'autre", role)
    client = TestClient(create_app(service), base_url="https://console.test")
    for member_id in members(service).values():
        answer = client.post(
            f"/api/v1/crises/{crisis_id}/acknowledgements",
            json={"member_id": member_id},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 403, answer.text
        refusal = answer.json()["error"]["message"]
        if role is Role.AUDITOR:
            assert refusal == "Votre rôle (auditeur) ne permet pas d'accuser réception d'un appel."
        else:
            assert refusal.startswith("Vous ne pouvez accuser réception que de vos propres appels")
    # The console's form refuses too, and shows nobody's button.
    csrf = sign_in(client, "Quelqu'un d'autre")
    event = client.get(f"/evenements/{crisis_id}").text
    assert f'action="/evenements/{crisis_id}/accuses"' not in event
    refused = client.post(
        f"/evenements/{crisis_id}/accuses",
        data={"csrf_token": csrf, "member_id": members(service)["Claire Chef"]},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert "accuser réception" in refused.text
    if role is not Role.AUDITOR:  # refused by its role before anything is read
        with service.bus.reading() as uow:
            tried = [e for e in uow.journal.entries(crisis_id) if e.kind.startswith("refused.")]
        assert {(e.kind, e.actor) for e in tried} == {
            ("refused.AcknowledgePage", "Quelqu'un d'autre")
        }
        assert len(tried) == len(members(service)) + 1  # each API try and the console's
        assert tried[0].payload["reason"].startswith("Vous ne pouvez accuser réception")
    assert journal(service, crisis_id, "PageAcknowledged") == []


def test_a_member_signed_in_acknowledges_their_own_page(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    crisis_id, _ = callout_in_progress(service, fakes, clock)
    token = user(service, "Rémi Rédac", Role.COMM_CELL)  # the user bears the member's name
    user(service, "Claire Chef", Role.COMM_CELL)
    client = TestClient(create_app(service), base_url="https://console.test")
    answer = client.post(
        f"/api/v1/crises/{crisis_id}/acknowledgements",
        json={},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["member"] == "Rémi Rédac" and answer.json()["recorded_by"] is None
    csrf = sign_in(client, "Claire Chef")
    event = client.get(f"/evenements/{crisis_id}").text
    assert event.count(f'action="/evenements/{crisis_id}/accuses"') == 1  # her own page only
    assert "J&#39;arrive<span" in event
    done = client.post(
        f"/evenements/{crisis_id}/accuses",
        data={"csrf_token": csrf, "member_id": members(service)["Claire Chef"]},
        follow_redirects=False,
    )
    assert done.status_code == 303
    acks = {
        a.payload["member_name"]: a.payload for a in journal(service, crisis_id, "PageAcknowledged")
    }
    assert acks["Rémi Rédac"]["via"] == "api_membre"
    assert acks["Claire Chef"]["via"] == "console_membre"
    assert all(a["recorded_by"] is None for a in acks.values())


def test_the_duty_officer_acknowledges_pour_le_compte_de_with_both_names(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    crisis_id, _ = callout_in_progress(service, fakes, clock)
    token = user(service, "Odile Permanence", Role.DUTY_OFFICER)
    client = TestClient(create_app(service), base_url="https://console.test")
    answer = client.post(
        f"/api/v1/crises/{crisis_id}/acknowledgements",
        json={"member_id": "Paul Presse"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["recorded_by"] == "Odile Permanence"
    csrf = sign_in(client, "Odile Permanence")
    assert "pour le compte de Claire Chef" in client.get(f"/evenements/{crisis_id}").text
    client.post(
        f"/evenements/{crisis_id}/accuses",
        data={"csrf_token": csrf, "member_id": members(service)["Claire Chef"]},
        follow_redirects=False,
    )
    entries = journal(service, crisis_id, "PageAcknowledged")
    assert {(e.actor, e.payload["member_name"], e.payload["recorded_by"]) for e in entries} == {
        ("Odile Permanence", "Paul Presse", "Odile Permanence"),
        ("Odile Permanence", "Claire Chef", "Odile Permanence"),
    }
    both = "saisi par Odile Permanence pour le compte de Paul Presse"
    assert both in client.get(f"/evenements/{crisis_id}").text  # the main courante
    assert both in client.get(f"/evenements/{crisis_id}/rapport.html").text  # the timing report
    assert both in client.get(f"/rapports/{crisis_id}").text
    assert both in client.get(f"/rapports/{crisis_id}/rapport.csv").text


def test_the_officer_for_the_cli_and_drills_still_acknowledges_by_name(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    """The existing path: the duty officer's actor of the suite records by member id."""
    crisis_id, _ = callout_in_progress(service, fakes, clock)
    service.bus.handle(
        AcknowledgePage(via="api", member_id="Sarah Réseaux", crisis_id=crisis_id), actor=OFFICER
    )
    (ack,) = journal(service, crisis_id, "PageAcknowledged")
    assert ack.payload["recorded_by"] == OFFICER.name and ack.payload["via"] == "api"


@pytest.fixture
def debug_lines() -> Iterator[io.StringIO]:
    captured = io.StringIO()
    root = logging.getLogger()
    level = root.level
    handler = configure_logging(level="DEBUG", fmt="text", stream=captured)
    # The fake SMTP server (aiosmtpd) runs in this process and logs every line it receives:
    # it stands for the préfecture's mail server, whose logs are not the service's.
    peer = logging.getLogger("mail.log")
    peer_level = peer.level
    peer.setLevel(logging.INFO)
    yield captured
    peer.setLevel(peer_level)
    root.removeHandler(handler)
    root.setLevel(level)


def test_no_token_in_any_log_line_even_at_debug(
    service: Service, fakes: Fakes, clock: ManualClock, debug_lines: io.StringIO
) -> None:
    crisis_id, tokens = callout_in_progress(service, fakes, clock)
    client = TestClient(create_app(service))
    for token in tokens:
        client.get(f"/ack/{token}")
    client.post(f"/ack/{sorted(tokens)[0]}")
    logged = debug_lines.getvalue()
    assert "sendMessage" in logged  # the Bot API's own DEBUG lines are there
    assert "/ack/***" in logged
    assert not [line for line in logged.splitlines() if any(t in line for t in tokens)]
    assert len(journal(service, crisis_id, "PageAcknowledged")) == 1


# -- the migration of the clear tokens -------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def signed_token(page_id: str, expires_at: datetime) -> str:
    """A token as versions before 0014 made and stored: page and expiry, signed."""
    payload = _b64(f"{page_id}|{int(expires_at.timestamp())}".encode())
    signature = hmac.new(b"former-key", b"ack:" + payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(signature)}"


def test_migration_0014_hashes_the_clear_tokens_and_the_links_sent_keep_working(
    fresh_engine: Engine,
    clock: ManualClock,
    settings: Settings,
    delivery: DeliveryConfig,
    fakes: Fakes,
) -> None:
    upgrade(fresh_engine)
    service = bootstrap(
        settings=settings,
        clock=clock,
        engine=fresh_engine,
        delivery=delivery,
        scheduler_mode=SchedulerMode.NONE,
    )
    roster(service, clock)
    crisis_id = activate(service)
    # The store as 0013 left it: each page's signed token in clear in its message's texts.
    downgrade(fresh_engine, "0013")
    expires_at = clock.now() + timedelta(hours=4)
    sent: dict[str, str] = {}
    with fresh_engine.begin() as connection:
        pages = connection.execute(
            text("SELECT id, message_id FROM callout_pages WHERE message_id IS NOT NULL")
        ).all()
        for page_id, message_id in pages:
            token = sent[page_id] = signed_token(page_id, expires_at)
            texts = connection.execute(
                select(messages.c.texts).where(messages.c.id == message_id)
            ).scalar_one()
            connection.execute(
                update(messages)
                .where(messages.c.id == message_id)
                .values(texts={k: v.replace(PLACEHOLDER, token) for k, v in texts.items()})
            )
    assert len(sent) == 4
    upgrade(fresh_engine)

    with fresh_engine.connect() as connection:
        stored = "\n".join(json.dumps(t) for t in connection.scalars(select(messages.c.texts)))
        hashes = set(connection.scalars(text("SELECT token_hash FROM ack_links")))
    assert not [t for t in sent.values() if t in stored]
    assert hashes == {hashlib.sha256(t.encode()).hexdigest() for t in sent.values()}
    client = TestClient(create_app(service))
    assert all(client.get(f"/ack/{token}").status_code == 200 for token in sent.values())
    first = next(iter(sent.values()))
    assert client.post(f"/ack/{first}").status_code == 200
    assert client.post(f"/ack/{first}").status_code == 410
    assert len(journal(service, crisis_id, "PageAcknowledged")) == 1
    # The pages still waiting to be sent leave with fresh tokens of their own.
    dispatch(service)
    fresh = delivered_tokens(fakes)
    assert len(fresh) == 4 and not fresh & set(sent.values())

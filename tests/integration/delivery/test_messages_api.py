"""The messages API and the public pages through the real app, on both databases: sending,
the delivery board, bad input in French, roles, conflicts, the exercise interlock, retries,
the public feeds and CAP alerts (exercise ones only under /public/exercice)."""

from __future__ import annotations

from typing import Any

import feedparser
import pytest
import xmlschema
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from channels.config import ChannelsConfig
from crisis.api.app import create_app
from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.clock import ManualClock
from crisis.domain.commands import CloseCrisis
from crisis.domain.contact_commands import AddToContactList, CreateContactList
from crisis.fanout_runner import FanoutRunner
from crisis.services import fanout_handlers, message_handlers
from crisis.services.context import SYSTEM_ACTOR
from crisis.settings import Settings
from crisis.store.tables import deliveries, messages
from tests.integration.delivery.conftest import (
    OFFICER,
    Fakes,
    add_people,
    channels_config,
    delivery_config,
    open_active,
    token_for,
)
from tests.integration.delivery.test_broadcast import CAP_XSD, dispatch

TEXTS = {
    "default": "Crue de la Seine : la décrue est amorcée. Évitez les berges à Corbeil-Essonnes.",
    "sms": "Crue de la Seine : evitez les berges a Corbeil-Essonnes.",
    "email_subject": "Crue de la Seine — point de situation",
    "cap_instruction": "Éloignez-vous des berges.",
}


@pytest.fixture
def client(service: Service) -> TestClient:
    return TestClient(create_app(service))


@pytest.fixture
def cell(service: Service) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(service, 'comm_cell')}"}


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def post_message(client: TestClient, crisis_id: str, headers: dict[str, str], **body: Any) -> Any:
    return client.post(
        f"/api/v1/crises/{crisis_id}/messages",
        json={"texts": TEXTS, **body},
        headers=headers,
    )


def test_send_returns_201_with_counts_and_the_board_link_and_a_replay_writes_nothing(
    service: Service, client: TestClient, cell: dict[str, str], engine: Engine
) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=False)
    headers = {**cell, "Idempotency-Key": "envoi-1"}
    body = {"audiences": ["elus"], "channels": ["email", "sms"]}
    first = post_message(client, crisis_id, headers, **body)
    assert first.status_code == 201, first.text
    sent = first.json()
    # A real event: every élu, exercise participant or not (3 e-mails, 2 mobiles). The
    # answer counts them per channel and links to the board; it does not list them.
    assert sent == {
        "message_id": sent["message_id"],
        "deliveries": 5,
        "by_channel": {"email": 3, "sms": 2},
        "complete": True,
        "board": f"/api/v1/messages/{sent['message_id']}",
    }
    board = client.get(sent["board"], headers=cell).json()
    assert board["complete"] is True
    assert board["message_id"] == sent["message_id"]
    assert board["crisis_id"] == crisis_id
    assert board["exercise"] is False
    assert board["audiences"] == ["elus"]
    assert board["totals"] == {"pending": 5}
    assert board["by_channel"] == {"email": {"pending": 3}, "sms": {"pending": 2}}
    assert board["texts"]["default"] == TEXTS["default"]
    assert {d["recipient"] for d in board["deliveries"] if d["channel"] == "sms"} == {
        "+33611223344",
        "+33655667788",
    }
    assert board["next_after"] is None

    replay = post_message(client, crisis_id, headers, **body)
    assert replay.status_code == 201
    assert replay.json() == sent
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert count(engine, messages) == 1
    assert count(engine, deliveries) == 5


def test_a_large_audience_answers_with_its_share_and_the_board_says_when_all_is_queued(
    service: Service, client: TestClient, cell: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout_handlers, "PLAN_CHUNK", 1)
    monkeypatch.setattr(message_handlers, "INLINE_CONTACTS", 1)
    add_people(service)
    crisis_id = open_active(service, exercise=False)

    answer = post_message(client, crisis_id, cell, audiences=["elus"], channels=["email"])

    assert answer.status_code == 201, answer.text
    sent = answer.json()
    assert (sent["deliveries"], sent["by_channel"], sent["complete"]) == (1, {"email": 1}, False)
    board = client.get(sent["board"], headers=cell).json()
    assert (board["complete"], board["totals"]) == (False, {"pending": 1})
    listed = client.get(f"/api/v1/crises/{crisis_id}/messages", headers=cell).json()
    assert [m["complete"] for m in listed["messages"]] == [False]

    FanoutRunner(service.bus).run_pending()

    board = client.get(sent["board"], headers=cell).json()
    assert (board["complete"], board["totals"]) == (True, {"pending": 3})
    listed = client.get(f"/api/v1/crises/{crisis_id}/messages", headers=cell).json()
    assert [m["complete"] for m in listed["messages"]] == [True]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"texts": TEXTS}, "audiences", "Choisissez au moins un public ou une liste."),
        (
            {"texts": {"default": "Crue.", "fax": "Crue."}, "audiences": ["elus"]},
            "texts.fax",
            "Variante de texte inconnue « fax »",
        ),
        (
            {"texts": {"sms": "Crue."}, "audiences": ["elus"]},
            "texts.default",
            "Le texte principal (default) est obligatoire.",
        ),
        (
            {"texts": {"default": "Crue. " * 80}, "audiences": ["elus"]},
            "texts.default",
            "Le texte pour sms dépasse la limite : 4 segments SMS pour 3 autorisés (excès : 1).",
        ),
        (
            {"texts": TEXTS, "audiences": ["elus"], "channels": ["fax"]},
            "channels.0",
            "valeur inconnue ; valeurs possibles",
        ),
    ],
    ids=["no-audience", "unknown-variant", "no-default", "sms-too-long", "unknown-channel"],
)
def test_bad_message_is_422_in_french_and_writes_nothing(
    service: Service,
    client: TestClient,
    cell: dict[str, str],
    engine: Engine,
    body: dict[str, Any],
    field: str,
    message: str,
) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=False)
    response = client.post(f"/api/v1/crises/{crisis_id}/messages", json=body, headers=cell)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert message in error["message"]
    assert [f["field"] for f in error["fields"]] == [field]
    assert count(engine, messages) == 0
    assert count(engine, deliveries) == 0


def test_auditor_cannot_send(service: Service, client: TestClient, engine: Engine) -> None:
    crisis_id = open_active(service, exercise=False)
    auditor = {"Authorization": f"Bearer {token_for(service, 'auditor')}"}
    response = post_message(client, crisis_id, auditor, audiences=["public"])
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "Votre rôle (auditeur) ne permet pas d'envoyer un message."
    )
    assert count(engine, messages) == 0


def test_closed_crisis_is_409(
    service: Service, client: TestClient, cell: dict[str, str], engine: Engine
) -> None:
    crisis_id = open_active(service, exercise=False)
    service.bus.handle(CloseCrisis(crisis_id=crisis_id, reason="Décrue"), actor=SYSTEM_ACTOR)
    response = post_message(client, crisis_id, cell, audiences=["public"])
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "Cet événement est clos : aucun message ne peut plus partir."
    )
    assert count(engine, messages) == 0


def test_exercise_list_with_non_participants_is_409_journalled_and_nothing_queued(
    service: Service, client: TestClient, cell: dict[str, str], engine: Engine
) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    service.bus.handle(CreateContactList(name="Maires et député"), actor=OFFICER)
    service.bus.handle(
        AddToContactList(
            list_ref="Maires et député", contact_refs=("maire@corbeil.fr", "depute@assemblee.fr")
        ),
        actor=OFFICER,
    )
    response = post_message(client, crisis_id, cell, lists=["Maires et député"])
    assert response.status_code == 409
    assert "ne participent pas aux exercices" in response.json()["error"]["message"]
    assert count(engine, deliveries) == 0
    assert count(engine, messages) == 0
    journal = client.get(f"/api/v1/crises/{crisis_id}/journal", headers=cell).json()
    kinds = [e["kind"] for e in journal["entries"]]
    assert kinds[-1] == "refused.SendMessage"


def test_exercise_message_on_a_production_only_channel_is_409(
    fakes: Fakes, engine: Engine, clock: ManualClock, settings: Settings
) -> None:
    # The exercise set has no X account: X exists only for the real public.
    exercise = channels_config(fakes, production=False).model_copy(update={"x": None})
    assert isinstance(exercise, ChannelsConfig)
    service = bootstrap(
        settings=settings,
        clock=clock,
        engine=engine,
        delivery=delivery_config(fakes, exercise=exercise),
        scheduler_mode=SchedulerMode.NONE,
    )
    client = TestClient(create_app(service))
    crisis_id = open_active(service, exercise=True)
    headers = {"Authorization": f"Bearer {token_for(service, 'comm_cell')}"}
    response = post_message(client, crisis_id, headers, audiences=["public"], channels=["x"])
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "Le canal « x » dessert le public réel : il est interdit en exercice."
    )
    assert count(engine, deliveries) == 0


def test_the_board_is_read_a_page_at_a_time_with_the_counts_of_every_delivery(
    service: Service, client: TestClient, cell: dict[str, str]
) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=False)
    sent = post_message(client, crisis_id, cell, audiences=["elus"], channels=["email", "sms"])
    board_url = sent.json()["board"]

    pages: list[list[dict[str, Any]]] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} if after is None else {"limit": 2, "after": after}
        page = client.get(board_url, params=params, headers=cell)
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["totals"] == {"pending": 5}  # the counts are of the whole message
        pages.append(body["deliveries"])
        after = body["next_after"]
        if after is None:
            break
    assert [len(p) for p in pages] == [2, 2, 1]
    seen = [(d["channel"], d["delivery_id"]) for p in pages for d in p]
    assert seen == sorted(seen)  # by channel, then id, no overlap
    assert len(set(seen)) == 5

    unknown = client.get(board_url, params={"after": "inconnue"}, headers=cell)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["fields"][0]["field"] == "after"
    too_many = client.get(board_url, params={"limit": 1001}, headers=cell)
    assert too_many.status_code == 422


def test_board_counts_after_dispatch_and_retry_of_a_failed_delivery(
    service: Service, client: TestClient, cell: dict[str, str], engine: Engine
) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    sent = post_message(client, crisis_id, cell, audiences=["elus", "media"], channels=["email"])
    assert sent.status_code == 201, sent.text
    message_id = sent.json()["message_id"]
    assert dispatch(service) == 3  # exercise participants only: 2 maires, 1 rédaction

    board = client.get(f"/api/v1/messages/{message_id}", headers=cell).json()
    assert board["totals"] == {"accepted": 3}
    assert board["by_channel"] == {"email": {"accepted": 3}}
    assert all(d["provider_message_id"] for d in board["deliveries"])
    assert all(d["attempts"] == 1 for d in board["deliveries"])

    delivery_id = board["deliveries"][0]["delivery_id"]
    not_failed = client.post(f"/api/v1/deliveries/{delivery_id}/retry", headers=cell)
    assert not_failed.status_code == 409
    assert "Seule une diffusion en échec" in not_failed.json()["error"]["message"]

    with engine.begin() as connection:
        connection.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id)
            .values(status="failed", last_error="boîte pleine")
        )
    retried = client.post(f"/api/v1/deliveries/{delivery_id}/retry", headers=cell)
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "pending"
    assert retried.json()["delivery_id"] == delivery_id
    assert dispatch(service) == 1
    board = client.get(f"/api/v1/messages/{message_id}", headers=cell).json()
    assert board["totals"] == {"accepted": 3}

    missing = client.post("/api/v1/deliveries/inconnue/retry", headers=cell)
    assert missing.status_code == 404
    auditor = {"Authorization": f"Bearer {token_for(service, 'auditor')}"}
    assert (
        client.post(f"/api/v1/deliveries/{delivery_id}/retry", headers=auditor).status_code == 403
    )


def test_public_page_feeds_and_cap_show_real_messages_and_never_exercise_ones(
    service: Service, client: TestClient, cell: dict[str, str]
) -> None:
    real_id = open_active(service, exercise=False)
    drill_id = open_active(service, exercise=True)
    real_text = "Crue de la Seine : les berges de Corbeil sont fermées jusqu'à nouvel ordre."
    drill_text = "Exercice de crue : point de rassemblement au gymnase."
    for crisis_id, text in ((real_id, real_text), (drill_id, drill_text)):
        response = client.post(
            f"/api/v1/crises/{crisis_id}/messages",
            json={
                "texts": {"default": text, "cap_instruction": "Éloignez-vous des berges."},
                "audiences": ["public"],
                "channels": ["feed", "cap"],
            },
            headers=cell,
        )
        assert response.status_code == 201, response.text
    assert dispatch(service) == 4

    public = {
        path: client.get(path)
        for path in ("/public", "/public/feed.atom", "/public/feed.json", "/public/cap.atom")
    }
    exercise = {
        path: client.get(path.replace("/public", "/public/exercice"))
        for path in ("/public", "/public/feed.atom", "/public/feed.json", "/public/cap.atom")
    }
    for response in [*public.values(), *exercise.values()]:
        assert response.status_code == 200
    assert public["/public"].headers["content-type"].startswith("text/html")
    assert real_text.replace("'", "&#39;") in public["/public"].text
    for response in public.values():
        assert drill_text not in response.text
        assert "EXERCICE" not in response.text
    for response in exercise.values():
        assert real_text not in response.text

    atom = feedparser.parse(public["/public/feed.atom"].content)
    assert not atom.bozo, atom.bozo_exception
    assert [e.summary for e in atom.entries] == [real_text]
    (entry,) = atom.entries
    assert entry.title
    assert entry.published

    drill_atom = feedparser.parse(exercise["/public/feed.atom"].content)
    assert not drill_atom.bozo, drill_atom.bozo_exception
    (drill_entry,) = drill_atom.entries
    assert drill_text in drill_entry.summary
    assert drill_entry.summary.startswith("EXERCICE")

    feed = public["/public/feed.json"].json()
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert [item["content_text"] for item in feed["items"]] == [real_text]
    assert public["/public/feed.json"].headers["content-type"].startswith("application/feed+json")

    schema = xmlschema.XMLSchema(str(CAP_XSD))
    for index, (prefix, status) in enumerate(
        (("/public", "Actual"), ("/public/exercice", "Exercise"))
    ):
        cap_index = feedparser.parse(
            (public if index == 0 else exercise)["/public/cap.atom"].content
        )
        assert not cap_index.bozo, cap_index.bozo_exception
        (alert,) = cap_index.entries
        (link,) = [link for link in alert.links if link.type == "application/cap+xml"]
        assert f"{prefix}/cap/" in link.href
        path = link.href[link.href.index(prefix) :]
        document = client.get(path)
        assert document.status_code == 200
        assert document.headers["content-type"].startswith("application/cap+xml")
        schema.validate(document.text)
        assert f"<status>{status}</status>" in document.text
        identifier = path.rsplit("/", 1)[1]
        other = "/public/exercice" if prefix == "/public" else "/public"
        assert client.get(f"{other}/cap/{identifier}").status_code == 404

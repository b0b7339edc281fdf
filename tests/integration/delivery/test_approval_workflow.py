"""End to end: a message rendered from a template goes from draft to the préfet's approval to
delivery on the loopback fakes, each step journalled; a self-approval is refused; the audience
clocks are met at the first accepted delivery."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crisis.api.app import create_app
from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.vocabulary import ClockName, ClockState
from crisis.settings import Settings
from crisis.templating import TemplateRegistry
from tests.integration.delivery.conftest import (
    Fakes,
    accepted_in_journal,
    add_people,
    open_active,
    token_for,
)
from tests.integration.delivery.test_broadcast import dispatch

MARKER = "EXERCICE EXERCICE EXERCICE"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)  # the default: every audience needs approval


def _auth(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def _examples(name: str) -> dict[str, Any]:
    return TemplateRegistry.with_bundled().get(name).manifest.examples()


def test_draft_to_approval_to_delivery_with_each_step_journalled(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    client = TestClient(create_app(service))
    cell, prefect = token_for(service, "comm_cell"), token_for(service, "prefect")
    base = f"/api/v1/crises/{crisis_id}/drafts"

    clock.advance(timedelta(minutes=5))
    composed = client.post(
        base,
        json={
            "template": "point_situation",
            "variables": _examples("point_situation"),
            "audiences": ["elus", "media", "public"],
        },
        headers=_auth(cell, "compose-1"),
    )
    assert composed.status_code == 201, composed.text
    draft = composed.json()
    draft_id = draft["draft_id"]
    assert draft["state"] == "draft"
    assert draft["needs_approval"] is True
    assert (draft["template"], draft["template_version"]) == ("point_situation", 1)
    assert draft["texts"]["sms"].startswith(MARKER)  # rendered for an exercise
    assert draft["texts"]["default"] == draft["texts"]["telegram"]
    assert draft["texts"]["feed_title"] == draft["texts"]["email_subject"]
    assert {v["channel"] for v in draft["variants"]} >= {"sms", "x", "cap_headline"}
    assert all(v["fits"] for v in draft["variants"])
    # The same request again: the same draft, nothing new written.
    again = client.post(
        base,
        json={
            "template": "point_situation",
            "variables": _examples("point_situation"),
            "audiences": ["elus", "media", "public"],
        },
        headers=_auth(cell, "compose-1"),
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["draft_id"] == draft_id

    unapproved = client.post(f"{base}/{draft_id}/send", headers=_auth(cell))
    assert unapproved.status_code == 409
    assert "validé par le préfet" in unapproved.json()["error"]["message"]

    submitted = client.post(f"{base}/{draft_id}/submit", headers=_auth(cell))
    assert submitted.status_code == 200
    assert submitted.json()["state"] == "submitted"
    edited = client.put(f"{base}/{draft_id}", json={"audiences": ["elus"]}, headers=_auth(cell))
    assert edited.status_code == 409

    # The cell may not approve; the préfet may not approve a message of their own.
    assert client.post(f"{base}/{draft_id}/approve", headers=_auth(cell)).status_code == 403
    own = client.post(
        base,
        json={
            "template": "communique_presse",
            "variables": _examples("communique_presse"),
            "audiences": ["media"],
        },
        headers=_auth(prefect),
    ).json()["draft_id"]
    assert client.post(f"{base}/{own}/submit", headers=_auth(prefect)).status_code == 200
    refused = client.post(f"{base}/{own}/approve", headers=_auth(prefect))
    assert refused.status_code == 409
    assert refused.json()["error"]["message"].startswith(
        "Vous ne pouvez pas valider un message que vous avez rédigé"
    )

    clock.advance(timedelta(minutes=3))
    approved = client.post(f"{base}/{draft_id}/approve", headers=_auth(prefect))
    assert approved.status_code == 200, approved.text
    assert approved.json()["decided_by"] == "api-prefect"
    twice = client.post(f"{base}/{draft_id}/approve", headers=_auth(prefect))
    assert twice.status_code == 409
    late_reject = client.post(
        f"{base}/{draft_id}/reject", json={"reason": "trop tard"}, headers=_auth(prefect)
    )
    assert late_reject.status_code == 409

    clock.advance(timedelta(minutes=2))
    sent = client.post(f"{base}/{draft_id}/send", headers=_auth(cell))
    assert sent.status_code == 200, sent.text
    message_id = sent.json()["message_id"]
    assert sent.json()["draft"]["state"] == "sent"
    assert client.post(f"{base}/{draft_id}/send", headers=_auth(cell)).status_code == 409

    assert dispatch(service) == 12
    assert all(s.text.startswith(MARKER) for s in fakes.sms.messages)
    assert all(m.text.startswith(MARKER) for m in fakes.telegram.sent)
    for mail in fakes.smtp.mails:
        assert str(mail.message["Subject"]).startswith(MARKER)
    board = client.get(f"/api/v1/messages/{message_id}", headers=_auth(cell)).json()
    assert board["totals"] == {"accepted": 12}
    assert board["created_by"] == "api-comm_cell"

    with service.bus.unit_of_work() as uow:
        entries = uow.journal.entries(crisis_id)
        crisis = uow.crises.get(crisis_id)
        assert uow.journal.verify(crisis_id).ok
    steps = [
        (e.kind, e.actor)
        for e in entries
        if any(word in e.kind for word in ("Draft", "ComposeMessage", "MessageSent"))
    ]
    mine = [s for s in steps if s[0] != "refused.ApproveDraft"]
    assert ("command.ComposeMessage", "api-comm_cell") in mine
    assert ("event.DraftComposed", "api-comm_cell") in mine
    assert ("event.DraftSubmitted", "api-comm_cell") in mine
    assert ("event.DraftApproved", "api-prefect") in mine
    assert ("event.MessageSent", "api-comm_cell") in mine
    assert ("event.DraftSent", "api-comm_cell") in mine
    kinds = [k for k, _ in steps]
    assert kinds.index("event.DraftApproved") < kinds.index("event.DraftSent")
    refusals = [e for e in entries if e.kind == "refused.ApproveDraft"]
    assert len(refusals) >= 2  # the self-approval and the second approval
    assert any("que vous avez rédigé" in e.payload["reason"] for e in refusals)
    approval = next(e for e in entries if e.kind == "event.DraftApproved")
    assert approval.at == crisis.clocks[ClockName.ELUS].started_at + timedelta(minutes=8)

    accepted = accepted_in_journal(entries)
    for clock_name, audience in (
        (ClockName.ELUS, "elus"),
        (ClockName.MEDIA, "media"),
        (ClockName.PUBLIC, "public"),
    ):
        first = min(a["accepted_at"] for a in accepted if a["audience"] == audience)
        state = crisis.clocks[clock_name]
        assert state.state is ClockState.MET
        assert state.met_at is not None and state.met_at.isoformat() == first

    # A sent message can be followed by an update linked to it (CAP references it).
    update = client.post(
        base,
        json={
            "template": "fin_evenement",
            "variables": _examples("fin_evenement"),
            "audiences": ["public"],
            "msg_type": "update",
            "references_id": message_id,
            "channels": ["cap"],
        },
        headers=_auth(cell),
    )
    assert update.status_code == 201, update.text
    update_id = update.json()["draft_id"]
    client.post(f"{base}/{update_id}/submit", headers=_auth(cell))
    client.post(f"{base}/{update_id}/approve", headers=_auth(prefect))
    follow = client.post(f"{base}/{update_id}/send", headers=_auth(cell))
    assert follow.status_code == 200, follow.text
    dispatch(service)
    with service.bus.unit_of_work() as uow:
        updated = uow.outbox.message(follow.json()["message_id"])
    assert updated is not None and updated.references_id == message_id


def test_direct_free_text_to_an_audience_needing_approval_is_held(
    service: Service, fakes: Fakes
) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=False)
    client = TestClient(create_app(service))
    cell, prefect = token_for(service, "comm_cell"), token_for(service, "prefect")
    answer = client.post(
        f"/api/v1/crises/{crisis_id}/messages",
        json={"audiences": ["elus"], "texts": {"default": "Crue : les berges sont fermées."}},
        headers=_auth(cell),
    )
    assert answer.status_code == 202, answer.text
    held = answer.json()
    assert (held["state"], held["origin"], held["created_by"]) == (
        "submitted",
        "free_text",
        "api-comm_cell",
    )
    listed = client.get(f"/api/v1/crises/{crisis_id}/messages", headers=_auth(cell)).json()
    assert listed["messages"] == []  # nothing left
    base = f"/api/v1/crises/{crisis_id}/drafts/{held['draft_id']}"
    assert client.post(f"{base}/approve", headers=_auth(prefect)).status_code == 200
    assert client.post(f"{base}/send", headers=_auth(cell)).status_code == 200
    dispatch(service)
    assert len(fakes.smtp.mails) == 3
    assert all("Crue : les berges" in s.text for s in fakes.sms.messages)


def test_a_draft_for_audiences_needing_no_approval_leaves_from_the_draft(
    service: Service, fakes: Fakes, settings: Settings
) -> None:
    settings.approval_audiences = []
    crisis_id = open_active(service, exercise=True)
    client = TestClient(create_app(service))
    cell = token_for(service, "comm_cell")
    base = f"/api/v1/crises/{crisis_id}/drafts"
    draft = client.post(
        base,
        json={
            "template": "alerte_population",
            "variables": _examples("alerte_population"),
            "audiences": ["public"],
            "channels": ["feed"],
        },
        headers=_auth(cell),
    ).json()
    assert draft["needs_approval"] is False
    sent = client.post(f"{base}/{draft['draft_id']}/send", headers=_auth(cell))
    assert sent.status_code == 200, sent.text
    assert dispatch(service) == 1

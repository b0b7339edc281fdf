"""The approvers are called, on both databases, time moved by hand: a submitted message pages
the first approver through the fakes with a link to it, the next one when nobody decides in
time, and a decision stops the calls, « je m'en occupe » only suspends them for the escalation's
delay; everything journalled."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crisis.api.app import create_app
from crisis.bootstrap import Service
from crisis.clock import ManualClock
from crisis.domain.approval_calls import (
    AcknowledgeApprovalPage,
    ApproverInput,
    SetApprovers,
)
from crisis.domain.commands import AddUser
from crisis.domain.contact_commands import ContactInput, CreateContact
from crisis.domain.draft_commands import ApproveDraft, ComposeMessage, SubmitDraft
from crisis.domain.errors import Forbidden, InvalidInput
from crisis.domain.oncall import CheckCallouts
from crisis.domain.vocabulary import Audience
from crisis.services.approval_call_views import crisis_calls
from crisis.services.context import SYSTEM_ACTOR, Actor
from crisis.settings import Settings
from crisis.store.journal import JournalEntry
from crisis.templating import TemplateRegistry
from tests.integration.delivery.conftest import CELL, OFFICER, Fakes, open_active
from tests.integration.delivery.test_broadcast import dispatch

ADMIN = Actor(name="admin", role="admin", user_id="u-admin")
MARKER = "EXERCICE EXERCICE EXERCICE"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, approval_call_minutes=10, approval_passes=2)


def _prefect(service: Service, name: str) -> Actor:
    result = service.bus.handle(AddUser(name=name, role="prefect"), actor=SYSTEM_ACTOR)
    return Actor(name=name, role="prefect", user_id=result["user"].id)


def _setup(service: Service) -> tuple[Actor, Actor]:
    prefete = _prefect(service, "Préfète")
    dircab = _prefect(service, "Directeur de cabinet")
    for contact in (
        ContactInput(
            name="Anne Martin (préfète)",
            category="cellule",
            email="prefete@prefecture.gouv.fr",
            mobile="06 10 00 00 01",
        ),
        ContactInput(name="Luc Bernard (dircab)", category="cellule", telegram_chat_id="7001"),
    ):
        service.bus.handle(CreateContact(contact=contact), actor=OFFICER)
    service.bus.handle(
        SetApprovers(
            approvers=(
                ApproverInput("Préfète", "prefete@prefecture.gouv.fr"),
                ApproverInput("Directeur de cabinet", "7001"),
            )
        ),
        actor=ADMIN,
    )
    return prefete, dircab


def submit_for_approval(service: Service, crisis_id: str, writer: Actor = CELL) -> str:
    """A « point de situation » to the élus, composed and submitted by `writer`."""
    examples = TemplateRegistry.with_bundled().get("point_situation").manifest.examples()
    draft_id: str = service.bus.handle(
        ComposeMessage(
            crisis_id=crisis_id,
            template="point_situation",
            variables=examples,
            audiences=(Audience.ELUS,),
        ),
        actor=writer,
    )
    service.bus.handle(SubmitDraft(crisis_id=crisis_id, draft_id=draft_id), actor=writer)
    return draft_id


def _journal(service: Service, crisis_id: str, kind: str) -> list[JournalEntry]:
    with service.bus.reading() as uow:
        assert uow.journal.verify(crisis_id).ok
        return [e for e in uow.journal.entries(crisis_id) if e.kind == f"event.{kind}"]


def _payloads(service: Service, crisis_id: str, kind: str) -> list[dict[str, Any]]:
    return [e.payload for e in _journal(service, crisis_id, kind)]


def _check(service: Service) -> None:
    service.bus.handle(CheckCallouts(), actor=SYSTEM_ACTOR)


def test_submission_pages_the_first_approver_then_the_next_on_time_until_a_decision(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    _, dircab = _setup(service)
    crisis_id = open_active(service, exercise=True)  # the élus' deadline: one hour from now
    deadline = clock.now() + timedelta(hours=1)
    clock.advance(timedelta(minutes=38))  # 7 minutes before the last call instant
    draft_id = submit_for_approval(service, crisis_id)

    (started,) = _payloads(service, crisis_id, "ApprovalCallStarted")
    assert started["approvers"] == ["Préfète", "Directeur de cabinet"]
    assert started["deadline"] == deadline.isoformat()
    assert started["last_call_at"] == (deadline - timedelta(minutes=15)).isoformat()
    (first,) = _payloads(service, crisis_id, "ApproverPaged")
    assert first["approver"] == "Préfète"
    assert first["channels"] == ["sms", "email"]
    # 7 minutes to the last call, one approver left: the next one at deadline − 15 min.
    assert first["next_due_at"] == (deadline - timedelta(minutes=15)).isoformat()

    dispatch(service)
    (sms,) = fakes.sms.messages
    assert sms.to == "+33610000001"
    assert sms.text.startswith(MARKER)  # an exercise: marked, and sent on exercise channels
    assert "message à valider" in sms.text and "/ack/" in sms.text
    (mail,) = fakes.smtp.mails
    assert list(mail.rcpt_tos) == ["prefete@prefecture.gouv.fr"]
    link = re.search(r"https?://[^/\s]+(/ack/[A-Za-z0-9_\-]+)", sms.text)
    assert link is not None
    # The link only leads to the message: no token in the next address, nothing granted.
    client = TestClient(create_app(service))
    answer = client.get(link.group(1), follow_redirects=False)
    assert answer.status_code == 303
    page_id = first["page_id"]
    assert answer.headers["location"] == f"/validation/appel/{page_id}"
    signed_out = client.get(answer.headers["location"], follow_redirects=False)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/connexion?suite=")
    assert "7001" not in fakes.telegram.messages  # the next approver is not called yet

    clock.advance(timedelta(minutes=6, seconds=59))
    _check(service)
    assert len(_journal(service, crisis_id, "ApproverPaged")) == 1
    clock.advance(timedelta(seconds=1))  # deadline − 15 min: the last approver, on time
    _check(service)
    _check(service)  # a second sweep pages nobody twice
    second = _payloads(service, crisis_id, "ApproverPaged")[1:]
    assert [p["approver"] for p in second] == ["Directeur de cabinet"]
    assert second[0]["channels"] == ["telegram_dm"]
    dispatch(service)
    (dm,) = fakes.telegram.messages["7001"]
    assert "attend votre validation" in dm.text and "/ack/" in dm.text
    assert dm.reply_markup is None  # no « J'arrive » button: that one acknowledges call-outs

    # What the scheduler's leader plans from the store (after a restart, say).
    with service.bus.reading() as uow:
        assert uow.approvals.next_due_instants() == [
            (crisis_id, datetime.fromisoformat(second[0]["next_due_at"]))
        ]
    service.bus.handle(ApproveDraft(crisis_id=crisis_id, draft_id=draft_id), actor=dircab)
    with service.bus.reading() as uow:
        assert uow.approvals.next_due_instants() == []
    (stopped,) = _payloads(service, crisis_id, "ApprovalCallStopped")
    assert (stopped["reason"], stopped["by"]) == ("approved", "Directeur de cabinet")
    clock.advance(timedelta(hours=1))
    _check(service)
    assert len(_journal(service, crisis_id, "ApproverPaged")) == 2
    assert not _journal(service, crisis_id, "ApprovalCallOfficerAlerted")


def test_unanswered_passes_alert_the_duty_officer_then_the_calls_stop(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    _setup(service)
    crisis_id = open_active(service, exercise=False)
    submit_for_approval(service, crisis_id)
    for _ in range(8):
        clock.advance(timedelta(minutes=10))
        _check(service)
    paged = [p["approver"] for p in _payloads(service, crisis_id, "ApproverPaged")]
    assert paged == ["Préfète", "Directeur de cabinet"] * 2
    alerts = _payloads(service, crisis_id, "ApprovalCallOfficerAlerted")
    assert [(a["passes"], a["final"]) for a in alerts] == [(1, False), (2, True)]
    (stopped,) = _payloads(service, crisis_id, "ApprovalCallStopped")
    assert stopped["reason"] == "exhausted"
    dispatch(service)
    # The duty officer's alert went out (a real event: no exercise marker).
    alert_mails = [
        m for m in fakes.smtp.mails if list(m.rcpt_tos) == ["permanence@prefecture.gouv.fr"]
    ]
    assert alert_mails
    assert not any(MARKER in str(m.message["Subject"]) for m in alert_mails)


def _alerts(fakes: Fakes) -> list[str]:
    """The duty officer's alerts received by mail."""
    return [
        m.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        for m in fakes.smtp.mails
        if list(m.rcpt_tos) == ["permanence@prefecture.gouv.fr"]
    ]


def test_taken_on_without_a_decision_the_calls_resume_with_the_next_approver_on_time(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    """PagerDuty's acknowledgement timeout: « Je m'en occupe » suspends the calls for the
    escalation's delay, counted from the acknowledgement; no decision by then, the next
    approver is called and the duty officer alerted."""
    prefete, dircab = _setup(service)
    crisis_id = open_active(service, exercise=False)
    cod = clock.now()  # the élus' deadline at cod + 1 h, the last call at cod + 45 min
    clock.advance(timedelta(minutes=30))
    draft_id = submit_for_approval(service, crisis_id)
    (first,) = _payloads(service, crisis_id, "ApproverPaged")
    assert first["next_due_at"] == (cod + timedelta(minutes=40)).isoformat()
    # Only the person called takes it on.
    with pytest.raises(Forbidden):
        service.bus.handle(AcknowledgeApprovalPage(page_id=first["page_id"]), actor=dircab)
    clock.advance(timedelta(minutes=3))
    service.bus.handle(AcknowledgeApprovalPage(page_id=first["page_id"]), actor=prefete)
    (taken,) = _payloads(service, crisis_id, "ApprovalPageAcknowledged")
    # 12 minutes to the last call instant, one approver left: the base delay, 10 min, fits.
    resume = cod + timedelta(minutes=43)
    assert (taken["approver"], taken["resume_at"]) == ("Préfète", resume.isoformat())
    assert not _journal(service, crisis_id, "ApprovalCallStopped")
    with service.bus.reading() as uow:
        assert uow.approvals.next_due_instants() == [(crisis_id, resume)]
        (view,) = crisis_calls(uow, service.settings, crisis_id)
    assert (view.running, view.taken_by, view.taken_at) == (
        True,
        "Préfète",
        cod + timedelta(minutes=33),
    )
    assert (view.next_due_at, view.next_approver) == (resume, "Directeur de cabinet")

    clock.advance(timedelta(minutes=7))  # the step's first due instant: nobody is called
    _check(service)
    clock.advance(timedelta(minutes=2, seconds=59))
    _check(service)
    assert len(_journal(service, crisis_id, "ApproverPaged")) == 1
    assert not _journal(service, crisis_id, "ApprovalCallResumed")
    clock.advance(timedelta(seconds=1))  # no decision by 3 h 43: the calls resume
    _check(service)
    _check(service)  # once
    (resumed,) = _payloads(service, crisis_id, "ApprovalCallResumed")
    assert (resumed["approver"], resumed["final"]) == ("Préfète", False)
    assert resumed["acknowledged_at"] == (cod + timedelta(minutes=33)).isoformat()
    second = _payloads(service, crisis_id, "ApproverPaged")[1]
    assert second["approver"] == "Directeur de cabinet"
    assert _journal(service, crisis_id, "ApproverPaged")[1].at == resume
    assert not _journal(service, crisis_id, "ApprovalCallOfficerAlerted")  # not a pass's end
    dispatch(service)
    assert "7001" in fakes.telegram.messages
    (alert,) = _alerts(fakes)
    assert "Préfète l'a pris en charge à" in alert and "les appels reprennent" in alert
    with service.bus.reading() as uow:
        (view,) = crisis_calls(uow, service.settings, crisis_id)
    assert view.taken_by is None and view.next_approver == "Préfète" and view.new_pass
    assert view.pages[0].answer.endswith("sans décision : appels repris")

    # The second approver takes it on too, at the end of the pass: the end-of-pass delay; then
    # one alert says both, and the next pass begins.
    clock.advance(timedelta(minutes=2))
    service.bus.handle(AcknowledgeApprovalPage(page_id=second["page_id"]), actor=dircab)
    resume = cod + timedelta(minutes=55)  # min(10 min, max(deadline − now, 5 min)) from 3 h 45
    assert _payloads(service, crisis_id, "ApprovalPageAcknowledged")[1]["resume_at"] == (
        resume.isoformat()
    )
    clock.advance(timedelta(minutes=10))
    _check(service)
    resumed_twice = _payloads(service, crisis_id, "ApprovalCallResumed")
    assert [r["approver"] for r in resumed_twice] == ["Préfète", "Directeur de cabinet"]
    (alerted,) = _payloads(service, crisis_id, "ApprovalCallOfficerAlerted")
    assert (alerted["passes"], alerted["final"]) == (1, False)
    paged = [p["approver"] for p in _payloads(service, crisis_id, "ApproverPaged")]
    assert paged == ["Préfète", "Directeur de cabinet", "Préfète"]
    dispatch(service)
    assert "Directeur de cabinet l'a pris en charge" in _alerts(fakes)[1]
    assert len(_alerts(fakes)) == 2  # one alert for the resumption and the pass's end

    # A decision by anyone still stops everything.
    service.bus.handle(ApproveDraft(crisis_id=crisis_id, draft_id=draft_id), actor=prefete)
    (stopped,) = _payloads(service, crisis_id, "ApprovalCallStopped")
    assert (stopped["reason"], stopped["by"]) == ("approved", "Préfète")


def test_taken_on_then_approved_nothing_more_happens(service: Service, clock: ManualClock) -> None:
    prefete, _ = _setup(service)
    crisis_id = open_active(service, exercise=True)
    draft_id = submit_for_approval(service, crisis_id)
    (first,) = _payloads(service, crisis_id, "ApproverPaged")
    service.bus.handle(AcknowledgeApprovalPage(page_id=first["page_id"]), actor=prefete)
    clock.advance(timedelta(minutes=4))
    service.bus.handle(ApproveDraft(crisis_id=crisis_id, draft_id=draft_id), actor=prefete)
    (stopped,) = _payloads(service, crisis_id, "ApprovalCallStopped")
    assert (stopped["reason"], stopped["by"]) == ("approved", "Préfète")
    with service.bus.reading() as uow:
        assert uow.approvals.next_due_instants() == []
    for _ in range(6):
        clock.advance(timedelta(minutes=10))
        _check(service)
    assert len(_journal(service, crisis_id, "ApproverPaged")) == 1
    assert not _journal(service, crisis_id, "ApprovalCallResumed")
    assert not _journal(service, crisis_id, "ApprovalCallOfficerAlerted")
    with service.bus.reading() as uow:
        assert uow.drafts.get(draft_id, crisis_id=crisis_id).state.value == "approved"


def test_an_earlier_approver_taking_it_on_late_suspends_the_next_ones_call(
    service: Service, clock: ManualClock
) -> None:
    prefete, _ = _setup(service)
    crisis_id = open_active(service, exercise=True)
    cod = clock.now()
    clock.advance(timedelta(minutes=30))
    submit_for_approval(service, crisis_id)
    clock.advance(timedelta(minutes=10))
    _check(service)  # 3 h 40: the directeur de cabinet is called, the pass ends at 3 h 50
    first, second = _payloads(service, crisis_id, "ApproverPaged")
    assert second["next_due_at"] == (cod + timedelta(minutes=50)).isoformat()
    clock.advance(timedelta(minutes=1))  # the préfète opens her link and takes it on
    service.bus.handle(AcknowledgeApprovalPage(page_id=first["page_id"]), actor=prefete)
    (taken,) = _payloads(service, crisis_id, "ApprovalPageAcknowledged")
    assert taken["resume_at"] == (cod + timedelta(minutes=51)).isoformat()
    with service.bus.reading() as uow:
        (view,) = crisis_calls(uow, service.settings, crisis_id)
    assert view.taken_by == "Préfète" and view.new_pass
    clock.advance(timedelta(minutes=9, seconds=59))
    _check(service)
    assert not _journal(service, crisis_id, "ApprovalCallOfficerAlerted")
    clock.advance(timedelta(seconds=1))
    _check(service)
    (resumed,) = _payloads(service, crisis_id, "ApprovalCallResumed")
    assert resumed["page_id"] == first["page_id"]
    assert len(_journal(service, crisis_id, "ApprovalCallOfficerAlerted")) == 1
    assert [p["approver"] for p in _payloads(service, crisis_id, "ApproverPaged")][2] == "Préfète"
    # Her new call is not suspended by her old acknowledgement.
    with service.bus.reading() as uow:
        (view,) = crisis_calls(uow, service.settings, crisis_id)
    assert view.taken_by is None and view.running


def test_the_order_refuses_a_user_without_the_right_and_the_authors_are_not_called(
    service: Service,
) -> None:
    prefete, _ = _setup(service)
    service.bus.handle(AddUser(name="Rédactrice", role="comm_cell"), actor=SYSTEM_ACTOR)
    with pytest.raises(InvalidInput) as refused:
        service.bus.handle(SetApprovers(approvers=(ApproverInput("Rédactrice"),)), actor=ADMIN)
    assert "n'a pas le droit de valider" in refused.value.message
    with pytest.raises(InvalidInput):
        service.bus.handle(
            SetApprovers(approvers=(ApproverInput("Préfète"), ApproverInput("Préfète"))),
            actor=ADMIN,
        )
    # A message the préfète wrote herself: she is not called for it (four eyes).
    crisis_id = open_active(service, exercise=True)
    submit_for_approval(service, crisis_id, prefete)
    (started,) = _payloads(service, crisis_id, "ApprovalCallStarted")
    assert started["approvers"] == ["Directeur de cabinet"]


def test_without_an_order_nobody_is_called(service: Service) -> None:
    crisis_id = open_active(service, exercise=True)
    submit_for_approval(service, crisis_id)
    assert not _journal(service, crisis_id, "ApprovalCallStarted")

"""SMS the service writes itself always go out: smart encoding keeps French text in GSM-7,
and a call-out or an alert too long for its parts is shortened, keeping the link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from channels.measure import measure_sms
from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.clock import ManualClock
from crisis.delivery.config import AlertRecipient, AlertsConfig, DeliveryConfig
from crisis.domain.commands import CodDecision, OpenCrisis
from crisis.domain.oncall import CellRole, ImportRoster
from crisis.domain.vocabulary import CrisisKind
from crisis.settings import Settings
from tests.integration.delivery.conftest import OFFICER, Fakes, delivery_config
from tests.integration.delivery.test_broadcast import dispatch
from tests.integration.delivery.test_oncall import N, check, journal, settings, shift

__all__ = ["settings"]  # the on-call settings fixture (ack secret, N, K), reused here

OFFICER_MOBILE = "+33611111111"


@pytest.fixture
def service(engine: Engine, clock: ManualClock, settings: Settings, fakes: Fakes) -> Service:
    # The duty officer is reachable only by mobile.
    alerts = AlertsConfig(
        channels=["sms"],
        recipients=[AlertRecipient(name="Cadre de permanence", mobile=OFFICER_MOBILE)],
    )
    delivery: DeliveryConfig = delivery_config(fakes, alerts=alerts)
    return bootstrap(
        settings=settings,
        clock=clock,
        engine=engine,
        delivery=delivery,
        scheduler_mode=SchedulerMode.NONE,
    )


def _mobile_roster(service: Service, clock: ManualClock) -> None:
    start = clock.now() - timedelta(hours=2)
    shifts = tuple(
        shift(f"Membre {n}", role, start, mobile=f"06 12 34 56 {n:02d}")
        for n, role in enumerate(
            (CellRole.CHEF_DE_CELLULE, CellRole.REDACTEUR, CellRole.CHARGE_RESEAUX_SOCIAUX), 10
        )
    )
    service.bus.handle(ImportRoster(shifts=shifts), actor=OFFICER)


def _activate(service: Service, title: str) -> str:
    crisis_id: str = service.bus.handle(
        OpenCrisis(
            title=title,
            kind=CrisisKind.POLLUTION,
            exercise=True,
            activation=CodDecision(decided_by="préfet", synergi_ref="SYN-91-7"),
        ),
        actor=OFFICER,
    )
    return crisis_id


@pytest.mark.parametrize(
    ("title", "encoding"),
    [
        ("Pollution de l’Orge à Savigny-sur-Orge – rejets d’hydrocarbures", "GSM-7"),
        # « ê » has no GSM-7 form: in UCS-2 the title does not fit, so it is shortened.
        ("Pollution de l’Orge en forêt – " + "très " * 30 + "longue", None),
    ],
    ids=["typographic", "too-long-for-ucs2"],
)
def test_callout_reaches_every_member_by_sms_with_its_link(
    service: Service, fakes: Fakes, clock: ManualClock, title: str, encoding: str | None
) -> None:
    _mobile_roster(service, clock)
    crisis_id = _activate(service, title)
    dispatch(service)
    texts = {m.to: m.text for m in fakes.sms.messages if m.to != OFFICER_MOBILE}
    assert set(texts) == {"+33612345610", "+33612345611", "+33612345612"}
    for text in texts.values():
        measured = measure_sms(text)
        if encoding is None:
            assert "... " in text  # shortened
        else:
            assert measured.encoding == encoding, measured.non_gsm
        assert measured.segments <= 3
        assert "/ack/" in text and text.startswith("EXERCICE")
        assert "l'Orge" in text
    assert journal(service, crisis_id, "DeliveryFailed") == []


def test_unanswered_role_alert_reaches_a_duty_officer_with_only_a_mobile(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    _mobile_roster(service, clock)
    crisis_id = _activate(service, "Pollution de l’Orge à Savigny-sur-Orge")
    dispatch(service)
    start = clock.now()
    for round_no in range(1, 4):
        clock.set(start + timedelta(minutes=round_no * N))
        check(service)
    assert journal(service, crisis_id, "CalloutOfficerAlerted")
    dispatch(service)
    officer = [m.text for m in fakes.sms.messages if m.to == OFFICER_MOBILE]
    assert officer, "the duty officer got no SMS"
    for text in officer:
        assert measure_sms(text).segments <= 3
        assert "SANS RÉPONSE" in text.upper() or "sans réponse" in text
    assert journal(service, crisis_id, "DeliveryFailed") == []

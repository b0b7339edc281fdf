"""A CAP document the OASIS schema rejects is not published: the delivery fails, the duty
officer is alerted and the failure is journalled."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

import crisis.publishing.channels as publishing
from channels.cap import CapAlert, cap_xml
from crisis.bootstrap import Service
from crisis.domain.vocabulary import Audience
from crisis.publishing.cap_schema import InvalidCapDocumentError, validate_cap
from crisis.store.tables import publications
from tests.integration.delivery.conftest import Fakes, open_active
from tests.integration.delivery.test_broadcast import dispatch, send, statuses


def _without_sender(alert: CapAlert) -> bytes:
    document = cap_xml(alert)
    return document.replace(b"<sender>", b"<from>").replace(b"</sender>", b"</from>")


def test_the_bundled_schema_rejects_a_broken_document() -> None:
    with pytest.raises(InvalidCapDocumentError, match=r"CAP 1\.2"):
        validate_cap("<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'/>")


def test_an_invalid_cap_document_is_not_published_and_alerts_the_duty_officer(
    service: Service, fakes: Fakes, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publishing, "cap_xml", _without_sender)
    crisis_id = open_active(service, exercise=True)
    message_id = send(service, crisis_id, audiences=(Audience.PUBLIC,), channels=("cap", "feed"))
    dispatch(service)
    assert statuses(engine, message_id) == {("cap", ""): "failed", ("feed", ""): "accepted"}
    with engine.connect() as connection:
        kinds = connection.execute(select(publications.c.kind)).scalars().all()
    assert kinds == ["feed"]
    alert_mails = [m for m in fakes.smtp.mails if m.rcpt_tos == ("permanence@prefecture.gouv.fr",)]
    assert len(alert_mails) == 1
    assert "échec définitif : alerte CAP" in str(alert_mails[0].message["Subject"])
    with service.bus.unit_of_work() as uow:
        (failed,) = [
            e.payload for e in uow.journal.entries(crisis_id) if e.kind == "event.DeliveryFailed"
        ]
    assert failed["channel"] == "cap"
    assert failed["reason"].startswith("document CAP non conforme au schéma CAP 1.2")

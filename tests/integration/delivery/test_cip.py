"""The CIP from the préfet's order to the publication of its numéro unique and its
deactivation, with its `cip` clock, on both databases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from crisis.api.app import create_app
from crisis.bootstrap import SchedulerMode, Service, bootstrap
from crisis.clock import ManualClock
from crisis.delivery.config import DeliveryConfig
from crisis.domain.errors import InvalidInput
from crisis.domain.oncall import (
    AcknowledgePage,
    CellRole,
    ImportRoster,
    ShiftInput,
    format_numero_unique,
)
from crisis.domain.vocabulary import ClockName
from crisis.services.views import crisis_view, status_json
from crisis.settings import Settings
from tests.integration.delivery.conftest import OFFICER, Fakes, add_people, token_for
from tests.integration.delivery.test_broadcast import dispatch
from tests.integration.delivery.test_oncall import activate, journal


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        callout_on_activation=False,
    )


@pytest.fixture
def service(
    engine: Engine, clock: ManualClock, settings: Settings, delivery: DeliveryConfig
) -> Service:
    return bootstrap(
        settings=settings,
        clock=clock,
        engine=engine,
        delivery=delivery,
        scheduler_mode=SchedulerMode.NONE,
    )


def test_numero_unique_is_checked_and_formatted_the_french_way() -> None:
    assert format_numero_unique("0169919191") == "01 69 91 91 91"
    assert format_numero_unique("+33 1 69 91 91 91") == "01 69 91 91 91"
    assert format_numero_unique("0800009191") == "0 800 00 91 91"
    for bad in ("12", "01 69 91", "numéro", "+44 20 7946 0958"):
        with pytest.raises(InvalidInput, match="n'est pas un numéro de téléphone français"):
            format_numero_unique(bad)


def test_cip_from_order_to_publication_to_deactivation(
    service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    add_people(service)
    start = clock.now() - timedelta(hours=1)
    service.bus.handle(
        ImportRoster(
            shifts=(
                ShiftInput(
                    "Chloé Salle",
                    CellRole.CHEF_DE_SALLE_CIP,
                    start,
                    start + timedelta(hours=10),
                    email="chloe@prefecture.gouv.fr",
                ),
                ShiftInput(
                    "Omar Opérateur",
                    CellRole.OPERATEUR_CIP,
                    start,
                    start + timedelta(hours=10),
                    email="omar@prefecture.gouv.fr",
                ),
            )
        ),
        actor=OFFICER,
    )
    crisis_id = activate(service, exercise=True)
    client = TestClient(create_app(service))
    prefect = {"Authorization": f"Bearer {token_for(service, 'prefect')}"}
    officer = {"Authorization": f"Bearer {token_for(service, 'duty_officer')}"}
    url = f"/api/v1/crises/{crisis_id}/cip"

    bad = client.post(url, json={"numero_unique": "01 69 91"}, headers=prefect)
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["fields"][0]["field"] == "numero_unique"
    assert "n'est pas un numéro de téléphone français valide" in error["message"]
    assert (
        client.post(url, json={"numero_unique": "0169919191"}, headers=officer).status_code == 403
    )
    assert client.get(url, headers=officer).status_code == 404

    clock.advance(timedelta(minutes=5))
    ordered_at = clock.now() - timedelta(minutes=2)
    created = client.post(
        url,
        json={
            "numero_unique": "0169919191",
            "ordered_at": ordered_at.isoformat(),
            "ordered_by": "M. le préfet",
        },
        headers=prefect,
    )
    assert created.status_code == 201, created.text
    assert created.json()["numero_unique"] == "01 69 91 91 91"
    assert created.json()["ordered_by"] == "M. le préfet"
    again = client.post(url, json={"numero_unique": "0169919191"}, headers=prefect)
    assert again.status_code == 409

    with service.bus.unit_of_work() as uow:
        status = status_json(crisis_view(uow.crises.get(crisis_id)))
    clocks = {c["name"]: c for c in status["clocks"]}  # type: ignore[attr-defined]
    assert list(clocks) == ["cell", "elus", "public", "media", "cip"]
    assert clocks["cip"]["deadline"] == (ordered_at + timedelta(minutes=60)).isoformat()
    assert clocks["cip"]["state"] == "running"
    paged = journal(service, crisis_id, "MemberPaged")
    assert sorted(p.payload["member_name"] for p in paged) == ["Chloé Salle", "Omar Opérateur"]
    dispatch(service)
    assert sorted(m.rcpt_tos[0] for m in fakes.smtp.mails) == [
        "chloe@prefecture.gouv.fr",
        "omar@prefecture.gouv.fr",
    ]

    with service.bus.unit_of_work() as uow:
        members = {m.name: m.id for m in uow.oncall.members()}
    clock.advance(timedelta(minutes=10))
    service.bus.handle(
        AcknowledgePage(via="api", member_id=members["Chloé Salle"], crisis_id=crisis_id),
        actor=OFFICER,
    )
    assert client.get(url, headers=officer).json()["operational_at"] is None
    clock.advance(timedelta(minutes=7))
    operational_at = clock.now()
    service.bus.handle(
        AcknowledgePage(via="api", member_id=members["Omar Opérateur"], crisis_id=crisis_id),
        actor=OFFICER,
    )
    view = client.get(url, headers=officer).json()
    assert view["operational_at"] == operational_at.isoformat()
    with service.bus.unit_of_work() as uow:
        cip_clock = uow.crises.get(crisis_id).clocks[ClockName.CIP]
    assert cip_clock.state.value == "met"
    assert cip_clock.met_at == operational_at
    (published,) = journal(service, crisis_id, "CipPublished")
    assert published.payload["kind"] == "activation"

    mails_before = len(fakes.smtp.mails)
    dispatch(service)
    public_posts = [m.text for m in fakes.telegram.messages["@prefecture_exercice"]]
    assert any("01 69 91 91 91" in t for t in public_posts)
    assert all(t.startswith("EXERCICE") for t in public_posts)
    media = [m for m in fakes.smtp.mails[mails_before:] if "republicain" in m.rcpt_tos[0]]
    assert media and "01 69 91 91 91" in media[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert any("01 69 91 91 91" in p.text for p in fakes.x.posts)

    # Declared by hand afterwards: the clock keeps the earlier instant, no second publication.
    later = client.post(f"{url}/operational", json={}, headers=officer)
    assert later.status_code == 200
    assert len(journal(service, crisis_id, "CipPublished")) == 1

    clock.advance(timedelta(hours=3))
    closed = client.post(f"{url}/deactivation", json={"reason": "Fin de crue"}, headers=officer)
    assert closed.status_code == 403
    closed = client.post(f"{url}/deactivation", json={"reason": "Fin de crue"}, headers=prefect)
    assert closed.status_code == 200, closed.text
    assert closed.json()["deactivated_at"] == clock.now().isoformat()
    kinds = [e.payload["kind"] for e in journal(service, crisis_id, "CipPublished")]
    assert kinds == ["activation", "deactivation"]
    assert len(journal(service, crisis_id, "CipDeactivated")) == 1
    dispatch(service)
    public_posts = [m.text for m in fakes.telegram.messages["@prefecture_exercice"]]
    assert "n'est plus en service" in public_posts[-1]
    twice = client.post(f"{url}/deactivation", json={"reason": "encore"}, headers=prefect)
    assert twice.status_code == 409

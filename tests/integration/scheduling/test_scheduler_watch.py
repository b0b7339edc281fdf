"""The deadline sweep failing for real (the database away for a few sweeps): one e-mail alert
to the duty officer, /readyz 503 with the reason, the failure counter moved; when the database
is back the sweep succeeds, readiness is restored, a second alert says so, both are journalled."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from channels.config import ChannelsConfig, EmailConfig
from crisis.api.app import create_app
from crisis.bootstrap import SchedulerMode, bootstrap
from crisis.delivery.config import AlertRecipient, AlertsConfig, DeliveryConfig
from crisis.domain.messages import ChannelName
from crisis.settings import Settings
from crisis.store.journal import SYSTEM_STREAM
from tests.database_outage import database_down
from tests.fakes.smtp import FakeSmtpServer


def wait_until(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never met"
        time.sleep(0.05)


def test_a_failing_sweep_alerts_once_and_readiness_follows(engine: Engine, tmp_path: Path) -> None:
    with FakeSmtpServer() as smtp:
        delivery = DeliveryConfig(
            production=ChannelsConfig(
                email=EmailConfig(
                    host=smtp.host,
                    port=smtp.port,
                    security="none",
                    from_address="crise@prefecture.gouv.fr",
                )
            ),
            alerts=AlertsConfig(
                channels=[ChannelName.EMAIL],
                recipients=[AlertRecipient(name="Cadre de permanence", email="cadre@pref.fr")],
            ),
        )
        settings = Settings(data_dir=tmp_path, sweep_seconds=1)
        service = bootstrap(
            settings=settings, engine=engine, delivery=delivery, scheduler_mode=SchedulerMode.RUN
        )
        assert service.scheduler is not None and service.watch is not None
        client = TestClient(create_app(service))
        try:
            wait_until(lambda: service.watch is not None and service.watch.last_sweep() is not None)
            assert client.get("/readyz").status_code == 200

            with database_down(engine):
                wait_until(lambda: len(smtp.mails) == 1)
                answer = client.get("/readyz")
                assert answer.status_code == 503
                reasons = answer.json()["reasons"]
                assert any(
                    r.startswith("contrôle des échéances en échec depuis le") for r in reasons
                )
                time.sleep(2.5)  # more failed sweeps: still one alert
                assert len(smtp.mails) == 1
            failures = service.metrics.registry.get_sample_value(
                "crisis_scheduler_job_failures_total", {"task": "deadlines"}
            )
            assert failures is not None and failures >= 2

            wait_until(lambda: len(smtp.mails) == 2)
            wait_until(lambda: client.get("/readyz").status_code == 200)
            down, restored = (mail.message for mail in smtp.mails)
            assert down["Subject"] == "Contrôle des échéances en panne"
            assert down["To"].endswith("<cadre@pref.fr>") or "cadre@pref.fr" in down["To"]
            body = down.get_body(("plain",))
            assert body is not None
            assert "alertes d'horloge" in body.get_content()
            assert restored["Subject"] == "Contrôle des échéances rétabli"

            # Both journalled, the first one once the database was back, with when it left.
            def journalled() -> list[dict[str, object]]:
                with service.bus.reading() as uow:
                    return [
                        e.payload["command"]
                        for e in uow.journal.entries(SYSTEM_STREAM)
                        if e.kind == "command.RecordServiceAlert"
                    ]

            wait_until(lambda: len(journalled()) == 2)
            states = [(c["state"], c["accepted"]) for c in journalled()]
            assert states == [("down", ["email"]), ("restored", ["email"])]
        finally:
            service.scheduler.shutdown()

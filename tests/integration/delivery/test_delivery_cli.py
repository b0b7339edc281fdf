"""`crisis deliveries` and `crisis channels check` on both databases, with the channels file
pointing at the loopback fakes."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crisis.bootstrap import Service
from crisis.cli import app
from crisis.clock import ManualClock
from crisis.domain.commands import RecordDelivery, SendMessage
from crisis.domain.vocabulary import Audience
from tests.integration.delivery.conftest import (
    CELL,
    SMS_KEY,
    TELEGRAM_TOKEN,
    Fakes,
    add_people,
    open_active,
)
from tests.integration.delivery.test_broadcast import TEXTS, dispatch

Invoke = Callable[..., tuple[int, str, str]]


def channels_file(tmp_path: Path, fakes: Fakes) -> Path:
    path = tmp_path / "canaux.yaml"
    path.write_text(
        f"""
production:
  telegram:
    token: ${{TELEGRAM_TOKEN}}
    base_url: {fakes.telegram.base_url}
    public_chat: "@prefecture_public"
    timeout_seconds: 2
  x:
    user_access_token: ${{X_TOKEN}}
    api_base_url: {fakes.x.url}
    timeout_seconds: 2
  email:
    host: 127.0.0.1
    port: {fakes.smtp.port}
    security: none
    from_address: communication@prefecture.gouv.fr
    timeout_seconds: 2
  sms:
    base_url: {fakes.sms.url}
    api_key: ${{SMS_KEY}}
    timeout_seconds: 2
  webhook:
    secret: ${{HOOK_SECRET}}
    url: {fakes.webhook.url}/hook
    timeout_seconds: 2
exercise:
  telegram:
    token: ${{TELEGRAM_TOKEN}}
    base_url: {fakes.telegram.base_url}
    production: false
    timeout_seconds: 2
""",
        "utf-8",
    )
    return path


@pytest.fixture
def run(database_url: str, fakes: Fakes, tmp_path: Path) -> Invoke:
    runner = CliRunner()
    env = {
        "CRISIS_DATABASE_URL": database_url,
        "CRISIS_CHANNELS_FILE": str(channels_file(tmp_path, fakes)),
        "TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "X_TOKEN": "x-token",
        "SMS_KEY": SMS_KEY,
        "HOOK_SECRET": "whsec_0eulSCXHeBbe7qp83t4UXxBZvoFgoZr9ZbC1g7wCR9I=",
    }

    def invoke(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, list(args), env=env)
        return result.exit_code, result.stdout, result.stderr

    return invoke


def nothing_published(fakes: Fakes) -> bool:
    """No channel published anything; the webhook received at most signed test deliveries
    (`"test": true`), which its receiver ignores."""
    return not (
        fakes.telegram.sent
        or fakes.x.posts
        or fakes.smtp.mails
        or fakes.sms.messages
        or any(json.loads(r.body).get("test") is not True for r in fakes.webhook.received)
    )


def test_channels_check_passes_when_every_channel_answers_and_publishes_nothing(
    run: Invoke, fakes: Fakes
) -> None:
    code, out, err = run("channels", "check")
    assert code == 0, err
    lines = out.splitlines()
    for name in ("cap", "email", "feed", "sms", "telegram_dm", "telegram_public", "webhook", "x"):
        assert any(line.startswith(f"[réel] {name} : OK") for line in lines), (name, out)
    assert any(line.startswith("[exercice] telegram_dm : OK") for line in lines)
    assert "ÉCHEC" not in out
    assert nothing_published(fakes)
    assert TELEGRAM_TOKEN not in out + err

    code, out, _ = run("channels", "check", "--json")
    assert code == 0
    report = json.loads(out)
    assert {(r["mode"], r["channel"]) for r in report} >= {("réel", "sms"), ("exercice", "feed")}
    assert all(r["ok"] for r in report)
    assert nothing_published(fakes)


def test_channels_check_exits_1_naming_the_channel_that_is_down(run: Invoke, fakes: Fakes) -> None:
    fakes.sms.go_down()
    code, out, _ = run("channels", "check")
    assert code == 1
    (failed,) = [line for line in out.splitlines() if "ÉCHEC" in line]
    assert failed.startswith("[réel] sms : ÉCHEC")
    assert "[réel] email : OK" in out
    code, out, _ = run("channels", "check", "--json")
    assert code == 1
    assert [r["channel"] for r in json.loads(out) if not r["ok"]] == ["sms"]
    assert nothing_published(fakes)


def test_deliveries_json_gives_each_message_board_and_manual_deliveries(
    run: Invoke, service: Service, fakes: Fakes, clock: ManualClock
) -> None:
    add_people(service)
    crisis_id = open_active(service, exercise=True)
    clock.advance(timedelta(minutes=20))
    result = service.bus.handle(
        SendMessage(
            crisis_id=crisis_id,
            texts=TEXTS,
            audiences=(Audience.ELUS,),
            channels=("email", "sms"),
        ),
        actor=CELL,
    )
    fakes.sms.go_down()
    dispatch(service)  # the e-mails leave; the SMS wait for the gateway
    service.bus.handle(
        RecordDelivery(
            crisis_id=crisis_id,
            audience=Audience.MEDIA,
            delivered_at=clock.now() - timedelta(minutes=5),
            means="Conférence de presse",
        ),
        actor=CELL,
    )

    code, out, err = run("deliveries", crisis_id, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["crisis_id"] == crisis_id
    (board,) = data["messages"]
    assert board["message_id"] == result.message_id
    assert board["exercise"] is True
    assert board["totals"] == {"accepted": 2, "pending": 2}
    assert board["by_channel"] == {"email": {"accepted": 2}, "sms": {"pending": 2}}
    assert {d["recipient"] for d in board["deliveries"] if d["status"] == "pending"} == {
        "+33611223344",
        "+33655667788",
    }
    (manual,) = data["manual"]
    assert manual["audience"] == "media"
    assert manual["means"] == "Conférence de presse"

    code, out, _ = run("deliveries", crisis_id)
    assert code == 0
    assert f"Message {result.message_id}" in out
    assert "acceptées : 2, en attente : 2" in out
    assert "• SMS : en attente 2" in out
    assert "Diffusion hors service (médias)" in out


def test_deliveries_of_an_unknown_crisis_exits_4(run: Invoke) -> None:
    code, _, err = run("deliveries", "inconnu")
    assert code == 4
    assert "Erreur" in err

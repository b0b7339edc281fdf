"""The channels file: `${NAME}` secrets from the environment or a secrets file, French errors
that name the field and reveal no value, sandboxed exercise channels, and secrets kept out of
reprs, API answers, the journal and the logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from channels.registry import build_channels
from crisis.api.app import create_app
from crisis.bootstrap import SchedulerMode, bootstrap
from crisis.catalog import build_catalog
from crisis.clock import ManualClock
from crisis.delivery.config import ConfigError, DeliveryConfig, load_delivery_config
from crisis.domain.contact_commands import ContactInput, CreateContact
from crisis.settings import Settings
from tests.fakes.smtp import FakeSmtpServer
from tests.fakes.telegram import FakeTelegramServer
from tests.fakes.tls import make_certificates
from tests.integration.delivery.conftest import OFFICER, open_active, token_for
from tests.integration.delivery.test_broadcast import dispatch

TOKEN = "987654:SECRET-bot-token-do-not-leak"
PASSWORD = "mot-de-passe-SMTP-tres-secret"


def channels_yaml(
    *,
    telegram_url: str = "http://127.0.0.1:9/bot",
    smtp_port: int = 2525,
    smtp_tls: str = "security: none",
) -> str:
    return f"""
production:
  telegram:
    token: ${{TELEGRAM_TOKEN}}
    base_url: {telegram_url}
    timeout_seconds: 5
  email:
    host: 127.0.0.1
    port: {smtp_port}
    {smtp_tls}
    username: pref
    password: ${{SMTP_PASSWORD}}
    from_address: communication@prefecture.gouv.fr
exercise:
  telegram:
    token: ${{TELEGRAM_TOKEN}}
    base_url: {telegram_url}
    production: false
audiences:
  elus: [email, telegram_dm]
fallbacks: {{}}
alerts:
  recipients:
    - name: Cadre de permanence
      email: permanence@prefecture.gouv.fr
dispatcher:
  batch_size: 50
  concurrency: 10
public:
  base_url: https://crise.essonne.gouv.fr
"""


def write(tmp_path: Path, text: str, name: str = "canaux.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_secrets_come_from_the_environment(tmp_path: Path) -> None:
    config = load_delivery_config(
        write(tmp_path, channels_yaml()),
        environ={"TELEGRAM_TOKEN": TOKEN, "SMTP_PASSWORD": PASSWORD},
    )
    assert config.production.telegram is not None
    assert config.production.telegram.token.get_secret_value() == TOKEN
    assert config.production.email is not None
    assert config.production.email.password is not None
    assert config.production.email.password.get_secret_value() == PASSWORD
    assert config.dispatcher.batch_size == 50
    assert config.public.base_url == "https://crise.essonne.gouv.fr"
    assert config.fallbacks == {}


def test_secrets_come_from_the_secrets_file_and_the_environment_wins(tmp_path: Path) -> None:
    secrets = write(
        tmp_path, f"TELEGRAM_TOKEN: '{TOKEN}'\nSMTP_PASSWORD: '{PASSWORD}'\n", "secrets.yaml"
    )
    path = write(tmp_path, channels_yaml())
    config = load_delivery_config(path, secrets_file=secrets, environ={})
    assert config.production.telegram is not None
    assert config.production.telegram.token.get_secret_value() == TOKEN
    assert config.production.email is not None and config.production.email.password is not None
    assert config.production.email.password.get_secret_value() == PASSWORD

    overridden = load_delivery_config(
        path, secrets_file=secrets, environ={"TELEGRAM_TOKEN": "1:from-env"}
    )
    assert overridden.production.telegram is not None
    assert overridden.production.telegram.token.get_secret_value() == "1:from-env"


def test_the_process_environment_is_read_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    config = load_delivery_config(write(tmp_path, channels_yaml()))
    assert config.production.telegram is not None
    assert config.production.telegram.token.get_secret_value() == TOKEN


def test_a_missing_secret_names_the_field_and_reveals_no_other_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_delivery_config(write(tmp_path, channels_yaml()), environ={"TELEGRAM_TOKEN": TOKEN})
    message = str(caught.value)
    assert message == (
        "production.email.password : le secret SMTP_PASSWORD n'est défini ni dans "
        "l'environnement ni dans le fichier de secrets."
    )
    assert TOKEN not in message


def test_an_invalid_file_is_explained_without_its_values(tmp_path: Path) -> None:
    text = channels_yaml().replace("batch_size: 50", "batch_size: 0")
    with pytest.raises(ConfigError) as caught:
        load_delivery_config(
            write(tmp_path, text), environ={"TELEGRAM_TOKEN": TOKEN, "SMTP_PASSWORD": PASSWORD}
        )
    message = str(caught.value)
    assert "Configuration des canaux invalide" in message
    assert "dispatcher.batch_size : doit être" in message
    assert "Input should" not in message and "greater" not in message
    assert TOKEN not in message and PASSWORD not in message


@pytest.mark.parametrize(
    ("secrets_text", "expected"),
    [
        ("- une\n- liste\n", "doit contenir des paires NOM: valeur."),
        (
            "SMTP_PASSWORD: ok\nTELEGRAM_TOKEN: [secret-non-fermé\n",
            "YAML invalide, ligne 3, colonne 1.",
        ),
        (None, "fichier ou dossier introuvable."),
    ],
    ids=["list", "yaml", "missing"],
)
def test_an_unusable_secrets_file_is_refused_in_french(
    tmp_path: Path, secrets_text: str | None, expected: str
) -> None:
    if secrets_text is None:
        secrets = tmp_path / "absent.yaml"
    else:
        secrets = write(tmp_path, secrets_text, "secrets.yaml")
    with pytest.raises(ConfigError) as caught:
        load_delivery_config(write(tmp_path, channels_yaml()), secrets_file=secrets, environ={})
    message = str(caught.value)
    assert message.endswith(expected), message
    assert "secret-non-fermé" not in message  # YAML's own message would quote the secret


def test_an_exercise_channel_must_say_production_false(tmp_path: Path) -> None:
    text = channels_yaml().replace("    production: false", "")
    with pytest.raises(ConfigError) as caught:
        load_delivery_config(
            write(tmp_path, text), environ={"TELEGRAM_TOKEN": TOKEN, "SMTP_PASSWORD": PASSWORD}
        )
    message = str(caught.value)
    assert "exercise.telegram : un canal d'exercice doit porter « production: false »" in message
    assert TOKEN not in message


def test_rate_per_second_overrides_the_declared_rate(tmp_path: Path, clock: ManualClock) -> None:
    text = channels_yaml().replace("    timeout_seconds: 5", "    rate_per_second: 400")
    config = load_delivery_config(
        write(tmp_path, text), environ={"TELEGRAM_TOKEN": TOKEN, "SMTP_PASSWORD": PASSWORD}
    )
    production = build_channels(config.production, clock=clock)
    exercise = build_channels(config.exercise, clock=clock)
    assert production["telegram_dm"].limits.rate_per_second == 400
    assert exercise["telegram_dm"].limits.rate_per_second == 25  # the declared default
    assert production["email"].limits.rate_per_second == 5


def test_secrets_never_appear_in_reprs(tmp_path: Path, engine: Engine, clock: ManualClock) -> None:
    config = load_delivery_config(
        write(tmp_path, channels_yaml()),
        environ={"TELEGRAM_TOKEN": TOKEN, "SMTP_PASSWORD": PASSWORD},
    )
    catalog = build_catalog(config, engine=engine, clock=clock)
    shown = [
        repr(config),
        str(config),
        config.model_dump_json(),
        repr(config.production),
        repr(config.production.telegram),
        repr(config.production.email),
        repr(catalog),
        *(repr(c) for c in catalog.production.values()),
        *(repr(c) for c in catalog.exercise.values()),
    ]
    for text in shown:
        assert TOKEN not in text
        assert PASSWORD not in text
    assert isinstance(config, DeliveryConfig)


def test_secrets_stay_out_of_answers_journal_and_logs_during_a_send(
    tmp_path: Path,
    engine: Engine,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    certificates = make_certificates(tmp_path)
    with (
        FakeTelegramServer(token=TOKEN) as telegram,
        FakeSmtpServer(
            security="starttls", certificates=certificates, credentials=("pref", PASSWORD)
        ) as smtp,
    ):
        tls = f"security: starttls\n    ca_file: {certificates.ca_file}"
        path = write(
            tmp_path,
            channels_yaml(telegram_url=telegram.base_url, smtp_port=smtp.port, smtp_tls=tls),
        )
        config = load_delivery_config(
            path, environ={"TELEGRAM_TOKEN": TOKEN, "SMTP_PASSWORD": PASSWORD}
        )
        service = bootstrap(
            settings=Settings(data_dir=tmp_path, approval_audiences=[]),
            clock=clock,
            engine=engine,
            delivery=config,
            scheduler_mode=SchedulerMode.NONE,
        )
        service.bus.handle(
            CreateContact(
                contact=ContactInput(
                    name="Maire de Corbeil",
                    category="elu",
                    email="maire@corbeil.fr",
                    telegram_chat_id="1001",
                )
            ),
            actor=OFFICER,
        )
        crisis_id = open_active(service, exercise=False)
        client = TestClient(create_app(service))
        headers = {"Authorization": f"Bearer {token_for(service, 'comm_cell')}"}
        caplog.set_level(logging.DEBUG)
        sent = client.post(
            f"/api/v1/crises/{crisis_id}/messages",
            json={"texts": {"default": "Crue : évitez les berges."}, "audiences": ["elus"]},
            headers=headers,
        )
        assert sent.status_code == 201, sent.text
        assert dispatch(service) == 2
        # The secrets were used: the bot token reached Telegram, the password logged in.
        assert [m.chat_id for m in telegram.sent] == ["1001"]
        assert [m.authenticated_as for m in smtp.mails] == ["pref"]

        message_id = sent.json()["message_id"]
        answers = [
            sent.text,
            client.get(f"/api/v1/messages/{message_id}", headers=headers).text,
            client.get(f"/api/v1/crises/{crisis_id}", headers=headers).text,
            client.get(f"/api/v1/crises/{crisis_id}/messages", headers=headers).text,
            client.get(f"/api/v1/crises/{crisis_id}/journal", headers=headers).text,
            client.get("/openapi.json").text,
            client.get("/public").text,
        ]
        with service.bus.unit_of_work() as uow:
            journal = [
                json.dumps(e.payload, ensure_ascii=False)
                for stream in (crisis_id, "system")
                for e in uow.journal.entries(stream)
            ]
    assert any("sendMessage" in r.getMessage() for r in caplog.records)  # the transport logged
    for text in [*answers, *journal, caplog.text]:
        assert TOKEN not in text
        assert PASSWORD not in text


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"production: [\n", "YAML invalide, ligne 2, colonne 1."),
        (bytes(range(128, 256)), "texte UTF-8 attendu."),
        (None, "fichier ou dossier introuvable."),
    ],
    ids=["yaml", "binary", "missing"],
)
def test_an_unreadable_channels_file_says_why_in_french(
    tmp_path: Path, content: bytes | None, expected: str
) -> None:
    path = tmp_path / "canaux.yaml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        load_delivery_config(path, environ={})
    assert str(caught.value) == f"Fichier de canaux illisible ({path}) : {expected}"

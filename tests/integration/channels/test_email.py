"""E-mail channel against the fake SMTP server (aiosmtpd), through smtplib."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from pydantic import SecretStr

from channels.config import EmailConfig
from channels.contract import OutgoingMessage, RecipientKind, SendError
from channels.email import EmailChannel
from crisis.clock import ManualClock
from tests.fakes.smtp import FakeSmtpServer
from tests.fakes.tls import LoopbackCertificates, make_certificates

T0 = datetime(2025, 3, 14, 2, 30, tzinfo=UTC)
SUBJECT = "Crue de la Loire : activation du COD à 3 h 30"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCertificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp() -> Iterator[FakeSmtpServer]:
    with FakeSmtpServer() as server:
        yield server
        close_built()


_BUILT: list[EmailChannel] = []


def close_built() -> None:
    """Close the pooled connections of the channels built so far, before their server stops."""
    while _BUILT:
        asyncio.run(_BUILT.pop().aclose())


def channel(server: FakeSmtpServer, **overrides: object) -> EmailChannel:
    values: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "security": "none",
        "from_address": "communication@loire.gouv.fr",
        "from_name": "Préfecture de la Loire",
        "reply_to": "sidpc@loire.gouv.fr",
        "timeout_seconds": 3.0,
    }
    values.update(overrides)
    built = EmailChannel(EmailConfig.model_validate(values), clock=ManualClock(T0))
    _BUILT.append(built)
    return built


def mail(recipient: str, *, html: str | None = None, exercise: bool = False) -> OutgoingMessage:
    prefix = "EXERCICE — " if exercise else ""
    return OutgoingMessage(
        delivery_id=f"d-{recipient}",
        recipient_kind=RecipientKind.EMAIL,
        recipient=recipient,
        subject=SUBJECT,
        text=f"{prefix}Madame, Monsieur le maire,\n\nLe COD est activé. Évitez les berges.",
        html=html,
        exercise=exercise,
    )


def send_error(ch: EmailChannel, message: OutgoingMessage) -> SendError:
    with pytest.raises(SendError) as info:
        asyncio.run(ch.send(message))
    return info.value


def test_one_message_per_recipient_with_both_parts_and_headers(smtp: FakeSmtpServer) -> None:
    ch = channel(smtp)
    receipts = [
        asyncio.run(ch.send(mail(address, html="<p>Le COD est <b>activé</b>.</p>")))
        for address in ("maire@saumur.fr", "maire@tours.fr")
    ]
    assert [m.rcpt_tos for m in smtp.mails] == [("maire@saumur.fr",), ("maire@tours.fr",)]
    first = smtp.mails[0].message
    assert str(make_header(decode_header(first["Subject"]))) == SUBJECT
    assert first["Subject"] == SUBJECT  # policy.default decodes RFC 2047 words
    assert b"=?utf-8?" in smtp.mails[0].data  # the header travelled encoded
    assert first["From"].addresses[0].display_name == "Préfecture de la Loire"
    assert first["From"].addresses[0].addr_spec == "communication@loire.gouv.fr"
    assert first["Reply-To"] == "sidpc@loire.gouv.fr"
    assert first["To"] == "maire@saumur.fr"
    assert first["Auto-Submitted"] == "auto-generated"
    assert first["Date"].datetime == T0
    assert first.get_content_type() == "multipart/alternative"
    plain = first.get_body(preferencelist=("plain",))
    rich = first.get_body(preferencelist=("html",))
    assert plain is not None
    assert rich is not None
    assert "Évitez les berges" in plain.get_content()
    assert "<b>activé</b>" in rich.get_content()
    assert smtp.mails[0].mail_from == "communication@loire.gouv.fr"
    assert receipts[0].provider_message_id == first["Message-ID"].strip("<>")
    assert receipts[0].accepted_at == T0


def test_one_connection_carries_every_message_of_a_batch(smtp: FakeSmtpServer) -> None:
    ch = channel(smtp)

    async def batch() -> None:
        for number in range(5):
            await ch.send(mail(f"maire{number}@loire.fr"))

    asyncio.run(batch())
    assert len(smtp.mails) == 5
    assert {m.connection for m in smtp.mails} == {1}
    assert ch.connections_opened == 1


def test_a_connection_closed_by_the_server_is_replaced_and_the_message_sent(
    smtp: FakeSmtpServer,
) -> None:
    ch = channel(smtp)
    asyncio.run(ch.send(mail("maire@saumur.fr")))
    smtp.drop_connections()  # an idle timeout on the server's side
    time.sleep(0.05)
    asyncio.run(ch.send(mail("maire@tours.fr")))
    assert [m.rcpt_tos for m in smtp.mails] == [("maire@saumur.fr",), ("maire@tours.fr",)]
    assert [m.connection for m in smtp.mails] == [1, 2]
    assert ch.connections_opened == 2


def test_a_connection_that_saw_a_refusal_is_not_reused(smtp: FakeSmtpServer) -> None:
    ch = channel(smtp)
    smtp.fail_next(1, code=451, stage="RCPT")
    assert send_error(ch, mail("maire@saumur.fr")).retryable
    asyncio.run(ch.send(mail("maire@saumur.fr")))
    assert [m.connection for m in smtp.mails] == [2]


def test_html_part_is_built_from_text_when_missing(smtp: FakeSmtpServer) -> None:
    asyncio.run(channel(smtp).send(mail("maire@blois.fr")))
    rich = smtp.mails[0].message.get_body(preferencelist=("html",))
    assert rich is not None
    assert "<p>Le COD est activé. Évitez les berges.</p>" in rich.get_content()


@pytest.mark.parametrize(("code", "stage"), [(451, "RCPT"), (421, "MAIL"), (451, "DATA")])
def test_temporary_refusals_are_retryable(smtp: FakeSmtpServer, code: int, stage: str) -> None:
    smtp.fail_next(1, code=code, stage=stage)  # type: ignore[arg-type]
    error = send_error(channel(smtp), mail("maire@saumur.fr"))
    assert error.retryable
    assert smtp.mails == []


@pytest.mark.parametrize(("code", "stage"), [(550, "RCPT"), (554, "DATA")])
def test_permanent_refusals_are_final(smtp: FakeSmtpServer, code: int, stage: str) -> None:
    smtp.fail_next(1, code=code, stage=stage)  # type: ignore[arg-type]
    error = send_error(channel(smtp), mail("maire@saumur.fr"))
    assert not error.retryable


def test_server_down_is_retryable(smtp: FakeSmtpServer) -> None:
    smtp.go_down()
    error = send_error(channel(smtp), mail("maire@saumur.fr"))
    assert error.retryable
    smtp.come_back()
    asyncio.run(channel(smtp).send(mail("maire@saumur.fr")))
    assert len(smtp.mails) == 1


def test_check_publishes_nothing(smtp: FakeSmtpServer) -> None:
    report = asyncio.run(channel(smtp).check())
    assert "joignable" in report
    assert smtp.mails == []


def test_exercise_subject_is_marked(smtp: FakeSmtpServer) -> None:
    asyncio.run(channel(smtp, production=False).send(mail("maire@tours.fr", exercise=True)))
    assert smtp.mails[0].message["Subject"] == f"[EXERCICE] {SUBJECT}"


def test_starttls_with_login(certificates: LoopbackCertificates, tmp_path: Path) -> None:
    server = FakeSmtpServer(
        security="starttls", certificates=certificates, credentials=("pref", "s3cret-pw")
    )
    with server:
        ch = channel(
            server,
            security="starttls",
            ca_file=certificates.ca_file,
            username="pref",
            password=SecretStr("s3cret-pw"),
        )
        asyncio.run(ch.send(mail("maire@saumur.fr")))
        assert "authentifié" in asyncio.run(ch.check())
        wrong = channel(
            server,
            security="starttls",
            ca_file=certificates.ca_file,
            username="pref",
            password=SecretStr("wrong-pw"),
        )
        error = send_error(wrong, mail("maire@saumur.fr"))
        close_built()
    assert server.mails[0].tls
    assert server.mails[0].authenticated_as == "pref"
    assert len(server.mails) == 1
    assert not error.retryable
    assert "wrong-pw" not in str(error)
    assert "wrong-pw" not in repr(wrong)


def test_implicit_tls(certificates: LoopbackCertificates) -> None:
    with FakeSmtpServer(security="ssl", certificates=certificates) as server:
        asyncio.run(
            channel(server, security="ssl", ca_file=certificates.ca_file).send(
                mail("maire@saumur.fr")
            )
        )
        close_built()
    assert server.mails[0].tls


def test_untrusted_certificate_is_permanent(certificates: LoopbackCertificates) -> None:
    with FakeSmtpServer(security="starttls", certificates=certificates) as server:
        error = send_error(channel(server, security="starttls"), mail("maire@saumur.fr"))
        close_built()
    assert not error.retryable
    assert server.mails == []

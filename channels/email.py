"""E-mail through SMTP (stdlib smtplib, in a worker thread): one message per recipient.

Each message has a plain-text part and an HTML alternative (built from the text when the
message brings no HTML). `security` is none, starttls or ssl (implicit TLS).

Connections are reused: a fan-out pays the connection, the TLS handshake and the login once
per pooled connection, not once per message. A connection that the server closed while it
sat idle is replaced and the message sent again on the new one; a connection that saw any
other error is closed, never reused.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from channels._common import EXERCISE_MARKER, guard_exercise, with_rate
from channels.config import EmailConfig
from channels.contract import (
    ChannelLimits,
    LengthUnit,
    OutgoingMessage,
    Receipt,
    RecipientKind,
    SendError,
)
from crisis.clock import PARIS, Clock

EMAIL_LIMITS = ChannelLimits(
    max_length=None,
    length_unit=LengthUnit.UNLIMITED,
    rate_per_second=5.0,
    supports_html=True,
    supports_attachments=False,
)


def _text_to_html(text: str) -> str:
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    body = "\n".join("<p>" + html.escape(p).replace("\n", "<br>\n") + "</p>" for p in paragraphs)
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head><meta charset="utf-8"></head>\n'
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _status_error(code: int, what: str) -> SendError:
    if 400 <= code < 500:
        return SendError(f"Serveur SMTP : refus temporaire ({code}, {what}).", retryable=True)
    return SendError(f"Serveur SMTP : refus définitif ({code}, {what}).", retryable=False)


def _response_text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return " ".join(text.split())[:200]


class _ConnectionPool:
    """Open SMTP connections waiting for the next message, most recently used first."""

    def __init__(
        self,
        connect: Callable[[], smtplib.SMTP],
        *,
        size: int,
        idle_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connect = connect
        self._size = size
        self._idle_seconds = idle_seconds
        self._monotonic = monotonic
        self._idle: list[tuple[smtplib.SMTP, float]] = []
        self._lock = threading.Lock()
        self.opened = 0  # connections made, for the curious (benchmarks, tests)

    def connect(self) -> smtplib.SMTP:
        smtp = self._connect()
        with self._lock:
            self.opened += 1
        return smtp

    def take(self) -> tuple[smtplib.SMTP, bool]:
        """A connection, and whether it was reused (it may have been closed by the server)."""
        stale: list[smtplib.SMTP] = []
        found: smtplib.SMTP | None = None
        with self._lock:
            now = self._monotonic()
            while self._idle:
                smtp, since = self._idle.pop()
                if now - since <= self._idle_seconds:
                    found = smtp
                    break
                stale.append(smtp)
        for smtp in stale:
            _quit(smtp)
        if found is not None:
            return found, True
        return self.connect(), False

    def give_back(self, smtp: smtplib.SMTP) -> None:
        with self._lock:
            if len(self._idle) < self._size:
                self._idle.append((smtp, self._monotonic()))
                return
        _quit(smtp)

    def close_all(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for smtp, _ in idle:
            _quit(smtp)


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye if the server still listens; close the socket in any case."""
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.quit()
    smtp.close()


class EmailChannel:
    name = "email"
    limits = EMAIL_LIMITS
    recipient_kind = RecipientKind.EMAIL

    def __init__(self, config: EmailConfig, *, clock: Clock, name: str = "email") -> None:
        if (config.username is None) != (config.password is None):
            raise ValueError("e-mail : username et password vont ensemble")
        self.name = name
        self.limits = with_rate(EMAIL_LIMITS, config.rate_per_second)
        self._config = config
        self._clock = clock
        self._pool = _ConnectionPool(
            self._connect, size=config.connections, idle_seconds=config.idle_seconds
        )

    def __repr__(self) -> str:
        c = self._config
        return f"EmailChannel(name={self.name!r}, host={c.host!r}, port={c.port}, {c.security})"

    # building ------------------------------------------------------------------------------

    def build_message(self, message: OutgoingMessage) -> EmailMessage:
        """The e-mail for one recipient (pure apart from the Message-ID)."""
        c = self._config
        subject = message.subject or message.text.strip().splitlines()[0][:120]
        if message.exercise and EXERCISE_MARKER not in subject.upper():
            subject = f"[{EXERCISE_MARKER}] {subject}"
        mail = EmailMessage()
        mail["Subject"] = subject
        mail["From"] = Address(display_name=c.from_name or "", addr_spec=c.from_address)
        mail["To"] = message.recipient
        if c.reply_to:
            mail["Reply-To"] = c.reply_to
        mail["Date"] = format_datetime(self._clock.now().astimezone(PARIS))
        domain = c.from_address.rpartition("@")[2] or None
        mail["Message-ID"] = make_msgid(idstring=message.delivery_id[:40] or None, domain=domain)
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies
        mail["X-Delivery-Id"] = message.delivery_id
        mail.set_content(message.text)
        mail.add_alternative(message.html or _text_to_html(message.text), subtype="html")
        return mail

    # SMTP ----------------------------------------------------------------------------------

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self._config.ca_file is not None:
            context.load_verify_locations(cafile=str(self._config.ca_file))
        return context

    def _connect(self) -> smtplib.SMTP:
        c = self._config
        smtp: smtplib.SMTP
        if c.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                c.host,
                c.port,
                local_hostname=c.local_hostname,
                timeout=c.timeout_seconds,
                context=self._tls_context(),
            )
        else:
            smtp = smtplib.SMTP(
                c.host, c.port, local_hostname=c.local_hostname, timeout=c.timeout_seconds
            )
        try:
            smtp.ehlo()
            if c.security == "starttls":
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if c.username is not None and c.password is not None:
                smtp.login(c.username, c.password.get_secret_value())
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _deliver(self, mail: EmailMessage, recipient: str) -> None:
        smtp, reused = self._pool.take()
        try:
            try:
                smtp.send_message(mail, from_addr=self._config.from_address, to_addrs=[recipient])
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                if not reused:
                    raise
                # The server closed the connection while it sat idle: one fresh attempt.
                smtp.close()
                smtp = self._pool.connect()
                smtp.send_message(mail, from_addr=self._config.from_address, to_addrs=[recipient])
        except BaseException:
            smtp.close()
            raise
        self._pool.give_back(smtp)

    @property
    def connections_opened(self) -> int:
        return self._pool.opened

    async def aclose(self) -> None:
        await asyncio.to_thread(self._pool.close_all)

    def _probe(self) -> None:
        with self._connect() as smtp:
            code, reply = smtp.noop()
            if code != 250:
                raise smtplib.SMTPResponseException(code, reply)

    async def _run(self, func: object, *args: object) -> None:
        try:
            await asyncio.to_thread(func, *args)  # type: ignore[arg-type]
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            code = min(codes) if codes else 550
            raise _status_error(code, "destinataire refusé") from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise _status_error(exc.smtp_code, "authentification refusée") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise SendError(
                "Serveur SMTP : fonction non proposée (STARTTLS ou AUTH).", retryable=False
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise _status_error(exc.smtp_code, _response_text(exc.smtp_error)) from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise SendError("Serveur SMTP : connexion interrompue.", retryable=True) from exc
        except ssl.SSLCertVerificationError as exc:
            raise SendError("Serveur SMTP : certificat TLS non vérifié.", retryable=False) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(
                f"Serveur SMTP injoignable ({exc.__class__.__name__}).", retryable=True
            ) from exc

    async def send(self, message: OutgoingMessage) -> Receipt:
        guard_exercise(message, production=self._config.production, channel=self.name)
        if "@" not in message.recipient or any(ch in message.recipient for ch in ",;\r\n"):
            raise SendError(
                "E-mail : adresse du destinataire invalide (une seule adresse attendue).",
                retryable=False,
            )
        mail = self.build_message(message)
        await self._run(self._deliver, mail, message.recipient)
        return Receipt(
            provider_message_id=str(mail["Message-ID"]).strip("<>"),
            accepted_at=self._clock.now(),
        )

    async def check(self) -> str:
        await self._run(self._probe)
        c = self._config
        auth = ", authentifié" if c.username else ""
        return f"Serveur SMTP joignable : {c.host}:{c.port} ({c.security}{auth})."

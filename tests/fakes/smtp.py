"""A fake SMTP server: aiosmtpd on 127.0.0.1, recording envelopes and parsed messages."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any, Literal, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.fakes._http import free_port
from tests.fakes.tls import LoopbackCertificates

Security = Literal["none", "starttls", "ssl"]
Stage = Literal["MAIL", "RCPT", "DATA"]


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    message: EmailMessage
    authenticated_as: str | None
    tls: bool
    connection: int  # which SMTP connection carried it: 1 for the first one, and so on


@dataclass(frozen=True, slots=True)
class _Fault:
    stage: Stage
    reply: str


_REPLIES = {
    421: "421 4.3.2 Service not available, closing transmission channel",
    451: "451 4.3.0 Temporary local problem, try again later",
    452: "452 4.5.3 Too many recipients",
    550: "550 5.1.1 Mailbox unavailable",
    554: "554 5.7.1 Message rejected",
}


class _Handler:
    def __init__(self, fake: FakeSmtpServer) -> None:
        self._fake = fake

    def _fault(self, stage: Stage) -> str | None:
        return self._fake._take_fault(stage)

    async def handle_MAIL(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: Any
    ) -> str:
        self._fake._connection_number(server)
        fault = self._fault("MAIL")
        if fault:
            return fault
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        fault = self._fault("RCPT")
        if fault:
            return fault
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        fault = self._fault("DATA")
        if fault:
            return fault
        data = bytes(envelope.original_content or envelope.content)
        message = BytesParser(policy=policy.default).parsebytes(data)
        assert isinstance(message, EmailMessage)
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        connection = self._fake._connection_number(server)
        self._fake._record(
            ReceivedMail(
                mail_from=envelope.mail_from,
                rcpt_tos=tuple(envelope.rcpt_tos),
                data=data,
                message=message,
                authenticated_as=login.decode() if login else None,
                tls=session.ssl is not None
                or server.transport.get_extra_info("ssl_object") is not None,
                connection=connection,
            )
        )
        return "250 2.0.0 Message accepted for delivery"


class FakeSmtpServer:
    """SMTP on 127.0.0.1 (plain, STARTTLS or implicit TLS), optionally requiring AUTH.

    - `mails` lists what was accepted (envelope, raw bytes, parsed EmailMessage).
    - `fail_next(n, code=451, stage="RCPT")`: the next n commands of that stage get `code`
      (421/451/452 temporary, 550/554 permanent).
    - `go_down()` stops listening (connection refused); `come_back()` listens again.
    - `drop_connections()` closes the connections open now, as a server does with idle ones.
    """

    def __init__(
        self,
        *,
        security: Security = "none",
        certificates: LoopbackCertificates | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        if security != "none" and certificates is None:
            raise ValueError("TLS needs certificates")
        self.security = security
        self.certificates = certificates
        self.credentials = credentials
        self.mails: list[ReceivedMail] = []
        self.port = free_port()
        self._faults: deque[_Fault] = deque()
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        self._connections: list[Any] = []  # the SMTP protocol object of each connection

    def _authenticator(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if self.credentials is None or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = self.credentials
        ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def start(self) -> Self:
        kwargs: dict[str, Any] = {}
        if self.credentials is not None:
            kwargs.update(
                authenticator=self._authenticator,
                auth_required=True,
                auth_require_tls=self.security != "none",
            )
        if self.security == "starttls":
            assert self.certificates is not None
            kwargs.update(tls_context=self.certificates.server_context(), require_starttls=True)
        elif self.security == "ssl":
            assert self.certificates is not None
            kwargs.update(ssl_context=self.certificates.server_context())
        controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="127.0.0.1",
            **kwargs,
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def fail_next(self, n: int = 1, *, code: int = 451, stage: Stage = "RCPT") -> None:
        reply = _REPLIES.get(code, f"{code} Error")
        with self._lock:
            self._faults.extend(_Fault(stage, reply) for _ in range(n))

    def go_down(self) -> None:
        self.stop()

    def come_back(self) -> None:
        if self._controller is None:
            self.start()

    def drop_connections(self) -> None:
        controller = self._controller
        assert controller is not None
        with self._lock:
            transports = [c.transport for c in self._connections if c.transport is not None]
        done = threading.Event()

        def close() -> None:
            for transport in transports:
                transport.close()
            done.set()

        controller.loop.call_soon_threadsafe(close)
        done.wait(timeout=5)

    def _connection_number(self, server: Any) -> int:
        with self._lock:
            if server not in self._connections:
                self._connections.append(server)
            return self._connections.index(server) + 1

    def _take_fault(self, stage: Stage) -> str | None:
        with self._lock:
            if self._faults and self._faults[0].stage == stage:
                return self._faults.popleft().reply
        return None

    def _record(self, mail: ReceivedMail) -> None:
        with self._lock:
            self.mails.append(mail)

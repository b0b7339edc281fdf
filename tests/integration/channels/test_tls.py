"""HTTPS providers: the certificate is always checked, against the system's trust store or the
file `SSL_CERT_FILE` names (a préfecture's own authority, behind its TLS proxy)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from channels.config import SmsConfig
from channels.contract import RecipientKind
from channels.sms import SmsChannel
from crisis.clock import ManualClock
from tests.conftest import REPO_ROOT
from tests.fakes.sms import FakeSmsGateway
from tests.fakes.tls import LoopbackCertificates, make_certificates
from tests.integration.channels.sending import outgoing, refusal

KEY = "sms-tls-key"
T0 = datetime(2025, 3, 14, 2, 30, tzinfo=UTC)

# Sends one SMS through the channel in a fresh interpreter: aiohttp reads the trust store
# (and SSL_CERT_FILE) once, when it is imported.
SEND_ONE = """
import asyncio, sys
from datetime import UTC, datetime
from pydantic import SecretStr
from channels.contract import OutgoingMessage, RecipientKind
from channels.config import SmsConfig
from channels.sms import SmsChannel
from crisis.clock import ManualClock

async def main() -> None:
    config = SmsConfig(base_url=sys.argv[1], api_key=SecretStr(sys.argv[2]))
    channel = SmsChannel(config, clock=ManualClock(datetime(2025, 3, 14, tzinfo=UTC)))
    try:
        message = OutgoingMessage(
            delivery_id="d-1", recipient_kind=RecipientKind.PHONE, recipient="+33612345678",
            text="Crue : evitez les berges.", exercise=False,
        )
        print((await channel.send(message)).provider_message_id)
    finally:
        await channel.aclose()

asyncio.run(main())
"""


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> LoopbackCertificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def gateway(certificates: LoopbackCertificates) -> Iterator[FakeSmsGateway]:
    server = FakeSmsGateway(api_key=KEY)
    server.tls = certificates.server_context()
    with server:
        yield server


def test_a_certificate_from_an_unknown_authority_is_refused(gateway: FakeSmsGateway) -> None:
    channel = SmsChannel(
        SmsConfig(base_url=gateway.url, api_key=SecretStr(KEY)), clock=ManualClock(T0)
    )
    error = refusal(channel, outgoing("+33612345678", RecipientKind.PHONE))
    assert error.reason == "Passerelle SMS injoignable (ClientConnectorCertificateError)."
    assert gateway.messages == []


def test_the_authority_named_by_ssl_cert_file_is_trusted(
    gateway: FakeSmsGateway, certificates: LoopbackCertificates
) -> None:
    env = {**os.environ, "SSL_CERT_FILE": str(certificates.ca_file), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("SSL_CERT_DIR", None)
    sent = subprocess.run(
        [sys.executable, "-c", SEND_ONE, gateway.url, KEY],
        env=env,
        cwd=Path(REPO_ROOT),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.strip() == "sms-000001"
    assert [m.to for m in gateway.messages] == ["+33612345678"]

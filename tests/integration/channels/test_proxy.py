"""The HTTP channels leave through the environment's proxy (HTTP_PROXY, NO_PROXY), as they
did with httpx; here the "proxy" is the fake SMS gateway itself."""

from __future__ import annotations

import asyncio
import base64
import urllib.request
from collections.abc import Iterator

import pytest

from channels.contract import Receipt, SendError
from tests.fakes.sms import FakeSmsGateway
from tests.integration.channels.test_sms import KEY, channel, sms

_PROXY_VARIABLES = ("NO_PROXY", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSmsGateway]:
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with FakeSmsGateway(api_key=KEY) as server:
        yield server


async def _send_all(gateway: FakeSmsGateway, count: int, **overrides: object) -> list[Receipt]:
    ch = channel(gateway, **overrides)
    try:
        return [await ch.send(sms(to=f"+3361234567{i}")) for i in range(count)]
    finally:
        await ch.aclose()


def test_the_environment_s_proxy_is_the_way_out(
    gateway: FakeSmsGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The configured host does not exist: only the proxy can reach it."""
    monkeypatch.setenv("HTTP_PROXY", gateway.url)
    receipts = asyncio.run(_send_all(gateway, 1, base_url="http://passerelle.invalid"))
    assert receipts[0].provider_message_id == "sms-000001"
    assert gateway.requests[0].headers["host"] == "passerelle.invalid"
    # The gateway's key is for the gateway: nothing is added for the proxy.
    assert "proxy-authorization" not in gateway.requests[0].headers
    assert gateway.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_the_proxy_s_credentials_go_in_their_own_header(
    gateway: FakeSmsGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    address = gateway.url.replace("http://", "http://sortie:mot%20de%20passe@")
    monkeypatch.setenv("HTTP_PROXY", address)
    asyncio.run(_send_all(gateway, 1, base_url="http://passerelle.invalid"))
    expected = "Basic " + base64.b64encode(b"sortie:mot de passe").decode()
    assert gateway.requests[0].headers["proxy-authorization"] == expected


def test_hosts_named_in_no_proxy_are_reached_directly(
    gateway: FakeSmsGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy named here listens nowhere: a request sent to it would fail."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    receipts = asyncio.run(_send_all(gateway, 2))
    assert [r.provider_message_id for r in receipts] == ["sms-000001", "sms-000002"]


def test_the_environment_is_read_once_per_destination_not_per_message(
    gateway: FakeSmsGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fan-out sends thousands of messages: the proxy lookup is not on that path (aiohttp's
    own, `trust_env`, rereads the environment and ~/.netrc in a thread at each request)."""
    lookups: list[str] = []
    real = urllib.request.getproxies

    def counted() -> dict[str, str]:
        lookups.append("getproxies")
        return real()

    monkeypatch.setattr(urllib.request, "getproxies", counted)
    receipts = asyncio.run(_send_all(gateway, 5))
    assert len(receipts) == 5
    assert lookups == ["getproxies"]


def test_a_tunnel_to_an_https_gateway_carries_the_proxy_s_credentials_only(
    gateway: FakeSmsGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An HTTPS gateway is reached through a CONNECT tunnel: the proxy sees that request
    alone, which carries its own credentials and never the gateway's key. This proxy refuses
    the tunnel, so the message fails (retryably) after the CONNECT was read."""
    connects: list[bytes] = []

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connects.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    async def run() -> SendError:
        proxy = await asyncio.start_server(refuse, "127.0.0.1", 0)
        port = proxy.sockets[0].getsockname()[1]
        monkeypatch.setenv("HTTPS_PROXY", f"http://sortie:secret@127.0.0.1:{port}")
        ch = channel(gateway, base_url="https://passerelle.invalid")
        try:
            with pytest.raises(SendError) as info:
                await ch.send(sms())
            return info.value
        finally:
            await ch.aclose()
            proxy.close()

    error = asyncio.run(run())
    assert error.retryable
    request = connects[0].decode().lower()
    assert request.startswith("connect passerelle.invalid:443 ")
    assert (
        "proxy-authorization: basic " + base64.b64encode(b"sortie:secret").decode().lower()
        in request
    )
    assert KEY not in request

"""The HTTP channels' connection pool: one aiohttp session per event loop.

httpx's async pool walks every connection (a socket poll per idle one) on each request: at
the 50 concurrent sends of a national fan-out that costs 2.3–2.7 ms of CPU per request on a
2-core machine, against about 0.1 ms for aiohttp's connector (`benchmarks/fanout.py`). The
HTTP channels therefore send through aiohttp.

An aiohttp session belongs to the event loop that opened it. A channel is used by the
dispatcher's loop, then perhaps by a CLI command's or a test's: `session()` opens a new one
when the loop changed. Close it (`close()`) on the loop that used it; a session left on a
finished loop is abandoned to the garbage collector, which warns about its sockets.
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from channels._common import error_for_status, parse_retry_after
from channels.contract import SendError
from crisis.clock import Clock

_Proxy = tuple[URL | None, dict[str, str] | None]


class LoopSession:
    """Up to `pool_size` keep-alive connections, opened on first use in each event loop."""

    def __init__(
        self,
        *,
        pool_size: int,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._pool_size = pool_size
        self._headers = dict(headers or {})
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._proxies: dict[tuple[str, str | None, int | None], _Proxy] = {}

    def session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0),
                cookie_jar=aiohttp.DummyCookieJar(),
                # The environment's proxy is looked up once per origin by `request`: with
                # trust_env, aiohttp reads it (and ~/.netrc) again in a thread at every request.
                trust_env=False,
                # Each request sets its own timeouts.
                timeout=aiohttp.ClientTimeout(total=None),
            )
            self._loop = loop
        return self._session

    def request(
        self, method: str, url: str, **options: Any
    ) -> AbstractAsyncContextManager[aiohttp.ClientResponse]:
        """`ClientSession.request` with this pool's headers, through the environment's proxy if
        it names one.

        The headers go with each request, not as the session's defaults: aiohttp sends a
        session's default headers to a proxy given by the caller too, and turns their
        `Authorization` (a gateway's key) into the proxy's `Proxy-Authorization`.
        """
        target = URL(url)
        proxy, proxy_headers = self._proxy_for(target)
        headers = {**self._headers, **(options.pop("headers", None) or {})}
        if proxy_headers and target.scheme == "http":
            # Plain HTTP goes to the proxy as is: its credentials go with the request. (A
            # tunnel's go with the CONNECT that opens it, aiohttp's `proxy_headers`.)
            headers.update(proxy_headers)
            proxy_headers = None
        return self.session().request(
            method, url, headers=headers, proxy=proxy, proxy_headers=proxy_headers, **options
        )

    def _proxy_for(self, url: URL) -> _Proxy:
        """The proxy of HTTP(S)_PROXY / NO_PROXY for this origin, as httpx took it: a
        préfecture's way out. Read on first use, like httpx read it once per client."""
        origin = (url.scheme, url.host, url.port)
        found = self._proxies.get(origin)
        if found is None:
            found = self._proxies[origin] = _environment_proxy(url)
        return found

    async def close(self) -> None:
        session, loop = self._session, self._loop
        self._session, self._loop = None, None
        if session is None or session.closed:
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            await session.close()


def _environment_proxy(url: URL) -> _Proxy:
    if url.host is not None and urllib.request.proxy_bypass(url.host):
        return None, None
    proxy = urllib.request.getproxies().get(url.scheme)
    if not proxy:
        return None, None
    proxy_url = URL(proxy)
    # Credentials in the proxy's address go in its own header, not in the address.
    credentials = aiohttp.BasicAuth.from_url(proxy_url)
    if credentials is None:
        return proxy_url, None
    return proxy_url.with_user(None), {"Proxy-Authorization": credentials.encode()}


def request_timeout(seconds: float) -> aiohttp.ClientTimeout:
    """httpx's meaning of one timeout: for a free connection and connecting, then between two
    reads of the answer; not for the whole exchange."""
    return aiohttp.ClientTimeout(total=None, connect=seconds, sock_read=seconds)


def succeeded(status: int) -> bool:
    """A 2xx answer. Not aiohttp's `ok`, which also holds for a redirect: requests here never
    follow one (`allow_redirects=False`, as httpx did), and a redirect accepts nothing."""
    return 200 <= status < 300


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes


async def exchange(
    pool: LoopSession,
    method: str,
    url: str,
    *,
    timeout: aiohttp.ClientTimeout,
    who: str,
    provider: str,
    clock: Clock,
    **options: Any,
) -> Answer:
    """A provider's 2xx answer, or the `SendError` a channel raises: `who` names it in the
    sentences of a timeout or of an unreachable provider (« Passerelle SMS »), `provider` in
    those of a refusal (« La passerelle SMS »). Redirects are never followed."""
    try:
        async with pool.request(
            method, url, timeout=timeout, allow_redirects=False, **options
        ) as response:
            body = await response.read()
    except TimeoutError as exc:
        raise SendError(f"{who} : délai dépassé.", retryable=True) from exc
    except aiohttp.ClientError as exc:
        raise SendError(f"{who} injoignable ({exc.__class__.__name__}).", retryable=True) from exc
    if succeeded(response.status):
        return Answer(response.status, response.headers, body)
    retry_after = parse_retry_after(response.headers.get("retry-after"), clock.now())
    raise error_for_status(response.status, provider=provider, retry_after=retry_after)

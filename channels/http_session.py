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
from collections.abc import Mapping

import aiohttp


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

    def session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0),
                cookie_jar=aiohttp.DummyCookieJar(),
                headers=self._headers,
                # The proxy of HTTP(S)_PROXY / NO_PROXY, as httpx took it: a préfecture's way out.
                trust_env=True,
                # Each request sets its own timeouts.
                timeout=aiohttp.ClientTimeout(total=None),
            )
            self._loop = loop
        return self._session

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


def request_timeout(seconds: float) -> aiohttp.ClientTimeout:
    """httpx's meaning of one timeout: for a free connection and connecting, then between two
    reads of the answer; not for the whole exchange."""
    return aiohttp.ClientTimeout(total=None, connect=seconds, sock_read=seconds)


def succeeded(status: int) -> bool:
    """A 2xx answer. Not aiohttp's `ok`, which also holds for a redirect: requests here never
    follow one (`allow_redirects=False`, as httpx did), and a redirect accepts nothing."""
    return 200 <= status < 300

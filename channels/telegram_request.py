"""python-telegram-bot's transport on aiohttp (see `channels.http_session`) instead of httpx.

python-telegram-bot lets a bot make its HTTP calls through any `BaseRequest`; its default,
`HTTPXRequest`, costs 2.4 ms of CPU per message at a fan-out's concurrency, this one 0.3 ms
(`benchmarks/fanout.py` measures both). Bot API semantics — JSON parsing, error mapping,
`RetryAfter` — stay python-telegram-bot's: this class only moves bytes.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from channels.http_session import LoopSession

log = logging.getLogger(__name__)

_HEADERS = {"User-Agent": BaseRequest.USER_AGENT}


def _seconds(value: Any, default: float) -> float:
    """A per-call timeout given by python-telegram-bot, or the instance's default."""
    return default if value is BaseRequest.DEFAULT_NONE or value is None else float(value)


class AiohttpRequest(BaseRequest):
    """Bot API calls over up to `connection_pool_size` keep-alive connections."""

    def __init__(self, *, connection_pool_size: int, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds
        self._pool = LoopSession(pool_size=connection_pool_size, headers=_HEADERS)

    @property
    def read_timeout(self) -> float:
        return self._timeout

    async def initialize(self) -> None:
        self._pool.session()

    async def shutdown(self) -> None:
        await self._pool.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._pool.session()
        connect = _seconds(connect_timeout, self._timeout)
        # aiohttp has no write timeout: the whole exchange is bounded instead, by the sum of
        # what python-telegram-bot allows for each phase.
        timeout = aiohttp.ClientTimeout(
            total=connect
            + _seconds(pool_timeout, self._timeout)
            + _seconds(write_timeout, self._timeout)
            + _seconds(read_timeout, self._timeout),
            sock_connect=connect,
            sock_read=_seconds(read_timeout, self._timeout),
        )
        form = None if request_data is None else self._form(request_data)
        started = time.perf_counter()
        try:
            async with session.request(method, url, data=form, timeout=timeout) as response:
                payload = await response.read()
        except TimeoutError as exc:
            raise TimedOut("pas de réponse à temps") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
        # The endpoint only: the URL holds the bot's token.
        log.debug(
            "Bot API %s %s: HTTP %d in %.0f ms",
            method,
            url.rsplit("/", 1)[-1],
            response.status,
            (time.perf_counter() - started) * 1000,
        )
        return response.status, payload

    @staticmethod
    def _form(request_data: RequestData) -> aiohttp.FormData:
        """Parameters as a form, as HTTPXRequest sends them; multipart when there are files."""
        form = aiohttp.FormData(request_data.json_parameters)
        if request_data.contains_files:
            for name, (filename, content, mime_type) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mime_type)
        return form

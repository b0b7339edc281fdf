"""python-telegram-bot's transport on aiohttp (see `channels.http_session`) instead of httpx.

python-telegram-bot lets a bot make its HTTP calls through any `BaseRequest`; its default,
`HTTPXRequest`, costs 2.3 ms of CPU per message at a fan-out's concurrency, this one 0.26 ms
(`benchmarks/fanout.py` measures both). Bot API semantics — JSON parsing, error mapping,
`RetryAfter` — stay python-telegram-bot's: this class only moves bytes.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import aiohttp
from telegram import LinkPreviewOptions
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from channels.http_session import LoopSession

log = logging.getLogger(__name__)

_HEADERS = {"User-Agent": BaseRequest.USER_AGENT}
_JSON = {"Content-Type": "application/json"}
# As python-telegram-bot encodes an object parameter: its JSON, as a string.
_NO_PREVIEW = json.dumps(LinkPreviewOptions(is_disabled=True).to_dict())


# `RequestData` is marked final for the library's users; this transport's `do_request` is the
# only reader of what it is given, and reads nothing but `json_payload` and `contains_files`.
class _EncodedParameters(RequestData):  # type: ignore[misc]
    """Parameters already encoded as python-telegram-bot's `RequestData.json_payload` would."""

    __slots__ = ("_payload",)

    def __init__(self, payload: bytes) -> None:
        super().__init__()
        self._payload = payload

    @property
    def json_payload(self) -> bytes:
        return self._payload


def _seconds(value: Any, default: float) -> float | None:
    """A per-call timeout given by python-telegram-bot (None: no limit), or the default."""
    if value is BaseRequest.DEFAULT_NONE:
        return default
    return None if value is None else float(value)


class AiohttpRequest(BaseRequest):
    """Bot API calls over up to `connection_pool_size` keep-alive connections."""

    def __init__(self, *, connection_pool_size: int, timeout_seconds: float) -> None:
        self._timeout = timeout_seconds
        self._pool = LoopSession(pool_size=connection_pool_size, headers=_HEADERS)
        self._default_timeout = self._timeouts(*[BaseRequest.DEFAULT_NONE] * 4)

    @property
    def read_timeout(self) -> float:
        return self._timeout

    async def initialize(self) -> None:
        self._pool.session()

    async def shutdown(self) -> None:
        await self._pool.close()

    async def send_text(self, bot_url: str, chat: str, text: str) -> tuple[int, int]:
        """`sendMessage` of a text without link preview: (chat id, message id) of the result.

        A fan-out needs only those two numbers: `Bot.send_message` would also build the whole
        `Message` (its chat, its sender, its dates, its entities) and encode each parameter
        apart, for 40 % of the send's CPU. The request is the one the library sends (same
        parameters, same encoding, through `BaseRequest.post`), and so are the reading of the
        answer and its errors (`RetryAfter`, `Forbidden`…).
        """
        payload = json.dumps({"chat_id": chat, "text": text, "link_preview_options": _NO_PREVIEW})
        result = await self.post(
            f"{bot_url}/sendMessage", request_data=_EncodedParameters(payload.encode())
        )
        if not isinstance(result, dict):
            raise NetworkError("réponse inattendue de l'API Bot")
        return int(result["chat"]["id"]), int(result["message_id"])

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
        timeout = (
            self._default_timeout
            if all(
                t is BaseRequest.DEFAULT_NONE
                for t in (read_timeout, write_timeout, connect_timeout, pool_timeout)
            )
            else self._timeouts(read_timeout, write_timeout, connect_timeout, pool_timeout)
        )
        body: bytes | aiohttp.FormData | None = None
        headers = None
        if request_data is not None and request_data.contains_files:
            body = self._multipart(request_data)
        elif request_data is not None:
            # The Bot API takes JSON: one encoding of the parameters, where a form encodes
            # each one, then the whole.
            body, headers = request_data.json_payload, _JSON
        started = time.perf_counter()
        try:
            # python-telegram-bot reads the status (a redirect is an error to it), as with
            # httpx, which follows none either.
            async with self._pool.request(
                method, url, data=body, headers=headers, timeout=timeout, allow_redirects=False
            ) as response:
                payload = await response.read()
        except TimeoutError as exc:
            raise TimedOut("pas de réponse à temps") from exc
        except aiohttp.ClientError as exc:
            # The person reads the kind of failure (« Telegram injoignable
            # (ClientConnectorError) »), the log the detail (host, system error).
            log.warning("Bot API %s injoignable : %s", url.rsplit("/", 1)[-1], exc)
            raise NetworkError(exc.__class__.__name__) from exc
        if log.isEnabledFor(logging.DEBUG):  # a fan-out's hot path: nothing built otherwise
            # The endpoint only: the URL holds the bot's token.
            log.debug(
                "Bot API %s %s : HTTP %d en %.0f ms",
                method,
                url.rsplit("/", 1)[-1],
                response.status,
                (time.perf_counter() - started) * 1000,
            )
        return response.status, payload

    def _timeouts(self, read: Any, write: Any, connect: Any, pool: Any) -> aiohttp.ClientTimeout:
        """python-telegram-bot's four timeouts of a call, or this transport's default."""
        phases = [_seconds(t, self._timeout) for t in (connect, pool, write, read)]
        # aiohttp has no write timeout: the whole exchange is bounded instead, by the sum of
        # what python-telegram-bot allows for each phase (unbounded if one phase is).
        total = None if None in phases else sum(p for p in phases if p is not None)
        return aiohttp.ClientTimeout(total=total, sock_connect=phases[0], sock_read=phases[3])

    @staticmethod
    def _multipart(request_data: RequestData) -> aiohttp.FormData:
        """Parameters and files as multipart/form-data, as the Bot API takes uploads."""
        form = aiohttp.FormData(request_data.json_parameters)
        for name, (filename, content, mime_type) in request_data.multipart_data.items():
            form.add_field(name, content, filename=filename, content_type=mime_type)
        return form

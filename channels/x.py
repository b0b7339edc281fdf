"""X (Twitter) through tweepy.Client (API v2): a post, or a numbered thread when too long.

Lengths are X's weighted lengths (URLs count 23, emoji 2), measured with twitter-text-parser.
The 24-hour posting quota is read from the response headers and respected before posting.
tweepy is synchronous: each call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
import tweepy
from pydantic import SecretStr
from requests.adapters import HTTPAdapter

from channels._common import (
    error_for_status,
    guard_exercise,
    parse_retry_after,
    with_rate,
)
from channels.config import XConfig
from channels.contract import (
    ChannelLimits,
    LengthUnit,
    OutgoingMessage,
    Receipt,
    RecipientKind,
    SendError,
)
from channels.x_thread import X_MAX_WEIGHT, split_thread
from crisis.clock import Clock

_X_HOSTS = ("https://api.twitter.com", "https://api.x.com")

X_LIMITS = ChannelLimits(
    max_length=X_MAX_WEIGHT,
    length_unit=LengthUnit.X_WEIGHTED,
    rate_per_second=1.0,
    daily_quota=None,  # read from the provider's headers at run time
    supports_threads=True,
)


# --- HTTP plumbing ------------------------------------------------------------------------


class ApiBaseAdapter(HTTPAdapter):
    """Send tweepy's requests to a configured base URL (a proxy, a gateway, a test fake).

    tweepy has no base-URL option, so this adapter, mounted on the client's session for the
    X hosts, rewrites the URL just before sending; it also applies a default timeout.
    """

    def __init__(self, api_base_url: str, *, timeout: float) -> None:
        super().__init__(pool_connections=4, pool_maxsize=16)
        self._base = api_base_url.rstrip("/")
        self._timeout = timeout

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        url = request.url or ""
        for host in _X_HOSTS:
            if url.startswith(host + "/") and self._base != host:
                request.url = self._base + url[len(host) :]
                kwargs["proxies"] = {}  # the configured base is the route: no env proxy
                break
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        response: requests.Response = super().send(request, **kwargs)
        return response


@dataclass(slots=True)
class _Quota:
    remaining: int | None = None
    reset_at: datetime | None = None


def _header_int(headers: Any, name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class XChannel:
    """Public posts on the préfecture's X account."""

    name = "x"
    limits = X_LIMITS
    recipient_kind = RecipientKind.BROADCAST

    def __init__(self, config: XConfig, *, clock: Clock, name: str = "x") -> None:
        self.name = name
        self.limits = with_rate(X_LIMITS, config.rate_per_second)
        self._config = config
        self._clock = clock
        self._client_instance: tweepy.Client | None = None
        self._quota = _Quota()
        self.max_thread_parts = config.max_thread_parts
        # Parts already posted for a delivery whose thread was interrupted: a retry resumes
        # after them instead of posting them twice (kept in memory only).
        self._progress: dict[str, list[str]] = {}

    def __repr__(self) -> str:
        return f"XChannel(name={self.name!r}, api_base_url={self._config.api_base_url!r})"

    @property
    def _user_auth(self) -> bool:
        return self._config.user_access_token is None

    def _client(self) -> tweepy.Client:
        if self._client_instance is None:
            c = self._config

            def secret(value: SecretStr | None) -> str | None:
                return value.get_secret_value() if value is not None else None

            client = tweepy.Client(
                bearer_token=secret(c.user_access_token),
                consumer_key=secret(c.consumer_key),
                consumer_secret=secret(c.consumer_secret),
                access_token=secret(c.access_token),
                access_token_secret=secret(c.access_token_secret),
                return_type=requests.Response,
            )
            adapter = ApiBaseAdapter(c.api_base_url, timeout=c.timeout_seconds)
            for host in _X_HOSTS:
                client.session.mount(host + "/", adapter)
            self._client_instance = client
        return self._client_instance

    async def aclose(self) -> None:
        client, self._client_instance = self._client_instance, None
        if client is not None:
            client.session.close()

    # quota ---------------------------------------------------------------------------------

    def _note_quota(self, headers: Any) -> None:
        """Keep the tightest of the user and app 24-hour quotas seen in a response."""
        best: _Quota | None = None
        for kind in ("user", "app"):
            remaining = _header_int(headers, f"x-{kind}-limit-24hour-remaining")
            reset = _header_int(headers, f"x-{kind}-limit-24hour-reset")
            if remaining is None:
                continue
            reset_at = datetime.fromtimestamp(reset, UTC) if reset is not None else None
            if best is None or best.remaining is None or remaining < best.remaining:
                best = _Quota(remaining, reset_at)
        if best is not None:
            self._quota = best

    def _quota_wait(self, needed: int) -> float | None:
        """Seconds to wait before `needed` posts fit in the known quota, or None."""
        quota = self._quota
        if quota.remaining is None or quota.reset_at is None:
            return None
        now = self._clock.now()
        if quota.reset_at <= now:
            self._quota = _Quota()
            return None
        if quota.remaining >= needed:
            return None
        return (quota.reset_at - now).total_seconds()

    # send ----------------------------------------------------------------------------------

    async def send(self, message: OutgoingMessage) -> Receipt:
        guard_exercise(message, production=self._config.production, channel=self.name)
        if not message.text.strip():
            raise SendError("X : le texte du message est vide.", retryable=False)
        parts = split_thread(message.text)
        if len(parts) > self._config.max_thread_parts:
            raise SendError(
                f"X : texte trop long ({len(parts)} messages, au plus "
                f"{self._config.max_thread_parts} par fil).",
                retryable=False,
            )
        posted = self._progress.setdefault(message.delivery_id, [])
        wait = self._quota_wait(len(parts) - len(posted))
        if wait is not None:
            raise SendError(
                "X : quota de publication sur 24 heures épuisé.",
                retryable=True,
                retry_after=wait,
            )
        client = self._client()
        try:
            for text in parts[len(posted) :]:
                reply_to = posted[-1] if posted else None
                response = await self._call(
                    client.create_tweet,
                    text=text,
                    in_reply_to_tweet_id=reply_to,
                    user_auth=self._user_auth,
                )
                posted.append(str(response.json()["data"]["id"]))
        except SendError as error:
            if not error.retryable:
                self._progress.pop(message.delivery_id, None)
            raise
        del self._progress[message.delivery_id]
        return Receipt(
            provider_message_id=posted[0],
            accepted_at=self._clock.now(),
            provider_part_ids=tuple(posted) if len(posted) > 1 else (),
        )

    async def check(self) -> str:
        response = await self._call(self._client().get_me, user_auth=self._user_auth)
        username = response.json()["data"]["username"]
        quota = self._quota.remaining
        suffix = f", {quota} publications restantes sur 24 h" if quota is not None else ""
        return f"X joignable : compte @{username}{suffix}."

    async def _call(self, method: Any, **kwargs: Any) -> requests.Response:
        try:
            response: requests.Response = await asyncio.to_thread(method, **kwargs)
        except tweepy.errors.HTTPException as exc:
            self._note_quota(exc.response.headers)
            raise self._http_error(exc) from exc
        except requests.exceptions.Timeout as exc:
            raise SendError("X : délai dépassé.", retryable=True) from exc
        except requests.exceptions.RequestException as exc:
            raise SendError(f"X injoignable ({exc.__class__.__name__}).", retryable=True) from exc
        self._note_quota(response.headers)
        return response

    def _http_error(self, exc: tweepy.errors.HTTPException) -> SendError:
        response = exc.response
        status = int(response.status_code)
        detail = "; ".join(str(m) for m in exc.api_messages) if exc.api_messages else ""
        retry_after: float | None = None
        if status == 429:
            now = self._clock.now()
            daily = [
                _header_int(response.headers, f"x-{kind}-limit-24hour-reset")
                for kind in ("user", "app")
                if _header_int(response.headers, f"x-{kind}-limit-24hour-remaining") == 0
            ]
            resets = [r for r in daily if r is not None]
            if resets:
                detail = "quota de publication sur 24 heures épuisé"
                reset: int | None = max(resets)
            else:
                retry_after = parse_retry_after(response.headers.get("retry-after"), now)
                reset = (
                    _header_int(response.headers, "x-rate-limit-reset")
                    if retry_after is None
                    else None
                )
            if reset is not None:
                retry_after = max(0.0, reset - now.timestamp())
        return error_for_status(status, provider="X", detail=detail, retry_after=retry_after)

"""Telegram through python-telegram-bot: direct messages to a chat, posts to a public channel.

Two channel instances share one configuration: `telegram_dm` (recipient = a chat id) and
`telegram_public` (a broadcast to the configured `@channel` or numeric id).
"""

from __future__ import annotations

import logging
import threading
import warnings
from datetime import timedelta
from typing import Literal

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from channels._common import guard_exercise, redact, with_rate
from channels.config import TelegramConfig
from channels.contract import (
    ChannelLimits,
    LengthUnit,
    OutgoingMessage,
    Receipt,
    RecipientKind,
    SendError,
)
from channels.measure import utf16_length
from channels.telegram_request import AiohttpRequest
from crisis.clock import Clock
from crisis.french import duration

TELEGRAM_MAX_UTF16 = 4096

TELEGRAM_LIMITS = ChannelLimits(
    max_length=TELEGRAM_MAX_UTF16,
    length_unit=LengthUnit.UTF16,
    rate_per_second=25.0,  # Telegram's ~30/s global limit, with a margin
    per_chat_rate_per_second=1.0,
    supports_html=False,
)
# Every message goes without a link preview; python-telegram-bot's objects are immutable, so
# one serves every send.
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class _RedactTokens(logging.Filter):
    """Remove bot tokens from the records of the loggers that write full request URLs."""

    def __init__(self) -> None:
        super().__init__("telegram-token-redaction")
        self.tokens: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.tokens:
            message = record.getMessage()
            cleaned = redact(message, self.tokens)
            if cleaned != message:
                record.msg, record.args = cleaned, ()
        return True


_redaction = _RedactTokens()
_redaction_lock = threading.Lock()


# Loggers that may write the bot URL, token included: the HTTP clients' (httpx logs every
# request URL; aiohttp's client logger names URLs in its warnings) and python-telegram-bot's
# own (`telegram.Bot` logs "Set Bot API URL: …/bot<token>" at DEBUG).
# A logger's filters only see the records logged on it, not those of its children: each one
# is named.
_TOKEN_LOGGERS = (
    "httpx",
    "aiohttp.client",
    "channels.telegram_request",
    "telegram",
    "telegram.Bot",
    "telegram.BaseRequest",
    "telegram.HTTPXRequest",
)


def _protect_token(token: str) -> None:
    with _redaction_lock:
        _redaction.tokens.add(token)
        for name in _TOKEN_LOGGERS:
            logger = logging.getLogger(name)
            if _redaction not in logger.filters:
                logger.addFilter(_redaction)


def _retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


class TelegramChannel:
    """A Telegram channel; use `telegram_dm` / `telegram_public` to build one."""

    limits = TELEGRAM_LIMITS

    def __init__(
        self,
        config: TelegramConfig,
        *,
        clock: Clock,
        mode: Literal["dm", "public"],
        name: str | None = None,
    ) -> None:
        if mode == "public" and not config.public_chat:
            raise ValueError("telegram_public: public_chat manque dans la configuration")
        self._config = config
        self._clock = clock
        self._mode = mode
        self.name = name or f"telegram_{mode}"
        self.limits = with_rate(TELEGRAM_LIMITS, config.rate_per_second)
        self.recipient_kind = (
            RecipientKind.TELEGRAM_CHAT if mode == "dm" else RecipientKind.BROADCAST
        )
        self._bot_instance: Bot | None = None
        self._request: AiohttpRequest | None = None
        _protect_token(config.token.get_secret_value())

    def __repr__(self) -> str:
        return f"TelegramChannel(name={self.name!r}, base_url={self._config.base_url!r})"

    def _bot(self) -> Bot:
        if self._bot_instance is None:
            request = AiohttpRequest(
                connection_pool_size=self._config.connection_pool_size,
                timeout_seconds=self._config.timeout_seconds,
            )
            # Bot() only stores its arguments: no request is made until the first call.
            self._request = request
            self._bot_instance = Bot(
                self._config.token.get_secret_value(),
                base_url=self._config.base_url,
                request=request,
            )
        return self._bot_instance

    async def aclose(self) -> None:
        """Close the HTTP connection pool (the channel can be used again afterwards)."""
        # Bot.shutdown() does nothing for a bot never initialize()d (which would call getMe),
        # so the connection pool is closed directly.
        request, self._request, self._bot_instance = self._request, None, None
        if request is not None:
            await request.shutdown()

    def _chat_for(self, message: OutgoingMessage) -> str:
        if self._mode == "public":
            assert self._config.public_chat is not None
            return self._config.public_chat
        chat = message.recipient.strip()
        if not chat:
            raise SendError("Telegram : identifiant de discussion manquant.", retryable=False)
        return chat

    async def send(self, message: OutgoingMessage) -> Receipt:
        guard_exercise(message, production=self._config.production, channel=self.name)
        if not message.text.strip():
            raise SendError("Telegram : le texte du message est vide.", retryable=False)
        length = utf16_length(message.text)
        if length > TELEGRAM_MAX_UTF16:
            raise SendError(
                f"Telegram : message trop long ({length} unités UTF-16, "
                f"maximum {TELEGRAM_MAX_UTF16}).",
                retryable=False,
            )
        chat = self._chat_for(message)
        markup = None
        if self._mode == "dm" and message.metadata.get("purpose") == "callout":
            # An on-call page: one tap acknowledges it (handled by the service's bot).
            data = f"ack:{message.metadata.get('message_id', '')}"[:64]
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("J'arrive", callback_data=data)]])
        try:
            bot = self._bot()
            if markup is None and self._request is not None:
                # The fan-out's path: only the message's id is needed (see `send_text`).
                chat_id, message_id = await self._request.send_text(
                    bot.base_url, chat, message.text
                )
            else:
                sent = await bot.send_message(
                    chat_id=chat,
                    text=message.text,
                    link_preview_options=_NO_PREVIEW,
                    reply_markup=markup,
                )
                chat_id, message_id = sent.chat.id, sent.message_id
        except TelegramError as exc:
            raise self._error(exc) from None
        return Receipt(
            provider_message_id=f"{chat_id}:{message_id}",
            accepted_at=self._clock.now(),
        )

    async def check(self) -> str:
        try:
            me = await self._bot().get_me()
        except TelegramError as exc:
            raise self._error(exc) from None
        target = f", canal {self._config.public_chat}" if self._mode == "public" else ""
        return f"Telegram joignable : bot @{me.username}{target}."

    def _error(self, exc: TelegramError) -> SendError:
        """Map a python-telegram-bot error; the token never reaches the message."""
        detail = redact(exc.message, [self._config.token.get_secret_value()])
        if isinstance(exc, RetryAfter):
            seconds = _retry_after_seconds(exc)
            return SendError(
                f"Telegram limite le débit : réessayer dans {duration(seconds)}.",
                retryable=True,
                retry_after=seconds,
            )
        if isinstance(exc, TimedOut):
            return SendError(f"Telegram : délai dépassé ({detail}).", retryable=True)
        if isinstance(exc, InvalidToken):
            return SendError("Telegram : jeton du bot refusé.", retryable=False)
        if isinstance(exc, Forbidden):
            return SendError(f"Telegram : envoi interdit ({detail}).", retryable=False)
        if isinstance(exc, BadRequest):
            return SendError(f"Telegram : requête refusée ({detail}).", retryable=False)
        if isinstance(exc, ChatMigrated):
            return SendError(
                f"Telegram : la discussion a migré vers {exc.new_chat_id}.", retryable=False
            )
        if isinstance(exc, NetworkError):
            return SendError(f"Telegram injoignable ({detail}).", retryable=True)
        return SendError(f"Telegram : erreur ({detail}).", retryable=False)


def telegram_dm(config: TelegramConfig, *, clock: Clock) -> TelegramChannel:
    """Direct messages: `OutgoingMessage.recipient` is the chat id."""
    return TelegramChannel(config, clock=clock, mode="dm", name="telegram_dm")


def telegram_public(config: TelegramConfig, *, clock: Clock) -> TelegramChannel:
    """Posts to the public channel named by `config.public_chat`."""
    return TelegramChannel(config, clock=clock, mode="public", name="telegram_public")

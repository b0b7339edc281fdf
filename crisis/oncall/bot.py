"""The on-call Telegram bot (python-telegram-bot `Application`).

`/start CODE` binds a chat to a member of the rota, `/ack` and the « J'arrive » button
acknowledge the member's pending pages, `/status` gives the clocks in French, `/aide` helps.

Two modes: webhook in production (the service's `POST /telegram/webhook` hands each update
to `TelegramBot.process`) and polling for development (`crisis bot --polling`). The
Application runs on an event loop of its own, in its own thread, whatever the web server's
loop: handlers call the (synchronous) message bus in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from crisis.domain.errors import DomainError
from crisis.domain.oncall import AcknowledgePage, BindTelegram
from crisis.domain.vocabulary import CLOCK_LABELS, CLOCK_STATE_LABELS, ClockState, CrisisState
from crisis.french import long_datetime
from crisis.services.bus import MessageBus
from crisis.services.context import Actor

log = logging.getLogger(__name__)

BOT_ACTOR = Actor(name="bot Telegram", role="system")
ACK_BUTTON_PREFIX = "ack"
T = TypeVar("T")

HELP = (
    "Bot d'astreinte de la préfecture.\n"
    "/start CODE – associer ce compte Telegram à votre astreinte (code remis par le cadre "
    "de permanence)\n"
    "/ack – accuser réception de vos appels en attente (ou touchez « J'arrive »)\n"
    "/status – les horloges des événements en cours\n"
    "/aide – cette aide"
)


def build_application(
    *, token: str, base_url: str, polling: bool
) -> Application[Any, Any, Any, Any, Any, Any]:
    builder = ApplicationBuilder().token(token).base_url(base_url)
    if not polling:
        builder = builder.updater(None)
    return builder.build()


class TelegramBot:
    def __init__(
        self, bus: MessageBus, *, token: str, base_url: str, polling: bool = False
    ) -> None:
        self._bus = bus
        self.application = build_application(token=token, base_url=base_url, polling=polling)
        self.application.add_handler(CommandHandler("start", self._start))
        self.application.add_handler(CommandHandler("ack", self._ack))
        self.application.add_handler(CommandHandler("status", self._status))
        self.application.add_handler(CommandHandler(["aide", "help"], self._help))
        self.application.add_handler(
            CallbackQueryHandler(self._button, pattern=f"^{ACK_BUTTON_PREFIX}")
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._offset = 0

    # -- lifecycle (webhook mode and tests) --------------------------------------------------

    def _run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        self.start()
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def start(self) -> None:
        with self._lock:
            if self._loop is not None:
                return
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="telegram-bot", daemon=True)
            thread.start()
            self._loop, self._thread = loop, thread
        asyncio.run_coroutine_threadsafe(self.application.initialize(), loop).result(30)

    def stop(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.application.shutdown(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()

    def process(self, data: dict[str, Any]) -> None:
        """Handle one update received on the webhook."""

        async def handle() -> None:
            update = Update.de_json(data, self.application.bot)
            await self.application.process_update(update)

        self._run(handle())

    def poll_once(self, timeout: int = 0) -> int:
        """Fetch pending updates with getUpdates (long polling for `timeout` seconds) and
        handle them; returns how many."""

        async def poll() -> int:
            updates = await self.application.bot.get_updates(offset=self._offset, timeout=timeout)
            for update in updates:
                self._offset = update.update_id + 1
                await self.application.process_update(update)
            return len(updates)

        return self._run(poll(), timeout=timeout + 30.0)

    def delete_webhook(self) -> bool:
        """Polling and a webhook exclude each other on Telegram's side."""
        done: bool = self._run(self.application.bot.delete_webhook())
        return done

    def set_webhook(self, url: str, secret: str) -> bool:
        done: bool = self._run(
            self.application.bot.set_webhook(url=url, secret_token=secret, allowed_updates=None)
        )
        return done

    # -- handlers ----------------------------------------------------------------------------

    async def _call(self, command: Any) -> Any:
        return await asyncio.to_thread(self._bus.handle, command, actor=BOT_ACTOR)

    @staticmethod
    async def _reply(update: Update, text: str) -> None:
        if update.effective_chat is not None:
            await update.effective_chat.send_message(text)

    async def _start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        args = context.args or []
        if not args:
            await self._reply(
                update,
                "Bonjour ! Pour recevoir les appels d'astreinte ici, envoyez /start suivi du "
                "code remis par le cadre de permanence (par exemple : /start K7M2P9QX).",
            )
            return
        try:
            result = await self._call(BindTelegram(code=args[0], telegram_chat_id=str(chat.id)))
        except DomainError as error:
            await self._reply(update, f"Association refusée : {error.message}")
            return
        await self._reply(
            update,
            f"C'est fait, {result['member']} : ce compte Telegram recevra vos appels "
            "d'astreinte. Pour accuser réception d'un appel, touchez « J'arrive » ou envoyez /ack.",
        )

    async def _acknowledge(self, update: Update) -> str:
        chat = update.effective_chat
        assert chat is not None
        try:
            report = await self._call(
                AcknowledgePage(via="telegram", telegram_chat_id=str(chat.id))
            )
        except DomainError as error:
            return error.message
        items = "; ".join(f"{a['role']} – {a['crisis']}" for a in report.acknowledged)
        return f"Merci {report.member_name}, accusé de réception enregistré : {items}."

    async def _ack(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(update, await self._acknowledge(update))

    async def _button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        text = await self._acknowledge(update)
        await query.answer(text[:200])
        await self._reply(update, text)

    async def _status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        text = await asyncio.to_thread(self._status_text, str(chat.id))
        await self._reply(update, text)

    def _status_text(self, chat_id: str) -> str:
        with self._bus.unit_of_work() as uow:
            if uow.oncall.member_by_chat(chat_id) is None:
                return (
                    "Réservé aux membres d'astreinte : associez d'abord ce compte avec "
                    "/start suivi de votre code."
                )
            active = uow.crises.find(states=[CrisisState.COD_ACTIVE])
        if not active:
            return "Aucun événement en cours."
        lines: list[str] = []
        for crisis in active:
            marker = " [EXERCICE]" if crisis.exercise else ""
            lines.append(f"{crisis.title}{marker}")
            for clock in crisis.clocks.values():
                state = CLOCK_STATE_LABELS[clock.state]
                detail = (
                    f"tenu le {long_datetime(clock.met_at)}"
                    if clock.met_at is not None and clock.state is ClockState.MET
                    else f"{state}, échéance le {long_datetime(clock.deadline)}"
                )
                lines.append(f"• {CLOCK_LABELS[clock.name]} : {detail}")
        return "\n".join(lines)

    async def _help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(update, HELP)


def bot_for(service: Any, *, polling: bool = False) -> TelegramBot | None:
    """The bot of the configured Telegram channel (production first, else exercise)."""
    config = service.catalog.config
    telegram = config.production.telegram or config.exercise.telegram
    if telegram is None:
        return None
    return TelegramBot(
        service.bus,
        token=telegram.token.get_secret_value(),
        base_url=telegram.base_url,
        polling=polling,
    )

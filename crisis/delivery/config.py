"""The delivery configuration file: channels for real events and for exercises, which channels
reach which audience, fallbacks, who gets the clock alerts, and the dispatcher's pace.

Secrets never live in the file: a value written `${NAME}` is read from the environment
variable NAME, or else from the secrets file (a YAML mapping NAME: value).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from channels.config import ChannelsConfig, OvhSmsConfig, SmppConfig
from crisis.domain.messages import ChannelName
from crisis.domain.vocabulary import Audience
from crisis.french import os_reason
from crisis.validation import field_path, french_reason

_PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


class ConfigError(Exception):
    """A configuration that cannot be used, with a French explanation."""


class PublicConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = "http://127.0.0.1:8000"
    feed_id: str = "tag:prefecture.gouv.fr,2026:crise"
    title: str = "Préfecture — informations de crise"
    author: str = "Préfecture"
    cap_sender: str = "prefecture@interieur.gouv.fr"
    cap_contact: str | None = None

    def page_url(self, *, exercise: bool) -> str:
        """The population's page, or the exercise page where a drill's messages live."""
        page = self.base_url.rstrip("/") + "/public"
        return f"{page}/exercice" if exercise else page


class AlertRecipient(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    role: str = Field(default="cadre_permanence", pattern="^(cadre_permanence|cabinet)$")
    email: str | None = None
    mobile: str | None = None
    telegram_chat_id: str | None = None
    exercise: bool = True


class AlertsConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    channels: list[ChannelName] = Field(
        default_factory=lambda: [ChannelName.TELEGRAM_DM, ChannelName.SMS, ChannelName.EMAIL]
    )
    recipients: list[AlertRecipient] = Field(default_factory=list)
    # A channel is declared down after this many retryable failures in a row, or this long
    # failing without an acceptance: one alert then, one when it accepts again.
    outage_failures: int = Field(default=5, ge=1)
    outage_minutes: float = Field(default=2.0, gt=0)


class RetrySettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    base_seconds: float = Field(default=2.0, gt=0)
    factor: float = Field(default=2.0, ge=1)
    max_delay_seconds: float = Field(default=300.0, gt=0)
    # A delivery is retried until this much time has passed since it was queued, however
    # many attempts that takes (the backoff stops growing at max_delay_seconds).
    give_up_after_minutes: float = Field(default=120.0, gt=0)


class DispatcherSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    batch_size: int = Field(default=100, ge=1, le=5000)
    concurrency: int = Field(default=50, ge=1, le=1000)
    lease_seconds: float = Field(default=60.0, gt=0)
    idle_seconds: float = Field(default=0.5, gt=0)
    retry: RetrySettings = Field(default_factory=RetrySettings)


def _default_audiences() -> dict[Audience, list[ChannelName]]:
    return {
        Audience.ELUS: [ChannelName.EMAIL, ChannelName.SMS, ChannelName.TELEGRAM_DM],
        Audience.MEDIA: [ChannelName.EMAIL, ChannelName.TELEGRAM_DM],
        Audience.PUBLIC: [
            ChannelName.FEED,
            ChannelName.CAP,
            ChannelName.X,
            ChannelName.TELEGRAM_PUBLIC,
            ChannelName.WEBHOOK,
        ],
    }


class DeliveryConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    production: ChannelsConfig = Field(default_factory=ChannelsConfig)
    exercise: ChannelsConfig = Field(default_factory=ChannelsConfig)
    audiences: dict[Audience, list[ChannelName]] = Field(default_factory=_default_audiences)
    fallbacks: dict[ChannelName, ChannelName] = Field(
        default_factory=lambda: {ChannelName.TELEGRAM_DM: ChannelName.SMS}
    )
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    dispatcher: DispatcherSettings = Field(default_factory=DispatcherSettings)
    public: PublicConfig = Field(default_factory=PublicConfig)

    @model_validator(mode="after")
    def _exercise_channels_are_sandboxes(self) -> DeliveryConfig:
        for name in ("telegram", "x", "email", "sms", "webhook", "voice"):
            section = getattr(self.exercise, name)
            if section is not None and section.production:
                raise ValueError(
                    f"exercise.{name} : un canal d'exercice doit porter « production: false »"
                )
        real, drill = self.production.sms, self.exercise.sms
        if (
            isinstance(real, SmppConfig)
            and isinstance(drill, SmppConfig)
            and (real.host, real.port, real.system_id) == (drill.host, drill.port, drill.system_id)
        ):
            raise ValueError(
                "exercise.sms : les exercices passent par une liaison SMPP à eux (un autre "
                "system_id, demandé à l'opérateur), jamais par celle des envois réels"
            )
        if (
            isinstance(real, OvhSmsConfig)
            and isinstance(drill, OvhSmsConfig)
            and (real.service_name, real.login) == (drill.service_name, drill.login)
        ):
            raise ValueError(
                "exercise.sms : les exercices passent par un utilisateur SMS OVHcloud à eux "
                "(un autre login, ou un autre compte SMS), jamais par celui des envois réels"
            )
        if (
            isinstance(real, OvhSmsConfig)
            and isinstance(drill, OvhSmsConfig)
            and real.callback_token.get_secret_value() == drill.callback_token.get_secret_value()
        ):
            raise ValueError(
                "exercise.sms : le jeton de rappel (callback_token) des exercices doit différer "
                "de celui des envois réels"
            )
        return self


def _load_yaml(path: Path, unreadable: str) -> Any:
    """A configuration file's YAML ({} when empty); a `ConfigError` in French otherwise."""
    try:
        text = path.read_text("utf-8")
    except OSError as error:
        raise ConfigError(f"{unreadable} : {os_reason(error)}.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{unreadable} : texte UTF-8 attendu.") from None
    try:
        return yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        # The place only: YAML's own message quotes the text around the fault (a secret, in
        # the secrets file) and is in English.
        mark = getattr(error, "problem_mark", None)
        where = f", ligne {mark.line + 1}, colonne {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{unreadable} : YAML invalide{where}.") from None


def read_secrets_file(secrets_file: Path | None) -> dict[str, str]:
    if secrets_file is None:
        return {}
    loaded = _load_yaml(secrets_file, f"Fichier de secrets illisible ({secrets_file})")
    if not isinstance(loaded, dict):
        raise ConfigError(
            f"Le fichier de secrets {secrets_file} doit contenir des paires NOM: valeur."
        )
    return {str(k): str(v) for k, v in loaded.items()}


def _substitute(value: Any, lookup: Mapping[str, str], where: str) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, lookup, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, lookup, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in lookup:
                raise ConfigError(
                    f"{where.lstrip('.')} : le secret {name} n'est défini ni dans "
                    "l'environnement ni dans le fichier de secrets."
                )
            return lookup[name]

        return _PLACEHOLDER.sub(replace, value)
    return value


def load_delivery_config(
    path: Path | None,
    *,
    secrets_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> DeliveryConfig:
    if path is None:
        return DeliveryConfig()
    raw = _load_yaml(path, f"Fichier de canaux illisible ({path})")
    lookup = {**read_secrets_file(secrets_file), **(environ if environ is not None else os.environ)}
    try:
        return DeliveryConfig.model_validate(_substitute(raw, lookup, ""))
    except ValidationError as error:
        problems = "; ".join(
            f"{field_path(e['loc']) or 'fichier'} : {french_reason(e)}" for e in error.errors()
        )
        # The input values are left out on purpose: they may be secrets.
        raise ConfigError(f"Configuration des canaux invalide ({path}) : {problems}") from None

"""The channels' typed configuration, apart from the channels themselves.

Reading and checking a configuration imports no provider library: python-telegram-bot, tweepy,
aiohttp and the SMTP client load only when a channel is built (`channels.registry`), so a
command that sends nothing starts without them.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    field_validator,
    model_validator,
)

from channels._common import RATE_OVERRIDE_HELP

MIN_KEY_BYTES = 32  # the service's rule for every signing secret (crisis/secret_strength.py)
# 32 random bytes hold about 26 different values; fewer than 16 is a made-up key.
MIN_DISTINCT_KEY_BYTES = 16
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of the format, not a secret


class TelegramConfig(BaseModel):
    """One bot; `public_chat` names the public channel (`@canal` or `-100…`), if any."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    token: SecretStr
    base_url: str = "https://api.telegram.org/bot"
    public_chat: str | None = None
    production: bool = True
    connection_pool_size: int = Field(default=64, ge=1)
    timeout_seconds: float = Field(default=10.0, gt=0)
    rate_per_second: float | None = Field(default=None, gt=0, description=RATE_OVERRIDE_HELP)


class XConfig(BaseModel):
    """OAuth 1.0a user credentials (four values) or an OAuth 2.0 user access token."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    consumer_key: SecretStr | None = None
    consumer_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    access_token_secret: SecretStr | None = None
    user_access_token: SecretStr | None = None
    api_base_url: str = "https://api.twitter.com"
    production: bool = True
    timeout_seconds: float = Field(default=10.0, gt=0)
    rate_per_second: float | None = Field(default=None, gt=0, description=RATE_OVERRIDE_HELP)
    max_thread_parts: int = Field(default=10, ge=1, le=25)

    @model_validator(mode="after")
    def _one_credential_set(self) -> Self:
        oauth1 = (
            self.consumer_key,
            self.consumer_secret,
            self.access_token,
            self.access_token_secret,
        )
        if self.user_access_token is None and any(v is None for v in oauth1):
            raise ValueError(
                "X : il faut les quatre identifiants OAuth 1.0a ou un jeton OAuth 2.0 utilisateur"
            )
        return self


class EmailConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str
    port: int = Field(default=587, gt=0, lt=65536)
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    from_address: str
    from_name: str | None = None
    reply_to: str | None = None
    ca_file: Path | None = None  # an extra trust anchor (an internal relay's CA)
    timeout_seconds: float = Field(default=15.0, gt=0)
    rate_per_second: float | None = Field(default=None, gt=0, description=RATE_OVERRIDE_HELP)
    local_hostname: str | None = None  # the EHLO name
    production: bool = True
    connections: int = Field(
        default=4, ge=1, le=50, description="Connexions SMTP gardées ouvertes entre deux envois."
    )
    idle_seconds: float = Field(
        default=30.0, gt=0, description="Au-delà, une connexion inutilisée est refermée."
    )


def callback_token(token: SecretStr) -> SecretStr:
    """A provider's callback token, the secret end of the URL its reports come to."""
    value = token.get_secret_value()
    if len(value) < MIN_CALLBACK_TOKEN or not _TOKEN.match(value):
        raise ValueError(
            "jeton de rappel : 32 caractères au moins, lettres, chiffres, - et _ "
            "(« crisis secrets generate » en donne un)"
        )
    return token


class SmsConfig(BaseModel):
    """« Passerelle HTTP générique »: POST {to, text, sender} with a bearer key; with a
    `callback_token`, the gateway reports what reached the handsets to
    `/api/v1/sms/passerelle/{callback_token}`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    protocol: Literal["http"] = "http"
    base_url: str
    api_key: SecretStr
    sender: str = Field(default="PREFECTURE", max_length=11)
    max_segments: int = Field(default=3, ge=1, le=10)
    timeout_seconds: float = Field(default=10.0, gt=0)
    rate_per_second: float | None = Field(default=None, gt=0, description=RATE_OVERRIDE_HELP)
    production: bool = True
    connection_pool_size: int = Field(default=64, ge=1)
    callback_token: SecretStr | None = Field(
        default=None,
        description="Fin secrète de l'URL où la passerelle rapporte la remise au téléphone.",
    )

    @field_validator("callback_token")
    @classmethod
    def _long_token(cls, token: SecretStr | None) -> SecretStr | None:
        return None if token is None else callback_token(token)


MIN_CALLBACK_TOKEN = 32
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")
_ALPHANUMERIC_SENDER = re.compile(r"^[A-Za-z0-9 ._-]{1,11}$")
_NUMERIC_SENDER = re.compile(r"^\+?[0-9]{1,20}$")


class SmppConfig(BaseModel):
    """An SMPP 3.4 account at an operator or aggregator, bound as transceiver, or as a
    transmitter + receiver pair (`bind: pair`) where the operator offers no transceiver."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    protocol: Literal["smpp"]
    host: str = Field(min_length=1)
    port: int = Field(default=2775, gt=0, lt=65536)
    tls: bool = False
    ca_file: Path | None = None  # the operator's CA, when it is not a public one
    system_id: str = Field(min_length=1, max_length=15)
    password: SecretStr
    system_type: str = Field(default="", max_length=12)
    bind: Literal["transceiver", "pair"] = Field(
        default="transceiver",
        description="transceiver : une connexion ; pair : un transmitter pour envoyer et un "
        "receiver pour les accusés.",
    )
    source_addr: str = Field(description="Émetteur : nom (11 caractères au plus) ou numéro.")
    source_addr_ton: int | None = Field(default=None, ge=0, le=6)
    source_addr_npi: int | None = Field(default=None, ge=0, le=18)
    long_messages: Literal["udh", "message_payload"] = "udh"
    registered_delivery: bool = True
    receipt_ids: Literal["as_is", "decimal_to_hex", "hex_to_decimal"] = Field(
        default="as_is",
        description="Conversion de l'identifiant des accusés vers celui des réponses au "
        "submit_sm, pour un opérateur qui écrit l'un en décimal et l'autre en hexadécimal.",
    )
    window: int = Field(default=10, ge=1, le=100)
    max_segments: int = Field(default=3, ge=1, le=10)
    rate_per_second: float | None = Field(default=None, gt=0, description=RATE_OVERRIDE_HELP)
    response_timeout_seconds: float = Field(default=10.0, gt=0)
    enquire_link_seconds: float = Field(default=30.0, gt=0)
    reconnect_min_seconds: float = Field(default=1.0, gt=0)
    reconnect_max_seconds: float = Field(default=60.0, gt=0)
    production: bool = True

    @field_validator("source_addr")
    @classmethod
    def _sender(cls, value: str) -> str:
        if not (_ALPHANUMERIC_SENDER.match(value) or _NUMERIC_SENDER.match(value)):
            raise ValueError(
                "émetteur invalide : un nom de 11 caractères au plus (lettres, chiffres) "
                "ou un numéro"
            )
        return value


class OvhSmsConfig(BaseModel):
    """OVHcloud's SMS API: jobs posted as one SMS user of one SMS account, signed with the
    application's keys; delivery reports come back to the user's callback URL, which ends
    with `callback_token` (`crisis/api/sms_reports.py`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    protocol: Literal["ovh"]
    endpoint: str = Field(
        default="https://eu.api.ovh.com/1.0", description="Point d'accès de l'API OVHcloud."
    )
    application_key: str = Field(min_length=1)
    application_secret: SecretStr
    consumer_key: SecretStr
    service_name: str = Field(min_length=1, description="Le compte SMS (sms-xx11111-1).")
    login: str = Field(
        min_length=1, description="L'utilisateur SMS : ses envois rappellent son URL de rappel."
    )
    sender: str | None = Field(
        default=None, max_length=11, description="Expéditeur déclaré sur le compte SMS."
    )
    sender_for_response: bool = Field(
        default=False, description="Envoyer depuis un numéro court qui permet la réponse."
    )
    no_stop_clause: bool = Field(
        default=True, description="Message non commercial : pas de mention STOP."
    )
    validity_period_minutes: int = Field(default=2880, ge=1, le=4320)
    callback_token: SecretStr = Field(
        description="Fin secrète de l'URL de rappel des accusés (32 caractères au moins)."
    )
    max_segments: int = Field(default=3, ge=1, le=10)
    timeout_seconds: float = Field(default=10.0, gt=0)
    rate_per_second: float | None = Field(default=None, gt=0, description=RATE_OVERRIDE_HELP)
    production: bool = True
    connection_pool_size: int = Field(default=16, ge=1)

    @field_validator("callback_token")
    @classmethod
    def _long_token(cls, token: SecretStr) -> SecretStr:
        return callback_token(token)

    @model_validator(mode="after")
    def _one_sender(self) -> Self:
        if (self.sender is None) == (not self.sender_for_response):
            raise ValueError(
                "OVHcloud : un expéditeur déclaré (sender) ou un numéro court "
                "(sender_for_response: true), l'un ou l'autre"
            )
        return self


def _sms_protocol(data: Any) -> str:
    if isinstance(data, dict):
        return str(data.get("protocol", "http"))
    return str(getattr(data, "protocol", "http"))


SmsSection = Annotated[
    Annotated[SmsConfig, Tag("http")]
    | Annotated[SmppConfig, Tag("smpp")]
    | Annotated[OvhSmsConfig, Tag("ovh")],
    Discriminator(_sms_protocol),
]


class WebhookConfig(BaseModel):
    """`url` is used when a message names no endpoint (`OutgoingMessage.recipient` empty)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    secret: SecretStr
    url: str | None = None
    timeout_seconds: float = Field(default=10.0, gt=0)
    rate_per_second: float | None = Field(default=None, gt=0, description=RATE_OVERRIDE_HELP)
    production: bool = True

    @field_validator("secret")
    @classmethod
    def _standard_secret(cls, secret: SecretStr) -> SecretStr:
        secret_key(secret.get_secret_value())
        return secret


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret (the prefix is optional, as in the libraries)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(
            "secret du webhook invalide : « whsec_ » suivi d'une clé en base64 attendu"
        ) from error
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            "secret du webhook trop court : 32 octets au moins (44 caractères en base64 ; "
            "« crisis secrets generate » en donne un)"
        )
    if len(set(key)) < MIN_DISTINCT_KEY_BYTES:
        raise ValueError(
            "secret du webhook trop faible : une clé répétitive (32 octets nuls, un même octet) "
            "n'est pas aléatoire ; « crisis secrets generate » en donne une"
        )
    return key


class VoiceConfig(BaseModel):
    """Outgoing calls through a SIP trunk or the préfecture's IPBX (`proxy`: `host:port`, UDP).

    With `username` and `password`, the service registers with the trunk (digest
    authentication) and answers its challenges; without them, the trunk is static (the
    service's address is declared on the operator's side)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    protocol: Literal["sip"] = "sip"
    proxy: str = Field(description="Relais SIP (host:port, UDP ; port 5060 par défaut).")
    transport: Literal["udp"] = "udp"
    domain: str | None = Field(
        default=None,
        description="Domaine SIP des adresses appelées (par défaut : l'hôte du relais).",
    )
    username: str | None = None
    password: SecretStr | None = None
    caller_id: str = Field(min_length=1, description="Numéro présenté aux appelés.")
    display_name: str = "Prefecture"
    test_number: str | None = None
    max_calls: int = Field(
        default=4, ge=1, le=500, description="Appels simultanés au plus (canaux du trunk)."
    )
    calls_per_second: float = Field(default=1.0, gt=0, le=100)
    ring_seconds: float = Field(
        default=30.0, gt=0, le=120, description="Sonnerie sans décroché au-delà : pas de réponse."
    )
    plays: int = Field(
        default=2, ge=1, le=5, description="Lectures du message au plus, faute de touche."
    )
    key_wait_seconds: float = Field(default=4.0, ge=0, le=30)
    retry_seconds: float = Field(
        default=60.0, ge=0, le=3600, description="Après occupé ou sans réponse, rappel au plus tôt."
    )
    max_spoken_seconds: int = Field(
        default=45, ge=5, le=300, description="Durée parlée maximale d'un message (secondes)."
    )
    codec: Literal["pcmu", "pcma"] = "pcmu"
    voice: str = "fr"
    words_per_minute: int = Field(default=150, ge=80, le=400)
    bind_host: str = "0.0.0.0"  # noqa: S104 - the trunk must reach our RTP and SIP ports
    advertised_host: str | None = None
    register_expires: int = Field(default=300, ge=60, le=86_400)
    cache_dir: Path | None = None
    production: bool = True

    @field_validator("proxy")
    @classmethod
    def _host_port(cls, value: str) -> str:
        proxy_address(value)
        return value

    @model_validator(mode="after")
    def _both_credentials(self) -> Self:
        if (self.username is None) != (self.password is None):
            raise ValueError("voix : l'identifiant et le mot de passe SIP vont ensemble")
        return self

    def proxy_address(self) -> tuple[str, int]:
        return proxy_address(self.proxy)

    def sip_domain(self) -> str:
        return self.domain or self.proxy_address()[0]


def proxy_address(value: str) -> tuple[str, int]:
    """`host:port` (or `host`, port 5060) of a SIP proxy."""
    host, colon, port = value.strip().rpartition(":")
    if not colon:
        host, port = value.strip(), "5060"
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("relais SIP attendu sous la forme hôte:port (ex. 10.1.2.3:5060)")
    return host, int(port)


class ChannelsConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    telegram: TelegramConfig | None = None
    x: XConfig | None = None
    email: EmailConfig | None = None
    sms: SmsSection | None = None
    webhook: WebhookConfig | None = None
    voice: VoiceConfig | None = None

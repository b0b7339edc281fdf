"""Typed settings, read once from the environment (prefix CRISIS_) or a `.env` file."""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Literal

import pydantic_settings
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crisis.defaults import EXERCISE_MARKER
from crisis.domain.clocks import ClockPolicy
from crisis.domain.signin_throttle import Policy, Scope
from crisis.domain.vocabulary import Audience, ClockName
from crisis.validation import field_path, french_reason

StepUp = Literal["none", "passkey", "password"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRISIS_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None, description="URL SQLAlchemy ; par défaut SQLite dans data_dir."
    )
    host: str = "127.0.0.1"
    port: int = 8000

    cell_target_minutes: int = Field(default=60, gt=0)
    elus_met_on: Literal["acceptance", "delivery"] = Field(
        default="acceptance",
        description="Ce qui arrête l'horloge des élus : l'acceptation d'un message factuel par "
        "un fournisseur (acceptance), ou le premier accusé de remise d'un SMS au téléphone "
        "d'un élu (delivery).",
    )
    audience_target_minutes: int = Field(default=60, gt=0)
    warning_offsets_minutes: list[int] = Field(default_factory=lambda: [30, 45, 55])
    synergi_pattern: str = Field(
        default=r".*\S.*", description="Expression régulière d'une référence SYNERGI valide."
    )
    # The safety net of the scheduler: every running clock is checked this often.
    sweep_seconds: int = Field(default=15, gt=0)
    # How often a standby `crisis serve` tries to take over the scheduler (README « Exploitation »).
    leader_poll_seconds: float = Field(default=2.0, gt=0, le=10)
    # Operations (README « Exploitation »).
    log_format: Literal["text", "json"] = Field(
        default="text", description="Forme des journaux techniques : text ou json (une ligne JSON)."
    )
    log_level: str | None = Field(
        default=None,
        description="Seuil des journaux (DEBUG, INFO, WARNING…) ; par défaut INFO pour le "
        "service et le répartiteur, WARNING pour les autres commandes.",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        min_length=1,
        description="Adresses des mandataires inverses dont X-Forwarded-Proto et X-Forwarded-For "
        "sont crus (liste séparée par des virgules, réseaux CIDR admis, * pour tous) : derrière "
        "un nginx ou un Caddy sur une autre machine, son adresse, sans quoi les cookies de "
        "session perdent l'attribut Secure.",
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="Jeton exigé par /metrics (Authorization: Bearer …)."
    )
    metrics_port: int | None = Field(
        default=None,
        gt=0,
        lt=65536,
        description="Port d'un serveur de métriques à part (crisis worker, ou /metrics hors API).",
    )
    channels_file: Path | None = Field(
        default=None, description="Fichier YAML des canaux (voir le README) ; aucun par défaut."
    )
    secrets_file: Path | None = Field(
        default=None, description="Fichier YAML NOM: valeur des secrets cités en ${NOM}."
    )
    exercise_marker: str = Field(default=EXERCISE_MARKER, min_length=1)
    worker_name: str = Field(default="dispatcher-1", min_length=1, max_length=120)
    # How long the API remembers who holds a token; a user deactivated in the database loses
    # access after at most this long (0: look every token up on every request).
    auth_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    # Requests the API serves at once, each in its own thread with its own connection.
    api_threads: int = Field(default=20, ge=1, le=200)
    # Messages to these audiences leave only once the préfet (or a delegate) has approved them.
    approval_audiences: list[Audience] = Field(
        default_factory=lambda: [Audience.ELUS, Audience.PUBLIC, Audience.MEDIA],
        description="Publics dont les messages doivent être validés par le préfet (JSON).",
    )

    # Request limits (README « Limites des requêtes »): answered 413 before any parsing.
    max_body_bytes: int = Field(default=1_000_000, gt=0, description="Corps de requête maximal.")
    max_upload_bytes: int = Field(
        default=5_000_000, gt=0, description="Corps maximal des routes qui reçoivent un fichier."
    )
    max_backdate_days: int = Field(
        default=7,
        ge=0,
        description="Ancienneté maximale d'une décision d'activation du COD, en jours.",
    )

    # On-call cell, callout and CIP (README « Astreinte, appel de la cellule et CIP »).
    callout_on_activation: bool = True
    callout_ack_minutes: int = Field(default=10, gt=0, le=240)
    callout_escalations: int = Field(default=2, ge=0, le=10)
    cell_quorum: list[str] = Field(
        default_factory=lambda: ["chef_de_cellule", "redacteur", "charge_reseaux_sociaux"]
    )
    cip_quorum: list[str] = Field(default_factory=lambda: ["chef_de_salle_cip", "operateur_cip"])
    # Role → member names paged after the rota's own candidates.
    oncall_backups: dict[str, list[str]] = Field(default_factory=dict)
    cip_target_minutes: int = Field(default=60, gt=0)
    cip_hours: str = Field(default="tous les jours, 24 h sur 24", min_length=1)
    # How a page reaches a member, in order: each channel (that is configured and for which
    # the member has an address) this many minutes after the page. The call comes after
    # the texts; it is not made once the page is acknowledged.
    callout_methods: dict[str, int] = Field(
        default_factory=lambda: {"telegram_dm": 0, "sms": 0, "email": 0, "voice": 3},
        description="Moyens d'appel d'astreinte et leur délai en minutes (JSON), ex. "
        '{"telegram_dm": 0, "sms": 0, "voice": 3}.',
    )
    callout_place: str = Field(default="salle de crise de la préfecture", min_length=1)
    callout_contact_phone: str | None = Field(
        default=None, description="Numéro du cadre de permanence cité dans l'appel."
    )
    # The approvers of a submitted message are called one after the other (through the
    # callout methods above): each has this long at most before the next one is called; the
    # delays shorten so that the last is called this long before the audience's deadline
    # at the latest; the list is gone through this many times (README « Valideurs appelés »).
    approval_call_minutes: int = Field(default=10, gt=0, le=240)
    approval_last_call_minutes: int = Field(default=15, ge=0, le=60)
    approval_passes: int = Field(default=2, ge=1, le=5)
    # Acknowledgement links carry random tokens stored hashed: no key to keep (a former
    # CRISIS_ACK_SECRET is ignored). Their validity, at most:
    ack_link_minutes: int = Field(default=240, gt=0)
    bind_code_minutes: int = Field(default=1440, gt=0)
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_url: str | None = None
    telegram_bot_username: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z][A-Za-z0-9_]{3,31}$",
        description="Nom du robot Telegram (sans @), pour le lien t.me du code de liaison.",
    )

    # The exercise programme (README « Programme d'exercices et exercices en direct »).
    drill_catchup_minutes: int = Field(
        default=60,
        gt=0,
        description="Un exercice programmé échu depuis plus longtemps (service arrêté) est "
        "journalisé comme manqué au lieu d'être joué.",
    )
    drill_scenarios_dir: Path | None = Field(
        default=None,
        description="Dossier des scénarios que l'API peut programmer ; par défaut "
        "data_dir/scenarios (la ligne de commande accepte tout fichier).",
    )

    # The web console (README « Console »).
    prefecture_name: str = Field(
        default="Préfecture",
        min_length=1,
        max_length=120,
        description="Nom affiché dans l'en-tête de la console, ex. « Préfecture de l'Essonne ».",
    )
    communes: list[str] = Field(
        default_factory=list,
        description="Communes du département proposées à l'ouverture d'un événement (JSON).",
    )
    duplicate_window_hours: int = Field(
        default=24,
        gt=0,
        le=24 * 30,
        description="Un événement ouvert depuis moins longtemps, de même type ou de titre "
        "proche, est signalé comme doublon probable à l'ouverture d'un nouvel événement.",
    )
    session_minutes: int = Field(default=720, gt=0, le=7 * 24 * 60)
    # Growing delays after failed sign-ins (crisis.domain.signin_throttle), never a lockout.
    signin_free_failures: int = Field(
        default=5, gt=0, le=100, description="Échecs de suite sur un nom avant le premier délai."
    )
    signin_delay_ceiling_seconds: float = Field(
        default=60, gt=0, le=3600, description="Plus long délai imposé à un nom d'utilisateur."
    )
    signin_address_free_failures: int = Field(
        default=20, gt=0, le=1000, description="Échecs de suite d'une adresse avant son délai."
    )
    signin_address_delay_ceiling_seconds: float = Field(
        default=900, gt=0, le=86400, description="Plus long délai imposé à une adresse."
    )
    signin_failure_delay_seconds: float = Field(default=1.0, ge=0, le=10)

    # ProConnect, the State's OpenID Connect federation (docs/integrations/proconnect.md).
    oidc_issuer: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description="Adresse du fournisseur OpenID Connect (ProConnect), sans "
        "/.well-known/openid-configuration ; le bouton ProConnect paraît quand il est réglé.",
    )
    oidc_client_id: str | None = Field(default=None, min_length=1, max_length=300)
    oidc_client_secret: SecretStr | None = Field(
        default=None,
        description="Secret du client ; ou CRISIS_OIDC_CLIENT_SECRET dans le fichier de secrets.",
    )
    oidc_scopes: str = Field(
        default="openid email given_name usual_name uid siret idp_id",
        pattern=r"(^|\s)openid(\s|$)",
        description="Portées demandées (celles de ProConnect sont les noms de ses attributs).",
    )
    oidc_acr_values: str | None = Field(
        default="eidas1", description="Niveau d'authentification demandé (acr_values)."
    )
    oidc_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    oidc_auto_create_sirets: list[str] = Field(
        default_factory=list,
        description="SIRET (JSON) dont les agents sans compte en reçoivent un à leur première "
        "connexion ProConnect, au rôle le plus bas (auditeur), que l'administrateur élève.",
    )
    account_contact: str = Field(
        default="l'administrateur de la console (service interministériel de défense et de "
        "protection civiles)",
        min_length=1,
        max_length=300,
        description="À qui demander un compte : affiché à une identité ProConnect sans compte.",
    )
    # Password sign-in: off for everyone but the break-glass accounts, when ProConnect is used.
    password_signin_break_glass_only: bool = Field(
        default=False,
        description="Mot de passe refusé à tous sauf aux comptes de secours "
        "(break_glass_accounts).",
    )
    # Step-up verification before a grave action (docs/integrations/proconnect.md): none,
    # a passkey, or the password (or a passkey) within the last step_up_minutes.
    step_up_approve_message: StepUp = "none"
    step_up_activate_cod: StepUp = "none"
    step_up_order_cip: StepUp = "none"
    step_up_minutes: int = Field(default=5, gt=0, le=720)
    break_glass_accounts: list[str] = Field(
        default_factory=list,
        description="Comptes de secours (JSON) : leur mot de passe marche toujours.",
    )

    @field_validator("warning_offsets_minutes")
    @classmethod
    def _positive_offsets(cls, offsets: list[int]) -> list[int]:
        if any(o <= 0 for o in offsets):
            raise ValueError("les délais d'alerte doivent être positifs")
        return sorted(set(offsets))

    @field_validator("callout_methods")
    @classmethod
    def _page_channels(cls, methods: dict[str, int]) -> dict[str, int]:
        known = ("telegram_dm", "sms", "email", "voice")
        for name, minutes in methods.items():
            if name not in known:
                raise ValueError(
                    f"moyen d'appel inconnu « {name} » (possibles : {', '.join(known)})"
                )
            if not 0 <= minutes <= 240:
                raise ValueError(f"délai de « {name} » : entre 0 et 240 minutes")
        if not methods:
            raise ValueError("au moins un moyen d'appel d'astreinte")
        return dict(sorted(methods.items(), key=lambda item: item[1]))

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'crisis.sqlite3').resolve()}"

    @property
    def resolved_drill_scenarios_dir(self) -> Path:
        return self.drill_scenarios_dir or self.data_dir / "scenarios"

    @property
    def oidc_configured(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    @property
    def signin_policies(self) -> dict[Scope, Policy]:
        return {
            Scope.ACCOUNT: Policy(self.signin_free_failures, self.signin_delay_ceiling_seconds),
            Scope.ADDRESS: Policy(
                self.signin_address_free_failures, self.signin_address_delay_ceiling_seconds
            ),
        }

    @property
    def clock_policy(self) -> ClockPolicy:
        targets = {
            name: self.cell_target_minutes
            if name is ClockName.CELL
            else self.audience_target_minutes
            for name in ClockName
        }
        targets[ClockName.CIP] = self.cip_target_minutes
        return ClockPolicy(
            targets=targets,
            warning_offsets=tuple(self.warning_offsets_minutes),
            max_backdate_days=self.max_backdate_days,
        )


class SettingsError(ValueError):
    """A setting the environment gives a value it cannot take: the variable and why, in French."""


def _suffix(loc: tuple[int | str, ...]) -> str:
    path = field_path(loc)
    return "" if not path else path if path.startswith("[") else f".{path}"


_UNPARSED = re.compile(r'field "(\w+)" from source "(\w+)"')


def load_settings() -> Settings:
    """The settings, or a SettingsError naming each wrong variable (CRISIS_…) in French."""
    try:
        return Settings()
    except pydantic_settings.SettingsError as error:
        # A list or a mapping is given as JSON; pydantic-settings says, in English, that it
        # could not read it (« error parsing value for field … »).
        found = _UNPARSED.search(str(error))
        variable = f"CRISIS_{found.group(1).upper()}" if found else "un réglage"
        where = " (fichier .env)" if found and found.group(2).startswith("DotEnv") else ""
        field = Settings.model_fields.get(found.group(1)) if found else None
        mapping = field is not None and typing.get_origin(field.annotation) is dict
        example = '{"redacteur": ["Marc Lefèvre"]}' if mapping else '["Évry", "Massy"]'
        raise SettingsError(
            f"Réglages invalides — {variable}{where} : valeur JSON attendue, par exemple {example}."
        ) from None
    except ValidationError as error:
        problems = " ; ".join(
            f"CRISIS_{str(e['loc'][0]).upper()}{_suffix(e['loc'][1:])} : {french_reason(e)}"
            for e in error.errors()
        )
        raise SettingsError(f"Réglages invalides — {problems}.") from None

"""Typed settings, read once from the environment (prefix CRISIS_) or a `.env` file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crisis.domain.clocks import ClockPolicy
from crisis.domain.signin_throttle import Policy, Scope
from crisis.domain.vocabulary import Audience, ClockName
from crisis.validation import field_path, french_reason


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRISIS_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None, description="URL SQLAlchemy ; par défaut SQLite dans data_dir."
    )
    host: str = "127.0.0.1"
    port: int = 8000

    cell_target_minutes: int = Field(default=60, gt=0)
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
    exercise_marker: str = Field(default="EXERCICE EXERCICE EXERCICE", min_length=1)
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
    callout_place: str = Field(default="salle de crise de la préfecture", min_length=1)
    callout_contact_phone: str | None = Field(
        default=None, description="Numéro du cadre de permanence cité dans l'appel."
    )
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

    @field_validator("warning_offsets_minutes")
    @classmethod
    def _positive_offsets(cls, offsets: list[int]) -> list[int]:
        if any(o <= 0 for o in offsets):
            raise ValueError("les délais d'alerte doivent être positifs")
        return sorted(set(offsets))

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'crisis.sqlite3').resolve()}"

    @property
    def resolved_drill_scenarios_dir(self) -> Path:
        return self.drill_scenarios_dir or self.data_dir / "scenarios"

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


def load_settings() -> Settings:
    """The settings, or a SettingsError naming each wrong variable (CRISIS_…) in French."""
    try:
        return Settings()
    except ValidationError as error:
        problems = " ; ".join(
            f"CRISIS_{str(e['loc'][0]).upper()}{_suffix(e['loc'][1:])} : {french_reason(e)}"
            for e in error.errors()
        )
        raise SettingsError(f"Réglages invalides — {problems}.") from None

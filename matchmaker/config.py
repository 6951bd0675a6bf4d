"""Configuration: defaults here, overridden by ``MATCHMAKER_*`` environment variables.

The web app, the CLI and the scheduler all read the same settings, so a CLI command acts on the
database that ``make run`` serves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from matchmaker.resources import project_root

DEFAULT_SECRET_KEY = "dev-only-secret-key-change-me"


class ConfigError(RuntimeError):
    """The configuration is unusable; the message says which variable to fix."""


class Settings(BaseSettings):
    """Every setting of the application. The README's configuration table mirrors this class."""

    model_config = SettingsConfigDict(env_prefix="MATCHMAKER_", extra="ignore")

    env: Literal["development", "production", "testing"] = "development"
    secret_key: str = DEFAULT_SECRET_KEY
    instance_path: Path = Field(default_factory=lambda: project_root() / "instance")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=5000, ge=1, le=65535)
    base_url: str = ""
    default_language: Literal["de", "en"] = "de"
    page_size: int = Field(default=20, ge=5, le=200)
    posting_default_validity_days: int = Field(default=56, ge=1, le=365)
    posting_max_validity_days: int = Field(default=365, ge=1, le=366)
    password_token_hours: int = Field(default=48, ge=1, le=24 * 14)
    reset_mail_interval_minutes: int = Field(default=5, ge=0, le=24 * 60)
    login_rate_limit: str = "5 per minute; 20 per hour"
    login_account_rate_limit: str = "100 per hour"
    login_address_rate_limit: str = "30 per minute; 300 per hour"
    redis_url: str = ""
    mail_backend: Literal["smtp", "file", "console"] = "file"
    mail_from: str = "Matchmaker <matchmaker@localhost>"
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_timeout: float = Field(default=10.0, gt=0)
    mail_drain_after_commit: bool = True
    match_threshold: float = Field(default=0.15, ge=0.0, le=1.0)
    match_candidates: int = Field(default=20, ge=1, le=200)
    matching: Literal["matcher", "inline"] = "matcher"
    matcher_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    matcher_lease_seconds: float = Field(default=30.0, ge=1, le=3600)
    matcher_refit_hours: float = Field(default=6.0, gt=0, le=24 * 7)
    followup_days: int = Field(default=14, ge=1, le=365)
    thesaurus_path: Path = Field(default_factory=lambda: project_root() / "data" / "thesaurus")
    # sentence encoder of the engine's semantic component (see matchmaker/matching/encoder.py)
    encoder: Literal["none", "default", "sentence-transformers"] = "default"
    encoder_path: str = ""
    log_level: str = "INFO"
    imprint_url: str = ""
    privacy_url: str = ""

    @field_validator("imprint_url", "privacy_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        value = value.strip()
        if value and (
            not value.startswith(("https://", "http://"))
            or any(c.isspace() for c in value)
            or len(value) > 2000
        ):
            raise ValueError("must be an http(s) address such as https://example.org/impressum")
        return value

    @field_validator("login_rate_limit", "login_account_rate_limit", "login_address_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            parse_many(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is no rate limit; write e.g. '5 per minute; 20 per hour'"
            ) from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_address(cls, value: str) -> str:
        value = value.strip()
        if value and not value.startswith(("redis://", "rediss://", "redis+")):
            raise ValueError("must be a Redis address such as redis://127.0.0.1:6379/0")
        return value

    @model_validator(mode="after")
    def _derive(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.instance_path / 'matchmaker.sqlite3'}"
        if not self.base_url:
            self.base_url = f"http://{self.host}:{self.port}"
        self.base_url = self.base_url.rstrip("/")
        if self.posting_default_validity_days > self.posting_max_validity_days:
            raise ValueError("posting_default_validity_days exceeds posting_max_validity_days")
        if self.encoder == "sentence-transformers" and not self.encoder_path.strip():
            raise ValueError(
                "MATCHMAKER_ENCODER=sentence-transformers needs MATCHMAKER_ENCODER_PATH "
                "(a local folder with a saved sentence-transformers model)"
            )
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def check_production_ready(self) -> None:
        """Refuse to run production with settings that are only safe on a developer's laptop."""
        if not self.is_production:
            return
        if self.secret_key == DEFAULT_SECRET_KEY or len(self.secret_key) < 32:
            raise ConfigError(
                "MATCHMAKER_SECRET_KEY must be set to a random value of at least 32 characters "
                "in production, for example the output of "
                "python -c 'import secrets; print(secrets.token_hex(32))'."
            )
        if self.mail_backend != "smtp":
            raise ConfigError("MATCHMAKER_MAIL_BACKEND must be 'smtp' in production.")

    def production_warnings(self) -> list[str]:
        """What a public production site should have but may lack (logged when the app starts)."""
        if not self.is_production:
            return []
        missing = {
            "MATCHMAKER_IMPRINT_URL": self.imprint_url,
            "MATCHMAKER_PRIVACY_URL": self.privacy_url,
        }
        return [
            f"{name} is not set: public sites in Germany need an imprint and a privacy notice "
            "in reach of every page"
            for name, value in missing.items()
            if not value
        ]


def load_settings(**overrides: object) -> Settings:
    """Read the environment, apply explicit overrides (used by tests) and validate."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigError(f"Invalid configuration: {exc}") from exc

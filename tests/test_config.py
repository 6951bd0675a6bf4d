"""Settings: environment variables, production safety, and the README's table of them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from matchmaker.app import create_app
from matchmaker.config import DEFAULT_SECRET_KEY, ConfigError, Settings, load_settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_documents_every_setting() -> None:
    documented = set(re.findall(r"^\| `(MATCHMAKER_[A-Z_]+)`", README.read_text(), re.MULTILINE))
    expected = {f"MATCHMAKER_{name.upper()}" for name in Settings.model_fields}
    assert expected <= documented, f"missing in README: {sorted(expected - documented)}"
    test_only = {
        "MATCHMAKER_TEST_DATABASE_URL",
        "MATCHMAKER_TEST_STRICT",
        "MATCHMAKER_TEST_REDIS_URL",
        "MATCHMAKER_TEST_CHROMIUM",
        "MATCHMAKER_SCREENSHOT_DIR",
    }
    extra = documented - expected - test_only
    assert extra == set(), f"README documents unknown settings: {sorted(extra)}"


def test_environment_variables_override_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MATCHMAKER_PORT", "8123")
    monkeypatch.setenv("MATCHMAKER_INSTANCE_PATH", str(tmp_path))
    settings = load_settings()
    assert settings.port == 8123
    assert settings.base_url == "http://127.0.0.1:8123"
    assert settings.database_url == f"sqlite:///{tmp_path / 'matchmaker.sqlite3'}"


def test_invalid_values_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHMAKER_PORT", "not-a-port")
    with pytest.raises(ConfigError, match="port"):
        load_settings()


def test_production_refuses_the_default_secret_key(tmp_path: Path) -> None:
    settings = load_settings(
        env="production",
        secret_key=DEFAULT_SECRET_KEY,
        mail_backend="smtp",
        database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}",
    )
    with pytest.raises(ConfigError, match="MATCHMAKER_SECRET_KEY"):
        create_app(settings)
    no_smtp = load_settings(
        env="production",
        secret_key="x" * 40,
        mail_backend="file",
        database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}",
    )
    with pytest.raises(ConfigError, match="MATCHMAKER_MAIL_BACKEND"):
        create_app(no_smtp)
    ready = load_settings(
        env="production",
        secret_key="x" * 40,
        mail_backend="smtp",
        database_url=f"sqlite:///{tmp_path / 'x.sqlite3'}",
    )
    app = create_app(ready)
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    "address",
    ["javascript:alert(1)", "impressum.html", "//example.org/impressum", "https://a b.example"],
)
def test_legal_addresses_must_be_web_addresses(address: str) -> None:
    with pytest.raises(ConfigError, match="imprint_url"):
        load_settings(imprint_url=address)
    with pytest.raises(ConfigError, match="privacy_url"):
        load_settings(privacy_url=address)


def test_production_warns_while_imprint_or_privacy_notice_is_missing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    production = {
        "env": "production",
        "secret_key": "x" * 40,
        "mail_backend": "smtp",
        "database_url": f"sqlite:///{tmp_path / 'x.sqlite3'}",
    }
    with caplog.at_level("WARNING", logger="matchmaker.app"):
        create_app(load_settings(**production, imprint_url=" https://example.org/impressum "))
    warnings = [r.getMessage() for r in caplog.records if r.name == "matchmaker.app"]
    assert len(warnings) == 1 and warnings[0].startswith("MATCHMAKER_PRIVACY_URL is not set")

    caplog.clear()
    complete = load_settings(
        **production,
        imprint_url="https://example.org/impressum",
        privacy_url="https://example.org/datenschutz",
    )
    with caplog.at_level("WARNING", logger="matchmaker.app"):
        create_app(complete)
    assert [r for r in caplog.records if r.name == "matchmaker.app"] == []
    assert complete.imprint_url == "https://example.org/impressum"
    assert load_settings(env="development").production_warnings() == []


@pytest.mark.parametrize("name", ["login_rate_limit", "login_address_rate_limit"])
def test_rate_limits_must_be_readable(name: str) -> None:
    assert load_settings(**{name: "3 per minute; 10/hour"})
    with pytest.raises(ConfigError, match="no rate limit"):
        load_settings(**{name: "three a minute"})


def test_redis_url_must_be_a_redis_address() -> None:
    assert load_settings(redis_url="redis://127.0.0.1:6379/0").redis_url
    with pytest.raises(ConfigError, match="Redis address"):
        load_settings(redis_url="127.0.0.1:6379")

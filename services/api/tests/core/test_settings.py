"""Settings fail fast, naming the environment variable; production refuses weak secrets."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest
from app.core.settings import DEV_API_KEY_HASH, SettingsError, load_settings

from kit.local.api import SERVICE_DIR

GOOD = {
    "DATABASE_URL": "postgresql+asyncpg://app:s3cret-pw@db:5432/app",
    "REDIS_URL": "redis://:r3dis-pw@redis:6379/0",
    "API_KEY_HASHES": hashlib.sha256(b"a real key").hexdigest(),
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*GOOD, "ENVIRONMENT", "WEB_CONCURRENCY", "TRUSTED_PROXIES", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_good_environment_loads(env: pytest.MonkeyPatch) -> None:
    env.setenv("TRUSTED_PROXIES", "10.0.0.0/8, 172.16.0.0/12")
    env.setenv("LOG_LEVEL", "debug")
    settings = load_settings()
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/8", "172.16.0.0/12"]
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", None, "DATABASE_URL: Field required"),
        ("DATABASE_URL", "mysql://x@y/z", "DATABASE_URL: must look like postgresql+asyncpg://"),
        ("REDIS_URL", "http://nope", "REDIS_URL: must look like redis://"),
        ("WEB_CONCURRENCY", "0", "WEB_CONCURRENCY: Input should be greater than or equal to 1"),
        ("API_KEY_HASHES", "not-a-hash", "API_KEY_HASHES: each entry must be a SHA-256 digest"),
        ("TRUSTED_PROXIES", "10.0.0.0/33", "TRUSTED_PROXIES"),
        ("ENVIRONMENT", "staging", "ENVIRONMENT: Input should be 'development' or 'production'"),
    ],
)
def test_bad_values_name_the_variable(
    env: pytest.MonkeyPatch, name: str, value: str | None, expected: str
) -> None:
    if value is None:
        env.delenv(name)
    else:
        env.setenv(name, value)
    with pytest.raises(SettingsError, match=expected.replace("(", r"\(").replace("+", r"\+")):
        load_settings()


def test_secrets_are_not_echoed_in_errors(env: pytest.MonkeyPatch) -> None:
    env.setenv("DATABASE_URL", "postgresql://app:hunter2@db/app")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "hunter2" not in str(error.value)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "API_KEY_HASHES",
            DEV_API_KEY_HASH,
            "API_KEY_HASHES: contains the hash of the public development key",
        ),
        ("DATABASE_URL", "postgresql+asyncpg://app:postgres@db:5432/app", "DATABASE_URL: the password"),
        ("REDIS_URL", "redis://redis:6379/0", "REDIS_URL: the password"),
    ],
)
def test_production_refuses_weak_secrets(
    env: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    env.setenv("ENVIRONMENT", "production")
    env.setenv(name, value)
    with pytest.raises(SettingsError, match=expected):
        load_settings()


def test_development_defaults_to_the_dev_key(env: pytest.MonkeyPatch) -> None:
    env.delenv("API_KEY_HASHES")
    assert load_settings().api_key_hashes == [DEV_API_KEY_HASH]


def test_python_m_app_exits_2_with_the_message() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app"],
        cwd=SERVICE_DIR,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "REDIS_URL": "redis://:x@h:6379/0"},
        timeout=60,
    )
    assert result.returncode == 2
    assert "DATABASE_URL: Field required" in result.stderr

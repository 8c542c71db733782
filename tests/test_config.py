"""Configuration: TOML plus environment overrides, validated with errors that name the key."""

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config import ConfigError, load_config
from monitor.schedules import parse_schedule

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsmon.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_is_valid():
    config = load_config(REPO / "newsmon.example.toml", env={})
    assert "hanoimoi" in config.sources
    assert config.digest.include_national is True


def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(None, env={})
    assert config.database_url == "sqlite:///newsmon.db"
    assert config.timezone == "Asia/Ho_Chi_Minh"
    assert "hanoimoi" in config.sources  # every shipped site spider is a source by default


def test_relative_database_path_resolves_against_the_config_file(tmp_path):
    config = load_config(write(tmp_path, 'database_url = "data/news.db"\n'), env={})
    assert config.database_url == f"sqlite:///{tmp_path.resolve()}/data/news.db"


def test_environment_overrides_the_file(tmp_path):
    path = write(tmp_path, 'database_url = "a.db"\n[smtp]\nhost = "mail.example"\n')
    config = load_config(
        path,
        env={
            "NEWSMON_DB": "postgresql+psycopg://u@localhost/newsmon",
            "NEWSMON_SMTP_PORT": "2525",
            "NEWSMON_DIGEST_TO": "a@example.org, b@example.org",
            "NEWSMON_MIRROR": "http://127.0.0.1:9999/",
        },
    )
    assert config.database_url == "postgresql+psycopg://u@localhost/newsmon"
    assert config.smtp.host == "mail.example" and config.smtp.port == 2525
    assert config.digest.recipients == ["a@example.org", "b@example.org"]
    assert config.mirror == "http://127.0.0.1:9999"


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("[crawl]\nmax_pages = 0\n", "crawl.max_pages", "greater than or equal to 1"),
        ('[crawl]\ndefault_schedule = "every hour"\n', "crawl.default_schedule", "interval"),
        ('[digest]\nschedules = ["cron:0 7 * *"]\n', "digest.schedules[0]", "5 fields"),
        ('timezone = "Mars/Olympus"\n', "timezone", "unknown time zone"),
        ('[sources.hanoimoi]\nproxy = "vn-egress:3128"\n', "sources.hanoimoi.proxy", "URL"),
        ("[sources.hanoimoi]\nmax_pagez = 3\n", "sources.hanoimoi.max_pagez", "unknown key"),
        ('[smtp]\nsecurity = "tls"\n', "smtp.security", "'none', 'starttls' or 'ssl'"),
    ],
)
def test_bad_values_name_the_key(tmp_path, text, key, words):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text), env={})
    message = str(err.value)
    assert f"{key}:" in message
    assert words in message
    assert str(tmp_path) in message  # and which file


def test_bad_toml_and_missing_file_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[crawl\nmax_pages = 2\n"), env={})
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml", env={})


def test_bad_environment_value_says_it_came_from_the_environment(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, ""), env={"NEWSMON_SMTP_PORT": "many"})
    assert "smtp.port" in str(err.value) and "NEWSMON_SMTP_PORT" in str(err.value)


def test_parse_schedule():
    assert parse_schedule("interval:30m") == ("interval", timedelta(minutes=30))
    assert parse_schedule("interval: 2h") == ("interval", timedelta(hours=2))
    assert parse_schedule("cron:0 7 * * 1") == ("cron", "0 7 * * 1")
    with pytest.raises(ValueError):
        parse_schedule("interval:0s")

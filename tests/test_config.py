"""Config loading: TOML, environment overrides, clear errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_loads_with_relative_paths_resolved():
    cfg = load_config(REPO / "config.example.toml", env={})
    assert cfg.database_url == f"sqlite:///{REPO / 'var' / 'raqib.db'}"
    assert cfg.watchlists_file == REPO / "seeds" / "watchlists.toml"
    assert [s.name for s in cfg.sources] == ["seeds"] and cfg.sources[0].path == REPO / "seeds"
    assert {s.chat for s in cfg.subscriptions} == {"console:korea-desk", "console:kursk-desk"}
    assert str(cfg.timezone) == "Asia/Riyadh"


def test_environment_overrides_file_values(tmp_path):
    path = _write(tmp_path, '[database]\nurl = "sqlite:///a.db"\n[delivery]\nmax_attempts = 3\n')
    cfg = load_config(
        path,
        env={
            "RAQIB_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
            "RAQIB_DELIVERY_MAX_ATTEMPTS": "11",
            "RAQIB_TELEGRAM_TOKEN": "123:abc",
        },
    )
    assert cfg.database_url == "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    assert cfg.max_attempts == 11
    assert cfg.telegram_token == "123:abc"
    assert "123:abc" not in repr(cfg)


@pytest.mark.parametrize(
    "text, env, key",
    [
        ("[delivery]\nmax_attempts = -1\n", {}, "delivery.max_attempts"),
        ('[delivery]\nmax_attempts = "many"\n', {}, "delivery.max_attempts"),
        ("", {"RAQIB_DELIVERY_BACKOFF_BASE": "soon"}, "RAQIB_DELIVERY_BACKOFF_BASE"),
        ('[general]\ntimezone = "Mars/Olympus"\n', {}, "general.timezone"),
        ('[database]\nurl = "mysql://x"\n', {}, "database.url"),
        ('[database]\nurl = "not a url"\n', {}, "database.url"),
        ('[console]\nformat = "xml"\n', {}, "console.format"),
        ('[[subscriptions]]\nchat = "irc:#news"\ntopics = ["kursk"]\n', {}, "subscriptions[0].chat"),
        ('[[subscriptions]]\nchat = "console:x"\ntopics = []\n', {}, "subscriptions[0].topics"),
        ('[[sources]]\nname = "a"\npath = "x"\ninterval = 0\n', {}, "sources[0].interval"),
        ('[telegram]\ntoken = "123:abc"\n', {}, "telegram.token"),
    ],
)
def test_bad_values_fail_naming_the_key(tmp_path, text, env, key):
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, text), env=env)
    assert key in str(err.value)


def test_secret_in_file_is_refused_without_echoing_it(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, '[telegram]\ntoken = "123:SECRET"\n'), env={})
    assert "RAQIB_TELEGRAM_TOKEN" in str(err.value) and "SECRET" not in str(err.value)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", env={})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(_write(tmp_path, "[database\nurl="), env={})

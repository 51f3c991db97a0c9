"""The [feeds] section and [[feeds.sources]]: defaults, environment overrides, clear errors."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from bot.sources.feed_poller import fetch_policy

REPO = Path(__file__).resolve().parents[1]


def _load(tmp_path: Path, text: str, env: dict | None = None):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env=env or {})


def test_example_documents_every_feeds_key_and_loads():
    from bot.config import _SCALARS

    example = (REPO / "config.example.toml").read_text(encoding="utf-8")
    for section, key, *_ in _SCALARS:
        if section == "feeds":
            assert f"\n{key} = " in example, f"feeds.{key} is not documented in config.example.toml"
    for key in ("allow_hosts", "name", "url", "topics", "admin", "fetch_full"):
        assert f"{key} = " in example
    cfg = load_config(REPO / "config.example.toml", env={})
    assert cfg.feeds.interval_s == 900 and cfg.feeds.alert_first_fetch is False and cfg.feeds.sources == ()


def test_feed_sources_and_environment_allowlist(tmp_path):
    cfg = _load(
        tmp_path,
        '[feeds]\ninterval = 600\nallow_hosts = ["feeds.local"]\nalert_first_fetch = true\n'
        '[[feeds.sources]]\nurl = "https://a.example/rss"\ntopics = ["kursk"]\nfetch_full = true\n'
        '[[feeds.sources]]\nname = "b"\nurl = "http://b.example/atom"\ninterval = 120\nadmin = "telegram:5"\n',
        env={"RAQIB_FEEDS_ALLOW_HOSTS": "127.0.0.1, 10.0.0.0/8,feeds.internal", "RAQIB_FEEDS_MAX_BYTES": "1000"},
    )
    a, b = cfg.feeds.sources
    assert (a.name, a.interval_s, a.topics, a.fetch_full) == ("a.example/rss", 600, ("kursk",), True)
    assert (b.name, b.interval_s, b.admin) == ("b", 120, "telegram:5")
    assert cfg.feeds.allow_hosts == ("127.0.0.1", "10.0.0.0/8", "feeds.internal")
    assert cfg.feeds.max_bytes == 1000 and cfg.feeds.alert_first_fetch is True
    policy = fetch_policy(cfg.feeds)
    assert policy.allow_hosts == {"feeds.internal"} and ipaddress.ip_address("10.2.3.4") in policy.allow_networks[1]


@pytest.mark.parametrize(
    "text, env, message",
    [
        ('[[feeds.sources]]\nurl = "ftp://x/rss"\n', {}, "feeds.sources[0].url: expected an http(s) URL"),
        ('[[feeds.sources]]\nname = "x"\n', {}, "feeds.sources[0].url: expected a non-empty string"),
        ('[[feeds.sources]]\nurl = "http://a/"\n[[feeds.sources]]\nurl = "http://a/"\n', {}, "duplicate feed"),
        ('[[sources]]\nname = "n"\npath = "."\n[[feeds.sources]]\nname = "n"\nurl = "http://a/"\n', {},
         "feeds.sources[0].name: duplicate source name"),
        ('[[feeds.sources]]\nurl = "http://a/"\nadmin = "nobody"\n', {}, "feeds.sources[0].admin"),
        ('[feeds]\nalert_first_fetch = "maybe"\n', {}, "feeds.alert_first_fetch: expected true or false"),
        ("", {"RAQIB_FEEDS_PER_HOST": "0"}, "RAQIB_FEEDS_PER_HOST (environment): expected a positive whole number"),
        ("", {"RAQIB_FEEDS_ALLOW_HOSTS": "ok.host,bad host;rm"}, "RAQIB_FEEDS_ALLOW_HOSTS (environment): not a host"),
        ('[[feeds]]\nurl = "http://a/"\n', {}, "[[feeds.sources]]"),
    ],
)
def test_bad_feed_settings_name_the_key(tmp_path, text, env, message):
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, text, env)
    assert message in str(info.value)

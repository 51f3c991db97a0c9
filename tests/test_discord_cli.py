"""The `raqib` CLI with Discord: webhook destinations added by URL, delivered by `ingest` and
`run --once` against the fake Discord API, the webhook token never printed or logged."""

from __future__ import annotations

import logging

import pytest

from bot.cli.main import main
from bot.config import ConfigError, load_config
from tests.conftest import SEEDS, write_config
from tests.fake_discord import FakeDiscord


@pytest.fixture
def fake():
    with FakeDiscord() as server:
        yield server


def test_subscriptions_add_webhook_url_then_ingest_delivers_embeds_once(tmp_path, db_url, fake, capsys,
                                                                        monkeypatch, caplog):
    monkeypatch.setenv("RAQIB_DISCORD_API_BASE", fake.api_base)
    monkeypatch.delenv("RAQIB_DISCORD_TOKEN", raising=False)
    ident, url = fake.add_webhook()
    token = url.rsplit("/", 1)[1]
    config = str(write_config(tmp_path, db_url, subscriptions=""))
    caplog.set_level(logging.DEBUG)

    assert main(["subscriptions", "add", f"discord-webhook:{url}", "kursk", "--config", config]) == 0
    assert main(["subscriptions", "add", f"discord-webhook:{url}", "kursk", "--config", config]) == 0
    assert main(["subscriptions", "list", "--config", config]) == 0
    out = capsys.readouterr().out
    assert f"discord-webhook:{ident} subscribed: kursk" in out
    assert f"discord-webhook:{ident} already subscribed: kursk" in out
    assert f"discord-webhook:{ident}" in out.splitlines()[-1] and "kursk" in out.splitlines()[-1]

    assert main(["ingest", str(SEEDS), "--config", config]) == 0
    hooks = fake.sent("webhook")
    assert len(hooks) == 3 and all(h.target == ident and h.params["wait"] == "true" for h in hooks)
    assert len({h.embeds[0]["title"] for h in hooks}) == 3
    assert all(h.embeds[0]["footer"]["text"] == "#kursk · كورسك" for h in hooks)
    assert main(["run", "--once", "--config", config]) == 0  # nothing new: nothing sent again
    assert len(fake.sent("webhook")) == 3

    captured = capsys.readouterr()
    assert token not in captured.out + captured.err + caplog.text
    assert "3 delivered" in captured.err


def test_a_bad_webhook_url_is_refused_without_echoing_it(tmp_path, db_url, capsys):
    config = str(write_config(tmp_path, db_url, subscriptions=""))
    bad = "discord-webhook:https://example.com/hooks/123/SECRETSECRETSECRET"
    assert main(["subscriptions", "add", bad, "kursk", "--config", config]) == 2
    err = capsys.readouterr().err
    assert "not a Discord webhook URL" in err and "SECRETSECRETSECRET" not in err
    assert main(["subscriptions", "list", "--config", config]) == 0
    assert "discord-webhook" not in capsys.readouterr().out  # nothing stored


def test_with_a_bot_token_alerts_go_to_channels_and_webhooks_from_config(tmp_path, db_url, fake, capsys, monkeypatch):
    from tests.fake_discord import TOKEN

    monkeypatch.setenv("RAQIB_DISCORD_API_BASE", fake.api_base)
    monkeypatch.setenv("RAQIB_DISCORD_TOKEN", TOKEN)
    monkeypatch.delenv("RAQIB_TELEGRAM_TOKEN", raising=False)
    ident, url = fake.add_webhook()
    monkeypatch.setenv("DESK_WEBHOOK", url)
    subs = ('[[subscriptions]]\nchat = "discord:1200000000000000600"\ntopics = ["dprk-russia"]\n'
            '[[subscriptions]]\nchat = "discord-webhook:env:DESK_WEBHOOK"\ntopics = ["dprk-russia"]\n')
    config = str(write_config(tmp_path, db_url, subscriptions=subs))
    assert main(["ingest", str(SEEDS), "--config", config]) == 0
    channel = [p for p in fake.alerts() if p.route == "channel"]
    hooks = [p for p in fake.alerts() if p.route == "webhook"]
    assert channel and len(channel) == len(hooks)
    assert {p.embeds[0]["title"] for p in channel} == {p.embeds[0]["title"] for p in hooks}
    assert url.rsplit("/", 1)[1] not in capsys.readouterr().err


def test_config_refuses_a_webhook_url_written_in_the_file(tmp_path):
    subs = '[[subscriptions]]\nchat = "discord-webhook:https://discord.com/api/webhooks/1/abcdefghijklmnop"\ntopics = ["kursk"]\n'
    path = write_config(tmp_path, "sqlite:///x.db", subscriptions=subs)
    with pytest.raises(ConfigError, match="secret") as info:
        load_config(path, env={})
    assert "abcdefghijklmnop" not in str(info.value)
    env_subs = '[[subscriptions]]\nchat = "discord-webhook:env:MISSING_HOOK"\ntopics = ["kursk"]\n'
    path = write_config(tmp_path, "sqlite:///x.db", subscriptions=env_subs)
    with pytest.raises(ConfigError, match="MISSING_HOOK"):
        load_config(path, env={})


def test_discord_config_keys_and_their_errors(tmp_path):
    path = write_config(tmp_path, "sqlite:///x.db", extra="[discord]\nowners = [1, 2]\nrate = 40\n")
    cfg = load_config(path, env={"RAQIB_DISCORD_API_BASE": "http://127.0.0.1:9/api/v10/"})
    assert cfg.discord.owners == frozenset({1, 2}) and cfg.discord.rate == 40
    assert cfg.discord.api_base == "http://127.0.0.1:9/api/v10"
    assert load_config(path, env={"RAQIB_DISCORD_OWNERS": "7, 8"}).discord.owners == frozenset({7, 8})
    for extra, key in (("rate = 60", "discord.rate"), ('owners = ["me"]', "discord.owners"),
                       ('api_base = "ftp://x"', "discord.api_base")):
        bad = write_config(tmp_path, "sqlite:///x.db", extra=f"[discord]\n{extra}\n")
        with pytest.raises(ConfigError, match=key):
            load_config(bad, env={})
    token = write_config(tmp_path, "sqlite:///x.db", extra='[discord]\ntoken = "abc"\n')
    with pytest.raises(ConfigError, match="RAQIB_DISCORD_TOKEN"):
        load_config(token, env={})


def test_a_refused_bot_token_is_one_clear_line(tmp_path, db_url, fake, capsys, monkeypatch):
    monkeypatch.setenv("RAQIB_DISCORD_API_BASE", fake.api_base)
    monkeypatch.setenv("RAQIB_DISCORD_TOKEN", "not-the-token")
    config = str(write_config(tmp_path, db_url, subscriptions=""))
    assert main(["ingest", str(SEEDS), "--config", config]) == 1
    err = capsys.readouterr().err
    assert "raqib: discord:" in err and "Improper token" in err and "not-the-token" not in err

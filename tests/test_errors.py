"""Issue 14, part 5: clear errors. A bad path, an unreachable database, an unknown config key, a
missing optional extra: one line that says what failed and what to do, never a traceback; and
`feeds poll` delivers to Discord webhooks like `run` does."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.config import ConfigError, load_config
from tests.conftest import SEEDS, write_config
from tests.fake_discord import FakeDiscord
from tests.fake_feeds import FakeFeeds, kursk_item, rss

REPO = Path(__file__).resolve().parents[1]


def _run(config: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("RAQIB_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args, "--config", str(config)],
        capture_output=True, text=True, cwd=REPO, env={**environ, **(env or {})}, timeout=120,
    )


def test_png_in_a_missing_folder_is_one_line_and_a_failure(tmp_path):
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'raqib.db'}")
    result = _run(config, "timeline", "kursk", "--png", str(tmp_path / "no" / "such" / "chart.png"))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no such folder" in lines[0] and "chart.png" in lines[0]


def test_unreachable_postgres_is_one_line_without_the_password(tmp_path):
    # Port 1 on this machine: nothing listens, the connection is refused at once.
    url = "postgresql+psycopg://raqib:s3cret-pass@127.0.0.1:1/raqib"
    config = write_config(tmp_path, url)
    result = _run(config, "watchlists")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert "postgresql+psycopg://raqib@127.0.0.1:1/raqib" in line and "s3cret-pass" not in line
    assert "is the server running" in line and "[database] url" in line


def test_unknown_config_keys_are_refused_naming_the_nearest(tmp_path):
    config = write_config(tmp_path, "sqlite:///x.db", extra="[feeds]\ntikc = 5\n")
    with pytest.raises(ConfigError) as info:
        load_config(config, env={})
    message = str(info.value)
    assert "tikc" in message and "[feeds]" in message and "'tick'" in message
    config.write_text(config.read_text().replace("[feeds]", "[feed]"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[feed\]: unknown section; did you mean \[feeds\]"):
        load_config(config, env={})
    (tmp_path / "entry").mkdir()
    bad_entry = write_config(tmp_path / "entry", "sqlite:///x.db", subscriptions='[[subscriptions]]\nchat = "console:x"\ntopic = ["kursk"]\n')
    with pytest.raises(ConfigError, match=r"subscriptions\[0\]\.topic .*did you mean 'topics'"):
        load_config(bad_entry, env={})
    # Through the CLI: exit status 2, one line.
    config.write_text(config.read_text().replace("[feed]", "[feeds]"), encoding="utf-8")
    result = _run(config, "watchlists")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "did you mean 'tick'" in result.stderr


def test_every_key_of_the_example_config_is_known():
    load_config(REPO / "config.example.toml", env={})


def test_pynacl_warning_is_not_printed_without_discord(tmp_path, caplog, capsys, monkeypatch):
    from discord.voice_client import VoiceClient

    monkeypatch.setattr(VoiceClient, "warn_nacl", True)  # as in a fresh process without PyNaCl
    monkeypatch.delenv("RAQIB_DISCORD_TOKEN", raising=False)
    caplog.set_level(logging.DEBUG)
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'raqib.db'}")
    assert main(["ingest", str(sorted(SEEDS.glob("0*.txt"))[0]), "--config", str(config)]) == 0
    captured = capsys.readouterr()
    assert "PyNaCl" not in caplog.text + captured.err + captured.out


def test_pynacl_is_one_debug_line_when_a_discord_bot_is_configured(tmp_path, caplog, monkeypatch, db_url):
    from discord.voice_client import VoiceClient

    from bot.app import App
    from bot.transports.discord import DiscordBot, services_for

    monkeypatch.setattr(VoiceClient, "warn_nacl", True)
    caplog.set_level(logging.DEBUG)
    app = App(load_config(write_config(tmp_path, db_url), env={"RAQIB_DISCORD_TOKEN": "x" * 40}))
    try:
        DiscordBot(app.config, services_for(app, app.config), app.config.discord_token, app.factory)
    finally:
        app.close()
    records = [r for r in caplog.records if "PyNaCl" in r.getMessage()]
    assert len(records) == 1 and records[0].levelno == logging.DEBUG


def test_feeds_poll_delivers_to_discord_webhooks(tmp_path, db_url, monkeypatch, capsys):
    item = kursk_item()
    item.published = datetime.now(timezone.utc) - timedelta(hours=1)  # fresh news: it alerts
    with FakeFeeds() as feeds, FakeDiscord() as discord:
        feeds.add("/rss", body=rss([item]))
        monkeypatch.setenv("RAQIB_DISCORD_API_BASE", discord.api_base)
        monkeypatch.delenv("RAQIB_DISCORD_TOKEN", raising=False)
        ident, url = discord.add_webhook()
        extra = (f'[feeds]\nallow_hosts = ["127.0.0.1"]\nalert_first_fetch = true\n\n'
                 f'[[feeds.sources]]\nname = "desk"\nurl = "{feeds.url("/rss")}"\n')
        config = str(write_config(tmp_path, db_url, extra=extra, subscriptions=""))
        assert main(["subscriptions", "add", f"discord-webhook:{url}", "kursk", "--config", config]) == 0
        assert main(["feeds", "poll", "--config", config]) == 0
        hooks = discord.sent("webhook")
        assert len(hooks) == 1 and hooks[0].target == ident
        assert "1 delivered" in capsys.readouterr().err

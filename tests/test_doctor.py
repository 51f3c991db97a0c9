"""Issue 14, part 6: `raqib doctor` checks config, database, tokens and each feed, one line each,
against the fake Bot API, Discord API and feed servers; exit status 1 when a check fails."""

from __future__ import annotations

import pytest

from bot.cli.main import main
from tests.conftest import SEEDS, write_config
from tests.fake_discord import TOKEN as DISCORD_TOKEN
from tests.fake_discord import FakeDiscord
from tests.fake_feeds import FakeFeeds, rss, saudi_items
from tests.fake_telegram import TOKEN as TELEGRAM_TOKEN
from tests.fake_telegram import FakeTelegram


@pytest.fixture
def servers(monkeypatch):
    with FakeTelegram() as telegram, FakeDiscord() as discord, FakeFeeds() as feeds:
        monkeypatch.setenv("RAQIB_TELEGRAM_BASE_URL", telegram.base_url)
        monkeypatch.setenv("RAQIB_TELEGRAM_TOKEN", TELEGRAM_TOKEN)
        monkeypatch.setenv("RAQIB_DISCORD_API_BASE", discord.api_base)
        monkeypatch.setenv("RAQIB_DISCORD_TOKEN", DISCORD_TOKEN)
        feeds.add("/good", body=rss(saudi_items(2)))
        yield telegram, discord, feeds


def _config(tmp_path, db_url, feeds: FakeFeeds, extra_feeds: str = "") -> str:
    extra = (f'[feeds]\nallow_hosts = ["127.0.0.1"]\n\n'
             f'[[feeds.sources]]\nname = "good"\nurl = "{feeds.url("/good")}"\n{extra_feeds}\n'
             f'[[sources]]\nname = "seeds"\npath = "{SEEDS}"\ninterval = 300\n')
    return str(write_config(tmp_path, db_url, extra=extra))


def _lines(out: str) -> dict[str, str]:
    rows = {}
    for line in out.strip().splitlines():
        status, name = line.split()[0], line[6:22].strip()
        rows[name] = status
    return rows


def test_everything_fine_exits_0_with_one_line_per_check(tmp_path, db_url, servers, capsys):
    telegram, discord, feeds = servers
    config = _config(tmp_path, db_url, feeds)
    assert main(["db", "upgrade", "--config", config]) == 0
    capsys.readouterr()
    assert main(["doctor", "--config", config]) == 0
    out = capsys.readouterr().out
    rows = _lines(out)
    assert rows == {"config": "ok", "database": "ok", "source seeds": "ok", "telegram": "ok", "discord": "ok",
                    "feed good": "ok"}
    assert "@raqib_test_bot" in out and "HTTP 200, 2 items" in out
    assert TELEGRAM_TOKEN not in out and DISCORD_TOKEN not in out
    assert feeds.hits("/good") and len(feeds.hits("/good")) == 1  # one request per feed


def test_failures_are_named_and_exit_1(tmp_path, db_url, servers, capsys, monkeypatch):
    telegram, discord, feeds = servers
    feeds.add("/html", body=b"<html><body>not a feed</body></html>", content_type="text/html")
    extra = (f'\n[[feeds.sources]]\nname = "gone"\nurl = "{feeds.url("/missing")}"\n'
             f'\n[[feeds.sources]]\nname = "page"\nurl = "{feeds.url("/html")}"\n'
             f'\n[[feeds.sources]]\nname = "private"\nurl = "http://10.0.0.1/rss"\n')
    config = _config(tmp_path, db_url, feeds, extra)
    assert main(["db", "upgrade", "--config", config]) == 0
    monkeypatch.setenv("RAQIB_TELEGRAM_TOKEN", "999:wrong-token-wrong-token")
    monkeypatch.setenv("RAQIB_DISCORD_TOKEN", "wrong.discord.token")
    capsys.readouterr()
    assert main(["doctor", "--config", config]) == 1
    out = capsys.readouterr().out
    rows = _lines(out)
    assert rows["telegram"] == "FAIL" and rows["discord"] == "FAIL" and rows["database"] == "ok"
    assert rows["feed good"] == "ok" and rows["feed gone"] == "FAIL" and rows["feed page"] == "FAIL"
    assert rows["feed private"] == "FAIL" and "private address" in out
    assert "wrong-token" not in out and "wrong.discord.token" not in out


def test_unreachable_database_and_missing_folder(tmp_path, servers, capsys, monkeypatch):
    _, _, feeds = servers
    monkeypatch.delenv("RAQIB_TELEGRAM_TOKEN")
    monkeypatch.delenv("RAQIB_DISCORD_TOKEN")
    config = write_config(tmp_path, "postgresql+psycopg://raqib:pw-secret@127.0.0.1:1/raqib",
                          extra=f'[[sources]]\nname = "desk"\npath = "{tmp_path / "nowhere"}"\ninterval = 60\n')
    assert main(["doctor", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    rows = _lines(out)
    assert rows["database"] == "FAIL" and rows["source desk"] == "FAIL"
    assert rows["telegram"] == "skip" and rows["discord"] == "skip" and rows["feeds"] == "skip"
    assert "is the server running" in out and "pw-secret" not in out


def test_doctor_creates_no_sqlite_file(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("RAQIB_TELEGRAM_TOKEN", raising=False)
    monkeypatch.delenv("RAQIB_DISCORD_TOKEN", raising=False)
    db = tmp_path / "var" / "raqib.db"
    config = write_config(tmp_path, f"sqlite:///{db}")
    assert main(["doctor", "--config", str(config)]) == 1
    assert "no database file yet" in capsys.readouterr().out and not db.exists()

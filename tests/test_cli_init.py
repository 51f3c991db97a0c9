"""`raqib init`, `raqib whoami` and `raqib discord invite`: a new operator's first commands
(issue 14, part 1), against the fake Bot API and the fake Discord REST API."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import discord
import pytest

from bot.cli.main import main
from bot.config import load_config
from tests.conftest import REPO
from tests.fake_discord import APP_ID
from tests.fake_discord import TOKEN as DISCORD_TOKEN
from tests.fake_discord import FakeDiscord
from tests.fake_telegram import TOKEN, FakeTelegram


@pytest.fixture(autouse=True)
def no_terminal(monkeypatch):
    """Not a terminal: init asks nothing; no RAQIB_* variable of the caller's shell leaks in."""
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    import os

    for name in [n for n in os.environ if n.startswith("RAQIB_")]:
        monkeypatch.delenv(name)


def _comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def test_init_writes_a_commented_config_that_loads(tmp_path, capsys):
    target = tmp_path / "site" / "config.toml"
    assert main(["init", "--config", str(target), "--database-url", "sqlite:///data/raqib.db",
                 "--timezone", "Africa/Cairo", "--owner", "4242", "--owner", "17"]) == 0
    text = target.read_text(encoding="utf-8")
    template = (REPO / "config.example.toml").read_text(encoding="utf-8")
    assert set(_comments(template)) <= set(_comments(text))  # every key's explanation is kept
    config = load_config(target, env={})
    assert config.database_url == f"sqlite:///{tmp_path / 'site' / 'data' / 'raqib.db'}"
    assert str(config.timezone) == "Africa/Cairo"
    assert config.telegram.owners == frozenset({4242, 17})
    # Written outside the checkout, it still finds the default watchlists and the seed articles.
    assert config.watchlists_file.resolve() == (REPO / "seeds" / "watchlists.toml").resolve()
    assert all(src.path.is_dir() for src in config.sources)
    assert "wrote" in capsys.readouterr().out


def test_init_refuses_to_overwrite_without_force(tmp_path, capsys):
    target = tmp_path / "config.toml"
    target.write_text("# mine\n", encoding="utf-8")
    assert main(["init", "--config", str(target)]) == 2
    assert "--force" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "# mine\n"
    assert main(["init", "--config", str(target), "--force"]) == 0
    assert load_config(target, env={}).database_url.endswith("var/raqib.db")


def test_init_in_the_checkout_keeps_relative_paths(tmp_path, monkeypatch):
    """The README's `raqib init` in the clone: the same relative seeds paths as the example."""
    from bot.cli.init import render

    template = (REPO / "config.example.toml").read_text(encoding="utf-8")
    text = render(template, REPO, REPO, None, None, [])
    assert text.endswith(template)


def test_whoami_prints_the_ids_of_who_wrote_to_the_bot(tmp_path, monkeypatch, capsys):
    with FakeTelegram() as fake:
        monkeypatch.setenv("RAQIB_TELEGRAM_TOKEN", TOKEN)
        monkeypatch.setenv("RAQIB_TELEGRAM_BASE_URL", fake.base_url)
        config = tmp_path / "none.toml"  # no config yet: the environment is enough
        assert main(["whoami", "--config", str(config)]) == 1
        assert "send it any message" in capsys.readouterr().out

        fake.send_text("/start", user_id=4242, username="hala")
        fake.send_text("مرحبا", user_id=5151, chat_id=-100200, chat_type="supergroup", username=None)
        fake.send_text("/help", user_id=4242, username="hala")
        assert main(["whoami", "--config", str(config)]) == 0
        out = capsys.readouterr().out
        assert "@raqib_test_bot" in out
        assert "user id 4242 @hala" in out and "user id 5151 (user5151), in supergroup chat -100200" in out
        assert "owners = [4242]" in out  # the latest sender first
        assert len(fake.updates) == 3  # read, not confirmed: the bot still gets them

        monkeypatch.setenv("RAQIB_TELEGRAM_TOKEN", "1:wrong")
        assert main(["whoami", "--config", str(config)]) == 2
        err = capsys.readouterr().err
        assert "refused" in err and "1:wrong" not in err


def test_whoami_needs_the_token(tmp_path, capsys):
    assert main(["whoami", "--config", str(tmp_path / "none.toml")]) == 2
    assert "RAQIB_TELEGRAM_TOKEN" in capsys.readouterr().err


def test_discord_invite_asks_discord_for_the_application_id(tmp_path, monkeypatch, capsys):
    with FakeDiscord() as fake:
        monkeypatch.setenv("RAQIB_DISCORD_TOKEN", DISCORD_TOKEN)
        monkeypatch.setenv("RAQIB_DISCORD_API_BASE", fake.api_base)
        assert main(["discord", "invite", "--config", str(tmp_path / "none.toml")]) == 0
    out = capsys.readouterr().out
    url = urlsplit(out.splitlines()[0])
    query = parse_qs(url.query)
    assert (url.netloc, url.path) == ("discord.com", "/oauth2/authorize")
    assert query["client_id"] == [str(APP_ID)]
    assert query["scope"] == ["bot applications.commands"]
    granted = discord.Permissions(int(query["permissions"][0]))
    assert granted.view_channel and granted.send_messages and granted.embed_links and granted.send_messages_in_threads
    assert not granted.administrator and not granted.manage_guild and not granted.mention_everyone
    assert "Message Content" in out  # the intents paragraph: none privileged


def test_discord_invite_with_a_given_id_needs_no_token(tmp_path, capsys):
    assert main(["discord", "invite", "--application-id", "123456789012345678",
                 "--config", str(tmp_path / "none.toml")]) == 0
    assert "client_id=123456789012345678" in capsys.readouterr().out
    assert main(["discord", "invite", "--config", str(tmp_path / "none.toml")]) == 2
    assert "--application-id" in capsys.readouterr().err


def test_init_writes_nothing_when_a_value_is_refused(tmp_path, capsys):
    target = tmp_path / "config.toml"
    assert main(["init", "--config", str(target), "--timezone", "Mars/Olympus"]) == 2
    assert "general.timezone" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # neither the config nor its draft

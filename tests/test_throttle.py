"""Issue 14, part 7: the command throttle lets a person talk and stops a flood with one notice.

The throttle's limits are the shipped defaults (config.example.toml), driven by a fake clock
through the real router, so the figures that are tested are the ones users get."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.config import load_config
from handlers import router
from handlers.base import Reply
from handlers.throttle import Throttle
from tests.telegram_support import add_story, caller

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"
THROTTLED = ("كثيرة بسرعة", "too fast")


class Ticker:
    """The throttle's clock, moved by the script."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def chat(env):
    services, clock = env
    for n in range(1, 13):  # enough stored stories for /search to have a second page
        add_story(services.factory, clock, n, "kursk", headline=f"هجوم أوكراني في كورسك رقم {n}")
    tg = load_config(EXAMPLE, env={}).telegram
    ticker = Ticker()
    services.throttle = Throttle(tg.command_rate, tg.command_burst, clock=ticker)
    return services, ticker


def _told(reply: Reply | None) -> bool:
    text = (reply.plain() if reply else "") + ((reply.notice or "") if reply else "")
    return any(marker in text for marker in THROTTLED)


# A real person in a private chat: (seconds since the previous message, what they send). Commands
# typed by hand take a few seconds; button presses come in quick runs (the subscribe buttons of
# /topics one after the other, "next page" several times).
SESSION: list[tuple[float, str]] = [
    (0, "/start"), (4, "/help"), (6, "/topics"), (1.2, "press sub"), (0.8, "press sub"), (0.8, "press unsub"),
    (0.8, "press sub"), (4, "/mysubs"), (8, "/search كورسك"), (1.2, "press page"), (0.8, "press page"),
    (0.8, "press page"), (0.8, "press page"), (0.8, "press page"), (0.8, "press page"), (10, "/timeline kursk"),
    (9, "/search أوكراني"), (1.5, "press page"), (1, "press page"), (12, "/subscribe dprk-russia"), (3, "/mysubs"),
    (5, "/unsubscribe dprk-russia"), (2, "/mysubs"), (6, "/help"), (4, "/topics"), (1, "press sub"), (0.8, "press sub"),
    (15, "/search كوريا"), (4, "/timeline dprk-russia"), (3, "/mysubs"),
]


def test_a_scripted_30_message_session_trips_nothing(chat):
    services, ticker = chat
    assert len(SESSION) == 30
    me = caller(42)
    last: Reply | None = None
    for pause, message in SESSION:
        ticker.now += pause
        if message.startswith("press "):
            kind = message.split()[1]
            buttons = [b for row in (last.buttons if last else []) for b in row]
            wanted = {"sub": ("sub:",), "unsub": ("unsub:",), "page": ("srch:",), "chart": ("tlc:",)}[kind]
            pressable = [b for b in buttons if b.data.startswith(wanted)] or buttons
            assert pressable, f"nothing to press for {message!r}"
            reply = asyncio.run(router.handle_callback(services, me, pressable[0].data))
            if reply.buttons:
                last = reply
        else:
            name, _, args = message[1:].partition(" ")
            reply = asyncio.run(router.handle_command(services, me, name, args))
            if reply is not None and reply.buttons:  # the buttons the person sees last
                last = reply
        assert not _told(reply), f"{message!r} was throttled"
        assert reply is not None and (reply.spans or reply.notice or reply.photo or reply.buttons), message


def test_a_flood_of_100_commands_is_refused_with_one_notice(chat):
    services, ticker = chat
    flooder = caller(7, chat="telegram:-100500", chat_type="supergroup", group_admin=False)
    replies = []
    for _ in range(100):
        ticker.now += 0.05  # twenty a second, for five seconds
        replies.append(asyncio.run(router.handle_command(services, flooder, "help", "")))
    told = [r for r in replies if _told(r)]
    answered = [r for r in replies if r.spans and not _told(r)]
    assert len(told) == 1
    assert 12 <= len(answered) <= 15  # the burst, and what five seconds refill
    assert all(not r.spans for r in replies[replies.index(told[0]) + 1:] if r not in answered)
    # Buttons in the same flood: refused silently (already told).
    pressed = asyncio.run(router.handle_callback(services, flooder, "srch:x"))
    assert pressed.notice is None and not pressed.spans
    # After a quiet minute the same person talks again normally.
    ticker.now += 60
    assert not _told(asyncio.run(router.handle_command(services, flooder, "help", "")))


def test_owners_and_group_admins_are_never_throttled(chat):
    services, ticker = chat
    owner = caller(1, chat="telegram:-100600", chat_type="supergroup", owner=True)
    admin = caller(2, chat="telegram:-100600", chat_type="supergroup", group_admin=True)
    for who in (owner, admin):
        for _ in range(100):
            ticker.now += 0.05
            reply = asyncio.run(router.handle_command(services, who, "mysubs", ""))
            assert not _told(reply) and reply.spans
        for _ in range(30):
            ticker.now += 0.05
            assert not _told(asyncio.run(router.handle_callback(services, who, "unsub:kursk")))
    assert owner._checks == []  # an owner never costs a platform request

"""A chat that moved (a Telegram group that became a supergroup) stays moved: issue 9, defect 5.

The config still names the group's old id; before the fix a restart re-created the old chat from
``[[subscriptions]]``, every new story was queued for both ids, the transport redirected the old
id's alerts to the new group (duplicates) and the old id's rows stayed pending for ever. A move
is now a fact in storage (old address → new address) that bootstrap and subscriptions follow.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from storage import articles, chats, outbox, sources
from storage import watchlists as watchlist_store
from storage.db import make_engine, session_factory, transaction, upgrade
from storage.models import Chat, Delivery
from tests.conftest import SEEDS
from tests.fake_telegram import FakeTelegram
from tests.telegram_support import Harness

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

OLD, NEW = -700, -100700
CONFIG_SUBSCRIPTION = f'[[subscriptions]]\nchat = "telegram:{OLD}"\ntopics = ["kursk"]\n'
KURSK_SEEDS = ["000_c3565df5185bbf54.txt", "002_00b06d22c5d2f91c.txt", "004_395fba7793f6db4e.txt"]
KURSK_ARTICLE = (
    "معارك عنيفة قرب كورسك\n"
    "تواصلت المعارك العنيفة قرب مدينة كورسك الحدودية طوال ليل أمس. وأفادت تقارير ميدانية بأن القصف "
    "المدفعي استهدف عدة قرى في المنطقة. ولم ترد معلومات عن أعداد الضحايا حتى الآن.\n"
)
NOW = datetime(2025, 8, 13, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def fake():
    with FakeTelegram() as server:
        yield server


def _waiting(h: Harness) -> list[tuple[str, str]]:
    with transaction(h.app.factory) as s:
        q = (select(Chat.address, Delivery.state).join(Chat, Chat.id == Delivery.chat_id)
             .where(Delivery.state.in_(["pending", "sending"])))
        return [tuple(r) for r in s.execute(q)]


def test_config_group_that_migrated_gets_each_story_once_after_a_restart(tmp_path, db_url, fake, caplog):
    fake.migrated[OLD] = NEW  # the configured group became a supergroup
    fresh = tmp_path / "kursk.txt"
    fresh.write_text(KURSK_ARTICLE, encoding="utf-8")

    async def first_run():
        async with Harness(tmp_path, db_url, fake, subscriptions=CONFIG_SUBSCRIPTION) as h:
            await h.ingest(SEEDS / KURSK_SEEDS[0])
            await h.deliver()

    async def after_restart():
        async with Harness(tmp_path, db_url, fake, subscriptions=CONFIG_SUBSCRIPTION) as h:
            await h.ingest(*(SEEDS / name for name in KURSK_SEEDS[1:]), fresh)
            await h.deliver(timeout=20)
            assert _waiting(h) == []
            with transaction(h.app.factory) as s:
                assert [(r.chat, r.topic) for r in chats.list_subscriptions(s)] == [(f"telegram:{NEW}", "kursk")]

    asyncio.run(first_run())
    assert Counter(a.chat_id for a in fake.alerts()) == Counter({NEW: 1})
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        asyncio.run(after_restart())
    delivered = Counter((a.chat_id, a.text) for a in fake.alerts())
    assert sum(delivered.values()) == 4 and set(delivered.values()) == {1}, delivered  # 4 stories, once each
    assert {chat for chat, _ in delivered} == {NEW}
    moved = [r.getMessage() for r in caplog.records if "moved to" in r.getMessage()]
    assert moved == [f"config names telegram:{OLD}, which moved to telegram:{NEW}; update the config"]


def test_group_known_under_both_ids_gets_each_story_once(tmp_path, db_url, fake):
    """The supergroup talked to us (its admin subscribed) before the old group's id answered
    "migrated": both ids are chats, each with the stories queued. The old id's alerts must not
    be redirected on top of the new chat's own: each story reaches the supergroup once."""
    fake.admins[NEW] = {701}

    async def scenario():
        async with Harness(tmp_path, db_url, fake, subscriptions=CONFIG_SUBSCRIPTION) as h:
            await h.say("/subscribe kursk", user_id=701, chat_id=NEW, chat_type="supergroup")
            fake.migrated[OLD] = NEW
            await h.ingest(*(SEEDS / name for name in KURSK_SEEDS))
            await h.deliver(timeout=20)
            assert _waiting(h) == []

    asyncio.run(scenario())
    delivered = Counter((a.chat_id, a.text) for a in fake.alerts())
    assert sum(delivered.values()) == 3 and set(delivered.values()) == {1}, delivered
    assert {chat for chat, _ in delivered} == {NEW}


# --- storage: the move as a fact -----------------------------------------------------------------


def _kursk(s) -> int:
    row = watchlist_store.get_watchlist(s, "kursk") or watchlist_store.save_watchlist(
        s, "kursk", "كورسك", {"any": ["كورسك"]}, "test", "create", "", NOW
    )
    return row.id


def _story(s, n: int, addresses: list[str]) -> int:
    """A stored Kursk story queued for the given chats."""
    src = sources.ensure_source(s, "files", "files", "-", 0, NOW)
    wl = _kursk(s)
    story = articles.create_story(s, f"معارك قرب كورسك {n}", f"تواصلت المعارك قرب كورسك {n}.", NOW, NOW)
    articles.add_article(s, story.id, articles.NewArticle(
        src.id, f"/a/{n}.txt", None, f"معارك قرب كورسك {n}", "نص", NOW, "text", NOW, f"{n:064d}", b"fp", [n],
    ))
    targets = [(chats.ensure_chat(s, a, NOW).id, wl, None) for a in addresses]
    outbox.enqueue(s, story.id, targets, NOW)
    return story.id


def _rows(s) -> list[tuple[str, int, str]]:
    q = select(Chat.address, Delivery.story_id, Delivery.state).join(Chat, Chat.id == Delivery.chat_id)
    return sorted(tuple(r) for r in s.execute(q))


def test_subscribing_the_old_address_lands_on_the_new_chat(factory):
    with transaction(factory) as s:
        wl = _kursk(s)
        chats.subscribe(s, "telegram:-700", wl, NOW)
        chats.move_chat(s, chats.ensure_chat(s, "telegram:-700", NOW).id, "telegram:-100700", NOW)
    with transaction(factory) as s:  # the CLI, a config entry, or a command naming the old id
        assert chats.resolve_address(s, "telegram:-700") == "telegram:-100700"
        assert chats.subscribe(s, "telegram:-700", wl, NOW) is False  # already there, under the new id
        assert chats.ensure_chat(s, "telegram:-700", NOW).address == "telegram:-100700"
        assert [r.chat for r in chats.list_subscriptions(s)] == ["telegram:-100700"]
        assert [r.chat for r in chats.list_subscriptions(s, "telegram:-700")] == ["telegram:-100700"]
        assert s.scalar(select(Chat).where(Chat.address == "telegram:-700")) is None
    with transaction(factory) as s:
        assert chats.unsubscribe(s, "telegram:-700", wl) is True
        assert chats.list_subscriptions(s) == []


def test_moves_are_followed_along_a_chain_and_a_cycle_ends(factory):
    with transaction(factory) as s:
        chats.ensure_chat(s, "telegram:-1", NOW)
        chats.move_chat(s, chats.ensure_chat(s, "telegram:-1", NOW).id, "telegram:-2", NOW)
        chats.move_chat(s, chats.ensure_chat(s, "telegram:-2", NOW).id, "telegram:-3", NOW)
    with transaction(factory) as s:
        assert chats.resolve_address(s, "telegram:-1") == "telegram:-3"
        assert chats.resolve_address(s, "telegram:-2") == "telegram:-3"
        assert chats.resolve_address(s, "telegram:-9") == "telegram:-9"
        # -3 moving back to -1 makes -1 live again: no loop, and -1 is where everything ends
        chats.move_chat(s, chats.ensure_chat(s, "telegram:-3", NOW).id, "telegram:-1", NOW)
    with transaction(factory) as s:
        assert {chats.resolve_address(s, f"telegram:-{n}") for n in (1, 2, 3)} == {"telegram:-1"}


def test_rows_waiting_for_the_old_chat_follow_it_without_doubling_a_story(factory):
    with transaction(factory) as s:
        both = [_story(s, n, ["telegram:-700", "telegram:-100700"]) for n in (1, 2)]
        old_only = _story(s, 3, ["telegram:-700"])
        old_id = chats.ensure_chat(s, "telegram:-700", NOW).id
    with transaction(factory) as s:  # both ids exist (the new group had talked to us already)
        dropped = chats.move_chat(s, old_id, "telegram:-100700", NOW)
    with transaction(factory) as s:
        rows = _rows(s)
    assert [r for r in rows if r[2] in ("pending", "sending")] == sorted(
        [("telegram:-100700", both[0], "pending"), ("telegram:-100700", both[1], "pending"),
         ("telegram:-100700", old_only, "pending")]
    )
    assert Counter((a, st) for a, st, _ in rows if a == "telegram:-100700") == Counter({
        ("telegram:-100700", both[0]): 1, ("telegram:-100700", both[1]): 1, ("telegram:-100700", old_only): 1,
    })
    assert len(dropped) == 2  # the old chat's copies of stories the new chat already has
    with transaction(factory) as s:
        assert chats.resolve_address(s, "telegram:-700") == "telegram:-100700"


def test_migration_records_the_moves_of_chats_retired_before_it(db_url):
    """A database from before 0007b: a group retired as "migrated to …" gets its move recorded,
    so the next bootstrap does not bring the old id back."""
    from alembic import command
    from sqlalchemy import text

    from storage.db import _alembic_config

    engine = make_engine(db_url)
    try:
        command.upgrade(_alembic_config(engine), "0006")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO chats (address, platform, active, inactive_reason, created_at) VALUES "
                "('telegram:-700', 'telegram', false, 'migrated to telegram:-100700', :at), "
                "('telegram:-100700', 'telegram', true, NULL, :at), "
                "('telegram:-800', 'telegram', false, '403 Forbidden: bot was blocked by the user', :at)"
            ), {"at": NOW.replace(tzinfo=None)})
        upgrade(engine)
        factory = session_factory(engine)
        with transaction(factory) as s:
            assert chats.resolve_address(s, "telegram:-700") == "telegram:-100700"
            assert chats.resolve_address(s, "telegram:-800") == "telegram:-800"
            assert chats.subscribe(s, "telegram:-700", _kursk(s), NOW) is True
            assert [r.chat for r in chats.list_subscriptions(s)] == ["telegram:-100700"]
    finally:
        engine.dispose()


def test_two_reports_of_one_move_at_once_keep_the_chat_whole(factory, db_url):
    """Alerts of one batch each report the move, in transactions of their own at the same time:
    the second must find the chat moved, not take it for another chat and merge it into itself
    (which deleted its subscriptions and killed its queue)."""
    import threading

    from tests.conftest import wait_until

    with transaction(factory) as s:
        wl = _kursk(s)
        chats.subscribe(s, "telegram:-700", wl, NOW)
        stories = [_story(s, n, ["telegram:-700"]) for n in (1, 2)]
        old_id = chats.ensure_chat(s, "telegram:-700", NOW).id
    second: list[set[int]] = []
    with transaction(factory) as first:
        assert chats.move_chat(first, old_id, "telegram:-100700", NOW) == set()
        other = threading.Thread(target=lambda: second.append(_move(factory, old_id)))
        other.start()
        if db_url.startswith("postgresql"):  # let the second report queue up behind the first
            wait_until(lambda: _lock_waiters(factory) > 0, 10)
    other.join(30)
    assert second == [set()]
    with transaction(factory) as s:
        assert [(r.chat, r.topic) for r in chats.list_subscriptions(s)] == [("telegram:-100700", "kursk")]
        assert _rows(s) == sorted(("telegram:-100700", st, "pending") for st in stories)


def _move(factory, chat_id: int) -> set[int]:
    with transaction(factory) as s:
        return chats.move_chat(s, chat_id, "telegram:-100700", NOW)


def _lock_waiters(factory) -> int:
    from sqlalchemy import text

    with transaction(factory) as s:
        return s.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"))

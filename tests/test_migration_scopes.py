"""Migration 0007d on a database built by the previous schema (revision 0006): every watchlist,
subscription and audit row survives, watchlists become global, slugs become unique per scope."""

from __future__ import annotations

from datetime import datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from storage import watchlists as store
from storage.db import _alembic_config, make_engine, session_factory, transaction, upgrade

AT = datetime(2025, 8, 13, 9, 0)


def _old_database(db_url: str):
    """A database exactly as the current main leaves it, holding rows of every kind we keep."""
    engine = make_engine(db_url)
    command.upgrade(_alembic_config(engine), "0006")
    w = "(SELECT id FROM watchlists WHERE slug = '{}')"
    c = "(SELECT id FROM chats WHERE address = '{}')"
    with engine.begin() as conn:  # no explicit ids: PostgreSQL's sequences must stay right
        conn.execute(text(
            "INSERT INTO watchlists (slug, name, rules, deleted, updated_at, updated_by) VALUES "
            "('dprk-russia', 'كوريا الشمالية وروسيا', '{\"all\": [], \"any\": [\"بيونغ يانغ\"], \"none\": []}',"
            " false, :at, 'seed'),"
            "('kursk', 'كورسك', '{\"all\": [], \"any\": [\"كورسك\"], \"none\": []}', false, :at, 'seed')"
        ), {"at": AT})
        for slug, action, detail, actor in (("dprk-russia", "create", "seeds", "seed"), ("kursk", "create", "seeds", "seed"),
                                            ("kursk", "add", "any += كورسك", "telegram:user:7 (@desk)")):
            conn.execute(text(
                f"INSERT INTO watchlist_edits (watchlist_id, action, detail, actor, at) "
                f"VALUES ({w.format(slug)}, :action, :detail, :actor, :at)"
            ), {"action": action, "detail": detail, "actor": actor, "at": AT})
        conn.execute(text(
            "INSERT INTO chats (address, platform, active, created_at) VALUES "
            "('telegram:-100', 'telegram', true, :at), ('console:desk', 'console', true, :at)"
        ), {"at": AT})
        for chat, slug in (("telegram:-100", "dprk-russia"), ("console:desk", "kursk")):
            conn.execute(text(
                f"INSERT INTO subscriptions (chat_id, watchlist_id, mode, created_at) "
                f"VALUES ({c.format(chat)}, {w.format(slug)}, 'instant', :at)"
            ), {"at": AT})
    return engine


def test_upgrade_keeps_watchlists_subscriptions_and_audit_rows(db_url):
    engine = _old_database(db_url)
    try:
        upgrade(engine)
        factory = session_factory(engine)
        with transaction(factory) as s:
            rows = store.all_active(s)
            assert [(r.slug, r.scope) for r in rows] == [("dprk-russia", "global"), ("kursk", "global")]
            assert rows[0].rules["any"] == ["بيونغ يانغ"]
            assert [(e.action, e.actor) for e in store.edits(s, "kursk")] == [
                ("create", "seed"), ("add", "telegram:user:7 (@desk)")]
            subs = s.execute(text(
                "SELECT c.address, w.slug, w.scope FROM subscriptions s JOIN chats c ON c.id = s.chat_id"
                " JOIN watchlists w ON w.id = s.watchlist_id ORDER BY s.id")).all()
            assert [tuple(r) for r in subs] == [("telegram:-100", "dprk-russia", "global"),
                                                ("console:desk", "kursk", "global")]
        assert "audit_events" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_after_upgrade_slugs_are_unique_per_scope_only(db_url):
    engine = _old_database(db_url)
    try:
        upgrade(engine)
        factory = session_factory(engine)
        now = datetime.now().astimezone()
        with transaction(factory) as s:  # a group's own "kursk" beside the global one
            store.save_watchlist(s, "kursk", "كورسك عندنا", {"all": [], "any": ["سودجا"], "none": []},
                                 "telegram:user:9", "create", "x", now, scope="telegram:-100", chat="telegram:-100")
        with transaction(factory) as s:
            assert store.resolve(s, "kursk", "telegram:-100").name == "كورسك عندنا"
            assert store.resolve(s, "kursk", "telegram:-200").name == "كورسك"
        with pytest.raises(IntegrityError):
            with engine.begin() as conn:  # but twice in one scope is refused by the database itself
                conn.execute(text(
                    "INSERT INTO watchlists (scope, slug, name, rules, deleted, updated_at, updated_by) "
                    "VALUES ('global', 'kursk', 'x', '{}', false, :at, 'x')"), {"at": AT})
    finally:
        engine.dispose()

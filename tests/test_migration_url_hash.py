"""Migration 0007a: articles stored before it get their URL and guid hashes, and stay unique by them."""

from __future__ import annotations

import hashlib

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage.db import _alembic_config, make_engine, upgrade

LONG_LINK = "https://news.example/a?" + "&".join(hashlib.sha256(str(i).encode()).hexdigest() for i in range(120))


def _insert(conn, n: int, url: str, guid: str | None) -> None:
    conn.execute(
        text(
            "INSERT INTO articles (source_id, story_id, url, guid, title, body, published_at, date_source, fetched_at,"
            " body_hash, fingerprint) VALUES (1, 1, :url, :guid, 'عنوان', 'نص الخبر', :t, 'text', :t, :h, :fp)"
        ),
        {"url": url, "guid": guid, "t": "2025-08-13 09:00:00", "h": f"{n:064x}", "fp": b"RQ"},
    )


def test_existing_articles_are_backfilled_and_unique_by_hash(db_url):
    engine = make_engine(db_url)
    try:
        command.upgrade(_alembic_config(engine), "0006")
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO sources (id, name, kind, location, interval_s, error_count, created_at)"
                " VALUES (1, 'files', 'files', '-', 0, 0, '2025-08-13 09:00:00')"))
            conn.execute(text(
                "INSERT INTO stories (id, headline, summary, article_count, published_at, first_seen, last_updated)"
                " VALUES (1, 'عنوان', 'ملخص', 2, '2025-08-13 09:00:00', '2025-08-13 09:00:00', '2025-08-13 09:00:00')"))
            _insert(conn, 1, "https://news.example/1", "خبر-1")
            _insert(conn, 2, "https://news.example/2", None)
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT url, url_hash, guid_hash FROM articles ORDER BY id")).all()
        assert [(r.url_hash, r.guid_hash) for r in rows] == [
            (hashlib.sha256(b"https://news.example/1").hexdigest(), hashlib.sha256("خبر-1".encode()).hexdigest()),
            (hashlib.sha256(b"https://news.example/2").hexdigest(), None),
        ]
        from storage.models import text_key

        assert rows[0].url_hash == text_key(rows[0].url)  # the model and the migration hash alike
        with engine.begin() as conn:  # a link past PostgreSQL's btree limit is storable now
            conn.execute(text("UPDATE articles SET url = :u, url_hash = :h WHERE id = 2"),
                         {"u": LONG_LINK, "h": text_key(LONG_LINK)})
        with pytest.raises(IntegrityError):
            with engine.begin() as conn:
                conn.execute(text("UPDATE articles SET url_hash = :h WHERE id = 1"), {"h": text_key(LONG_LINK)})
    finally:
        engine.dispose()

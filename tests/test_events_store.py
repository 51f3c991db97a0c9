"""Stored event profiles and their key index (storage/events.py, migration 0013), with the
decision on top (bot.text.events.find_event): what the pipeline runs for an article that is not a copy.

The reports are written for this test in the manner of three outlets (one fire in Hamburg told two
ways, another fire in the same city); SQLite and PostgreSQL both.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select

from bot.text import events
from storage import articles as article_store
from storage import events as event_store
from storage import sources
from storage.db import transaction
from storage.models import Article

T0 = datetime(2025, 8, 13, 9, 0, tzinfo=timezone.utc)

# One event, two outlets, their own words (another spelling of the city, another verb, the same
# count): no shared sentence, so the copy layer keeps them apart.
FIRE = (
    "حريق وانفجار في مبنى سكني بمدينة هامبورغ يصيب 27 شخصا",
    "أصيب 27 شخصا بجروح، بينهم ثلاثة في حالة خطرة، إثر حريق أعقبه انفجار في مبنى سكني من خمسة "
    "طوابق بحي ألتونا في مدينة هامبورغ الألمانية مساء السبت. وقالت الشرطة إن رجال الإطفاء أجلوا "
    "سكان المبنى والمباني المجاورة، وإن سبب الانفجار لم يعرف بعد، وتحقق السلطات في احتمال تسرب "
    "الغاز من إحدى الشقق.",
)
FIRE_OTHER_WORDS = (
    "إصابة العشرات بانفجار أعقب حريقا في بناية بحي ألتونا في هامبورج",
    "ذكرت الشرطة الألمانية أن انفجارا وقع في بناية سكنية بحي ألتونا في هامبورج بعد اندلاع حريق "
    "فيها، ما أدى إلى إصابة 27 من السكان، حالة ثلاثة منهم خطرة. وأوضح متحدث باسم الإطفاء أن فرقه "
    "أخلت البناية والمباني القريبة منها، فيما لم يتضح سبب الانفجار، ويرجح المحققون تسرب غاز.",
)
# Same city, same kind of news, another event.
PORT_FIRE = (
    "حريق في مستودع للأخشاب بميناء هامبورغ دون إصابات",
    "اندلع حريق كبير في مستودع للأخشاب بميناء هامبورغ الألمانية صباح الأحد، وتمكن رجال الإطفاء من "
    "السيطرة عليه بعد ساعات دون وقوع إصابات. وقالت إدارة الميناء إن الحريق لم يؤثر على حركة السفن، "
    "وإن التحقيق جار لمعرفة أسبابه.",
)


def _store(factory, title: str, body: str, at: datetime, n: int, kind: str = "news") -> tuple[int, int]:
    """Store one article in a story of its own with its event profile: (story_id, article_id)."""
    profile = events.event_key(title, body, at)
    with transaction(factory) as s:
        src = sources.ensure_source(s, f"outlet-{n}", "files", f"outlet:{n}", 0, T0).id
        story = article_store.create_story(s, title, "ملخص.", at, T0, kind=kind)
        article_id = article_store.add_article(s, story.id, article_store.NewArticle(
            src, f"https://news.example/{n}", None, title, body, at, "text", T0, f"{n:064x}", b"fp", []))
        event_store.add_profile(s, article_id, at, profile.to_json(), profile.keys())
        return story.id, article_id


def _lookup(factory, profile: events.EventProfile, limit: int = events.CANDIDATES) -> list[tuple[int, int, str]]:
    window = timedelta(hours=events.WINDOW_HOURS)
    with transaction(factory) as s:
        return event_store.candidates(s, profile.keys(), profile.published_at - window,
                                      profile.published_at + window, limit)


def test_another_outlets_report_of_the_event_finds_its_story(factory):
    fire_story, fire_article = _store(factory, *FIRE, T0, 1)
    port_story, _ = _store(factory, *PORT_FIRE, T0 + timedelta(hours=20), 2)
    new = events.event_key(*FIRE_OTHER_WORDS, T0 + timedelta(hours=3))

    rows = _lookup(factory, new)
    assert fire_article in [article_id for _, article_id, _ in rows]
    assert events.find_event(new, rows) == fire_story
    match = events.best_event(new, rows)
    assert match is not None and match.article_id == fire_article and match.margin >= 0
    # The port fire alone is a candidate at most (it shares the city), never the event.
    assert events.find_event(new, [row for row in rows if row[0] == port_story]) is None


def test_candidates_stay_inside_the_window(factory):
    _store(factory, *FIRE, T0 - timedelta(hours=events.WINDOW_HOURS + 5), 1)
    new = events.event_key(*FIRE_OTHER_WORDS, T0)
    assert _lookup(factory, new) == []


def test_candidates_are_capped_most_shared_keys_first(factory):
    """A busy window costs at most ``limit`` profiles read: the best-sharing ones."""
    new = events.event_key(*FIRE_OTHER_WORDS, T0 + timedelta(hours=1))
    for n in range(6):  # reports sharing one key of the new article (the port fire)
        _store(factory, PORT_FIRE[0], PORT_FIRE[1] + f" ({n})", T0 + timedelta(minutes=n), 10 + n)
    _, fire_article = _store(factory, *FIRE, T0 - timedelta(hours=2), 1)

    rows = _lookup(factory, new, limit=3)
    assert len(rows) == 3
    assert rows[0][1] == fire_article  # shares the most keys, although the oldest


def test_story_comes_from_the_article_and_only_news_stories_count(factory):
    story_id, article_id = _store(factory, *FIRE, T0, 1)
    _store(factory, *FIRE, T0, 2, kind="burst")  # a burst alert's story is never an event to join
    new = events.event_key(*FIRE_OTHER_WORDS, T0 + timedelta(hours=1))

    rows = _lookup(factory, new)
    assert [(sid, aid) for sid, aid, _ in rows] == [(story_id, article_id)]
    # The stored JSON comes back as the profile it was (weights rounded to 4 places).
    stored = events.EventProfile.from_json(rows[0][2])
    assert stored.to_json() == events.event_key(*FIRE, T0).to_json() == rows[0][2]
    assert stored.published_at == T0


def test_deleting_an_article_drops_its_profile_and_keys_and_prune_drops_old_keys(factory):
    _, old_article = _store(factory, *PORT_FIRE, T0 - timedelta(days=5), 1)
    _, article_id = _store(factory, *FIRE, T0, 2)
    with transaction(factory) as s:
        assert event_store.prune(s, T0 - timedelta(days=2)) == len(set(events.event_key(*PORT_FIRE).keys()))
        s.execute(delete(Article).where(Article.id == article_id))
    with transaction(factory) as s:
        keys = s.scalar(select(func.count()).select_from(event_store.event_keys))
        profiles = list(s.scalars(select(event_store.event_profiles.c.article_id)))
    assert keys == 0
    assert profiles == [old_article]  # pruning keeps profiles (explanations); deletion cascades


def test_profiles_of_another_version_are_skipped_not_fatal(factory):
    story_id, article_id = _store(factory, *FIRE, T0, 1)
    new = events.event_key(*FIRE_OTHER_WORDS, T0 + timedelta(hours=1))
    rows = _lookup(factory, new)
    stale = [(sid, aid, text.replace('"v":', '"v":-1,"old":')) for sid, aid, text in rows]
    assert events.find_event(new, stale) is None
    assert events.find_event(new, stale + rows) == story_id


def test_candidates_with_text_carry_the_stored_body_for_the_template_check(factory):
    """``with_text`` adds each candidate's body (what the word-by-word template check reads);
    the rows are otherwise the same, in the same order."""
    fire_story, fire_article = _store(factory, *FIRE, T0, 1)
    _store(factory, *PORT_FIRE, T0 + timedelta(hours=2), 2)
    new = events.event_key(*FIRE_OTHER_WORDS, T0 + timedelta(hours=3))
    window = timedelta(hours=events.WINDOW_HOURS)
    with transaction(factory) as s:
        plain = event_store.candidates(s, new.keys(), T0 - window, T0 + window, events.CANDIDATES)
        texts = event_store.candidates(s, new.keys(), T0 - window, T0 + window, events.CANDIDATES, with_text=True)
    assert [row[:3] for row in texts] == plain and len(plain) == 2
    assert dict((row[1], row[3]) for row in texts)[fire_article] == FIRE[1]
    match = events.best_event(new, texts)
    assert match is not None and (match.story_id, match.article_id) == (fire_story, fire_article)


def test_story_of_names_the_news_story_of_the_article_with_that_url_only(factory):
    """The write's check that a join still stands (statements built once, ids bound per call):
    the story of a news article; None for another URL, a story that is not news, an id not stored."""
    story_id, article_id = _store(factory, *FIRE, T0, 1)
    _, notice_article = _store(factory, *PORT_FIRE, T0, 2, kind="notice")
    with transaction(factory) as s:
        assert event_store.story_of(s, article_id) == story_id
        assert event_store.story_of(s, article_id, "https://news.example/1") == story_id
        assert event_store.story_of(s, article_id, "https://news.example/2") is None
        assert event_store.story_of(s, notice_article) is None
        assert event_store.story_of(s, notice_article + 1000) is None

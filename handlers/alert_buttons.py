"""The buttons under an alert: «لماذا؟», related stories, mute 1 h / 1 day, unsubscribe.

The alert no longer lists its matched terms; «لماذا؟» answers with the rule and the terms that
matched (the watchlist's rule numbering, «القاعدة 1», as /watch show and /explain give it) and,
once other reports joined the story, why each did (``handlers.why``: a copy, contained text, an
update, or the same event in other words with the evidence the decision weighed). Mute
and unsubscribe change the chat's subscriptions, so the router asks the same tier as
/unsubscribe before they run; why and related are for everyone. A button names the watchlist by
id and the story by id: a few ASCII digits, far inside Telegram's 64-byte callback limit.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.orm import Session

from bot.search import key_tokens
from bot.text.summarize import stopwords
from bot.topics import rules_from_json
from handlers import search as search_cmd
from handlers import subscribe as sub_cmd
from handlers import topicref
from handlers import why as why_text
from handlers.base import Caller, Reply
from handlers.format import MUTE_SPANS, topic_tag, until_text, zone_named
from handlers.services import Services
from handlers.texts import t
from storage import chat_settings, mutes
from storage import joins as join_store
from storage import stories as story_store
from storage.watchlists import WatchlistRow

_WORD = re.compile(r"[\w\u0600-\u06FF]+")


def _ids(arg: str, parts: int) -> tuple[int, ...] | None:
    pieces = arg.split(".")
    if len(pieces) != parts or not all(p.isdigit() for p in pieces):
        return None
    return tuple(int(p) for p in pieces)


def _visible(s: Session, caller: Caller, watchlist_id: int) -> WatchlistRow | None:
    """The watchlist if this chat may see it (a global one, or its own scope's)."""
    return sub_cmd._find(s, caller, f"{topicref.ID_PREFIX}{watchlist_id}")


def explanation(lang: str | None, rules: dict, matched: list[str]) -> list[tuple[str, list[str]]]:
    """(rule label, its matched terms) in the watchlist's rule order; terms no rule holds any
    more (the watchlist was edited since) come last under a plain label."""
    parsed = rules_from_json(rules)
    wanted = list(dict.fromkeys(matched))
    out: list[tuple[str, list[str]]] = []
    placed: set[str] = set()
    for i, group in enumerate(parsed.all):
        hits = [term for term in wanted if term in group]
        if hits:
            out.append((t(lang, "rule_all", n=i + 1), hits))
            placed.update(hits)
    hits = [term for term in wanted if term in parsed.any and term not in placed]
    if hits:
        out.append((t(lang, "rule_any"), hits))
        placed.update(hits)
    rest = [term for term in wanted if term not in placed]
    if rest:
        out.append((t(lang, "why_terms"), rest))
    return out


async def _story_topic(services: Services, caller: Caller, arg: str):
    """``STORY.WATCHLIST`` of a button → (watchlist row, headline, matched terms), or the notice to
    answer with. Only a topic this chat may see: a crafted button reveals nothing."""
    ids = _ids(arg, 2)
    if ids is None:
        return Reply(notice=t(caller.language, "button_expired"))
    story_id, watchlist_id = ids

    def work(s: Session):
        row = _visible(s, caller, watchlist_id)
        return row, (story_store.story_match(s, story_id, watchlist_id) if row is not None else None)

    row, match = await services.db(work)
    if row is None or match is None:
        return Reply(notice=t(caller.language, "why_gone"))
    return row, *match


async def why(services: Services, caller: Caller, arg: str) -> Reply:
    """``STORY.WATCHLIST``: which rule and which terms of the topic the story matched, and why
    the reports that joined the story since are the same story."""
    lang = caller.language
    found = await _story_topic(services, caller, arg)
    if isinstance(found, Reply):
        return found
    row, headline, terms = found
    reply = Reply().line(t(lang, "why_title"), "bold").line(headline, "italic")
    reply.add(t(lang, "why_topic")).line(f"{topic_tag(row.slug)} · {row.name}")
    for label, hits in explanation(lang, row.rules, terms):
        reply.add(f"• {label}: ").line("، ".join(hits), "bold")
    # The story grew («نشرته أيضًا»): why each other report is the same story.
    story_id = int(arg.split(".")[0])
    joins, total = await services.db(lambda s: join_store.story_joins(s, story_id, why_text.SHOWN))
    return why_text.story_joins(reply, lang, joins, total)


def related_query(headline: str, terms: list[str]) -> str:
    """The topic's first matched term (quoted when it is a phrase) and the headline's longest
    content word outside it: search ANDs its words, so this finds the topic's stories that share
    the story's subject, not the whole topic and not only the story itself."""
    stop = set(key_tokens(" ".join(stopwords())))
    term = terms[0].strip() if terms else ""
    taken = set(key_tokens(term))
    words = [w for w in dict.fromkeys(_WORD.findall(headline)) if len(w) > 2]
    content = [w for w in words if (keys := key_tokens(w)) and not all(k in stop or k in taken for k in keys)]
    picked = sorted(content, key=len, reverse=True)[: 1 if term else 2]
    parts = ([f'"{term}"' if " " in term else term] if term else []) + [w for w in content if w in picked]
    return " ".join(parts)


async def related(services: Services, caller: Caller, arg: str) -> Reply:
    """``STORY.WATCHLIST``: a /search by the story's subject, as a new message with its pages."""
    lang = caller.language
    found = await _story_topic(services, caller, arg)
    if isinstance(found, Reply):
        return found
    _, headline, terms = found
    query = related_query(headline, terms)
    if not query:
        return Reply(notice=t(lang, "search_none"))
    found = await search_cmd.search(services, caller, query)
    reply = Reply().line(t(lang, "related_title", headline=headline), "italic")
    reply.spans.extend(found.spans)
    reply.buttons = found.buttons
    return reply


async def mute(services: Services, caller: Caller, arg: str) -> Reply:
    """``WATCHLIST.h`` / ``WATCHLIST.d``: this chat's alerts of the topic are recorded as skipped
    until then (the router checked the caller may change this chat's subscriptions). The reply
    names the end in the chat's zone, read in the same transaction as the mute."""
    lang = caller.language
    wid, _, span = arg.partition(".")
    if not wid.isdigit() or span not in MUTE_SPANS:
        return Reply(notice=t(lang, "button_expired"))
    now = services.clock()
    until = now + timedelta(seconds=MUTE_SPANS[span])

    def work(s: Session):
        row = _visible(s, caller, int(wid))
        if row is None or not mutes.mute(s, caller.chat, row.id, until, caller.actor, now):
            return None, None
        return row, chat_settings.get(s, caller.chat).timezone

    row, zone_name = await services.db(work)
    if row is None:
        return Reply(notice=t(lang, "why_gone"))
    zone = zone_named(zone_name, services.timezone)
    return Reply(notice=t(lang, "muted_until", name=row.name, until=until_text(until, now, zone)))


async def unsubscribe(services: Services, caller: Caller, arg: str) -> Reply:
    """``WATCHLIST``: /unsubscribe from the alert; answered as a notice, the alert stays as it is."""
    if not arg.isdigit():
        return Reply(notice=t(caller.language, "button_expired"))
    result = await sub_cmd.unsubscribe(services, caller, f"{topicref.ID_PREFIX}{arg}")
    return Reply(notice=result.plain())

"""/watch new|add|exclude|remove|show|history|delete and /explain: chats shape their topics.

The router lets only chat admins (and owners) in; here each watchlist's scope decides the rest: a
chat's admins edit that chat's own watchlists, owners edit the global ones and any chat's. Every
change is validated before anything is stored, saved with who, where, when and the rules before
and after, and seen by the pipeline's next article (the topic index recompiles on each edit).

Where an added term goes: a topic with only ``any`` terms gets it as one more alternative. A topic
built from ``all`` groups (every group must match) needs the group number, because adding to
``any`` there would narrow the topic instead of widening it.
"""

from __future__ import annotations

import logging
import re
import unicodedata

from sqlalchemy.orm import Session

from bot.text.explain import variant_notes
from bot.topics import rules_from_json, rules_to_json
from bot.watchlists import MAX_NAME_LENGTH, MAX_TERM_LENGTH, Rules, WatchlistError, validate_name, validate_slug, validate_term
from handlers import topicref
from handlers import why as why_text
from handlers.base import Button, Caller, Reply, text
from handlers.format import in_chat_zone, when
from handlers.registry import Tier
from handlers.services import Services
from handlers.texts import error_text, t
from storage import joins as join_store
from storage import stories as story_store
from storage import watchlists as watchlist_store
from storage.watchlists import GLOBAL, EditRow, WatchlistRow

# HTML and the Markdown flavours chat apps parse: a term must be plain words.
MARKUP_CHARS = frozenset("<>&`*[]|~\\")
_TERM_SEPARATORS = re.compile(r"[,،\n]")
_MAX_EXPLAIN_CHARS = 20_000


class _Refused(Exception):
    """A reason to store nothing, already worded for the user."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.plain())
        self.reply = reply


def check_term(lang: str, raw: str) -> str:
    """The term as it will be stored, or _Refused with a message the admin can act on."""
    term = raw.strip()
    if not term:
        raise _Refused(text(t(lang, "term_empty")))
    if len(term) > MAX_TERM_LENGTH:
        raise _Refused(text(t(lang, "term_too_long", length=len(term), limit=MAX_TERM_LENGTH)))
    bad = sorted({ch for ch in term if ch in MARKUP_CHARS or unicodedata.category(ch) in ("Cc", "Cf")})
    if bad:
        shown = " ".join(repr(ch) for ch in bad)
        raise _Refused(text(t(lang, "term_markup", chars=shown)))
    try:
        return validate_term(term)
    except WatchlistError:
        raise _Refused(text(t(lang, "term_invalid", term=term[:50]))) from None


def _split_terms(lang: str, raw: str) -> list[str]:
    parts = [p for p in _TERM_SEPARATORS.split(raw)]
    if not any(p.strip() for p in parts):
        raise _Refused(text(t(lang, "term_empty")))
    terms: list[str] = []
    for part in parts:
        if part.strip():
            term = check_term(lang, part)
            if term not in terms:
                terms.append(term)
    return terms


def _rule_label(lang: str, rule: str) -> str:
    if rule.startswith("all["):
        return t(lang, "rule_all", n=int(rule[4:-1]) + 1)
    return t(lang, "rule_any" if rule == "any" else "rule_none")


def _head(args: str) -> tuple[str, str]:
    """The first word and the rest, split at any whitespace (a newline too)."""
    parts = args.strip().split(maxsplit=1)
    return (parts[0], parts[1].strip()) if len(parts) == 2 else ((parts[0], "") if parts else ("", ""))


def _owner(caller: Caller) -> bool:
    return caller.tier >= Tier.OWNER


def _actor(caller: Caller, row_scope: str) -> str:
    """Who signs the audit row; an owner editing another chat's watchlist is marked as one."""
    foreign = row_scope not in (GLOBAL, caller.home)
    return f"{caller.actor} [owner]" if _owner(caller) and foreign else caller.actor


def _unknown(s: Session, caller: Caller, slug: str) -> _Refused:
    topics = "، ".join(watchlist_store.slugs_of(s, [caller.home])) or "-"
    return _Refused(text(t(caller.language, "unknown_topic", slug=slug, topics=topics)))


def _find(s: Session, caller: Caller, ref: str) -> WatchlistRow:
    """The watchlist the chat means, or _Refused naming the ones it may see."""
    scope, slug = topicref.parse(ref)
    row = watchlist_store.lookup(s, slug, caller.home, scope, any_scope=_owner(caller))
    if row is None:
        raise _unknown(s, caller, slug)
    return row


def _editable(s: Session, caller: Caller, ref: str) -> WatchlistRow:
    """As _find, and refused unless this caller may change it (the object's scope, checked here:
    the router already made sure the caller administers this chat)."""
    row = _find(s, caller, ref)
    if not topicref.may_edit(caller, row, _owner(caller)):
        key = "global_readonly" if row.is_global else "not_your_topic"
        raise _Refused(text(t(caller.language, key, slug=row.slug)))
    return row


async def _guard(work) -> Reply:
    try:
        return await work()
    except _Refused as refused:
        return refused.reply


def _check_slug(lang: str, ref: str) -> None:
    """A bad slug (or a malformed SCOPE: before it) is refused before anything is read."""
    scope, slug = topicref.parse(ref)
    if not slug or (scope is not None and not watchlist_store.is_scope(scope)):
        raise _Refused(text(t(lang, "watch_usage")))
    try:
        validate_slug(slug)
    except WatchlistError:
        raise _Refused(text(t(lang, "slug_invalid", slug=slug[:60]))) from None


async def watch(services: Services, caller: Caller, args: str) -> Reply:
    """``/watch SUB …`` through the router (tier checked there), for callers holding only text."""
    from handlers.router import handle_command

    reply = await handle_command(services, caller, "watch", args)
    return reply if reply is not None else text(t(caller.language, "watch_usage"))


async def new(services: Services, caller: Caller, rest: str) -> Reply:
    """``/watch new SLUG NAME``: a watchlist of this chat's scope (``global:SLUG`` for owners)."""
    lang = caller.language
    ref, raw_name = _head(rest)

    async def work() -> Reply:
        _check_slug(lang, ref)
        scope, slug = topicref.parse(ref)
        scope = scope or caller.home
        if scope != caller.home and not _owner(caller):
            return text(t(lang, "owners_only_scope"))
        try:
            name = validate_name(raw_name)
        except WatchlistError:  # its message is English: the user is told in their language
            cleaned = raw_name.strip()
            if not cleaned:
                return text(t(lang, "name_empty"))
            if len(cleaned) > MAX_NAME_LENGTH:
                return text(t(lang, "name_too_long", length=len(cleaned), limit=MAX_NAME_LENGTH))
            return text(t(lang, "name_markup"))
        if any(ch in MARKUP_CHARS for ch in name):
            return text(t(lang, "name_markup"))

        def store(s: Session) -> tuple[WatchlistRow | None, bool]:
            row = watchlist_store.create_watchlist(
                s, slug, name, rules_to_json(Rules()), _actor(caller, scope), services.clock(), scope=scope,
                chat=caller.chat)
            return row, row is not None and not row.is_global and watchlist_store.get_watchlist(s, slug) is not None

        row, shadows = await services.db(store)
        if row is None:
            return text(t(lang, "slug_taken", slug=slug))
        reply = text(t(lang, "created", slug=slug))
        if shadows:
            reply.add("\n").add(t(lang, "shadow_note", slug=slug))
        return reply

    return await _guard(work)


def _edit_command(build):
    """A rules edit: find the editable watchlist, apply ``build`` (rules → new rules, action,
    detail, reply) in one audited transaction."""

    async def command(services: Services, caller: Caller, rest: str) -> Reply:
        lang = caller.language
        ref, tail = _head(rest)

        async def work() -> Reply:
            _check_slug(lang, ref)
            prepared = build(lang, tail)  # validates the terms before anything is read

            def store(s: Session) -> Reply:
                row = _editable(s, caller, ref)
                out: list[Reply] = []

                def change(current: WatchlistRow):
                    rules, action, detail, reply = prepared(current)
                    out.append(reply)
                    return None if rules is None else (rules_to_json(rules), action, detail)

                watchlist_store.update_watchlist(s, row.id, change, _actor(caller, row.scope), services.clock(),
                                                 chat=caller.chat)
                return out[0]

            return await services.db(store)

        return await _guard(work)

    return command


def _build_add(lang: str, rest: str):
    head, tail = _head(rest)
    if not rest.strip():
        raise _Refused(text(t(lang, "term_empty")))

    def apply(row: WatchlistRow):
        rules = rules_from_json(row.rules)
        group: int | None = None
        body = rest
        if rules.all and head.isdigit():
            group, body = int(head), tail
            if not 1 <= group <= len(rules.all):
                raise _Refused(text(t(lang, "group_invalid", n=group, count=len(rules.all))))
        terms = _split_terms(lang, body)
        if rules.all and group is None:
            raise _Refused(text(t(lang, "group_needed", slug=row.slug, groups=_groups_listing(rules))))
        if group is None:
            rule, current = "any", rules.any
        else:
            rule, current = f"all[{group - 1}]", rules.all[group - 1]
        added = [term for term in terms if term not in current]
        label = _rule_label(lang, rule)
        if not added:
            return None, "", "", Reply().add(t(lang, "term_already", rule=label)).bold("، ".join(terms))
        if group is None:
            rules = Rules(rules.all, rules.any + tuple(added), rules.none)
        else:
            groups = list(rules.all)
            groups[group - 1] = groups[group - 1] + tuple(added)
            rules = Rules(tuple(groups), rules.any, rules.none)
        reply = Reply().add(t(lang, "term_added", rule=label)).bold("، ".join(added))
        return rules, "add", f"{rule} += {', '.join(added)}", reply

    return apply


def _build_exclude(lang: str, rest: str):
    term = check_term(lang, rest)

    def apply(row: WatchlistRow):
        rules = rules_from_json(row.rules)
        if term in rules.none:
            return None, "", "", Reply().add(t(lang, "term_already", rule=_rule_label(lang, "none"))).bold(term)
        rules = Rules(rules.all, rules.any, rules.none + (term,))
        return rules, "exclude", f"none += {term}", Reply().add(t(lang, "term_excluded")).bold(term)

    return apply


def _build_remove(lang: str, rest: str):
    term = check_term(lang, rest)

    def apply(row: WatchlistRow):
        r = rules_from_json(row.rules)
        groups = tuple(g for g in (tuple(x for x in group if x != term) for group in r.all) if g)
        rules = Rules(groups, tuple(x for x in r.any if x != term), tuple(x for x in r.none if x != term))
        if rules == r:
            return None, "", "", Reply().add(t(lang, "term_not_found")).bold(term)
        reply = Reply().add(t(lang, "term_removed")).bold(term)
        if not rules.all and not rules.any:
            reply.add("\n").add(t(lang, "rules_empty"))
        return rules, "remove", term, reply

    return apply


add = _edit_command(_build_add)
exclude = _edit_command(_build_exclude)
remove = _edit_command(_build_remove)


def _groups_listing(rules: Rules) -> str:
    return "\n".join(f"{i}: {'، '.join(group)}" for i, group in enumerate(rules.all, 1))


def _history_lines(reply: Reply, caller: Caller, row: WatchlistRow, history: list[EditRow], tz) -> None:
    """Newest first. Who made a global watchlist's edits, and where, is for owners only: the
    other chats' admins and ids are nothing a chat admin may see."""
    full = _owner(caller) or row.scope == caller.home
    for e in reversed(history):
        who = f" · {e.actor}" if full else ""
        where = f" · {e.chat}" if _owner(caller) and e.chat else ""
        reply.line(f"{when(e.at, tz)}{who}{where} · {e.action}: {e.detail[:120]}")


async def show(services: Services, caller: Caller, rest: str) -> Reply:
    lang = caller.language
    services = await in_chat_zone(services, caller)  # the edits' times as this chat reads them
    ref, _ = _head(rest)

    async def work() -> Reply:
        _check_slug(lang, ref)

        def load(s: Session):
            row = _find(s, caller, ref)
            return row, watchlist_store.shadowed(s, row.slug, caller.home), watchlist_store.edits(
                s, row.slug, row.scope, limit=3)

        row, shadowed, history = await services.db(load)
        reply = Reply().add(row.slug, "code").add(f" — {row.name}")
        reply.line(f" ({topicref.scope_label(lang, row, caller)})" if shadowed or not row.is_global else "")
        rules = rules_from_json(row.rules)
        for i, group in enumerate(rules.all):
            reply.add(f"{_rule_label(lang, f'all[{i}]')}: ", "bold").line("، ".join(group))
        if rules.any:
            reply.add(f"{_rule_label(lang, 'any')}: ", "bold").line("، ".join(rules.any))
        if rules.none:
            reply.add(f"{_rule_label(lang, 'none')}: ", "bold").line("، ".join(rules.none))
        if not rules.all and not rules.any:
            reply.line(t(lang, "rules_empty"))
        if history:
            reply.line().line(t(lang, "last_edits"), "italic")
            _history_lines(reply, caller, row, history, services.timezone)
        return reply

    return await _guard(work)


async def history(services: Services, caller: Caller, rest: str) -> Reply:
    """``/watch history SLUG``: the latest edits, who (where the caller may know), when, what."""
    lang = caller.language
    services = await in_chat_zone(services, caller)  # the edits' times as this chat reads them
    ref, _ = _head(rest)

    async def work() -> Reply:
        _check_slug(lang, ref)

        def load(s: Session):
            row = _find(s, caller, ref)
            return row, watchlist_store.edits(s, row.slug, row.scope, limit=HISTORY_LINES)

        row, edits = await services.db(load)
        reply = Reply().add(t(lang, "history_title"), "italic").add(row.slug, "code")
        reply.line(f" ({topicref.scope_label(lang, row, caller)})")
        if not edits:
            return reply.add(t(lang, "history_none"))
        _history_lines(reply, caller, row, edits, services.timezone)
        return reply

    return await _guard(work)


HISTORY_LINES = 10


async def delete(services: Services, caller: Caller, rest: str) -> Reply:
    lang = caller.language
    ref, _ = _head(rest)

    async def work() -> Reply:
        _check_slug(lang, ref)
        row = await services.db(lambda s: _editable(s, caller, ref))
        reply = text(t(lang, "delete_confirm", slug=row.slug, name=row.name))
        data = f"{topicref.ID_PREFIX}{row.id}"
        return reply.button_row(Button(t(lang, "btn_delete"), f"wdel:{data}"), Button(t(lang, "btn_cancel"), f"wkeep:{data}"))

    return await _guard(work)


async def confirm_delete(services: Services, caller: Caller, data: str) -> Reply:
    """The confirmation button: the router checked the tier again (anyone in a group can press
    it), and the watchlist's scope is checked again here."""
    lang = caller.language
    if not data.startswith(topicref.ID_PREFIX) or not data[1:].isdigit():
        return Reply(notice=t(lang, "button_expired"))
    wid = int(data[1:])

    def work(s: Session) -> str | None:
        row = watchlist_store.get_by_id(s, wid)
        if row is None:
            return None
        if not topicref.may_edit(caller, row, _owner(caller)):
            raise _Refused(text(t(lang, "global_readonly" if row.is_global else "not_your_topic", slug=row.slug)))
        deleted = watchlist_store.delete_watchlist(s, row.slug, _actor(caller, row.scope), services.clock(),
                                                   scope=row.scope, chat=caller.chat)
        return row.slug if deleted else None

    try:
        slug = await services.db(work)
    except _Refused as refused:
        return Reply(notice=refused.reply.plain())
    if slug is None:
        return Reply(notice=t(lang, "button_expired"), edit=True).add(t(lang, "button_expired"))
    reply = Reply(edit=True).add(t(lang, "deleted")).bold(slug)
    reply.notice = reply.plain()
    return reply


async def cancel_delete(services: Services, caller: Caller, _data: str) -> Reply:
    lang = caller.language
    return Reply(edit=True, notice=t(lang, "delete_cancelled")).add(t(lang, "delete_cancelled"))


def _may_fetch(caller: Caller) -> bool:
    """Fetching a page not stored is for owners and group admins: a private chat's user
    administers only that chat, and must not turn the bot into anyone's page fetcher."""
    return _owner(caller) or caller.is_group


_URLISH = re.compile(r"^(https?://|/|\./|file:)\S*$")


async def explain(services: Services, caller: Caller, args: str) -> Reply:
    """Why a stored article (by URL) or a pasted text matches each topic, or does not."""
    lang = caller.language
    arg = args.strip()
    if not arg:
        return text(t(lang, "explain_usage"))
    title, body = "", arg[:_MAX_EXPLAIN_CHARS]
    join = None  # a stored article that joined a known story: why (``handlers.why``)
    if _URLISH.match(arg):
        stored, join = await services.db(
            lambda s: (story_store.article_by_url(s, arg), join_store.article_join_by_url(s, arg)))
        if stored is not None:
            title, body = stored.title, stored.body
        elif services.feeds is not None and arg.lower().startswith(("http://", "https://")) and _may_fetch(caller):
            # Not stored: fetch it through the same guards as feeds (no private addresses, size caps).
            from bot.sources.fetch import FetchError

            try:
                title, body = await services.feeds.fetch_article(arg)
            except FetchError as exc:
                logging.getLogger(__name__).info("/explain %s: %s", arg[:200], exc.reason)  # details: log only
                return text(t(lang, "explain_fetch_failed", reason=error_text(lang, exc.reason)))
            if not body:
                return text(t(lang, "explain_no_text"))
            body = body[:_MAX_EXPLAIN_CHARS]
        else:
            return text(t(lang, "explain_not_stored"))

    def refresh(s: Session) -> None:
        services.topics.refresh(s)

    await services.db(refresh)
    reply = Reply()
    if title:
        reply.line(title, "bold").line()
    for exp in services.topics.matcher.explain(title, body):
        row = services.topics.row(exp.slug)
        if row is None or not (row.is_global or row.scope == caller.home):
            continue  # another chat's watchlist: nothing of it is shown here
        verdict = t(lang, "explain_matched" if exp.matched else "explain_not_matched")
        reply.add(row.slug, "code").add(f" — {exp.name}: ").line(verdict, "bold")
        for check in exp.rules:
            label = _rule_label(lang, check.rule)
            if check.hits:
                found = "، ".join(
                    f"{h.term} ({'، '.join(h.found + tuple(variant_notes(h, lang)))})"
                    for h in check.hits
                )
                reply.line(f"  {label}: {t(lang, 'explain_found')}{found}")
            else:
                shown = "، ".join(check.terms[:10]) + ("…" if len(check.terms) > 10 else "")
                reply.line(f"  {label}: {t(lang, 'explain_missing')}{shown}")
        reply.line()
    if not reply.spans:
        reply.add(t(lang, "no_topics"))
    if join is not None:
        why_text.join_lines(reply.line().line(t(lang, "explain_join"), "bold"), lang, join, own=False)
    return reply

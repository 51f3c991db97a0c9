"""/watch new|add|exclude|remove|show|delete and /explain: admins shape the topics from chat.

Every change is validated before anything is stored, saved with who and when, and seen by the
pipeline's next article (the topic index recompiles when a watchlist's version moves).

Where an added term goes: a topic with only ``any`` terms gets it as one more alternative. A topic
built from ``all`` groups (every group must match) needs the group number, because adding to
``any`` there would narrow the topic instead of widening it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from bot.topics import rules_from_json, rules_to_json
from bot.watchlists import MAX_TERM_LENGTH, Rules, WatchlistError, validate_name, validate_slug, validate_term
from handlers.base import Button, Caller, Reply, text
from handlers.format import when
from handlers.services import Services
from handlers.texts import t
from storage import stories as story_store
from storage import watchlists as watchlist_store

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


@dataclass
class _Edit:
    slug: str
    name: str
    rules: Rules


async def watch(services: Services, caller: Caller, args: str) -> Reply:
    lang = caller.language
    if not await caller.is_admin():
        return text(t(lang, "admins_only"))
    sub, rest = _head(args)
    action = _ACTIONS.get(sub.lower())
    if action is None:
        return text(t(lang, "watch_usage"))
    slug, rest = _head(rest)
    if not slug:
        return text(t(lang, "watch_usage"))
    slug = slug.lower()
    try:
        validate_slug(slug)
    except WatchlistError:
        return text(t(lang, "slug_invalid", slug=slug[:60]))
    try:
        return await action(services, caller, slug, rest.strip())
    except _Refused as refused:
        return refused.reply


async def _new(services: Services, caller: Caller, slug: str, rest: str) -> Reply:
    lang = caller.language
    try:
        name = validate_name(rest)
    except WatchlistError as exc:
        return text(t(lang, "name_invalid", reason=str(exc)[:200]))
    if any(ch in MARKUP_CHARS for ch in name):
        return text(t(lang, "name_invalid", reason="markup"))

    def work(s: Session) -> bool:
        if watchlist_store.get_watchlist(s, slug) is not None:
            return False
        empty = rules_to_json(Rules())
        watchlist_store.save_watchlist(s, slug, name, empty, caller.actor, "create", name, services.clock())
        return True

    if not await services.db(work):
        return text(t(lang, "slug_taken", slug=slug))
    return text(t(lang, "created", slug=slug))


def _load(s: Session, lang: str, slug: str) -> _Edit:
    row = watchlist_store.get_watchlist(s, slug)
    if row is None:
        topics = "، ".join(r.slug for r in watchlist_store.active_watchlists(s)) or "-"
        raise _Refused(text(t(lang, "unknown_topic", slug=slug, topics=topics)))
    return _Edit(row.slug, row.name, rules_from_json(row.rules))


def _save(s: Session, services: Services, caller: Caller, edit: _Edit, action: str, detail: str) -> None:
    watchlist_store.save_watchlist(
        s, edit.slug, edit.name, rules_to_json(edit.rules), caller.actor, action, detail, services.clock()
    )


def _groups_listing(rules: Rules) -> str:
    return "\n".join(f"{i}: {'، '.join(group)}" for i, group in enumerate(rules.all, 1))


async def _add(services: Services, caller: Caller, slug: str, rest: str) -> Reply:
    lang = caller.language

    def work(s: Session) -> Reply:
        edit = _load(s, lang, slug)
        group: int | None = None
        head, tail = _head(rest)
        if edit.rules.all and head.isdigit():
            group, body = int(head), tail
            if not 1 <= group <= len(edit.rules.all):
                raise _Refused(text(t(lang, "group_invalid", n=group, count=len(edit.rules.all))))
        else:
            body = rest
        terms = _split_terms(lang, body)
        if edit.rules.all and group is None:
            raise _Refused(text(t(lang, "group_needed", slug=slug, groups=_groups_listing(edit.rules))))
        if group is None:
            rule, current = "any", edit.rules.any
        else:
            rule, current = f"all[{group - 1}]", edit.rules.all[group - 1]
        new = [term for term in terms if term not in current]
        label = _rule_label(lang, rule)
        if not new:
            return Reply().add(t(lang, "term_already", rule=label)).bold("، ".join(terms))
        if group is None:
            edit.rules = Rules(edit.rules.all, edit.rules.any + tuple(new), edit.rules.none)
        else:
            groups = list(edit.rules.all)
            groups[group - 1] = groups[group - 1] + tuple(new)
            edit.rules = Rules(tuple(groups), edit.rules.any, edit.rules.none)
        _save(s, services, caller, edit, "add", f"{rule} += {', '.join(new)}")
        return Reply().add(t(lang, "term_added", rule=label)).bold("، ".join(new))

    return await services.db(work)


async def _exclude(services: Services, caller: Caller, slug: str, rest: str) -> Reply:
    lang = caller.language
    term = check_term(lang, rest)

    def work(s: Session) -> Reply:
        edit = _load(s, lang, slug)
        if term in edit.rules.none:
            return Reply().add(t(lang, "term_already", rule=_rule_label(lang, "none"))).bold(term)
        edit.rules = Rules(edit.rules.all, edit.rules.any, edit.rules.none + (term,))
        _save(s, services, caller, edit, "exclude", f"none += {term}")
        return Reply().add(t(lang, "term_excluded")).bold(term)

    return await services.db(work)


async def _remove(services: Services, caller: Caller, slug: str, rest: str) -> Reply:
    lang = caller.language
    term = check_term(lang, rest)

    def work(s: Session) -> Reply:
        edit = _load(s, lang, slug)
        r = edit.rules
        groups = tuple(g for g in (tuple(x for x in group if x != term) for group in r.all) if g)
        rules = Rules(groups, tuple(x for x in r.any if x != term), tuple(x for x in r.none if x != term))
        if rules == r:
            return Reply().add(t(lang, "term_not_found")).bold(term)
        edit.rules = rules
        _save(s, services, caller, edit, "remove", term)
        reply = Reply().add(t(lang, "term_removed")).bold(term)
        if not rules.all and not rules.any:
            reply.add("\n").add(t(lang, "rules_empty"))
        return reply

    return await services.db(work)


async def _show(services: Services, caller: Caller, slug: str, _rest: str) -> Reply:
    lang = caller.language

    def work(s: Session) -> tuple[_Edit, list[tuple[str, str, str, Any]]]:
        edit = _load(s, lang, slug)
        history = [(e.action, e.detail, e.actor, e.at) for e in watchlist_store.edits(s, slug)[-3:]]
        return edit, history

    edit, history = await services.db(work)
    reply = Reply().add(edit.slug, "code").line(f" — {edit.name}")
    rules = edit.rules
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
        for action, detail, actor, at in reversed(history):
            reply.line(f"{when(at, services.timezone)} · {actor} · {action}: {detail[:120]}")
    return reply


async def _delete(services: Services, caller: Caller, slug: str, _rest: str) -> Reply:
    lang = caller.language
    edit = await services.db(lambda s: _load(s, lang, slug))
    reply = text(t(lang, "delete_confirm", slug=slug, name=edit.name))
    return reply.button_row(Button(t(lang, "btn_delete"), f"wdel:{slug}"), Button(t(lang, "btn_cancel"), f"wkeep:{slug}"))


async def confirm_delete(services: Services, caller: Caller, slug: str) -> Reply:
    """The confirmation button: checked again, since anyone in a group can press it."""
    lang = caller.language
    if not await caller.is_admin():
        return Reply(notice=t(lang, "admins_only"))
    deleted = await services.db(lambda s: watchlist_store.delete_watchlist(s, slug, caller.actor, services.clock()))
    if not deleted:
        return Reply(notice=t(lang, "button_expired"), edit=True).add(t(lang, "button_expired"))
    reply = Reply(edit=True).add(t(lang, "deleted")).bold(slug)
    reply.notice = reply.plain()
    return reply


async def cancel_delete(services: Services, caller: Caller, slug: str) -> Reply:
    lang = caller.language
    if not await caller.is_admin():
        return Reply(notice=t(lang, "admins_only"))
    return Reply(edit=True, notice=t(lang, "delete_cancelled")).add(t(lang, "delete_cancelled"))


_ACTIONS = {"new": _new, "add": _add, "exclude": _exclude, "remove": _remove, "show": _show, "delete": _delete}


_URLISH = re.compile(r"^(https?://|/|\./|file:)\S*$")


async def explain(services: Services, caller: Caller, args: str) -> Reply:
    """Why a stored article (by URL) or a pasted text matches each topic, or does not."""
    lang = caller.language
    if not await caller.is_admin():
        return text(t(lang, "admins_only"))
    arg = args.strip()
    if not arg:
        return text(t(lang, "explain_usage"))
    title, body = "", arg[:_MAX_EXPLAIN_CHARS]
    if _URLISH.match(arg):
        stored = await services.db(lambda s: story_store.article_by_url(s, arg))
        if stored is not None:
            title, body = stored.title, stored.body
        elif services.feeds is not None and arg.lower().startswith(("http://", "https://")):
            # Not stored: fetch it through the same guards as feeds (no private addresses, size caps).
            from bot.fetch import FetchError

            try:
                title, body = await services.feeds.fetch_article(arg)
            except FetchError as exc:
                return text(t(lang, "explain_fetch_failed", reason=exc.reason[:300]))
            if not body:
                return text(t(lang, "explain_fetch_failed", reason="no article text found"))
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
        verdict = t(lang, "explain_matched" if exp.matched else "explain_not_matched")
        reply.add(exp.slug, "code").add(f" — {exp.name}: ").line(verdict, "bold")
        for check in exp.rules:
            label = _rule_label(lang, check.rule)
            if check.hits:
                found = "، ".join(f"{h.term} ({'، '.join(h.found)})" for h in check.hits)
                reply.line(f"  {label}: {t(lang, 'explain_found')}{found}")
            else:
                shown = "، ".join(check.terms[:10]) + ("…" if len(check.terms) > 10 else "")
                reply.line(f"  {label}: {t(lang, 'explain_missing')}{shown}")
        reply.line()
    if not reply.spans:
        reply.add(t(lang, "no_topics"))
    return reply

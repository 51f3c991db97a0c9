"""Why a report joined a story, in chat words (issue 12 part 1): under the «لماذا؟» answer of an
alert whose story grew («نشرته أيضًا: A، B»), and in /explain of a stored link.

Each line names the joining report (outlet, headline), the kind of join (a copy, a text contained
in a stored one, an update, or the same event in other words), the report it joined, and for the
same event the evidence the decision weighed (``bot.text.events.Evidence``, recorded with the join
by the pipeline: ``storage.joins``). Outlet names and headlines are untrusted text: they go in as
spans, which each transport escapes (HTML for Telegram, markdown for Discord).
"""

from __future__ import annotations

from bot.text.events import Evidence
from handlers.base import Reply
from handlers.texts import t
from storage.joins import Join

# Joins listed under one «لماذا؟» answer; the rest are counted («… و3 تقارير غيرها»).
SHOWN = 5
_KIND = {"copy": "join_copy", "contained": "join_contained", "update": "join_update", "event": "join_event"}


def kind(lang: str | None, relation: str) -> str:
    """نسخة / نص متضمن / تحديث / الحدث نفسه بصياغة أخرى (an unknown relation: as stored)."""
    key = _KIND.get(relation)
    return t(lang, key) if key else relation


def evidence_parts(lang: str | None, found: Evidence) -> list[str]:
    """The same-event evidence as short phrases: shared rare words, shared figures, headline likeness,
    hours apart (rough when a time is only a fetch time), score against its bar."""
    parts = []
    if found.names:
        parts.append(t(lang, "join_names") + "، ".join(found.names))
    if found.figures:
        parts.append(t(lang, "join_figures") + "، ".join(found.figures))
    parts.append(t(lang, "join_headline", percent=round(found.headline * 100)))
    hours = round(found.hours_apart)
    hours_text = t(lang, "join_hours", hours=hours) if hours >= 1 else t(lang, "join_hours_under")
    parts.append(hours_text + (t(lang, "join_hours_rough") if found.approximate else ""))
    parts.append(t(lang, "join_score", score=f"{found.score:.2f}", bar=f"{found.threshold:.2f}"))
    return parts


def _evidence(join: Join) -> Evidence | None:
    if join.relation != "event" or not join.evidence:
        return None
    try:
        return Evidence.from_dict(join.evidence)
    except (KeyError, TypeError, ValueError):  # a row of another shape explains less, it does not fail
        return None


def join_lines(reply: Reply, lang: str | None, join: Join, *, own: bool = True) -> Reply:
    """One join: «• outlet: headline» (unless ``own`` is False: the caller named the article), then
    its kind and the report it joined, then the evidence for the same event."""
    if own:
        reply.add("• ").add(join.source, "bold").add(": ").line(join.title)  # no space inside ** (Discord)
    reply.add("  ").add(kind(lang, join.relation), "bold")
    if join.joined_source is None:
        reply.line(t(lang, "join_gone"))
    else:
        reply.add(t(lang, "join_of", source=join.joined_source)).line(f"«{join.joined_title}»", "italic")
    found = _evidence(join)
    if found is not None:
        reply.add("  ").line(" · ".join(evidence_parts(lang, found)))
    return reply


def story_joins(reply: Reply, lang: str | None, joins: list[Join], total: int) -> Reply:
    """The «لماذا هي قصة واحدة؟» section of an alert's «لماذا؟» answer; nothing when no report
    joined the story (or none since joins were recorded)."""
    if not joins:
        return reply
    reply.line().line(t(lang, "why_joins_title"), "bold")
    for join in joins:
        join_lines(reply, lang, join)
    if total > len(joins):
        reply.line(t(lang, "join_more", n=total - len(joins)))
    return reply

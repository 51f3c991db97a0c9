"""/status (admins): each source's last success and error count, and the outbox's backlog."""

from __future__ import annotations

from handlers.base import Caller, Reply
from handlers.format import when
from handlers.registry import Tier
from handlers.services import Services
from handlers.texts import t
from storage import status as status_store


async def status(services: Services, caller: Caller, _args: str = "") -> Reply:
    lang = caller.language
    # The router let only chat admins and owners in; a chat admin sees this chat's deliveries only.
    chat = None if caller.tier >= Tier.OWNER else caller.chat
    sources, box = await services.db(lambda s: (status_store.source_health(s), status_store.outbox_health(s, chat)))
    reply = Reply().line(t(lang, "status_sources"), "bold")
    if not sources:
        reply.line(t(lang, "status_no_sources"))
    for src in sources:
        last = when(src.last_success_at, services.timezone) if src.last_success_at else t(lang, "status_never")
        reply.add("• ").add(t(lang, "status_source", name=src.name, when=last, errors=src.error_count))
        if src.disabled_reason:
            reply.add(t(lang, "status_disabled", reason=src.disabled_reason[:100]))
        if src.last_error:
            reply.add(" — ").add(src.last_error[:150], "code")
        reply.line()
    reply.line()
    if box.pending and box.oldest_pending is not None:
        since = when(box.oldest_pending, services.timezone)
        reply.add(t(lang, "status_outbox_waiting", pending=box.pending, since=since, retrying=box.retrying,
                    failed=box.failed, sent=box.sent))
        if box.last_error:
            reply.add(" — ").add(box.last_error[:150], "code")
    else:
        reply.add(t(lang, "status_outbox", pending=box.pending, failed=box.failed, sent=box.sent))
    return reply

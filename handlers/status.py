"""/status (admins): each source's last success and error count, and the outbox's backlog."""

from __future__ import annotations

from handlers.base import Caller, Reply, text
from handlers.format import when
from handlers.services import Services
from handlers.texts import t
from storage import status as status_store


async def status(services: Services, caller: Caller, _args: str = "") -> Reply:
    lang = caller.language
    if not await caller.is_admin():
        return text(t(lang, "admins_only"))
    sources, box = await services.db(lambda s: (status_store.source_health(s), status_store.outbox_health(s)))
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
    reply.line().add(t(lang, "status_outbox", pending=box.pending, failed=box.failed, sent=box.sent))
    return reply

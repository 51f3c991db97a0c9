"""/status (admins): each source's last success and error count, and the outbox's backlog; for
owners also what this process did since it started (the figures of the /metrics endpoint).

Errors are named by their class in the user's language (handlers.texts.error_text); the raw
error text ("[Errno -2] …", "HTTP 500") stays in the log and in `raqib feeds list`.
"""

from __future__ import annotations

from handlers.base import Caller, Reply
from handlers.format import in_chat_zone, when
from handlers.registry import Tier
from handlers.services import Services
from handlers.texts import error_text, t
from storage import status as status_store


async def status(services: Services, caller: Caller, _args: str = "") -> Reply:
    lang = caller.language
    services = await in_chat_zone(services, caller)  # times as this chat reads them (/timezone)
    # The router let only chat admins and owners in; a chat admin sees this chat's deliveries only.
    owner = caller.tier >= Tier.OWNER
    chat = None if owner else caller.chat
    sources, box = await services.db(lambda s: (status_store.source_health(s), status_store.outbox_health(s, chat)))
    reply = Reply().line(t(lang, "status_sources"), "bold")
    if not sources:
        reply.line(t(lang, "status_no_sources"))
    for src in sources:
        last = when(src.last_success_at, services.timezone) if src.last_success_at else t(lang, "status_never")
        reply.add("• ").add(t(lang, "status_source", name=src.name, when=last, errors=src.error_count))
        if src.disabled_reason:
            reply.add(t(lang, "status_disabled", reason=error_text(lang, src.disabled_reason).rstrip(".")))
        elif src.last_error:
            reply.add(" — ").add(error_text(lang, src.last_error))
        reply.line()
    reply.line()
    if box.pending and box.oldest_pending is not None:
        since = when(box.oldest_pending, services.timezone)
        reply.add(t(lang, "status_outbox_waiting", pending=box.pending, since=since, retrying=box.retrying,
                    failed=box.failed, sent=box.sent))
        if box.last_error:
            reply.add(" — ").add(error_text(lang, box.last_error))
    else:
        reply.add(t(lang, "status_outbox", pending=box.pending, failed=box.failed, sent=box.sent))
    if owner:  # process-wide figures cover every chat: owners only
        _activity(reply, lang)
    return reply


def _activity(reply: Reply, lang: str) -> None:
    """The /metrics counters of this process, in words."""
    from bot import metrics

    snap = metrics.METRICS.snapshot()
    reply.line().line().line(t(lang, "status_activity"), "bold")
    arts = snap.articles
    # A same-event join is counted apart from copies (``metrics.SAME_EVENT_OUTCOME``).
    reply.add("• ").line(t(lang, "status_ingested", new=arts["new"], joined=arts["joined"],
                           same=arts["same_event"], dup=arts["duplicate"]))
    alerts = snap.alerts
    reply.add("• ").line(t(lang, "status_alerts", sent=alerts["sent"], retried=alerts["retried"],
                           failed=alerts["failed"] + alerts["gone"]))
    reply.add("• ").add(t(lang, "status_feed_errors", n=snap.feed_errors, throttled=snap.rate_limited))
    if snap.mean_delivery_s is not None:
        reply.line().add("• ").add(t(lang, "status_latency", seconds=f"{snap.mean_delivery_s:.2f}"))

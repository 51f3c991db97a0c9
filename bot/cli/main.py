"""The `raqib` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from bot.cli import init as cli_init
from bot.app import App
from bot.config import CHAT_ADDRESS, Config, ConfigError, load_config
from bot.text.explain import format_explanations
from bot.topics import to_watchlist
from bot.transports.console import ConsoleTransport
from bot.transports.discord_address import WebhookAddressError, redact, webhook_address
from bot.watchlists import WatchlistError
from storage import articles as article_store
from storage import audit
from storage import chats as chat_store
from storage import watchlists as watchlist_store
from handlers.texts import counted
from sqlalchemy.exc import InterfaceError, OperationalError
from storage.db import current_revision, transaction

if TYPE_CHECKING:  # the pipeline and the file reader load date parsers: imported where used
    from bot.pipeline import PollReport

log = logging.getLogger("raqib")
DEFAULT_CONFIG = "config.toml"
CLI_ACTOR = "cli"  # who the audit trail names for changes made with this command line


class UsageError(Exception):
    """A bad argument: reported in one line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        default=os.environ.get("RAQIB_CONFIG", DEFAULT_CONFIG),
        help="TOML config file (default: $RAQIB_CONFIG or ./config.toml)",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="log progress (INFO)")

    p = argparse.ArgumentParser(prog="raqib", description="Arabic news watchlist alerts")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", parents=[common], help="poll sources and deliver alerts")
    run.add_argument(
        "--once", action="store_true",
        help="poll every source once (skipping one another process polls now), deliver, exit",
    )
    run.add_argument("--format", choices=["text", "jsonl"], help="console alert format")

    ingest = sub.add_parser("ingest", parents=[common], help="ingest article files or folders")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--format", choices=["text", "jsonl"], help="console alert format")
    ingest.add_argument(
        "--workers", type=int, metavar="N",
        help="processes that read and analyze the files, this one storing them (default: general.ingest_workers, 1)",
    )

    wl = sub.add_parser(
        "watchlists", parents=[common],
        help="list watchlists, show one's rules, import/export them as TOML, add/exclude/remove terms",
        usage="raqib watchlists [SLUG | import FILE [--yes] [--prune] | export [SLUG] [-o FILE] "
              "| add SLUG [RULE] TERM... | exclude SLUG TERM | remove SLUG TERM]",
    )
    wl.add_argument("slug", nargs="?", help="a watchlist to show, or import, export, add, exclude, remove")
    wl.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    wl.add_argument("--yes", action="store_true", help="import: store the changes shown")
    wl.add_argument("--prune", action="store_true", help="import: delete global watchlists the file lacks")
    wl.add_argument("-o", "--output", type=Path, help="export: write to this file (default: stdout)")

    stories = sub.add_parser("stories", parents=[common], help="list stored stories")
    stories.add_argument("--topic")
    stories.add_argument("--limit", type=int, default=50)

    explain = sub.add_parser("explain", parents=[common],
                             help="why an article file matches or not; --story N: why its reports are one story")
    explain.add_argument("file", type=Path, nargs="?")
    explain.add_argument("--topic")
    explain.add_argument("--story", type=int, help="a stored story's id (raqib stories): why each report joined it")

    subs = sub.add_parser("subscriptions", parents=[common], help="manage chat subscriptions")
    subs.add_argument("action", choices=["add", "list", "remove"])
    subs.add_argument("chat", nargs="?", help="address such as console:NAME, telegram:ID, discord:ID")
    subs.add_argument("topic", nargs="?")

    feeds = sub.add_parser("feeds", parents=[common], help="RSS/Atom feed sources")
    feeds.add_argument("action", choices=["add", "list", "remove", "enable", "poll", "import", "export"])
    feeds.add_argument("target", nargs="?", help="feed URL (add/remove/enable/poll) or OPML file (import/export)")
    feeds.add_argument("--name", help="source name for add (default: host and path)")
    feeds.add_argument("--interval", type=int, help="seconds between polls for add")
    feeds.add_argument("--topic", action="append", default=[], help="topic whose chats hear of outages (repeatable)")
    feeds.add_argument("--full-text", action="store_true", help="fetch the article page when an item is a teaser")
    feeds.add_argument("--format", choices=["text", "jsonl"], help="console alert format for poll")

    search = sub.add_parser("search", parents=[common], help="search stored articles (Arabic-aware)")
    search.add_argument("query", nargs="+", help='words, "a phrase", topic:T source:S from:YYYY-MM-DD to:YYYY-MM-DD')
    search.add_argument("--format", choices=["text", "jsonl"], default="text")
    search.add_argument("--page", type=int, default=1)

    sub.add_parser("doctor", parents=[common], help="check config, database, tokens and feeds, one line each")
    timeline = sub.add_parser("timeline", parents=[common], help="a topic's stories in event order")
    timeline.add_argument("topic")
    timeline.add_argument("period", nargs="?", default="", help="2025, 2025-08, 30d, 6m …")
    timeline.add_argument("--png", type=Path, help="write the chart to this PNG file")

    db = sub.add_parser("db", parents=[common], help="database maintenance")
    db.add_argument("action", choices=["upgrade"])

    box = sub.add_parser("outbox", parents=[common], help="the delivery queue: status, list, retry")
    box.add_argument("action", choices=["status", "list", "retry"])
    box.add_argument("--failed", action="store_true", help="retry: re-queue given-up (failed) alerts too")
    box.add_argument("--state", action="append", choices=["pending", "sending", "failed", "dead", "sent", "skipped",
                                                          "held", "bundled"],
                     help="list: rows in this state (repeatable; default pending, sending and failed)")
    box.add_argument("--limit", type=int, default=50)
    cli_init.add_parsers(sub, common)  # init, whoami, discord invite
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from bot.logging_setup import setup as setup_logging

    setup_logging("text", logging.INFO if args.verbose else logging.WARNING)  # until the config says more
    config: Config | None = None
    try:
        if args.command in cli_init.COMMANDS:  # init writes the config; these need no database
            return cli_init.run(args)
        config = load_config(args.config)
        setup_logging(config.log_format, logging.INFO if args.verbose and config.log_level != "debug" else config.log_level)
        return COMMANDS[args.command](config, args)
    except ConfigError as exc:
        print(f"raqib: config error: {exc}", file=sys.stderr)
        return 2
    except (UsageError, WatchlistError) as exc:
        print(f"raqib: {exc}", file=sys.stderr)
        return 2
    except (OperationalError, InterfaceError) as exc:  # unreachable server, unopenable file: one line
        from storage.db import connection_problem

        log.debug("database error", exc_info=True)
        print(f"raqib: {connection_problem(config.database_url if config else '', exc)}", file=sys.stderr)
        return 1
    except OSError as exc:  # a path given on the command line: a missing folder, no permission
        if exc.strerror is None:
            raise
        log.debug("%s", exc, exc_info=True)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"raqib: {where}{exc.strerror.lower()}", file=sys.stderr)
        return 1
    except Exception as exc:
        if type(exc).__module__.startswith("telegram"):  # refused token, unreachable Bot API
            message, token = str(exc), os.environ.get("RAQIB_TELEGRAM_TOKEN")
            if token:  # PTB names a rejected token in its message
                message = message.replace(token, "<token>")
            print(f"raqib: telegram: {message}", file=sys.stderr)
            return 1
        if type(exc).__module__.startswith("discord"):  # LoginFailure (refused token), unreachable API
            message, token = redact(str(exc)), os.environ.get("RAQIB_DISCORD_TOKEN")
            if token:
                message = message.replace(token, "<token>")
            print(f"raqib: discord: {message}", file=sys.stderr)
            return 1
        raise
    except KeyboardInterrupt:
        return 130


def _app(config: Config) -> App:
    app = App(config)
    app.bootstrap()
    return app


def _console(config: Config, fmt: str | None) -> ConsoleTransport:
    return ConsoleTransport(config.timezone, fmt or config.console_format)


def _say(report: PollReport) -> None:
    from bot.pipeline import DUPLICATE, FAILED, JOINED, NEW, SAME_EVENT, UPDATE

    if report.error:
        print(f"{report.source}: error: {report.error}", file=sys.stderr)
        return
    failed = [o for o in report.outcomes if o.status == FAILED]
    same_event = report.count(JOINED, SAME_EVENT)  # another outlet's report of a known event
    print(
        f"{report.source}: {counted('en', len(report.outcomes), 'article')}: "
        f"{counted('en', report.count(NEW), 'new_story')}, "
        f"{counted('en', report.count(UPDATE), 'update')}, "
        f"{counted('en', report.count(JOINED) - same_event, 'near_duplicate')}, "
        f"{counted('en', same_event, 'same_event_report')}, {counted('en', report.count(DUPLICATE), 'duplicate')}"
        + (f", {len(failed)} not stored" if failed else ""),
        file=sys.stderr,
    )
    for outcome in failed:  # one line each: the batch went on without them
        print(f"  not stored: {outcome.url[:200]}: {outcome.detail}", file=sys.stderr)


def _telegram(app: App, config: Config):
    """The Telegram bot when RAQIB_TELEGRAM_TOKEN is set, else None."""
    if not config.telegram_token:
        return None
    from bot.transports.telegram import TelegramBot, services_for

    return TelegramBot(config, services_for(app, config), config.telegram_token)


def _discord(app: App, config: Config):
    """Discord: webhook destinations always (they need no token), the bot when RAQIB_DISCORD_TOKEN is set."""
    from bot.transports.discord import DiscordBot, services_for

    return DiscordBot(config, services_for(app, config), config.discord_token, app.factory)


def _deliver(app: App, transport: ConsoleTransport, telegram=None, discord=None) -> None:
    async def drain():
        transports: dict = {"console": transport}
        started = []
        try:
            for bot in (telegram, discord):
                if bot is not None:
                    started.append(bot)
                    await bot.start_sending_only()
            if telegram is not None:
                transports["telegram"] = telegram.transport
            if discord is not None:
                transports.update(discord.transports())
            return await app.worker(transports).drain()
        finally:
            for bot in reversed(started):
                await bot.stop()

    report = asyncio.run(drain())
    print(f"alerts: {report.sent} delivered, {report.retried} to retry, {report.failed} failed", file=sys.stderr)


def cmd_run(config: Config, args: argparse.Namespace) -> int:
    app = _app(config)
    try:
        with app.tuned_collector():  # a long-running process
            return _run(app, config, args)
    finally:
        app.close()


def _run(app: App, config: Config, args: argparse.Namespace) -> int:
    from bot.cli.watchlists import warn_seed_drift

    warn_seed_drift(app.factory, config.watchlists_file)
    transport = _console(config, args.format)
    telegram = _telegram(app, config)
    discord = _discord(app, config)
    if args.once:
        for report in app.poll_all():
            _say(report)
        for report in asyncio.run(_poll_feeds(app, None)):
            _say(report)
        _deliver(app, transport, telegram, discord)
        return 0
    from bot.scheduler import Runner

    transports = {"console": transport}
    if telegram is not None:  # polling (or webhook), scheduler and delivery in one process
        transports["telegram"] = telegram.transport
    transports.update(discord.transports())  # the bot's channels when its token is set; webhooks always
    companions = [bot for bot in (telegram, discord) if bot is not None]
    asyncio.run(Runner(app, transports, companions).run())
    return 0


def _progress(files: list[Path]):
    from tqdm import tqdm

    return tqdm(files, unit="file", file=sys.stderr, disable=True if len(files) < 50 else None)


def cmd_ingest(config: Config, args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(map(str, missing))}")
    workers = config.ingest_workers if args.workers is None else args.workers
    if workers < 1:
        raise UsageError("--workers must be a positive number")
    app = _app(config)
    try:
        from bot.pipeline import FAILED

        with app.tuned_collector():
            report = app.ingest_paths(args.paths, progress=_progress, workers=workers)
        _say(report)
        _deliver(app, _console(config, args.format), _telegram(app, config), _discord(app, config))
        # The stored ones were delivered; _say named the others and why: a script must see them.
        return 1 if report.count(FAILED) else 0
    finally:
        app.close()


def cmd_watchlists(config: Config, args: argparse.Namespace) -> int:
    from bot.cli import watchlists as cli_watchlists

    if args.slug in cli_watchlists.ACTIONS:
        return cli_watchlists.cmd(config, args, _app)
    if args.rest or args.yes or args.prune or args.output:
        raise UsageError("watchlists SLUG takes no further arguments; see raqib watchlists --help")
    app = _app(config)
    try:
        with transaction(app.factory) as s:
            rows = watchlist_store.active_watchlists(s)
        if args.slug:
            row = next((r for r in rows if r.slug == args.slug), None)
            if row is None:
                raise UsageError(f"no watchlist {args.slug!r}; known: {', '.join(r.slug for r in rows)}")
            wl = to_watchlist(row)
            print(f"{wl.slug} — {wl.name}")
            for i, group in enumerate(wl.rules.all, 1):
                print(f"  rule {i} (one of): {' | '.join(group)}")
            if wl.rules.any:
                print(f"  any (one of): {' | '.join(wl.rules.any)}")
            if wl.rules.none:
                print(f"  none (excluded): {' | '.join(wl.rules.none)}")
            return 0
        for row in rows:
            wl = to_watchlist(row)
            n = sum(len(g) for g in wl.rules.all) + len(wl.rules.any) + len(wl.rules.none)
            print(f"{wl.slug:20} {wl.name}  ({counted('en', n, 'term')})")
        return 0
    finally:
        app.close()


def cmd_stories(config: Config, args: argparse.Namespace) -> int:
    if args.limit <= 0:
        raise UsageError("--limit must be a positive number")
    app = _app(config)
    try:
        with transaction(app.factory) as s:
            if args.topic and watchlist_store.get_watchlist(s, args.topic) is None:
                raise UsageError(f"no watchlist {args.topic!r}")
            rows = article_store.list_stories(s, args.topic, args.limit)
        for r in rows:
            when = r.published_at.astimezone(config.timezone).strftime("%Y-%m-%d")
            topics = ", ".join(r.topics) or "-"
            print(f"#{r.id:<5} {when}  [{topics}]  {r.headline}  ({counted('en', r.article_count, 'article')}, {r.source})")
        if not rows:
            print("no stories stored yet", file=sys.stderr)
        return 0
    finally:
        app.close()


def cmd_explain(config: Config, args: argparse.Namespace) -> int:
    from bot.sources.files import SkippedFile, read_article_file

    if (args.file is None) == (args.story is None):
        raise UsageError("explain needs an article FILE or --story N (one of them)")
    if args.story is not None:
        return _explain_story(config, args.story)
    app = _app(config)
    try:
        try:
            article = read_article_file(args.file, max_bytes=config.max_file_bytes, rules=app.boilerplate)
        except SkippedFile as exc:
            raise UsageError(f"{args.file}: {exc}") from None
        except OSError as exc:
            raise UsageError(f"{args.file}: {exc.strerror or exc}") from None
        with transaction(app.factory) as s:
            app.topics.refresh(s)
            if args.topic and watchlist_store.get_watchlist(s, args.topic) is None:
                raise UsageError(f"no watchlist {args.topic!r}")
        explanations = app.topics.matcher.explain(article.title, article.body)
        if args.topic:
            explanations = [e for e in explanations if e.slug == args.topic]
        print(f"{args.file}: {article.title}")
        print(format_explanations(explanations))
        return 0
    finally:
        app.close()


def _explain_story(config: Config, story_id: int) -> int:
    """``raqib explain --story N``: why each report that joined story N did (a copy, contained
    text, an update, the same event in other words with the decision's evidence)."""
    from bot.text.explain import format_join
    from storage import joins as join_store

    app = _app(config)
    try:
        with transaction(app.factory) as s:
            headline = join_store.story_headline(s, story_id)
            if headline is None:
                raise UsageError(f"no story {story_id}")
            joins, total = join_store.story_joins(s, story_id, limit=1000)
        print(f"story #{story_id}: {headline}")
        if not joins:
            print("  no other report joined it (or none since joins are recorded)")
        for join in joins:
            print(format_join(join))
        if total > len(joins):
            print(f"  … and {counted('en', total - len(joins), 'report')} more")
        return 0
    finally:
        app.close()


def cmd_subscriptions(config: Config, args: argparse.Namespace) -> int:
    app = _app(config)
    try:
        if args.action == "list":
            with transaction(app.factory) as s:
                rows = chat_store.list_subscriptions(s, args.chat)
            for r in rows:
                state = "" if r.active else "  (inactive)"
                print(f"{r.chat:30} {r.topic}{state}")
            if not rows:
                print("no subscriptions", file=sys.stderr)
            return 0
        if not args.chat or not args.topic:
            raise UsageError(f"subscriptions {args.action} needs CHAT and TOPIC")
        if not CHAT_ADDRESS.match(args.chat):
            raise UsageError(
                f"not a chat address: {redact(args.chat)!r} "
                "(expected console:NAME, telegram:ID, discord:ID, discord-webhook:URL)"
            )
        with transaction(app.factory) as s:
            row = watchlist_store.get_watchlist(s, args.topic)
            if row is None:
                raise UsageError(f"no watchlist {args.topic!r}")
            try:  # a webhook URL is stored as its id, the token apart: the secret is never printed
                args.chat = webhook_address(s, args.chat, app.clock(), store=args.action == "add")
            except WebhookAddressError as exc:
                raise UsageError(str(exc)) from None
            if args.action == "add":
                changed = chat_store.subscribe(s, args.chat, row.id, app.clock())
            else:
                changed = chat_store.unsubscribe(s, args.chat, row.id)
            if changed:  # audited like a change made from chat (issue 10); the actor is the CLI
                audit.record(s, "subscription", f"{args.chat} → {row.scope}/{row.slug}",
                             "subscribe" if args.action == "add" else "unsubscribe", CLI_ACTOR, None, app.clock())
        verb = {"add": ("subscribed", "already subscribed"), "remove": ("unsubscribed", "was not subscribed")}
        print(f"{args.chat} {verb[args.action][0 if changed else 1]}: {args.topic}")
        return 0
    finally:
        app.close()


async def _poll_feeds(app: App, keys: list[str] | None):
    poller = app.feed_poller()
    try:
        return await poller.poll_keys(keys)
    finally:
        await poller.aclose()


def cmd_feeds(config: Config, args: argparse.Namespace) -> int:
    from bot.sources.fetch import FetchError
    from bot.sources.opml import OPMLError, OPMLFeed, read_opml, write_opml
    from storage import feeds as feed_store

    needs_target = ("add", "remove", "enable", "import", "export")
    if args.action in needs_target and not args.target:
        raise UsageError(f"feeds {args.action} needs {'a file' if args.action in ('import', 'export') else 'a URL'}")
    if args.interval is not None and args.interval <= 0:
        raise UsageError("--interval must be a positive number of seconds")
    app = _app(config)
    try:
        if args.action == "list":
            with transaction(app.factory) as s:
                rows = feed_store.list_feeds(s)
            for r in rows:
                state = f"DISABLED: {r.disabled_reason}" if r.disabled_reason else (r.last_status or "not polled yet")
                print(f"{r.name:30} {r.url}  every {r.interval_s}s  errors {r.error_count}  {state}")
            if not rows:
                print("no feeds", file=sys.stderr)
            return 0
        if args.action in ("remove", "enable"):
            with transaction(app.factory) as s:
                fn = audit.remove_feed if args.action == "remove" else audit.enable_feed
                row = fn(s, args.target, CLI_ACTOR, None, app.clock())
            if row is None:
                raise UsageError(f"no feed {args.target!r}")
            print(f"{'removed' if args.action == 'remove' else 're-enabled'}: {row.name} ({row.url})")
            return 0
        if args.action == "export":
            with transaction(app.factory) as s:
                rows = feed_store.list_feeds(s)
            Path(args.target).write_bytes(write_opml([OPMLFeed(r.url, r.name) for r in rows]))
            print(f"exported {counted('en', len(rows), 'feed')} to {args.target}", file=sys.stderr)
            return 0

        async def add_all(entries: list[tuple[str, str | None]]) -> int:
            poller = app.feed_poller()
            failures = 0
            try:
                for url, name in entries:
                    try:
                        row, created, report = await poller.add(
                            url, name=name, interval_s=args.interval, topics=tuple(args.topic),
                            fetch_full=args.full_text,
                        )
                    except FetchError as exc:
                        print(f"{url}: {exc.reason}", file=sys.stderr)
                        failures += 1
                        continue
                    if not created:
                        print(f"{row.name}: already followed ({row.url})", file=sys.stderr)
                    else:
                        with transaction(app.factory) as s:
                            audit.record(s, "feed", row.url, "add", CLI_ACTOR, None, app.clock(), after=row.name)
                        if report is not None:
                            print(f"added {row.name}: {report.status}", file=sys.stderr)
            finally:
                await poller.aclose()
            return failures

        if args.action == "add":
            return 1 if asyncio.run(add_all([(args.target, args.name)])) else 0
        if args.action == "import":
            try:
                entries = read_opml(Path(args.target).read_bytes())
            except OSError as exc:
                raise UsageError(f"{args.target}: {exc.strerror or exc}") from None
            except OPMLError as exc:
                raise UsageError(f"{args.target}: {exc}") from None
            failures = asyncio.run(add_all([(e.url, e.title or None) for e in entries]))
            print(f"imported {len(entries) - failures} of {counted('en', len(entries), 'feed')}", file=sys.stderr)
            return 1 if failures else 0
        # poll
        keys = [args.target] if args.target else None
        if keys:
            with transaction(app.factory) as s:
                if feed_store.find_feed(s, args.target) is None:
                    raise UsageError(f"no feed {args.target!r}; add it first: raqib feeds add URL")
        for report in asyncio.run(_poll_feeds(app, keys)):
            _say(report)
        # Every platform, as `run` does: webhook destinations need no token (issue 14).
        _deliver(app, _console(config, args.format), _telegram(app, config), _discord(app, config))
        return 0
    finally:
        app.close()


def cmd_db(config: Config, args: argparse.Namespace) -> int:
    app = App(config)
    try:
        from storage.db import upgrade

        upgrade(app.engine)
        print(f"database at revision {current_revision(app.engine)}")
        return 0
    finally:
        app.close()


def cmd_outbox(config: Config, args: argparse.Namespace) -> int:
    """Look at the delivery queue, or re-queue by hand: ``retry`` makes alerts waiting on a backoff
    due now; ``retry --failed`` gives the given-up ones another go (not those of gone chats)."""
    from storage import outbox as outbox_store
    from storage import status as status_store

    app = _app(config)
    try:
        now = app.clock()
        if args.action == "retry":
            with transaction(app.factory) as s:
                done = outbox_store.requeue(s, now, include_failed=args.failed)
            print(f"waiting, due now: {counted('en', done['waiting'], 'alert')}", end="")
            print(f"; failed, re-queued: {counted('en', done['failed'], 'alert')}" if args.failed else "")
            return 0
        if args.action == "status":
            with transaction(app.factory) as s:
                box = status_store.outbox_health(s)
                states = outbox_store.counts(s)
            names = outbox_store.STATES
            print("  ".join(f"{state} {states.get(state, 0)}" for state in names))
            if box.oldest_pending is not None:
                print(f"{box.pending} waiting since {box.oldest_pending.isoformat(timespec='seconds')}, "
                      f"{box.retrying} retrying after errors")
            if box.last_error:
                print(f"last error: {box.last_error[:200]}")
            return 0
        if args.limit < 1:
            raise UsageError("--limit must be at least 1")
        with transaction(app.factory) as s:
            rows = outbox_store.list_rows(s, args.state or ["pending", "sending", "failed"], args.limit)
        for r in rows:
            error = f"  {r.last_error[:120]}" if r.last_error else ""
            queued, due = (d.isoformat(timespec="seconds") for d in (r.created_at, r.next_attempt_at))
            print(f"{r.delivery_id:>7} {r.state:8} {r.kind:7} {r.chat:28} story {r.story_id:<6} tries {r.attempts:<3} "
                  f"queued {queued}  next {due}{error}")
        if not rows:
            print("no rows", file=sys.stderr)
        return 0
    finally:
        app.close()


def cmd_search(config: Config, args: argparse.Namespace) -> int:
    import json

    from bot.search import QueryError, parse_query
    from bot.search import search as run_search
    from handlers.texts import t

    if args.page < 1:
        raise UsageError("--page must be 1 or more")
    try:
        query = parse_query(" ".join(args.query), config.timezone)
    except QueryError as exc:
        raise UsageError(t("en", exc.key, **exc.values)) from None
    app = _app(config)
    try:
        with transaction(app.factory) as s:
            page = run_search(s, query, args.page - 1)
        for r in page.results:
            if args.format == "jsonl":
                print(json.dumps({
                    "story_id": r.story_id, "headline": r.headline, "url": r.url, "source": r.source,
                    "published": r.published.isoformat(), "snippet": r.snippet_text, "score": r.score,
                }, ensure_ascii=False))
            else:
                when = r.published.astimezone(config.timezone).strftime("%Y-%m-%d")
                print(f"#{r.story_id:<5} {when}  {r.headline}  ({r.source}, score {r.score})\n       {r.url}")
                print("       " + "".join(f"**{p}**" if hit else p for p, hit in r.snippet))
        if not page.results:
            print("no matching stories", file=sys.stderr)
        else:
            more = "+" if page.capped else ""
            print(f"page {args.page} of {page.pages} ({counted('en', page.total, 'story')}{more})", file=sys.stderr)
        return 0
    finally:
        app.close()


def cmd_timeline(config: Config, args: argparse.Namespace) -> int:
    from datetime import timedelta

    from bot.timeline import PeriodError, parse_period, render_png, render_text
    from storage import timeline as timeline_store

    if args.png is not None and not args.png.parent.is_dir():  # before any work: one line, no traceback
        raise UsageError(f"--png {args.png}: no such folder {str(args.png.parent)!r}")
    app = _app(config)
    try:
        try:
            period = parse_period(args.period, app.clock(), config.timezone)
        except PeriodError:
            raise UsageError(f"unknown period {args.period!r}; examples: 2025, 2025-08, 30d, 6m") from None
        with transaction(app.factory) as s:
            wl = watchlist_store.get_watchlist(s, args.topic)
            if wl is None:
                raise UsageError(f"no watchlist {args.topic!r}")
            # the global watchlist only: a chat's own watchlist may share its slug
            rows = timeline_store.topic_timeline(s, args.topic, period.start, period.end, watchlist_id=wl.id)
            offset = app.clock().astimezone(config.timezone).utcoffset() or timedelta(0)
            volume = timeline_store.daily_volume(s, args.topic, period.start, period.end, watchlist_id=wl.id,
                                                 utc_offset=offset) if args.png else None
        if not rows:
            print("no stories for this topic in this period", file=sys.stderr)
            return 0
        if args.png:
            args.png.write_bytes(render_png(rows, wl.name, config.timezone, volume))
            print(f"wrote {args.png}", file=sys.stderr)
        else:
            print(render_text(rows, period, config.timezone))
        return 0
    finally:
        app.close()


def cmd_doctor(config: Config, args: argparse.Namespace) -> int:
    """One line per check; exit status 1 when any failed (the config was loaded, or main said why)."""
    from bot.cli.doctor import run_checks

    return 0 if run_checks(config, lambda check: print(check.line(), flush=True)) else 1


COMMANDS: dict[str, Callable[[Config, argparse.Namespace], int]] = {
    "run": cmd_run,
    "ingest": cmd_ingest,
    "watchlists": cmd_watchlists,
    "stories": cmd_stories,
    "explain": cmd_explain,
    "subscriptions": cmd_subscriptions,
    "feeds": cmd_feeds,
    "db": cmd_db,
    "outbox": cmd_outbox,
    "search": cmd_search,
    "timeline": cmd_timeline,
    "doctor": cmd_doctor,
}


if __name__ == "__main__":
    sys.exit(main())

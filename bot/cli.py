"""The `raqib` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Callable

from bot.app import App, PollReport
from bot.config import CHAT_ADDRESS, Config, ConfigError, load_config
from bot.explain import format_explanations
from bot.pipeline import DUPLICATE, JOINED, NEW
from bot.sources.files import SkippedFile, read_article_file
from bot.topics import to_watchlist
from bot.transports.console import ConsoleTransport
from bot.watchlists import WatchlistError
from storage import articles as article_store
from storage import chats as chat_store
from storage import watchlists as watchlist_store
from storage.db import current_revision, transaction

log = logging.getLogger("raqib")
DEFAULT_CONFIG = "config.toml"


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
    run.add_argument("--once", action="store_true", help="poll every source once, deliver, exit")
    run.add_argument("--format", choices=["text", "jsonl"], help="console alert format")

    ingest = sub.add_parser("ingest", parents=[common], help="ingest article files or folders")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--format", choices=["text", "jsonl"], help="console alert format")

    wl = sub.add_parser("watchlists", parents=[common], help="list watchlists, or show one's rules")
    wl.add_argument("slug", nargs="?")

    stories = sub.add_parser("stories", parents=[common], help="list stored stories")
    stories.add_argument("--topic")
    stories.add_argument("--limit", type=int, default=50)

    explain = sub.add_parser("explain", parents=[common], help="why an article file matches or not")
    explain.add_argument("file", type=Path)
    explain.add_argument("--topic")

    subs = sub.add_parser("subscriptions", parents=[common], help="manage chat subscriptions")
    subs.add_argument("action", choices=["add", "list", "remove"])
    subs.add_argument("chat", nargs="?", help="address such as console:NAME, telegram:ID, discord:ID")
    subs.add_argument("topic", nargs="?")

    db = sub.add_parser("db", parents=[common], help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs full request URLs, and Bot API URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        config = load_config(args.config)
        return COMMANDS[args.command](config, args)
    except ConfigError as exc:
        print(f"raqib: config error: {exc}", file=sys.stderr)
        return 2
    except (UsageError, WatchlistError) as exc:
        print(f"raqib: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if type(exc).__module__.startswith("telegram"):  # refused token, unreachable Bot API
            message, token = str(exc), os.environ.get("RAQIB_TELEGRAM_TOKEN")
            if token:  # PTB names a rejected token in its message
                message = message.replace(token, "<token>")
            print(f"raqib: telegram: {message}", file=sys.stderr)
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
    if report.error:
        print(f"{report.source}: error: {report.error}", file=sys.stderr)
        return
    print(
        f"{report.source}: {len(report.outcomes)} article(s): {report.count(NEW)} new stor(ies), "
        f"{report.count(JOINED)} near-duplicate(s), {report.count(DUPLICATE)} duplicate(s)",
        file=sys.stderr,
    )


def _telegram(app: App, config: Config):
    """The Telegram bot when RAQIB_TELEGRAM_TOKEN is set, else None."""
    if not config.telegram_token:
        return None
    from bot.transports.telegram import TelegramBot, services_for

    return TelegramBot(config, services_for(app, config), config.telegram_token)


def _deliver(app: App, transport: ConsoleTransport, telegram=None) -> None:
    async def drain():
        if telegram is None:
            return await app.worker({"console": transport}).drain()
        await telegram.start_sending_only()
        try:
            return await app.worker({"console": transport, "telegram": telegram.transport}).drain()
        finally:
            await telegram.stop()

    report = asyncio.run(drain())
    print(f"alerts: {report.sent} delivered, {report.retried} to retry, {report.failed} failed", file=sys.stderr)


def cmd_run(config: Config, args: argparse.Namespace) -> int:
    app = _app(config)
    try:
        transport = _console(config, args.format)
        telegram = _telegram(app, config)
        if args.once:
            for report in app.poll_all():
                _say(report)
            _deliver(app, transport, telegram)
            return 0
        from bot.scheduler import Runner

        transports = {"console": transport}
        if telegram is not None:  # polling (or webhook), scheduler and delivery in one process
            transports["telegram"] = telegram.transport
        asyncio.run(Runner(app, transports, [telegram] if telegram is not None else []).run())
        return 0
    finally:
        app.close()


def _progress(files: list[Path]):
    from tqdm import tqdm

    return tqdm(files, unit="file", file=sys.stderr, disable=True if len(files) < 50 else None)


def cmd_ingest(config: Config, args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(map(str, missing))}")
    app = _app(config)
    try:
        _say(app.ingest_paths(args.paths, progress=_progress))
        _deliver(app, _console(config, args.format), _telegram(app, config))
        return 0
    finally:
        app.close()


def cmd_watchlists(config: Config, args: argparse.Namespace) -> int:
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
                print(f"  all[{i}] (one of): {' | '.join(group)}")
            if wl.rules.any:
                print(f"  any (one of): {' | '.join(wl.rules.any)}")
            if wl.rules.none:
                print(f"  none (excluded): {' | '.join(wl.rules.none)}")
            return 0
        for row in rows:
            wl = to_watchlist(row)
            n = sum(len(g) for g in wl.rules.all) + len(wl.rules.any) + len(wl.rules.none)
            print(f"{wl.slug:20} {wl.name}  ({n} terms)")
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
            print(f"#{r.id:<5} {when}  [{topics}]  {r.headline}  ({r.article_count} article(s), {r.source})")
        if not rows:
            print("no stories stored yet", file=sys.stderr)
        return 0
    finally:
        app.close()


def cmd_explain(config: Config, args: argparse.Namespace) -> int:
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
            raise UsageError(f"not a chat address: {args.chat!r} (expected console:NAME, telegram:ID, discord:ID)")
        with transaction(app.factory) as s:
            row = watchlist_store.get_watchlist(s, args.topic)
            if row is None:
                raise UsageError(f"no watchlist {args.topic!r}")
            if args.action == "add":
                changed = chat_store.subscribe(s, args.chat, row.id, app.clock())
            else:
                changed = chat_store.unsubscribe(s, args.chat, row.id)
        verb = {"add": ("subscribed", "already subscribed"), "remove": ("unsubscribed", "was not subscribed")}
        print(f"{args.chat} {verb[args.action][0 if changed else 1]}: {args.topic}")
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


COMMANDS: dict[str, Callable[[Config, argparse.Namespace], int]] = {
    "run": cmd_run,
    "ingest": cmd_ingest,
    "watchlists": cmd_watchlists,
    "stories": cmd_stories,
    "explain": cmd_explain,
    "subscriptions": cmd_subscriptions,
    "db": cmd_db,
}


if __name__ == "__main__":
    sys.exit(main())

"""`raqib doctor`: check what a deployment depends on, one line each, before users find out.

The config (already loaded, or `main` would have said why not), the database (reachable, schema
at the newest revision), the file sources' folders, the tokens (Telegram getMe, Discord GET
/users/@me) and each feed (one request through the same guards as polling, and a parse). A check
that does not apply (no token set) is skipped, not failed. Nothing is changed: no migration, no
feed state written.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from datetime import datetime, timezone
from typing import Awaitable, Callable, Literal

import httpx

from bot.config import Config

Status = Literal["ok", "skip", "FAIL"]
TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Check:
    status: Status
    name: str
    detail: str

    def line(self) -> str:
        return f"{self.status:4}  {self.name:16} {self.detail}"


def _one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return (lines[0] if lines else type(orig).__name__)[:200]


def check_config(config: Config) -> Check:
    from handlers.texts import counted

    return Check("ok", "config", f"{config.path}: {counted('en', len(config.sources), 'source')} of files, "
                                 f"{counted('en', len(config.feeds.sources), 'feed')}, "
                                 f"{counted('en', len(config.subscriptions), 'subscription')}")


def check_database(config: Config) -> Check:
    from sqlalchemy.engine import make_url

    from storage.db import at_head, connection_problem, make_engine, ping, safe_url

    parsed = make_url(config.database_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).is_file():  # connecting would create it: the doctor changes nothing
            return Check("FAIL", "database", f"{safe_url(config.database_url)}: no database file yet; "
                                             "`raqib db upgrade` creates it")
    engine = make_engine(config.database_url)
    try:
        ping(engine)
        if not at_head(engine):
            return Check("FAIL", "database", f"{safe_url(config.database_url)}: schema not at the newest "
                                             "revision; run `raqib db upgrade`")
        return Check("ok", "database", f"{safe_url(config.database_url)}: reachable, schema up to date")
    except Exception as exc:
        return Check("FAIL", "database", connection_problem(config.database_url, exc))
    finally:
        engine.dispose()


def check_sources(config: Config) -> list[Check]:
    out = []
    for src in config.sources:
        if src.path.is_dir():
            out.append(Check("ok", f"source {src.name}", f"folder {src.path}"))
        else:
            out.append(Check("FAIL", f"source {src.name}", f"no such folder {src.path}; check [[sources]] path"))
    return out


async def check_telegram(config: Config, client: httpx.AsyncClient) -> Check:
    token = config.telegram_token
    if not token:
        return Check("skip", "telegram", "RAQIB_TELEGRAM_TOKEN is not set")
    try:
        response = await client.get(f"{config.telegram.base_url}{token}/getMe")
    except httpx.HTTPError as exc:
        return Check("FAIL", "telegram", f"Bot API at {config.telegram.base_url[:-4]} unreachable: "
                                         f"{_one_line(exc).replace(token, '<token>')}")
    if response.status_code in (401, 404):
        return Check("FAIL", "telegram", "token refused by the Bot API; check RAQIB_TELEGRAM_TOKEN (from @BotFather)")
    if response.status_code != 200:
        return Check("FAIL", "telegram", f"Bot API answered HTTP {response.status_code}")
    user = response.json().get("result", {})
    return Check("ok", "telegram", f"token accepted: @{user.get('username', '?')} (id {user.get('id', '?')})")


async def check_discord(config: Config, client: httpx.AsyncClient) -> Check:
    token = config.discord_token
    if not token:
        return Check("skip", "discord", "RAQIB_DISCORD_TOKEN is not set (webhook destinations need none)")
    try:
        response = await client.get(f"{config.discord.api_base}/users/@me", headers={"Authorization": f"Bot {token}"})
    except httpx.HTTPError as exc:
        return Check("FAIL", "discord", f"API at {config.discord.api_base} unreachable: "
                                        f"{_one_line(exc).replace(token, '<token>')}")
    if response.status_code == 401:
        return Check("FAIL", "discord", "token refused; check RAQIB_DISCORD_TOKEN (Developer Portal → Bot)")
    if response.status_code != 200:
        return Check("FAIL", "discord", f"API answered HTTP {response.status_code}")
    user = response.json()
    return Check("ok", "discord", f"token accepted: {user.get('username', '?')} (id {user.get('id', '?')})")


async def check_feeds(config: Config, urls: list[tuple[str, str]]) -> list[Check]:
    """One request per feed through the polling guards, and a parse; nothing is stored."""
    from bot.sources.feed_poller import ACCEPT, fetch_policy
    from bot.sources.fetch import FetchError, SafeFetcher
    from bot.sources.feeds import FeedError, parse_feed

    async def one(fetcher: SafeFetcher, name: str, url: str) -> Check:
        label = f"feed {name}"[:40]
        try:
            result = await fetcher.fetch(url, accept=ACCEPT)
        except FetchError as exc:
            return Check("FAIL", label, f"{url}: {exc.reason}")
        if result.status != 200:
            return Check("FAIL", label, f"{url}: HTTP {result.status}")
        try:
            parsed = await asyncio.to_thread(parse_feed, result.body, feed_url=result.url,
                                             fetched_at=datetime.now(timezone.utc),
                                             content_type=result.headers.get("content-type"))
        except FeedError as exc:
            return Check("FAIL", label, f"{url}: {exc.reason}")
        return Check("ok", label, f"{url}: HTTP 200, {len(parsed.items)} items")

    if not urls:
        return [Check("skip", "feeds", "no feeds configured or added")]
    async with SafeFetcher(fetch_policy(config.feeds)) as fetcher:
        return list(await asyncio.gather(*(one(fetcher, name, url) for name, url in urls)))


def _feed_urls(config: Config) -> list[tuple[str, str]]:
    """The configured feeds and the ones added from chat or the CLI (read only when the database
    answers; its own check says when it does not)."""
    urls = {f.url: f.name for f in config.feeds.sources}
    try:
        from storage import feeds as feed_store
        from storage.db import make_engine, session_factory, transaction

        engine = make_engine(config.database_url)
        try:
            with transaction(session_factory(engine)) as s:
                for row in feed_store.list_feeds(s):
                    urls.setdefault(row.url, row.name)
        finally:
            engine.dispose()
    except Exception:
        pass
    return [(name, url) for url, name in urls.items()]


def run_checks(config: Config, say: Callable[[Check], None]) -> bool:
    """Every check, each reported through ``say`` as it finishes; True when none failed."""
    results: list[Check] = []

    def report(check: Check) -> None:
        results.append(check)
        say(check)

    report(check_config(config))
    database = check_database(config)
    report(database)
    for check in check_sources(config):
        report(check)

    async def remote() -> None:
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            tasks: list[Awaitable[Check]] = [check_telegram(config, client), check_discord(config, client)]
            for check in await asyncio.gather(*tasks):
                report(check)
        urls = _feed_urls(config) if database.status == "ok" else [(f.name, f.url) for f in config.feeds.sources]
        for check in await check_feeds(config, urls):
            report(check)

    asyncio.run(remote())
    return all(c.status != "FAIL" for c in results)

"""Configuration: a TOML file, every value overridable from the environment.

Override scheme: ``RAQIB_<SECTION>_<KEY>`` in upper case, e.g. ``RAQIB_DATABASE_URL``,
``RAQIB_DELIVERY_MAX_ATTEMPTS``, ``RAQIB_GENERAL_TIMEZONE``. Secrets (bot tokens) are read only
from the environment (``RAQIB_TELEGRAM_TOKEN``, ``RAQIB_DISCORD_TOKEN``); a secret written in the
file is an error, so it never ends up in a repository or a log.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.db import DatabaseURLError, check_url

SECRET_KEYS = ("token", "secret", "password", "api_key")
CHAT_ADDRESS = re.compile(r"^(console|telegram|discord|discord-webhook):\S{1,250}$")


class ConfigError(ValueError):
    """A bad configuration value; the message names the key and what was expected."""


@dataclass(frozen=True)
class FileSourceConfig:
    name: str
    path: Path
    interval_s: int


@dataclass(frozen=True)
class SubscriptionConfig:
    chat: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class TelegramConfig:
    """The [telegram] section; the token and webhook secret come only from the environment."""

    base_url: str = "https://api.telegram.org/bot"
    owners: frozenset[int] = frozenset()
    mode: str = "polling"
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)
    backlog: int = 3
    command_rate: int = 30
    command_burst: int = 12
    concurrency: int = 16
    admin_cache_s: int = 60
    poll_timeout_s: int = 10

    @property
    def base_file_url(self) -> str:
        return self.base_url[: -len("/bot")] + "/file/bot"


@dataclass(frozen=True)
class FeedSourceConfig:
    """One [[feeds]] entry."""

    name: str
    url: str
    interval_s: int
    topics: tuple[str, ...] = ()
    fetch_full: bool = False
    admin: str | None = None


@dataclass(frozen=True)
class FeedsConfig:
    """The [feeds] section: polling, politeness, limits and the address allowlist."""

    tick_s: int = 30
    interval_s: int = 900
    concurrency: int = 20
    per_host: int = 2
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 20.0
    total_timeout_s: float = 60.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    max_failures: int = 5
    max_interval_s: int = 86_400
    alert_first_fetch: bool = False
    max_age_hours: int = 48
    teaser_words: int = 40
    allow_hosts: tuple[str, ...] = ()
    user_agent: str = "raqib/0.1 (+Arabic news watchlists; polite feed reader)"
    sources: tuple[FeedSourceConfig, ...] = ()


@dataclass(frozen=True)
class BurstsConfig:
    """The [bursts] section: when a topic's last hour is a burst of coverage (bot/delivery/bursts.py)."""

    factor: float = 3.0  # times the topic's hourly median over the window
    min_articles: int = 10  # and at least this many articles in the hour
    window_days: int = 7
    cooldown_hours: float = 4.0  # at most one burst alert per topic this often


@dataclass(frozen=True)
class DiscordConfig:
    """The [discord] section; the bot token comes only from the environment (RAQIB_DISCORD_TOKEN)."""

    api_base: str = "https://discord.com/api/v10"
    owners: frozenset[int] = frozenset()
    backlog: int = 3
    command_rate: int = 30
    command_burst: int = 12
    concurrency: int = 8
    rate: float = 45.0


@dataclass(frozen=True)
class Config:
    path: Path
    database_url: str
    timezone: ZoneInfo
    watchlists_file: Path
    boilerplate_files: tuple[Path, ...]
    dedup_window_days: int
    max_file_bytes: int
    max_attempts: int  # retired (issue 9): still read so old configs load; nothing ends an alert by count
    backoff_base_s: float
    backoff_max_s: float
    delivery_batch: int
    delivery_interval_s: int
    lease_s: int
    console_format: str
    sources: tuple[FileSourceConfig, ...]
    subscriptions: tuple[SubscriptionConfig, ...]
    telegram_token: str | None = field(default=None, repr=False)
    discord_token: str | None = field(default=None, repr=False)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    discord: DiscordConfig = field(default_factory=DiscordConfig)
    feeds: FeedsConfig = field(default_factory=FeedsConfig)
    # An alert still failing this long after it was queued is given up (and the owners told).
    give_up_after_hours: float = 24.0
    # [logging] format: "text" (one line for a person) or "json" (one object per line for a collector).
    log_format: str = "text"
    log_level: str = "warning"
    # [metrics]: the /metrics and /healthz endpoint of `raqib run`; port 0 = off.
    metrics_port: int = 0
    metrics_listen: str = "127.0.0.1"
    bursts: BurstsConfig = field(default_factory=BurstsConfig)
    # [events] same_event: another outlet's report of a story's event, in its own words and within
    # two days, joins the story (its alert is edited) instead of alerting again (bot/text/events.py).
    same_event: bool = True
    # [run] source_lease: seconds a file source won by one `raqib run` stays its own past the last
    # renewal (a live poll renews every third of it); a runner that died frees it after this.
    source_lease_s: float = 60.0
    # [general] ingest_workers: processes for `raqib ingest`'s text stages when --workers is not given,
    # and for a file source's poll of many files (``App.POLL_POOL_FILES``).
    ingest_workers: int = 1


def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise ConfigError(f"{key}: expected a positive whole number, got {value!r}") from None
    if value <= 0:
        raise ConfigError(f"{key}: expected a positive whole number, got {value!r}")
    return value


def _positive_float(key: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key}: expected a positive number, got {value!r}") from None
    if not number > 0 or number == float("inf"):
        raise ConfigError(f"{key}: expected a positive number, got {value!r}")
    return number


def _string(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}: expected a non-empty string, got {value!r}")
    return value.strip()


def _choice(*options: str) -> Callable[[str, Any], str]:
    def check(key: str, value: Any) -> str:
        if value not in options:
            raise ConfigError(f"{key}: expected one of {', '.join(options)}, got {value!r}")
        return value

    return check


def _timezone(key: str, value: Any) -> ZoneInfo:
    try:
        return ZoneInfo(_string(key, value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{key}: expected an IANA time zone such as Asia/Riyadh, got {value!r}") from None


def _database_url(key: str, value: Any) -> str:
    try:
        return check_url(_string(key, value))
    except DatabaseURLError as exc:
        raise ConfigError(f"{key}: {exc}") from None


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{key}: expected true or false, got {value!r}")


def _non_negative_int(key: str, value: Any) -> int:
    return 0 if str(value).strip() == "0" else _positive_int(key, value)


def _optional_url(key: str, value: Any) -> str:
    if value in ("", None):
        return ""
    text = _string(key, value)
    if not re.match(r"^https?://[^\s/]+", text):
        raise ConfigError(f"{key}: expected an http(s) URL, got {value!r}")
    return text


def _bot_api_url(key: str, value: Any) -> str:
    """The Bot API root, ending in /bot; the token is appended to it per request."""
    text = _optional_url(key, value).rstrip("/")
    if not text:
        raise ConfigError(f"{key}: expected an http(s) URL such as https://api.telegram.org/bot")
    return text if text.endswith("/bot") else text + "/bot"


def _port(key: str, value: Any) -> int:
    """A TCP port, or 0 for "off"."""
    port = _non_negative_int(key, value)
    if port > 65535:
        raise ConfigError(f"{key}: expected a TCP port (1-65535, or 0 for off), got {value!r}")
    return port


def _discord_rate(key: str, value: Any) -> float:
    """Requests per second for alerts; Discord's global limit is 50."""
    rate = _positive_float(key, value)
    if rate > 50:
        raise ConfigError(f"{key}: at most 50 (Discord's global limit), got {value!r}")
    return rate


# section, key, default, parser: the whole schema of the scalar settings.
_SCALARS: list[tuple[str, str, Any, Callable[[str, Any], Any]]] = [
    ("database", "url", "sqlite:///var/raqib.db", _database_url),
    ("general", "timezone", "Asia/Riyadh", _timezone),
    ("general", "watchlists", "seeds/watchlists.toml", _string),
    ("general", "dedup_window_days", 14, _positive_int),
    ("general", "max_file_bytes", 2_000_000, _positive_int),
    ("general", "ingest_workers", 1, _positive_int),
    ("delivery", "max_attempts", 8, _positive_int),
    ("delivery", "backoff_base", 5.0, _positive_float),
    ("delivery", "backoff_max", 3600.0, _positive_float),
    ("delivery", "give_up_after_hours", 24.0, _positive_float),
    ("delivery", "batch_size", 50, _positive_int),
    ("delivery", "interval", 5, _positive_int),
    ("delivery", "lease", 120, _positive_int),
    ("console", "format", "text", _choice("text", "jsonl")),
    ("telegram", "base_url", "https://api.telegram.org/bot", _bot_api_url),
    ("telegram", "mode", "polling", _choice("polling", "webhook")),
    ("telegram", "webhook_url", "", _optional_url),
    ("telegram", "webhook_listen", "0.0.0.0", _string),
    ("telegram", "webhook_port", 8443, _positive_int),
    ("telegram", "backlog", 3, _non_negative_int),
    ("telegram", "command_rate", 30, _positive_int),
    ("telegram", "command_burst", 12, _positive_int),
    ("telegram", "concurrency", 16, _positive_int),
    ("telegram", "admin_cache", 60, _positive_int),
    ("telegram", "poll_timeout", 10, _positive_int),
    ("discord", "api_base", "https://discord.com/api/v10", _optional_url),
    ("discord", "backlog", 3, _non_negative_int),
    ("discord", "command_rate", 30, _positive_int),
    ("discord", "command_burst", 12, _positive_int),
    ("discord", "concurrency", 8, _positive_int),
    ("discord", "rate", 45, _discord_rate),
    ("feeds", "tick", 30, _positive_int),
    ("feeds", "interval", 900, _positive_int),
    ("feeds", "concurrency", 20, _positive_int),
    ("feeds", "per_host", 2, _positive_int),
    ("feeds", "connect_timeout", 10.0, _positive_float),
    ("feeds", "read_timeout", 20.0, _positive_float),
    ("feeds", "total_timeout", 60.0, _positive_float),
    ("feeds", "max_bytes", 5_000_000, _positive_int),
    ("feeds", "max_redirects", 5, _non_negative_int),
    ("feeds", "max_failures", 5, _positive_int),
    ("feeds", "max_interval", 86_400, _positive_int),
    ("feeds", "alert_first_fetch", False, _bool),
    ("feeds", "max_age_hours", 48, _positive_int),
    ("feeds", "teaser_words", 40, _positive_int),
    ("feeds", "user_agent", "raqib/0.1 (+Arabic news watchlists; polite feed reader)", _string),
    ("logging", "format", "text", _choice("text", "json")),
    ("logging", "level", "warning", _choice("debug", "info", "warning", "error")),
    ("metrics", "port", 0, _port),
    ("metrics", "listen", "127.0.0.1", _string),
    ("bursts", "factor", 3.0, _positive_float),
    ("bursts", "min_articles", 10, _positive_int),
    ("bursts", "window_days", 7, _positive_int),
    ("bursts", "cooldown_hours", 4.0, _positive_float),
    ("events", "same_event", True, _bool),
    ("run", "source_lease", 60.0, _positive_float),
]

# Keys that are not scalars (lists, arrays of tables), by section; with _SCALARS, every key a
# config may hold. Anything else is refused, naming the nearest known key: a typo must not be
# silently ignored (issue 14: `tikc = 5`).
_OTHER_KEYS: dict[str, tuple[str, ...]] = {
    "general": ("boilerplate_rules",),
    "telegram": ("owners",),
    "discord": ("owners",),
    "feeds": ("allow_hosts", "sources"),
}
_TABLE_ARRAYS: dict[str, tuple[str, ...]] = {
    "sources": ("name", "type", "path", "interval"),
    "subscriptions": ("chat", "topics"),
    "feeds.sources": ("name", "url", "interval", "topics", "fetch_full", "admin"),
}


def _known_keys() -> dict[str, set[str]]:
    known: dict[str, set[str]] = {}
    for section, key, _, _ in _SCALARS:
        known.setdefault(section, set()).add(key)
    for section, keys in _OTHER_KEYS.items():
        known.setdefault(section, set()).update(keys)
    return known


def _unknown(name: str, where: str, choices: set[str] | tuple[str, ...]) -> ConfigError:
    near = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    hint = f"; did you mean {near[0]!r}?" if near else f"; known: {', '.join(sorted(choices))}"
    return ConfigError(f"{where}: unknown key {name!r}{hint}")


def _refuse_unknown_keys(raw: dict[str, Any]) -> None:
    """Every section and key must be one raqib reads (see _SCALARS and the tables above)."""
    known = _known_keys()
    sections = set(known) | {"sources", "subscriptions"}
    for section, table in raw.items():
        if section not in sections:
            near = difflib.get_close_matches(section, sorted(sections), n=1, cutoff=0.6)
            hint = f"; did you mean [{near[0]}]?" if near else f"; known: {', '.join(sorted(sections))}"
            raise ConfigError(f"[{section}]: unknown section{hint}")
        if section in _TABLE_ARRAYS:
            entries = table if isinstance(table, list) else []
            for i, entry in enumerate(entries):
                for key in entry if isinstance(entry, dict) else ():
                    if key not in _TABLE_ARRAYS[section]:
                        raise _unknown(key, f"{section}[{i}].{key} in [[{section}]]", _TABLE_ARRAYS[section])
            continue
        if not isinstance(table, dict):
            continue  # the section's own check names the problem
        for key, value in table.items():
            if key not in known[section]:
                raise _unknown(key, f"{section}.{key} in [{section}]", known[section])
        feeds = table.get("sources") if section == "feeds" else None
        for i, entry in enumerate(feeds if isinstance(feeds, list) else []):
            for key in entry if isinstance(entry, dict) else ():
                if key not in _TABLE_ARRAYS["feeds.sources"]:
                    raise _unknown(key, f"feeds.sources[{i}].{key} in [[feeds.sources]]", _TABLE_ARRAYS["feeds.sources"])


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Read, override from ``env`` and validate; raise ConfigError naming the bad key."""
    env = os.environ if env is None else env
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    _refuse_secrets(raw)
    if isinstance(raw.get("feeds"), list):
        raise ConfigError("feeds: put settings in [feeds] and each feed in [[feeds.sources]] (not [[feeds]])")
    _refuse_unknown_keys(raw)
    base = path.resolve().parent

    values: dict[tuple[str, str], Any] = {}
    for section, key, default, parse in _SCALARS:
        table = raw.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"[{section}]: expected a table")
        env_name = f"RAQIB_{section}_{key}".upper()
        value = env.get(env_name, table.get(key, default))
        label = f"{env_name} (environment)" if env_name in env else f"{section}.{key}"
        values[section, key] = parse(label, value)

    boilerplate = raw.get("general", {}).get("boilerplate_rules", [])
    if not isinstance(boilerplate, list) or not all(isinstance(p, str) for p in boilerplate):
        raise ConfigError("general.boilerplate_rules: expected a list of file paths")

    database_url = _relative_sqlite(values["database", "url"], base)
    return Config(
        path=path,
        database_url=database_url,
        timezone=values["general", "timezone"],
        watchlists_file=base / values["general", "watchlists"],
        boilerplate_files=tuple(base / p for p in boilerplate),
        dedup_window_days=values["general", "dedup_window_days"],
        max_file_bytes=values["general", "max_file_bytes"],
        ingest_workers=values["general", "ingest_workers"],
        max_attempts=values["delivery", "max_attempts"],
        backoff_base_s=values["delivery", "backoff_base"],
        backoff_max_s=values["delivery", "backoff_max"],
        delivery_batch=values["delivery", "batch_size"],
        delivery_interval_s=values["delivery", "interval"],
        lease_s=values["delivery", "lease"],
        console_format=values["console", "format"],
        sources=_file_sources(raw.get("sources", []), base),
        subscriptions=_subscriptions(raw.get("subscriptions", []), env),
        telegram_token=env.get("RAQIB_TELEGRAM_TOKEN") or None,
        discord_token=env.get("RAQIB_DISCORD_TOKEN") or None,
        telegram=_telegram(raw.get("telegram", {}), values, env),
        discord=_discord(raw.get("discord", {}), values, env),
        feeds=_feeds(raw, values, env),
        give_up_after_hours=values["delivery", "give_up_after_hours"],
        log_format=values["logging", "format"],
        log_level=values["logging", "level"],
        metrics_port=values["metrics", "port"],
        metrics_listen=values["metrics", "listen"],
        bursts=BurstsConfig(
            factor=values["bursts", "factor"],
            min_articles=values["bursts", "min_articles"],
            window_days=values["bursts", "window_days"],
            cooldown_hours=values["bursts", "cooldown_hours"],
        ),
        same_event=values["events", "same_event"],
        source_lease_s=values["run", "source_lease"],
    )


def _refuse_secrets(raw: dict[str, Any], prefix: str = "") -> None:
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _refuse_secrets(value, f"{name}.")
        elif any(key.lower().endswith(s) for s in SECRET_KEYS):
            env_name = "RAQIB_" + name.replace(".", "_").upper()
            raise ConfigError(f"{name}: secrets are read only from the environment; set {env_name} instead")


def _relative_sqlite(url: str, base: Path) -> str:
    """sqlite:///var/x.db is relative to the config file, so the demo works from any cwd."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str(base / url[len(prefix):])
    return url


def _file_sources(items: Any, base: Path) -> tuple[FileSourceConfig, ...]:
    if not isinstance(items, list):
        raise ConfigError("sources: expected an array of tables ([[sources]])")
    out: list[FileSourceConfig] = []
    names: set[str] = set()
    for i, item in enumerate(items):
        key = f"sources[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{key}: expected a table")
        kind = item.get("type", "files")
        if kind != "files":
            raise ConfigError(f"{key}.type: expected 'files', got {kind!r}")
        name = _string(f"{key}.name", item.get("name"))
        if name in names:
            raise ConfigError(f"{key}.name: duplicate source name {name!r}")
        names.add(name)
        out.append(
            FileSourceConfig(
                name=name,
                path=base / _string(f"{key}.path", item.get("path")),
                interval_s=_positive_int(f"{key}.interval", item.get("interval", 300)),
            )
        )
    return tuple(out)


def _webhook_from_env(key: str, chat: str, env: Mapping[str, str]) -> str:
    """``discord-webhook:env:NAME`` → the webhook URL held in $NAME: a webhook URL is a secret,
    so like the tokens it lives in the environment, never in this file."""
    from bot.transports.discord_address import WebhookAddressError, parse_webhook_url

    prefix = "discord-webhook:env:"
    if not chat.startswith(prefix):
        raise ConfigError(
            f"{key}.chat: a Discord webhook URL is a secret; put it in an environment variable and write "
            '"discord-webhook:env:VARIABLE" here (or use `raqib subscriptions add discord-webhook:URL TOPIC`)'
        )
    name = chat[len(prefix):]
    url = env.get(name)
    if not url:
        raise ConfigError(f"{key}.chat: environment variable {name} (a Discord webhook URL) is not set")
    try:
        parse_webhook_url(url)
    except WebhookAddressError as exc:
        raise ConfigError(f"{key}.chat: {name}: {exc}") from None
    return f"discord-webhook:{url}"


def _subscriptions(items: Any, env: Mapping[str, str] | None = None) -> tuple[SubscriptionConfig, ...]:
    if not isinstance(items, list):
        raise ConfigError("subscriptions: expected an array of tables ([[subscriptions]])")
    out: list[SubscriptionConfig] = []
    for i, item in enumerate(items):
        key = f"subscriptions[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{key}: expected a table")
        chat = _string(f"{key}.chat", item.get("chat"))
        if chat.startswith("discord-webhook:") and not chat[len("discord-webhook:"):].isdigit():
            chat = _webhook_from_env(key, chat, env or {})
        if not CHAT_ADDRESS.match(chat):
            raise ConfigError(f"{key}.chat: expected an address such as console:NAME or telegram:ID, got {chat!r}")
        topics = item.get("topics")
        if not isinstance(topics, list) or not topics or not all(isinstance(t, str) for t in topics):
            raise ConfigError(f"{key}.topics: expected a non-empty list of watchlist slugs")
        out.append(SubscriptionConfig(chat=chat, topics=tuple(topics)))
    return tuple(out)


def _listed(table: dict[str, Any], env: Mapping[str, str], section: str, key: str) -> tuple[Any, str]:
    """A list setting from the file, or from RAQIB_<SECTION>_<KEY> written "a,b" or "a b";
    with the label an error message should name."""
    env_name = f"RAQIB_{section}_{key}".upper()
    raw = env.get(env_name, table.get(key, []))
    if isinstance(raw, str):
        raw = [part for part in re.split(r"[\s,]+", raw) if part]
    return raw, (f"{env_name} (environment)" if env_name in env else f"{section}.{key}")


def _owner_ids(table: dict[str, Any], env: Mapping[str, str], section: str, platform: str) -> set[int]:
    """Owner user ids from `<section>.owners` or RAQIB_<SECTION>_OWNERS ("1,2" or "1 2")."""
    raw, label = _listed(table, env, section, "owners")
    if not isinstance(raw, list):
        raise ConfigError(f"{label}: expected a list of {platform} user ids")
    owners = set()
    for item in raw:
        try:
            owners.add(int(str(item).strip()))
        except ValueError:
            raise ConfigError(f"{label}: expected {platform} user ids (numbers), got {item!r}") from None
    return owners


def _discord(table: dict[str, Any], values: dict[tuple[str, str], Any], env: Mapping[str, str]) -> DiscordConfig:
    api_base = values["discord", "api_base"].rstrip("/")
    if not api_base:
        raise ConfigError("discord.api_base: expected an http(s) URL such as https://discord.com/api/v10")
    owners = _owner_ids(table, env, "discord", "Discord")
    return DiscordConfig(
        api_base=api_base,
        owners=frozenset(owners),
        backlog=values["discord", "backlog"],
        command_rate=values["discord", "command_rate"],
        command_burst=values["discord", "command_burst"],
        concurrency=values["discord", "concurrency"],
        rate=values["discord", "rate"],
    )


_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _telegram(table: dict[str, Any], values: dict[tuple[str, str], Any], env: Mapping[str, str]) -> TelegramConfig:
    owners = _owner_ids(table, env, "telegram", "Telegram")
    mode = values["telegram", "mode"]
    webhook_url = values["telegram", "webhook_url"] or None
    secret = env.get("RAQIB_TELEGRAM_WEBHOOK_SECRET") or None
    if secret is not None and not _WEBHOOK_SECRET.match(secret):
        raise ConfigError("RAQIB_TELEGRAM_WEBHOOK_SECRET (environment): 1-256 characters of A-Z, a-z, 0-9, _ or -")
    if mode == "webhook":
        if webhook_url is None:
            raise ConfigError("telegram.webhook_url: required when telegram.mode is webhook")
        if secret is None:
            raise ConfigError("telegram.mode is webhook: set RAQIB_TELEGRAM_WEBHOOK_SECRET in the environment")
    return TelegramConfig(
        base_url=values["telegram", "base_url"],
        owners=frozenset(owners),
        mode=mode,
        webhook_url=webhook_url,
        webhook_listen=values["telegram", "webhook_listen"],
        webhook_port=values["telegram", "webhook_port"],
        webhook_secret=secret,
        backlog=values["telegram", "backlog"],
        command_rate=values["telegram", "command_rate"],
        command_burst=values["telegram", "command_burst"],
        concurrency=values["telegram", "concurrency"],
        admin_cache_s=values["telegram", "admin_cache"],
        poll_timeout_s=values["telegram", "poll_timeout"],
    )


def _feeds(raw: dict[str, Any], values: dict[tuple[str, str], Any], env: Mapping[str, str]) -> FeedsConfig:
    table = raw.get("feeds", {})
    allow_raw, label = _listed(table, env, "feeds", "allow_hosts")
    if not isinstance(allow_raw, list) or not all(isinstance(h, str) for h in allow_raw):
        raise ConfigError(f"{label}: expected host names or CIDRs, e.g. [\"10.0.0.0/8\", \"feeds.local\"]")
    for entry in allow_raw:
        if not re.match(r"^[A-Za-z0-9.:_/\[\]-]{1,253}$", entry.strip()):
            raise ConfigError(f"{label}: not a host name or CIDR: {entry!r}")
    interval = values["feeds", "interval"]
    return FeedsConfig(
        tick_s=values["feeds", "tick"],
        interval_s=interval,
        concurrency=values["feeds", "concurrency"],
        per_host=values["feeds", "per_host"],
        connect_timeout_s=values["feeds", "connect_timeout"],
        read_timeout_s=values["feeds", "read_timeout"],
        total_timeout_s=values["feeds", "total_timeout"],
        max_bytes=values["feeds", "max_bytes"],
        max_redirects=values["feeds", "max_redirects"],
        max_failures=values["feeds", "max_failures"],
        max_interval_s=values["feeds", "max_interval"],
        alert_first_fetch=values["feeds", "alert_first_fetch"],
        max_age_hours=values["feeds", "max_age_hours"],
        teaser_words=values["feeds", "teaser_words"],
        allow_hosts=tuple(h.strip() for h in allow_raw),
        user_agent=values["feeds", "user_agent"],
        sources=_feed_sources(table.get("sources", []), interval, raw),
    )


def _feed_sources(items: Any, default_interval: int, raw: dict[str, Any]) -> tuple[FeedSourceConfig, ...]:
    if not isinstance(items, list):
        raise ConfigError("feeds.sources: expected an array of tables ([[feeds.sources]])")
    taken = {s.get("name") for s in raw.get("sources", []) if isinstance(s, dict)}
    out: list[FeedSourceConfig] = []
    urls: set[str] = set()
    for i, item in enumerate(items):
        key = f"feeds.sources[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{key}: expected a table")
        url = _string(f"{key}.url", item.get("url"))
        if not re.match(r"^https?://[^\s/]+", url):
            raise ConfigError(f"{key}.url: expected an http(s) URL, got {url!r}")
        if url in urls:
            raise ConfigError(f"{key}.url: duplicate feed {url!r}")
        urls.add(url)
        name = _string(f"{key}.name", item.get("name", re.sub(r"^https?://", "", url)[:200]))
        if name in taken:
            raise ConfigError(f"{key}.name: duplicate source name {name!r}")
        taken.add(name)
        topics = item.get("topics", [])
        if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
            raise ConfigError(f"{key}.topics: expected a list of watchlist slugs")
        admin = item.get("admin")
        if admin is not None and not (isinstance(admin, str) and CHAT_ADDRESS.match(admin)):
            raise ConfigError(f"{key}.admin: expected a chat address such as telegram:ID, got {admin!r}")
        out.append(
            FeedSourceConfig(
                name=name,
                url=url,
                interval_s=_positive_int(f"{key}.interval", item.get("interval", default_interval)),
                topics=tuple(topics),
                fetch_full=_bool(f"{key}.fetch_full", item.get("fetch_full", False)),
                admin=admin,
            )
        )
    return tuple(out)

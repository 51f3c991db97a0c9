"""First steps from the command line: `raqib init`, `raqib whoami`, `raqib discord invite`.

`init` writes a commented config.toml from config.example.toml (the file that documents every key),
with the database, time zone and owners filled in; it asks only a person at a terminal and never
overwrites a config without ``--force``. `whoami` tells a new operator their Telegram user id (the
value `[telegram] owners` wants) from the bot's latest messages. `discord invite` prints the URL
that adds the bot to a server with the scopes and permissions raqib uses.

These commands need no database, and `init` runs before any config exists: they take the parsed
arguments only and import nothing heavy (httpx and discord.py when called).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable

TEMPLATE = "config.example.toml"
DISCORD_AUTHORIZE = "https://discord.com/oauth2/authorize"
DISCORD_SCOPES = ("bot", "applications.commands")


class SetupError(Exception):
    """Something the operator must fix; reported in one line."""


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """The subcommands of this module, added to `raqib`'s parser."""
    init = sub.add_parser("init", parents=[common], help="write a commented config.toml to start from")
    init.add_argument("--force", action="store_true", help="overwrite an existing config file")
    init.add_argument("--database-url", help="database URL (default: SQLite file var/raqib.db beside the config)")
    init.add_argument("--timezone", help="IANA time zone for alert times (default: Asia/Riyadh)")
    init.add_argument("--owner", action="append", type=int, default=[], metavar="TELEGRAM_USER_ID",
                      help="a Telegram owner's user id (repeatable; `raqib whoami` finds yours)")
    sub.add_parser("whoami", parents=[common],
                   help="the Telegram user ids of the people who last wrote to the bot (for [telegram] owners)")
    discord = sub.add_parser("discord", parents=[common], help="Discord set-up: the invite URL")
    discord.add_argument("action", choices=["invite"])
    discord.add_argument("--application-id", help="the Discord application id (default: asked of Discord with the token)")


def find_template() -> Path:
    """config.example.toml of this checkout, else of the current folder (the container's /app)."""
    for folder in (Path(__file__).resolve().parents[2], Path.cwd()):
        if (folder / TEMPLATE).is_file():
            return folder / TEMPLATE
    raise SetupError(f"{TEMPLATE} not found beside raqib or in {Path.cwd()}")


def _toml_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _set(text: str, section: str, key: str, value: str) -> str:
    """Replace ``key = …`` inside ``[section]`` (the first one), keeping every comment."""
    block = re.search(rf"(?ms)^\[{re.escape(section)}\]\n(.*?)(?=^\[)", text)
    if block is None:
        raise SetupError(f"{TEMPLATE} has no [{section}] section")
    body = re.sub(rf"(?m)^{re.escape(key)} = .*$", lambda _: f"{key} = {value}", block.group(1), count=1)
    return text[: block.start(1)] + body + text[block.end(1):]


def render(template: str, template_dir: Path, target_dir: Path, database_url: str | None,
           timezone: str | None, owners: list[int]) -> str:
    """The template with the chosen values, and its relative paths still pointing at the seeds."""
    text = template
    if database_url:
        text = _set(text, "database", "url", _toml_string(database_url))
    if timezone:
        text = _set(text, "general", "timezone", _toml_string(timezone))
    if owners:
        text = _set(text, "telegram", "owners", "[" + ", ".join(str(o) for o in owners) + "]")
    seeds = os.path.relpath(template_dir / "seeds", target_dir)
    if seeds.startswith(".."):  # outside the config's folder: an absolute path reads better
        seeds = str(template_dir / "seeds")
    if seeds != "seeds":  # a config written elsewhere still finds the default watchlists and articles
        text = _set(text, "general", "watchlists", _toml_string(f"{seeds}/watchlists.toml"))
        text = re.sub(r'(?m)^path = "seeds"$', lambda _: f"path = {_toml_string(seeds)}", text)
    header = ("# Written by `raqib init` from config.example.toml: every key is explained below.\n"
              "# Tokens never go here: export RAQIB_TELEGRAM_TOKEN / RAQIB_DISCORD_TOKEN instead.\n\n")
    return header + text


def _ask(prompt: str, default: str) -> str:
    try:
        answer = input(f"{prompt} [{default}]: ").strip()
    except EOFError:
        return default
    return answer or default


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.config)
    if target.exists() and not args.force:
        raise SetupError(f"{target} exists; keep it, or overwrite it with `raqib init --force`")
    template = find_template()
    database_url, timezone, owners = args.database_url, args.timezone, list(args.owner)
    if sys.stdin.isatty():  # a person: offer each choice with its default; a script gets the defaults
        database_url = _ask("database URL", database_url or "sqlite:///var/raqib.db")
        timezone = _ask("time zone", timezone or "Asia/Riyadh")
        raw = _ask("Telegram owner user ids, comma-separated (raqib whoami finds yours)",
                   ",".join(map(str, owners)))
        try:
            owners = [int(x) for x in re.split(r"[,\s]+", raw) if x]
        except ValueError:
            raise SetupError(f"owner ids are numbers: {raw!r}") from None
    text = render(template.read_text(encoding="utf-8"), template.parent, target.resolve().parent,
                  database_url, timezone, owners)
    target.parent.mkdir(parents=True, exist_ok=True)
    from bot.config import load_config  # what is written must load, or the operator hears why now

    draft = target.with_name(f".{target.name}.draft")  # beside it: relative paths resolve the same
    draft.write_text(text, encoding="utf-8")
    try:
        config = load_config(draft)
    except BaseException:
        draft.unlink()
        raise
    os.replace(draft, target)
    print(f"wrote {target}")
    print(f"database: {_without_password(config.database_url)}")
    print("next: `raqib run --once` for the console demo; for Telegram export RAQIB_TELEGRAM_TOKEN "
          "and run `raqib whoami`")
    return 0


def _without_password(url: str) -> str:
    return re.sub(r"(?<=://)([^:/@]+):[^@]*@", r"\1:***@", url)


# --- Telegram: whoami ------------------------------------------------------------------------


def _load_optional(path: str):
    """The config when its file exists (for base URLs and owners); the environment does the rest."""
    from bot.config import load_config

    return load_config(path) if Path(path).exists() else None


def telegram_senders(updates: list[dict]) -> list[dict]:
    """The latest update of each person in ``updates``, newest first, as {id, name, username, chat, text}."""
    seen: dict[int, dict] = {}
    for update in updates:
        message = next((update[k] for k in ("message", "edited_message", "channel_post", "callback_query",
                                            "my_chat_member") if k in update), None)
        if not isinstance(message, dict) or not isinstance(message.get("from"), dict):
            continue
        user = message["from"]
        if user.get("is_bot"):
            continue
        chat = message.get("chat") or (message.get("message") or {}).get("chat") or {}
        seen.pop(int(user["id"]), None)  # re-inserted: the dict's order is the order of last messages
        seen[int(user["id"])] = {
            "id": int(user["id"]),
            "name": " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p),
            "username": user.get("username"),
            "chat": f"{chat.get('type', '?')} chat {chat.get('id', '?')}",
            "text": (message.get("text") or message.get("data") or "")[:40],
        }
    return list(seen.values())[::-1]


def cmd_whoami(args: argparse.Namespace, http_post: Callable[..., Any] | None = None) -> int:
    token = os.environ.get("RAQIB_TELEGRAM_TOKEN")
    if not token:
        raise SetupError("RAQIB_TELEGRAM_TOKEN is not set: export the token @BotFather gave you")
    config = _load_optional(args.config)
    base = os.environ.get("RAQIB_TELEGRAM_BASE_URL") or (
        config.telegram.base_url if config else "https://api.telegram.org/bot")
    if http_post is None:
        import httpx

        http_post = httpx.post

    def call(method: str, **params: Any) -> Any:
        try:
            response = http_post(f"{base}{token}/{method}", data=params, timeout=20)
            body = response.json()
        except Exception as exc:  # unreachable, not JSON: one line, never the token
            raise SetupError(f"telegram {method}: {str(exc).replace(token, '<token>')}") from None
        if not body.get("ok"):
            hint = ""
            if response.status_code == 409:
                hint = (" (`raqib run` or a webhook is reading the updates: stop it, or send /whoami "
                        "to the running bot)")
            if response.status_code == 401:
                hint = " (the token was refused: copy it again from @BotFather)"
            raise SetupError(f"telegram {method}: {body.get('description', response.status_code)}{hint}")
        return body["result"]

    me = call("getMe")
    bot_name = f"@{me.get('username')}" if me.get("username") else str(me.get("id"))
    print(f"bot: {bot_name} (id {me.get('id')})")
    # No offset: the updates are read, not confirmed, so the bot still gets them when it runs.
    senders = telegram_senders(call("getUpdates", timeout=0, limit=100))
    if not senders:
        print(f"no messages yet: open {bot_name} in Telegram, send it any message, and run `raqib whoami` again")
        return 1
    for s in senders:
        username = f" @{s['username']}" if s["username"] else ""
        print(f"user id {s['id']}{username} ({s['name']}), in {s['chat']}: {s['text']!r}")
    ids = ", ".join(str(s["id"]) for s in senders)
    print(f"make yourself an owner: in config.toml [telegram] owners = [{senders[0]['id']}]"
          f" (or RAQIB_TELEGRAM_OWNERS={senders[0]['id']})" + (f"; ids seen: {ids}" if len(senders) > 1 else ""))
    return 0


# --- Discord: invite -------------------------------------------------------------------------


def discord_permissions() -> int:
    """What the bot does in a channel: see it, post alerts as embeds (editing its own messages needs
    no permission), and post inside threads and forum posts a subscription names."""
    import discord

    return discord.Permissions(view_channel=True, send_messages=True, embed_links=True,
                               send_messages_in_threads=True).value


def invite_url(application_id: str, permissions: int) -> str:
    from urllib.parse import urlencode

    return f"{DISCORD_AUTHORIZE}?" + urlencode(
        {"client_id": application_id, "scope": " ".join(DISCORD_SCOPES), "permissions": permissions})


def cmd_discord(args: argparse.Namespace, http_get: Callable[..., Any] | None = None) -> int:
    application_id = args.application_id or os.environ.get("RAQIB_DISCORD_APPLICATION_ID")
    if not application_id:
        token = os.environ.get("RAQIB_DISCORD_TOKEN")
        if not token:
            raise SetupError("give --application-id (Developer Portal → your application → General "
                             "Information), or export RAQIB_DISCORD_TOKEN to ask Discord for it")
        config = _load_optional(args.config)
        base = os.environ.get("RAQIB_DISCORD_API_BASE") or (
            config.discord.api_base if config else "https://discord.com/api/v10")
        if http_get is None:
            import httpx

            http_get = httpx.get
        try:
            response = http_get(f"{base}/oauth2/applications/@me", headers={"Authorization": f"Bot {token}"},
                                timeout=20)
        except Exception as exc:
            raise SetupError(f"discord: {str(exc).replace(token, '<token>')}") from None
        if response.status_code != 200:
            raise SetupError(f"discord: GET /oauth2/applications/@me answered {response.status_code}"
                             + (" (the token was refused)" if response.status_code == 401 else ""))
        application_id = str(response.json()["id"])
    if not str(application_id).isdigit():
        raise SetupError(f"not a Discord application id: {application_id!r}")
    permissions = discord_permissions()
    print(invite_url(str(application_id), permissions))
    print(f"scopes: {' + '.join(DISCORD_SCOPES)}; permissions {permissions}: View Channel, Send Messages, "
          "Embed Links, Send Messages in Threads")
    print("intents: none of the privileged ones (Presence, Server Members, Message Content) is needed: "
          "raqib answers slash commands and uses the Guilds intent only")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "init": cmd_init,
    "whoami": cmd_whoami,
    "discord": cmd_discord,
}


def run(args: argparse.Namespace) -> int:
    """Run one of these commands; a SetupError is one line on stderr and exit status 2."""
    try:
        return COMMANDS[args.command](args)
    except SetupError as exc:
        print(f"raqib: {exc}", file=sys.stderr)
        return 2

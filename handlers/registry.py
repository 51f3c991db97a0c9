"""The command registry: one entry per command, the only place that says who may run what.

An entry holds the name, the description (Arabic and English, from texts.py by ``cmd_NAME``), the
tier (everyone, chat admin, owner), the named and typed arguments (with the fixed values a
platform may offer as a list, or the handler that completes what is typed), and the handler; a command with
subcommands (``/watch``, ``/feed``) holds one such entry per subcommand. The router checks the
tier from here before any handler runs, on every platform; the Telegram menus per scope, ``/help``
and the Discord slash commands (options, autocomplete, default permissions) are built from here.

A setting's command (``/quiet``, ``/timezone``, ``/settings``) holds a ``show`` handler too: sent
bare it shows the setting to everyone; with arguments it changes it, at the command's tier.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Awaitable, Callable, Literal

from handlers.base import Caller, Reply
from handlers.services import Services
from handlers.texts import t


class Tier(IntEnum):
    """Who may run a command. Higher tiers may run everything below them."""

    EVERYONE = 0
    ADMIN = 1  # the chat's admins (in a private chat: its user), and owners
    OWNER = 2  # the bot's owners, from the config


Handler = Callable[[Services, Caller, str], Awaitable[Reply]]
# What a platform's autocomplete asks while the user types: (label, value) pairs, the value being
# what the command reads (typed in Telegram, picked in Discord).
Completer = Callable[[Services, Caller, str], Awaitable[list[tuple[str, str]]]]
ArgKind = Literal["topic", "slug", "text", "period", "url", "number", "time", "zone"]


@dataclass(frozen=True)
class Choice:
    """One fixed value of an argument: ``value`` is the word the command reads (what a Telegram
    user types), ``label`` the text key of what a list shows in the user's language."""

    value: str
    label: str

    def text(self, lang: str) -> str:
        return t(lang, self.label)


@dataclass(frozen=True)
class Arg:
    """A named, typed argument. ``rest`` takes the rest of the line (free text, terms).
    ``choices``: the only values it takes, offered as a list where the platform has one
    (Discord); ``complete``: suggestions for what is being typed (topics, zones)."""

    name: str
    kind: ArgKind = "text"
    required: bool = False
    rest: bool = False
    choices: tuple[Choice, ...] = ()
    complete: Completer | None = field(default=None, compare=False)

    def description(self, lang: str) -> str:
        return t(lang, f"arg_{self.name}")


@dataclass(frozen=True)
class Command:
    name: str
    tier: Tier
    handler: Handler | None = None
    args: tuple[Arg, ...] = ()
    subcommands: tuple["Command", ...] = ()
    # The refusal text key; by default the tier's.
    refusal: str | None = None
    # /help and /topics show what this user may run: the router establishes the full tier first.
    wants_tier: bool = False
    # The handler for a command with subcommands when none matches (its usage).
    usage: str | None = None
    parent: str | None = field(default=None, compare=False)
    # Sent without arguments, this runs instead, for everyone (a setting anyone may read).
    show: Handler | None = None

    @property
    def path(self) -> str:
        return f"{self.parent} {self.name}" if self.parent else self.name

    def description(self, lang: str) -> str:
        key = f"cmd_{self.parent}_{self.name}" if self.parent else f"cmd_{self.name}"
        return t(lang, key)

    @property
    def menu_tier(self) -> Tier:
        """The lowest tier that may run anything of this command: who sees it in a menu."""
        tiers = [self.tier] if self.handler is not None else []
        tiers += [sub.tier for sub in self.subcommands]
        tiers += [Tier.EVERYONE] if self.show is not None else []
        return min(tiers) if tiers else self.tier

    def sub(self, name: str) -> "Command | None":
        return next((s for s in self.subcommands if s.name == name), None)

    @property
    def shown(self) -> "Command | None":
        """The entry a bare command runs when it has a ``show``: everyone's, told their tier
        (a settings view offers its buttons only to those who may press them)."""
        if self.show is None:
            return None
        return Command(self.name, Tier.EVERYONE, self.show, wants_tier=True, parent=self.parent)

    def resolve(self, args: str) -> tuple["Command | None", str]:
        """The (sub)command the arguments select and the arguments left for it; (None, args) for
        a command with subcommands when the first word names none of them."""
        if self.show is not None and not args.strip():
            return self.shown, ""
        if not self.subcommands:
            return self, args
        parts = args.strip().split(maxsplit=1)
        sub = self.sub(parts[0].lower()) if parts else None
        if sub is None:
            return None, args
        return sub, parts[1] if len(parts) > 1 else ""

    def refusal_text(self, lang: str) -> str:
        return t(lang, self.refusal or _REFUSALS[self.tier])


_REFUSALS = {Tier.EVERYONE: "error", Tier.ADMIN: "admins_only", Tier.OWNER: "owners_only"}


def refusal(tier: Tier, lang: str) -> str:
    """What someone below ``tier`` is told, in their language."""
    return t(lang, _REFUSALS[tier])


def _with_parent(cmd: Command) -> Command:
    if not cmd.subcommands:
        return cmd
    subs = tuple(dataclasses.replace(s, parent=cmd.name) for s in cmd.subcommands)
    return dataclasses.replace(cmd, subcommands=subs)


def _build() -> dict[str, Command]:
    # Imported here: the handler modules import the registry's types (and help lists the registry).
    from handlers import feeds as feeds_cmd
    from handlers import help as help_cmd
    from handlers import search as search_cmd
    from handlers import settings as settings_cmd
    from handlers import status as status_cmd
    from handlers import subscribe as sub_cmd
    from handlers import timeline as timeline_cmd
    from handlers import watchlist as watch_cmd

    E, A, O = Tier.EVERYONE, Tier.ADMIN, Tier.OWNER
    topic = Arg("topic", "topic", required=True, complete=sub_cmd.topic_choices)
    # The settings' words, as the handlers read them (handlers/settings.py), labelled as they show them.
    frequency = (Choice("instant", "mode_instant"), Choice("hourly", "mode_hourly"), Choice("daily", "choice_daily"))
    length = (Choice("short", "summary_short"), Choice("normal", "summary_normal"))
    reports = (Choice("story", "reports_story"), Choice("every", "reports_every"))
    action = (Choice("silent", "quiet_silent"), Choice("hold", "quiet_hold"))
    commands = [
        Command("start", E, help_cmd.start, wants_tier=True),
        Command("help", E, help_cmd.help, wants_tier=True),
        Command("topics", E, sub_cmd.topics, wants_tier=True),
        Command("subscribe", A, sub_cmd.subscribe, (topic,), refusal="group_admins_only"),
        Command("unsubscribe", A, sub_cmd.unsubscribe, (topic,), refusal="group_admins_only"),
        Command("mysubs", E, sub_cmd.mysubs, wants_tier=True),
        # How and when alerts arrive (issue 12): readable by everyone, changed by the chat's admins.
        Command("digest", A, settings_cmd.digest,
                (topic, Arg("frequency", required=True, choices=frequency), Arg("at", "time")),
                refusal="group_admins_only"),
        Command("settings", A, usage="settings_usage", refusal="group_admins_only", show=settings_cmd.show_settings,
                subcommands=(
            Command("show", E, settings_cmd.show_settings, wants_tier=True),
            Command("summary", A, settings_cmd.summary, (Arg("length", required=True, choices=length),),
                    refusal="group_admins_only"),
            Command("reports", A, settings_cmd.reports, (topic, Arg("reports", required=True, choices=reports)),
                    refusal="group_admins_only"),
        )),
        Command("quiet", A, settings_cmd.quiet, (Arg("hours"), Arg("action", choices=action)),
                refusal="group_admins_only", show=settings_cmd.show_quiet),
        Command("timezone", A, settings_cmd.timezone, (Arg("zone", "zone", complete=settings_cmd.zone_choices),),
                refusal="group_admins_only", show=settings_cmd.show_timezone),
        Command("search", E, search_cmd.search, (Arg("query", "text", required=True, rest=True),)),
        Command("timeline", E, timeline_cmd.timeline, (topic, Arg("period", "period"))),
        Command("watch", A, usage="watch_usage", subcommands=(
            Command("new", A, watch_cmd.new, (Arg("slug", "slug", required=True), Arg("name", required=True, rest=True))),
            Command("add", A, watch_cmd.add, (topic, Arg("terms", required=True, rest=True))),
            Command("exclude", A, watch_cmd.exclude, (topic, Arg("term", required=True, rest=True))),
            Command("remove", A, watch_cmd.remove, (topic, Arg("term", required=True, rest=True))),
            Command("show", A, watch_cmd.show, (topic,)),
            Command("history", A, watch_cmd.history, (topic,)),
            Command("delete", A, watch_cmd.delete, (topic,)),
        )),
        Command("explain", A, watch_cmd.explain, (Arg("text", required=True, rest=True),)),
        Command("status", A, status_cmd.status),
        Command("feed", A, usage="feed_usage", subcommands=(
            Command("add", O, feeds_cmd.add, (Arg("url", "url", required=True),)),
            Command("remove", O, feeds_cmd.remove, (Arg("url", "url", required=True),)),
            Command("enable", O, feeds_cmd.enable, (Arg("url", "url", required=True),)),
            Command("list", A, feeds_cmd.list_feeds),
            Command("status", A, feeds_cmd.feed_status),
        )),
    ]
    return {c.name: _with_parent(c) for c in commands}


def _build_callbacks() -> dict[str, Command]:
    """Buttons are commands too: the same tier check runs before their handlers."""
    from handlers import alert_buttons as alert_cmd
    from handlers import format as fmt
    from handlers import search as search_cmd
    from handlers import settings as settings_cmd
    from handlers import subscribe as sub_cmd
    from handlers import timeline as timeline_cmd
    from handlers import watchlist as watch_cmd

    E, A = Tier.EVERYONE, Tier.ADMIN
    return {
        # The alert's buttons: mute and unsubscribe ask what /unsubscribe asks.
        fmt.WHY: Command(fmt.WHY, E, alert_cmd.why),
        fmt.RELATED: Command(fmt.RELATED, E, alert_cmd.related),
        fmt.MUTE: Command(fmt.MUTE, A, alert_cmd.mute, refusal="group_admins_only"),
        fmt.UNSUBSCRIBE: Command(fmt.UNSUBSCRIBE, A, alert_cmd.unsubscribe, refusal="group_admins_only"),
        "sub": Command("sub", A, sub_cmd.sub_button, refusal="group_admins_only"),
        "unsub": Command("unsub", A, sub_cmd.unsub_button, refusal="group_admins_only"),
        settings_cmd.BUTTON: Command(settings_cmd.BUTTON, A, settings_cmd.button, refusal="group_admins_only"),
        "wdel": Command("wdel", A, watch_cmd.confirm_delete),
        "wkeep": Command("wkeep", A, watch_cmd.cancel_delete),
        search_cmd.CALLBACK: Command(search_cmd.CALLBACK, E, search_cmd.page_button),
        timeline_cmd.CHART_CALLBACK: Command(timeline_cmd.CHART_CALLBACK, E, timeline_cmd.chart_button),
    }


_COMMANDS: dict[str, Command] | None = None
_CALLBACKS: dict[str, Command] | None = None


def commands() -> dict[str, Command]:
    global _COMMANDS
    if _COMMANDS is None:
        _COMMANDS = _build()
    return _COMMANDS


def callbacks() -> dict[str, Command]:
    global _CALLBACKS
    if _CALLBACKS is None:
        _CALLBACKS = _build_callbacks()
    return _CALLBACKS


def runnable(tier: Tier | int) -> list[Command]:
    """The commands (subcommands included) someone of ``tier`` may run, in registry order."""
    out: list[Command] = []
    for cmd in commands().values():
        if cmd.handler is not None and cmd.tier <= tier:
            out.append(cmd)
        out.extend(s for s in cmd.subcommands if s.tier <= tier)
    return out


def listed_subcommands(cmd: Command, tier: Tier) -> list[str]:
    """The subcommands ``tier`` may run, named in menus and /help; not the one that only repeats
    what the bare command shows (``/settings show`` is ``/settings``)."""
    return [s.name for s in cmd.subcommands if s.tier <= tier and (cmd.show is None or s.handler is not cmd.show)]


def short_description(cmd: Command, lang: str, tier: Tier) -> str:
    """The description without its usage example; for a command with subcommands, followed by
    the subcommands ``tier`` may run (an admin's /feed is list|status, an owner's has add too)."""
    head, sep, _ = cmd.description(lang).partition(": /")
    subs = listed_subcommands(cmd, tier)
    return f"{head}: {'|'.join(subs)}" if subs else head


def menu(tier: Tier, lang: str) -> list[tuple[str, str]]:
    """(command, description) of every command someone of ``tier`` may run (at least partly):
    one Telegram menu scope's list (everyone / chat admins / owners)."""
    return [(c.name, short_description(c, lang, tier)) for c in commands().values() if c.menu_tier <= tier]


async def tier_of(caller: Caller, needed: Tier, full: bool = False) -> Tier:
    """The caller's tier, asking the platform only when it matters (a group admin check costs a
    request): owners from the config; in a private chat its user administers it."""
    if caller.is_owner:
        return Tier.OWNER
    if needed == Tier.EVERYONE and not full:
        return Tier.EVERYONE
    if not caller.is_group:
        return Tier.ADMIN
    return Tier.ADMIN if await caller.admin_check(caller) else Tier.EVERYONE

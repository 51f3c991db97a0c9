"""The command registry is the one place that says who may run what, and the router enforces it.

Every entry (commands, subcommands, buttons) is walked for callers of every tier on every
platform: the handler runs exactly when the caller's tier reaches the entry's, and a refusal is
worded in the caller's language."""

from __future__ import annotations

import ast
import asyncio
import dataclasses
from pathlib import Path

import pytest

from handlers import registry, router
from handlers.base import Caller, Reply
from handlers.registry import Tier
from handlers.services import Services
from handlers.texts import t
from handlers.throttle import Throttle

PLATFORMS = ("telegram", "discord")


def _caller(platform: str, tier: Tier, language: str = "ar", private: bool = False) -> Caller:
    """A caller of exactly ``tier``: a plain group member, a group admin, or an owner."""

    async def admin(_: Caller) -> bool:
        return tier >= Tier.ADMIN

    if private:
        return Caller(user_id=5, chat=f"{platform}:5", chat_type="private", language=language,
                      is_owner=tier == Tier.OWNER)
    return Caller(user_id=5, chat=f"{platform}:-100", chat_type="supergroup", language=language,
                  is_owner=tier == Tier.OWNER, admin_check=admin,
                  scope="discord-guild:1" if platform == "discord" else None)


def _entries() -> list[tuple[str, str, registry.Command]]:
    """(command name, the arguments selecting it, entry) of every runnable registry entry; a
    setting's bare form (its ``show``) is an entry of its own, selected by no argument at all."""
    out = []
    for cmd in registry.commands().values():
        if cmd.handler is not None:
            out.append((cmd.name, "", cmd))
        for sub in cmd.subcommands:
            out.append((cmd.name, sub.name, sub))
        if cmd.shown is not None:
            out.append((cmd.name, None, cmd.shown))
    return out


def _args(sub: str | None) -> str:
    """What selects an entry: its subcommand and an argument; nothing for a bare command."""
    return "" if sub is None else f"{sub} x".strip()


class _Spy:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def __call__(self, path: str):
        async def handler(services: Services, caller: Caller, args: str) -> Reply:
            self.calls.append((path, caller.tier))
            return Reply().add("ran")

        return handler


@pytest.fixture
def spied(monkeypatch):
    """Every handler replaced by a spy that records who reached it."""
    spy = _Spy()
    for name, cmd in list(router.COMMANDS.items()):
        subs = tuple(dataclasses.replace(s, handler=spy(s.path)) for s in cmd.subcommands)
        handler = spy(cmd.path) if cmd.handler is not None else None
        show = spy(cmd.path) if cmd.show is not None else None
        monkeypatch.setitem(router.COMMANDS, name, dataclasses.replace(cmd, handler=handler, subcommands=subs,
                                                                       show=show))
    for kind, cb in list(router.CALLBACKS.items()):
        monkeypatch.setitem(router.CALLBACKS, kind, dataclasses.replace(cb, handler=spy(f"button {kind}")))
    services = Services(factory=None, timezone=None, throttle=Throttle(10_000, 10_000))  # type: ignore[arg-type]
    return spy, services


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("tier", list(Tier))
def test_every_command_runs_exactly_for_its_tier(spied, platform, tier):
    spy, services = spied
    for name, sub, entry in _entries():
        for language in ("ar", "en"):
            spy.calls.clear()
            who = _caller(platform, tier, language)
            reply = asyncio.run(router.handle_command(services, who, name, _args(sub)))
            if tier >= entry.tier:
                # the handler learns the tier, as far as it was worth asking the platform
                ((path, told),) = spy.calls
                assert path == entry.path and entry.tier <= told <= tier
                if entry.wants_tier or entry.tier > Tier.EVERYONE or tier == Tier.OWNER:
                    assert told == tier
            else:
                assert spy.calls == [], f"{entry.path} reached by {tier.name} on {platform}"
                assert reply.plain() == entry.refusal_text(language)
                assert reply.plain() in (t(language, "admins_only"), t(language, "owners_only"),
                                         t(language, "group_admins_only"))


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("tier", list(Tier))
def test_every_button_runs_exactly_for_its_tier(spied, platform, tier):
    spy, services = spied
    for kind, entry in router.CALLBACKS.items():
        spy.calls.clear()
        reply = asyncio.run(router.handle_callback(services, _caller(platform, tier), f"{kind}:#1"))
        if tier >= entry.tier:
            ((path, told),) = spy.calls
            assert path == f"button {kind}" and entry.tier <= told <= tier
        else:
            assert spy.calls == [] and reply.notice == entry.refusal_text("ar") and not reply.spans


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_private_chats_user_administers_it_but_owns_nothing_else(spied, platform):
    spy, services = spied
    for name, sub, entry in _entries():
        spy.calls.clear()
        asyncio.run(router.handle_command(services, _caller(platform, Tier.EVERYONE, private=True), name,
                                          sub or ""))
        assert bool(spy.calls) == (entry.tier <= Tier.ADMIN), entry.path


def test_an_unknown_subcommand_gets_the_usage_only_from_those_who_may_use_the_command(spied):
    spy, services = spied
    member = _caller("telegram", Tier.EVERYONE)
    assert asyncio.run(router.handle_command(services, member, "watch", "frobnicate")).plain() == t("ar", "admins_only")
    admin = _caller("telegram", Tier.ADMIN)
    assert "/watch new" in asyncio.run(router.handle_command(services, admin, "watch", "")).plain()
    assert "/feed add" in asyncio.run(router.handle_command(services, admin, "feed", "nope")).plain()
    assert spy.calls == []


def test_every_entry_is_described_in_both_languages_and_every_argument_too():
    for name, sub, entry in _entries():
        for lang in ("ar", "en"):
            assert entry.description(lang)
            for arg in entry.args:
                assert arg.description(lang) and len(arg.description(lang)) <= 100
    owner_only = [e.path for _, _, e in _entries() if e.tier == Tier.OWNER]
    assert owner_only == ["feed add", "feed remove", "feed enable"]
    assert registry.commands()["feed"].menu_tier == Tier.ADMIN  # list and status are for chat admins


def test_handlers_hold_no_sql_and_no_platform_code():
    """The router and registry decide; handlers call storage functions and return Replies."""
    root = Path(__file__).resolve().parents[1] / "handlers"
    for path in sorted(root.glob("*.py")):
        if path.name == "services.py":
            continue  # the seam: it holds the session factory and runs storage functions in a transaction
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                mod = node.module
                assert not mod.startswith(("telegram", "discord")), f"{path.name} imports {mod}"
                if mod.startswith("sqlalchemy"):
                    assert mod == "sqlalchemy.orm" and [a.name for a in node.names] == ["Session"], path.name
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(("telegram", "discord", "sqlalchemy")), path.name
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert not (node.func.attr == "is_admin"), f"{path.name} checks admins itself"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_setting_shows_to_everyone_and_changes_only_for_admins(spied, platform):
    """/quiet, /timezone and /settings sent bare show the chat's setting to anyone (told their tier,
    so only admins get its buttons); with arguments they change it, for chat admins only."""
    spy, services = spied
    member, admin = _caller(platform, Tier.EVERYONE), _caller(platform, Tier.ADMIN)
    for name, change in (("quiet", "23:00-07:00 hold"), ("timezone", "Asia/Riyadh"), ("settings", "summary short")):
        assert registry.commands()[name].menu_tier == Tier.EVERYONE  # in everyone's menu
        spy.calls.clear()
        asyncio.run(router.handle_command(services, member, name, "  "))
        assert spy.calls == [(name, Tier.EVERYONE)]
        refused = asyncio.run(router.handle_command(services, member, name, change))
        assert refused.plain() == t("ar", "group_admins_only") and len(spy.calls) == 1
        asyncio.run(router.handle_command(services, admin, name, ""))
        asyncio.run(router.handle_command(services, admin, name, change))
        assert [tier for _, tier in spy.calls[1:]] == [Tier.ADMIN, Tier.ADMIN]
    digest = registry.commands()["digest"]
    assert digest.shown is None and digest.menu_tier == Tier.ADMIN
    settings = registry._build()["settings"]  # the real handlers, not the spies
    # «/settings show» is what the bare command does: menus and /help name only the others
    assert registry.listed_subcommands(settings, Tier.ADMIN) == ["summary", "reports"]
    assert registry.listed_subcommands(settings, Tier.EVERYONE) == []
    assert [s.name for s in settings.subcommands] == ["show", "summary", "reports"]  # Discord needs "show"

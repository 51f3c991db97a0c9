"""`raqib watchlists import|export|add|exclude|remove`, and the start-up warning when the seed file
changed after it was stored (issue 14, part 3)."""

from __future__ import annotations

import asyncio
import shutil

from bot.app import App
from bot.cli.main import main
from bot.config import load_config
from bot.topics import rules_from_json
from bot.watchlists import load_watchlists
from handlers import router
from storage import watchlists as store
from storage.db import transaction
from tests.conftest import SEEDS, write_config
from tests.telegram_support import caller


def _config(tmp_path, db_url, watchlists=None):
    path = write_config(tmp_path, db_url)
    if watchlists is not None:
        text = path.read_text(encoding="utf-8").replace(str(SEEDS / "watchlists.toml"), str(watchlists))
        path.write_text(text, encoding="utf-8")
    return path


def _app(path) -> App:
    app = App(load_config(path, env={}))
    app.bootstrap()
    return app


def _stored(path) -> dict[str, tuple[str, dict]]:
    app = _app(path)
    try:
        with transaction(app.factory) as s:
            return {r.slug: (r.name, r.rules) for r in store.active_watchlists(s) if r.is_global}
    finally:
        app.close()


def _edits(path, slug):
    app = _app(path)
    try:
        with transaction(app.factory) as s:
            return store.edits(s, slug)
    finally:
        app.close()


def _version(path) -> int:
    app = _app(path)
    try:
        with transaction(app.factory) as s:
            return store.version(s)
    finally:
        app.close()


EXTRA = '''
[[watchlist]]
slug = "gaza"
name = "غزة \\"القطاع\\""
any = ["غزة", "قطاع غزة", "رفح"]
none = ["غزة الرياضي"]
'''


def test_export_then_import_reads_back_the_same_watchlists(tmp_path, db_url, capsys):
    config = _config(tmp_path, db_url)
    source = tmp_path / "more.toml"
    source.write_text(SEEDS.joinpath("watchlists.toml").read_text(encoding="utf-8") + EXTRA, encoding="utf-8")
    assert main(["watchlists", "import", str(source), "--yes", "--config", str(config)]) == 0
    exported = tmp_path / "exported.toml"
    assert main(["watchlists", "export", "-o", str(exported), "--config", str(config)]) == 0

    stored = _stored(config)
    read_back = {wl.slug: wl for wl in load_watchlists(exported)}
    assert set(read_back) == set(stored) == {"dprk-russia", "kursk", "gaza"}
    for slug, (name, rules) in stored.items():
        assert read_back[slug].name == name
        assert read_back[slug].rules == rules_from_json(rules)
    assert read_back["gaza"].name == 'غزة "القطاع"'  # quotes survive the TOML writer

    before = _version(config)
    capsys.readouterr()
    assert main(["watchlists", "import", str(exported), "--yes", "--config", str(config)]) == 0
    assert "already match" in capsys.readouterr().err
    assert _version(config) == before  # nothing stored, no edit row

    capsys.readouterr()
    assert main(["watchlists", "export", "kursk", "--config", str(config)]) == 0
    one = capsys.readouterr().out
    assert 'slug = "kursk"' in one and "dprk-russia" not in one


def test_import_shows_the_difference_first_and_prunes_only_when_asked(tmp_path, db_url, capsys):
    config = _config(tmp_path, db_url)
    changed = tmp_path / "changed.toml"
    text = SEEDS.joinpath("watchlists.toml").read_text(encoding="utf-8")
    text = text.replace('any = ["كورسك", "Kursk"]', 'any = ["كورسك", "Kursk", "سودجا"]\nnone = ["كورسك الرياضي"]')
    text = text[: text.index("[[watchlist]]\nslug = \"dprk-russia\"")] + text[text.index("[[watchlist]]\nslug = \"kursk\""):]
    changed.write_text(text + EXTRA, encoding="utf-8")
    before = _stored(config)

    assert main(["watchlists", "import", str(changed), "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    assert "~ kursk (update)" in out and "any: + سودجا" in out and "none: + كورسك الرياضي" in out
    assert "+ gaza (new)" in out
    assert "dprk-russia" not in out  # absent from the file, kept: no --prune
    assert "--yes" in err
    assert _stored(config) == before  # a preview stores nothing

    assert main(["watchlists", "import", str(changed), "--yes", "--config", str(config)]) == 0
    after = _stored(config)
    assert set(after) == {"dprk-russia", "kursk", "gaza"}
    assert after["kursk"][1]["any"] == ["كورسك", "Kursk", "سودجا"]
    last = _edits(config, "kursk")[-1]
    assert (last.action, last.actor) == ("import", "cli")
    assert last.detail == str(changed.resolve())

    capsys.readouterr()
    assert main(["watchlists", "import", str(changed), "--prune", "--yes", "--config", str(config)]) == 0
    assert "- dprk-russia (delete)" in capsys.readouterr().out
    assert set(_stored(config)) == {"kursk", "gaza"}
    assert _edits(config, "dprk-russia")[-1].action == "delete"


def test_import_refuses_an_invalid_file_before_storing_anything(tmp_path, db_url, capsys):
    config = _config(tmp_path, db_url)
    bad = tmp_path / "bad.toml"
    bad.write_text('[[watchlist]]\nslug = "Bad Slug"\nname = "غزة"\nany = ["غزة"]\n', encoding="utf-8")
    before = _version(config)
    assert main(["watchlists", "import", str(bad), "--yes", "--config", str(config)]) == 2
    assert "invalid slug" in capsys.readouterr().err
    assert _version(config) == before


def test_cli_term_edits_are_audited_like_chat_edits(tmp_path, db_url, capsys):
    config = _config(tmp_path, db_url)
    assert main(["watchlists", "add", "kursk", "بيلغورود", "--config", str(config)]) == 0
    assert "بيلغورود" in capsys.readouterr().out

    # The same edit from chat, by an owner, through the router.
    app = _app(config)
    try:
        from handlers.services import Services

        services = Services(factory=app.factory, timezone=app.config.timezone, topics=app.topics)
        asyncio.run(router.handle_command(services, caller(7, owner=True), "watch", "add kursk سودجا"))
    finally:
        app.close()
    cli_edit, chat_edit = _edits(config, "kursk")[-2:]
    assert (cli_edit.action, cli_edit.detail, cli_edit.actor) == ("add", "any += بيلغورود", "cli")
    assert (chat_edit.action, chat_edit.detail) == ("add", "any += سودجا")
    assert chat_edit.actor != "cli"

    # Every rule of dprk-russia must match: the rule number is needed, as in chat.
    before = _version(config)
    assert main(["watchlists", "add", "dprk-russia", "سيول", "--config", str(config)]) == 1
    assert _version(config) == before
    assert main(["watchlists", "add", "dprk-russia", "2", "لافروف", "--config", str(config)]) == 0
    assert "لافروف" in _stored(config)["dprk-russia"][1]["all"][1]

    assert main(["watchlists", "exclude", "kursk", "كورسك الرياضي", "--config", str(config)]) == 0
    assert main(["watchlists", "remove", "kursk", "بيلغورود", "--config", str(config)]) == 0
    rules = _stored(config)["kursk"][1]
    assert rules["none"] == ["كورسك الرياضي"] and "بيلغورود" not in rules["any"]
    assert [e.action for e in _edits(config, "kursk")[-2:]] == ["exclude", "remove"]

    # Markup is refused as in chat, and nothing is stored.
    before = _version(config)
    assert main(["watchlists", "add", "kursk", "<b>كورسك</b>", "--config", str(config)]) == 1
    assert main(["watchlists", "remove", "kursk", "ليس هنا", "--config", str(config)]) == 1
    assert _version(config) == before
    assert main(["watchlists", "add", "kursk", "--config", str(config)]) == 2  # no term


def _drift_warnings(capsys, caplog) -> list[str]:
    """The warnings `raqib run` logged: as records when pytest's handler sees them, else as the
    lines raqib's own handler wrote to stderr (whichever way the logging setup routes them)."""
    key = "differs from the stored watchlists"
    logged = [r.getMessage() for r in caplog.records if key in r.getMessage()]
    printed = [line for line in capsys.readouterr().err.splitlines() if key in line]
    caplog.clear()
    return logged if len(logged) >= len(printed) else printed


def test_run_warns_once_when_the_seed_file_changed_after_it_was_stored(tmp_path, db_url, capsys, caplog):
    seeds = tmp_path / "watchlists.toml"
    shutil.copy(SEEDS / "watchlists.toml", seeds)
    config = _config(tmp_path, db_url, watchlists=seeds)
    assert main(["run", "--once", "--config", str(config)]) == 0
    assert _drift_warnings(capsys, caplog) == []

    # A chat edit makes the store differ from the file, but the file did not change: no warning.
    assert main(["watchlists", "add", "kursk", "بيلغورود", "--config", str(config)]) == 0
    _drift_warnings(capsys, caplog)
    assert main(["run", "--once", "--config", str(config)]) == 0
    assert _drift_warnings(capsys, caplog) == []

    # The file is edited: one warning naming the file, the topic and the command that applies it.
    seeds.write_text(seeds.read_text(encoding="utf-8").replace('"Kursk"]', '"Kursk", "سودجا"]'), encoding="utf-8")
    _drift_warnings(capsys, caplog)
    assert main(["run", "--once", "--config", str(config)]) == 0
    warnings = _drift_warnings(capsys, caplog)
    assert len(warnings) == 1
    assert f"{seeds} differs from the stored watchlists (kursk): run `raqib watchlists import {seeds}`" in warnings[0]

    assert main(["watchlists", "import", str(seeds), "--yes", "--config", str(config)]) == 0
    _drift_warnings(capsys, caplog)
    assert main(["run", "--once", "--config", str(config)]) == 0
    assert _drift_warnings(capsys, caplog) == []


def test_a_malformed_scope_is_refused_with_the_valid_forms(tmp_path, db_url, capsys):
    import pytest

    config = _config(tmp_path, db_url)
    app = _app(config)
    try:
        now = app.clock()
        with transaction(app.factory) as s:
            for scope in ("global", "telegram:-1001234567890", "telegram:42", "discord-guild:1180000000000000000",
                          "discord:1180000000000000001", "console:مكتب-الأخبار"):
                row = store.create_watchlist(s, "gaza", "غزة", {"any": ["غزة"]}, "test", now, scope=scope, chat=None)
                assert row is not None and row.scope == scope
        before = _version(config)
        for scope in ("", "Global", "telegram", "telegram:", "telegram:abc", "telegram:12 3", "telgram:12",
                      "discord-guild:guild", "discord:-5", "discord-webhook:118000000000", "console:", "غزة"):
            with transaction(app.factory) as s, pytest.raises(store.ScopeError, match="not a watchlist scope"):
                store.save_watchlist(s, "gaza", "غزة", {"any": ["غزة"]}, "test", "create", "x", now, scope=scope)
    finally:
        app.close()
    assert _version(config) == before

    # From the command line: refused before anything is read, with the forms that would do.
    assert main(["watchlists", "add", "telgram:42:gaza", "رفح", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "not a watchlist scope: 'telgram:42'" in err and "telegram:CHAT_ID" in err and "discord-guild" in err
    assert main(["watchlists", "remove", "discord-guild:abc:gaza", "غزة", "--config", str(config)]) == 2
    assert main(["watchlists", "export", "telegram:x:gaza", "--config", str(config)]) == 2
    assert main(["watchlists", "export", "telegram:42:gaza", "--config", str(config)]) == 2
    assert "global watchlists only" in capsys.readouterr().err
    assert _version(config) == before
    # A well-formed scope still names that chat's own watchlist, and the edit lands there.
    assert main(["watchlists", "add", "telegram:42:gaza", "رفح", "--config", str(config)]) == 0
    app = _app(config)
    try:
        with transaction(app.factory) as s:
            assert "رفح" in store.get_watchlist(s, "gaza", "telegram:42").rules["any"]
            assert "رفح" not in store.get_watchlist(s, "gaza", "telegram:-1001234567890").rules["any"]
    finally:
        app.close()
    assert main(["watchlists", "export", "global:kursk", "--config", str(config)]) == 0
    assert 'slug = "kursk"' in capsys.readouterr().out

    # In chat, an owner naming a malformed scope gets the usage, and nothing is stored.
    before = _version(config)
    app = _app(config)
    try:
        from handlers.services import Services

        services = Services(factory=app.factory, timezone=app.config.timezone, topics=app.topics)
        reply = asyncio.run(router.handle_command(services, caller(7, owner=True), "watch", "new telgram:1:rafah رفح"))
        assert "/watch new" in reply.plain()
        reply = asyncio.run(router.handle_command(services, caller(7, owner=True), "watch", "new telegram:1:rafah رفح"))
        assert "/watch new" not in reply.plain()
    finally:
        app.close()
    assert [r for r in _stored_scopes(config) if r[1] == "rafah"] == [("telegram:1", "rafah")]
    assert _version(config) == before + 1


def _stored_scopes(path) -> list[tuple[str, str]]:
    app = _app(path)
    try:
        with transaction(app.factory) as s:
            return [(r.scope, r.slug) for r in store.active_watchlists(s, None)]
    finally:
        app.close()

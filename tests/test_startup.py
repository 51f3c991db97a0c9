"""Fast start (issue 14, part 4): a command imports only what it needs. Checked by the modules a
real dispatch leaves loaded, never by timing (bench/bench_startup.py measures the time)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from storage.db import at_head, make_engine, script_heads, upgrade
from tests.conftest import REPO, SEEDS, write_config

HEAVY = ("dateparser", "telegram", "discord", "trafilatura", "matplotlib", "feedparser", "httpx",
         "alembic", "bot.text.eventdates", "bot.text.dates", "bot.pipeline", "bot.sources.feed_poller")

PROBE = """
import json, sys
from bot.cli.main import main
code = main(sys.argv[1:])
heavy = sorted({name for name in sys.modules for h in json.loads(HEAVY) if name == h or name.startswith(h + ".")})
print("@@" + json.dumps({"code": code, "heavy": heavy}))
"""


def _probe(*argv: str) -> dict:
    script = PROBE.replace("json.loads(HEAVY)", repr(list(HEAVY)))
    done = subprocess.run([sys.executable, "-c", script, *argv], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("@@")), None)
    assert line is not None, done.stderr[-2000:]
    return json.loads(line[2:])


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    """A store at the newest revision holding the seeds, like a second start."""
    from bot.app import App
    from bot.config import load_config

    folder = tmp_path_factory.mktemp("startup")
    path = write_config(folder, f"sqlite:///{folder / 'raqib.db'}")
    app = App(load_config(path, env={}))
    app.bootstrap()
    app.ingest_paths([SEEDS])
    app.close()
    return path


@pytest.mark.parametrize("argv", [
    ["watchlists"], ["watchlists", "kursk"], ["watchlists", "export"], ["stories"], ["search", "روسيا"],
    ["subscriptions", "list"], ["outbox", "status"],
])
def test_light_commands_import_no_heavy_module(config, argv):
    result = _probe(*argv, "--config", str(config))
    assert result["code"] == 0
    assert result["heavy"] == []


def test_commands_that_need_the_pipeline_still_load_it(config):
    """The mechanism is lazy, not missing: explain reads an article file with the date parsers."""
    seed = sorted(SEEDS.glob("*.txt"))[0]
    result = _probe("explain", str(seed), "--config", str(config))
    assert result["code"] == 0
    assert "bot.text.dates" in result["heavy"]


def test_a_fresh_database_is_migrated_by_alembic(tmp_path):
    """Only a database at the newest revision skips Alembic; an empty one gets every migration."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = make_engine(url)
    try:
        assert not at_head(engine)
        upgrade(engine)
        assert at_head(engine)
    finally:
        engine.dispose()


def test_script_heads_agree_with_alembic():
    from importlib import resources

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("storage") / "migrations"))
    assert script_heads() == frozenset(ScriptDirectory.from_config(cfg).get_heads())

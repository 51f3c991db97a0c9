"""`raqib run` with RAQIB_DISCORD_TOKEN, driven through discord.py's real gateway connection: the
REST fake names the fake gateway (GET /gateway/bot), the bot identifies with its token, a slash
command arrives as an INTERACTION_CREATE over the websocket, and the alerts of the articles the
file source then finds arrive in that channel once each; SIGINT ends it cleanly, no token logged."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

from storage import outbox
from storage.db import make_engine, session_factory, transaction
from tests.conftest import REPO, SEEDS, wait_until as _until, write_config
from tests.discord_support import options_for
from tests.fake_discord import TOKEN, FakeDiscord
from tests.fake_discord_gateway import FakeGateway

CHANNEL = 1_200_000_000_000_000_600


def test_run_holds_the_gateway_and_a_slash_command_over_it_brings_the_alerts_once(tmp_path):
    inbox = tmp_path / "inbox"  # the file source: empty until the channel has subscribed
    inbox.mkdir()
    db = f"sqlite:///{tmp_path / 'g.db'}"
    with FakeDiscord() as fake, FakeGateway() as gateway:
        fake.gateway_url = gateway.url
        extra = (f'[[sources]]\nname = "seeds"\npath = "{inbox}"\ninterval = 1\n\n'
                 f'[discord]\napi_base = "{fake.api_base}"\nbacklog = 0\n')
        config = write_config(tmp_path, db, extra=extra, subscriptions="",
                              delivery="interval = 1\nbackoff_base = 1\nmax_attempts = 3\n")
        log = tmp_path / "run.log"
        env = {**os.environ, "RAQIB_DISCORD_TOKEN": TOKEN}
        env.pop("RAQIB_DISCORD_API_BASE", None)
        with log.open("w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli.main", "run", "--format", "jsonl", "--config", str(config), "-v"],
                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        try:
            # The bot asked the configured API where its gateway is, identified there with its token.
            assert gateway.until(lambda g: g.ready_sockets() == 1, 90), log.read_text()
            assert ("GET", "/api/v10/gateway/bot", 200) in fake.requests
            (identify,) = gateway.identified
            assert identify["token"] == TOKEN
            assert gateway.connects[0]["v"] == "10" and gateway.connects[0]["encoding"] == "json"

            # /subscribe kursk arrives over the websocket; the answer goes back over REST.
            interaction = fake.interaction("subscribe", options=options_for("subscribe", "kursk"), channel_id=CHANNEL,
                                           manage_guild=True)
            assert gateway.dispatch("INTERACTION_CREATE", interaction) == 1
            assert _until(lambda: any(p.target == interaction["id"] for p in fake.sent("callback")), 30), \
                log.read_text()
            (deferred,) = [p for p in fake.sent("callback") if p.target == interaction["id"]]
            assert deferred.payload["type"] == 5
            assert _until(lambda: any(p.target == interaction["token"] for p in fake.sent("followup")), 30)
            (answer,) = [p for p in fake.sent("followup") if p.target == interaction["token"]]
            assert "كورسك" in answer.content

            # Now the source finds the seed articles (moved in whole, never half-written).
            staging = tmp_path / "staging"
            staging.mkdir()
            for seed in sorted(SEEDS.glob("*.txt")):
                shutil.copy(seed, staging / seed.name)
                os.replace(staging / seed.name, inbox / seed.name)
            assert _until(lambda: len(fake.alerts()) >= 3, 90), log.read_text()
            assert gateway.heartbeats >= 1  # the connection is kept alive, answered by the fake
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)

        output = log.read_text()
        assert proc.returncode == 0, output
        assert "stopped cleanly" in output and "Traceback" not in output
        assert TOKEN not in output and TOKEN.split(".")[-1] not in output
        assert gateway.until(lambda g: g.closed >= 1, 30)  # the websocket was closed on the way out

        # Exactly once: every delivery cycle and the shutdown drain have run, and still three.
        alerts = fake.alerts()
        assert len(alerts) == 3
        assert {(a.route, a.target) for a in alerts} == {("channel", str(CHANNEL))}
        titles = [a.embeds[0]["title"] for a in alerts]
        assert len(set(titles)) == 3
        assert all(a.embeds[0]["footer"]["text"] == "#kursk · كورسك" for a in alerts)
        engine = make_engine(db)
        try:
            with transaction(session_factory(engine)) as s:
                assert outbox.counts(s) == {"sent": 3}
        finally:
            engine.dispose()

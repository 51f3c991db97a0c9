"""`raqib run` with RAQIB_TELEGRAM_TOKEN: polling, scheduler and delivery in one process, killed
mid-delivery (sends in flight) and restarted: no alert lost, none sent twice, no token in the logs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from storage import outbox
from storage.db import make_engine, session_factory, transaction
from tests.conftest import REPO, SEEDS, wait_until as _until, write_config
from tests.fake_telegram import TOKEN, FakeTelegram

pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

CHATS = list(range(301, 313))  # 12 private chats × 5 dprk-russia seed stories = 60 alerts


def _start(config: Path, fake: FakeTelegram, log: Path) -> subprocess.Popen:
    env = {**os.environ, "RAQIB_TELEGRAM_TOKEN": TOKEN, "RAQIB_TELEGRAM_BASE_URL": fake.base_url}
    with log.open("w") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli.main", "run", "--format", "jsonl", "--config", str(config), "-v"],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=err,
        )


def test_killed_mid_delivery_and_restarted_loses_nothing_and_doubles_nothing(tmp_path):
    db = f"sqlite:///{tmp_path / 'r.db'}"
    subs = "".join(f'[[subscriptions]]\nchat = "telegram:{c}"\ntopics = ["dprk-russia"]\n' for c in CHATS)
    extra = (f'[[sources]]\nname = "seeds"\npath = "{SEEDS}"\ninterval = 300\n\n'
             "[telegram]\nconcurrency = 4\npoll_timeout = 1\n")
    config = write_config(tmp_path, db, extra=extra, subscriptions=subs,
                          delivery="interval = 1\nlease = 5\nbackoff_base = 1\n")
    engine = make_engine(db)
    factory = session_factory(engine)

    def sent_rows() -> int:
        try:
            with transaction(factory) as s:
                return outbox.counts(s).get("sent", 0)
        except Exception:  # the schema may not exist yet
            return -1

    with FakeTelegram() as fake:
        fake.hold_at = 15
        first = _start(config, fake, tmp_path / "first.log")
        try:
            assert _until(lambda: fake.held >= 1, 90), (tmp_path / "first.log").read_text()
            # Every message that got through is recorded before we pull the plug.
            assert _until(lambda: sent_rows() == len(fake.alerts()), 30)
        finally:
            first.kill()
            first.wait(30)
        fake.release()
        assert _until(lambda: fake.held == 0, 30)
        assert fake.dropped_in_flight >= 1  # sends were in flight when the process died
        before = len(fake.alerts())
        assert 15 <= before < 60

        second = _start(config, fake, tmp_path / "second.log")
        try:
            assert _until(lambda: len(fake.alerts()) >= 60 and sent_rows() == 60, 120), \
                (tmp_path / "second.log").read_text()
        finally:
            second.send_signal(signal.SIGINT)
            second.wait(60)
        engine.dispose()

        pairs = [(a.chat_id, a.text) for a in fake.alerts()]
        assert len(pairs) == 60 and len(set(pairs)) == 60
        assert {c for c, _ in pairs} == set(CHATS)
        logs = (tmp_path / "first.log").read_text() + (tmp_path / "second.log").read_text()
        assert "telegram bot @raqib_test_bot started (polling)" in logs
        assert TOKEN not in logs and TOKEN.split(":")[1] not in logs
        assert "stopped cleanly" in (tmp_path / "second.log").read_text()
        assert "Traceback" not in (tmp_path / "second.log").read_text()
        assert second.returncode == 0


def test_run_once_delivers_telegram_alerts_without_polling_and_a_bad_token_is_one_clear_line(tmp_path):
    subs = '[[subscriptions]]\nchat = "telegram:401"\ntopics = ["kursk"]\n'
    extra = f'[[sources]]\nname = "seeds"\npath = "{SEEDS}"\ninterval = 300\n'
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'o.db'}", extra=extra, subscriptions=subs)
    with FakeTelegram() as fake:
        env = {**os.environ, "RAQIB_TELEGRAM_TOKEN": TOKEN, "RAQIB_TELEGRAM_BASE_URL": fake.base_url}
        done = subprocess.run([sys.executable, "-m", "bot.cli.main", "run", "--once", "--config", str(config)],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "alerts: 3 delivered" in done.stderr
        assert len([a for a in fake.alerts() if a.chat_id == 401]) == 3
        assert not any(method == "getUpdates" for method, _ in fake.calls)

        wrong = "999:not-the-token"
        bad = subprocess.run([sys.executable, "-m", "bot.cli.main", "run", "--config", str(config)], cwd=REPO,
                             env={**env, "RAQIB_TELEGRAM_TOKEN": wrong}, capture_output=True, text=True, timeout=120)
        assert bad.returncode == 1 and "raqib: telegram:" in bad.stderr
        assert "Traceback" not in bad.stderr and wrong not in bad.stderr and "not-the-token" not in bad.stderr

"""Issue 14, part 6: /metrics and /healthz of a running `raqib run`, the counters behind them, and
/status showing the same figures in words; structured (JSON) logs without secrets."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket

import httpx
import pytest

from bot import metrics as metrics_mod
from bot.app import App
from bot.config import load_config
from bot.logging_setup import setup as setup_logging
from bot.metrics import Metrics
from bot.pipeline import DUPLICATE, JOINED, NEW, SAME_EVENT, Outcome, PollReport
from bot.transports.base import FloodWait, Undeliverable
from bot.transports.console import ConsoleTransport
from handlers.base import Caller
from handlers.registry import Tier
from handlers.status import status
from handlers.texts import counted
from tests.conftest import SEEDS, write_config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _outcome(status: str) -> Outcome:
    return Outcome(url="https://news.example/x", status=status)  # type: ignore[call-arg]


class _Fake:
    platform = "telegram"
    concurrency = 3

    def __init__(self, error: Exception | None) -> None:
        self.error = error

    async def send(self, alert) -> str:
        if self.error is not None:
            raise self.error
        return "m1"


def test_counters_follow_reports_and_sends():
    m = Metrics()
    report = PollReport("okaz")
    report.outcomes = [_outcome(NEW), _outcome(NEW), _outcome(DUPLICATE),
                       # a copy and another outlet's report of the same event: joins, counted apart
                       Outcome(JOINED, "https://news.example/c", 1, relation="copy"),
                       Outcome(JOINED, "https://news.example/e", 1, relation=SAME_EVENT)]
    m.observe_report(report)
    m.observe_report(PollReport("broken", error="cannot resolve x"))
    for error in (None, None, FloodWait("429", retry_after=3), Undeliverable("400")):
        transport = m.metered(_Fake(error))
        assert transport.concurrency == 3  # the wrapped transport's own attributes still answer
        try:
            asyncio.run(transport.send(None))
        except Exception:
            pass
    snap = m.snapshot()
    assert snap.articles == {"new": 2, "update": 0, "joined": 1, "same_event": 1, "duplicate": 1, "failed": 0}
    assert snap.alerts == {"sent": 2, "retried": 1, "failed": 1, "gone": 0}
    assert snap.feed_errors == 1 and snap.rate_limited == 1 and snap.deliveries == 2
    from prometheus_client import generate_latest

    exposed = generate_latest(m.registry).decode()
    assert 'raqib_articles_ingested_total{outcome="new"} 2.0' in exposed
    assert 'raqib_articles_ingested_total{outcome="joined"} 1.0' in exposed  # the name is unchanged
    assert 'raqib_articles_ingested_total{outcome="same_event"} 1.0' in exposed
    assert 'raqib_rate_limited_total{platform="telegram"} 1.0' in exposed
    assert 'raqib_delivery_seconds_count{platform="telegram"} 2.0' in exposed


def test_run_serves_metrics_and_health_and_status_says_the_same(tmp_path, db_url, monkeypatch):
    fresh = Metrics()
    monkeypatch.setattr(metrics_mod, "METRICS", fresh)
    import bot.scheduler as scheduler

    monkeypatch.setattr(scheduler, "METRICS", fresh)
    port = _free_port()
    extra = (f'[metrics]\nport = {port}\n\n'
             f'[[sources]]\nname = "seeds"\npath = "{SEEDS}"\ninterval = 300\n')
    config = load_config(write_config(tmp_path, db_url, extra=extra), env={})
    assert config.metrics_port == port
    app = App(config)
    app.bootstrap()
    base = f"http://127.0.0.1:{port}"

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        runner = scheduler.Runner(app, {"console": ConsoleTransport(config.timezone, "jsonl")})
        task = asyncio.create_task(runner.run())
        try:
            for _ in range(300):  # the first poll is at once, the first drain a second later
                await asyncio.sleep(0.05)
                if fresh.snapshot().alerts["sent"] >= 3:
                    break
            health = await asyncio.to_thread(httpx.get, f"{base}/healthz", timeout=5)
            scraped = await asyncio.to_thread(httpx.get, f"{base}/metrics", timeout=5)
            return health, scraped
        finally:
            runner.stop_event.set()
            await task

    try:
        health, scraped = asyncio.run(scenario())
    finally:
        app.close()
    assert health.status_code == 200 and health.text.strip() == "ok"
    body = scraped.text
    snap = fresh.snapshot()
    assert snap.articles["new"] >= 3 and snap.alerts["sent"] >= 3
    assert f'raqib_articles_ingested_total{{outcome="new"}} {float(snap.articles["new"])}' in body
    assert f'raqib_alerts_total{{platform="console",state="sent"}} {float(snap.alerts["sent"])}' in body
    assert 'raqib_outbox_depth{state="sent"}' in body and "raqib_delivery_seconds_bucket" in body
    assert "raqib_feed_errors_total 0.0" in body
    with pytest.raises(httpx.HTTPError):  # stopped with the runner
        httpx.get(f"{base}/healthz", timeout=2)

    # /status in chat, for an owner: the same figures, in words, with Arabic number agreement.
    from handlers.services import Services

    app = App(config)
    try:
        services = Services(factory=app.factory, timezone=config.timezone)
        owner = Caller(user_id=1, chat="telegram:1", chat_type="private", is_owner=True, tier=int(Tier.OWNER))
        said = asyncio.run(status(services, owner)).plain()
    finally:
        app.close()
    assert f"بدأت قصصًا جديدة: {counted('ar', snap.articles['new'], 'article')}" in said
    assert f"أُرسل: {counted('ar', snap.alerts['sent'], 'alert')}" in said
    assert "منذ التشغيل" in said
    admin = Caller(user_id=2, chat="telegram:-5", chat_type="supergroup", tier=int(Tier.ADMIN))
    app = App(config)
    try:
        services = Services(factory=app.factory, timezone=config.timezone)
        assert "منذ التشغيل" not in asyncio.run(status(services, admin)).plain()  # owners only
    finally:
        app.close()


def test_json_logs_are_one_object_per_line_without_secrets():
    token = "123456:" + "A" * 35
    stream = io.StringIO()
    level = logging.getLogger().level
    handler = setup_logging("json", logging.INFO, stream=stream, env={"RAQIB_TELEGRAM_TOKEN": token}, force=True)
    assert handler is not None
    try:
        log = logging.getLogger("raqib.test")
        log.info("polled %s", "okaz", extra={"source": "okaz", "new": 3})
        log.warning("POST https://api.telegram.org/bot%s/sendMessage failed", token)
        log.warning("webhook https://discord.com/api/webhooks/123/%s gone", "W" * 40)
        try:
            raise ValueError(f"boom {token}")
        except ValueError:
            log.exception("crashed")
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(level)
    lines = stream.getvalue().splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 4
    first = records[0]
    assert first["level"] == "info" and first["logger"] == "raqib.test" and first["message"] == "polled okaz"
    assert first["source"] == "okaz" and first["new"] == 3 and first["time"].endswith("+00:00")
    assert token not in stream.getvalue() and "W" * 40 not in stream.getvalue()
    assert "bot<secret>/sendMessage" in records[1]["message"] and "ValueError" in records[3]["exc"]


def test_logging_and_metrics_settings_are_checked(tmp_path):
    from bot.config import ConfigError

    bad = write_config(tmp_path, "sqlite:///x.db", extra='[logging]\nformat = "xml"\n')
    with pytest.raises(ConfigError, match="logging.format"):
        load_config(bad, env={})
    bad.write_text(bad.read_text().replace('[logging]\nformat = "xml"', "[metrics]\nport = 70000"), encoding="utf-8")
    with pytest.raises(ConfigError, match="metrics.port"):
        load_config(bad, env={})
    assert load_config(bad, env={"RAQIB_METRICS_PORT": "9464"}).metrics_port == 9464


def test_the_cli_logs_json_when_configured(tmp_path):
    import os
    import subprocess
    import sys

    repo = SEEDS.parent
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'raqib.db'}", extra='[logging]\nformat = "json"\nlevel = "info"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAQIB_")}
    result = subprocess.run([sys.executable, "-m", "bot.cli.main", "ingest", str(SEEDS), "--config", str(config)],
                            capture_output=True, text=True, cwd=repo, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert logged and all({"time", "level", "logger", "message"} <= set(r) for r in logged)
    assert any(r["logger"].startswith("bot.") for r in logged)
    # What is not a log record is the command's own report (one line per source), never a half-JSON line.
    others = [line for line in result.stderr.splitlines() if not line.startswith("{")]
    assert all(line.startswith(("files:", "alerts:")) for line in others), others


def test_healthz_is_503_with_the_reason_when_unhealthy():
    from wsgiref.util import setup_testing_defaults

    state = {"ok": False}
    app = metrics_mod.wsgi_app(Metrics().registry, lambda: (state["ok"], "ok" if state["ok"] else "database: down"))

    def call(path: str) -> tuple[str, bytes]:
        environ: dict = {"PATH_INFO": path}
        setup_testing_defaults(environ)
        environ["PATH_INFO"] = path
        seen = {}
        body = b"".join(app(environ, lambda status, headers: seen.setdefault("status", status)))
        return seen["status"], body

    status_line, body = call("/healthz")
    assert status_line.startswith("503") and body == b"database: down\n"
    state["ok"] = True
    assert call("/healthz") == ("200 OK", b"ok\n")
    status_line, body = call("/metrics")
    assert status_line.startswith("200") and b"raqib_articles_ingested_total" in body

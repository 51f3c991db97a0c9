"""Prometheus metrics and the /metrics + /healthz endpoint of a long-running ``raqib run``.

What an operator asks first: is it ingesting (articles by outcome), is it delivering (alerts by
state, how long a send takes, how deep the outbox is), is something failing (feed errors, 429s
from the platforms). The counters live in one registry per process (``METRICS``); the outbox
depth is read from the database when scraped, so every worker sharing a database reports the same
figure. ``/status`` in chat shows the same figures in words (``Metrics.snapshot``).

The endpoint is off unless ``[metrics] port`` is set; it binds ``[metrics] listen`` (127.0.0.1 by
default: the figures are not secret, but they are nobody else's business either).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.pipeline import DUPLICATE, FAILED, JOINED, NEW, SAME_EVENT, UPDATE, Outcome, PollReport
from bot.transports.base import ChatGone, ChatMoved, FloodWait, Undeliverable

log = logging.getLogger(__name__)

# ``raqib_articles_ingested{outcome}``: an article joined to a story as another outlet's report of
# the same event (``Outcome.relation == SAME_EVENT``) is counted as "same_event", apart from
# "joined" (copies and contained texts); the outcomes still add up to every article seen.
SAME_EVENT_OUTCOME = "same_event"
OUTCOMES = (NEW, UPDATE, JOINED, SAME_EVENT_OUTCOME, DUPLICATE, FAILED)
ALERT_STATES = ("sent", "retried", "failed", "gone")
# skipped: a muted subscription; held: waiting for a digest; bundled: folded into a digest or an archive
OUTBOX_STATES = ("pending", "sending", "sent", "failed", "dead", "skipped", "held", "bundled")
# A send is a request or two; a flood wait in place can take seconds.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


@dataclass(frozen=True)
class Snapshot:
    """The figures ``/status`` puts in words."""

    articles: dict[str, int]
    alerts: dict[str, int]
    feed_errors: int
    rate_limited: int
    deliveries: int
    delivery_seconds: float  # total; the mean is this over ``deliveries``

    @property
    def mean_delivery_s(self) -> float | None:
        return self.delivery_seconds / self.deliveries if self.deliveries else None


def outcome_label(outcome: Outcome) -> str:
    """The ``outcome`` label an article is counted under: its status, a same-event join apart."""
    if outcome.status == JOINED and outcome.relation == SAME_EVENT:
        return SAME_EVENT_OUTCOME
    return outcome.status


class Metrics:
    """The counters of one process, in their own registry (tests make their own instance)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.articles = Counter("raqib_articles_ingested", "Articles through the pipeline, by outcome",
                                ["outcome"], registry=r)
        self.alerts = Counter("raqib_alerts", "Alert sends by result (sent, retried, failed, gone)",
                              ["state", "platform"], registry=r)
        self.delivery = Histogram("raqib_delivery_seconds", "Time one alert send took, rate limiting included",
                                  ["platform"], buckets=LATENCY_BUCKETS, registry=r)
        self.feed_errors = Counter("raqib_feed_errors", "Feed and file-source polls that failed", registry=r)
        self.rate_limited = Counter("raqib_rate_limited", "429 (slow down) answers from a chat platform",
                                    ["platform"], registry=r)
        for outcome in OUTCOMES:  # present from the start, so a dashboard sees 0, not "no data"
            self.articles.labels(outcome=outcome)

    def observe_report(self, report: PollReport) -> None:
        """Count one poll of one source (file folder or feed)."""
        for outcome in report.outcomes:
            self.articles.labels(outcome=outcome_label(outcome)).inc()
        if report.error:
            self.feed_errors.inc()

    def observe_send(self, platform: str, seconds: float, error: BaseException | None) -> None:
        """Count one send attempt: its result and how long it took."""
        if isinstance(error, FloodWait):
            self.rate_limited.labels(platform=platform).inc()
        if error is None:
            state = "sent"
            self.delivery.labels(platform=platform).observe(seconds)
        elif isinstance(error, (ChatGone, ChatMoved)):
            state = "gone"
        elif isinstance(error, Undeliverable):
            state = "failed"
        else:  # RetryLater, FloodWait and unknown errors: the outbox tries again
            state = "retried"
        self.alerts.labels(state=state, platform=platform).inc()

    def metered(self, transport: Any) -> "MeteredTransport":
        return MeteredTransport(transport, self)

    def snapshot(self) -> Snapshot:
        """The counters summed over their labels."""
        sums: dict[str, dict[str, float]] = {"articles": {}, "alerts": {}}
        deliveries = delivery_s = feed_errors = limited = 0.0
        for family in self.registry.collect():
            for sample in family.samples:
                if sample.name == "raqib_articles_ingested_total":
                    key = sample.labels["outcome"]
                    sums["articles"][key] = sums["articles"].get(key, 0) + sample.value
                elif sample.name == "raqib_alerts_total":
                    key = sample.labels["state"]
                    sums["alerts"][key] = sums["alerts"].get(key, 0) + sample.value
                elif sample.name == "raqib_delivery_seconds_count":
                    deliveries += sample.value
                elif sample.name == "raqib_delivery_seconds_sum":
                    delivery_s += sample.value
                elif sample.name == "raqib_feed_errors_total":
                    feed_errors += sample.value
                elif sample.name == "raqib_rate_limited_total":
                    limited += sample.value
        return Snapshot(
            articles={k: int(sums["articles"].get(k, 0)) for k in OUTCOMES},
            alerts={k: int(sums["alerts"].get(k, 0)) for k in ALERT_STATES},
            feed_errors=int(feed_errors),
            rate_limited=int(limited),
            deliveries=int(deliveries),
            delivery_seconds=delivery_s,
        )


class MeteredTransport:
    """A transport that times and counts each send; everything else is the wrapped transport's."""

    def __init__(self, inner: Any, metrics: Metrics, clock: Callable[[], float] = time.monotonic) -> None:
        self._inner = inner
        self._metrics = metrics
        self._clock = clock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def send(self, alert: Any) -> str:
        start = self._clock()
        platform = getattr(self._inner, "platform", "?")
        try:
            message_id = await self._inner.send(alert)
        except Exception as exc:
            self._metrics.observe_send(platform, self._clock() - start, exc)
            raise
        self._metrics.observe_send(platform, self._clock() - start, None)
        return message_id


class OutboxCollector(Collector):
    """``raqib_outbox_depth{state}``, counted in the database at scrape time."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self._counts = counts

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("raqib_outbox_depth", "Outbox rows by state", labels=["state"])
        try:
            counts = self._counts()
        except Exception as exc:  # a scrape while the database is down: say so in the log, not a 500
            log.warning("metrics: outbox depth unavailable: %s", str(exc).splitlines()[0][:200])
            return
        for state in OUTBOX_STATES:
            family.add_metric([state], counts.get(state, 0))
        yield family

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return [GaugeMetricFamily("raqib_outbox_depth", "Outbox rows by state", labels=["state"])]


METRICS = Metrics()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        log.debug("metrics endpoint: " + format, *args)


class _ThreadingServer(WSGIServer):
    daemon_threads = True

    def process_request(self, request: Any, client_address: Any) -> None:  # one thread per scrape
        threading.Thread(target=self._handle, args=(request, client_address), daemon=True).start()

    def _handle(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)


def wsgi_app(registry: CollectorRegistry, healthy: Callable[[], tuple[bool, str]]) -> Callable:
    """``/healthz`` answers 200 "ok" (503 with the reason when not); every other path, the metrics."""
    metrics_app = make_wsgi_app(registry)

    def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").rstrip("/") == "/healthz":
            ok, why = healthy()
            start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8")])
            return [(why + "\n").encode("utf-8")]
        return metrics_app(environ, start_response)

    return app


class MetricsServer:
    """The endpoint in a daemon thread; ``port`` 0 picks a free one (tests)."""

    def __init__(self, listen: str, port: int, registry: CollectorRegistry,
                 healthy: Callable[[], tuple[bool, str]]) -> None:
        try:
            self._server = make_server(listen, port, wsgi_app(registry, healthy), _ThreadingServer, _QuietHandler)
        except OSError as exc:  # the port is taken: say which setting to change, in one line
            raise OSError(exc.errno, f"[metrics] {listen}:{port}: {exc.strerror or exc}") from None
        self._thread = threading.Thread(target=self._server.serve_forever, name="raqib-metrics", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> "MetricsServer":
        self._thread.start()
        log.info("metrics on http://%s:%d/metrics, health on /healthz", *self._server.server_address[:2])
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

"""The chaos suite: probe raqib from outside, with real processes, and hold it to issue 9's bar.

    .venv/bin/python bench/chaos.py [--quick] [--scenario NAME ...] [--trials N] [--pg-trials N]
                                    [--database-url URL] [--db sqlite|postgresql|both] [--seed S]

Every scenario runs `raqib` subprocesses (`raqib ingest`, `raqib run` with a Telegram token) against a
recording fake Bot API served from this process on 127.0.0.1 (tests/fake_telegram_recorder.py), on a
fresh SQLite file and, when a PostgreSQL URL is given (``--database-url`` or
``RAQIB_TEST_POSTGRES_URL``), on a fresh private schema of that server. Articles are real reports from
../shared/data/saudinewsnet written to a temporary folder (never into the repository): originals,
full copies, trimmed copies and copies with a paragraph cut, so the ground truth (how many stories,
which alerts) is known in advance.

Scenarios: kill (kill -9 at random moments of 3 ingest and 2 delivery processes), bootstrap (workers
started together on an empty database), outage-30s / outage-15m / outage-2h (connection refused, timers
scaled), storm-429 (long retry_after across 2 workers), storm-5xx, blocked-403, migration (group
upgraded mid-run, then a restart), hostile-files and hostile-feed.

Bar, per scenario: 0 lost; duplicates only inside the send→mark window of a kill (sent at most
DUP_WINDOW_MS before it) and at most the killed worker's sends in flight ([telegram] concurrency)
per kill; 0 extra stories; 0 tracebacks in any process's stderr. Each scenario prints PASS or FAIL.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data" / "saudinewsnet"

from sqlalchemy import func, select, text  # noqa: E402

from bot.text import dedup  # noqa: E402
from bot.app import App  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.text.matching import Matcher  # noqa: E402
from bot.pipeline import dedup_text  # noqa: E402
from bot.sources.files import read_article_file  # noqa: E402
from bot.watchlists import load_watchlists  # noqa: E402
from storage import outbox  # noqa: E402
from storage.db import make_engine, private_schema, session_factory, transaction  # noqa: E402
from storage.models import Article, Chat, Delivery, Source, Story  # noqa: E402
from tests.fake_telegram_recorder import RecordingTelegram  # noqa: E402

TOKENS = [f"{700100 + i}:CHAOS-fake-worker-token-{i}" for i in range(4)]
TOPIC = "chaos"
# One watchlist every chosen report matches: words of Saudi news, found by raqib's own matcher.
WATCHLIST = f"""
[[watchlist]]
slug = "{TOPIC}"
name = "اختبار الفوضى"
any = ["السعودية", "المملكة", "الرياض", "جدة", "مكة", "المدينة", "الملك", "الأمير", "وزارة",
       "الهلال", "النصر", "الأهلي", "الاتحاد", "الشباب"]
"""
FORMS = ("orig", "copy", "trim", "cut")
REPORT_RE = re.compile(r"r(\d+)_(?:orig|copy|trim|cut|good)")
# A duplicate is allowed only when its first send was answered and its sender was killed before the
# send was recorded: the send happened at most this long before the kill (a mark queues behind other
# processes' SQLite writes, so the window is the mark's latency under load, not the HTTP round trip)...
DUP_WINDOW_MS = 3000.0
# ...and one kill can leave at most as many duplicates as the sends its worker had in flight: each
# answered send is recorded in its own transaction, so a kill catches at most `concurrency` of them.
SENDS_IN_FLIGHT = 4
SCENARIOS = ("kill", "bootstrap", "outage-30s", "outage-15m", "outage-2h", "storm-429", "storm-5xx",
             "blocked-403", "migration", "hostile-files", "hostile-feed")


# --- results -------------------------------------------------------------------------------------


@dataclass
class Result:
    scenario: str
    db: str
    figures: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def line(self) -> str:
        figures = "  ".join(f"{k}={v}" for k, v in self.figures.items())
        verdict = "PASS" if self.passed else "FAIL"
        out = f"{verdict}  {self.scenario:<13} {self.db:<10} {figures}"
        for failure in self.failures:
            out += f"\n      ✗ {failure}"
        for item in self.evidence[:6]:
            out += f"\n      · {item}"
        return out


# --- the corpus: real reports and their copies ----------------------------------------------------


@dataclass(frozen=True)
class Report:
    idx: int
    title: str
    day: str
    paras: tuple[str, ...]

    def text(self, form: str) -> str:
        paras = list(self.paras)
        if form == "trim":  # the tail cut off, as aggregators do
            words = "\n".join(paras).split(" ")
            paras = [" ".join(words[: int(len(words) * 0.8)])]
        elif form == "cut":  # one middle paragraph left out
            del paras[len(paras) // 2]
        return f"{self.title}\n{self.day}\n\n" + "\n\n".join(paras) + "\n"

    def name(self, form: str) -> str:
        return f"{self.idx:04d}_r{self.idx:04d}_{form}.txt"


def _rows() -> Iterator[dict]:
    for z in sorted(DATA.glob("*.zip")):
        with zipfile.ZipFile(z) as zf:
            yield from json.loads(zf.read(zf.namelist()[0]))


class Corpus:
    """Distinct reports that match the chaos watchlist and whose copies raqib's dedup recognizes
    when it sees them one at a time: any extra story under concurrency is then the engine's."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.watchlists = work / "watchlists.toml"
        self.watchlists.write_text(WATCHLIST, encoding="utf-8")
        self._matcher = Matcher(load_watchlists(self.watchlists))
        self._reports: list[Report] = []
        self._prints: list[Any] = []
        self._rows = _rows()
        self._check = work / "corpus-check"
        self._check.mkdir()

    def reports(self, n: int) -> list[Report]:
        while len(self._reports) < n:
            self._add_next()
        return self._reports[:n]

    def _fingerprint(self, path: Path):
        return dedup.fingerprint(dedup_text(read_article_file(path)))

    def _add_next(self) -> None:
        for row in self._rows:
            title, body = (row.get("title") or "").strip(), row.get("content") or ""
            paras = tuple(p.strip() for p in body.splitlines() if len(p.split()) >= 8)
            if len(title.split()) < 4 or len(paras) < 4 or not 150 <= len(body.split()) <= 1200:
                continue
            if any(r.title == title for r in self._reports):
                continue
            if not all(self._matcher.match(title, Report(0, title, "", paras).text(f)) for f in FORMS):
                continue  # a copy that alone would not match: whichever copy lands first must alert
            report = Report(len(self._reports), title, row["date_extracted"][:10], paras)
            prints = {}
            for form in FORMS:
                path = self._check / report.name(form)
                path.write_text(report.text(form), encoding="utf-8")
                prints[form] = self._fingerprint(path)
            if not all(dedup.is_near_duplicate(prints[a], prints[b]) and dedup.is_near_duplicate(prints[b], prints[a])
                       for a in FORMS for b in FORMS if a < b):
                continue  # whichever copy comes first, each other one must join it even one at a time
            if any(dedup.is_near_duplicate(prints["orig"], other) for other in self._prints):
                continue  # two reports of one event: the ground truth would be ambiguous
            self._reports.append(report)
            self._prints.append(prints["orig"])
            return
        raise RuntimeError("ran out of SaudiNewsNet articles for the corpus")

    def folders(self, root: Path, reports: list[Report], k: int = 3) -> list[Path]:
        """k overlapping folders: each holds every report, each in another form, same order."""
        out = []
        for f in range(k):
            folder = root / f"in{f}"
            folder.mkdir(parents=True)
            for report in reports:
                form = FORMS[(report.idx + f) % len(FORMS)]
                (folder / report.name(form)).write_text(report.text(form), encoding="utf-8")
            out.append(folder)
        return out

    def originals(self, folder: Path, reports: list[Report]) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for report in reports:
            (folder / report.name("orig")).write_text(report.text("orig"), encoding="utf-8")
        return folder


# --- databases ------------------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(kind: str, folder: Path, pg_url: str | None) -> Iterator[str]:
    """An empty database: a SQLite file, or a private PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'raqib.db'}"
        return
    assert pg_url
    with private_schema(pg_url, "chaos") as url:
        yield url


class Facts:
    """What the database says, read by the harness (never by the processes under test)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.factory = session_factory(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def outbox(self) -> dict[str, int]:
        try:
            with transaction(self.factory) as s:
                return outbox.counts(s)
        except Exception:  # noqa: BLE001 - the schema may not exist yet
            return {"unreadable": 1}

    def waiting(self) -> int:
        counts = self.outbox()
        return counts.get("pending", 0) + counts.get("sending", 0) + counts.get("unreadable", 0)

    def stories(self) -> int:
        with transaction(self.factory) as s:
            return s.scalar(select(func.count(Story.id))) or 0

    def article_titles(self) -> list[str]:
        with transaction(self.factory) as s:
            return list(s.scalars(select(Article.title)))

    def article_urls(self) -> list[str]:
        with transaction(self.factory) as s:
            return list(s.scalars(select(Article.url)))

    def rows(self) -> list[tuple[str, int, str, str | None]]:
        """(chat address, story id, state, last error) of every outbox row."""
        with transaction(self.factory) as s:
            q = select(Chat.address, Delivery.story_id, Delivery.state, Delivery.last_error).join(
                Chat, Chat.id == Delivery.chat_id)
            return [tuple(r) for r in s.execute(q)]  # type: ignore[misc]

    def sources(self) -> list[tuple[str, int, str | None]]:
        with transaction(self.factory) as s:
            q = select(Source.name, Source.error_count, Source.last_error)
            return [tuple(r) for r in s.execute(q)]  # type: ignore[misc]

    def integrity(self) -> str:
        if not self.url.startswith("sqlite"):
            return "n/a"
        with self.engine.connect() as conn:
            return str(conn.execute(text("PRAGMA integrity_check")).scalar())


# --- processes --------------------------------------------------------------------------------------


def _clean_env() -> dict[str, str]:
    """The environment without any RAQIB_ setting of the caller: the config file is the truth."""
    return {k: v for k, v in os.environ.items() if not k.startswith("RAQIB_")}


def die_with_parent() -> None:
    """Linux: a process we start is killed when we die (no orphans, even after a kill -9 of the suite)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Forked:
    """A process the fork server started: the parts of subprocess.Popen the harness uses."""

    def __init__(self, zygote: "Zygote", pid: int) -> None:
        self.zygote, self.pid = zygote, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.zygote.ask({"op": "poll", "pid": self.pid})["rc"]
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = time.monotonic() + (timeout if timeout is not None else 1e9)
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.05)
        assert self.returncode is not None
        return self.returncode


class Zygote:
    """bench/chaos_zygote.py: raqib imported once, each command a forked process (cheap starts)."""

    def __init__(self) -> None:
        self._popen = subprocess.Popen(
            [sys.executable, str(REPO / "bench" / "chaos_zygote.py")], cwd=REPO, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, start_new_session=True, env=_clean_env(), preexec_fn=die_with_parent,
        )
        self._lock = threading.Lock()

    def ask(self, req: dict) -> dict:
        assert self._popen.stdin and self._popen.stdout
        with self._lock:
            self._popen.stdin.write(json.dumps(req) + "\n")
            self._popen.stdin.flush()
            line = self._popen.stdout.readline()
        if not line:
            raise RuntimeError("the fork server died")
        return json.loads(line)

    def spawn(self, args: list[str], env: dict[str, str], log: Path) -> Forked:
        return Forked(self, self.ask({"op": "spawn", "argv": args, "env": env, "log": str(log)})["pid"])

    def close(self) -> None:
        with contextlib.suppress(Exception):
            assert self._popen.stdin
            self._popen.stdin.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._popen.pid, signal.SIGKILL)
        self._popen.wait(30)


class Proc:
    """One role (ingest0, deliver1, …) and its successive processes, each in its own process group."""

    zygote: Zygote | None = None  # set by run(): fork from it instead of starting interpreters

    def __init__(self, role: str, argv: list[str], env: dict[str, str], logs: Path) -> None:
        self.role, self.argv, self.env, self.logs = role, argv, env, logs
        self.popen: subprocess.Popen | Forked | None = None
        self.incarnations = 0
        self.killed_rcs: list[int] = []
        self.exits: list[int] = []

    _serial = iter(range(1, 1_000_000))

    @property
    def log(self) -> Path:
        return self.logs / f"{self.role}.{self._n}.log"

    def start(self) -> "Proc":
        self.incarnations += 1
        self._n = next(Proc._serial)  # a role started again (a restart) writes a new log
        if Proc.zygote is not None:
            self.popen = Proc.zygote.spawn(self.argv, self.env, self.log)
            return self
        with self.log.open("w") as err:
            self.popen = subprocess.Popen([sys.executable, "-m", "bot.cli.main", *self.argv], cwd=REPO, env=self.env,
                                          stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
                                          preexec_fn=die_with_parent)
        return self

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill9(self) -> bool:
        """kill -9 the process group; False if it had already exited."""
        if not self.alive():
            return False
        assert self.popen is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(30)
        return True

    def interrupt(self, timeout: float = 40, signalled: bool = False) -> int | None:
        """Ctrl-C (once: a second one would cut the clean stop short), then kill -9 if it does not
        stop in time; the exit status of a clean stop."""
        if self.popen is None:
            return None
        if self.alive():
            if not signalled:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGINT)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
                return None
        return self.popen.returncode

    def reap(self) -> None:
        if self.alive():
            self.kill9()

    def all_logs(self) -> list[Path]:
        return sorted(self.logs.glob(f"{self.role}.*.log"))


def tracebacks(procs: list[Proc]) -> list[str]:
    """One line per process log holding a traceback: the role and the exception's last line."""
    out = []
    for proc in procs:
        for log in proc.all_logs():
            lines = log.read_text(errors="replace").splitlines()
            starts = [i for i, ln in enumerate(lines) if ln.startswith("Traceback")]
            if not starts:
                continue
            i = starts[0]
            said = lines[i - 1][24:120] if i > 0 else ""  # the log line that printed it, without the time
            end = next((j for j in range(i + 1, len(lines)) if lines[j] and not lines[j].startswith(" ")
                        and not lines[j].startswith("Traceback") and j + 1 < len(lines)
                        and not lines[j + 1].startswith((" ", "Traceback", "The above", "During"))
                        and lines[j + 1]), len(lines) - 1)
            out.append(f"{log.name}: {len(starts)}× {said!r} … {lines[min(end, len(lines) - 1)][:160]}")
    return out


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


# --- one world: database, config, fake Bot API, processes --------------------------------------------


@dataclass
class Kill:
    role: str
    at: float


class Rig:
    """A fresh database and config, the fake Bot API, and every process started for one trial."""

    def __init__(self, ctx: "Ctx", kind: str, name: str, chats: list[int], *, delivery: str = "",
                 telegram: str = f"concurrency = {SENDS_IN_FLIGHT}\npoll_timeout = 1\n", extra: str = "") -> None:
        self.ctx, self.kind, self.chats = ctx, kind, chats
        self.folder = ctx.work / f"{name}-{kind}-{next(ctx.serial)}"
        self.folder.mkdir(parents=True)
        self.logs = self.folder / "logs"
        self.logs.mkdir()
        # A 1 s drain interval and a 10 s lease (the default is 120) keep a trial short; a scenario's own
        # keys win.
        keys = {"interval": "1", "lease": "10"}
        keys.update(dict(line.split(" = ", 1) for line in delivery.splitlines() if " = " in line))
        self._delivery = "".join(f"{k} = {v}\n" for k, v in keys.items())
        self._telegram, self._extra = telegram, extra
        self.procs: list[Proc] = []
        self.kills: list[Kill] = []
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> "Rig":
        try:
            self.url = self._stack.enter_context(fresh_database(self.kind, self.folder, self.ctx.pg_url))
            self.config = self.write_config(self.chats)
            self.fake = RecordingTelegram(TOKENS).start()
            self._stack.callback(self.fake.stop)
            self.facts = Facts(self.url)
            self._stack.callback(self.facts.close)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            for proc in self.procs:
                proc.reap()
        finally:
            self._stack.close()

    def write_config(self, chats: list[int]) -> Path:
        subs = "".join(f'[[subscriptions]]\nchat = "telegram:{c}"\ntopics = ["{TOPIC}"]\n\n' for c in chats)
        path = self.folder / "config.toml"
        path.write_text(
            f'[database]\nurl = "{self.url}"\n\n'
            f'[general]\nwatchlists = "{self.ctx.corpus.watchlists}"\ntimezone = "Asia/Riyadh"\n\n'
            f"[delivery]\n{self._delivery}\n"
            f"[telegram]\n{self._telegram}\n{self._extra}\n{subs}",
            encoding="utf-8",
        )
        return path

    def bootstrap_and_ingest(self, folder: Path | None = None) -> None:
        """Schema, watchlist, subscriptions (and alerts queued for ``folder``) in this process."""
        app = App(load_config(self.config, env={}))
        try:
            app.bootstrap()
            if folder is not None:
                app.ingest_paths([folder])
        finally:
            app.close()

    def _raqib(self, *args: str) -> list[str]:
        return [*args, "--config", str(self.config)]

    def ingest(self, role: str, folder: Path) -> Proc:
        proc = Proc(role, self._raqib("ingest", str(folder)), _clean_env(), self.logs)
        self.procs.append(proc)
        return proc.start()

    def worker(self, index: int) -> Proc:
        env = {**_clean_env(), "RAQIB_TELEGRAM_TOKEN": TOKENS[index], "RAQIB_TELEGRAM_BASE_URL": self.fake.base_url}
        proc = Proc(f"deliver{index}", self._raqib("run", "-v"), env, self.logs)
        self.procs.append(proc)
        return proc.start()

    def command(self, role: str, *args: str, env: dict[str, str] | None = None) -> Proc:
        proc = Proc(role, self._raqib(*args), {**_clean_env(), **(env or {})}, self.logs)
        self.procs.append(proc)
        return proc.start()

    def kill(self, proc: Proc) -> bool:
        at = time.monotonic()
        if proc.kill9():
            self.kills.append(Kill(proc.role, at))
            return True
        return False

    def settle(self, timeout: float, done: Callable[[], bool] | None = None) -> bool:
        """Wait until nothing waits in the outbox (and ``done``), then a moment more for late sends."""
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            if self.facts.waiting() == 0:
                if done is None or done():
                    time.sleep(0.5)
                    return True
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 4:  # nothing waits, nothing more will come
                    return False
            else:
                quiet_since = None
            time.sleep(0.3)
        return False

    def stop_workers(self) -> list[str]:
        """Ctrl-C every delivery process still running; the roles that did not stop cleanly."""
        running = [p for p in self.procs if p.role.startswith("deliver") and p.alive()]
        for proc in running:  # all at once: each takes a moment to stop
            assert proc.popen is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.popen.pid, signal.SIGINT)
        bad = []
        for proc in running:
            rc = proc.interrupt(signalled=True)
            if rc not in (0, 130):  # 130: interrupted while still starting (no traceback: judged apart)
                bad.append(f"{proc.role} exit {rc}")
        return bad


# --- judging what the fake received --------------------------------------------------------------------


LEAD_RE = re.compile(r"<code>([^<]*)</code>")


@dataclass
class Tally:
    """What reached each chat. A story is known by its lead article's file (named after its report), so
    one story sent twice is a duplicate, and two stories of one report are an extra alert."""

    expected: set[tuple[int, Any]]
    messages: Counter  # (chat, lead file) → how many times it got through
    first: dict[tuple[int, str], Any]  # (chat, lead file) → the first send
    unknown: list[str]

    def report_of(self, lead: str) -> Any:
        m = REPORT_RE.search(Path(lead).name)
        return int(m.group(1)) if m else Path(lead).name

    @property
    def received(self) -> set[tuple[int, Any]]:
        return {(chat, self.report_of(lead)) for chat, lead in self.messages}

    @property
    def lost(self) -> set[tuple[int, Any]]:
        return self.expected - self.received

    @property
    def duplicated(self) -> dict[tuple[int, str], int]:
        return {key: n for key, n in self.messages.items() if n > 1}

    @property
    def extra_alerts(self) -> int:
        """Alerts of a second story of one report, or of no expected report at all."""
        per_pair = Counter((chat, self.report_of(lead)) for chat, lead in self.messages)
        return sum(n - 1 for n in per_pair.values()) + sum(1 for pair in per_pair if pair not in self.expected)


def tally(fake: RecordingTelegram, expected: set[tuple[int, Any]], alias: dict[int, int] | None = None) -> Tally:
    """What the fake delivered; ``alias`` maps a migrated group's new id to its old one."""
    alias = alias or {}
    messages: Counter = Counter()
    first: dict[tuple[int, str], Any] = {}
    unknown: list[str] = []
    for attempt in fake.delivered():
        m = LEAD_RE.search(attempt.text)
        if m is None:
            unknown.append(attempt.text)
            continue
        key = (alias.get(attempt.chat_id, attempt.chat_id), m.group(1))
        messages[key] += 1
        first.setdefault(key, attempt)
    return Tally(expected, messages, first, unknown)


def judge_delivery(result: Result, t: Tally, rig: Rig, *, allow_kills: bool = False,
                   allow_unexpected: bool = False) -> None:
    """The bar for a delivery run: nothing lost, nothing twice (or only a killed sender's last sends)."""
    result.figures.update(pairs=len(t.expected), lost=len(t.lost), duplicated=sum(n - 1 for n in t.duplicated.values()))
    if t.lost:
        result.failures.append(f"{len(t.lost)} (chat, story) pairs lost")
        result.evidence.append(f"lost e.g. {sorted(t.lost, key=str)[:5]}")
    if t.unknown:
        result.failures.append(f"{len(t.unknown)} alerts the harness could not attribute to a report")
        result.evidence.append(f"e.g. {t.unknown[0][-160:]!r}")
    if t.extra_alerts:
        result.figures["extra_alerts"] = t.extra_alerts
        if not allow_unexpected:
            result.failures.append(f"{t.extra_alerts} alerts of extra stories")
    if not t.duplicated:
        return
    per_kill: Counter = Counter()
    kill_gaps: dict[int, list[float]] = {}
    gaps = []
    unexplained: list[str] = []
    late: list[str] = []
    for pair, n in sorted(t.duplicated.items()):
        a = t.first[pair]
        name = f"({pair[0]}, {Path(pair[1]).name}) ×{n}"
        role = f"deliver{a.worker}"
        later = [k for k in rig.kills if k.role == role and k.at >= a.at]
        if not allow_kills or not later:
            unexplained.append(f"{name} first sent by {role}")
            continue
        kill = min(later, key=lambda k: k.at)
        gap = (kill.at - a.at) * 1000
        gaps.append(gap)
        per_kill[id(kill)] += n - 1
        kill_gaps.setdefault(id(kill), []).append(gap)
        if gap > DUP_WINDOW_MS:
            late.append(f"{name}: {gap:.0f} ms before {role} was killed")
    if unexplained:
        result.failures.append(f"{len(unexplained)} duplicated pair(s) whose sender was never killed after the send")
        result.evidence.append("e.g. " + "; ".join(unexplained[:3]))
    if late:
        result.failures.append(f"{len(late)} duplicate(s) sent more than {DUP_WINDOW_MS:.0f} ms before a kill")
        result.evidence.append("e.g. " + "; ".join(late[:3]))
    if gaps:
        result.figures["dup_ms"] = ",".join(f"{g:.0f}" for g in sorted(gaps))
    if per_kill:
        result.figures["max_dups_per_kill"] = max(per_kill.values())
    over = [n for n in per_kill.values() if n > SENDS_IN_FLIGHT]
    if over:
        result.failures.append(
            f"{len(over)} kill(s) left more duplicates than sends in flight ({max(over)} > {SENDS_IN_FLIGHT})")
        result.evidence.extend(
            f"one kill, {per_kill[k]} duplicates sent {', '.join(f'{g:.0f}' for g in sorted(g_))} ms before it"
            for k, g_ in kill_gaps.items() if per_kill[k] > SENDS_IN_FLIGHT)


def judge_logs(result: Result, procs: list[Proc]) -> None:
    found = tracebacks(procs)
    result.figures["tracebacks"] = len(found)
    if found:
        result.failures.append(f"{len(found)} process log(s) with a Traceback")
        result.evidence.extend(found)


def judge_outbox(result: Result, facts: Facts, allowed: tuple[str, ...] = ("sent",)) -> None:
    counts = facts.outbox()
    result.figures["outbox"] = ",".join(f"{k}:{v}" for k, v in sorted(counts.items()))
    bad = {k: v for k, v in counts.items() if k not in allowed}
    if bad:
        result.failures.append(f"outbox rows not in a final state after the drain: {bad}")
        errors = Counter(err for _, _, state, err in facts.rows() if state not in allowed)
        result.evidence.extend(f"{n}× {err}" for err, n in errors.most_common(3))


# --- the context of a run ---------------------------------------------------------------------------------


class Ctx:
    def __init__(self, work: Path, pg_url: str | None, quick: bool, seed: int) -> None:
        self.work, self.pg_url, self.quick = work, pg_url, quick
        self.rng = random.Random(seed)
        self.corpus = Corpus(work)
        self.serial = iter(range(1, 1_000_000))
        self.next_report = 0  # kill trials take fresh reports, so each trial's stories are its own

    def supports(self, field_part: str) -> bool:
        """Whether the engine in this tree has a setting (helper-A adds give_up_after_hours)."""
        from bot.config import Config

        return any(field_part in name for name in Config.__dataclass_fields__)


# --- scenario: kill -9 ----------------------------------------------------------------------------------


def kill_session(ctx: Ctx, kind: str, trials: int, n_reports: int, n_chats: int, result: Result,
                 totals: Counter, gaps: list[float]) -> None:
    """One database, 2 delivery processes for the whole session; per trial, 3 `raqib ingest` processes
    over 3 overlapping folders of new reports' copies; 1–3 of the 5 processes killed at random moments
    of each trial (and restarted at once, as a supervisor would)."""
    rng = ctx.rng
    chats = list(range(5001, 5001 + n_chats))
    with Rig(ctx, kind, "kill", chats) as rig:
        rig.bootstrap_and_ingest()
        workers = [rig.worker(0), rig.worker(1)]
        expected: set[tuple[int, Any]] = set()
        for trial in range(trials):
            label = f"trial {totals['trials'] + 1}: "
            reports = ctx.corpus.reports(ctx.next_report + n_reports)[ctx.next_report:]
            ctx.next_report += n_reports
            folders = ctx.corpus.folders(rig.folder / f"t{trial}", reports)
            stories_before = rig.facts.stories()
            kills_before = len(rig.kills)
            ingests = [rig.ingest(f"ingest{i}", folder) for i, folder in enumerate(folders)]
            horizon = 4.0 + n_reports * 1.2  # process start, then one alert a second per chat
            moments = sorted(rng.uniform(0.3, horizon) for _ in range(rng.randint(1, 3)))
            start = time.monotonic()
            for moment in moments:
                time.sleep(max(0.0, start + moment - time.monotonic()))
                victim = rng.choice(ingests + workers)
                if rig.kill(victim):
                    victim.start()  # the operator (or systemd) restarts it
            for proc in ingests:
                if not wait_until(lambda p=proc: not p.alive(), 180):
                    result.failures.append(label + f"{proc.role} still running after 180 s")
                    proc.kill9()
                elif proc.popen and proc.popen.returncode != 0:
                    result.failures.append(label + f"{proc.role} exit {proc.popen.returncode}")
            expected |= {(c, r.idx) for c in chats for r in reports}
            if not rig.settle(90, lambda: not tally(rig.fake, expected).lost):
                result.failures.append(label + f"not drained after 90 s: outbox {rig.facts.outbox()}, "
                                               f"{len(tally(rig.fake, expected).lost)} pairs missing")
            stories = rig.facts.stories() - stories_before
            totals.update(trials=1, kills=len(rig.kills) - kills_before, pairs=n_reports * n_chats,
                          extra_stories=max(0, stories - n_reports))
            if stories != n_reports:
                result.failures.append(label + f"{stories} stories for {n_reports} reports")
            if not ctx.quick:
                t = tally(rig.fake, expected)
                print(f"  kill/{kind} {label}kills={len(rig.kills) - kills_before} stories={stories}/{n_reports} "
                      f"lost so far={len(t.lost)} dup so far={sum(n - 1 for n in t.duplicated.values())} "
                      f"outbox={rig.facts.outbox()}", flush=True)
        result.failures += [f"{kind} session: {f}" for f in rig.stop_workers()]
        sub = Result("kill", kind)
        t = tally(rig.fake, expected)
        judge_delivery(sub, t, rig, allow_kills=True)
        result.failures += sub.failures
        result.evidence += sub.evidence
        totals.update(lost=len(t.lost), duplicated=sub.figures["duplicated"], extra_alerts=t.extra_alerts)
        if sub.figures.get("dup_ms"):
            gaps += [float(g) for g in str(sub.figures["dup_ms"]).split(",")]
        counts = rig.facts.outbox()
        bad_rows = {k: v for k, v in counts.items() if k != "sent"}
        if bad_rows:
            result.failures.append(f"outbox rows not sent after a clean drain: {bad_rows}")
        integrity = rig.facts.integrity()
        if integrity not in ("ok", "n/a"):
            result.failures.append(f"integrity_check: {integrity}")
        found = tracebacks(rig.procs)
        totals.update(tracebacks=len(found))
        if found:
            result.failures.append(f"{len(found)} process log(s) with a Traceback")
            result.evidence += found


def scenario_kill(ctx: Ctx, kind: str, trials: int) -> Result:
    n_reports, n_chats = (5, 6) if ctx.quick else (6, 20)
    per_session = trials if ctx.quick else 10
    result = Result("kill", kind)
    totals: Counter = Counter()
    gaps: list[float] = []
    done = 0
    while done < trials:
        n = min(per_session, trials - done)
        kill_session(ctx, kind, n, n_reports, n_chats, result, totals, gaps)
        done += n
    for key in ("trials", "kills", "pairs", "lost", "duplicated", "extra_stories", "extra_alerts", "tracebacks"):
        result.figures[key] = totals[key]
    result.figures["integrity"] = "ok" if kind == "sqlite" and not any("integrity" in f for f in result.failures) \
        else "n/a" if kind != "sqlite" else "BAD"
    if gaps:  # the ms between each duplicate's first send and the kill of its sender
        result.figures["dup_ms"] = ",".join(f"{g:.0f}" for g in sorted(gaps))
    return result


# --- scenario: workers bootstrapping an empty database together ------------------------------------------


def scenario_bootstrap(ctx: Ctx, kind: str) -> Result:
    result = Result("bootstrap", kind)
    chats = list(range(5101, 5105))
    rounds = 2 if ctx.quick else 5
    crashed = 0
    for _ in range(rounds):
        with Rig(ctx, kind, "bootstrap", chats) as rig:
            procs = [rig.command(f"boot{i}", "watchlists") for i in range(4)]
            for proc in procs:
                if not wait_until(lambda p=proc: not p.alive(), 120):
                    proc.kill9()
            rcs = [p.popen.returncode if p.popen else None for p in procs]
            crashed += sum(1 for rc in rcs if rc != 0)
            judge_logs(result, procs)
    result.figures.update(rounds=rounds, processes=rounds * 4, crashed=crashed)
    if crashed:
        result.failures.append(f"{crashed} of {rounds * 4} processes started together exited non-zero")
    result.figures["tracebacks"] = len(result.evidence)
    return result


# --- scenarios: the Bot API misbehaves ---------------------------------------------------------------------


def _delivery_world(ctx: Ctx, rig: Rig, n_reports: int) -> set[tuple[int, int]]:
    reports = ctx.corpus.reports(n_reports)
    rig.bootstrap_and_ingest(ctx.corpus.originals(rig.folder / "in", reports))
    return {(c, r.idx) for c in rig.chats for r in reports}


def scenario_outage(ctx: Ctx, kind: str, nominal_s: float, label: str) -> Result:
    """Connection refused for an outage of ``nominal_s`` seconds, every timer scaled by the same factor."""
    scale = 1 / 1800 if ctx.quick else 1 / 600
    result = Result(label, kind)
    real = max(0.5, nominal_s * scale)
    give_up_h = 24 * scale
    # Few attempts: an outage must never use them up (only permanent answers and age end an alert).
    delivery = f"max_attempts = 2\nbackoff_base = {5 * scale:.4f}\nbackoff_max = {max(1.0, 3600 * scale):.2f}\n"
    if ctx.supports("give_up"):
        delivery += f"give_up_after_hours = {give_up_h:.6f}\n"
        result.figures["give_up"] = f"{give_up_h * 3600:.0f}s"
    else:
        result.evidence.append("this tree has no [delivery] give_up_after_hours: defaults used")
    chats = list(range(5201, 5205))
    n_reports = 4 if ctx.quick else 6
    with Rig(ctx, kind, label, chats, delivery=delivery) as rig:
        expected = _delivery_world(ctx, rig, n_reports)
        rig.worker(0)
        if not wait_until(lambda: len(rig.fake.delivered()) >= 2, 90):
            result.failures.append("no alert delivered before the outage")
        rig.fake.go_down()
        time.sleep(real)
        rig.fake.come_back()
        rig.settle(60 + 3600 * scale * 2, lambda: not tally(rig.fake, expected).lost)
        result.failures += rig.stop_workers()
        result.figures["outage"] = f"{nominal_s:g}s→{real:.2f}s"
        judge_delivery(result, tally(rig.fake, expected), rig)
        judge_outbox(result, rig.facts)
        judge_logs(result, rig.procs)
    return result


def scenario_storm(ctx: Ctx, kind: str, status: str) -> Result:
    """Every send answered 429 (retry_after longer than half the lease) or 500, across 2 workers."""
    label = f"storm-{'429' if status == '429' else '5xx'}"
    result = Result(label, kind)
    chats = list(range(5301, 5307))
    n_reports = 4 if ctx.quick else 8
    delivery = "lease = 5\nbackoff_base = 0.2\nbackoff_max = 1\n"
    with Rig(ctx, kind, label, chats, delivery=delivery) as rig:
        expected = _delivery_world(ctx, rig, n_reports)
        rig.worker(0)
        rig.worker(1)
        if not wait_until(lambda: len(rig.fake.delivered()) >= 2, 90):
            result.failures.append("no alert delivered before the storm")
        if status == "429":
            rig.fake.storm("429", 4.0, retry_after=3)  # PTB waits in place up to 2 × 3 s > the 5 s lease
        else:
            rig.fake.storm("500", 12.0)  # longer than max_attempts × the scaled backoff
        wait_until(lambda: not rig.fake.storming(), 30)
        rig.settle(90, lambda: not tally(rig.fake, expected).lost)
        result.failures += rig.stop_workers()
        storm_answers = sum(1 for a in rig.fake.log if a.status in (429, 500))
        result.figures["storm_answers"] = storm_answers
        judge_delivery(result, tally(rig.fake, expected), rig)
        judge_outbox(result, rig.facts)
        judge_logs(result, rig.procs)
    return result


def scenario_blocked(ctx: Ctx, kind: str) -> Result:
    """One chat blocks the bot mid-run: its alerts are dead, every other chat gets all of its own."""
    result = Result("blocked-403", kind)
    chats = list(range(5401, 5406))
    blocked = chats[0]
    n_reports = 4 if ctx.quick else 6
    with Rig(ctx, kind, "blocked", chats) as rig:
        expected = _delivery_world(ctx, rig, n_reports)
        rig.fake.blocked.add(blocked)
        rig.worker(0)
        others = {p for p in expected if p[0] != blocked}
        rig.settle(90, lambda: not tally(rig.fake, others).lost)
        result.failures += rig.stop_workers()
        judge_delivery(result, tally(rig.fake, others), rig)
        rows = rig.facts.rows()
        blocked_states = Counter(state for chat, _, state, _ in rows if chat == f"telegram:{blocked}")
        result.figures["blocked_chat_rows"] = dict(blocked_states)
        if set(blocked_states) - {"dead"}:
            result.failures.append(f"the blocked chat's rows are not all dead: {dict(blocked_states)}")
        judge_outbox(result, rig.facts, ("sent", "dead"))
        judge_logs(result, rig.procs)
    return result


def scenario_migration(ctx: Ctx, kind: str) -> Result:
    """A group in the config is upgraded to a supergroup mid-run; raqib restarts; new stories follow."""
    result = Result("migration", kind)
    group, new_group = -100500, -1009900500
    chats = [group, 5501, 5502]
    first_n, more = (3, 4) if ctx.quick else (4, 6)
    with Rig(ctx, kind, "migration", chats) as rig:
        reports = ctx.corpus.reports(first_n + more)
        rig.bootstrap_and_ingest(ctx.corpus.originals(rig.folder / "in1", reports[:first_n]))
        alias = {new_group: group}
        expected = {(c, r.idx) for c in chats for r in reports[:first_n]}
        rig.worker(0)
        if not wait_until(lambda: any(a.chat_id == group for a in rig.fake.delivered()), 90):
            result.failures.append("nothing reached the group before the migration")
        rig.fake.migrated[group] = new_group
        rig.settle(60, lambda: not tally(rig.fake, expected, alias).lost)
        result.failures += rig.stop_workers()
        # Restart: the config still names the old group; new stories arrive.
        rig.bootstrap_and_ingest(ctx.corpus.originals(rig.folder / "in2", reports[first_n:]))
        expected = {(c, r.idx) for c in chats for r in reports}
        rig.worker(0)
        rig.settle(60, lambda: not tally(rig.fake, expected, alias).lost)
        result.failures += rig.stop_workers()
        t = tally(rig.fake, expected, alias)
        to_old_after = sum(1 for a in rig.fake.delivered() if a.chat_id == group and a.at > min(
            (x.at for x in rig.fake.log if x.chat_id == group and x.status == 400), default=float("inf")))
        result.figures["sent_to_old_id_after_migration"] = to_old_after
        judge_delivery(result, t, rig)
        judge_outbox(result, rig.facts, ("sent",))
        judge_logs(result, rig.procs)
    return result


# --- scenarios: hostile input -----------------------------------------------------------------------------


def hostile_files(folder: Path, reports: list) -> dict[str, bytes]:
    """Files that have broken raqib before, built from real Arabic text; then good reports after them."""
    rng = random.Random(9)
    folder.mkdir(parents=True)
    prose = "\n".join("\n".join(r.paras) for r in reports)
    big = (prose + "\n") * (70_000 // len(prose.encode()) + 2)
    line = " ".join(p for r in reports for p in r.paras)
    one_line = (line + " ") * (1_950_000 // len(line.encode()) + 1)
    one_line = one_line.encode()[:1_950_000].decode("utf-8", "ignore")
    files = {
        "h00_nul_after_64k.txt": (reports[0].title + "\n" + big).encode() + b"\x00\x00 " + prose.encode(),
        "h01_binary.txt": bytes(rng.randrange(256) for _ in range(20_000)),
        "h02_cp1256.txt": (reports[1].title + "\n" + "\n".join(reports[1].paras)).encode("cp1256", "replace"),
        "h03_broken_utf8.txt": (reports[2].title + "\n" + "\n".join(reports[2].paras)).encode()[:-1] + b"\xff\xfe\xc3(",
        "h04_empty.txt": b"",
        "h05_one_line_2mb.txt": one_line.encode(),
        "h06_nul_title.txt": (reports[0].title + "\x00\n" + "\n".join(reports[0].paras[:2])).encode(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def scenario_hostile_files(ctx: Ctx, kind: str) -> Result:
    """Hostile files ingested by `raqib ingest` while a delivery worker marks alerts sent."""
    result = Result("hostile-files", kind)
    chats = list(range(5601, 5605))
    n_queued = 4 if ctx.quick else 8
    with Rig(ctx, kind, "hostile", chats) as rig:
        queued = ctx.corpus.reports(n_queued)
        good = ctx.corpus.reports(n_queued + 3)[n_queued:]
        expected = _delivery_world(ctx, rig, n_queued)
        folder = rig.folder / "hostile"
        names = hostile_files(folder, ctx.corpus.reports(n_queued + 6)[n_queued + 3:])
        for r in good:  # good reports after the hostile ones (files are ingested in name order)
            (folder / f"z{r.idx:03d}_r{r.idx:03d}_good.txt").write_text(r.text("orig"), encoding="utf-8")
        rig.worker(0)
        wait_until(lambda: len(rig.fake.delivered()) >= 1, 90)
        started = time.monotonic()
        ingest = rig.ingest("ingest", folder)
        if not wait_until(lambda: not ingest.alive(), 240):
            result.failures.append("raqib ingest still running after 240 s")
            ingest.kill9()
        result.figures["ingest_s"] = f"{time.monotonic() - started:.1f}"
        expected |= {(c, r.idx) for c in chats for r in good}
        rig.settle(90, lambda: not tally(rig.fake, expected).lost)
        result.failures += rig.stop_workers()
        rc = ingest.popen.returncode if ingest.popen else None
        result.figures["ingest_exit"] = rc
        if rc != 0:
            result.failures.append(f"raqib ingest exited {rc}")
        titles = rig.facts.article_titles()
        missing = [r.idx for r in good if not any(r.title[:30] in t for t in titles)]
        result.figures["good_after_hostile"] = f"{len(good) - len(missing)}/{len(good)}"
        if missing:
            result.failures.append(f"good reports after the hostile files not stored: {missing}")
        log = "".join(p.read_text(errors="replace") for p in ingest.all_logs())
        urls = rig.facts.article_urls()
        silent = [n for n in names if n not in log and not any(u.endswith(n) for u in urls)]
        result.figures["hostile_unaccounted"] = len(silent)
        if silent:
            result.failures.append(f"hostile files neither stored nor reported: {silent}")
        judge_delivery(result, tally(rig.fake, expected), rig, allow_unexpected=True)
        judge_outbox(result, rig.facts)
        judge_logs(result, rig.procs)
    return result


def scenario_hostile_feed(ctx: Ctx, kind: str) -> Result:
    """A feed whose first items are hostile (NUL in a title, a 5,000-character link), then good items."""
    from tests.fake_feeds import FakeFeeds, NewsItem, rss, saudi_items

    result = Result("hostile-feed", kind)
    good = saudi_items(3)
    first = good[0]
    hostile = [
        NewsItem(first.title[:20] + "\x00" + "عاجل", "\n".join(good[1].body.splitlines()[:3]) + " خبر أول",
                 "https://news.example/nul-title", "nul-title", first.published),
        NewsItem("رابط طويل جدا: " + good[2].title, good[2].body[:400] + " خبر ثان",
                 "https://news.example/" + "a" * 5000, "long-link", first.published),
    ]
    with Rig(ctx, kind, "hostile-feed", [5701]) as rig, FakeFeeds() as feeds:
        rig.bootstrap_and_ingest()
        feeds.add("/hostile.xml", body=rss(hostile + good))
        env = {"RAQIB_FEEDS_ALLOW_HOSTS": "127.0.0.1"}
        add = rig.command("feeds-add", "feeds", "add", feeds.url("/hostile.xml"), env=env)
        wait_until(lambda: not add.alive(), 120)
        add.reap()
        rc = add.popen.returncode if add.popen else None
        listing = rig.command("feeds-list", "feeds", "list", env=env)
        wait_until(lambda: not listing.alive(), 60)
        result.figures["exit"] = rc
        if rc != 0:
            result.failures.append(f"raqib feeds add exited {rc}")
        titles = rig.facts.article_titles()
        stored_good = [g for g in good if any(g.title[:25] in t for t in titles)]
        result.figures["good_items"] = f"{len(stored_good)}/{len(good)}"
        if len(stored_good) < len(good):
            result.failures.append(f"only {len(stored_good)} of {len(good)} good items after the hostile ones stored")
        stored_hostile = sum(1 for h in hostile if any(h.title.replace("\x00", "")[:15] in t for t in titles))
        sources = rig.facts.sources()
        recorded = any(err for _, _, err in sources) or any(n for _, n, _ in sources)
        result.figures["hostile_stored"] = stored_hostile
        if stored_hostile < len(hostile) and not recorded:
            result.failures.append("a hostile item was neither stored nor recorded in the source's status")
            result.evidence.append(f"sources: {sources}")
        judge_logs(result, rig.procs)
    return result


# --- running ----------------------------------------------------------------------------------------------


def run_scenario(ctx: Ctx, name: str, kind: str, trials: int) -> Result:
    if name == "kill":
        return scenario_kill(ctx, kind, trials)
    if name == "bootstrap":
        return scenario_bootstrap(ctx, kind)
    if name.startswith("outage-"):
        nominal = {"outage-30s": 30, "outage-15m": 900, "outage-2h": 7200}[name]
        return scenario_outage(ctx, kind, nominal, name)
    if name == "storm-429":
        return scenario_storm(ctx, kind, "429")
    if name == "storm-5xx":
        return scenario_storm(ctx, kind, "500")
    if name == "blocked-403":
        return scenario_blocked(ctx, kind)
    if name == "migration":
        return scenario_migration(ctx, kind)
    if name == "hostile-files":
        return scenario_hostile_files(ctx, kind)
    if name == "hostile-feed":
        return scenario_hostile_feed(ctx, kind)
    raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")


def run(scenarios: list[str], kinds: list[str], *, quick: bool, trials: dict[str, int], pg_url: str | None,
        seed: int = 9, work: Path | None = None, echo: Callable[[str], None] = print,
        fork: bool = True) -> list[Result]:
    """Run scenarios × databases; every process is reaped whatever happens."""
    results = []
    with contextlib.ExitStack() as stack:
        if work is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="raqib-chaos-")))
        ctx = Ctx(work, pg_url, quick, seed)
        if fork:
            Proc.zygote = Zygote()
            stack.callback(setattr, Proc, "zygote", None)
            stack.callback(Proc.zygote.close)
        for name in scenarios:
            for kind in kinds:
                started = time.monotonic()
                try:
                    result = run_scenario(ctx, name, kind, trials.get(kind, 1))
                except Exception as exc:  # noqa: BLE001 - a harness failure is reported, not hidden
                    result = Result(name, kind, failures=[f"harness error: {exc!r}"])
                result.figures["s"] = f"{time.monotonic() - started:.0f}"
                results.append(result)
                echo(result.line())
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few small trials per scenario (the test suite's size)")
    ap.add_argument("--scenario", action="append", choices=SCENARIOS, help="run only these (repeatable)")
    ap.add_argument("--trials", type=int, help="kill trials on SQLite (default 100, quick 2)")
    ap.add_argument("--pg-trials", type=int, help="kill trials on PostgreSQL (default 20, quick 1)")
    ap.add_argument("--database-url", default=os.environ.get("RAQIB_TEST_POSTGRES_URL"),
                    help="PostgreSQL server to probe too, a private schema per trial "
                         "(default: $RAQIB_TEST_POSTGRES_URL)")
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--keep", type=Path, help="work in this folder and keep the logs")
    ap.add_argument("--no-fork", action="store_true",
                    help="start every process as a new interpreter (slower) instead of forking it from a "
                         "server that imported raqib once")
    args = ap.parse_args(argv)
    # A SIGTERM (timeout, CI) unwinds like Ctrl-C, so every process and schema is cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if not args.database_url:
        if "postgresql" in kinds and args.db != "both":
            ap.error("--db postgresql needs --database-url or RAQIB_TEST_POSTGRES_URL")
        kinds = [k for k in kinds if k != "postgresql"]
        print("PostgreSQL: skipped (no --database-url / RAQIB_TEST_POSTGRES_URL)")
    trials = {"sqlite": args.trials or (2 if args.quick else 100),
              "postgresql": args.pg_trials or (1 if args.quick else 20)}
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results = run(args.scenario or list(SCENARIOS), kinds, quick=args.quick, trials=trials,
                  pg_url=args.database_url, seed=args.seed, work=args.keep, fork=not args.no_fork)
    failed = [r for r in results if not r.passed]
    print(f"\n{len(results) - len(failed)} of {len(results)} scenario runs PASS "
          f"({time.monotonic() - started:.0f} s); bar: 0 lost, duplicates only in a killed sender's "
          f"send→mark window (≤ {DUP_WINDOW_MS:.0f} ms, ≤ 1 per kill), 0 extra stories, 0 tracebacks")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

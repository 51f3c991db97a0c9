"""Shared fixtures: where the seeds and the read-only evaluation data live."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
# CI clones the repo with shared/ beside it; evaluation data is read from there, never copied in.
SHARED_DATA = REPO.parent / "shared" / "data"


class Clock:
    """A clock the test moves by hand: retries, leases and windows without sleeping."""

    def __init__(self, start: datetime = datetime(2025, 8, 13, 9, 0, tzinfo=timezone.utc)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def env(db_url):
    """Handler services over a fresh database with the seed watchlists, and their clock."""
    from tests.telegram_support import make_services

    clock = Clock()
    services, engine = make_services(db_url, clock)
    yield services, clock
    engine.dispose()


def wait_until(predicate, timeout: float) -> bool:
    """Poll a condition a subprocess or server thread will make true; False if it never did."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.fixture
def seeded(tmp_path, db_url):
    """An App over a fresh database holding the five seeds, ingested."""
    from bot.app import App
    from bot.config import load_config

    app = App(load_config(write_config(tmp_path, db_url)))
    app.bootstrap()
    app.ingest_paths([SEEDS])
    yield app
    app.close()


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def seed_files() -> list[Path]:
    files = sorted(SEEDS.glob("[0-9][0-9][0-9]_*.txt"))
    assert len(files) == 5, f"expected the five seed articles in {SEEDS}"
    return files


@pytest.fixture(scope="session")
def shared_data() -> Path:
    assert SHARED_DATA.is_dir(), f"evaluation data not found at {SHARED_DATA}"
    return SHARED_DATA


# --- databases: every storage-touching test runs on SQLite and, when configured, PostgreSQL ---

import os

from storage.db import private_schema, schema_url

POSTGRES_URL = os.environ.get("RAQIB_TEST_POSTGRES_URL")


def _pg_schema_url(schema: str, base: str | None = None) -> str:
    return schema_url(base or POSTGRES_URL, schema)


def private_pg_schema(base_url: str, prefix: str = "t"):
    """A private schema of ``base_url``'s database for one test, dropped afterwards."""
    return private_schema(base_url, prefix)


@pytest.fixture
def pg_url():
    """A private PostgreSQL schema only (tests of several processes sharing one server), dropped
    afterwards; skipped without a test server."""
    if not POSTGRES_URL:
        pytest.skip("RAQIB_TEST_POSTGRES_URL not set (.ci/run sets it)")
    with private_pg_schema(POSTGRES_URL, prefix="procs") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, or a private PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'raqib.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip("RAQIB_TEST_POSTGRES_URL not set (.ci/run sets it)")
    with private_pg_schema(POSTGRES_URL) as url:
        yield url


@pytest.fixture
def factory(db_url):
    """A migrated database's session factory (each ``db_url`` parameter), disposed afterwards."""
    from storage.db import make_engine, session_factory, upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()


def write_config(
    tmp_path: Path, db_url: str, extra: str = "", subscriptions: str | None = None,
    delivery: str = "backoff_base = 1\nmax_attempts = 3\n",
) -> Path:
    """A config like the example one, pointed at this test's database and the repo's seeds."""
    if subscriptions is None:
        subscriptions = (
            '[[subscriptions]]\nchat = "console:korea-desk"\ntopics = ["dprk-russia"]\n\n'
            '[[subscriptions]]\nchat = "console:kursk-desk"\ntopics = ["kursk"]\n'
        )
    path = tmp_path / "config.toml"
    path.write_text(
        f'[database]\nurl = "{db_url}"\n\n'
        f'[general]\nwatchlists = "{SEEDS / "watchlists.toml"}"\ntimezone = "Asia/Riyadh"\n\n'
        f"[delivery]\n{delivery}\n"
        f"{extra}\n{subscriptions}",
        encoding="utf-8",
    )
    return path


@contextmanager
def bootstrapped_app(tmp_path: Path, db_url: str, at: datetime = datetime(2025, 12, 26, 8, 0, tzinfo=timezone.utc)):
    """An ``App`` on ``write_config``'s config, its clock stopped at ``at``, bootstrapped, closed after."""
    from bot.app import App
    from bot.config import load_config

    app = App(load_config(write_config(tmp_path, db_url), env={}), clock=Clock(at))
    app.bootstrap()
    try:
        yield app
    finally:
        app.close()

"""Engine and session setup: SQLite in WAL mode by default, PostgreSQL by URL."""

from __future__ import annotations

from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker


T = TypeVar("T")


_READ_ONLY = "raqib_read_only"

# SQLite's page cache per connection, in KiB (PRAGMA cache_size=-N; SQLite's default is 2 MiB). A
# batch write dirties one page per band, key and index row it inserts at a random place in a large
# B-tree (~9k pages for 100 articles once the archive is large): with 2 MiB the pager spills them to
# the WAL in the middle of the transaction and reads them back, so per-article CPU grew with the
# archive (issue 13). 64 MiB holds a batch's dirty pages and the trees' inner pages; it is taken
# only as pages are used.
SQLITE_CACHE_KIB = 65536


class DatabaseURLError(ValueError):
    pass


def check_url(url: str) -> str:
    """Reject URLs we cannot serve before anything touches the disk or the network."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseURLError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseURLError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST:PORT/DB"
        )
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # psycopg 3 is the driver we install; plain postgresql:// would look for psycopg2.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return url


def safe_url(url: str) -> str:
    """The URL without its password: what an error message or a log line may show."""
    try:
        parsed = make_url(url)
        return URL.create(parsed.drivername, parsed.username, None, parsed.host, parsed.port, parsed.database,
                          parsed.query).render_as_string(hide_password=False)
    except ArgumentError:
        return "<not a database URL>"


def connection_problem(url: str, exc: BaseException) -> str:
    """One line for a database that cannot be reached or opened: what failed, the URL without its
    password, and where to look (no 136-line traceback; issue 14)."""
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    reason = lines[0] if lines else type(orig).__name__
    reason = reason[:300]
    sqlite = url.startswith("sqlite")
    hint = ("is the folder there and writable?" if sqlite else
            "is the server running and accepting connections? are the host, port, user and password right?")
    return f"cannot use the database {safe_url(url)}: {reason}; {hint} check [database] url (or RAQIB_DATABASE_URL)"


def ping(engine: Engine) -> None:
    """Raise if the database does not answer a trivial query (doctor, /healthz)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def make_engine(url: str) -> Engine:
    url = check_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        _sqlite_pragmas(engine)
        return engine
    # A server that does not answer fails in seconds, not after the OS's two-minute TCP timeout.
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy own transactions: pysqlite's implicit BEGIN would defeat BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # Writers take the lock at BEGIN, so two workers never deadlock upgrading a read lock; a
        # read_transaction takes none (WAL readers see the last commit and never wait for writers).
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    with factory() as session:
        with session.begin():
            yield session


def create_once(session: Session, work: Callable[[], T], attempts: int = 3) -> T:
    """Run a look-up-or-create step in a SAVEPOINT so that it is safe under concurrency.

    Two workers bootstrapping at once both find no row and both insert; the second insert waits
    for the first transaction, then fails on the unique key (PostgreSQL, READ COMMITTED). Only this
    step is rolled back, and running it again finds the other worker's row. It relies on no
    particular unique key, so it keeps working when a table's key changes.
    """
    for attempt in range(1, attempts + 1):
        try:
            with session.begin_nested():
                return work()  # leaving the block flushes: a conflict surfaces here
        except IntegrityError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


@contextmanager
def read_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work that only reads. On SQLite it does not take the write lock, so a check before
    a write (is this article stored? which story is it a copy of?) never queues behind, or holds
    up, another process's writes — the delivery worker recording a send above all."""
    with factory() as session:
        with session.begin():
            session.connection(execution_options={_READ_ONLY: True})
            yield session


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("storage") / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


# Session-level advisory lock taken around Alembic on PostgreSQL: (this key, hash of the schema).
# "raqb" in ASCII; the second half keeps migrations of separate schemas (the tests') from waiting
# on each other while two workers on one schema migrate one at a time.
MIGRATION_LOCK = 0x72617162


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Hold the schema's migration lock: workers started together on an empty PostgreSQL database
    would otherwise both run CREATE TABLE and one dies on a UniqueViolation in ``pg_type``.

    The lock is session-level, on a connection of its own held for the whole upgrade, so it
    outlives Alembic's transaction and is freed by PostgreSQL if this process dies. On SQLite
    env.py runs the migrations in one transaction, opened with BEGIN IMMEDIATE, which already
    keeps two upgrades apart, but a waiter gives up after the 30 s busy timeout: a long migration
    of a big file would fail the workers started beside it. So they queue on an flock of a file
    beside the database instead, for as long as the migration takes (freed if the holder dies).
    """
    if engine.dialect.name == "sqlite":
        with _sqlite_file_lock(engine.url.database):
            yield
        return
    key = {"key": MIGRATION_LOCK}
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key, hashtext(coalesce(current_schema(), '')))"), key)
        conn.commit()  # a session lock survives the commit; no snapshot is held while we wait
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key, hashtext(coalesce(current_schema(), '')))"), key)
            conn.commit()


@contextmanager
def _sqlite_file_lock(database: str | None) -> Iterator[None]:
    if not database or database == ":memory:" or database.startswith("file:"):
        yield  # nothing another process could share
        return
    import fcntl

    with open(f"{database}-migrate.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def script_heads() -> frozenset[str]:
    """The migration scripts' head revisions, read from their ``revision``/``down_revision`` lines
    without importing Alembic (a third of a second of every command's start)."""
    import ast

    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (resources.files("storage") / "migrations" / "versions").iterdir():
        if not path.name.endswith(".py") or path.name.startswith("__"):
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else (
                node.target if isinstance(node, ast.AnnAssign) else None)
            if not isinstance(target, ast.Name) or node.value is None:
                continue
            if target.id == "revision":
                revisions.add(ast.literal_eval(node.value))
            elif target.id == "down_revision":
                down = ast.literal_eval(node.value)
                parents.update(down if isinstance(down, (tuple, list)) else [down] if down else [])
    return frozenset(revisions - parents)


def at_head(engine: Engine) -> bool:
    """True when the database already stands at every head: nothing to migrate. A database that
    cannot be reached raises here, as the upgrade would; any other doubt (no version table yet)
    answers False and the full Alembic upgrade decides."""
    from sqlalchemy.exc import SQLAlchemyError

    with engine.connect() as conn:
        try:
            stored = set(conn.scalars(text("SELECT version_num FROM alembic_version")))
        except SQLAlchemyError:
            return False
    return bool(stored) and stored == script_heads()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent, and safe for workers started together).

    A database already at the newest revision is left alone without importing Alembic, so a
    command's start costs a one-row read instead (issue 14: fast start)."""
    if at_head(engine):
        return
    from alembic import command

    with migration_lock(engine):
        command.upgrade(_alembic_config(engine), "heads")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        # Parallel branches (each feature's own revision) leave several heads until a merge revision.
        heads = MigrationContext.configure(conn).get_current_heads()
    return "+".join(sorted(heads)) if heads else None


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("articles")


def schema_url(url: str, schema: str) -> str:
    """``url`` whose PostgreSQL connections see ``schema`` only (its ``search_path``)."""
    return make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


@contextmanager
def private_schema(url: str, prefix: str) -> Iterator[str]:
    """A URL whose connections see only a new, empty schema of ``url``'s PostgreSQL database,
    dropped with all it holds on the way out: harnesses and tests share one server without seeing
    each other's rows. (``prefix``: not "pg_", which PostgreSQL reserves.)"""
    import uuid

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            yield schema_url(url, schema)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        admin.dispose()

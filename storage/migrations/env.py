"""Alembic environment: runs against the engine raqib hands over (no alembic.ini needed)."""

from alembic import context

from storage.models import Base

config = context.config
engine = config.attributes["engine"]


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()


if engine.dialect.name == "sqlite":
    # SQLite changes a constraint by recreating the table (batch mode); dropping a table other rows
    # point at fails while foreign keys are enforced, and the pragma is ignored inside a
    # transaction: switch it off before BEGIN, and check every reference before switching back.
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                _run(connection)
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left rows pointing nowhere: {broken[:5]}")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")
else:
    with engine.begin() as connection:
        _run(connection)

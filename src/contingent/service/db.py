"""Database access: engine, sessions and migrations.

SQLite (a file, the default) or PostgreSQL (``postgresql://...``, driven by psycopg 3).
Every write is one transaction (:meth:`Database.write`). On SQLite a write transaction starts
with ``BEGIN IMMEDIATE`` so that writers queue for the lock instead of failing half way, and
the journal is written ahead with full syncs, so a killed process loses nothing committed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from contingent.errors import InputError

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite:///contingent.db"


def normalize_url(url: str) -> URL:
    """A database URL for SQLAlchemy: ``postgresql://`` means psycopg 3; a bare path SQLite.

    Raises
    ------
    InputError
        For a URL of another kind.
    """
    text = url.strip()
    if "://" not in text:
        text = f"sqlite:///{text}"
    try:
        u = make_url(text)
    except Exception:
        raise InputError(f"not a database URL: {url!r}", field="--db") from None
    backend = u.get_backend_name()
    if backend == "postgresql":
        return u.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return u.set(drivername="sqlite")
    raise InputError(f"unsupported database {backend!r} (use sqlite:///FILE or "
                     "postgresql://...)", field="--db")


class Database:
    """An engine and its session factories.

    Parameters
    ----------
    url
        SQLAlchemy URL, or anything :func:`normalize_url` takes.
    """

    def __init__(self, url: str | URL) -> None:
        self.url = url if isinstance(url, URL) else normalize_url(url)
        self.sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"future": True}
        if self.sqlite:
            # The driver's own transaction handling is off; we say BEGIN ourselves (below).
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 60,
                                      "isolation_level": None}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.sqlite:
            _sqlite_setup(self.engine)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(self.engine.execution_options(immediate=True),
                                    expire_on_commit=False)

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return "sqlite" if self.sqlite else "postgresql"

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed."""
        with self._reader() as s:
            try:
                yield s
            finally:
                s.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._writer() as s, s.begin():
            yield s

    def migrate(self) -> None:
        """Bring the schema up to date (Alembic ``upgrade head``)."""
        upgrade(self.engine)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front: a transaction that read first and then tried
        # to write could otherwise fail once another writer got in between.
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def migrations_dir() -> Path:
    """Where the Alembic scripts are."""
    return Path(str(resources.files("contingent.service") / "migrations"))


def alembic_config(engine: Engine | None = None) -> Any:
    """An Alembic configuration for our scripts (no alembic.ini needed)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url",
                            engine.url.render_as_string(hide_password=False).replace("%", "%%"))
        cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the migrations up to ``revision``."""
    from alembic import command

    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    log.info("database schema at %s", revision)


__all__ = ["DEFAULT_URL", "Database", "alembic_config", "normalize_url", "upgrade"]

"""Fresh databases for the tests, on SQLite (the default) or PostgreSQL.

``KENES_TEST_DB=postgres`` with ``KENES_TEST_PG_URL=postgresql+asyncpg://user@host:port/postgres``
(a role that may create databases; `scripts/with-postgres` starts a throwaway server and sets it)
runs every database test on PostgreSQL; otherwise they run on SQLite files.

Every test gets a database of its own, cheaply: the migrations run once per session into a
template, and each test gets a copy (SQLite: a copy of the template file; PostgreSQL:
``CREATE DATABASE … TEMPLATE …``, prepared a few ahead and dropped behind the tests by a
background thread, so the server's work overlaps the tests').
"""

from __future__ import annotations

import asyncio
import itertools
import os
import queue
import shutil
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol

import asyncpg
from sqlalchemy.engine import make_url

from db.engine import upgrade_database

BACKENDS = ("sqlite", "postgres")


def backend() -> str:
    """The database the tests run on: ``sqlite`` or ``postgres`` (``KENES_TEST_DB``)."""
    name = os.environ.get("KENES_TEST_DB", "sqlite").strip().lower() or "sqlite"
    name = {"postgresql": "postgres", "pg": "postgres"}.get(name, name)
    if name not in BACKENDS:
        raise RuntimeError(f"KENES_TEST_DB={name!r}: use sqlite or postgres")
    return name


# The test's own folder for each database handed out: the data folder beside it (attached
# files, backups, imported plans), so that no test writes into the working directory (a
# PostgreSQL database has no file to stand beside).
_FOLDERS: dict[str, Path] = {}


def data_folder(url: str) -> Path | None:
    """The folder of the test that got the database at `url` (None: not one of ours)."""
    return _FOLDERS.get(url)


class Databases(Protocol):
    name: str

    def migrated(self, folder: Path) -> str:
        """The URL of a new database at the migrations' head."""

    def empty(self, folder: Path) -> str:
        """The URL of a new database without any table."""

    def release(self, url: str) -> None:
        """The test is over: the database may go."""

    def close(self) -> None: ...


class SqliteDatabases:
    name = "sqlite"

    def __init__(self, workdir: Path) -> None:
        self.template = workdir / "template.db"
        upgrade_database(f"sqlite+aiosqlite:///{self.template}")

    def migrated(self, folder: Path) -> str:
        target = folder / "kenes.db"
        shutil.copyfile(self.template, target)
        url = f"sqlite+aiosqlite:///{target}"
        _FOLDERS[url] = folder
        return url

    def empty(self, folder: Path) -> str:
        url = f"sqlite+aiosqlite:///{folder / 'kenes.db'}"
        _FOLDERS[url] = folder
        return url

    def release(self, url: str) -> None:
        pass  # the file goes with the test's tmp_path

    def close(self) -> None:
        pass


class PostgresDatabases:
    """Databases on one PostgreSQL server, made and dropped by a thread of their own."""

    name = "postgres"
    AHEAD = 4  # migrated databases prepared before a test asks

    def __init__(self, admin_url: str) -> None:
        url = make_url(admin_url)
        if url.get_backend_name() != "postgresql":
            raise RuntimeError(f"KENES_TEST_PG_URL is not a PostgreSQL URL: {url!r}")
        self.url = url.set(drivername="postgresql+asyncpg")
        self.prefix = f"kenes_test_{os.getpid()}"
        self.template = f"{self.prefix}_template"
        self._numbers = itertools.count(1)
        self._made: set[str] = set()
        self._ready: queue.Queue[Future[str]] = queue.Queue()
        self._lock = asyncio.Lock()  # one statement at a time on the admin connection
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kenes-test-pg")
        self._thread.start()
        self._conn: asyncpg.Connection[Any] = self._call(
            asyncpg.connect(self.url.set(drivername="postgresql").render_as_string(False))
        )
        self._create(self.template, template="template0")
        upgrade_database(self._url_of(self.template))
        for _ in range(self.AHEAD):
            self._prepare()

    # --- the tests' side -------------------------------------------------------------------

    def migrated(self, folder: Path) -> str:
        name = self._ready.get().result()
        self._prepare()
        url = self._url_of(name)
        _FOLDERS[url] = folder
        return url

    def empty(self, folder: Path) -> str:
        name = f"{self.prefix}_{next(self._numbers)}"
        self._create(name, template="template0")
        url = self._url_of(name)
        _FOLDERS[url] = folder
        return url

    def release(self, url: str) -> None:
        name = make_url(url).database
        assert name is not None and name.startswith(self.prefix), url
        self._submit(self._drop(name))  # in the background; the next test need not wait

    def close(self) -> None:
        try:
            while not self._ready.empty():
                self._ready.get().result()
            for name in sorted(self._made):
                self._call(self._drop(name))
            self._call(self._conn.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()
            self._loop.close()

    # --- the admin thread ------------------------------------------------------------------

    def _url_of(self, database: str) -> str:
        return self.url.set(database=database).render_as_string(hide_password=False)

    def _submit(self, coro: Coroutine[Any, Any, Any]) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def _call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return self._submit(coro).result()

    def _prepare(self) -> None:
        name = f"{self.prefix}_{next(self._numbers)}"
        self._ready.put(self._submit(self._make(name, self.template)))

    def _create(self, name: str, template: str) -> None:
        self._call(self._make(name, template))

    async def _make(self, name: str, template: str) -> str:
        # FILE_COPY: copying a small template's files is faster than WAL-logging its blocks.
        async with self._lock:
            await self._conn.execute(
                f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY'
            )
        self._made.add(name)
        return name

    async def _drop(self, name: str) -> None:
        async with self._lock:
            await self._conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._made.discard(name)


def open_databases(workdir: Path) -> Databases:
    if backend() == "postgres":
        admin_url = os.environ.get("KENES_TEST_PG_URL")
        if not admin_url:
            raise RuntimeError(
                "KENES_TEST_DB=postgres needs KENES_TEST_PG_URL (scripts/with-postgres sets it)"
            )
        return PostgresDatabases(admin_url)
    return SqliteDatabases(workdir)

"""PostgreSQL for tests: a uniquely named database per test run (or per test), dropped afterwards.

The server is ``UWC_TEST_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``). Where no server
answers, tests that need one are skipped saying so; under CI (``CI=true``) they fail instead, so a CI machine
without PostgreSQL never passes silently.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest

ADMIN_URL = os.environ.get("UWC_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def _admin():
    import psycopg

    return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)


def server_or_skip() -> None:
    import psycopg

    try:
        _admin().close()
    except psycopg.OperationalError as exc:
        reason = f"no PostgreSQL server answers at {ADMIN_URL} ({str(exc).splitlines()[0]})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + "; CI must run the PostgreSQL tests")
        pytest.skip(reason)


@contextmanager
def fresh_database(prefix: str = "uwc_test"):
    """Create ``<prefix>_<random>``; yield its URL; drop it (closing any connection left)."""
    from sqlalchemy.engine import make_url

    server_or_skip()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url():
    """An empty PostgreSQL database for one test."""
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
def pg_seeded(seeded):
    """A PostgreSQL database holding the seeded insurer data, for the session; the index comes from ``seeded``."""
    from seed_db.build import load_seed_data, write_database

    with fresh_database("uwc_test_seeded") as url:
        write_database(url, load_seed_data())
        yield {"url": url, "dir": seeded["dir"]}


class TcpProxy:
    """A loopback TCP forwarder to PostgreSQL that a test can cut and restore: "the database went down"."""

    def __init__(self, target: tuple[str, int] = ("127.0.0.1", 5432)):
        import socket
        import threading

        self.target = target
        self._socket, self._threading = socket, threading
        self._conns: list = []
        self._server = None
        self.port = None
        self.start()

    def start(self) -> None:
        s = self._socket.socket()
        s.setsockopt(self._socket.SOL_SOCKET, self._socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port or 0))
        s.listen(64)
        self.port = s.getsockname()[1]
        self._server = s
        self._threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def _accept(self, server) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = self._socket.create_connection(self.target)
            self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                self._threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        self._server.close()
        for c in self._conns:
            try:
                c.shutdown(self._socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass
        self._conns.clear()

    def url(self, database_url: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(database_url).set(port=self.port).render_as_string(hide_password=False)

"""PostgreSQL for tests: a uniquely named database per test run (or per test), dropped afterwards.

The server is ``UWC_TEST_POSTGRES`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``). Where no server
answers, tests that need one are skipped saying so; under CI (``CI=true``) they fail instead, so a CI machine
without PostgreSQL never passes silently.
"""

from __future__ import annotations

import os
import struct
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


def _url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


@contextmanager
def fresh_database(prefix: str = "uwc_test", seeded: bool = False):
    """Create ``<prefix>_<random>`` (empty, or with ``seeded`` a copy of the seeded template); yield its URL; drop
    it (closing any connection left)."""
    import psycopg

    server_or_skip()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with _admin() as conn:
        if not seeded:
            conn.execute(f'CREATE DATABASE "{name}"')
        else:
            try:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{seeded_template()}"')
            except psycopg.errors.InvalidCatalogName:  # a run of other code dropped it just then: build it again
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{seeded_template()}"')
    try:
        yield _url(name)
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


TEMPLATE_PREFIX = "uwc_test_template_"


def seeded_template() -> str:
    """A database holding the seeded insurer data, kept on the server between runs like the cached seed folders
    and named by the same key (inputs and builder code): a copy takes 0.1 s, a load 1.3 s. Built under a scratch
    name and renamed into place, so a concurrent run never copies half a load; templates of other keys are dropped
    when nobody is connected to them."""
    import psycopg

    from seed_db.build import load_seed_data, write_database
    from tests.conftest import seed_key

    server_or_skip()
    name = TEMPLATE_PREFIX + seed_key("postgres")
    with _admin() as conn:
        existing = [
            r[0]
            for r in conn.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", [TEMPLATE_PREFIX])
        ]
        for old in set(existing) - {name}:
            try:
                conn.execute(f'DROP DATABASE "{old}"')  # without FORCE: a template another run is copying stays
            except psycopg.Error:
                pass
        if name in existing:
            return name
        scratch = f"uwc_test_building_{uuid.uuid4().hex[:10]}"
        conn.execute(f'CREATE DATABASE "{scratch}"')
    try:
        write_database(_url(scratch), load_seed_data())
        with _admin() as conn:
            try:
                conn.execute(f'ALTER DATABASE "{scratch}" RENAME TO "{name}"')
            except psycopg.errors.DuplicateDatabase:
                pass  # another run built it first (the loads are identical)
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    return name


@pytest.fixture
def pg_url():
    """An empty PostgreSQL database for one test."""
    with fresh_database() as url:
        yield url


@pytest.fixture
def pg_seeded_copy():
    """A PostgreSQL database holding the seeded insurer data, for one test that may change it."""
    with fresh_database(seeded=True) as url:
        yield url


@pytest.fixture(scope="session")
def pg_seeded(seeded):
    """A PostgreSQL database holding the seeded insurer data, for the session; the index comes from ``seeded``."""
    with fresh_database("uwc_test_seeded", seeded=True) as url:
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
        self._lock = threading.Lock()  # a connection accepted while ``cut`` runs is dropped too, never missed
        self.port = None
        self.start()

    def start(self) -> None:
        s = self._socket.socket()
        s.setsockopt(self._socket.SOL_SOCKET, self._socket.SO_REUSEADDR, 1)
        if self.port:
            s.bind(("127.0.0.1", self.port))
        else:
            self._bind_below_ephemeral(s)
        s.listen(64)
        self.port = s.getsockname()[1]
        with self._lock:
            self._server = s
        self._threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def _bind_below_ephemeral(self, s) -> None:
        """A port clients never take as their own end: while the proxy is cut, a pool reconnecting to the port can
        get it as its source port (TCP connects to itself), and the restarted proxy finds the port in use."""
        import random

        for port in random.sample(range(20000, 32000), 200):
            try:
                s.bind(("127.0.0.1", port))
                return
            except OSError:
                continue
        s.bind(("127.0.0.1", 0))

    def _accept(self, server) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            try:
                upstream = self._socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._server is not server:  # cut since it was accepted: it goes down with the rest
                    for c in (client, upstream):
                        self._reset(c)
                    return
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
        with self._lock:
            server, self._server = self._server, None
            conns, self._conns = self._conns, []
        if server is not None:
            try:  # wakes the accept blocked on it: a socket closed under a blocked accept goes on listening
                server.shutdown(self._socket.SHUT_RDWR)
            except OSError:
                pass
            server.close()
        for c in conns:
            self._reset(c)

    def _reset(self, conn) -> None:
        """Close with a reset, not in order: nothing of it keeps the port while the proxy restarts on it."""
        try:
            conn.setsockopt(self._socket.SOL_SOCKET, self._socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
        except OSError:
            pass

    def url(self, database_url: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(database_url).set(port=self.port).render_as_string(hide_password=False)

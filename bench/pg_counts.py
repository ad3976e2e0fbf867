"""What one turn asks of PostgreSQL, counted (not a test): statements, round trips, transactions, pool checkouts.

    .venv/bin/python -m bench.pg_counts --data-dir var [--conversations 4] [--top 25]

One process, one copilot warmed as ``uwc serve`` warms it, on a database made for the run (seeded, dropped after);
one warm-up conversation, then ``--conversations`` conversations of ``bench.load``'s five questions, in sequence.
``--replicas 2``: two copilots, each turn of a conversation sent to the other one, as ``bench.load`` sends it to
the other process (each copilot then reads the turns the other wrote).
Counted per turn, on the client: statements psycopg runs (``executemany`` as one), round trips (each request
psycopg sends and waits for, its own BEGIN and COMMIT included, and each sync of a pipeline, whose statements
share one), checkouts of the checkpointer's pool and of the
stores' SQLAlchemy pools; on the server: transactions committed in the run's database (``pg_stat_database``).
Counts, unlike seconds, do not move with the machine's load; ``--top`` lists the statements by count.
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path


class Counter:
    """psycopg and the pools, patched to count (one process, for the benchmark only)."""

    def __init__(self) -> None:
        self.on = False
        self.counts: collections.Counter[str] = collections.Counter()
        self.statements: collections.Counter[str] = collections.Counter()

    def add(self, what: str, n: int = 1) -> None:
        if self.on:
            self.counts[what] += n

    def install(self) -> None:
        import psycopg
        import psycopg_pool
        from sqlalchemy import event
        from sqlalchemy.pool import Pool

        counter = self

        def counted(cls, name, label):
            original = getattr(cls, name)

            def wrapper(self, query, *args, **kwargs):
                if counter.on:
                    counter.counts[label] += 1
                    text = query.as_string(self) if hasattr(query, "as_string") else str(query)
                    counter.statements[" ".join(text.split())[:90]] += 1
                return original(self, query, *args, **kwargs)

            setattr(cls, name, wrapper)

        counted(psycopg.Cursor, "execute", "statements")
        counted(psycopg.Cursor, "executemany", "statements")
        import psycopg._cursor_base as cursor_base
        import psycopg.generators as generators

        exchange = generators.execute

        def exchanged(pgconn, *args, **kwargs):  # one request sent, its results read: a round trip
            counter.add("round trips")
            return (yield from exchange(pgconn, *args, **kwargs))

        generators.execute = cursor_base.execute = exchanged  # BEGIN and COMMIT too (psycopg's own statements)
        wait = psycopg.Connection.wait

        def waiting(self, gen, *args, **kwargs):
            if counter.on and getattr(self, "_counted_sync", False):  # a pipeline's sync: its statements' one trip
                gen = _probed(gen, counter)
            return wait(self, gen, *args, **kwargs)

        psycopg.Connection.wait = waiting  # type: ignore[method-assign]
        sync, leave = psycopg.Pipeline.sync, psycopg.Pipeline.__exit__

        def synced(self):
            self._conn._counted_sync = True
            try:
                return sync(self)
            finally:
                self._conn._counted_sync = False

        def left(self, *exc):
            self._conn._counted_sync = self.level == 1  # the outermost level syncs and reads every result
            try:
                return leave(self, *exc)
            finally:
                self._conn._counted_sync = False

        psycopg.Pipeline.sync = synced  # type: ignore[method-assign]
        psycopg.Pipeline.__exit__ = left  # type: ignore[method-assign]
        getconn = psycopg_pool.ConnectionPool.getconn

        def borrowed(self, *args, **kwargs):
            counter.add("checkouts: checkpointer's pool")
            return getconn(self, *args, **kwargs)

        psycopg_pool.ConnectionPool.getconn = borrowed  # type: ignore[method-assign]
        event.listen(Pool, "checkout", lambda *a: counter.add("checkouts: stores' pools"))


def _probed(gen, counter: Counter):
    """``gen`` (a psycopg generator), counting a round trip if it ever waits on the socket (a sync with nothing
    queued returns at once)."""
    try:
        value = next(gen)
    except StopIteration as done:
        return done.value
    counter.add("round trips")
    while True:
        try:
            value = gen.send((yield value))
        except StopIteration as done:
            return done.value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("var"))
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--conversations", type=int, default=4)
    parser.add_argument("--top", type=int, default=0, help="list this many statements by count")
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="copilots standing in for app processes; a conversation's turns go to each in turn, as in bench.load",
    )
    args = parser.parse_args()
    from core.settings import apply_offline_env

    apply_offline_env()
    import psycopg
    from sqlalchemy.engine import make_url

    from bench.load import SCRIPT
    from seed_db.build import load_seed_data, write_database

    source = args.data_dir.resolve()
    name = f"uwc_count_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.postgres, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)

    def committed() -> int:
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute("SELECT pg_stat_clear_snapshot()")
            row = admin.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = %s", (name,)).fetchone()
        return int(row[0]) if row else 0

    counter = Counter()
    try:
        write_database(url, load_seed_data())
        with tempfile.TemporaryDirectory(prefix="uwc-count-") as tmp:
            (Path(tmp) / "chroma").symlink_to(source / "chroma")
            os.environ.update({"UWC_MODEL": "offline", "UWC_DATA_DIR": tmp, "UWC_DATABASE_URL": url})
            from core.settings import get_settings
            from graph.copilot import Copilot

            counter.install()
            copilots = [Copilot(get_settings()) for _ in range(args.replicas)]
            copilot = copilots[0]
            for each in copilots:
                each.warm()
            try:
                warm = copilot.new_thread("warm-up").id
                for text in SCRIPT:
                    copilot.send(warm, text)
                threads = [copilot.new_thread("count").id for _ in range(args.conversations)]
                time.sleep(1.5)  # the server publishes a backend's counts at most once a second
                before = committed()
                times: list[float] = []
                counter.on = True
                cpu = time.process_time()
                for i, tid in enumerate(threads):
                    for t, text in enumerate(SCRIPT):
                        start = time.perf_counter()
                        copilots[(i + t) % len(copilots)].send(tid, text)
                        times.append(time.perf_counter() - start)
                cpu = time.process_time() - cpu
                counter.on = False
            finally:
                for each in copilots:
                    each.close()  # a closing backend publishes its counts
            time.sleep(1.5)
            commits = committed() - before
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    turns = len(times)
    print(f"{turns} turns, {args.conversations} conversations of {len(SCRIPT)}; per turn:")
    for what in ("statements", "round trips", "checkouts: checkpointer's pool", "checkouts: stores' pools"):
        print(f"  {what:<32} {counter.counts[what] / turns:7.1f}")
    print(f"  {'transactions committed (server)':<32} {commits / turns:7.1f}")
    print(f"  {'CPU of this process, ms':<32} {cpu * 1000 / turns:7.1f}")
    p50, top = statistics.median(times) * 1000, max(times) * 1000
    print(f"  turn p50 / max (one process, in sequence): {p50:.0f} / {top:.0f} ms")
    for text, n in counter.statements.most_common(args.top):
        print(f"  {n / turns:6.2f}  {text}")


if __name__ == "__main__":
    main()

"""Triage worker processes: ``uwc desk worker [--workers N]`` supervises N of them until SIGTERM or SIGINT.

Each worker is ``python -m desk.worker --slot I``: a DBOS executor named after the host and its slot. A worker that
dies (a crash, ``kill -9``) is started again in the same slot, and DBOS then recovers the workflows that executor
had begun, from their last finished step; its queued work is taken meanwhile by the other workers.
"""

from __future__ import annotations

import argparse
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from core.settings import Settings

RESTART_PAUSE = 0.5  # seconds before a dead worker's slot is started again (no busy loop on a crash at start)


def executor_id(slot: int) -> str:
    return f"{socket.gethostname()}-desk-{slot}"


def options_for(settings: Settings, slot: int):
    from desk.queue import WorkerOptions

    rate = (settings.desk_rate_limit, 60.0) if settings.desk_rate_limit else None
    return WorkerOptions(executor_id(slot), settings.desk_concurrency, rate)


def run_worker(settings: Settings, url: str, slot: int, stop: threading.Event, before_step=None) -> None:
    """One worker in this process until ``stop`` is set (``before_step``: a test's fault hook)."""
    from desk import queue

    queue.launch(settings, url, options_for(settings, slot), before_step=before_step)
    try:
        stop.wait()
    finally:
        queue.shutdown()


class Supervisor:
    """Keeps ``workers`` processes running (``command(slot)``), starting a dead one again in its slot."""

    def __init__(self, command: Callable[[int], list[str]], workers: int, env: dict | None = None):
        self.command, self.env = command, env
        self.procs = {slot: subprocess.Popen(command(slot), env=env) for slot in range(workers)}
        self.restarts = dict.fromkeys(self.procs, 0)

    def run(self, stop: threading.Event) -> dict[int, int]:
        """Until ``stop`` is set; then SIGTERM every worker and wait. Returns how often each slot was restarted."""
        try:
            while not stop.wait(0.2):
                for slot, proc in list(self.procs.items()):
                    if proc.poll() is not None:
                        time.sleep(RESTART_PAUSE)
                        self.procs[slot] = subprocess.Popen(self.command(slot), env=self.env)
                        self.restarts[slot] += 1
        finally:
            for proc in self.procs.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in self.procs.values():
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        return self.restarts


def supervise(
    command: Callable[[int], list[str]], workers: int, stop: threading.Event, env: dict | None = None
) -> dict[int, int]:
    """Keep ``workers`` processes running until ``stop`` is set (see ``Supervisor``)."""
    return Supervisor(command, workers, env).run(stop)


def worker_command(slot: int, data_dir: Path | None = None, url: str | None = None) -> list[str]:
    extra = (["--data-dir", str(data_dir)] if data_dir else []) + (["--url", url] if url else [])
    return [sys.executable, "-m", "desk.worker", "--slot", str(slot), *extra]


def stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def main(argv: list[str] | None = None, before_step=None) -> int:
    from core.redact import redact_error
    from core.settings import get_settings
    from desk.queue import engine_url

    parser = argparse.ArgumentParser(prog="python -m desk.worker", description="one triage worker process")
    parser.add_argument("--slot", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--url", default=None, help="the engine's database (default: from the settings)")
    args = parser.parse_args(argv)
    stop = stop_on_signals()
    try:
        settings = get_settings(data_dir=args.data_dir)
        run_worker(settings, args.url or engine_url(settings), args.slot, stop, before_step)
    except Exception as exc:  # a worker's last line, for the supervisor's log; it starts the slot again
        print(f"desk worker {args.slot}: {redact_error(exc)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

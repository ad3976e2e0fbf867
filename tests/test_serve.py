"""`uwc serve`: stops its Streamlit child on SIGTERM/SIGINT (no orphan), refuses a public address without sign-in."""

from __future__ import annotations

import os
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from app.cli import main as uwc
from app.serve import is_loopback
from tests.bench_ui import start, stop


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[1].startswith("Z"))


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc to find the child process")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_reaches_streamlit_and_nothing_is_left(seeded, sig):
    proc, url, _ = start(seeded["dir"])
    try:
        children = _children(proc.pid)
        assert children, "uwc serve should run Streamlit as its child"
        os.kill(proc.pid, sig)  # to the parent only, as `docker stop` does to PID 1
        assert proc.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(c) for c in children), "Streamlit outlived `uwc serve` (orphan)"
        with pytest.raises(OSError):
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
    finally:
        stop(proc)


def test_public_address_without_sign_in_is_refused(seeded, capsys):
    assert uwc(["serve", "--host", "0.0.0.0", "--data-dir", str(seeded["dir"])]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "UWC_AUTH" in err and "0.0.0.0" in err


def test_bad_auth_setting_is_one_line(seeded, capsys, monkeypatch):
    monkeypatch.setenv("UWC_AUTH", "demo")
    assert uwc(["serve", "--host", "0.0.0.0", "--data-dir", str(seeded["dir"])]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "UWC_AUTH_USERS" in err


@pytest.mark.parametrize(
    "host,loop",
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("localhost", True), ("0.0.0.0", False), ("::", False)]
    + [("10.0.0.5", False), ("example.org", False)],
)
def test_is_loopback(host, loop):
    assert is_loopback(host) is loop

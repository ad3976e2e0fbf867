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
from bench.ui import free_port, start, stop


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


def test_bracketed_ipv6_loopback_reaches_streamlit_bare(seeded, capsys, monkeypatch):
    """`--host "[::1]"` is how an IPv6 address is written in a URL; Streamlit's bind needs it bare."""
    started: list[list[str]] = []
    monkeypatch.setattr(
        "app.serve.run_supervised", lambda cmd, env, companions=(): started.append((cmd, companions)) or 0
    )
    assert uwc(["serve", "--host", "[::1]", "--port", str(free_port()), "--data-dir", str(seeded["dir"])]) == 0
    cmd, companions = started[0]
    assert cmd[cmd.index("--server.address") + 1] == "::1"
    assert "http://[::1]:" in capsys.readouterr().out
    assert [c[-4:] for c in companions] == [["desk", "worker", "--workers", "1"]]  # the desk's triage beside it


def test_companions_end_with_the_app(tmp_path):
    """The desk's workers run beside the app and never outlive it."""
    import os
    import sys

    from app.serve import run_supervised

    pid_file = tmp_path / "companion.pid"
    companion = [
        sys.executable,
        "-c",
        f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)",
    ]
    app = [sys.executable, "-c", "import time; time.sleep(1)"]
    assert run_supervised(app, dict(os.environ), companions=[companion]) == 0
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.parametrize("host", ["192.0.2.1", "[2001:db8::7]"])  # documentation addresses: never this machine's
def test_an_address_we_cannot_listen_on_is_one_line(seeded, capsys, monkeypatch, host):
    from app.auth import hash_password

    monkeypatch.setenv("UWC_AUTH", "demo")
    monkeypatch.setenv("UWC_AUTH_USERS", f"ann:user:{hash_password('pw')}")
    monkeypatch.setattr(
        "app.serve.run_supervised", lambda cmd, env, companions=(): pytest.fail("Streamlit must not start")
    )
    assert uwc(["serve", "--host", host, "--data-dir", str(seeded["dir"])]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot listen on" in err and host.strip("[]") in err


def test_a_port_in_use_is_one_line(seeded, capsys):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert uwc(["serve", "--port", str(port), "--data-dir", str(seeded["dir"])]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Address already in use" in err

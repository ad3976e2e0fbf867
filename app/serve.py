"""``uwc serve``: start the Streamlit server as a child process and stay its parent until it exits.

A container (and systemd, and a terminal's Ctrl+C) stops a process with SIGTERM or SIGINT. Without forwarding,
the parent would die and leave Streamlit serving, orphaned, on the port. Here both signals are passed on to
the child, the parent waits for it and exits with its code; on Linux the child also gets SIGTERM if the parent
is killed outright (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import ipaddress
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from desk.limits import MAX_FILE_BYTES, MB

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
UPLOAD_LIMIT_MB = MAX_FILE_BYTES // MB
STOP_GRACE_S = 15.0


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything: treat it as public


def bind_problem(host: str, port: int) -> str | None:
    """Why a server could not listen on ``host:port`` (a name that does not resolve, an address not of this
    machine, a port in use or privileged), found by binding a socket once here; None when it can. The server
    itself would say so with a traceback from deep inside its socket code."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: a closing socket is no obstacle
            sock.bind(address)
    except socket.gaierror as exc:
        return f"cannot listen on {host}: the name does not resolve ({exc.strerror})"
    except OSError as exc:
        return f"cannot listen on {host} port {port}: {exc.strerror or exc}"
    return None


def streamlit_command(host: str, port: int, secrets_file: Path | None = None) -> list[str]:
    page = Path(__file__).parent / "streamlit_app.py"
    cmd = [
        sys.executable,
        "-m",
        "app.streamlit_main",  # Streamlit's command line, warming the copilot's parts meanwhile
        "run",
        str(page),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--client.showErrorDetails",
        "none",  # no traceback reaches a user
        "--server.maxUploadSize",
        str(UPLOAD_LIMIT_MB),  # the uploader states the desk's own limit, not Streamlit's 200 MB
    ]
    if secrets_file is not None:
        cmd += ["--secrets.files", str(secrets_file)]
    return cmd


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass  # not Linux: forwarding below still covers SIGTERM and SIGINT


def run_supervised(cmd: list[str], env: dict[str, str], companions: list[list[str]] | None = None) -> int:
    """Run ``cmd`` as a child, forward stop signals to it, return its exit code (0 when we stopped it).
    ``companions`` (the desk's triage workers) run beside it, get the same signals and are stopped with it."""
    child = subprocess.Popen(cmd, env=env, preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    others = [
        subprocess.Popen(c, env=env, preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        for c in companions or []
    ]
    stopping = False

    def forward(signum, _frame):
        nonlocal stopping
        stopping = True
        for proc in (child, *others):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM if signum == signal.SIGHUP else signum)

    previous = {s: signal.signal(s, forward) for s in FORWARDED}
    try:
        while True:
            try:
                code = child.wait()
                break
            except KeyboardInterrupt:  # SIGINT already forwarded by the handler
                continue
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for proc in (child, *others):  # the app ended (or this loop failed): its companions end with it
            if proc.poll() is None:
                proc.terminate()
        for proc in (child, *others):
            try:
                proc.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
    # A child stopped by our forwarded signal is a clean stop, not a failure.
    return 0 if stopping and code in (0, -signal.SIGTERM, -signal.SIGINT, 130, 143) else code


def server_env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "UWC_DATA_DIR": str(data_dir)}

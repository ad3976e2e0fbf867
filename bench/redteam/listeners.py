"""Red team: network listeners and sign-in (``uwc mcp``, ``uwc serve``, the demo sign-in).

Each attack starts what it attacks as a user would (``uwc`` in a subprocess) on loopback; 0.0.0.0 is only ever
asked for to check that the listener refuses to start.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.redteam import Outcome, attack
from bench.ui import free_port

AREA = "listeners"
TOKEN = "redteam-token-0123456789abcdef"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "redteam", "version": "1"}},
}


def _uwc() -> list[str]:
    return [sys.executable, "-m", "app.cli"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and not k.startswith("UWC_")}
    return {**env, "UWC_TRACING": "false", **extra}


def _db_folder() -> Path:
    from tests.conftest import cached_seed

    return cached_seed("db")


@contextmanager
def _served_folder() -> Iterator[Path]:
    """A data folder `uwc serve` accepts (database and index), over the cached seed, removed after."""
    from tests.conftest import cached_seed

    cache = cached_seed("minilm")
    folder = Path(tempfile.mkdtemp(prefix="redteam-listeners-"))
    try:
        (folder / "uwc.db").symlink_to(cache / "uwc.db")
        shutil.copytree(cache / "chroma", folder / "chroma")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _one_clear_line(stderr: str) -> bool:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return len(lines) == 1 and "Traceback" not in stderr


@contextmanager
def _mcp_http(**env: str) -> Iterator[str]:
    """`uwc mcp --transport http` on a free loopback port; yields its URL once it answers."""
    import httpx

    port = free_port()
    cmd = [*_uwc(), "mcp", "--transport", "http", "--port", str(port), "--data-dir", str(_db_folder())]
    proc = subprocess.Popen(cmd, env=_env(**env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        if proc.poll() is not None:
            raise RuntimeError(f"uwc mcp exited: {proc.stderr.read().decode()[-300:] if proc.stderr else ''}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _post(url: str, **headers: str) -> int:
    import httpx

    base = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    return httpx.post(url, json=INITIALIZE, headers={**base, **headers}, timeout=10).status_code


@attack(AREA, "mcp over HTTP on 0.0.0.0 without a token")
def mcp_public_without_token() -> Outcome:
    cmd = [*_uwc(), "mcp", "--transport", "http", "--host", "0.0.0.0", "--port", str(free_port())]
    try:
        done = subprocess.run(
            [*cmd, "--data-dir", str(_db_folder())], env=_env(), capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:  # the refusal comes before any data is opened: a few seconds at most
        return Outcome(False, "uwc mcp started listening on 0.0.0.0 with no sign-in")
    held = done.returncode != 0 and _one_clear_line(done.stderr) and "UWC_MCP_TOKEN" in done.stderr
    return Outcome(held, f"exit {done.returncode}: {done.stderr.strip()[:200]}")


@attack(AREA, "mcp over HTTP with a token: requests without it")
def mcp_request_without_token() -> Outcome:
    with _mcp_http(UWC_MCP_TOKEN=TOKEN) as url:
        codes = {
            "none": _post(url),
            "wrong": _post(url, authorization="Bearer not-the-token-at-all-xyz"),
            "right": _post(url, authorization=f"Bearer {TOKEN}"),
        }
    held = codes["none"] == 401 and codes["wrong"] == 401 and codes["right"] == 200
    return Outcome(held, f"HTTP status without token {codes['none']}, wrong {codes['wrong']}, right {codes['right']}")


@attack(AREA, "mcp over HTTP: DNS rebinding (foreign Host and Origin)")
def mcp_dns_rebinding() -> Outcome:
    with _mcp_http() as url:  # loopback, no token: the case DNS rebinding targets
        port = url.rsplit(":", 1)[1].split("/")[0]
        host = _post(url, host=f"attacker.example:{port}")
        origin = _post(url, origin="http://attacker.example")
    return Outcome(host == 421 and origin == 403, f"foreign Host -> {host}, foreign Origin -> {origin}")


@attack(AREA, "mcp run_eval_tasks with a model the operator did not configure")
def mcp_foreign_model() -> Outcome:
    from mcp import Client

    from app.mcp_server import build_server
    from core.settings import Settings
    from tests.conftest import open_toolkit

    with tempfile.TemporaryDirectory(prefix="redteam-mcp-") as tmp:
        settings = Settings(data_dir=Path(tmp), model="offline")
        server = build_server(settings, open_toolkit(_db_folder()))

        async def go():
            async with Client(server) as client:
                return await client.call_tool(
                    "run_eval_tasks", {"tasks_file": "evals/regression/tasks.jsonl", "model": "openai/gpt-4o"}
                )

        result = asyncio.run(go())
        ran = list(settings.runs_dir.glob("*")) if settings.runs_dir.exists() else []
    text = result.content[0].text  # type: ignore[union-attr]
    held = result.is_error and "not allowed" in text and not ran
    return Outcome(held, text[:200])


def _deep(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"a": value}
    return value


@attack(AREA, "mcp over stdio: requests the SDK cannot read (lone surrogate, 500-deep, params 'x')")
def mcp_stdio_malformed() -> Outcome:
    lines = {
        1: '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_limits","arguments":{"naics":"\\ud800"}}}',
        2: json.dumps(
            {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "x", "arguments": _deep(500)}}
        ),
        3: '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":"x"}',
    }
    cmd = [*_uwc(), "mcp", "--data-dir", str(_db_folder())]
    proc = subprocess.Popen(cmd, env=_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdin is not None and proc.stdout is not None
    replies: dict = {}
    try:
        proc.stdin.write((json.dumps(INITIALIZE) + "\n").encode())
        proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        for line in lines.values():
            proc.stdin.write(line.encode() + b"\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 30
        while len(replies) < 1 + len(lines) and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            raw = proc.stdout.readline()
            if not raw:
                break
            reply = json.loads(raw)
            replies[reply.get("id")] = reply
    finally:
        proc.kill()
        proc.wait(10)
    answered = [i for i in lines if "error" in replies.get(i, {})]
    return Outcome(len(answered) == len(lines), f"{len(answered)} of {len(lines)} answered with a JSON-RPC error")


@attack(AREA, "uwc serve --host [::1]")
def serve_bracketed_ipv6() -> Outcome:
    import httpx

    port = free_port()
    with _served_folder() as folder, tempfile.TemporaryFile() as err:
        cmd = [*_uwc(), "serve", "--host", "[::1]", "--port", str(port), "--data-dir", str(folder)]
        proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        up = False
        try:
            deadline = time.monotonic() + 90
            while not up and proc.poll() is None and time.monotonic() < deadline:
                try:
                    up = httpx.get(f"http://[::1]:{port}/_stcore/health", timeout=1).status_code == 200
                except httpx.TransportError:
                    time.sleep(0.2)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, 9)
            proc.wait(10)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    held = "Traceback" not in stderr and (up or _one_clear_line(stderr))
    return Outcome(held, "serves on [::1]" if up else f"did not serve: {stderr.strip()[-200:]}")


@attack(AREA, "uwc serve on an address that is not this machine's")
def serve_foreign_address() -> Outcome:
    from app.auth import hash_password

    users = f"ann:user:{hash_password('redteam-pw')}"
    with _served_folder() as folder:
        cmd = [*_uwc(), "serve", "--host", "192.0.2.1", "--port", str(free_port()), "--data-dir", str(folder)]
        try:
            done = subprocess.run(
                cmd, env=_env(UWC_AUTH="demo", UWC_AUTH_USERS=users), capture_output=True, text=True, timeout=60
            )
        except subprocess.TimeoutExpired:
            return Outcome(False, "uwc serve neither started nor stopped within 60 s")
    held = done.returncode != 0 and _one_clear_line(done.stderr)
    return Outcome(held, f"exit {done.returncode}: {done.stderr.strip()[-200:]}")


@attack(AREA, "demo sign-in: 50 password guesses for one user")
def sign_in_guessing() -> Outcome:
    from app.auth import SIGN_IN_MAX_FAILURES, SignInThrottle, hash_password, load_demo_accounts, sign_in
    from core.settings import Settings

    accounts = load_demo_accounts(Settings(auth="demo", auth_users=f"alice:user:{hash_password('s3cret-pw')}"))
    throttle = SignInThrottle()  # a fresh process's counts, the real limits
    checked = 0
    for i in range(50):  # from ever-changing client addresses: the name's own limit must hold
        attempt = sign_in(accounts, "alice", f"guess-{i}", client=f"198.51.100.{i}", throttle=throttle)
        checked += attempt.retry_after_s == 0
    last = sign_in(accounts, "alice", "s3cret-pw", client="198.51.100.200", throttle=throttle)
    held = checked <= SIGN_IN_MAX_FAILURES and last.user is None and last.retry_after_s > 0
    return Outcome(held, f"{checked} of 50 guesses checked; then: {last.message}")


@attack(AREA, "mcp over stdio: one 100 MB line (300 MB was 1.3 GB) (r5)")
def _stdio_huge_line() -> Outcome:
    code = (
        "import resource, subprocess, sys, json\n"
        f"p = subprocess.Popen({_uwc()!r} + ['mcp'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)\n"
        f"p.stdin.write(json.dumps({INITIALIZE!r}) + '\\n')\n"
        'p.stdin.write(\'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"run_sql",\''
        " + '\"arguments\":{\"query\":\"' + 'a' * 100_000_000 + '\"}}}\\n')\n"
        "out, _ = p.communicate(timeout=240)\n"
        "print(json.dumps({'replies': out.splitlines()[-1][:200],"
        " 'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))\n"
    )
    env = _env(UWC_DATA_DIR=str(_db_folder()), PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    if proc.returncode:
        return Outcome(False, "crashed: " + proc.stderr[-200:])
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    return Outcome(
        r["rss"] < 300 and "-32600" in r["replies"], f"peak RSS {r['rss']:.0f} MB; last reply {r['replies'][:90]}"
    )


@attack(AREA, "demo sign-in behind a reverse proxy: one sprayer locks out everyone (r5)")
def _throttle_behind_proxy() -> Outcome:
    from app.auth import SignInThrottle, client_address, hash_password, load_demo_accounts, sign_in
    from core.settings import Settings

    accounts = load_demo_accounts(Settings(auth="demo", auth_users=f"alice:junior:{hash_password('right')}"))
    throttle, proxy, trusted = SignInThrottle(), "172.18.0.5", "172.16.0.0/12"
    for i in range(10):  # one browser guessing names behind the proxy
        sign_in(
            accounts, f"user{i}", "guess", client_address(proxy, {"X-Forwarded-For": "203.0.113.5"}, trusted), throttle
        )
    alice = sign_in(
        accounts, "alice", "right", client_address(proxy, {"X-Forwarded-For": "198.51.100.7"}, trusted), throttle
    )
    return Outcome(alice.user is not None, "alice signs in" if alice.user else f"alice refused: {alice.message}")

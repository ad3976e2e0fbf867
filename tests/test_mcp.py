"""``uwc mcp`` tested with the MCP SDK's own client: in-process, over stdio (a real subprocess) and streamable HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from contextlib import contextmanager

import pytest
from mcp import Client, StdioServerParameters

from app.cli import main as uwc
from app.mcp_access import ListenerRefused, http_access
from app.mcp_server import build_server, http_app
from app.mcp_stdio import serve as serve_stdio_on
from bench.ui import free_port
from core.settings import Settings


@pytest.fixture
def server(toolkit, tmp_path):
    return build_server(Settings(data_dir=tmp_path), toolkit)


def run(coro):
    return asyncio.run(coro)


def payload(result) -> dict:
    return json.loads(result.content[0].text)


async def exercise(client: Client) -> dict:
    """List tools, call one, get a guard refusal and the boundary's error for malformed arguments."""
    names = [t.name for t in (await client.list_tools()).tools]
    ok = await client.call_tool("get_deductible", {"naics": "484121", "lob": "auto"})
    guard = await client.call_tool("get_limits", {"naics": "722511", "lob": "umbrella"})
    malformed = await client.call_tool("get_limits", {"naics": 5, "bogus": True})
    unknown = await client.call_tool("drop_tables", {})
    return {"names": names, "ok": ok, "guard": guard, "malformed": malformed, "unknown": unknown}


def check(r: dict) -> None:
    assert {"check_appetite", "get_deductible", "record_finding", "run_eval_tasks", "read_eval_summary"} <= set(
        r["names"]
    )
    assert not r["ok"].is_error and payload(r["ok"])["deductible"] == 5000
    assert r["guard"].is_error and "not a product we write" in payload(r["guard"])["error"]
    malformed = payload(r["malformed"])
    assert r["malformed"].is_error and "unknown argument 'bogus'" in malformed["error"] and "lob" in malformed["error"]
    assert "get_limits takes" in malformed["hint"] and "Traceback" not in r["malformed"].content[0].text
    assert r["unknown"].is_error and "unknown tool" in payload(r["unknown"])["error"]


def test_in_process_client_sees_the_boundary(server):
    async def go():
        async with Client(server) as client:
            return await exercise(client)

    check(run(go()))


def test_tool_schemas_are_the_boundarys(server, toolkit):
    async def go():
        async with Client(server) as client:
            return {t.name: t.input_schema for t in (await client.list_tools()).tools}

    schemas = run(go())
    assert schemas["check_appetite"] == toolkit.specs["check_appetite"].json_schema


def test_the_evaluation_loop_over_mcp(server):
    async def go():
        async with Client(server) as client:
            bad = await client.call_tool("run_eval_tasks", {"tasks_file": "/etc/passwd"})
            ran = await client.call_tool("run_eval_tasks", {"tasks_file": "evals/regression/tasks.jsonl", "limit": 2})
            runs = await client.call_tool("list_eval_runs", {})
            summary = await client.call_tool("read_eval_summary", {"run": "latest"})
            failures = await client.call_tool("read_eval_failures", {"run": payload(ran)["run"]})
            missing = await client.call_tool("read_eval_summary", {"run": "../../etc"})
            return bad, ran, runs, summary, failures, missing

    bad, ran, runs, summary, failures, missing = run(go())
    assert bad.is_error and "no task file" in payload(bad)["error"]
    assert not ran.is_error and payload(ran)["summary"]["conversations"] == 2
    assert payload(ran)["summary"]["findings_checked"] >= 1
    assert payload(runs)["runs"][0]["run"] == payload(ran)["run"]
    assert payload(summary)["summary"]["tasks"] == 2
    assert payload(failures)["failures"] == 0
    assert missing.is_error and "no run" in payload(missing)["error"]


def test_the_submission_desk_over_mcp(server):
    """The same way in as the page and the CLI: a submission taken in, queued, and read back; bad input refused."""
    import base64

    letter = "Applicant: Harbor Lights Diner LLC\nNAICS: 722511\nState: NC\nAnnual revenue: $1,200,000\n"

    async def go():
        async with Client(server) as client:
            taken = await client.call_tool("submit_submission", {"file_name": "letter.txt", "text": letter})
            sid = payload(taken)["submissions"][0]["id"]
            read = await client.call_tool("read_submission", {"submission_id": sid})
            zipped = base64.b64encode(b"PK\x03\x04" + bytes(60)).decode()
            archive = await client.call_tool("submit_submission", {"file_name": "a.zip", "content_base64": zipped})
            both = await client.call_tool(
                "submit_submission", {"file_name": "x", "text": "a", "content_base64": "YQ=="}
            )
            junk = await client.call_tool("submit_submission", {"file_name": "x.pdf", "content_base64": "%%%"})
            unknown = await client.call_tool("read_submission", {"submission_id": "SUB-nope"})
            return taken, read, archive, both, junk, unknown

    taken, read, archive, both, junk, unknown = run(go())
    facts = {f["fact"]: f["value"] for f in payload(taken)["submissions"][0]["facts"]}
    assert facts["naics"] == "722511" and facts["annual_revenue"] == 1_200_000
    assert not read.is_error and payload(read)["status"] == "new"  # queued: a desk worker triages it
    assert archive.is_error and "archive" in payload(archive)["error"]
    assert both.is_error and "not both" in payload(both)["error"]
    assert junk.is_error and "base64" in payload(junk)["error"]
    assert unknown.is_error and "no submission" in payload(unknown)["error"]


@pytest.mark.slow  # a fresh interpreter
def test_stdio_transport_with_a_real_subprocess(seeded):
    env = {**os.environ, "UWC_TRACING": "false"}
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "app.cli", "mcp", "--data-dir", str(seeded["dir"])], env=env
    )

    async def go():
        async with Client(params) as client:
            return await exercise(client)

    check(run(go()))


@contextmanager
def listening(server, settings: Settings, host: str = "127.0.0.1"):
    """The HTTP app (with the access rules ``uwc mcp`` derives from ``settings``) on a free loopback port."""
    import uvicorn

    port = free_port()
    app = http_app(server, http_access(settings, host))
    web = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not web.started and time.monotonic() < deadline:
            time.sleep(0.05)
        yield f"http://{'[::1]' if host == '::1' else host}:{port}/mcp"
    finally:
        web.should_exit = True
        thread.join(10)


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}


def post(url: str, **headers: str) -> int:
    """The status of an ``initialize`` POST with these extra headers."""
    import httpx

    base = {"content-type": "application/json", "accept": "application/json, text/event-stream"}
    return httpx.post(url, json=INITIALIZE, headers={**base, **headers}, timeout=10).status_code


def test_streamable_http_transport_on_loopback(server, tmp_path):
    with listening(server, Settings(data_dir=tmp_path)) as url:

        async def go():
            async with Client(url) as client:
                return await exercise(client)

        check(run(go()))


TOKEN = "t0k3n-for-the-tests-0123456789"


def test_http_with_a_token_needs_it(server, tmp_path):
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    with listening(server, Settings(data_dir=tmp_path, mcp_token=TOKEN)) as url:
        assert post(url) == 401
        assert post(url, authorization="Bearer wrong-token-of-some-length") == 401
        assert post(url, authorization=TOKEN) == 401  # not a bearer credential
        assert post(url, authorization=f"Bearer {TOKEN}") == 200

        async def go():
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as http:
                async with Client(streamable_http_client(url, http_client=http)) as client:
                    return await exercise(client)

        check(run(go()))


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_http_refuses_foreign_host_and_origin(server, tmp_path, host):
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host and Origin."""
    with listening(server, Settings(data_dir=tmp_path), host=host) as url:
        port = url.rsplit(":", 1)[1].split("/")[0]
        assert post(url, host=f"evil.example:{port}") == 421
        assert post(url, origin="http://evil.example") == 403
        assert post(url, origin=f"http://localhost:{port}") == 200
        assert post(url) == 200


def test_configured_host_names_are_accepted(server, tmp_path):
    with listening(server, Settings(data_dir=tmp_path, mcp_allowed_hosts="mcp.example.org")) as url:
        assert post(url, host="mcp.example.org:443", origin="https://mcp.example.org") == 200
        assert post(url, host="other.example.org") == 421


@pytest.mark.parametrize(
    "host,token,allowed,needle",
    [
        ("0.0.0.0", None, "", "UWC_MCP_TOKEN"),
        ("::", None, "mcp.example.org", "UWC_MCP_TOKEN"),
        ("10.0.0.5", None, "", "without sign-in"),
        ("example.org", None, "", "without sign-in"),
        ("127.0.0.1", "short", "", "16 characters"),
        ("0.0.0.0", TOKEN, "", "UWC_MCP_ALLOWED_HOSTS"),
    ],
)
def test_listener_that_must_not_start(host, token, allowed, needle):
    with pytest.raises(ListenerRefused, match=needle):
        http_access(Settings(mcp_token=token, mcp_allowed_hosts=allowed), host)


def test_listener_rules():
    assert http_access(Settings(), "127.0.0.1").token is None
    public = http_access(Settings(mcp_token=TOKEN), "10.0.0.5")
    assert public.token == TOKEN and "10.0.0.5" in public.allowed_hosts
    wildcard = http_access(Settings(mcp_token=TOKEN, mcp_allowed_hosts="MCP.example.org, [2001:db8::1]"), "0.0.0.0")
    assert "0.0.0.0" not in wildcard.allowed_hosts
    assert {"mcp.example.org", "2001:db8::1", "127.0.0.1"} <= set(wildcard.allowed_hosts)
    assert "[2001:db8::1]:*" in wildcard.transport_security().allowed_hosts


@pytest.mark.parametrize("host", ["0.0.0.0", "[::]", "192.168.1.9"])
def test_mcp_command_refuses_an_open_public_listener(seeded_db, capsys, monkeypatch, host):
    monkeypatch.delenv("UWC_MCP_TOKEN", raising=False)
    argv = ["mcp", "--transport", "http", "--host", host, "--data-dir", str(seeded_db["dir"])]
    assert uwc(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "UWC_MCP_TOKEN" in err and "Traceback" not in err


def test_a_caller_names_only_the_configured_models(toolkit, tmp_path):
    settings = Settings(data_dir=tmp_path, mcp_models="openai/gpt-4o-mini")
    server = build_server(settings, toolkit)

    async def go():
        async with Client(server) as client:
            foreign = await client.call_tool(
                "run_eval_tasks", {"tasks_file": "evals/regression/tasks.jsonl", "model": "anthropic/claude-opus-4"}
            )
            listed = await client.call_tool(
                "run_eval_tasks", {"tasks_file": "evals/regression/tasks.jsonl", "model": "offline", "limit": 1}
            )
            return foreign, listed

    foreign, listed = run(go())
    assert foreign.is_error and "not allowed" in payload(foreign)["error"]
    assert "openai/gpt-4o-mini" in payload(foreign)["hint"] and "offline" in payload(foreign)["hint"]
    assert not listed.is_error and payload(listed)["summary"]["conversations"] == 1
    assert not list(settings.runs_dir.glob("*/summary.json"))[1:]  # the refused call ran nothing


def _deep(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"a": value}
    return value


MALFORMED = [  # (line, the id its reply must carry, the JSON-RPC error code)
    (
        '{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"get_limits",'
        '"arguments":{"naics":"\\ud800","lob":"auto"}}}',
        11,
        -32700,
    ),
    (
        json.dumps(
            {"jsonrpc": "2.0", "id": 12, "method": "tools/call", "params": {"name": "x", "arguments": _deep(500)}}
        ),
        12,
        -32700,
    ),
    ('{"jsonrpc":"2.0","id":"thirteen","method":"tools/call","params":"x"}', "thirteen", -32600),
    ("not json at all", None, -32700),
]


def _serve_lines(server, lines: list[str], wrap=lambda stdin: stdin) -> str:
    """Serves the lines on stdio as a client would send them (stdin kept open until the reply to id 99 is out)."""
    import io

    out = io.StringIO()
    read_fd, write_fd = os.pipe()

    def client() -> None:
        with os.fdopen(write_fd, "w", encoding="utf-8") as pipe:
            pipe.write("\n".join(lines) + "\n")
            pipe.flush()
            deadline = time.monotonic() + 60
            while '"id":99' not in out.getvalue() and time.monotonic() < deadline:
                time.sleep(0.02)

    writer = threading.Thread(target=client, daemon=True)
    writer.start()
    with os.fdopen(read_fd, encoding="utf-8") as stdin:
        serve_stdio_on(server, wrap(stdin), out)
    writer.join(5)
    return out.getvalue()


def test_every_stdio_request_gets_a_reply(server):
    """Each malformed line is answered with a JSON-RPC error; the session goes on serving afterwards."""

    init = json.dumps(INITIALIZE)
    initialized = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"})
    listing = json.dumps({"jsonrpc": "2.0", "id": 99, "method": "tools/list"})
    lines = [init, initialized, *(m[0] for m in MALFORMED), listing]
    out = _serve_lines(server, lines)
    replies = {r["id"]: r for r in map(json.loads, out.splitlines())}
    for _, rid, code in MALFORMED:
        assert replies[rid]["error"]["code"] == code, replies[rid]
    assert "lone UTF-16 surrogate" in replies[11]["error"]["message"]
    assert "params" in replies["thirteen"]["error"]["message"]
    assert any(t["name"] == "get_limits" for t in replies[99]["result"]["tools"])


class _Sized:
    """A text stream that notes the longest line it ever handed out: what the server held of one line at once."""

    def __init__(self, inner):
        self.inner, self.longest = inner, 0

    def readline(self, size=-1):
        line = self.inner.readline(size)
        self.longest = max(self.longest, len(line))
        return line


def test_a_stdio_line_over_the_limit_is_refused_as_it_is_read(server, monkeypatch):
    """A line longer than the limit is skipped to its end a chunk at a time and answered (id null, as its id cannot
    be read); the next request is served. The server never holds more than the limit of it."""

    import app.mcp_stdio as stdio

    monkeypatch.setattr(stdio, "MAX_LINE_CHARS", 1_000)
    monkeypatch.setattr(stdio, "_SKIP_CHUNK", 100)
    huge = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": {"name": "run_sql", "arguments": {"q": "a" * 50_000}},
        }
    )
    initialized = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"})
    lines = [
        json.dumps(INITIALIZE),
        initialized,
        huge,
        json.dumps({"jsonrpc": "2.0", "id": 99, "method": "tools/list"}),
    ]
    sources: list[_Sized] = []
    out = _serve_lines(server, lines, wrap=lambda stdin: sources.append(_Sized(stdin)) or sources[-1])
    source = sources[0]
    replies = [json.loads(r) for r in out.splitlines()]
    refused = [r for r in replies if "error" in r]
    assert len(refused) == 1 and refused[0]["id"] is None and refused[0]["error"]["code"] == -32600
    assert "over 1,000 characters" in refused[0]["error"]["message"]
    assert any(r.get("id") == 99 and r["result"]["tools"] for r in replies)
    assert source.longest <= 1_001


def test_run_eval_tasks_on_a_binary_file_is_a_tool_error(toolkit, tmp_path):
    from app.mcp_server import EvalTools

    (tmp_path / "uwc.db").write_bytes(b"\xb2\x00" * 100)
    ok, result = EvalTools(Settings(data_dir=tmp_path), toolkit).call(
        "run_eval_tasks", {"tasks_file": str(tmp_path / "uwc.db")}
    )
    assert not ok and "not UTF-8 text" in result["error"], result

"""``uwc mcp`` tested with the MCP SDK's own client: in-process, over stdio (a real subprocess) and streamable HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time

import pytest
from mcp import Client, StdioServerParameters

from app.mcp_server import build_server, http_app
from core.settings import Settings
from tests.bench_ui import free_port


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


def test_streamable_http_transport_on_loopback(server):
    import uvicorn

    port = free_port()
    web = uvicorn.Server(uvicorn.Config(http_app(server), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=web.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not web.started and time.monotonic() < deadline:
            time.sleep(0.05)

        async def go():
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                return await exercise(client)

        check(run(go()))
    finally:
        web.should_exit = True
        thread.join(10)

"""Red team, text: what is shown, logged and stored. Markdown from the database or the address bar must render as
text (no link, image or HTML), a secret echoed by a provider must be neither shown nor stored, and a number that is
not one must be a clear tool error."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.redteam import Outcome, attack

APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
EVIL = "Evil [click](http://example.invalid) ![x](http://example.invalid/x.png) <img src=x> www.example.invalid"
EVIL_THREAD = "x` [a](http://example.invalid) ![i](http://example.invalid/i.png) `y"


@contextlib.contextmanager
def _folder(rename: str | None = None) -> Iterator[Path]:
    """A private copy of the seeded data folder (optionally with APP-0138 renamed), removed afterwards."""
    from tests.conftest import cached_seed

    seeded = cached_seed("minilm")
    tmp = Path(tempfile.mkdtemp(prefix="redteam-text-"))
    try:
        data = tmp / "data"
        shutil.copytree(seeded, data, ignore=shutil.ignore_patterns("conversations.db*", "checkpoints.db*", "runs"))
        if rename:
            with sqlite3.connect(data / "uwc.db") as conn:
                conn.execute("UPDATE applicant SET company_name = ? WHERE id = 'APP-0138'", (rename,))
        yield data
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _pages(data: Path, **env: str) -> Iterator[None]:
    """The app's pages over ``data``: Streamlit's process-wide caches are cleared before and after."""
    import streamlit as st

    with _environment(UWC_DATA_DIR=str(data), **env):
        st.cache_resource.clear()
        st.cache_data.clear()
        try:
            yield
        finally:
            st.cache_resource.clear()
            st.cache_data.clear()


def _page(**query):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    return at.run()


def _verdict(found: list[str], where: str) -> Outcome:
    if found:
        return Outcome(False, f"{len(found)} link/image/HTML in {where}: {found[:2]}")
    return Outcome(True, f"no link, image or HTML in {where}")


@attack("text", "markdown applicant name")
def markdown_name() -> Outcome:
    """An applicant named with a link, an image and HTML, opened in a conversation and answered."""
    from tests.rendered import links_and_images

    with _folder(rename=EVIL) as data, _pages(data):
        at = _page()
        at.selectbox(key="chat-applicant").set_value("APP-0138").run()
        at.button(key="chat-open-applicant").click().run()
        at.run()
        if at.exception or not any("Evil" in b.label for b in at.sidebar.button):
            return Outcome(False, f"the page did not show the conversation: {[e.value for e in at.exception]}")
        return _verdict(links_and_images(at), "the chat, facts panel and sidebar")


@attack("text", "markdown ?thread= value")
def thread_parameter() -> Outcome:
    """A ``?thread=`` value that closes the warning's code span and carries a link and an image, on the chat page
    and on the sign-in page (and after signing in)."""
    from app.auth import hash_password
    from tests.rendered import links_and_images

    found: list[str] = []
    with _folder() as data:
        with _pages(data):
            found += links_and_images(_page(thread=EVIL_THREAD))
        with _pages(data, UWC_AUTH="demo", UWC_AUTH_USERS=f"ana:user:{hash_password('ana-pass')}"):
            at = _page(thread=EVIL_THREAD)
            found += links_and_images(at)
            at.text_input(key="signin-name").input("ana")
            at.text_input(key="signin-password").input("ana-pass")
            at.button[0].click().run()
            found += links_and_images(at)
    return _verdict(found, "the chat page and the sign-in page")


@attack("text", "echoed unknown-format key and URL password")
def echoed_secrets() -> Outcome:
    """A provider that echoes the key (a format no pattern knows) and the base and proxy URL passwords, in an error
    and in an answer: neither may be shown, nor stored in the data folder (checkpoints, conversations, telemetry)
    nor in the recorded cassette."""
    from core import tracing
    from core.settings import get_settings
    from graph.copilot import Copilot
    from tests.provider_mock import ProviderMock, Reply

    key, base, proxy = "q7.Unkn0wn~fmt.k3y", "b4se.Pa55~word", "pr0xy~Pa55!w0rd"

    def echo(call) -> Reply:
        said = f"key {call.headers.get('Authorization', '')} {key} http://joe:{proxy}@proxy {proxy} {base}"
        last = [m["content"] for m in call.body["messages"] if m["role"] == "user"][-1]
        return Reply(status=400, error=f"Invalid request: {said}") if "first" in str(last) else Reply(content=said)

    with _folder() as data, ProviderMock(echo) as mock:
        host = mock.url.split("://", 1)[1]
        cassette = data / "calls.jsonl"
        env = {
            "OPENAI_API_KEY": key,
            "HTTPS_PROXY": f"http://joe:{proxy}@127.0.0.1:9",
            "NO_PROXY": "127.0.0.1,localhost",
            "UWC_API_BASE": f"http://base:{base}@{host}/v1",
            "UWC_MODEL": "openai/gpt-4.1-mini",
        }
        with _environment(**env):
            tracing.configure(data / "telemetry.db", batch_delay_ms=10)
            cp = Copilot(get_settings(data_dir=data, record=cassette))
            try:
                tid = cp.new_thread().id
                shown = [cp.send(tid, "first question").error, cp.send(tid, "second question").answer]
                shown += [
                    json.dumps(cp.history(tid), default=repr)
                ]  # readings are typed objects: their repr shows their values
            finally:
                cp.close()
                tracing.flush()
                tracing.configure(None)
        if len(mock.calls) != 2:
            return Outcome(False, f"the provider was called {len(mock.calls)} times, not twice")
        leaks = [f"{s[:4]}… shown" for s in (key, base, proxy) if any(s in (t or "") for t in shown)]
        for path in (p for p in data.rglob("*") if p.is_file() and p.suffix not in (".bin", ".sqlite3")):
            body = path.read_bytes()
            leaks += [f"{s[:4]}… in {path.name}" for s in (key, base, proxy) if s.encode() in body]
    if leaks:
        return Outcome(False, "; ".join(leaks))
    return Outcome(True, "the key and both URL passwords are in no reply, store, telemetry or cassette")


@attack("text", "NaN, Infinity and negative revenue")
def impossible_numbers() -> Outcome:
    """NaN, Infinity and -1 as revenue, employees and a finding's deductible: each a clear tool error."""
    from tests.conftest import cached_seed, open_toolkit

    toolkit = open_toolkit(cached_seed("db"))
    bad = []
    for value in (float("nan"), float("inf"), -1, "NaN", "Infinity"):
        for tool, args, name in (
            ("check_small_business", {"naics": "722511"}, "annual_revenue"),
            ("check_appetite", {"naics": "722511", "state": "OH", "lob": "property"}, "employees"),
            ("record_finding", {"task_type": "deductible", "summary": "x", "citations": []}, "deductible"),
        ):
            event = toolkit.call(tool, {**args, name: value})
            error = str(event.result.get("error", "")) if isinstance(event.result, dict) else ""
            if event.ok or event.error_kind == "internal" or name not in error:
                bad.append(f"{tool}({name}={value!r}): {error or 'accepted'}")
    if bad:
        return Outcome(False, f"{len(bad)} unclear: {bad[0]}")
    return Outcome(True, "15 impossible numbers, 15 clear tool errors naming the argument")


@attack("text", "a model's answer with a backslash before link syntax (r5)")
def _model_backslash() -> Outcome:
    from app.ui.escape import model_markdown
    from tests.rendered import active_markup

    answers = [
        "[Pay the fee\\](//example.invalid/pay)",
        "\\<ftp://example.invalid/x>",
        "[r\\][1]\n\n[1\\]: //example.invalid",
    ]
    made = [m for a in answers for m in active_markup(model_markdown(a))]
    return Outcome(not made, f"{len(made)} links or autolinks made" + (f": {made[:3]}" if made else ""))

"""OIDC sign-in end to end: `uwc serve` with UWC_AUTH=oidc (Streamlit's st.login) against a local mock provider
(`oidc-provider-mock`), driven in Debian's Chromium. A signed-in user sees their own conversations only."""

from __future__ import annotations

import os
import re
import secrets
import shutil
from pathlib import Path

import pytest

from bench.ui import CHROMIUM, free_port, launch, start, stop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium; .ci/run does)"
    ),
]


def test_oidc_sign_in_and_ownership(seeded, tmp_path, monkeypatch):
    from oidc_provider_mock import run_server_in_thread
    from playwright.sync_api import expect, sync_playwright

    from graph.threads import ThreadStore

    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the mock provider speaks plain HTTP on loopback
    data = tmp_path / "data"
    shutil.copytree(seeded["dir"], data, ignore=shutil.ignore_patterns("conversations.db*", "checkpoints.db*", "runs"))
    store = ThreadStore(data / "conversations.db")
    theirs = store.create("Bob's trucking question", owner="bob@example.org")
    mine = store.create("Ann's bakery question", owner="ann@example.org")
    store.close()
    port = free_port()
    with run_server_in_thread() as provider:
        env = {
            "UWC_AUTH": "oidc",
            "UWC_OIDC_METADATA_URL": f"http://127.0.0.1:{provider.server_port}/.well-known/openid-configuration",
            "UWC_OIDC_CLIENT_ID": "uwc-test",
            "UWC_OIDC_CLIENT_SECRET": secrets.token_hex(8),
            "UWC_OIDC_REDIRECT_URI": f"http://127.0.0.1:{port}/oauth2callback",
            "UWC_OIDC_COOKIE_SECRET": secrets.token_hex(16),
            "UWC_ADMINS": "",
        }
        proc, _, _ = start(data, port, env)
        try:
            with sync_playwright() as p:
                browser = launch(p)
                try:
                    page = browser.new_page()
                    page.goto(f"http://127.0.0.1:{port}/")
                    page.get_by_role("button", name="Sign in").click()
                    page.locator("input[name=sub]").fill("ann@example.org")
                    page.get_by_role("button", name="Authorize").click()
                    expect(page.get_by_text("Signed in as").first).to_be_visible(timeout=60_000)
                    # the page shows data text with a word joiner where an autolink would start (app/ui/escape.py)
                    expect(page.get_by_text(re.compile("ann@\u2060?example\\.org")).first).to_be_visible()
                    expect(page.get_by_text("Ann's bakery question").first).to_be_visible(timeout=30_000)
                    assert page.get_by_text("Bob's trucking question").count() == 0
                    page.goto(f"http://127.0.0.1:{port}/?thread={theirs.id}")  # a guessed link
                    expect(page.get_by_text("does not exist").first).to_be_visible(timeout=60_000)
                    page.goto(f"http://127.0.0.1:{port}/?thread={mine.id}")
                    expect(page.get_by_role("heading", name="Ann's bakery question")).to_be_visible(timeout=60_000)
                finally:
                    browser.close()
        finally:
            stop(proc)
    assert os.environ.get("UWC_AUTH") is None

"""End to end in Debian's Chromium: `uwc serve` over a copy of the seeded data, a three-turn conversation with the
offline model, the finding card and a tool step, a refresh that restores the conversation. Prints the cold start
and the time from Enter to the first visible step or token (measured, not asserted); saves screenshots."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.bench_ui import CHROMIUM, QUESTIONS, ask, launch, open_app, serve

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium; .ci/run does)"
)
OUTPUT = Path(__file__).resolve().parents[1] / "test-output" / "browser"  # git-ignored


@pytest.fixture
def data_copy(seeded, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(seeded["dir"], copy, ignore=shutil.ignore_patterns("conversations.db*", "checkpoints.db*", "runs"))
    return copy


def test_conversation_in_the_browser(data_copy, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    OUTPUT.mkdir(parents=True, exist_ok=True)
    with serve(data_copy, log=tmp_path / "serve.log") as (url, health_s), sync_playwright() as p:
        browser = launch(p)
        try:
            page, cold_s = open_app(browser, url, height=2400)
            expect(page.get_by_text("UWC_MODEL").first).to_be_visible()  # how to configure an LLM

            first = [ask(page, QUESTIONS[0])]
            last = page.get_by_test_id("stChatMessage").last
            expect(last).to_contain_text("NAICS code")  # the copilot asks for the code first
            assert re.search(r"[?&]thread=[0-9a-f]{12}", page.url)
            first.append(ask(page, QUESTIONS[1]))
            expect(page.get_by_test_id("stChatMessage").last).to_contain_text("revenue")
            first.append(ask(page, QUESTIONS[2]))

            card = page.locator("[class*='st-key-finding-']").last
            expect(card).to_contain_text("Small-business test")
            expect(card).to_contain_text("Small business")
            expect(card).to_contain_text("small-business-rule")
            step = (
                page.get_by_test_id("stChatMessage")
                .last.get_by_test_id("stExpander")
                .filter(has_text="check_small_business")
                .first
            )
            expect(step).to_contain_text("722511")
            step.locator("summary").click()
            expect(step).to_contain_text("Arguments")
            expect(step).to_contain_text("annual_revenue")
            expect(page.get_by_text("What the copilot knows")).to_be_visible()
            page.wait_for_timeout(300)
            page.screenshot(path=str(OUTPUT / "chat.png"), full_page=True)
            shutil.copy(OUTPUT / "chat.png", tmp_path / "chat.png")
            section = card.get_by_test_id("stExpander").filter(has_text="small-business-rule").first
            section.locator("summary").click()  # a cited section opens its text
            expect(section).to_contain_text("small businesses only")

            thread_url = page.url
            page.reload()  # a refresh keeps the conversation: it is in the URL and the checkpointer
            page.get_by_test_id("stChatInputTextArea").wait_for()
            expect(page.locator("[class*='st-key-finding-']").last).to_contain_text("Small business")
            assert page.url == thread_url
        finally:
            browser.close()

    figures = {
        "server_health_s": round(health_s, 3),
        "cold_start_s": round(cold_s, 3),
        "enter_to_first_step_or_token_s": [round(x, 3) for x in first],
    }
    (OUTPUT / "timings.json").write_text(json.dumps(figures, indent=2))
    print(f"\nUI timings (offline model): {figures}; screenshot {OUTPUT / 'chat.png'}")

"""Text from data is shown as text: an applicant name or a ``?thread=`` value written as Markdown makes no link,
image or HTML anywhere on the page (chat, facts panel, sidebar, warnings, sign-in page)."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from tests.rendered import links_and_images, shown_markdown
from tests.test_app import checked, run

pytestmark = pytest.mark.integration

EVIL = "Evil [click](http://example.invalid) ![x](http://example.invalid/x.png) <img src=x>"
EVIL_URLS = " www.example.invalid mail@example.invalid https://example.invalid/p"
# A backtick closes the code span the warning puts the id in, and the rest is Markdown again.
EVIL_THREAD = "x` [a](http://example.invalid) ![i](http://example.invalid/i.png) `y"
APPLICANT = "APP-0138"


@pytest.fixture
def evil_data_dir(seeded, tmp_path, monkeypatch):
    """The pages over a copy of the seeded database where one applicant's name and description are Markdown."""
    from tests.conftest import _page_folder

    d = tmp_path / "data"
    d.mkdir()
    shutil.copy(seeded["db"], d / "uwc.db")
    (d / "chroma").symlink_to(seeded["dir"] / "chroma")
    with sqlite3.connect(d / "uwc.db") as conn:
        conn.execute(
            "UPDATE applicant SET company_name = ?, description = ? WHERE id = ?",
            (EVIL + EVIL_URLS, EVIL + "\n\n# heading " + EVIL_URLS, APPLICANT),
        )
    yield from _page_folder(d, monkeypatch)


def test_a_markdown_applicant_name_is_plain_text_everywhere(evil_data_dir):
    at = run()
    at.selectbox(key="chat-applicant").set_value(APPLICANT).run()
    checked(at.button(key="chat-open-applicant").click().run())
    checked(at.run())  # the queued opening question is answered
    shown = "\n".join(shown_markdown(at))
    assert "Evil" in shown and any("Evil" in b.label for b in at.sidebar.button)  # the name is there: as text
    assert [m for m in at.chat_message if m.name == "assistant"], "the copilot answered"
    assert "This conversation: **Evil" in "\n".join(c.value for c in at.caption)
    assert links_and_images(at) == []
    at.switch_page("views/applicants.py").run()
    checked(at.text_input(key="applicant-search").input(APPLICANT).run())
    assert "Evil" in "\n".join(shown_markdown(at)) and links_and_images(at) == []


@pytest.mark.parametrize("value", [EVIL, EVIL_THREAD])
def test_a_markdown_thread_parameter_is_plain_text_in_the_warning(seeded_data_dir, value):
    at = run(thread=value)
    assert any("does not exist" in w.value for w in at.warning)
    assert links_and_images(at) == []


def test_a_markdown_thread_parameter_on_the_sign_in_page(seeded_data_dir, monkeypatch):
    from app.auth import hash_password

    monkeypatch.setenv("UWC_AUTH", "demo")
    monkeypatch.setenv("UWC_AUTH_USERS", f"ana:user:{hash_password('ana-pass')}")
    at = run(thread=EVIL_THREAD)
    assert at.text_input(key="signin-name") and links_and_images(at) == []
    at.text_input(key="signin-name").input("ana")
    at.text_input(key="signin-password").input("ana-pass")
    checked(at.button[0].click().run())
    assert any("does not exist" in w.value for w in at.warning)
    assert links_and_images(at) == []

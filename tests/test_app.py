"""The Streamlit pages, run headless with ``AppTest`` over the session's seeded data and the offline rules model."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from graph.threads import ThreadStore

APP = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")
SMALL_BUSINESS = (
    "Can you check if this one is in the small business bucket? It's a full-service restaurant, NAICS 722511"
)


@pytest.fixture
def data_dir(seeded, tmp_path, monkeypatch):
    """The seeded database and index (shared, read-only) with this test's own conversations."""
    d = tmp_path / "data"
    d.mkdir()
    (d / "uwc.db").symlink_to(seeded["db"])
    (d / "chroma").symlink_to(seeded["dir"] / "chroma")
    monkeypatch.setenv("UWC_DATA_DIR", str(d))
    st.cache_resource.clear()  # settings, engine and copilot are per process: rebuild them over this folder
    yield d
    st.cache_resource.clear()


@pytest.fixture
def store(data_dir):
    s = ThreadStore(data_dir / "conversations.db")
    yield s
    s.close()


def run(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    return checked(at.run())


def checked(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def send(at: AppTest, text: str) -> AppTest:
    return checked(at.chat_input[0].set_value(text).run())


def messages(at: AppTest, role: str) -> list[str]:
    return ["\n".join(md.value for md in m.markdown) for m in at.chat_message if m.name == role]


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_two_turn_conversation_shows_steps_and_a_finding_card(data_dir, store):
    at = run()
    assert "Offline rules model" in "\n".join(i.value for i in at.sidebar.info)  # and how to configure an LLM
    assert "UWC_MODEL" in "\n".join(i.value for i in at.sidebar.info)
    send(at, SMALL_BUSINESS)
    assert "revenue" in messages(at, "assistant")[-1]  # the copilot asks for the missing fact
    thread = at.query_params["thread"]
    assert store.exists(thread) and at.session_state["thread_id"] == thread

    send(at, "about $2M in revenue")
    steps = [e.label for e in at.expander if "check_small_business" in e.label]
    assert any("annual_revenue=2000000" in label for label in steps)
    text = markdown(at)
    assert "**Finding** · Small-business test" in text and "Small business]" in text  # the card and its badge
    assert any(e.label.startswith("small-business-rule — ") for e in at.expander)  # cited section opens its text
    assert "out of appetite for every line of business" in text  # the section's text is in the card
    assert "**NAICS**: 722511" in text and "**Revenue**: $2,000,000" in text  # what the copilot knows
    assert [m for m in messages(at, "user")] == [SMALL_BUSINESS, "about $2M in revenue"]


def test_an_applicant_opens_in_a_new_conversation_with_the_rules_applied(data_dir, store):
    at = run()
    at.switch_page("views/applicants.py").run()
    checked(at.text_input(key="applicant-search").input("Harbor Point Lodge").run())
    assert at.selectbox[0].value == "APP-0138"
    checked(at.button(key="applicant-open").click().run())
    assert messages(at, "user")[0] == "Is Harbor Point Lodge LLC (APP-0138) in appetite for Workers Compensation?"
    assert any(e.label.startswith("**find_applicant**") for e in at.expander)
    assert any(e.label.startswith("**check_appetite**") for e in at.expander)
    text = markdown(at)
    assert "**Rules applied**" in text and "small business" in text
    assert "This conversation: **Harbor Point Lodge LLC** (APP-0138)" in "\n".join(c.value for c in at.caption)
    assert store.get(at.query_params["thread"]).applicant_id == "APP-0138"


def test_feedback_is_stored(data_dir, store):
    at = run()
    send(at, "Is Harbor Point Lodge LLC in appetite for property?")
    thread = at.query_params["thread"]
    widget = at.feedback[-1]
    message_id = widget.key.removeprefix("fb-").removesuffix("-rating")
    checked(widget.set_value(0).run())  # thumbs down
    assert store.feedback(thread) == {message_id: {"rating": -1, "comment": None}}
    checked(at.text_input(key=f"fb-{message_id}-comment").input("Should ask about sprinklers").run())
    checked(at.feedback[-1].set_value(1).run())  # changed to thumbs up: the comment stays
    assert store.feedback(thread) == {message_id: {"rating": 1, "comment": "Should ask about sprinklers"}}


def test_switching_conversations_restores_their_history(data_dir, store):
    at = run()
    send(at, "Is Harbor Point Lodge LLC in appetite for property?")
    first = at.query_params["thread"]
    checked(at.button(key="conv-new").click().run())
    assert "thread" not in at.query_params and not at.chat_message
    send(at, "What deductible should we offer for commercial auto for a long-distance trucker, NAICS 484121?")
    second = at.query_params["thread"]
    assert second != first and len(store.list()) == 2

    checked(at.button(key=f"conv-{first}").click().run())
    assert at.query_params["thread"] == first
    assert messages(at, "user") == ["Is Harbor Point Lodge LLC in appetite for property?"]
    assert "**Finding** · Appetite check" in markdown(at)

    refreshed = run(thread=second)  # a new session (a refresh, a link): the URL brings the conversation back
    assert messages(refreshed, "user")[0].startswith("What deductible")
    assert "$5,000" in markdown(refreshed)


def test_rename_and_delete_a_conversation(data_dir, store):
    at = run()
    send(at, "Is Harbor Point Lodge LLC in appetite for property?")
    thread = at.query_params["thread"]
    next(t for t in at.text_input if t.label == "Title").input("Harbor Point — property")
    checked(next(b for b in at.button if b.label == "Rename").click().run())
    assert store.get(thread).title == "Harbor Point — property"
    checked(at.button(key="conv-delete").click().run())
    assert not store.exists(thread) and "thread" not in at.query_params
    assert any("Deleted the conversation" in i.value for i in at.info)


def test_bad_input_is_refused_with_the_limit(data_dir, store):
    at = run()
    send(at, "   ")  # ignored
    assert not at.error and not store.list()
    send(at, "x" * 8_001)
    errors = "\n".join(e.value for e in at.error)
    assert "8,001 characters" in errors and "8,000" in errors
    assert not store.list() and not at.chat_input[0].proto.disabled  # nothing kept, input usable again


def test_unknown_thread_in_the_url_is_a_readable_warning(data_dir, store):
    at = run(thread="feedbeef0000")
    assert any("does not exist" in w.value for w in at.warning)
    assert "thread" not in at.query_params and at.chat_input


def test_a_deleted_applicant_is_a_readable_warning(data_dir, store):
    thread = store.create("Gone Ltd", applicant_id="APP-9999")
    at = run(thread=thread.id)
    assert any("APP-9999" in w.value and "no longer in the database" in w.value for w in at.warning)


def test_a_model_error_is_readable_and_the_conversation_stays(data_dir, store, monkeypatch):
    from tests.fakes import OpenAIServer

    with OpenAIServer(lambda body: {"status": 401}) as server:
        monkeypatch.setenv("UWC_MODEL", "openai/gpt-test")
        monkeypatch.setenv("UWC_API_BASE", server.url)
        at = run()
        assert any("openai/gpt-test" in s.value for s in at.sidebar.success)
        send(at, "Is Harbor Point Lodge LLC in appetite for property?")
    assert any("OPENAI_API_KEY" in e.value for e in at.error)
    assert messages(at, "user") == ["Is Harbor Point Lodge LLC in appetite for property?"]
    assert store.exists(at.query_params["thread"])


def test_guidelines_page_browses_sections_by_id(data_dir):
    at = run(section="auto-qualified")
    at.switch_page("views/guidelines.py").run()
    at = checked(at)
    assert at.selectbox[0].value == "auto-qualified"
    checked(at.selectbox[0].set_value("products-not-written").run())
    assert at.query_params["section"] == "products-not-written"
    assert "umbrella" in markdown(at).lower()


def test_missing_database_is_a_readable_error(tmp_path, monkeypatch):
    monkeypatch.setenv("UWC_DATA_DIR", str(tmp_path / "empty"))
    st.cache_resource.clear()
    try:
        at = run()
        assert any("missing or unreadable" in e.value and "uwc seed" in e.value for e in at.error)
    finally:
        st.cache_resource.clear()


def test_locked_database_message(data_dir):
    from app.ui.common import database_message

    assert "busy" in database_message(OperationalError("SELECT 1", {}, Exception("database is locked")))
    assert "missing or unreadable" in database_message(
        OperationalError("SELECT 1", {}, Exception("unable to open database file"))
    )

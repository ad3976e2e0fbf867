"""The Streamlit pages, run headless with ``AppTest`` over the session's seeded data and the offline rules model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from graph.threads import ThreadStore
from tests.rendered import plain

# Every test here drives the whole page through AppTest: left out of `make test-fast`.
pytestmark = pytest.mark.integration

APP = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")
SMALL_BUSINESS = (
    "Can you check if this one is in the small business bucket? It's a full-service restaurant, NAICS 722511"
)


@pytest.fixture
def data_dir(seeded_data_dir):  # the pages over the seeded database and index
    return seeded_data_dir


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


def sidebar_keys(at: AppTest) -> list[str]:
    """The conversation buttons listed in the sidebar."""
    return [b.key for b in at.sidebar.button if b.key and b.key.startswith("conv-") and len(b.key) == 17]


def messages(at: AppTest, role: str) -> list[str]:
    """What each message of ``role`` reads (its Markdown as the reader sees it)."""
    return ["\n".join(plain(md.value) for md in m.markdown) for m in at.chat_message if m.name == role]


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
    steps = [e.label for e in at.expander if e.label.startswith("**Small-business test**")]
    assert any("Revenue \\$2,000,000" in label for label in steps)  # labels and dollars, not annual_revenue=2000000
    text = markdown(at)
    assert "**Finding** · Small-business test" in text and "Small business]" in text  # the card and its badge
    assert any(e.label.startswith("small-business-rule — ") for e in at.expander)  # cited section opens its text
    assert "out of appetite for every line of business" in text  # the section's text is in the card
    assert "**NAICS**: 722511" in text and "**Revenue**: \\$2,000,000" in text  # what the copilot knows
    assert [m for m in messages(at, "user")] == [SMALL_BUSINESS, "about $2M in revenue"]


def test_an_applicant_opens_in_a_new_conversation_with_the_rules_applied(data_dir, store):
    at = run()
    at.switch_page("views/applicants.py").run()
    checked(at.text_input(key="applicant-search").input("Harbor Point Lodge").run())
    assert at.selectbox[0].value == "APP-0138"
    checked(at.button(key="applicant-open").click().run())
    assert messages(at, "user")[0] == "Is Harbor Point Lodge LLC (APP-0138) in appetite for Workers Compensation?"
    assert any(e.label.startswith("**Applicant lookup**") for e in at.expander)
    assert any(e.label.startswith("**Appetite check**") for e in at.expander)
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
    checked(at.checkbox(key=f"conv-delete-confirm-{thread}").check().run())
    checked(at.button(key="conv-delete").click().run())
    assert "thread" not in at.query_params and f"conv-{thread}" not in sidebar_keys(at)
    assert store.exists(thread)  # until the undo time is over
    at.session_state["pending_delete"] = {**at.session_state["pending_delete"], "at": 0.0}
    checked(at.run())
    assert not store.exists(thread) and not sidebar_keys(at)


def test_bad_input_is_refused_with_the_limit(data_dir, store):
    at = run()
    send(at, "   ")  # ignored
    assert not at.error and not store.list()
    assert not at.chat_input[0].proto.max_chars  # a browser-side limit would drop a longer paste without a word
    long = "Is Harbor Point Lodge LLC in appetite? " + "x" * 8_000
    at.session_state["pending_message"] = long  # a message that reaches the page some other way
    checked(at.run())
    errors = "\n".join(e.value for e in at.error)
    assert f"{len(long):,} characters" in errors and "8,000" in errors
    assert long in [c.value for c in at.code]  # the text is kept, to copy and shorten
    assert not store.list() and not at.chat_input[0].proto.disabled  # nothing kept, input usable again
    checked(at.button(key="not-sent-dismiss").click().run())
    assert not at.error


def test_a_message_to_a_busy_conversation_is_kept_with_why(data_dir, store, monkeypatch):
    """Two tabs of one server sending at once: the second message is not sent, and it says so and keeps the text
    (it used to vanish). A busy conversation in another process (ThreadBusy) is shown the same way."""
    import threading

    from app import resources
    from app.ui.turns import Turn
    from graph.copilot import Copilot, ThreadBusy

    at = run()
    send(at, "What deductible should we offer APP-0042?")
    tid = store.list()[0].id
    other_tab = Turn(tid, "a message from another tab", n_before=2)
    resources.turn_runner()._turns[tid] = other_tab  # still running, as if another tab had just sent it
    threading.Timer(1.0, other_tab.done.set).start()  # the other tab's turn ends while this page watches it
    try:
        send(at, "and for auto?")
        errors = "\n".join(e.value for e in at.error)
        assert "Message not sent" in errors and "another tab" in errors
        assert "and for auto?" in [c.value for c in at.code]
    finally:
        other_tab.done.set()
        resources.turn_runner().pop(tid)
    checked(at.button(key="not-sent-dismiss").click().run())

    def busy(self, thread_id, text, **kwargs):
        raise ThreadBusy("this conversation is busy: another window or process is answering in it")

    monkeypatch.setattr(Copilot, "send", busy)
    send(at, "and for property?")
    errors = "\n".join(e.value for e in at.error)
    assert "Message not sent" in errors and "busy" in errors
    assert "and for property?" in [c.value for c in at.code]
    assert len([m for m in messages(at, "user")]) == 1 and threading.active_count() >= 1


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
    assert any("OPENAI_API_KEY" in plain(e.value) for e in at.error)
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


# --- issue 11: the copilot page underwriters can rely on -------------------------------------------------------


def test_a_business_not_on_file_answers_and_survives_a_reload(data_dir, store):
    at = run()
    send(at, "Is Blue Heron Motel in appetite for property?")  # find_applicant returns "applicant": null
    assert "NAICS code" in messages(at, "assistant")[-1]
    assert any(e.label.startswith("**Applicant lookup**") for e in at.expander)
    assert "Not in our submissions" in markdown(at)
    thread = at.query_params["thread"]
    assert not at.chat_input[0].proto.disabled
    again = run(thread=thread)  # a reload brings it back, usable
    assert messages(again, "user") == ["Is Blue Heron Motel in appetite for property?"]
    send(again, "It's a motel, NAICS 721110")
    assert "state" in messages(again, "assistant")[-1]


def test_an_unexpected_error_is_one_line_with_a_logged_reference(data_dir, store, monkeypatch):
    import logging

    from app.ui import messages as ui_messages

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("uwc.app").addHandler(handler)
    try:
        at = run()
        send(at, "Is Harbor Point Lodge LLC in appetite for property?")
        thread = at.query_params["thread"]

        def broken(message, sections):
            raise AttributeError("'NoneType' object has no attribute 'get'")

        monkeypatch.setattr(ui_messages, "render_answer_body", broken)
        again = run(thread=thread)
        shown = [e.value for e in again.error]
        assert len(shown) == 1 and "reference `" in shown[0] and "AttributeError" not in shown[0]
        ref = shown[0].split("reference `")[1].split("`")[0]
        assert any(ref in r.getMessage() and r.exc_info for r in records)  # the traceback is in the server log
        assert messages(again, "user") == ["Is Harbor Point Lodge LLC in appetite for property?"]
        monkeypatch.undo()
        send(again, "What deductible should we offer?")  # the conversation stays usable
        assert "Deductible" in markdown(again)
    finally:
        logging.getLogger("uwc.app").removeHandler(handler)


def test_the_served_configuration_hides_exception_details(monkeypatch, seeded):
    import tomllib

    from app import cli, serve

    config = tomllib.loads((Path(APP).parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    seen = {}
    monkeypatch.setattr(serve, "run_supervised", lambda cmd, env=None, companions=(): seen.setdefault("cmd", cmd) and 0)
    from bench.ui import free_port

    assert cli.main(["serve", "--data-dir", str(seeded["dir"]), "--port", str(free_port())]) == 0
    cmd = seen["cmd"]
    assert cmd[cmd.index("--client.showErrorDetails") + 1] == "none"


def test_labels_links_and_a_formatted_answer(data_dir, store):
    at = run()
    send(at, "Is Harbor Point Lodge LLC in appetite for property?")
    send(at, "What other lines can we offer?")
    shown = markdown(at) + "\n".join(c.value for c in at.caption) + "\n".join(e.label for e in at.expander)
    for code in ("workers_compensation", "general_liability", "exclude_lob", "['naics']"):
        assert code not in shown, code
    assert "Commercial Auto" in shown and "Except Property" in shown
    last = [m for m in at.chat_message if m.name == "assistant"][-1]
    answer = next(md.value for md in last.markdown if "Sources:" in md.value)
    assert answer.startswith("**")  # the determination headline
    assert "\n- " in answer  # the reasons as bullets
    assert "Sources: [product-recommendations](guidelines?section=product-recommendations)" in answer
    card = markdown(at)
    assert "(guidelines?section=small-business-rule)" in card  # rules applied link their sections
    assert "[Open `product-recommendations` on the Guidelines page](guidelines?section=product-recommendations)" in card
    at.switch_page("views/applicants.py").run()
    table = checked(at).dataframe[0].value
    assert "workers_compensation" not in set(table["Requested line"]) and "Workers Compensation" in set(
        table["Requested line"]
    )


def test_guideline_search_lists_matching_passages_and_links_cross_references(data_dir):
    at = run()
    at.switch_page("views/guidelines.py").run()
    checked(at.text_input(key="guideline-filter").input("monopolistic").run())
    links = at.get("page_link")
    assert links and all("monopolistic" in str(link.proto).lower() or "section" in str(link.proto) for link in links)
    assert "monopolistic-states" in " ".join(c.value for c in at.caption)
    passages = [m.value for m in at.markdown if "**monopolistic**" in m.value.lower()]
    assert passages  # the matching passage, the word in bold
    assert not at.get("selectbox")  # a search lists matches instead of showing the overview
    checked(at.text_input(key="guideline-filter").input("").run())
    checked(at.selectbox[0].set_value("sector-appetite").run())
    assert "(guidelines?section=sector-appetite-services)" in markdown(at)  # a cross-reference is a link
    assert at.query_params["section"] == "sector-appetite"


def test_editing_a_fact_sends_it_and_redoes_the_determination(data_dir, store):
    at = run()
    send(at, "Is Harbor Point Lodge LLC in appetite for property?")  # wood frame hotel: no
    assert "Not in appetite" in markdown(at)
    construction = next(s for s in at.selectbox if (s.key or "").startswith("fact-construction-"))
    assert construction.value == "Wood frame"
    construction.set_value("Fire-resistive")
    checked(at.button(key="facts-send").click().run())
    assert messages(at, "user")[-1] == "The building's construction is fire-resistive."
    assert "In appetite" in markdown(at).split("**Finding**")[-1]
    revenue = next(n for n in at.number_input if (n.key or "").startswith("fact-annual_revenue-"))
    revenue.set_value(60_000_000)
    checked(at.button(key="facts-send").click().run())
    assert messages(at, "user")[-1] == "Annual revenue is $60,000,000."
    assert "Not in appetite" in markdown(at).split("**Finding**")[-1]  # not small any more


def test_follow_ups_copy_button_and_examples_that_work(data_dir, store, seeded):
    from sqlalchemy import create_engine, text

    at = run()
    examples = [b for b in at.button if (b.key or "").startswith("example-")]
    assert len(examples) == 3
    names = set(create_engine(seeded["url"]).connect().execute(text("SELECT company_name FROM applicant")).scalars())
    assert all(any(n in b.label for n in names) for b in examples) and "Harbor Lights" not in markdown(at)
    checked(examples[0].click().run())
    assert "**Finding** · Appetite check" in markdown(at)
    assert any("uwc-copy" in h.proto.body for h in at.get("html"))  # a copy button on the answer
    follow = [b for b in at.button if (b.key or "").startswith("follow-")]
    assert [b.label for b in follow] == [
        "What other lines can we offer?",
        "What limits should we offer?",
        "What deductible should we offer?",
    ]
    checked(follow[0].click().run())
    assert messages(at, "user")[-1] == "What other lines can we offer?"
    assert "**Finding** · Other lines to offer" in markdown(at)

    for i in (1, 2):  # the other examples lead to an answer too
        fresh = run()
        checked(fresh.button(key=f"example-{i}").click().run())
        assert "**Finding**" in markdown(fresh)


def test_stop_ends_a_turn_cleanly_and_the_next_message_works(data_dir, store, monkeypatch):
    from langchain_core.messages import AIMessage, HumanMessage

    import graph.copilot
    from app import resources
    from tests.fakes import ScriptedModel, tool_call

    def decide(history):
        asked = [m for m in history if isinstance(m, HumanMessage)][-1].content
        if asked != "stop me":
            return AIMessage("The deductible is $500 [deductibles-standard].")
        if isinstance(history[-1], HumanMessage):
            return tool_call("find_applicant", {"name_or_id": "APP-0138"})
        runner = resources.turn_runner()
        assert runner.stop(store.list()[0].id)  # the Stop button, clicked while the turn runs
        return tool_call("get_deductible", {"naics": "721110", "lob": "property"}, n=2)

    monkeypatch.setattr(graph.copilot, "make_model", lambda settings, catalog, model=None: ScriptedModel(decide))
    at = run()
    send(at, "stop me")
    warning = "\n".join(w.value for w in at.warning)
    assert "Stopped at your request" in warning
    labels = [e.label for e in at.expander]
    assert any(label.startswith("**Applicant lookup**") for label in labels)
    assert any(label.startswith("**Deductible**") and "failed" in label for label in labels), (
        labels
    )  # answered as stopped
    send(at, "What deductible?")
    assert "The deductible is" in messages(at, "assistant")[-1]
    assert not at.chat_input[0].proto.disabled


def test_sidebar_search_dates_paging_and_undo(data_dir, store):
    for i in range(45):
        store.create(f"Applicant number {i:02d} with a rather long conversation title about property")
    store.create("Bakery — cyber")
    at = run()
    keys = sidebar_keys(at)
    assert len(keys) == 40 and at.button(key="conv-more")
    first = at.button(key=keys[0])
    assert first.help.startswith("Bakery — cyber") and "UTC" in first.help  # full title and date on hover
    assert "Today" in [c.value for c in at.sidebar.caption]
    checked(at.button(key="conv-more").click().run())
    assert len(sidebar_keys(at)) == 46
    checked(at.text_input(key="conv-search").input("bakery").run())
    assert len(sidebar_keys(at)) == 1
    bakery = sidebar_keys(at)[0]
    checked(at.button(key=bakery).click().run())
    thread = bakery.removeprefix("conv-")
    assert at.button(key="conv-delete").disabled  # confirm first
    checked(at.checkbox(key=f"conv-delete-confirm-{thread}").check().run())
    checked(at.button(key="conv-delete").click().run())
    assert not sidebar_keys(at) and store.exists(thread)
    checked(at.button(key="conv-undo-button").click().run())
    assert sidebar_keys(at) == [bakery] and at.query_params["thread"] == thread


def test_evaluation_chart_stays_readable_when_every_rate_is_zero(data_dir):
    from tests.test_eval_page import write_run

    write_run(resources_runs(data_dir), "20260101-000000", [True] * 6, "offline")
    at = AppTest.from_file(str(Path(APP).parent / "views" / "evaluation.py"), default_timeout=60).run()
    checked(at)
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    rates = next(s for s in specs if "share" in json.dumps(s))
    assert rates["encoding"]["y"]["scale"]["domain"] == [0, 0.1]
    assert rates["encoding"]["y"]["axis"]["format"] == ".0%"
    assert "No tool errors and no invented products in this run." in [c.value for c in at.caption]


def resources_runs(data_dir: Path) -> Path:
    from core.settings import get_settings

    return get_settings().runs_dir


def test_stop_ends_a_streaming_model_reply_and_the_thread_stays_valid(data_dir):
    import threading
    import time

    from langchain_core.messages import AIMessage

    from core.settings import get_settings
    from graph.copilot import Copilot
    from graph.state import for_model

    class Slow:  # a provider streaming one token every 50 ms: 100 in its first reply, one afterwards
        is_llm, name = True, "slow"
        replies = 0

        def invoke(self, messages, tools, on_token=None):
            self.replies += 1
            for i in range(100 if self.replies == 1 else 1):
                time.sleep(0.05)
                if on_token:
                    on_token(f"Word {i}. ")  # the live stream passes whole sentences
            return AIMessage("the full answer")

    copilot = Copilot(get_settings(), model=Slow())
    try:
        thread = copilot.new_thread().id
        stop = threading.Event()
        seen = []

        def on_event(event):
            seen.append(event)
            if len(seen) == 3:
                stop.set()  # the Stop button, three tokens in

        result = copilot.send(thread, "hello", on_event=on_event, cancel=stop)
        assert result.stopped and len(seen) < 10  # it did not wait for the 100 tokens
        history = copilot.history(thread)
        assert [(m["role"], m.get("kind")) for m in history] == [("user", None), ("assistant", "stopped")]
        messages = copilot.graph.get_state(copilot._config(thread)).values["messages"]
        assert all(m.content for m in for_model(messages))
        assert copilot.send(thread, "again").answer == "the full answer"  # the next message works
    finally:
        copilot.close()

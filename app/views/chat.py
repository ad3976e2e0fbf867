"""The chat page: ask the copilot, watch its steps, read the finding; the applicant and known facts beside it."""

from __future__ import annotations

import streamlit as st

from app import resources
from app.ui import applicants, live, session
from app.ui.common import require_copilot
from app.ui.finding import FACT_NAMES, money
from app.ui.messages import render_history
from seed_db import queries

MONEY_FACTS = ("annual_revenue", "annual_payroll")  # the facts panel shows these in dollars
EXAMPLES = (
    "Is Harbor Point Lodge LLC in appetite for property?",
    "Can you check if this one is in the small business bucket?",
    "What deductible should we offer for commercial auto for a long-distance trucker, NAICS 484121?",
)


def start_turn(copilot, text: str | None) -> None:
    """Send ``text`` in the current conversation (a new one if there is none) on a background thread."""
    text = (text or "").strip()
    if not text:
        return  # an empty message is ignored
    tid = st.session_state.get(session.KEY)
    fresh = not tid or not copilot.threads.exists(tid)
    if fresh:
        tid = copilot.new_thread().id
        session.set_current(tid)
    n_before = 0 if fresh else len(copilot.history(tid))
    resources.turn_runner().start(copilot, tid, text, n_before, fresh_thread=fresh)


def on_submit(copilot) -> None:
    start_turn(copilot, st.session_state.get("prompt"))


def all_applicants() -> list[dict]:
    return queries.search_applicants(resources.engine(), "", limit=500)


def render_context(copilot, tid: str | None) -> None:
    with st.container(border=True):
        st.markdown("**Applicant**")
        options = {a["id"]: a for a in all_applicants()}
        picked = st.selectbox(
            "Applicant",
            list(options),
            index=None,
            format_func=lambda i: applicants.label(options[i]),
            placeholder="Search by name or id…",
            label_visibility="collapsed",
            key="chat-applicant",
        )
        if st.button(
            "Ask about this applicant",
            icon=":material/forum:",
            disabled=picked is None,
            key="chat-open-applicant",
            width="stretch",
        ):
            if applicants.open_in_new_conversation(copilot, picked):
                st.rerun()
        info = copilot.threads.get(tid) if tid else None
        if info and info.applicant_id:
            a = applicants.find(info.applicant_id)
            if a is None:
                st.warning(
                    f"This conversation is about applicant `{info.applicant_id}`, which is no longer in the database."
                )
            else:
                st.caption(
                    f"This conversation: **{a['company_name']}** ({a['id']}), NAICS {a['naics_code']}, {a['state']}."
                )
    with st.container(border=True):
        st.markdown("**What the copilot knows**")
        facts = copilot.known_facts(tid) if tid else {}
        if facts:
            st.markdown(
                "\n".join(
                    f"- **{FACT_NAMES.get(k, k.replace('_', ' '))}**: {money(v) if k in MONEY_FACTS else v}"
                    for k, v in facts.items()
                )
            )
        else:
            st.caption("Nothing yet: facts appear here as the copilot looks them up or you give them.")


def render_empty(copilot) -> None:
    st.markdown("#### Ask about a submission")
    st.caption(
        "Appetite, other lines to offer, small-business size, limits, deductibles, NAICS classification. "
        "Pick an applicant on the right, or just type."
    )
    for i, example in enumerate(EXAMPLES):
        st.button(
            example,
            key=f"example-{i}",
            icon=":material/lightbulb:",
            type="tertiary",
            on_click=start_turn,
            args=(copilot, example),
        )


copilot = require_copilot()
tid = session.current_thread(copilot)
start_turn(copilot, session.take_queued_message())
tid = st.session_state.get(session.KEY)
runner = resources.turn_runner()
turn = runner.get(tid)

title = copilot.threads.get(tid).title if tid else "New conversation"
st.markdown(f"### {title}")
st.caption(f"{queries.insurer_name(resources.engine())} (fictional) · answers by **{copilot.label}**")
chat_col, context_col = st.columns([0.68, 0.32], gap="large")
with context_col:
    render_context(copilot, tid)
with chat_col:
    history = copilot.history(tid) if tid else []
    if turn is not None:
        history = history[: turn.n_before]
    if not history and turn is None:
        render_empty(copilot)
    render_history(copilot, tid, history, resources.sections_by_id())

busy = turn is not None and not turn.done.is_set()
st.chat_input(
    "The copilot is working…"
    if busy
    else "Ask about an applicant, e.g. “Is Harbor Point Lodge in appetite for property?”",
    key="prompt",
    on_submit=on_submit,
    args=(copilot,),
    disabled=busy,
)

if turn is not None:
    with chat_col:
        live.watch(turn)
    runner.pop(turn.thread_id)
    if turn.error:
        st.session_state["flash_error"] = turn.error
    if turn.rejected and turn.fresh_thread and not copilot.history(turn.thread_id):
        copilot.threads.delete(turn.thread_id, copilot.checkpointer)  # created for a message that was refused
        turn.thread_removed = True
    if turn.thread_removed:
        session.set_current(None)
    st.rerun()

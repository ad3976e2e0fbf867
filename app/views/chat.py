"""The chat page: ask the copilot, watch its steps, read the finding; the applicant and the editable facts beside it."""

from __future__ import annotations

import streamlit as st

from app import resources
from app.ui import applicants, facts, live, session
from app.ui.common import require_copilot
from app.ui.escape import code, md
from app.ui.labels import field_label, value_text
from app.ui.messages import render_history
from graph.copilot import MAX_MESSAGE_CHARS
from seed_db import queries

NOT_SENT_KEY = "not_sent_message"  # a message that was not sent, kept with why, so nothing typed is lost


def start_turn(copilot, text: str | None) -> None:
    """Send ``text`` in the current conversation (a new one if there is none) on a background thread."""
    text = (text or "").strip()
    if not text:
        return  # an empty message is ignored
    if len(text) > MAX_MESSAGE_CHARS:  # refused here, before anything is created, and the text is kept
        keep_not_sent(
            text,
            f"it has {len(text):,} characters; the limit is {MAX_MESSAGE_CHARS:,}. Shorten it, or add a broker's"
            " e-mail or application on the Desk page",
        )
        return
    tid = st.session_state.get(session.KEY)
    fresh = not tid or not copilot.threads.exists(tid)
    if fresh:
        tid = copilot.new_thread().id
        session.set_current(tid)
    n_before = 0 if fresh else len(copilot.history(tid))
    if resources.turn_runner().start(copilot, tid, text, n_before, fresh_thread=fresh) is None:
        # one turn at a time per conversation: another tab of this server is answering in it
        keep_not_sent(text, BUSY)


BUSY = "this conversation is answering another message (perhaps in another tab). Send yours again when it is done"


def keep_not_sent(text: str, reason: str) -> None:
    st.session_state[NOT_SENT_KEY] = {"text": text, "reason": reason}


def prefill(text: str) -> None:
    """Put ``text`` in the message box (a correction of a reading), for the underwriter to finish and send."""
    st.session_state["prompt"] = text


def on_submit(copilot) -> None:
    start_turn(copilot, st.session_state.get("prompt"))


def stop_turn() -> None:
    resources.turn_runner().stop(st.session_state.get(session.KEY))


def all_applicants() -> list[dict]:
    return queries.search_applicants(resources.engine(), "", limit=500)


def render_not_sent() -> None:
    kept = st.session_state.get(NOT_SENT_KEY)
    if not kept:
        return
    st.error(
        f"Message not sent: {md(kept['reason'])}. Your text is below: copy it and send it again.",
        icon=":material/error:",
    )
    st.code(kept["text"], language=None, wrap_lines=True, height=160)
    if st.button("Dismiss", key="not-sent-dismiss", icon=":material/close:"):
        st.session_state.pop(NOT_SENT_KEY, None)
        st.rerun()


def render_context(copilot, tid: str | None, busy: bool, version: str) -> None:
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
        if info and info.applicant_id and info.applicant_id.startswith("SUB-"):
            st.caption(f"This conversation continues submission {code(info.applicant_id)} (see the Desk page).")
        elif info and info.applicant_id:
            a = applicants.find(info.applicant_id)
            if a is None:
                st.warning(
                    f"This conversation is about applicant {code(info.applicant_id)}, which is no longer in the database."
                )
            else:
                st.caption(
                    f"This conversation: **{md(a['company_name'])}** ({md(a['id'])}), NAICS {md(a['naics_code'])}, "
                    f"{md(a['state'])}."
                )
    with st.container(border=True, key="facts-panel"):
        st.markdown("**What the copilot knows**")
        known = copilot.known_facts(tid) if tid else {}
        if known:
            st.markdown("\n".join(f"- **{md(field_label(k))}**: {md(value_text(k, v))}" for k, v in known.items()))
        else:
            st.caption("Nothing yet: facts appear here as soon as a message states them or the copilot looks them up.")
        if tid:
            with st.expander("Correct or add a fact", icon=":material/edit_note:"):
                st.caption("The change is sent as your message, and the copilot redoes its determination.")
                facts.render(
                    known,
                    copilot.toolkit.ctx.catalog,
                    lambda text: _send_and_rerun(copilot, text),
                    version=version,
                    disabled=busy,
                )


def _send_and_rerun(copilot, text: str) -> None:
    start_turn(copilot, text)
    st.rerun()


def render_empty(copilot) -> None:
    st.markdown("#### Ask about a submission")
    st.caption(
        "Appetite, other lines to offer, small-business size, limits, deductibles, NAICS classification. "
        "Pick an applicant on the right, or just type. For example:"
    )
    for i, example in enumerate(applicants.examples()):
        st.button(
            md(example),
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
busy = turn is not None and not turn.done.is_set()

title = copilot.threads.get(tid).title if tid else "New conversation"
st.markdown(f"### {md(title)}")
st.caption(f"{md(queries.insurer_name(resources.engine()))} (fictional) · answers by **{md(copilot.label)}**")
chat_col, context_col = st.columns([0.68, 0.32], gap="large")
history = copilot.history(tid) if tid else []
with context_col:
    render_context(copilot, tid, busy, version=f"{tid}-{len(history)}-{busy}")
with chat_col:
    if turn is not None:
        history = history[: turn.n_before]
    if not history and turn is None:
        render_empty(copilot)
    render_history(
        copilot,
        tid,
        history,
        resources.sections_by_id(),
        on_follow_up=None if turn is not None else lambda q: start_turn(copilot, q),
        on_correct=None if turn is not None else prefill,
        subject=applicants.subject_name(copilot.threads.get(tid).applicant_id) if tid and history else None,
    )
    render_not_sent()

# No max_chars: Streamlit's box drops a paste longer than it whole and says nothing; start_turn refuses such a
# message instead, with the limit, keeping the text to copy.
st.chat_input(
    "The copilot is working…"
    if busy
    else "Ask about an applicant, e.g. “Is Anchor Motor Lodge in appetite for property?”",
    key="prompt",
    on_submit=on_submit,
    args=(copilot,),
    disabled=busy,
)

if turn is not None:
    with chat_col:
        live.watch(turn, on_stop=stop_turn)
    runner.pop(turn.thread_id)
    if turn.rejected:  # not sent (a busy conversation, a locked store): the text comes back with the reason
        keep_not_sent(turn.text, turn.reason or "it could not be sent")
    elif turn.error:
        st.session_state["flash_error"] = turn.error
    if turn.rejected and turn.fresh_thread and not copilot.history(turn.thread_id):
        copilot.threads.delete(turn.thread_id, copilot.checkpointer)  # created for a message that was refused
        turn.thread_removed = True
    if turn.thread_removed:
        session.set_current(None)
    st.rerun()

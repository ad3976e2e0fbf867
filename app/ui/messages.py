"""The conversation: underwriter and copilot messages, each answer with its steps, notices, finding, feedback."""

from __future__ import annotations

import streamlit as st

from app.ui.finding import render_finding
from app.ui.steps import render_notices, render_steps

AVATARS = {"user": ":material/person:", "assistant": ":material/support_agent:"}


def render_answer_body(message: dict, sections: dict) -> None:
    render_steps(message.get("steps") or [])
    render_notices(message.get("notices") or [])
    if message.get("kind") == "error":
        st.error(
            f"{message['content']}\n\nThe conversation is kept: fix the setting and send your message again.",
            icon=":material/error:",
        )
    elif message.get("kind") == "limit":
        st.warning(message["content"], icon=":material/pause_circle:")
    else:
        st.markdown(message["content"])
    if message.get("finding"):
        key = f"finding-{message['id']}" if message.get("id") else None
        render_finding(
            message["finding"],
            message.get("steps") or [],
            sections,
            key=key,
            answer=message.get("content") or "",
            check=message.get("check"),
        )


def _save_feedback(copilot, thread_id: str, message_id: str, key: str) -> None:
    choice = st.session_state.get(f"{key}-rating")
    if choice is None:
        return
    comment = st.session_state.get(f"{key}-comment") or None
    copilot.threads.add_feedback(thread_id, message_id, 1 if choice == 1 else -1, comment)
    st.toast("Thanks — feedback saved.", icon=":material/thumb_up:")


def render_feedback(copilot, thread_id: str, message_id: str, stored: dict | None) -> None:
    key = f"fb-{message_id}"
    default = None if not stored else (1 if stored["rating"] == 1 else 0)
    if f"{key}-comment" not in st.session_state and stored and stored.get("comment"):
        st.session_state[f"{key}-comment"] = stored["comment"]
    left, right = st.columns([1, 4], vertical_alignment="center")
    with left:
        st.feedback(
            "thumbs",
            key=f"{key}-rating",
            default=default,
            on_change=_save_feedback,
            args=(copilot, thread_id, message_id, key),
        )
    if st.session_state.get(f"{key}-rating") is not None:
        with right:
            st.text_input(
                "Comment",
                key=f"{key}-comment",
                placeholder="Optional comment — press Enter to save",
                max_chars=2000,
                label_visibility="collapsed",
                on_change=_save_feedback,
                args=(copilot, thread_id, message_id, key),
            )


def render_history(copilot, thread_id: str, history: list[dict], sections: dict) -> None:
    feedback = copilot.threads.feedback(thread_id)
    for message in history:
        with st.chat_message(message["role"], avatar=AVATARS[message["role"]]):
            if message["role"] == "user":
                st.markdown(message["content"])
                continue
            render_answer_body(message, sections)
            if message.get("id") and message.get("kind") not in ("error", "limit"):
                render_feedback(copilot, thread_id, message["id"], feedback.get(message["id"]))

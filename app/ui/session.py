"""The current conversation of a browser tab: in ``st.session_state`` and in the URL (``?thread=<id>``).

Session state is lost on a refresh; the URL is not, so a refresh (or a link) restores the conversation, which
itself lives in the checkpointer and the thread store. Nothing else about a conversation is kept in the tab.
"""

from __future__ import annotations

import streamlit as st

from app.ui.escape import code

KEY = "thread_id"
PARAM = "thread"


def current_thread(copilot) -> str | None:
    """The id of this tab's conversation, or None; warns once about an id that does not exist (stale link)."""
    tid = st.session_state.get(KEY) or st.query_params.get(PARAM)
    if tid and not copilot.threads.exists(tid):
        st.session_state["flash_warning"] = (
            f"The conversation {code(tid)} does not exist (it was deleted, or the link is from another server). "
            "Pick one in the sidebar or start a new one."
        )
        tid = None
    set_current(tid)
    return tid


def set_current(tid: str | None) -> None:
    if tid:
        st.session_state[KEY] = tid
        if st.query_params.get(PARAM) != tid:
            st.query_params[PARAM] = tid
    else:
        st.session_state.pop(KEY, None)
        if PARAM in st.query_params:
            del st.query_params[PARAM]


def queue_message(text: str) -> None:
    """Ask the chat page to send ``text`` in the current conversation on its next run."""
    st.session_state["pending_message"] = text


def take_queued_message() -> str | None:
    return st.session_state.pop("pending_message", None)


def show_flash() -> None:
    """Show, once, a message left by a callback or by a previous run."""
    for key, show in (("flash_error", st.error), ("flash_warning", st.warning), ("flash_info", st.info)):
        message = st.session_state.pop(key, None)
        if message:
            show(message)

"""The sidebar: the conversations (new, switch, rename, delete) and which model answers."""

from __future__ import annotations

import streamlit as st

from app import auth, resources
from app.ui import session
from app.ui.common import try_copilot
from graph.threads import ThreadNotFound

MAX_LISTED = 40


def _title(text: str, limit: int = 38) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_conversations(copilot, chat_page) -> None:
    current = session.current_thread(copilot)
    running = resources.turn_runner().running(current)
    st.markdown("**Conversations**")
    if st.button("New conversation", icon=":material/add:", key="conv-new", width="stretch", type="primary"):
        session.set_current(None)
        st.switch_page(chat_page)
    threads = copilot.threads.list(MAX_LISTED)
    if not threads:
        st.caption("No conversations yet.")
    with st.container(key="conv-list", gap=None):
        for t in threads:
            is_current = t.id == current
            if st.button(
                _title(t.title),
                key=f"conv-{t.id}",
                help=f"{t.title} · {t.updated_at[:16].replace('T', ' ')} UTC",
                icon=":material/chat_bubble:" if is_current else ":material/chat_bubble_outline:",
                type="secondary" if is_current else "tertiary",
                width="stretch",
            ):
                session.set_current(t.id)
                st.switch_page(chat_page, query_params={session.PARAM: t.id})
    if current:
        render_manage(copilot, current, running)


def render_manage(copilot, thread_id: str, running: bool) -> None:
    try:
        info = copilot.threads.get(thread_id)
    except ThreadNotFound:
        return
    with st.popover(
        "Rename or delete",
        icon=":material/edit:",
        width="stretch",
        disabled=running,
        help="Wait for the answer to finish" if running else None,
    ):
        with st.form("conv-rename", border=False):
            title = st.text_input("Title", value=info.title, max_chars=120)
            if st.form_submit_button("Rename", icon=":material/edit:"):
                try:
                    copilot.threads.rename(thread_id, title)
                    st.rerun()
                except ValueError as exc:
                    st.error(str(exc).capitalize())
        st.divider()
        if st.button("Delete this conversation", icon=":material/delete:", key="conv-delete"):
            copilot.threads.delete(thread_id, copilot.checkpointer)
            session.set_current(None)
            st.session_state["flash_info"] = f"Deleted the conversation “{info.title}”."
            st.rerun()


def render_model(copilot) -> None:
    st.markdown("**Model**")
    if copilot is None:
        st.caption(f"`{resources.settings().model}` — not available")
        return
    if getattr(copilot.model, "is_llm", False):
        st.success(copilot.label, icon=":material/smart_toy:")
        return
    st.info(
        f"**{copilot.label}.** It answers the six underwriting questions with deterministic rules. To use an LLM, "
        "set `UWC_MODEL` (e.g. `openai/gpt-4.1-mini`) and its API key (e.g. `OPENAI_API_KEY`) in `.env`, "
        "then restart `uwc serve`.",
        icon=":material/rule:",
    )


def render_user() -> None:
    settings = resources.settings()
    if not settings.auth:
        return  # no sign-in: the single local user
    user = auth.streamlit_user(settings)
    st.caption(f"Signed in as **{user.name}**" + (" (admin: sees every conversation)" if user.is_admin else ""))
    if st.button("Sign out", icon=":material/logout:", key="sign-out", type="tertiary"):
        auth.streamlit_sign_out(settings)


def render(chat_page) -> None:
    copilot, _ = try_copilot()  # the chat page says why when it cannot start
    with st.sidebar:
        render_user()
        if copilot is not None:
            render_conversations(copilot, chat_page)
            st.divider()
        render_model(copilot)

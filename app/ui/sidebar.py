"""The sidebar: the conversations (new, search, switch by date, page, rename, delete with undo) and the model."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import streamlit as st

from app import auth, resources
from app.ui import session
from app.ui.common import try_copilot
from app.ui.escape import code, md
from graph.threads import ThreadNotFound

PAGE_SIZE = 40
SEARCH_SCAN = 5000  # conversations searched by title (newest first)
UNDO_SECONDS = 10.0
PENDING_KEY = "pending_delete"  # {"id", "title", "at"}: hidden now, deleted for good when the undo time is over


def day_heading(updated_at: str, today: date | None = None) -> str:
    """ "Today", "Yesterday", or the date ("Mon 30 Nov 2026") of a conversation's last activity (UTC)."""
    try:
        day = datetime.fromisoformat(updated_at).astimezone(UTC).date()
    except (TypeError, ValueError):
        return "Earlier"
    today = today or datetime.now(UTC).date()
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    return day.strftime("%a %d %b %Y")


def finish_pending_delete(copilot, force: bool = False) -> None:
    """Delete for good the conversation whose undo time is over (or now, when ``force``)."""
    pending = st.session_state.get(PENDING_KEY)
    if not pending or (not force and time.time() - pending["at"] < UNDO_SECONDS):
        return
    st.session_state.pop(PENDING_KEY, None)
    try:
        copilot.threads.delete(pending["id"], copilot.checkpointer)
    except ThreadNotFound:
        pass  # deleted elsewhere meanwhile


def request_delete(copilot, thread_id: str, title: str) -> None:
    finish_pending_delete(copilot, force=True)  # one undo at a time
    st.session_state[PENDING_KEY] = {"id": thread_id, "title": title, "at": time.time()}
    if st.session_state.get(session.KEY) == thread_id:
        session.set_current(None)


def undo_delete() -> None:
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending:
        session.set_current(pending["id"])


@st.fragment(run_every=2.0)
def render_undo(copilot) -> None:
    """The undo bar; it goes (and the deletion happens) when the undo time is over."""
    pending = st.session_state.get(PENDING_KEY)
    if not pending:
        return
    left = UNDO_SECONDS - (time.time() - pending["at"])
    if left <= 0:
        finish_pending_delete(copilot)
        st.rerun(scope="app")
    with st.container(border=True, key="conv-undo"):
        st.caption(f"Deleted “{md(pending['title'])}”.")
        if st.button(f"Undo ({left:.0f} s)", icon=":material/undo:", key="conv-undo-button"):
            undo_delete()
            st.rerun(scope="app")  # the list outside this fragment shows the conversation again


def listed_threads(copilot, query: str, limit: int, hidden: str | None) -> tuple[list, bool]:
    """(the conversations to list, whether there are more)."""
    q = query.strip().lower()
    if q:
        found = [t for t in copilot.threads.list(SEARCH_SCAN) if q in t.title.lower() and t.id != hidden]
        return found[:limit], len(found) > limit
    threads = [t for t in copilot.threads.list(limit + 2) if t.id != hidden]
    return threads[:limit], len(threads) > limit


def render_conversations(copilot, chat_page) -> None:
    finish_pending_delete(copilot)
    current = session.current_thread(copilot)
    pending = st.session_state.get(PENDING_KEY) or {}
    if current and current == pending.get("id"):
        session.set_current(None)
        current = None
    running = resources.turn_runner().running(current)
    st.markdown("**Conversations**")
    if st.button("New conversation", icon=":material/add:", key="conv-new", width="stretch", type="primary"):
        session.set_current(None)
        st.switch_page(chat_page)
    if st.session_state.get(PENDING_KEY):
        render_undo(copilot)
    query = st.text_input(
        "Search conversations",
        placeholder="Search conversations",
        key="conv-search",
        icon=":material/search:",
        label_visibility="collapsed",
        max_chars=120,
    )
    limit = st.session_state.setdefault("conv-limit", PAGE_SIZE)
    threads, more = listed_threads(copilot, query, limit, pending.get("id"))
    if not threads:
        st.caption("No conversation matches." if query.strip() else "No conversations yet.")
    with st.container(key="conv-list", gap=None):
        heading = None
        for t in threads:
            day = day_heading(t.updated_at)
            if day != heading:
                heading = day
                st.caption(day)
            is_current = t.id == current
            stamp = t.updated_at[:16].replace("T", " ")
            if st.button(
                md(t.title),
                key=f"conv-{t.id}",
                help=f"{md(t.title)}\n\nLast activity {stamp} UTC",
                icon=":material/chat_bubble:" if is_current else ":material/chat_bubble_outline:",
                type="secondary" if is_current else "tertiary",
                width="stretch",
            ):
                session.set_current(t.id)
                st.switch_page(chat_page, query_params={session.PARAM: t.id})
    if more and st.button("Show more", icon=":material/expand_more:", key="conv-more", type="tertiary"):
        st.session_state["conv-limit"] = limit + PAGE_SIZE
        st.rerun()
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
                    st.error(md(str(exc).capitalize()))
        st.divider()
        confirm = st.checkbox("Yes, delete this conversation", key=f"conv-delete-confirm-{thread_id}")
        if st.button(
            "Delete this conversation",
            icon=":material/delete:",
            key="conv-delete",
            disabled=not confirm,
            help=None if confirm else "Tick the box first",
        ):
            request_delete(copilot, thread_id, info.title)
            st.rerun()


def render_model(copilot) -> None:
    st.markdown("**Model**")
    if copilot is None:
        st.caption(f"{code(resources.settings().model)} — not available")
        return
    if getattr(copilot.model, "is_llm", False):
        st.success(md(copilot.label), icon=":material/smart_toy:")
        return
    st.info(
        f"**{md(copilot.label)}.** It answers the six underwriting questions with deterministic rules. To use an LLM, "
        "set `UWC_MODEL` (e.g. `openai/gpt-4.1-mini`) and its API key (e.g. `OPENAI_API_KEY`) in `.env`, "
        "then restart `uwc serve`.",
        icon=":material/rule:",
    )


def render_user() -> None:
    settings = resources.settings()
    if not settings.auth:
        return  # no sign-in: the single local user
    user = auth.streamlit_user(settings)
    st.caption(f"Signed in as **{md(user.name)}**" + (" (admin: sees every conversation)" if user.is_admin else ""))
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

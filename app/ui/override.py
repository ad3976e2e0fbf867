"""**Disagree** on a finding card: the underwriter says what the determination should be and why. It goes to
``graph.refer.override`` as the signed-in user (the copilot view of ``try_copilot``): recorded beside the copilot's
determination, and referred to a senior unless the user's role may override."""

from __future__ import annotations

import streamlit as st

from app.ui import errors
from app.ui.referral import one_line
from graph.copilot import MessageNotSent
from graph.refer import override
from seed_db.authority import override_check

ERROR_KEY = "override_error"  # {the form's key: one line}


def _key(message_id: str, index: int | None) -> str:
    return f"override-{message_id}" + (f"-{index}" if index else "")


def _submit(copilot, thread_id: str, message_id: str, index: int | None = None) -> None:
    key = _key(message_id, index)
    try:
        ref = override(
            copilot,
            thread_id,
            message_id,
            index=index,
            verdict=st.session_state.get(f"{key}-verdict") or "",
            reason=st.session_state.get(f"{key}-reason") or "",
            user=copilot.acting_user,
            role=copilot.role,
        )
    except (ValueError, MessageNotSent) as exc:  # no reason, no verdict, a busy conversation: one line
        st.session_state[ERROR_KEY] = {key: one_line(exc)}
        return
    except Exception as exc:
        what = "recording the override"
        st.session_state[ERROR_KEY] = {key: errors.message(errors.reference(exc, what), what)}
        return
    st.session_state["flash_info"] = (
        f"Override referred to a senior underwriter ({ref.id})." if ref else "Override recorded."
    )
    for field in ("verdict", "reason"):
        st.session_state[f"{key}-{field}"] = ""


def render(copilot, thread_id: str, message: dict, index: int | None = None) -> None:
    """The Disagree popover under a determination (``index``: which finding of the answer; the new line shows on the
    rerun that follows)."""
    message_id = str(message["id"])
    key = _key(message_id, index)
    within = override_check(copilot.referrals.authority, copilot.role).within
    with st.popover("Disagree", icon=":material/gavel:", help="Say what the determination should be, and why"):
        st.caption(
            "Recorded beside the copilot's determination (which is never changed)."
            if within
            else "Your override goes to a senior underwriter; the copilot's determination stands until they approve."
        )
        with st.form(key, border=False):
            st.text_input("What should it be?", key=f"{key}-verdict", max_chars=200, placeholder="e.g. In appetite")
            st.text_area("Why (required)", key=f"{key}-reason", max_chars=2000)
            st.form_submit_button(
                "Record the override" if within else "Refer the override",
                icon=":material/gavel:",
                on_click=_submit,
                args=(copilot, thread_id, message_id, index),
            )
    problem = (st.session_state.get(ERROR_KEY) or {}).get(key)
    if problem:
        st.error(problem, icon=":material/error:")
        st.session_state.pop(ERROR_KEY, None)

"""The Referrals page: a senior underwriter's queue (open referrals, then recently decided ones) with each memo and
its decision; an underwriter's own referrals, their status and the senior's notes, and an answer box when one is
returned. ``?referral=<id>`` opens one. The service (``graph/referrals.py``) decides who may do what."""

from __future__ import annotations

import streamlit as st

from app import auth, resources
from app.ui import errors
from app.ui import referral as ui
from app.ui.common import require_copilot
from app.ui.escape import code, md
from graph.referrals import ReferralNotFound
from seed_db.authority import may_approve

PAGE = ui.PAGE_FILE
CHAT = "views/chat.py"
RECENT = 20  # decided referrals listed under the queue
NOTE_CHARS = 140  # of a senior's note, in a list
STALLED_CHECKED = "referrals_stalled_checked"  # session key: decisions not yet told were looked for


def visible(ref, user, senior: bool) -> bool:
    """A senior sees every referral; anyone else their own (the local user without sign-in is the only one)."""
    return senior or user.sees_all or ref.requested_by == user.name


def render_row(ref) -> None:
    with st.container(border=True):
        left, right = st.columns([0.75, 0.25], vertical_alignment="center")
        with left:
            st.page_link(PAGE, label=f"{ref.id} · {md(ui.headline(ref))}", query_params={ui.PARAM: ref.id})
            kind = "Override" if ref.kind == "override" else "Determination"
            st.caption(f"{kind} · asked by {md(ref.requested_by)} · {ui.stamp(ref.created_at)}")
            if ref.note:  # the senior's reason, or the question waiting for an answer
                note = ref.note if len(ref.note) <= NOTE_CHARS else ref.note[:NOTE_CHARS].rstrip() + "…"
                st.caption(f":material/comment: {md(ref.decided_by)}: {md(note)}")
        with right:
            st.markdown(ui.badge(ref.status))


def render_list(refs: list, empty: str) -> None:
    if not refs:
        st.caption(empty)
    for ref in refs:
        render_row(ref)


def render_queue(copilot) -> None:
    store = copilot.referrals.store
    waiting = sorted(store.list(status=("pending",)), key=lambda r: r.created_at)  # oldest first
    returned = sorted(store.list(status=("returned",)), key=lambda r: r.created_at)
    decided = store.list(status=("approved", "declined"), limit=RECENT)
    st.markdown(f"#### Waiting for a decision ({len(waiting)})")
    render_list(waiting, "No referral is waiting for a decision.")
    if returned:
        st.markdown(f"#### Returned: waiting for the underwriter's answer ({len(returned)})")
        render_list(returned, "")
    st.markdown("#### Recently decided")
    render_list(decided, "Nothing decided yet.")


def who_decides(authority, settings) -> None:
    approvers = " or ".join(authority.approvers)
    text = f"Referrals are decided by a {md(approvers)} underwriter ({md(authority.decides.get('senior', ''))})."
    if not settings.auth:
        text += (
            " This app runs without sign-in, as one underwriter: to decide referrals, serve it with "
            "`UWC_AUTH=demo` and a users file with a senior (see docs/deployment.md) and sign in as them."
        )
    st.caption(text)


def render_mine(copilot, user) -> None:
    mine = copilot.referrals.store.list(requested_by=user.name)
    open_first = sorted(mine, key=lambda r: (not r.open, r.status != "returned"))  # a returned one needs you first
    st.markdown("#### Your referrals")
    render_list(open_first, "You have no referrals: a determination beyond your authority is referred from the chat.")


def render_detail(copilot, ref, user, senior: bool) -> None:
    st.page_link(PAGE, label="All referrals", icon=":material/arrow_back:", query_params={})
    kind = "Override" if ref.kind == "override" else "Referral"
    st.markdown(f"### {kind} {md(ref.id)} &nbsp; {ui.badge(ref.status)}")
    st.caption(f"Asked by {md(ref.requested_by)} ({md(ref.requested_role)}) · {ui.stamp(ref.created_at)}")
    if ref.thread_id and copilot.threads.exists(ref.thread_id):
        st.page_link(
            CHAT, label="Open the conversation", icon=":material/forum:", query_params={"thread": ref.thread_id}
        )
    elif ref.thread_id:
        st.caption(f"The conversation is {md(ref.requested_by)}'s: they and admins can open it.")
    ui.render_memo(ref, resources.sections_by_id())
    ui.memo_download(copilot, ref.thread_id, ref.message_id, ref.id)
    ui.render_exchange(ref)
    ui.show_error(ref.id)
    if senior and ref.status == "pending":
        ui.render_decide(copilot, ref, user)
    elif ref.status == "returned" and ref.requested_by == user.name:
        ui.render_answer_box(copilot, ref, user)
    elif ref.status == "returned":
        st.caption(f"Waiting for {md(ref.requested_by)} to answer the question.")
    elif ref.status == "pending":
        who_decides(copilot.referrals.authority, resources.settings())


copilot = require_copilot()
settings = resources.settings()
user = auth.streamlit_user(settings)
senior = may_approve(copilot.referrals.authority, user.role)
if senior and not st.session_state.get(STALLED_CHECKED):
    # Once a senior session: a decision whose conversation could not be told then (busy, a crash) is told now.
    st.session_state[STALLED_CHECKED] = True
    try:
        copilot.referrals.finish_stalled()
    except Exception as exc:  # the queue still shows; the next senior session tries again
        errors.reference(exc, "telling conversations of earlier decisions")

wanted = st.query_params.get(ui.PARAM)
shown = None
if wanted:
    try:
        shown = copilot.referrals.store.get(wanted)
    except ReferralNotFound:
        shown = None
    if shown is None or not visible(shown, user, senior):  # someone else's is "does not exist", like a thread
        st.warning(f"There is no referral {code(wanted)} for you; showing the list.")
        shown = None

if shown is not None:
    render_detail(copilot, shown, user, senior)
else:
    st.markdown("### Referrals")
    if senior:
        st.caption(f"Signed in as {md(user.name)} ({md(user.role)}): you decide the referrals below.")
        render_queue(copilot)
    else:
        who_decides(copilot.referrals.authority, settings)
        render_mine(copilot, user)

"""A referral on the pages: its status, the memo laid out for a senior underwriter, the compact card in the
conversation, and the actions (decide, answer) that call ``graph.referrals.Referrals``.

Who acts is the signed-in user handed in by the page (``app/auth.py``), never a URL or session value a user could
edit; what they may do is decided by the service, which refuses in one line. Every memo value, note and answer is
user or model text, so it goes through ``app/ui/escape.py``.
"""

from __future__ import annotations

import streamlit as st

from app.ui import errors
from app.ui.answer import link_citations, section_link
from app.ui.escape import code, md, md_lines, model_markdown
from app.ui.finding import rule_line
from app.ui.labels import value_text
from graph.referrals import ReferralError, ReferralNotFound

PAGE_FILE = "views/referrals.py"
PARAM = "referral"
STATUS = {
    "pending": ("Waiting for a senior", "orange", ":material/hourglass_top:"),
    "returned": ("Returned: waiting for the underwriter", "blue", ":material/reply:"),
    "approved": ("Approved", "green", ":material/check_circle:"),
    "declined": ("Declined", "red", ":material/cancel:"),
}
ERROR_KEY = "referral_error"  # {referral id: one line} left by an action's callback for the page to show


def badge(status: str) -> str:
    text, colour, icon = STATUS.get(status, (status.capitalize(), "gray", ":material/info:"))
    return f":{colour}-badge[{icon} {md(text)}]"


def stamp(at: str | None) -> str:
    return f"{at[:16].replace('T', ' ')} UTC" if at else ""


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return md(text[:1].upper() + text[1:])


def headline(ref) -> str:
    """The referral's first case line (who, where), for lists."""
    case = ref.memo.get("case") or []
    return str(case[0]) if case else "the applicant"


# --- the card in the conversation ------------------------------------------------------------------------------


def render_card(copilot, message: dict, sections: dict) -> None:
    """A referral line of the conversation: its text, the referral's live status and a link to the Referrals page."""
    rid = str(message.get("referral_id") or "")
    with st.container(border=True, key=f"referral-card-{message.get('id') or rid}"):
        st.markdown(link_citations(model_markdown(str(message.get("content") or "")), sections))
        if not rid:
            return
        try:
            ref = copilot.referrals.store.get(rid)
        except ReferralNotFound:
            st.caption(f"The referral {code(rid)} no longer exists.")
            return
        who = f" by {md(ref.decided_by)}" if ref.decided_by and ref.status != "pending" else ""
        with st.container(horizontal=True, vertical_alignment="center", gap="medium"):
            st.markdown(f"{badge(ref.status)}{who}", width="content")
            st.page_link(  # a page link stays in this tab, so a signed-in user stays signed in
                PAGE_FILE,
                label=f"Open {ref.id} on the Referrals page",
                icon=":material/open_in_new:",
                query_params={PARAM: ref.id},
            )


# --- the memo ----------------------------------------------------------------------------------------------------


def fact_rows(memo: dict) -> list[dict]:
    rows = []
    for f in memo.get("facts") or []:
        if not isinstance(f, dict):
            continue
        value = value_text(f["fact"], f.get("value")) if f.get("fact") else str(f.get("value"))
        rows.append({"Fact": str(f.get("label") or f.get("fact") or ""), "Value": value, "Source": source_text(f)})
    return rows


def source_text(fact: dict) -> str:
    """Where a fact came from, as a senior reads it: the underwriter's own words quoted, a submission's file (page,
    row or field) with the words it was read from, else the record's name."""
    source, snippet = str(fact.get("source") or ""), fact.get("snippet")
    if snippet and source.startswith("user message"):
        return f"the underwriter wrote “{snippet}”"
    if snippet:
        return f"{source}: “{snippet}”"
    return source


def render_memo(ref, sections: dict) -> None:
    """The memo as a senior reads it: the case, the facts with their source, the rules applied, why it was
    referred, what the copilot recommends, what is missing, and the override when it is one."""
    memo = ref.memo or {}
    with st.container(border=True, key="referral-case"):
        st.markdown("\n".join(f"- {md(line)}" for line in memo.get("case") or []) or "No case lines.")
    override = memo.get("override")
    if override:
        st.warning(
            f"**Override requested**: the determination should be **{md(override.get('verdict'))}** — "
            f"{md(override.get('reason'))}",
            icon=":material/gavel:",
        )
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Why it was referred**")
        st.markdown(
            "\n".join(
                f"- {md(t.get('reason'))} · {section_link(t['section']) if t.get('section') else ''}"
                for t in memo.get("triggers") or []
            )
            or "No reason recorded."
        )
        if "determinations" not in memo:  # several: each determination's own, below
            st.markdown("**The copilot's recommendation**")
            recommendation = str(memo.get("recommendation") or "").strip()
            st.markdown(
                link_citations(model_markdown(recommendation), sections) if recommendation else "None recorded."
            )
        missing = memo.get("missing") or []
        st.markdown("**Missing**")
        st.markdown("\n".join(f"- {md(m)}" for m in missing) if missing else "Nothing the deciding tool needed.")
    with right:
        st.markdown("**Facts**")
        rows = fact_rows(memo)
        if rows:  # md() escapes every cell, "|" included
            table = [f"| {md(r['Fact'])} | {md(r['Value'])} | {md(r['Source'])} |" for r in rows]
            st.markdown("\n".join(["| Fact | Value | Source |", "|---|---|---|", *table]))
        else:
            st.caption("No facts recorded.")
        if "determinations" not in memo:  # one determination: its rules beside the facts
            render_rules(memo.get("rules"))
            render_cited(memo.get("citations"))
    items = [d for d in memo.get("determinations") or [] if isinstance(d, dict)]
    if items:
        st.markdown(f"**Determinations referred ({len(items)})**")
    for i, item in enumerate(items):
        render_item(item, sections, key=f"referral-item-{i}")
    if memo.get("record_hash"):
        st.caption(f"Decision record {code(memo['record_hash'])}")


def render_rules(rules) -> None:
    rules = [r for r in rules or [] if isinstance(r, dict)]
    st.markdown("**Rules applied**")
    st.markdown("\n".join(rule_line(r) for r in rules) if rules else "No rule chain recorded.")


def render_cited(citations) -> None:
    cited = [c for c in citations or [] if c]
    if cited:
        st.caption("Sections cited: " + " · ".join(section_link(c) for c in cited))


def render_item(item: dict, sections: dict, key: str) -> None:
    """One determination of a submission's referral: what was asked and decided, why it is referred, the
    copilot's recommendation and the rules that gave it."""
    with st.container(border=True, key=key):
        st.markdown(f"**{md(item.get('question'))}** · {md(item.get('determination'))}")
        reasons = [
            f"{md(t.get('reason'))}{' · ' + section_link(t['section']) if t.get('section') else ''}"
            for t in item.get("triggers") or []
            if isinstance(t, dict)
        ]
        if reasons:
            st.caption("Referred because: " + "; ".join(reasons))
        recommendation = str(item.get("recommendation") or "").strip()
        if recommendation:
            st.markdown(link_citations(model_markdown(recommendation), sections))
        render_rules(item.get("rules"))
        render_cited(item.get("citations"))


def render_exchange(ref) -> None:
    """The senior's note (a decision's reason, or the question when returned) and the underwriter's answer."""
    if ref.note:
        said = {"returned": "asked"}.get(ref.status, "noted")
        st.info(
            f"**{md(ref.decided_by)}** ({md(ref.decided_role)}) {said} at {stamp(ref.decided_at)}:\n\n{md_lines(ref.note)}",
            icon=":material/comment:",
        )
    if ref.reply:
        st.info(f"**{md(ref.requested_by)}** answered:\n\n{md_lines(ref.reply)}", icon=":material/reply:")


# --- actions -------------------------------------------------------------------------------------------------


def _failed(referral_id: str, exc: BaseException, what: str) -> None:
    if isinstance(exc, ReferralError | ReferralNotFound):
        st.session_state[ERROR_KEY] = {referral_id: one_line(exc)}
    else:  # one line with a reference; the traceback is in the server log
        st.session_state[ERROR_KEY] = {referral_id: errors.message(errors.reference(exc, what), what)}


def _decide(copilot, referral_id: str, action: str, user_name: str, role: str) -> None:
    note = st.session_state.get(f"referral-note-{referral_id}") or ""
    try:
        ref = copilot.referrals.decide(referral_id, action, user=user_name, role=role, note=note)
    except Exception as exc:  # shown as one line above the actions
        _failed(referral_id, exc, "deciding the referral")
        return
    st.session_state[f"referral-note-{referral_id}"] = ""
    st.session_state["flash_info"] = f"{ref.id}: {STATUS[ref.status][0].lower()}. The conversation has been told."


def _answer(copilot, referral_id: str, user_name: str) -> None:
    text = st.session_state.get(f"referral-answer-{referral_id}") or ""
    try:
        ref = copilot.referrals.answer(referral_id, user=user_name, text=text)
    except Exception as exc:
        _failed(referral_id, exc, "answering the referral")
        return
    st.session_state[f"referral-answer-{referral_id}"] = ""
    st.session_state["flash_info"] = f"{ref.id}: your answer went back to the senior underwriter."


def show_error(referral_id: str) -> None:
    problem = (st.session_state.get(ERROR_KEY) or {}).get(referral_id)
    if problem:
        st.error(problem, icon=":material/error:")
        st.session_state.pop(ERROR_KEY, None)


def render_decide(copilot, ref, user) -> None:
    """Approve, decline or return with a note (required to decline or return), as the signed-in ``user``."""
    with st.container(border=True, key="referral-decide"):
        st.markdown("**Your decision**")
        st.text_area(
            "Note",
            key=f"referral-note-{ref.id}",
            max_chars=2000,
            placeholder="Why — required to decline; to return, the question for the underwriter",
        )
        with st.container(horizontal=True, gap="small"):
            for action, label, icon, kind in (
                ("approve", "Approve", ":material/check_circle:", "primary"),
                ("decline", "Decline", ":material/cancel:", "secondary"),
                ("return", "Return with a question", ":material/reply:", "secondary"),
            ):
                st.button(
                    label,
                    key=f"referral-{action}",
                    icon=icon,
                    type=kind,
                    on_click=_decide,
                    args=(copilot, ref.id, action, user.name, user.role),
                )


def render_answer_box(copilot, ref, user) -> None:
    with st.container(border=True, key="referral-answer"):
        st.markdown("**Your answer to the senior's question**")
        st.text_area("Answer", key=f"referral-answer-{ref.id}", max_chars=2000, label_visibility="collapsed")
        st.button(
            "Send the answer",
            key="referral-send-answer",
            icon=":material/send:",
            type="primary",
            on_click=_answer,
            args=(copilot, ref.id, user.name),
        )


def memo_download(copilot, thread_id: str | None, message_id: str | None, key: str, index: int | None = None) -> None:
    """The underwriting memo (PDF, ``app/memo.py``) of a determination an answer recorded (``index``: which; the
    last when None), with its referral and decisions, built from the decision record when the button is pressed."""
    if not thread_id or not message_id:
        return

    from app.audit import memo_for_answer, safe_id

    def pdf() -> bytes:
        return memo_for_answer(copilot.records, thread_id, message_id, index) or b""

    st.download_button(
        "Memo (PDF)",
        data=pdf,
        file_name=f"memo-{safe_id(message_id)}{f'-{index + 1}' if index else ''}.pdf",
        mime="application/pdf",
        key=f"memo-{key}",
        icon=":material/picture_as_pdf:",
        on_click="ignore",
    )

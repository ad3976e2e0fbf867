"""The conversation: underwriter and copilot messages, each answer with its steps, notices, finding, feedback.

Each message renders inside its own error boundary: a message the page cannot show becomes one line with a
reference (the traceback is in the server log), and the rest of the conversation stays usable.
"""

from __future__ import annotations

import html
import json

import streamlit as st

from app.ui import errors, override, referral
from app.ui.answer import follow_ups, format_answer, plain_text, rerun_question, stale_text
from app.ui.escape import md, md_lines
from app.ui.finding import render_finding
from app.ui.steps import render_notices, render_steps
from graph import readback

Names = tuple[dict, dict]  # line code -> name, NAICS code -> title
REFERRAL_KINDS = ("referral", "referral_decision")  # lines of the referral flow, shown as its card
REFERRAL_LINES = (*REFERRAL_KINDS, "override")  # copilot lines posted outside the model: no follow-ups of their own
AVATARS = {"user": ":material/person:", "assistant": ":material/support_agent:"}
COPY_HTML = """<button class="uwc-copy" title="Copy the answer" data-testid="uwc-copy"
 onclick='navigator.clipboard.writeText({text}).then(() => {{ this.innerText = "Copied"; }},
 () => {{ this.innerText = "Copy failed"; }})'>Copy</button>"""


def render_copy(text: str) -> None:
    """A copy-to-clipboard button for an answer (``st.html`` runs its one-line handler in the page)."""
    st.html(COPY_HTML.format(text=html.escape(json.dumps(plain_text(text)), quote=True)), unsafe_allow_javascript=True)


def findings_of(message: dict) -> list[dict]:
    """Every finding of an answer's turn, in order (an older history entry carries only its last)."""
    found = [f for f in message.get("findings") or [] if isinstance(f, dict)]
    return found or ([message["finding"]] if isinstance(message.get("finding"), dict) else [])


def render_reading(message: dict, on_correct=None, lobs: dict | None = None) -> None:
    """ "Reading: 75 employees · revenue $5.0M · TX": what was read from the message this answers. Each reading is a
    chip that puts a correction in the message box, ready to change and send (``on_correct``: None, not clickable)."""
    readings = message.get("readings") or []
    if not readings:
        return
    if on_correct is None:
        st.caption(md(readback.line(readings)))
        return
    with st.container(key=f"reading-{message.get('id')}", horizontal=True, gap="small", vertical_alignment="center"):
        st.caption(md(readback.PREFIX.strip()), width="content")  # the chips right after it, not across the page
        for i, r in enumerate(readings):
            whole = r.source == str(message.get("said") or "").strip()
            st.button(
                md(r.shown if whole else f'{r.shown} ← "{r.source[:60]}"'),
                key=f"read-{message.get('id')}-{i}",
                type="tertiary",
                icon=":material/edit:",
                help=md(f'Read from: "{r.source[:200]}". Click to correct it.'),
                on_click=on_correct,
                args=(readback.correction(r, lobs),),
            )


def catalog_names(copilot) -> Names:
    """(line code -> name, NAICS code -> title) from the copilot's catalog; empty without one."""
    catalog = getattr(getattr(getattr(copilot, "toolkit", None), "ctx", None), "catalog", None)
    return dict(getattr(catalog, "lobs", None) or {}), dict(getattr(catalog, "naics_titles", None) or {})


def steps_of(steps: list[dict], n: int) -> list[dict]:
    """The steps that led to the answer's ``n``-th finding: up to its ``record_finding`` and after the one before
    (its own appetite check, not the last one of the turn); every step when the findings cannot be told apart."""
    ends = [i for i, e in enumerate(steps) if e.get("tool") == "record_finding" and e.get("ok")]
    if n >= len(ends):
        return steps
    return steps[(ends[n - 1] + 1 if n else 0) : ends[n] + 1]


def checks_of(message: dict, count: int) -> list[dict | None]:
    """The online check of each finding (an older history entry has only the last one's)."""
    checks = list(message.get("checks") or [])
    if len(checks) == count:
        return checks
    return [None] * (count - 1) + [message.get("check")] if count else []


def render_answer_body(
    message: dict, sections: dict, on_correct=None, names: Names = ({}, {}), actions=None, on_rerun=None
) -> None:
    """``actions(n, finding)``: what goes under the ``n``-th finding's card (Disagree, the memo); ``on_rerun(text)``:
    sends the question that runs a stale finding again (None: no button)."""
    render_reading(message, on_correct, names[0])
    render_steps(message.get("steps"))
    render_notices(message.get("notices"))
    content = str(message.get("content") or "")
    findings = findings_of(message)
    if message.get("kind") == "error":
        st.error(
            f"{md(content)}\n\nThe conversation is kept: fix the setting and send your message again.",
            icon=":material/error:",
        )
    elif message.get("kind") in ("limit", "stopped"):
        st.warning(md_lines(content), icon=":material/pause_circle:")
    elif content:
        name = message.get("company") or message.get("subject")
        st.markdown(format_answer(content, sections, findings, *names, name=name))
    steps = [e for e in message.get("steps") or [] if isinstance(e, dict)]
    checks = checks_of(message, len(findings))
    for n, finding in enumerate(findings):  # one card per determination of the turn, each with its own check
        key = f"finding-{message['id']}" + (f"-{n}" if n else "") if message.get("id") else None
        render_finding(finding, steps_of(steps, n), sections, key=key, answer=content, check=checks[n])
        stale = message.get("stale") or []
        changed = stale[n] if n < len(stale) else {}
        if changed:  # a later message corrected a fact it used, and nothing ran it again
            st.warning(md(stale_text(changed, finding)), icon=":material/history:")
            if on_rerun is not None:
                st.button(
                    "Run it again",
                    key=f"rerun-{message.get('id')}-{n}",
                    icon=":material/replay:",
                    on_click=on_rerun,
                    args=(rerun_question(finding, names[0]),),
                )
        if actions is not None:
            actions(n, finding)


def _save_feedback(copilot, thread_id: str, message_id: str, key: str) -> None:
    choice = st.session_state.get(f"{key}-rating")
    if choice is None:
        return
    comment = st.session_state.get(f"{key}-comment") or None
    copilot.threads.add_feedback(thread_id, message_id, 1 if choice == 1 else -1, comment)
    st.toast("Thanks — feedback saved.", icon=":material/thumb_up:")


def render_feedback(copilot, thread_id: str, message_id: str, stored: dict | None, answer: str = "") -> None:
    key = f"fb-{message_id}"
    default = None if not stored else (1 if stored["rating"] == 1 else 0)
    if f"{key}-comment" not in st.session_state and stored and stored.get("comment"):
        st.session_state[f"{key}-comment"] = stored["comment"]
    left, right = st.columns([1, 4], vertical_alignment="center")
    with left:
        inner = st.columns(2, gap="small", vertical_alignment="center")
        with inner[0]:
            st.feedback(
                "thumbs",
                key=f"{key}-rating",
                default=default,
                on_change=_save_feedback,
                args=(copilot, thread_id, message_id, key),
            )
        if answer:
            with inner[1]:
                render_copy(answer)
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


def render_follow_ups(findings: list[dict], on_pick, key: str) -> None:
    """Two or three next questions after the latest answer (never one it answered); a click sends one."""
    questions = follow_ups(findings)
    if not questions:
        return
    with st.container(key=f"follow-ups-{key}", horizontal=True, gap="small"):
        for i, question in enumerate(questions):
            st.button(
                md(question),
                key=f"follow-{key}-{i}",
                icon=":material/subdirectory_arrow_right:",
                on_click=on_pick,
                args=(question,),
            )


def render_history(
    copilot,
    thread_id: str,
    history: list[dict],
    sections: dict,
    on_follow_up=None,
    on_correct=None,
    subject: str | None = None,
) -> None:
    """``on_correct(text)``: a click on a reading puts ``text`` (a correction to finish) in the message box;
    ``subject``: the name of the applicant or submission the conversation was opened on, for its headlines."""
    names = catalog_names(copilot)
    said = ""
    feedback = copilot.threads.feedback(thread_id) if thread_id else {}
    last_answer = max(  # a referral line after an answer leaves its follow-ups under it
        (i for i, m in enumerate(history) if m.get("role") == "assistant" and m.get("kind") not in REFERRAL_LINES),
        default=-1,
    )
    for i, message in enumerate(history):
        role = message.get("role") if message.get("role") in AVATARS else "assistant"
        with st.chat_message(role, avatar=AVATARS[role]):
            try:
                if role == "user":
                    said = str(message.get("content") or "")
                    st.markdown(md_lines(said))
                    continue
                if message.get("kind") in REFERRAL_KINDS:  # a line of the referral flow: its card, live status
                    referral.render_card(copilot, message, sections)
                    continue
                actions = None
                if message.get("finding") and message.get("id") and thread_id:

                    def actions(n: int, finding: dict, message: dict = message) -> None:
                        """Disagree and the memo under each determination, about that one."""
                        mid, many = str(message["id"]), len(findings_of(message)) > 1
                        with st.container(horizontal=True, gap="small", key=f"decide-{mid}" + (f"-{n}" if n else "")):
                            override.render(copilot, thread_id, message, n if many else None)
                            referral.memo_download(copilot, thread_id, mid, mid + (f"-{n}" if n else ""), n)

                shown = {**message, "said": said, "subject": subject}
                render_answer_body(shown, sections, on_correct, names, actions, on_follow_up)
                if message.get("id") and message.get("kind") not in ("error", "limit", "stopped"):
                    render_feedback(
                        copilot, thread_id, message["id"], feedback.get(message["id"]), message.get("content") or ""
                    )
                if i == last_answer and on_follow_up is not None:
                    render_follow_ups(findings_of(message), on_follow_up, str(message.get("id") or i))
            except Exception as exc:  # one message the page cannot show must not take the conversation with it
                errors.show(exc, "showing this message")

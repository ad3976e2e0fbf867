"""The desk on the pages: upload, the queue table, and one submission (its facts with their sources, the files as
received, the findings, what is missing, its referral and the actions). Everything it does goes through
``desk.service.DeskService``; every piece of submission text is hostile data, so it is shown through
``app/ui/escape.py`` or in a dataframe cell (never read as Markdown).
"""

from __future__ import annotations

import streamlit as st

from app import resources
from app.ui import referral as referral_ui
from app.ui import session
from app.ui.escape import code, md
from app.ui.finding import render_finding
from app.ui.labels import field_label, lob_name, value_text
from core.vocabulary import FACTS
from desk.service import download_name, referral_of, score_explained

PAGE = "views/desk.py"
CHAT = "views/chat.py"
PARAM = "submission"
KINDS = ["eml", "pdf", "csv", "xlsx", "txt"]
STATUS = {  # text, colour: the badge of each status, in the order the filter lists them
    "new": ("Queued", "gray"),
    "triaging": ("Triaging", "blue"),
    "needs_info": ("Needs info", "orange"),
    "ready": ("Ready", "green"),
    "referred": ("Referred", "violet"),
    "decided": ("Decided", "gray"),
    "failed": ("Failed", "red"),
}
# The same colours as CSS for the table's tags (a dataframe takes no Streamlit colour names), light like a badge.
TAG_CSS = {"gray": "#a3a8b833", "blue": "#1c83e133", "orange": "#ffa42140", "green": "#21c35440"}
TAG_CSS |= {"violet": "#803df533", "red": "#ff2b2b33"}
DECISIONS = ("Quote", "Decline", "Returned to the broker", "Withdrawn")
# The queue's columns in pixels. Together no wider than the page's main column beside the sidebar on a 1,400-pixel
# window (940, measured in Chromium) less the row pickers (35); the company's name and the lines get the room: a name
# of 41 characters, "Business Owner's Policy". The score's parts are on each submission's page.
COLUMN_WIDTHS = {"Status": 90, "Company": 258, "Lines": 165, "Score": 85, "Age": 65, "Owner": 70, "Id": 167}
TABLE_WIDTH = 905
CHAR_PX = 5.9  # the table's font, per character of a name (measured: 39 characters take 230 pixels)
CELL_PADDING = 16  # a cell's left and right padding
FLASH = "desk_flash"  # {"ok": [...], "bad": [...]} lines left by an action for the next run
UPLOADED = "desk_uploaded"  # {"ok": [...], "bad": [...]}: the last upload's lines, one a file, kept until the next


def status_text(status: str) -> str:
    return STATUS.get(status, (status.replace("_", " ").capitalize(), "gray"))[0]


def badge(status: str) -> str:
    text, colour = STATUS.get(status, (status.replace("_", " ").capitalize(), "gray"))
    return f":{colour}-badge[{md(text)}]"


def age_text(days: float) -> str:
    if days < 1 / 24:
        return "just now"
    if days < 1:
        return f"{int(days * 24)} h"
    return f"{days:.0f} d" if days >= 2 else f"{days:.1f} d"


def lines_text(row) -> str:
    """The lines, by the catalog's names: triage's codes, else the lines requested (as written when not ours)."""
    return ", ".join(line_names(row))


def line_names(row) -> list[str]:
    lines = (row.result or {}).get("lines")
    if lines:
        return [lob_name(c) for c in lines]
    catalog = resources.copilot().toolkit.ctx.catalog
    return [lob_name(c) if (c := catalog.find_lob(x)) else x for x in row.submission.lines_requested]


def fits(text: str, column: str) -> bool:
    return len(text) * CHAR_PX + CELL_PADDING <= COLUMN_WIDTHS[column]


def lines_cell(names: list[str]) -> str:
    """Every line in the queue's narrow column: the names when they fit, else a name of several words by its
    initials, as underwriters write them ("GL", "WC", "BOP"), then without spaces; only past that the last are
    counted ("+2"). The submission's page names each in full."""
    short = [n if len(n.split()) < 2 else "".join(w[0].upper() for w in n.split() if w[0].isalpha()) for n in names]
    for text in (", ".join(names), ", ".join(short), ",".join(short)):
        if fits(text, "Lines"):
            return text
    for keep in range(len(short) - 1, 0, -1):
        text = ",".join(short[:keep]) + f" +{len(short) - keep}"
        if fits(text, "Lines"):
            return text
    return f"{len(short)} lines"


# --- upload ------------------------------------------------------------------------------------------------------
def outcome_lines(outcome) -> tuple[list[str], list[str]]:
    """(accepted, refused) lines, one a file, for the page to show after an upload: the submission id(s) each file
    became and whether triage was queued (a submission a person must read first is not)."""
    ok, bad = [], []
    for o in outcome.outcomes:
        if not o.ok:
            bad.append(f"Refused: {code(o.name)} — {md(o.refused)}")
            continue
        ids = ", ".join(code(s.id) for s in o.submissions)
        noun = "submission" if len(o.submissions) == 1 else "submissions"
        if o.duplicate:
            ok.append(f"Already on the desk: {code(o.name)} is {noun} {ids}")
            continue
        held = sum(1 for s in o.submissions if s.needs_person)  # not queued: intake asks a person to read it first
        then = "triage queued" if not held else f"triage queued; {held} must be read by a person first"
        if held == len(o.submissions):
            then = "a person must read it before triage"
        ok.append(f"Accepted: {code(o.name)} as {noun} {ids} — {then}")
    return ok, bad


def render_upload(desk, user) -> None:
    n = st.session_state.get("desk_upload_n", 0)  # a new key empties the uploader after a submit
    with st.form(f"desk-upload-{n}", clear_on_submit=True, border=True):
        files = st.file_uploader(
            "Add submissions: broker e-mails, applications, letters, account lists",
            type=KINDS,
            accept_multiple_files=True,
            key=f"desk-files-{n}",
        )
        sent = st.form_submit_button("Send to triage", icon=":material/upload:", type="primary")
    if sent and files:
        outcome = desk.submit([(f.name, f.getvalue()) for f in files], owner=user.name)
        ok, bad = outcome_lines(outcome)
        st.session_state[UPLOADED] = {"ok": ok, "bad": bad}
        st.session_state["desk_upload_n"] = n + 1
        st.rerun()
    render_uploaded()


def render_uploaded() -> None:
    """What the last upload became, under the uploader until the next one or until dismissed. Not a one-run flash:
    the page re-runs itself when the triage it queued finishes (often within 2 s), which would wipe a flash before
    anyone read it."""
    said = st.session_state.get(UPLOADED)
    if not said:
        return
    if said["ok"]:
        st.success(_lines(said["ok"]), icon=":material/check_circle:")
    if said["bad"]:
        st.error(_lines(said["bad"]), icon=":material/error:")
    if st.button("Dismiss", icon=":material/close:", type="tertiary", key="desk-upload-dismiss"):
        st.session_state.pop(UPLOADED, None)
        st.rerun()


# --- the queue ---------------------------------------------------------------------------------------------------
def table_rows(rows) -> list[dict]:
    return [
        {
            "Status": [status_text(r.status)],
            "Company": r.submission.company or "—",
            "Lines": lines_cell(line_names(r)) or "—",
            "Score": round(r.priority, 2) if r.result else None,
            "Age": age_text(r.age_days),
            "Owner": r.owner or "—",
            "Id": r.submission.id,
        }
        for r in rows
    ]


def render_table(rows, key: str) -> str | None:
    """The queue as a table; returns the id of the row clicked, if any."""
    table = st.dataframe(
        table_rows(rows),
        hide_index=True,
        width="stretch",
        height=min(38 + 35 * max(len(rows), 1), 560),
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        column_config={
            "Status": st.column_config.MultiselectColumn(
                "Status",
                options=[t for t, _ in STATUS.values()],
                color=[TAG_CSS[c] for _, c in STATUS.values()],
                width=COLUMN_WIDTHS["Status"],
            ),
            "Company": st.column_config.TextColumn(width=COLUMN_WIDTHS["Company"]),
            "Lines": st.column_config.TextColumn(width=COLUMN_WIDTHS["Lines"]),
            "Score": st.column_config.ProgressColumn(
                "Priority",
                min_value=0.0,
                max_value=1.0,
                format="%.2f",
                width=COLUMN_WIDTHS["Score"],
                help="Appetite fit ×0.4 + completeness ×0.2 + size ×0.2 + age ×0.2 (the age part is full at 5 days); "
                "each part is on the submission's page",
            ),
            "Age": st.column_config.TextColumn(width=COLUMN_WIDTHS["Age"]),
            "Owner": st.column_config.TextColumn(width=COLUMN_WIDTHS["Owner"]),
            "Id": st.column_config.TextColumn(width=COLUMN_WIDTHS["Id"]),
        },
    )
    picked = (table.selection.rows if table is not None and hasattr(table, "selection") else []) or []
    return rows[picked[0]].submission.id if picked and picked[0] < len(rows) else None


# --- one submission ----------------------------------------------------------------------------------------------
def render_header(row) -> None:
    sub = row.submission
    st.page_link(PAGE, label="The desk", icon=":material/arrow_back:", query_params={})
    st.markdown(f"### {md(sub.company or 'Unnamed applicant')} &nbsp; {badge(row.status)}")
    bits = [code(sub.id), f"received {md(sub.received_at[:16].replace('T', ' '))} UTC", f"owner {md(row.owner or '—')}"]
    if row.reason:
        bits.append(md(row.reason))
    st.caption(" · ".join(bits))
    if sub.description:
        st.markdown(md(sub.description))
    if sub.needs_person:
        st.warning(f"A person must read it: {md(sub.needs_person)}", icon=":material/visibility:")
    for note in sub.notes:
        st.caption(f":material/info: {md(note)}")


def render_facts(sub) -> None:
    st.markdown("**What the submission says**")
    if not sub.facts:
        st.caption("No fact was read from it.")
        return
    table = [
        f"| {md(field_label(k))} | {md(v)} | {md(f.source.where())} | {md(f.snippet)} |" for k, v, f in fact_rows(sub)
    ]
    st.markdown("\n".join(["| Fact | Value | Source | Read from |", "|---|---|---|---|", *table]))


def fact_rows(sub) -> list[tuple[str, str, object]]:
    """(label key, value shown, fact) per fact read; the line row names every line requested, not the first only."""
    rows = []
    for f in sub.facts:
        if f.key == "lob" and len(sub.lines_requested) > 1:
            rows.append(("lobs", value_text("lobs", list(sub.lines_requested)), f))
        else:
            rows.append((f.key, value_text(f.key, f.value), f))
    return rows


def render_files(desk, sub) -> None:
    st.markdown("**Files as received**")
    for i, f in enumerate(sub.files):
        path = desk.store.file_path(f.sha256)
        name = download_name(f.name, f.sha256)
        if path is None:
            st.caption(f"{md(name)}: the file is no longer in the store.")
            continue
        st.download_button(
            f"{md(name)} ({f.size:,} bytes)",  # a label is Markdown too
            data=path.read_bytes,
            file_name=name,
            mime="application/octet-stream",  # never rendered by the browser: it is the broker's file
            key=f"desk-file-{i}-{f.sha256[:12]}",
            icon=":material/download:",
            on_click="ignore",
        )


def render_triage(row, sections: dict) -> None:
    if row.result is None:
        st.info(
            f"Triage has not finished ({md(status_text(row.status).lower())}): findings appear here when it has.",
            icon=":material/hourglass_top:",
        )
        return
    st.markdown("**Findings**")
    findings = row.result.get("findings") or []
    for i, finding in enumerate(findings):
        render_finding(finding, [], sections, key=f"desk-finding-{i}")
    if not findings:
        st.caption("Triage recorded no finding.")


def render_side(row, referrals) -> None:
    with st.container(border=True):
        st.markdown(f"**Priority {row.priority:.2f}**" if row.result else "**Priority**: after triage")
        if row.result:
            st.markdown(
                "\n".join(f"- {md(label)}: {part:.2f} × {weight:g}" for label, part, weight in score_explained(row))
            )
        missing = list((row.result or {}).get("missing") or [])
        st.markdown("**Missing**")
        if missing:
            st.markdown("\n".join(f"- {md(FACTS[m].words if m in FACTS else m)}" for m in missing))
        else:
            st.caption("Nothing is missing." if row.result else "Known after triage.")
        reasons = (row.result or {}).get("referral_reasons") or []
        ref = referral_of(referrals, row.submission.id)
        if ref is not None or reasons:
            st.markdown("**Referral**")
            if reasons:
                st.markdown("\n".join(f"- {md(r)}" for r in reasons))
            if ref is not None:
                st.markdown(referral_ui.badge(ref.status))
                st.page_link(
                    referral_ui.PAGE_FILE,
                    label=f"Open referral {ref.id}",
                    icon=":material/assignment_ind:",
                    query_params={referral_ui.PARAM: ref.id},
                )
            else:
                st.caption("The referral opens with the next refresh of the desk.")


def continue_in_copilot(copilot, desk, sub) -> None:
    """A new conversation whose first message is everything the submission says; the chat page sends it (on its
    turn runner, like any message) and shows the answer."""
    # The conversation is about the submission: a referral it opens names it, and the desk counts its approval.
    thread = copilot.new_thread(title=f"{sub.company or 'Submission'} ({sub.id})", applicant_id=sub.id)
    session.set_current(thread.id)
    session.queue_message(desk.opening_message(sub.id))
    st.switch_page(CHAT, query_params={session.PARAM: thread.id})


def render_actions(copilot, desk, row, user) -> None:
    sub = row.submission
    with st.container(horizontal=True, gap="small"):
        if row.owner != user.name and st.button("Assign to me", icon=":material/person_add:", key="desk-assign"):
            desk.assign(sub.id, user.name)
            st.rerun()
        if st.button("Continue in the copilot", icon=":material/forum:", type="primary", key="desk-continue"):
            continue_in_copilot(copilot, desk, sub)
        if row.status == "failed" and st.button("Retry triage", icon=":material/replay:", key="desk-retry"):
            act(lambda: desk.retry(sub.id), "Triage runs again from the step that failed.")
    with st.expander("Draft a request to the broker", icon=":material/mail:"):
        st.caption("Copy it into your e-mail: nothing is sent from here.")
        st.code(desk.broker_request(sub.id), language=None, wrap_lines=True)


def render_decide(copilot, desk, row, user) -> None:
    if row.decision:
        st.caption(f":material/gavel: Decided: **{md(row.decision)}**")
        return
    with st.form("desk-decide", border=True):
        st.markdown("**Mark decided**")
        decision = st.selectbox("Decision", DECISIONS, key="desk-decision")
        note = st.text_area("Note", max_chars=2000, key="desk-note", height=80)
        if st.form_submit_button("Mark decided", icon=":material/gavel:"):
            act(
                lambda: desk.decide(
                    row.submission.id,
                    user=user.name,
                    decision=decision,
                    note=note,
                    record=copilot.record,
                    role=user.role,
                    referrals=copilot.referrals,
                ),
                "",
            )


def act(do, done: str) -> None:
    """Run an action; a refusal is one line on the next run, never a traceback."""
    from desk.queue import DeskError

    try:
        do()
    except (DeskError, ValueError, LookupError) as exc:
        st.session_state[FLASH] = {"ok": [], "bad": [md(str(exc)[:1].upper() + str(exc)[1:])]}
    else:
        if done:
            st.session_state[FLASH] = {"ok": [done], "bad": []}
    st.rerun()


def show_flash() -> None:
    flash = st.session_state.pop(FLASH, None)
    if flash and flash["ok"]:
        st.success(_lines(flash["ok"]), icon=":material/check_circle:")
    if flash and flash["bad"]:
        st.error(_lines(flash["bad"]), icon=":material/error:")


def _lines(lines: list[str]) -> str:
    return lines[0] if len(lines) == 1 else "\n".join(f"- {line}" for line in lines)

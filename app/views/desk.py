"""The Desk page: submissions in (upload), the queue by priority (refreshing while triage runs in the background),
and one submission (``?submission=<id>``) with its facts, files, findings and actions. A thin page over
``desk.service.DeskService``; the widgets are in ``app/ui/desk.py``."""

from __future__ import annotations

import streamlit as st

from app import auth, resources
from app.ui import desk as ui
from app.ui.common import require_copilot
from app.ui.escape import code, md
from desk.service import sees_whole_desk, working

REFRESH_S = 2  # while any submission is queued or triaging

copilot = require_copilot()
settings = resources.settings()
user = auth.streamlit_user(settings)
desk = resources.desk()
whole = sees_whole_desk(user.sees_all, user.role)
desk.refer_pending(copilot.referrals, copilot.toolkit.ctx.catalog)  # referred by triage: open their referrals

ui.show_flash()
wanted = st.query_params.get(ui.PARAM)
row = desk.row(wanted, user=user.name, sees_all=whole) if wanted else None
if wanted and row is None:  # someone else's is "does not exist", like a referral
    st.warning(f"There is no submission {code(wanted)} for you; showing the desk.")

if row is not None:
    main, side = st.columns([0.64, 0.36], gap="large")
    with main:
        ui.render_header(row)
        ui.render_facts(row.submission)
        ui.render_triage(row, resources.sections_by_id())
    with side:
        ui.render_actions(copilot, desk, row, user)
        ui.render_side(row, copilot.referrals)
        ui.render_files(desk, row.submission)
        ui.render_decide(copilot, desk, row, user)
    st.stop()

st.markdown("### Submission desk")
ui.render_upload(desk, user)
left, mid, right = st.columns([0.42, 0.38, 0.2], vertical_alignment="bottom")
search = left.text_input(
    "Search", placeholder="Company, id, state, NAICS…", max_chars=200, icon=":material/search:", key="desk-search"
)
statuses = mid.multiselect(
    "Status", list(ui.STATUS), format_func=ui.status_text, placeholder="Every status", key="desk-status"
)
mine_only = not whole
if whole and settings.auth:  # seniors and admins may look at the whole desk; they start with their own
    mine_only = (
        right.segmented_control(
            "Show", ["Mine and unassigned", "Everything"], default="Mine and unassigned", key="desk-scope"
        )
        != "Everything"
    )
view = {"user": user.name, "sees_all": not mine_only, "statuses": tuple(statuses), "search": search}
rows = desk.rows(**view)
busy = working(rows) > 0


drawn = {"rows": rows}  # this run's rows; each refresh of the fragment reads the queue again


@st.fragment(run_every=REFRESH_S if busy else None)
def queue() -> None:
    now = drawn.pop("rows", None) or desk.rows(**view)
    left = working(now)
    if left:
        st.caption(f":material/autorenew: {left} of {len(now)} triaging")
    elif busy:  # triage finished since the page was drawn: a full run stops the refresh
        desk.refer_pending(copilot.referrals, copilot.toolkit.ctx.catalog)
        st.rerun(scope="app")
    if not now:
        st.info(
            "No submission here yet: add broker e-mails, PDFs or account lists above."
            if not (search or statuses)
            else f"No submission matches{' “' + md(search.strip()) + '”' if search.strip() else ''}.",
            icon=":material/inbox:",
        )
        return
    st.caption(f"{len(now)} submission(s), highest priority first. Pick a row to open it.")
    picked = ui.render_table(now, key="desk-table")
    if picked:
        st.query_params[ui.PARAM] = picked
        st.rerun(scope="app")


queue()

"""Monitoring page (admin): what the copilot did across conversations, from the traces and online checks.

Thin on purpose: every figure comes from ``evals/monitoring.py``; links open the conversation on the Copilot page.
The figures are cached per filter until something new is written to the telemetry or conversations store
(``last_write``), so a rerun (a click, a refresh) costs a few index lookups. Feedback is read from the conversations
store wherever it lives (``UWC_DATABASE_URL``: the data folder's SQLite file, or PostgreSQL). Charts are plain
Vega-Lite specs (no Altair to import and validate).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from app import resources
from app.ui.common import DB_ERRORS, database_message
from app.ui.escape import code, md
from evals.monitoring import Filters, Monitoring, Options, filter_options, last_write, load_monitoring
from evals.promote import promote_from_page
from graph.threads import ThreadStore, store_url

settings = resources.settings()
st.title("Monitoring")
LINK = st.column_config.LinkColumn("conversation", display_text=r"\?thread=(.*)")


@st.cache_data(show_spinner=False, max_entries=8)
def cached_options(telemetry: str, marker: tuple) -> Options:
    return filter_options(Path(telemetry))


@st.cache_data(show_spinner="Reading the traces…", max_entries=64)
def cached_figures(
    telemetry: str, conversations: str, filters: Filters, marker: tuple, _store: ThreadStore | None
) -> Monitoring:
    """``marker`` (the stores' last write) is only part of the cache key: new spans or ratings, new figures. The
    store itself is not hashed (a leading underscore); its URL stands for it in the key."""
    return load_monitoring(Path(telemetry), _store, filters)


def conversations_store() -> ThreadStore | None:
    """The store the ratings live in; None (and a warning) when it cannot be opened: the traces still show."""
    try:
        return resources.thread_store(store_url(settings))
    except DB_ERRORS as exc:
        st.warning(f"No feedback figures. {database_message(exc)}", icon=":material/database:")
        return None


def with_links(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df.insert(0, "conversation", "/?thread=" + df.pop("conversation_id").astype(str))
    return df


def chart(data: pd.DataFrame, mark: dict | str, encoding: dict, height: int = 200) -> None:
    st.vega_lite_chart(data, {"mark": mark, "encoding": encoding, "height": height}, width="stretch")


store = conversations_store()
marker = last_write(settings.telemetry_path, store)
options = cached_options(str(settings.telemetry_path), marker)
if options.first_day is None:
    st.info(
        f"No traced turns in {code(settings.telemetry_path)} yet. Every conversation is traced unless `UWC_TRACING=false`: "
        "ask the copilot something and come back."
    )
    st.stop()

left, mid, right = st.columns([2, 2, 2])
picked = left.date_input("Dates", (options.first_day, options.last_day), key="mon-dates")
models = mid.multiselect("Model", options.models, key="mon-models")
users = right.multiselect("User", options.users, key="mon-users")
start, end = (tuple(picked) + (None, None))[:2] if isinstance(picked, (tuple, list)) else (picked, picked)
m = cached_figures(
    str(settings.telemetry_path),
    store.url if store is not None else "",
    Filters(start=start, end=end, models=tuple(models), users=tuple(users)),
    marker,
    store,
)
if m.feedback_problem:  # said once, and not kept: the next rerun asks the store again
    st.warning(md(m.feedback_problem), icon=":material/database:")
    cached_figures.clear()

checks = dict(zip(m.checks.get("status", []), m.checks.get("count", []), strict=False))
ratio = m.feedback["ratio"]
first, second = st.columns(4), st.columns(4)
first[0].metric("Turns", f"{m.turns:,}")
first[1].metric("Latency p50", f"{(m.p50_ms or 0) / 1000:.2f} s")
first[2].metric("Latency p95", f"{(m.p95_ms or 0) / 1000:.2f} s")
first[3].metric("Tokens", f"{m.tokens:,}")
second[0].metric("Cost", f"${m.cost_usd:.4f}")
second[1].metric("Invented-product rate", f"{100 * (m.invented_product_rate or 0):.1f}%", help="share of turns")
second[2].metric(
    "Thumbs up",
    "—" if ratio is None else f"{100 * ratio:.0f}%",
    help=f"{m.feedback['up']} up, {m.feedback['down']} down",
)
second[3].metric(
    "Check mismatches",
    f"{checks.get('mismatch', 0):,}",
    help=f"online checks of {sum(checks.values()):,} findings ({checks.get('unverifiable', 0):,} unverifiable)",
)

day_tab, tools_tab, findings_tab, conv_tab, feedback_tab = st.tabs(
    ["By day", "Tools and guards", "Findings and checks", "Conversations", "Feedback"]
)
with day_tab:
    if not m.per_day.empty:
        day = {"field": "day", "type": "temporal", "title": None}
        tooltip = [{"field": c} for c in m.per_day.columns]
        chart(m.per_day, "bar", {"x": day, "y": {"field": "turns", "type": "quantitative"}, "tooltip": tooltip})
        lat = m.per_day.melt(id_vars=["day"], value_vars=["p50_ms", "p95_ms"], var_name="latency", value_name="ms")
        chart(
            lat,
            {"type": "line", "point": True},
            {"x": day, "y": {"field": "ms", "type": "quantitative"}, "color": {"field": "latency", "type": "nominal"}},
        )
        st.dataframe(m.per_day, hide_index=True, width="stretch")
with tools_tab:
    st.subheader("Tool error rate by tool")
    st.dataframe(
        m.tools,
        hide_index=True,
        width="stretch",
        column_config={
            "error_rate": st.column_config.ProgressColumn("error rate", format="percent", min_value=0, max_value=1)
        },
    )
    st.subheader(f"Guard interventions ({int(m.guards['count'].sum()) if not m.guards.empty else 0})")
    st.dataframe(m.guards, hide_index=True, width="stretch")
    st.subheader("Models")
    st.caption(
        "Turns each model answered, its calls, and the retries they took (a rate limit, an outage, a stalled stream, "
        "an empty reply, the switch to the fallback model): `retried_calls` needed at least one."
    )
    st.dataframe(m.models, hide_index=True, width="stretch")
with findings_tab:
    st.subheader("Determinations by task type")
    if not m.determinations.empty:
        chart(
            m.determinations,
            "bar",
            {
                "x": {"field": "count", "type": "quantitative"},
                "y": {"field": "task_type", "type": "nominal", "title": None},
                "color": {"field": "verdict", "type": "nominal"},
                "tooltip": [{"field": "task_type"}, {"field": "verdict"}, {"field": "count"}],
            },
            height=220,
        )
    st.subheader("Online checks")
    st.dataframe(m.checks, hide_index=True, width="stretch")
    if not m.mismatches.empty:
        st.dataframe(with_links(m.mismatches), hide_index=True, width="stretch", column_config={"conversation": LINK})
with conv_tab:
    st.subheader("Tokens and cost per conversation")
    if m.conversations > len(m.per_conversation):
        st.caption(f"The {len(m.per_conversation):,} costliest of {m.conversations:,} conversations.")
    st.dataframe(with_links(m.per_conversation), hide_index=True, width="stretch", column_config={"conversation": LINK})
with feedback_tab:
    st.subheader("Latest comments")
    if m.comments.empty:
        st.caption("No comments in this selection.")
    else:
        st.dataframe(with_links(m.comments), hide_index=True, width="stretch", column_config={"conversation": LINK})
    st.subheader("Add to the regression set")
    st.caption(
        "A reviewed conversation becomes a regression task (`evals/regression/tasks.jsonl`, run by `make test`): "
        "its opening, the facts the copilot established, and the answer you confirm."
    )
    with st.form("promote", clear_on_submit=False):
        thread_id = st.text_input("Conversation id", placeholder="e.g. 3748d910679c (the ?thread= of its link)")
        expected = st.text_input(
            "Expected answer (JSON; empty = the finding's verdict)", placeholder='e.g. {"deductible": 5000}'
        )
        submitted = st.form_submit_button("Add to the regression set", icon=":material/playlist_add:")
    if submitted:
        promoted = promote_from_page(resources.copilot(), thread_id.strip(), expected.strip())
        if promoted.ok:
            st.success(md(promoted.message), icon=":material/check:")
        else:
            st.error(md(promoted.message), icon=":material/block:")

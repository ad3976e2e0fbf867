"""Render a running turn as its events arrive: steps as they finish, tokens as they stream, guard notices."""

from __future__ import annotations

import time

import streamlit as st

from app.ui.escape import md, md_lines, model_markdown
from app.ui.labels import tool_label
from app.ui.messages import AVATARS
from app.ui.steps import render_notices, render_step

POLL_SECONDS = 0.05


def watch(turn, on_stop=None) -> None:
    """Poll ``turn.events`` and render them until the turn is done (a rerun of the page may cut this short:
    the turn itself goes on in the background and the next run watches it again from the start)."""
    with st.container(key="live-turn"):
        _watch(turn, on_stop)


def _watch(turn, on_stop) -> None:
    with st.chat_message("user", avatar=AVATARS["user"]):
        st.markdown(md_lines(turn.text))
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        steps_box = st.container(key="live-steps")
        status = st.empty()
        notices_box = st.container()
        text_box = st.container(key="live-text").empty()
        status.caption(":material/hourglass_top: Thinking…")
        if on_stop is not None:
            st.button(
                "Stopping…" if turn.cancel.is_set() else "Stop",
                icon=":material/stop_circle:",
                key="stop-turn",
                on_click=on_stop,
                disabled=turn.cancel.is_set(),
                help="End this answer here; the conversation stays usable",
            )
        seen, text = 0, ""
        while True:
            finished = turn.done.is_set()  # read before the events, so none is missed
            events = turn.events[seen:]
            seen += len(events)
            for event in events:
                kind = event.get("type")
                if kind == "tool_start":
                    text = ""  # what came before a tool call was a preamble, not the answer
                    status.caption(f":material/hourglass_top: Running **{md(tool_label(event.get('tool')))}**…")
                elif kind == "tool":
                    status.caption(":material/hourglass_top: Thinking…")
                    with steps_box:
                        render_step(event)
                elif kind == "token":
                    text += str(event.get("text") or "")
                elif kind == "notice":
                    with notices_box:
                        render_notices(event.get("notices") or [])
                elif kind == "error":
                    status.empty()
                    text_box.error(md(event.get("text", "The model failed.")))
            if text:
                status.empty()
                text_box.markdown(model_markdown(text) + " ▌")
            if finished:
                status.empty()
                return
            time.sleep(POLL_SECONDS)

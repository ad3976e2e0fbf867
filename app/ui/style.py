"""A few CSS touches Streamlit has no option for (left-aligned conversation list, tighter steps)."""

from __future__ import annotations

import streamlit as st

CSS = """
<style>
.st-key-conv-list button, .st-key-conv-list button > div { justify-content: flex-start; text-align: left; width: 100%; }
.st-key-conv-list button p { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
[data-testid="stChatMessage"] [data-testid="stExpander"] details summary p { font-size: 0.9rem; }
</style>
"""


def apply() -> None:
    st.html(CSS)

"""A few CSS touches Streamlit has no option for (one-line conversation titles with an ellipsis, the copy button)."""

from __future__ import annotations

import streamlit as st

CSS = """
<style>
.st-key-conv-list button { justify-content: flex-start; text-align: left; width: 100%; min-width: 0; }
.st-key-conv-list button > div { justify-content: flex-start; min-width: 0; max-width: 100%; overflow: hidden; }
.st-key-conv-list button [data-testid="stMarkdownContainer"] { min-width: 0; overflow: hidden; }
.st-key-conv-list button p { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; margin: 0; }
.st-key-conv-list [data-testid="stCaptionContainer"] { margin-top: 0.5rem; }
[data-testid="stChatMessage"] [data-testid="stExpander"] details summary p { font-size: 0.9rem; }
button.uwc-copy { font: inherit; font-size: 0.85rem; padding: 0.1rem 0.6rem; border-radius: 0.5rem; cursor: pointer;
  border: 1px solid rgba(49, 51, 63, 0.2); background: transparent; color: inherit; }
button.uwc-copy:hover { border-color: rgba(49, 51, 63, 0.5); }
</style>
"""


def apply() -> None:
    st.html(CSS)

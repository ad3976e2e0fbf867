"""Unexpected errors on a page: one readable line for the user, the traceback in the server log under a reference.

The served configuration hides Streamlit's own exception details (``client.showErrorDetails = "none"``); this is
what the user sees instead, and the reference lets whoever runs the server find the traceback.
"""

from __future__ import annotations

import logging
import uuid

import streamlit as st

log = logging.getLogger("uwc.app")
if not log.handlers:  # Streamlit does not configure the root logger: make sure the traceback reaches the log
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.setLevel(logging.INFO)
    log.propagate = False


def reference(exc: BaseException, where: str) -> str:
    """Log ``exc`` with its traceback under a new reference id; return the id."""
    ref = uuid.uuid4().hex[:8]
    log.error("[ref %s] unexpected error while %s", ref, where, exc_info=exc)
    return ref


def message(ref: str, what: str) -> str:
    return f"Something went wrong while {what} (reference `{ref}`, in the server log). The conversation is kept."


def show(exc: BaseException, what: str) -> str:
    """Log ``exc`` and show one line about it; returns the reference."""
    ref = reference(exc, what)
    st.error(message(ref, what), icon=":material/error:")
    return ref

"""A tool call as a collapsible step: tool, arguments, short result, duration, error state; guard notices."""

from __future__ import annotations

import json

import streamlit as st

from core.vocabulary import usd

# Result fields worth a one-line summary, in the order they are shown.
SUMMARY_KEYS = (
    "appetite",
    "small_business",
    "status",
    "naics",
    "title",
    "per_occurrence",
    "aggregate",
    "deductible",
    "lob",
    "state",
    "reason",
    "summary",
    "question",
)


def short_args(arguments: dict, limit: int = 70) -> str:
    text = ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in arguments.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short_result(event: dict, limit: int = 240) -> str:
    """One readable line for a tool result (the full JSON stays available below it)."""
    result = event.get("result")
    if not isinstance(result, dict):
        return str(result)[:limit]
    if not event.get("ok"):
        return result.get("error", "failed")
    if "applicant" in result:
        a = result["applicant"]
        return f"Found {a.get('company_name')} ({a.get('id')}): NAICS {a.get('naics_code')}, {a.get('state')}, asks for {a.get('requested_lob')}"
    if "candidates" in result:
        names = ", ".join(f"{c.get('company_name')} ({c.get('id')})" for c in result["candidates"])
        return f"{len(result['candidates'])} candidates: {names}"[:limit]
    parts = []
    for key in SUMMARY_KEYS:
        value = result.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, int) and key in ("per_occurrence", "aggregate", "deductible"):
            value = usd(value)
        parts.append(f"{key.replace('_', ' ')}: {value}")
    if not parts:
        for key, value in result.items():
            if isinstance(value, list):
                parts.append(f"{key}: {len(value)} item(s)")
            elif not isinstance(value, dict):
                parts.append(f"{key}: {value}")
    text = " · ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def step_label(event: dict) -> str:
    status = "" if event.get("ok") else " · failed"
    return f"**{event['tool']}**({short_args(event.get('arguments') or {})}) · {event.get('duration_ms', 0):,.0f} ms{status}"


def render_step(event: dict) -> None:
    ok = event.get("ok")
    with st.expander(step_label(event), icon=":material/check_circle:" if ok else ":material/error:"):
        st.caption("Arguments")
        st.code(json.dumps(event.get("arguments") or {}, indent=2, default=str), language="json")
        if ok:
            st.caption("Result")
            st.markdown(short_result(event))
            st.caption("Full result (JSON)")
            st.json(event.get("result"), expanded=False)
        else:
            result = event.get("result") or {}
            kind = event.get("error_kind") or "error"
            st.error(f"**{kind.replace('_', ' ')}** — {result.get('error', 'failed')}")
            if result.get("hint"):
                st.caption(f"Hint given to the model: {result['hint']}")


def render_steps(steps: list[dict]) -> None:
    for event in steps:
        render_step(event)


def render_notices(notices: list[str]) -> None:
    """Answer-guard interventions, e.g. "'umbrella' is not a product we write — removed from the answer"."""
    for notice in notices:
        st.warning(notice, icon=":material/shield:")

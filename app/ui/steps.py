"""A tool call as a collapsible step: what was checked, with what, the short result, duration, error state; notices.

Every tool result shape is handled: successes, ``{"error", "hint"}`` errors, empty results and ``null`` fields
(``find_applicant`` returns ``"applicant": null`` for a business not on file). A shape nobody foresaw falls back to
the generic summary; the full JSON is always one click away.
"""

from __future__ import annotations

import json

import streamlit as st

from app.ui.escape import code, md
from app.ui.labels import field_label, lob_name, tool_label, value_text

# Result fields worth a one-line summary, in the order they are shown.
SUMMARY_KEYS = (
    "appetite",
    "small_business",
    "naics",
    "title",
    "per_occurrence",
    "aggregate",
    "deductible",
    "lob",
    "state",
    "reason",
    "question",
    "note",
    "result",
)
SKIP_ARGS = ("summary", "citations", "facts")  # record_finding's long arguments: shown in the finding card


def short_args(arguments: object, limit: int = 90) -> str:
    if not isinstance(arguments, dict):
        return "" if arguments in (None, "") else str(arguments)[:limit]
    text = ", ".join(
        f"{field_label(k)} {value_text(k, v)}" for k, v in arguments.items() if k not in SKIP_ARGS and v is not None
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _applicant(result: dict) -> str | None:
    if "applicant" not in result:
        return None
    a = result["applicant"]
    if isinstance(a, dict):
        lob = lob_name(a.get("requested_lob")) if a.get("requested_lob") else "—"
        return (
            f"Found {a.get('company_name') or 'an applicant'} ({a.get('id') or '?'}): "
            f"NAICS {a.get('naics_code') or '—'}, {a.get('state') or '—'}, asks for {lob}"
        )
    if result.get("candidates"):
        return None
    return "Not in our submissions" + (f": {result['note']}" if result.get("note") else "")


def _list_summary(result: dict) -> str | None:
    if isinstance(result.get("candidates"), list):
        items = [c for c in result["candidates"] if isinstance(c, dict)]
        if not items:
            return "No candidates"
        names = ", ".join(
            f"{c.get('company_name') or c.get('title') or '?'} ({c.get('id') or c.get('naics') or '?'})" for c in items
        )
        return f"{len(items)} candidate(s): {names}"
    if isinstance(result.get("recommended"), list):
        names = [lob_name(r.get("lob")) for r in result["recommended"] if isinstance(r, dict)]
        pending = [lob_name(r.get("lob")) for r in result.get("need_facts") or [] if isinstance(r, dict)]
        text = "Can offer: " + (", ".join(names) if names else "none")
        return text + (f" · depends on more facts: {', '.join(pending)}" if pending else "")
    if isinstance(result.get("sections"), list) and result["sections"] and isinstance(result["sections"][0], dict):
        return "Sections: " + ", ".join(str(s.get("id")) for s in result["sections"] if isinstance(s, dict))
    if isinstance(result.get("rows"), list):
        return f"{len(result['rows'])} row(s)" + (" (truncated)" if result.get("truncated") else "")
    return None


def short_result(event: dict, limit: int = 240) -> str:
    """One readable line for a tool result (the full JSON stays available below it)."""
    result = event.get("result") if isinstance(event, dict) else None
    if not isinstance(result, dict):
        return "No result" if result in (None, "", [], {}) else str(result)[:limit]
    if not event.get("ok"):
        return str(result.get("error") or "failed")[:limit]
    text = _applicant(result) or _list_summary(result)
    if text is None:
        parts = []
        for key in SUMMARY_KEYS:
            value = result.get(key)
            if value is None or value == "" or isinstance(value, (dict, list)):
                continue
            parts.append(f"{field_label(key)}: {value_text(key, value)}")
        if not parts:
            for key, value in result.items():
                if isinstance(value, list):
                    parts.append(f"{field_label(key)}: {len(value)} item(s)")
                elif not isinstance(value, dict) and value not in (None, ""):
                    parts.append(f"{field_label(key)}: {value_text(key, value)}")
        text = " · ".join(parts) or "Empty result"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def step_label(event: dict) -> str:
    status = " · failed" if not event.get("ok") else ""
    try:
        ms = f"{float(event.get('duration_ms') or 0):,.0f} ms"
    except (TypeError, ValueError):
        ms = "—"
    args = md(short_args(event.get("arguments")))
    return f"**{md(tool_label(event.get('tool')))}**" + (f" · {args}" if args else "") + f" · {ms}{status}"


def render_step(event: dict) -> None:
    if not isinstance(event, dict):
        return
    ok = bool(event.get("ok"))
    with st.expander(step_label(event), icon=":material/check_circle:" if ok else ":material/error:"):
        st.caption(f"Tool {code(event.get('tool'))} · arguments")
        st.code(json.dumps(event.get("arguments") or {}, indent=2, default=str), language="json")
        if ok:
            st.caption("Result")
            st.markdown(md(short_result(event)))
            st.caption("Full result (JSON)")
            st.json(json.loads(json.dumps(event.get("result"), default=str)), expanded=False)
        else:
            result = event.get("result") if isinstance(event.get("result"), dict) else {}
            kind = str(event.get("error_kind") or "error").replace("_", " ")
            st.error(f"**{md(kind)}** — {md(result.get('error') or 'failed')}")
            if result.get("hint"):
                st.caption(f"Hint given to the model: {md(result['hint'])}")


def render_steps(steps: list[dict] | None) -> None:
    for event in steps or []:
        render_step(event)


def render_notices(notices: list[str] | None) -> None:
    """Answer-guard interventions, e.g. "'umbrella' is not a product we write — removed from the answer"."""
    for notice in notices or []:
        st.warning(md(notice), icon=":material/shield:")

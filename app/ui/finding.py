"""The finding card: determination, key figures, the rules applied, and the cited guideline sections."""

from __future__ import annotations

import re

import streamlit as st

from core.vocabulary import FACT_LABELS, TASK_LABELS, usd

APPETITE = {
    "yes": ("In appetite", "green", ":material/check_circle:"),
    "no": ("Not in appetite", "red", ":material/cancel:"),
    "qualified": ("Qualified — depends on more facts", "orange", ":material/help:"),
}
OUTCOME_ICONS = {
    "pass": ":green[:material/check_circle:]",
    "yes": ":green[:material/check_circle:]",
    "fail": ":red[:material/cancel:]",
    "no": ":red[:material/cancel:]",
    "unknown": ":gray[:material/help:]",
    "refer": ":orange[:material/forward:]",
    "qualified": ":orange[:material/rule:]",
    "not_needed": ":gray[:material/remove:]",
}
FACT_NAMES = FACT_LABELS
money = usd


def determination(finding: dict) -> tuple[str, str, str]:
    """(text, badge colour, icon) of the verdict."""
    if finding.get("appetite") in APPETITE:
        return APPETITE[finding["appetite"]]
    if "small_business" in finding:
        return (
            ("Small business", "green", ":material/check_circle:")
            if finding["small_business"]
            else ("Not a small business", "red", ":material/cancel:")
        )
    if "lobs" in finding:
        return (
            (f"{len(finding['lobs'])} line(s) to offer", "blue", ":material/add_task:")
            if finding["lobs"]
            else ("No other line to offer", "gray", ":material/block:")
        )
    if "per_occurrence" in finding:
        return f"{money(finding['per_occurrence'])} / {money(finding.get('aggregate'))}", "blue", ":material/shield:"
    if "deductible" in finding:
        return money(finding["deductible"]), "blue", ":material/payments:"
    if "naics" in finding:
        return f"NAICS {finding['naics']}", "blue", ":material/category:"
    return "Recorded", "gray", ":material/info:"


def key_figures(finding: dict) -> list[tuple[str, str]]:
    figures = []
    if finding.get("per_occurrence") is not None:
        figures.append(("Per occurrence", money(finding["per_occurrence"])))
    if finding.get("aggregate") is not None:
        figures.append(("Aggregate", money(finding["aggregate"])))
    if finding.get("deductible") is not None:
        figures.append(("Deductible", money(finding["deductible"])))
    if finding.get("naics"):
        figures.append(("NAICS", str(finding["naics"])))
    if finding.get("lobs"):
        figures.append(("Lines", ", ".join(finding["lobs"])))
    if "small_business" in finding and finding.get("task_type") != "small_business":
        figures.append(("Small business", "yes" if finding["small_business"] else "no"))
    return figures


def render_figures(figures: list[tuple[str, str]]) -> None:
    """Key figures in a row: small label over a bold value (``st.metric`` is too large for dollar amounts)."""
    for col, (label, value) in zip(st.columns(len(figures)), figures, strict=True):
        col.caption(label)
        col.markdown(f"**{value}**")


def rules_applied(steps: list[dict]) -> list[dict]:
    """The rule chain of the answer's last successful ``check_appetite`` call, if any."""
    for step in reversed(steps or []):
        if step.get("tool") == "check_appetite" and step.get("ok"):
            return step["result"].get("rules_applied") or []
    return []


def section_markdown(text: str) -> str:
    """A section's Markdown with its inner headings demoted, so they stay below the section's own title."""
    return re.sub(r"^(#{1,4}) ", lambda m: "#" * min(6, len(m[1]) + 2) + " ", text, flags=re.M)


def render_section(section_id: str, sections: dict) -> None:
    section = sections.get(section_id)
    title = f"{section_id} — {section.title}" if section else section_id
    with st.expander(title, icon=":material/menu_book:"):
        if section:
            st.markdown(section_markdown(section.text))
            st.caption(f"{section.document} · {section.file} · open it on the Guidelines page")
        else:
            st.warning(f"No guideline section with id `{section_id}` in this version of the guidelines.")


def check_lines(check: dict | None) -> list[str]:
    """The online check's mismatches in words (graph/online_checks.py), for the card."""
    if not check or check.get("status") != "mismatch":
        return []
    where = {"tool": f"re-running `{check.get('tool')}` gives", "answer": "the answer text says"}
    return [
        f"{FACT_NAMES.get(m['field'], m['field'].replace('_', ' '))}: the finding says **{m['finding']}**, "
        f"{where.get(m['where'], m['where'])} **{m['found']}**"
        for m in check.get("mismatches", [])
    ]


def render_check(check: dict | None) -> None:
    lines = check_lines(check)
    if lines:
        st.warning(
            "**Online check: mismatch** — review before relying on this finding.\n\n"
            + "\n".join(f"- {line}" for line in lines),
            icon=":material/gpp_maybe:",
        )
    elif check and check.get("status") == "ok":
        st.caption(f":material/verified: Re-verified: `{check.get('tool')}` and the answer agree with this finding.")


def render_finding(
    finding: dict,
    steps: list[dict],
    sections: dict,
    key: str | None = None,
    answer: str = "",
    check: dict | None = None,
) -> None:
    with st.container(border=True, key=key):
        text, colour, icon = determination(finding)
        task = TASK_LABELS.get(finding.get("task_type"), finding.get("task_type", ""))
        st.markdown(f"**Finding** · {task} &nbsp; :{colour}-badge[{icon} {text}]")
        summary = (finding.get("summary") or "").strip()
        if summary and summary not in answer:  # the offline model's answer is the summary: don't say it twice
            st.markdown(summary)
        figures = key_figures(finding)
        if figures:
            render_figures(figures)
        rules = rules_applied(steps)
        if rules:
            st.markdown("**Rules applied**")
            st.markdown(
                "\n".join(
                    f"- {OUTCOME_ICONS.get(str(r.get('outcome')).lower(), ':material/circle:')} **{r.get('rule', '').replace('_', ' ')}** — "
                    f"{r.get('detail', '')} `{r.get('section', '')}`"
                    for r in rules
                )
            )
        facts = {k: v for k, v in (finding.get("facts") or {}).items() if v not in (None, "")}
        if facts:
            st.caption(
                "Based on: "
                + " · ".join(
                    f"{FACT_NAMES.get(k, k)} {money(v) if k in ('annual_revenue', 'annual_payroll') else v}"
                    for k, v in facts.items()
                )
            )
        if finding.get("citations"):
            st.markdown("**Guideline sections cited**")
            for section_id in finding["citations"]:
                render_section(section_id, sections)
        render_check(check)

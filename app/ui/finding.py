"""The finding card: determination, key figures, the rules applied, and the cited guideline sections (as links)."""

from __future__ import annotations

import re

import streamlit as st

from app.ui.answer import link_citations, section_link, section_url
from app.ui.escape import code, md, model_markdown
from app.ui.labels import fields_text, lob_name, value_text
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
RULE_LABELS = {
    "small_business": "Small-business test",
    "appetite_guide": "Appetite guide",
    "state_exception": "State exception",
}


def determination(finding: dict) -> tuple[str, str, str]:
    """(text, badge colour, icon) of the verdict."""
    if finding.get("appetite") in APPETITE:
        return APPETITE[finding["appetite"]]
    if finding.get("small_business") is not None:
        return (
            ("Small business", "green", ":material/check_circle:")
            if finding["small_business"]
            else ("Not a small business", "red", ":material/cancel:")
        )
    if isinstance(finding.get("lobs"), list):
        n = len(finding["lobs"])
        return (
            (f"{n} line{'s' if n != 1 else ''} to offer", "blue", ":material/add_task:")
            if n
            else ("No other line to offer", "gray", ":material/block:")
        )
    if finding.get("per_occurrence") is not None:
        return f"{usd(finding['per_occurrence'])} / {usd(finding.get('aggregate'))}", "blue", ":material/shield:"
    if finding.get("deductible") is not None:
        return usd(finding["deductible"]), "blue", ":material/payments:"
    if finding.get("naics"):
        return f"NAICS {finding['naics']}", "blue", ":material/category:"
    return "Recorded", "gray", ":material/info:"


def key_figures(finding: dict) -> list[tuple[str, str]]:
    figures = []
    if finding.get("per_occurrence") is not None:
        figures.append(("Per occurrence", usd(finding["per_occurrence"])))
    if finding.get("aggregate") is not None:
        figures.append(("Aggregate", usd(finding["aggregate"])))
    if finding.get("deductible") is not None:
        figures.append(("Deductible", usd(finding["deductible"])))
    if finding.get("naics"):
        figures.append(("NAICS", str(finding["naics"])))
    if isinstance(finding.get("lobs"), list) and finding["lobs"]:
        figures.append(("Lines", value_text("lobs", finding["lobs"])))
    if finding.get("small_business") is not None and finding.get("task_type") != "small_business":
        figures.append(("Small business", "yes" if finding["small_business"] else "no"))
    return figures


def render_figures(figures: list[tuple[str, str]]) -> None:
    """Key figures in a row: small label over a bold value (``st.metric`` is too large for dollar amounts)."""
    if not figures:
        return
    for col, (label, value) in zip(st.columns(len(figures)), figures, strict=True):
        col.caption(label)
        col.markdown(f"**{md(value)}**")


def rules_applied(steps: list[dict] | None) -> list[dict]:
    """The rule chain of the answer's last successful ``check_appetite`` call, if any."""
    for step in reversed(steps or []):
        if isinstance(step, dict) and step.get("tool") == "check_appetite" and step.get("ok"):
            result = step.get("result") if isinstance(step.get("result"), dict) else {}
            return [r for r in result.get("rules_applied") or [] if isinstance(r, dict)]
    return []


def rule_label(rule: object) -> str:
    rule = str(rule or "rule")
    if rule.startswith("qualified_"):
        return f"{lob_name(rule.removeprefix('qualified_'))} qualification rule"
    if rule.startswith("line_"):  # a line other lines to offer weighed (graph/determination.py line_rules)
        return lob_name(rule.removeprefix("line_"))
    return RULE_LABELS.get(rule) or rule.replace("_", " ").capitalize()


def rule_line(r: dict) -> str:
    icon = OUTCOME_ICONS.get(str(r.get("outcome")).lower(), ":material/circle:")
    section = f" · {section_link(r['section'])}" if r.get("section") else ""
    detail = md(r.get("detail") or "")
    return f"- {icon} **{md(rule_label(r.get('rule')))}** — {detail}{section}"


def section_markdown(text: str, known=None) -> str:
    """A section's Markdown with its inner headings demoted (they stay below the section's own title) and its
    cross-references (``section-id`` in backticks or brackets) as links."""
    text = re.sub(r"^(#{1,4}) ", lambda m: "#" * min(6, len(m[1]) + 2) + " ", text or "", flags=re.M)
    if known:
        text = re.sub(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`", lambda m: section_link(m[1]) if m[1] in known else m[0], text)
        text = link_citations(text, known)
    return text


def render_section(section_id: str, sections: dict) -> None:
    section = sections.get(section_id)
    title = md(f"{section_id} — {section.title}" if section else section_id)
    with st.expander(title, icon=":material/menu_book:"):
        if section:
            st.markdown(section_markdown(section.text, sections))
            st.caption(md(f"{section.document} · {section.file}"))
            st.markdown(
                f":material/open_in_new: [Open `{section_id}` on the Guidelines page]({section_url(section_id)})"
            )
        else:
            st.warning(f"No guideline section with id {code(section_id)} in this version of the guidelines.")


def check_lines(check: dict | None) -> list[str]:
    """The online check's mismatches in words (graph/online_checks.py), for the card."""
    if not check or check.get("status") != "mismatch":
        return []
    where = {"tool": f"re-running {code(check.get('tool'))} gives", "answer": "the answer text says"}
    return [
        f"{md(FACT_LABELS.get(m['field'], m['field'].replace('_', ' ')))}: the finding says **{md(m['finding'])}**, "
        f"{where.get(m['where'], md(m['where']))} "
        + (f"**{md(m['found'])}**" if m.get("found") not in (None, "") else "no answer (a fact it needs is missing)")
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
        st.caption(
            f":material/verified: Re-verified: {code(check.get('tool'))} and the answer agree with this finding."
        )


def render_finding(
    finding: dict,
    steps: list[dict],
    sections: dict,
    key: str | None = None,
    answer: str = "",
    check: dict | None = None,
) -> None:
    if not isinstance(finding, dict):
        return
    with st.container(border=True, key=key):
        text, colour, icon = determination(finding)
        task = TASK_LABELS.get(str(finding.get("task_type")), "Finding")
        st.markdown(f"**Finding** · {md(task)} &nbsp; :{colour}-badge[{icon} {md(text)}]")
        summary = str(finding.get("summary") or "").strip()
        if summary and summary not in (answer or ""):  # the offline model's answer is the summary: don't say it twice
            st.markdown(link_citations(model_markdown(summary), sections))
        render_figures(key_figures(finding))
        # a chat answer's from its steps; triage's findings carry their own (desk/triage.py)
        rules = rules_applied(steps) or [r for r in finding.get("rules_applied") or [] if isinstance(r, dict)]
        if rules:
            st.markdown("**Rules applied**")
            st.markdown("\n".join(rule_line(r) for r in rules))
        facts = fields_text(finding.get("facts"))
        if facts:
            st.caption("Based on: " + md(facts))
        citations = [str(c) for c in finding.get("citations") or [] if c]
        if citations:
            st.markdown("**Guideline sections cited**")
            for section_id in citations:
                render_section(section_id, sections)
        render_check(check)

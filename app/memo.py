"""The underwriting memo: one PDF page (or a few) per determination, built from decision records only.

``memo_pdf(records)`` takes a determination record followed by the records linked to it (referral, approval,
decline, return, override) and returns the PDF's bytes; the export (``app/audit.py``) and the Streamlit page's
download both call it. Every word comes from the records (the summary in a record was scanned by the product
guard when it was written). fpdf2's built-in fonts are Latin-1 only, so other characters are transliterated
(accents dropped, typographic quotes and dashes made plain) or replaced by "?": an emoji never stops a memo.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from core.vocabulary import FACT_LABELS, MONEY_VERDICTS, TASK_LABELS, usd

PLAIN = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "–": "-",
        "—": "-",
        "−": "-",
        "…": "...",
        "•": "-",
        "→": "->",
        "←": "<-",
        "✓": "(yes)",
        "✔": "(yes)",
        "✗": "(no)",
        "≤": "<=",
        "≥": ">=",
        "\u00a0": " ",
        "\u200b": "",
        "\t": " ",
    }
)
LINKED = ("referral", "approval", "decline", "return", "override")
# What a linked record's body may say, shown in this order (the referral memo inside a referral is not repeated).
LINKED_FIELDS = (
    "kind",
    "decision",
    "override",
    "reason",
    "comment",
    "note",
    "question",
    "question_by",
    "answer",
    "requested_by",
    "authority",
    "verdict",
    "summary",
)
WIDTH = 180  # mm of text on an A4 page with 15 mm margins


def latin1(text: object) -> str:
    """``text`` in characters the PDF core fonts have: Latin-1 kept, the rest transliterated or "?"."""
    out = []
    for ch in str(text).translate(PLAIN):
        if ord(ch) < 256 and (ch.isprintable() or ch == "\n"):
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base and all(ord(c) < 256 and c.isprintable() for c in base) else "?")
    return "".join(out)


def _when(at: str) -> str:
    """A record's UTC time to the second, as a person reads it."""
    return f"{at[:10]} {at[11:19]} UTC" if len(at) >= 19 else at


def _value(key: str, value) -> str:
    if key in MONEY_VERDICTS or key in ("annual_revenue", "annual_payroll", "total_insured_value", "total_assets"):
        return usd(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {_value(k, v)}" for k, v in value.items()) or "-"
    return str(value)


class _Memo:
    def __init__(self):
        from fpdf import FPDF

        self.pdf = FPDF(format="A4")
        self.pdf.set_margins(15, 15, 15)
        self.pdf.set_auto_page_break(True, margin=15)
        self.pdf.set_title("Underwriting memo")
        self.pdf.set_creator("uwc")

    def heading(self, text: str, size: int = 12) -> None:
        self.pdf.ln(2)
        self.pdf.set_font("Helvetica", "B", size)
        flat = " ".join(str(text).split())  # one paragraph: see ``pair``
        self.pdf.multi_cell(WIDTH, size * 0.5, latin1(flat), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def text(self, text: str, size: int = 10, style: str = "", mono: bool = False) -> None:
        self.pdf.set_font("Courier" if mono else "Helvetica", style, size)
        flat = " ".join(str(text).split())  # one paragraph: see ``pair``
        self.pdf.multi_cell(WIDTH, size * 0.5, latin1(flat), new_x="LMARGIN", new_y="NEXT")

    def pair(self, label: str, value: str, width: int = 42) -> None:
        self.pdf.set_font("Helvetica", "B", 10)
        self.pdf.cell(width, 5, latin1(label))
        self.pdf.set_font("Helvetica", "", 10)
        # One line per value as written: a line break inside a value (a note, a reason) cannot start a line that
        # reads like the memo's own ("Approval #9 ... by sam").
        flat = " ".join(str(value).split())
        self.pdf.multi_cell(WIDTH - width, 5, latin1(flat), new_x="LMARGIN", new_y="NEXT")

    def rule(self) -> None:
        y = self.pdf.get_y() + 1
        self.pdf.set_draw_color(160, 160, 160)
        self.pdf.line(15, y, 15 + WIDTH, y)
        self.pdf.ln(3)


def _determination(memo: _Memo, record) -> None:
    body = record.body
    task = body.get("task_type")
    memo.heading(f"Underwriting memo - {TASK_LABELS.get(task, task or 'determination')}", 15)
    memo.pair("Record", f"#{record.seq} ({record.kind}), {_when(record.at)}")
    memo.pair("Decided by", f"{record.user or 'unknown user'}" + (f" ({record.role})" if record.role else ""))
    memo.pair("Conversation", record.thread_id or "-")
    memo.pair("Submission", record.submission_id or "-")
    if record.referral_id:
        memo.pair("Referral", record.referral_id)
    memo.rule()
    memo.heading("Determination")
    verdict = body.get("verdict") or {}
    for key, value in verdict.items():
        memo.pair(FACT_LABELS.get(key, key.replace("_", " ").capitalize()), _value(key, value))
    if body.get("summary"):
        memo.text(body["summary"])
    if body.get("summary_guard"):
        memo.text(f"Removed from the summary (products we do not write): {', '.join(body['summary_guard'])}", 9, "I")
    memo.heading("Reasons and citations")
    rules = body.get("rules_applied") or []
    for rule in rules:
        section = f" [{rule['section']}]" if rule.get("section") else ""
        outcome = f"{rule.get('outcome')}: " if rule.get("outcome") else ""
        memo.text(f"- {outcome}{rule.get('detail') or rule.get('rule')}{section}")
    if not rules:
        memo.text("- No rule chain was run for this determination (see the tool calls in the record).")
    memo.pair("Guideline sections", ", ".join(body.get("citations") or []) or "none cited")
    memo.heading("Facts and their sources")
    for key, fact in (body.get("facts") or {}).items():
        source = fact.get("source", "")
        if fact.get("snippet"):
            source = f'{source}: "{fact["snippet"]}"'
        memo.pair(FACT_LABELS.get(key, key), f"{_value(key, fact.get('value'))}  -  {source}")
    if not body.get("facts"):
        memo.text("No applicant facts were recorded.")
    memo.heading("Checks and versions")
    check = body.get("online_check") or {}
    mismatches = "; ".join(
        f"{m.get('field')}: said {m.get('said')}, found {m.get('found')}" for m in check.get("mismatches") or []
    )
    memo.pair("Online check", (check.get("status") or "not run") + (f" ({mismatches})" if mismatches else ""))
    model = body.get("model") or {}
    settings = ", ".join(
        f"{k.replace('_', ' ')} {model[k]}"
        for k in ("temperature", "reasoning_effort", "max_output_tokens")
        if model.get(k)
    )
    memo.pair("Model", f"{model.get('name', '-')}" + (f" ({settings})" if settings else ""))
    memo.pair("Prompt sha256", str(body.get("prompt_sha256") or "-"))
    memo.pair("Seed inputs sha256", str(body.get("seed_inputs_sha256") or "-"))


def _linked(memo: _Memo, records: list) -> None:
    memo.heading("Referral, approval and overrides")
    if not records:
        memo.text("No referral, approval or override is on record for this determination.")
    for record in records:
        who = f"{record.user or 'unknown user'}" + (f" ({record.role})" if record.role else "")
        memo.pair(f"{record.kind.capitalize()} #{record.seq}", f"{_when(record.at)} by {who}")
        for key in LINKED_FIELDS:
            if record.body.get(key) not in (None, "", [], {}):
                memo.pair(f"  {key}", _value(key, record.body[key]))
        memo.pair("  hash", record.hash)


def memo_pdf(records: Iterable) -> bytes:
    """A memo for the first determination in ``records`` and the referral, approval, decline, return and override
    records among the rest (given in any order; shown by seq)."""
    records = list(records)
    determination = next((r for r in records if r.kind == "determination"), None)
    if determination is None:
        raise ValueError("a memo needs a determination record")
    memo = _Memo()
    memo.pdf.add_page()
    _determination(memo, determination)
    _linked(memo, sorted((r for r in records if r.kind in LINKED), key=lambda r: r.seq))
    memo.rule()
    memo.text("Record hash (sha256)", 9, "B")
    memo.text(determination.hash, 9, mono=True)
    memo.text(f"Previous record's hash: {determination.prev_hash}", 8, mono=True)
    memo.text("Check the whole chain with `uwc audit verify`.", 8, "I")
    return bytes(memo.pdf.output())

"""The editable "What the copilot knows" panel: the underwriter corrects or adds a fact, and the change is sent
into the conversation as their own message, in plain sentences, so the offline model and any LLM read it alike
and redo the determination."""

from __future__ import annotations

import streamlit as st

from app.ui.labels import lob_name
from core.vocabulary import FACT_LABELS, FACTS, NUMERIC_FACTS, count, usd

# The figures the underwriter can type (and the copilot can read back), as the copilot would ask them: field -> step.
NUMBERS = {k: 10_000 if f.kind == "money" else 1 for k, f in FACTS.items() if k in NUMERIC_FACTS}
EDITABLE = (*NUMBERS, "construction", "state", "naics", "lob")


def _number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    return None


def sentence(key: str, value: object, state_names: dict[str, str]) -> str:
    """One fact as the underwriter would type it ("Annual revenue is $4,500,000.")."""
    kind = FACTS[key].kind if key in FACTS else None
    if kind == "money":
        return f"{FACTS[key].words[:1].upper()}{FACTS[key].words[1:]} is {usd(value)}."
    if kind == "count":
        return f"They have {count(value)} {FACTS[key].unit}."
    if key == "construction":
        return f"The building's construction is {str(value).lower()}."
    if key == "state":
        return f"It's in {state_names.get(str(value), value)}."
    if key == "naics":
        return f"The NAICS code is {value}."
    if key == "lob":
        return f"The line of business is {lob_name(value).lower()}."
    raise KeyError(key)


def correction_message(known: dict, edited: dict, state_names: dict[str, str]) -> str:
    """The sentences for every fact the underwriter changed or added (empty when nothing changed)."""
    out = []
    for key in EDITABLE:
        new = edited.get(key)
        if new in (None, "") or _same(key, known.get(key), new):
            continue
        out.append(sentence(key, new, state_names))
    return " ".join(out)


def _same(key: str, old: object, new: object) -> bool:
    if key in NUMBERS:
        return _number(old) == _number(new)
    return str(old or "").strip().lower() == str(new or "").strip().lower()


def render(known: dict, catalog, on_send, version: str = "", disabled: bool = False) -> None:
    """The form; ``on_send(text)`` sends the correction. ``catalog`` gives states, lines and construction classes;
    ``version`` changes whenever the known facts may have changed, so the fields show the new values."""
    states = dict(catalog.states)
    lobs = list(catalog.lobs)
    constructions = [name for name in catalog.construction_names.values()]
    with st.form(f"facts-form-{version}", border=False, enter_to_submit=False):
        edited: dict = {}
        left, right = st.columns(2)  # the figures side by side; the choices below need the full width
        for i, key in enumerate(NUMBERS):
            col = left if i % 2 == 0 else right
            edited[key] = col.number_input(
                FACT_LABELS[key],
                min_value=0,
                step=NUMBERS[key],
                value=_number(known.get(key)),
                placeholder="not known",
                key=f"fact-{key}-{version}",
            )
        state = known.get("state")
        edited["state"] = st.selectbox(
            FACT_LABELS["state"],
            list(states),
            index=list(states).index(state) if state in states else None,
            format_func=lambda c: f"{states[c]} ({c})",
            placeholder="not known",
            key=f"fact-state-{version}",
        )
        edited["naics"] = st.text_input(
            FACT_LABELS["naics"],
            value=str(known.get("naics") or ""),
            max_chars=6,
            placeholder="6 digits",
            key=f"fact-naics-{version}",
        )
        lob = known.get("lob")
        edited["lob"] = st.selectbox(
            FACT_LABELS["lob"],
            lobs,
            index=lobs.index(lob) if lob in lobs else None,
            format_func=lob_name,
            placeholder="not known",
            key=f"fact-lob-{version}",
        )
        current = str(known.get("construction") or "")
        options = constructions + (
            [current] if current and current.lower() not in [c.lower() for c in constructions] else []
        )
        match = next((i for i, c in enumerate(options) if c.lower() == current.lower()), None)
        edited["construction"] = st.selectbox(
            FACT_LABELS["construction"],
            options,
            index=match,
            placeholder="not known",
            key=f"fact-construction-{version}",
        )
        if st.form_submit_button(
            "Send the change", icon=":material/send:", disabled=disabled, width="stretch", key="facts-send"
        ):
            naics = (edited.get("naics") or "").strip()
            if naics and not (naics.isdigit() and len(naics) == 6):
                st.error("A NAICS code has six digits, e.g. 722511.")
                return
            text = correction_message(known, edited, states)
            if not text:
                st.info("Nothing changed: edit a value, then send.")
                return
            on_send(text)

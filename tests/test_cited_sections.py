"""The appetite guide's cited section is the one that covers the code: checked for every NAICS sector and line.

The expected section is read from the guideline text itself (a section covers a code when it lists the code's
sector, subsector, industry group or the code in bold or in a table), not from the tool's own sector table.
"""

from __future__ import annotations

import re

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from guidelines import load_sections
from seed_db import models

LOBS = ("workers_compensation", "property", "general_liability", "auto", "cyber", "bop")


def _mentions(text: str, code: str) -> bool:
    """Does the section's text name this code or one of its levels (``**72 Accommodation``, ``**721**``, ``| 721110 |``)?"""
    sector = int(code[:2])
    for m in re.finditer(r"\*\*(\d{2})-(\d{2})\b", text):  # sector ranges such as **31-33 Manufacturing
        if int(m[1]) <= sector <= int(m[2]):
            return True
    levels = [code[:n] for n in (2, 3, 4, 5, 6)]
    return any(re.search(rf"\*\*{lvl}\b|\|\s*{lvl}\s*\|", text) for lvl in levels)


def test_every_sector_cites_the_section_that_covers_it(seeded, call):
    sections = {s.id: s.text for s in load_sections()}
    with Session(create_engine(seeded["url"])) as s:
        codes = s.execute(select(models.NaicsCode.code).order_by(models.NaicsCode.code)).scalars().all()
    first_of_sector: dict[str, str] = {}
    for code in codes:
        first_of_sector.setdefault(code[:2], code)
    # the 2022 sectors spread over 24 two-digit prefixes (31-33, 44-45 and 48-49 are ranges)
    assert len(first_of_sector) == 24
    examples = sorted(set(first_of_sector.values()) | {"722511", "721110", "531110", "484121", "621910"})
    checked = 0
    for code in examples:
        for lob in LOBS:
            event = call("check_appetite", {"naics": code, "state": "TX", "lob": lob})
            assert event.ok, event.result
            guide = next(r for r in event.result["rules_applied"] if r["rule"] == "appetite_guide")
            assert _mentions(sections[guide["section"]], code), (code, lob, guide["section"])
            assert guide["section"] in event.result["sections"] or guide["outcome"] == "not_needed"
            checked += 1
    assert checked == len(examples) * len(LOBS)


def test_a_restaurant_cites_the_care_and_leisure_section(call):
    for lob in ("general_liability", "auto", "property"):
        result = call("check_appetite", {"naics": "722511", "state": "TX", "lob": lob}).result
        assert "sector-appetite" not in result["sections"], lob
        assert "sector-appetite-care-leisure" in result["sections"], lob
    recommended = call("recommend_lobs", {"naics": "722511", "state": "TX", "annual_revenue": 1_000_000}).result
    assert "sector-appetite" not in recommended["sections"]

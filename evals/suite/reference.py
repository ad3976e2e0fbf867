#!/usr/bin/env python3
"""Reference answers for the Underwriting Copilot eval suite.

The rules below are transcribed by hand from the guideline text (guidelines/*.md, cited by section id) and
the public SBA size-standards CSV. Nothing is imported from the product (tools/, graph/, seed_db/*.py) and
seed_db/data/insurer.yaml is not read, so the expected answers are an independent check on the product.

    python evals/suite/reference.py --tasks evals/suite/tasks_draft.jsonl --out evals/suite/tasks.jsonl

Classification tasks keep their hand label; every other task gets `expected` computed from its applicant.
"""

import argparse
import csv
import json
import os

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "seed_db", "data")
SBA_CSV = os.path.join(DATA, "sba_size_standards_2022naics_2023-03-17.csv")
NAICS_CSV = os.path.join(DATA, "naics_2022.csv")

YES, NO, QUAL = "yes", "no", "qualified"

# lines-of-business: the whole catalog, and the names underwriters use for each line.
LOB_NAMES = {
    "workers_compensation": [
        "workers compensation",
        "workers' compensation",
        "workers' comp",
        "workers comp",
        "wc",
        "work comp",
    ],
    "property": ["property", "commercial property", "building and contents"],
    "general_liability": ["general liability", "gl", "cgl", "commercial general liability", "liability"],
    "auto": ["auto", "commercial auto", "business auto", "fleet", "auto liability"],
    "cyber": ["cyber", "cyber liability", "data breach", "network security"],
    "bop": ["bop", "business owner's policy", "business owners policy", "businessowners policy"],
}
LOBS = sorted(LOB_NAMES)


def lob_code(text):
    t = " ".join(text.lower().replace("\u2019", "'").split())
    for code, names in LOB_NAMES.items():
        if t == code or t in names:
            return code
    raise ValueError(f"LOB {text!r} is not one of our six lines (products-not-written)")


# monopolistic-states: workers compensation is No in ND, OH, WA, WY for every code.
MONOPOLISTIC = {"ND", "OH", "WA", "WY", "NORTH DAKOTA", "OHIO", "WASHINGTON", "WYOMING"}

# construction-classes: the plain-word descriptions used in this suite, mapped by hand to building types.
CONSTRUCTION = {
    "reinforced concrete": 1,
    "concrete columns, beams and floors": 1,
    "poured concrete frame and floors": 1,
    "protected steel frame with concrete floors": 1,
    "steel frame": 2,
    "metal building": 2,
    "pre-engineered metal building": 2,
    "non-combustible, steel columns and metal deck": 2,
    "brick walls, wood roof": 3,
    "masonry walls with wood joists": 3,
    "joisted masonry": 3,
    "concrete tilt-up walls with a wood glulam roof": 3,
    "concrete block walls with a wood truss roof": 3,
    "heavy timber": 4,
    # the ISO construction classes' names, as underwriters write them (ISO 1 frame, 2 joisted masonry,
    # 3 non-combustible, 4 masonry non-combustible, 5 modified fire resistive, 6 fire resistive)
    "frame": 5,
    "non-combustible": 2,
    "masonry non-combustible": 2,
    "modified fire resistive": 1,
    "fire resistive": 1,
    "mass timber": 4,
    "mill construction, heavy timber posts and beams": 4,
    "wood frame": 5,
    "stick-built": 5,
    "brick veneer over wood frame": 5,
    "wood stud walls, low fire resistivity": 5,
}

# property-hospitality-construction: these seven codes accept only Type I or II.
HOSPITALITY_LEASING = {"531110", "531120", "531130", "531190", "721110", "721120", "721191"}


def entry(wc, prop, gl, auto, cyber, bop):
    return dict(workers_compensation=wc, property=prop, general_liability=gl, auto=auto, cyber=cyber, bop=bop)


ALL_NO = entry(NO, NO, NO, NO, NO, NO)
MANUFACTURING = entry(QUAL, QUAL, YES, YES, YES, NO)
RETAIL = entry(YES, YES, YES, YES, YES, YES)
TRANSPORT = entry(QUAL, YES, YES, QUAL, NO, NO)

# The appetite guide as summarised by prefix. The most specific (longest) prefix that states a value for the
# LOB wins; a prefix may state only some LOBs, the others come from a shorter prefix; no entry at all = Yes.
APPETITE = {
    # sector-appetite (sectors 11 to 49)
    "11": entry(QUAL, QUAL, YES, QUAL, NO, NO),
    "21": ALL_NO,
    "22": ALL_NO,
    "23": entry(QUAL, YES, QUAL, QUAL, NO, QUAL),
    "237": ALL_NO,
    "31": MANUFACTURING,
    "32": MANUFACTURING,
    "33": MANUFACTURING,
    "324": ALL_NO,
    "325": ALL_NO,
    "3364": ALL_NO,
    "332992": ALL_NO,
    "332993": ALL_NO,
    "332994": ALL_NO,
    "42": entry(YES, YES, YES, QUAL, YES, YES),
    "44": RETAIL,
    "45": RETAIL,
    "4411": {"auto": QUAL},
    "4571": {"property": QUAL, "general_liability": QUAL},
    "4572": ALL_NO,
    "48": TRANSPORT,
    "49": TRANSPORT,
    "481": ALL_NO,
    "482": ALL_NO,
    "483": ALL_NO,
    "486": ALL_NO,
    "493": entry(QUAL, YES, YES, YES, YES, YES),
    # sector-appetite-services (sectors 51 to 56)
    "517": {"cyber": QUAL},
    "518": {"cyber": QUAL},
    "52": {"cyber": QUAL},
    "531110": {"property": QUAL},
    "531120": {"property": QUAL},
    "531130": {"property": QUAL},
    "531190": {"property": QUAL},
    "5321": {"auto": QUAL},
    "5616": {"general_liability": QUAL},
    "562": entry(QUAL, YES, YES, QUAL, NO, NO),
    # sector-appetite-care-leisure (sectors 61 to 92)
    "62": {"cyber": QUAL},
    "621910": {"auto": QUAL, "cyber": QUAL},
    "622": ALL_NO,
    "622310": entry(QUAL, YES, QUAL, YES, QUAL, NO),
    "623": entry(QUAL, YES, QUAL, YES, QUAL, NO),
    "71": {"general_liability": QUAL},
    "713110": entry(QUAL, YES, NO, YES, YES, YES),
    "721": {"property": QUAL},
    "721120": {"general_liability": QUAL},  # 721110/721120/721191: see HOSPITALITY_LEASING
    "722": {"property": QUAL, "bop": QUAL},
    "8111": {"general_liability": QUAL},
    "814110": ALL_NO,
    "92": entry(NO, NO, NO, NO, QUAL, NO),
}


def guide_entry(naics, lob):
    for n in range(len(naics), 1, -1):
        value = APPETITE.get(naics[:n], {}).get(lob)
        if value:
            return value
    return YES  # sector-appetite: any code not covered is Yes for all six LOBs


def load_size_standards():
    """size-standards: base rows only (empty `exception`); size-standards-exceptions: exception rows are used
    only when the applicant performs the excepted activity, which no task in this suite does."""
    with open(SBA_CSV, newline="", encoding="utf-8") as f:
        return {r["naics_code"]: r for r in csv.DictReader(f) if not r["exception"].strip()}


def is_small(app, standards):
    """small-business-rule, size-standards: small when the figure is at or below the standard."""
    row = standards.get(app["naics"])
    if row is None or row["assets_musd"].strip():
        # size-standards-exceptions, referral-triggers: no standard or an asset standard -> referral
        raise ValueError(f"{app['naics']}: no receipts/employee standard; not usable in this task type")
    if row["receipts_musd"].strip():
        figure, limit = app["annual_revenue"], round(float(row["receipts_musd"]) * 1_000_000)
    else:
        figure, limit = app["employees"], int(row["employees"])
    if figure is None:
        raise ValueError(f"{app['naics']}: the size figure the standard needs is missing")
    return figure <= limit


def construction_type(text):
    if text is None:
        return None
    return CONSTRUCTION[" ".join(text.lower().split())]  # KeyError = add the phrase to the table by hand


def qualified_rule(app, lob):
    """The rule for a Qualified entry: True/False, or None when the deciding fact is unknown."""
    if lob == "workers_compensation":  # workers-compensation-qualified: decline over $5,000,000 payroll
        fact, ok = app["annual_payroll"], lambda v: v <= 5_000_000
    elif lob == "auto":  # auto-qualified: decline over 20 vehicles
        fact, ok = app["vehicles"], lambda v: v <= 20
    elif lob == "property" and app["naics"] in HOSPITALITY_LEASING:  # property-hospitality-construction: I or II
        fact, ok = construction_type(app["construction"]), lambda t: t in (1, 2)
    elif lob == "property":  # property-qualified: Types I-IV, decline Type V
        fact, ok = construction_type(app["construction"]), lambda t: t in (1, 2, 3, 4)
    elif lob == "general_liability":  # general-liability-qualified: decline over 50 employees
        fact, ok = app["employees"], lambda v: v <= 50
    elif lob == "cyber":  # cyber-qualified: decline over $10,000,000 revenue
        fact, ok = app["annual_revenue"], lambda v: v <= 10_000_000
    else:  # bop-qualified: decline over $5,000,000 revenue
        fact, ok = app["annual_revenue"], lambda v: v <= 5_000_000
    return None if fact is None else ok(fact)


def appetite(app, lob, standards):
    """appetite-guide, order of checks: size, state exception, guide entry, qualification rule."""
    if not is_small(app, standards):  # small-business-rule
        return NO
    if lob == "workers_compensation" and app["state"].strip().upper() in MONOPOLISTIC:  # monopolistic-states
        return NO
    value = guide_entry(app["naics"], lob)  # sector-appetite, -services, -care-leisure
    if value != QUAL:
        return value
    verdict = qualified_rule(app, lob)
    return QUAL if verdict is None else (YES if verdict else NO)


def recommend(app, standards):
    """product-recommendations: the other LOBs that are Yes; nothing when the business is not small."""
    if not is_small(app, standards):
        return []
    requested = lob_code(app["lob"]) if app["lob"] else None  # "what can we write for them?" names no line
    return [lob for lob in LOBS if lob != requested and appetite(app, lob, standards) == YES]


def limits(app):
    """limits-standard: $1M/$2M; limits-cyber-high-exposure: cyber for the listed prefixes $3M/$5M."""
    high = ("517", "518", "52", "621", "622310", "623", "92")
    if lob_code(app["lob"]) == "cyber" and app["naics"].startswith(high):
        return {"per_occurrence": 3_000_000, "aggregate": 5_000_000}
    return {"per_occurrence": 1_000_000, "aggregate": 2_000_000}


def deductible(app):
    """deductibles-standard: $500, auto $1,000; deductibles-auto-transport: auto for the listed prefixes $5,000."""
    if lob_code(app["lob"]) != "auto":
        return {"deductible": 500}
    if app["naics"].startswith(("484", "4853", "4854", "4855", "4871")):
        return {"deductible": 5000}
    return {"deductible": 1000}


def expected_for(task, standards):
    app, kind = task["applicant"], task["task_type"]
    if kind == "appetite":
        return {"appetite": appetite(app, lob_code(app["lob"]), standards)}
    if kind == "product_recommendation":
        return {"lobs": recommend(app, standards)}
    if kind == "small_business":
        return {"small_business": is_small(app, standards)}
    if kind == "policy_limits":
        return limits(app)
    if kind == "deductible":
        return deductible(app)
    if kind == "classification":
        if not (task.get("expected") or {}).get("naics"):
            raise ValueError("classification tasks need a hand label {'naics': ...}")
        return task["expected"]
    raise ValueError(f"unknown task_type {kind!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", required=True, help="draft JSONL (expected may be null)")
    ap.add_argument("--out", required=True, help="JSONL with expected filled in")
    args = ap.parse_args()
    standards = load_size_standards()
    with open(NAICS_CSV, newline="", encoding="utf-8") as f:
        naics_codes = {r["code"] for r in csv.DictReader(f)}
    out, seen = [], set()
    with open(args.tasks, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            task = json.loads(line)
            try:
                assert task["id"] not in seen, "duplicate id"
                seen.add(task["id"])
                code = task["applicant"]["naics"] or task["expected"]["naics"]
                assert code in naics_codes, f"{code} is not a 2022 NAICS code"
                task["expected"] = expected_for(task, standards)
            except (AssertionError, KeyError, ValueError) as exc:
                raise SystemExit(f"{args.tasks}, line {n} ({task.get('id')}): {exc!r}") from None
            out.append(json.dumps(task, ensure_ascii=False))
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {len(out)} tasks to {args.out}")


if __name__ == "__main__":
    main()

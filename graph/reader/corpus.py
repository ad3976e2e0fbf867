"""The generated training corpus: deterministic (seeded), large and varied, labelled span by span.

Every message is built from chunks ``(text, label)``; a chunk with a label is one span (BIO after tokenising).
Labels, and why these:
  REV PAY TIV EMP VEH   the figures: the number with its unit ("$4.2mm", "1.5 million"), never its noun, so the
                        noun stays a separate cue ``read`` checks; revenue and payroll are apart because a bare
                        amount is the one the question asked for
  NAICS STATE CITY      codes and places (a city is its own label: "savannah GA" must read as a place, and a
                        signature's city is the agency's, not the business's)
  DESC COMPANY LOB CONS what the business does, its name, the lines asked about, the building
  UNK CORR              cues: "no idea on payroll" (the fact is found by its noun beside the cue, or is the one
                        asked), "actually" (a later figure replaces an earlier one)
Distractors are left unlabelled on purpose: phone numbers, ZIP codes, years, street and policy numbers, dates,
percentages, counts of other things ("3 locations", "40 seats"), e-mail headers and signatures.
Also the openings of ``evals/natural/tune.jsonl`` (labelled by finding the applicant's known values in them).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

from graph.reader import lexicon
from graph.reader.tokens import tokenize
from graph.reader.values import count, money

LABELS = ("REV", "PAY", "TIV", "EMP", "VEH", "NAICS", "STATE", "CITY", "DESC", "COMPANY", "LOB", "CONS", "UNK", "CORR")
ASKABLE = ("annual_revenue", "annual_payroll", "employees", "vehicles", "state", "description", "naics", "lob",
           "construction")  # fmt: skip
ROOT = Path(__file__).resolve().parents[2]
# Only files in the repository (a file outside it would make the committed model depend on the machine): the
# natural tune set and a copy of the fresh reading tune set (openings, pasted submissions and replies).
TUNE = (ROOT / "evals" / "natural" / "tune.jsonl", Path(__file__).resolve().parent / "data" / "reading_tune.jsonl")

Chunk = tuple[str, str | None]
Example = tuple[str, str | None, list[tuple[int, int, str]]]  # text, asked, spans (start, end, label)

# Shortened people nouns a corpus message may use for staff; what the tagger learns is the shape "N <people>".
_PEOPLE_SHORT = frozenset(
    "techs mechs docs RNs LPNs CNAs hands operators teachers aides agents carpenters stylists pickers".split()
)
_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " \
        "seventeen eighteen nineteen".split()  # fmt: skip
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def _spell(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    return str(n)


class Gen:
    """One seeded generator: every draw goes through ``self.r``."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        r = self.r
        self.state_names = sorted(lexicon.states().items())
        self.cities = sorted(lexicon.cities().items())
        self.lobs = sorted(lexicon.lob_phrases())
        self.cons = list(lexicon.construction_phrases())
        kinds = [p["kind"] for p in lexicon.profiles()]
        titles = [t.lower() for t in lexicon.naics_titles().values() if len(t) < 45]
        examples = [e.lower() for e in lexicon.naics_examples()]
        self.descs = kinds * 6 + titles + examples
        self.heads = lexicon.naics_index_heads()
        # one word for who does the work or where ("plumbers", "barbershops", "florists"), from the index's entries
        self.agents = sorted(h for h in self.heads if " " not in h and h.endswith(("ers", "ists", "ians", "shops")))
        self.codes = sorted(lexicon.naics_titles())
        w = lexicon.applicant_words()
        self.words = w
        self.names = [p for prof in lexicon.profiles() for p in prof.get("name_patterns", [])]
        r.shuffle(self.descs)

    # --- values in every form ----------------------------------------------------------------------------------
    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def count_text(self, lo: int = 1, hi: int = 400) -> str:
        r = self.r
        n = int(min(hi, max(lo, r.lognormvariate(3, 1.1) if r.random() < 0.9 else r.uniform(500, 5000))))
        form = r.random()
        if form < 0.15 and n < 100:
            return _spell(n)
        if form < 0.25:
            return f"{self.pick(['~', 'about ', 'around ', 'approx ', 'roughly ', 'over ', 'nearly '])}{n}"
        if form < 0.45 and n >= 1000:
            return f"{n:,}"
        return str(n)

    def money_text(self, lo: float = 1e5, hi: float = 5e7) -> str:
        r = self.r
        v = min(hi, max(lo, r.lognormvariate(14.5, 1.2)))
        m = v / 1e6
        k = round(v / 1e3)
        forms = [
            f"${m:.1f}M", f"{m:.1f}M", f"${m:.1f}mm", f"{m:.1f} million", f"${m:.2f}m", f"{k}k", f"${k}k", f"~{k}k",
            f"{round(v):,}", f"${round(v):,}", f"{m:.1f}", f"{m:.1f} mil", f"${k}K", f"{round(m)}M",
            f"{_spell(max(1, round(m)))} million" if m >= 1 else "half a million", f"${round(v):,} USD",
            f"{k} thousand", f"{m:.1f}MM", f"{max(1, round(m))} mil", f"{max(1, round(m))}mm",
        ]  # fmt: skip
        return self.pick(forms)

    def code(self) -> str:
        return self.pick(self.codes)

    def city_state(self) -> list[Chunk]:
        city, st = self.pick(self.cities)
        r = self.r
        city_t = city.title() if r.random() < 0.6 else city
        form = r.random()
        if form < 0.45:
            return [
                (city_t, "CITY"),
                (self.pick([" ", ", "]), None),
                (st if r.random() < 0.65 else st.lower(), "STATE"),
            ]
        if form < 0.6:
            name = next(n for n, c in self.state_names if c == st)
            return [(city_t, "CITY"), (", ", None), (name.title() if r.random() < 0.7 else name, "STATE")]
        if form < 0.8:
            name, _ = self.pick(self.state_names)
            return [(name.title() if r.random() < 0.6 else name, "STATE")]
        if form < 0.9:
            _, code = self.pick(self.state_names)
            return [(code, "STATE")]
        return [(city_t, "CITY")]

    def description(self) -> str:
        x = self.r.random()
        if x < 0.2:
            d = self.pick(self.heads)  # the Census index's everyday names ("garbage hauling", "quick-lube shops")
        elif x < 0.32:
            d = self.trade()
        elif x < 0.4:
            d = self.what_they_do()
        elif x < 0.47:  # one word, often singular: "plumber chicago", "bop on a barbershop"
            d = self.pick(self.agents)
            d = d[:-1] if self.r.random() < 0.6 else d
        else:
            d = self.pick(self.descs)
        if self.r.random() < 0.08:  # two trades joined: "campground + RV park", "bar/grill", "deli & catering"
            other = self.pick(self.heads)
            d = f"{d}{self.pick([' + ', '+', '/', ' / ', ' & ', ' and '])}{other}"
        if self.r.random() < 0.15 and " " in d:  # "HVAC contractor" said as "HVAC outfit"
            d = d.rsplit(" ", 1)[0] + " " + self.pick(["outfit", "shop", "business", "company", "operation", "place"])
        if self.r.random() < 0.25:
            d = f"{self.pick(['family run', 'family-owned', 'small', 'local', 'mom and pop', 'independent', 'indep', 'busy'])} {d}"
        return d

    def trade(self) -> str:
        """A trade said the short way: an index phrase's agent ("log hauling" -> "log hauler") or shorthand
        with a word for the outfit ("pest outfit", "sign shop", "septic guy")."""
        r, p = self.r, self.pick
        if r.random() < 0.5:
            head = p(self.heads).split()
            last = head[-1]
            for ending, agents in _AGENTS.items():
                if last == ending and len(head) > 1:
                    return " ".join(head[:-1]) + " " + p(agents)
            if r.random() < 0.4 and len(head) <= 2:  # "sod" -> "sod grower", "septic tanks" -> "septic tanks installer"
                return " ".join(head) + " " + p(_AGENT_NOUNS)
            return " ".join(head) + " " + p(_OUTFITS)
        return p(_SHORTHAND) + " " + p(_OUTFITS + _AGENT_NOUNS)

    def trade_people(self) -> str:
        """Who works there, by trade ("welders", "nurses", "techs"): the reader's people nouns, often shortened."""
        word = self.pick(sorted(lexicon.PEOPLE | _PEOPLE_SHORT))
        return word if self.r.random() < 0.8 else word.title()

    def what_they_do(self) -> str:
        """A relative clause or a verb phrase: "startup that sells scheduling software", "they repair boat trailers"."""
        p = self.pick
        obj = re.sub(r"\s+(?:manufacturing|merchant wholesalers|farming|production)$", "", p(self.heads))
        verb = p(["sells", "makes", "installs", "repairs", "hauls", "delivers", "rents out", "builds", "cleans",
                  "services", "distributes", "grows", "designs", "imports", "ships", "provides", "offers", "does"])  # fmt: skip
        who = p(["company", "startup", "shop", "business", "outfit", "firm", "small company", "family business",
                 "operation", "place", "contractor", "crew", "store"])  # fmt: skip
        form = self.r.random()
        if form < 0.5:
            return f"{who} that {verb} {obj}"
        if form < 0.75:
            ing = {"makes": "making", "rents out": "renting out", "distributes": "distributing", "does": "doing",
                   "provides": "providing", "services": "servicing", "imports": "importing", "ships": "shipping"}.get(verb, verb[:-1] + "ing")  # fmt: skip
            return f"{who} {ing} {obj}"
        if form < 0.9:
            return f"{p(['insured', 'owner', 'the client', 'he', 'she'])} {verb} {obj}"
        base = {"does": "do", "rents out": "rent out"}.get(
            verb, verb[:-2] if verb.endswith("es") and verb[-3] in "sh" else verb[:-1]
        )
        return f"{p(['they', 'we think they', 'the insured and partner'])} {base} {obj}"

    def company(self) -> str:
        pat = self.pick(self.names)
        w = self.words
        name = (
            pat.replace("{surname}", self.pick(w["surnames"])).replace("{surname2}", self.pick(w["surnames"]))
            .replace("{place}", self.pick(w["places"])).replace("{adjective}", self.pick(w["adjectives"]))
            .replace("{brand}", self.pick(w["brands"])).replace("{given}", self.pick(w["given_names"]))
            .replace("{initials}", "".join(self.r.sample(w["initial_letters"], 3)))
        )  # fmt: skip
        if self.r.random() < 0.05:  # a name that starts with a product's word is still a name ("Cyber Lane Bakery")
            name = self.pick(["Umbrella", "Cyber", "Auto", "Property", "Fleet", "Liability", "Bond", "Surety", "Marine",
                              "Crop", "Life", "Comp"]) + " " + name.split(" ", 1)[-1]  # fmt: skip
        if self.r.random() < 0.35:
            name += " " + self.pick(["LLC", "Inc.", "Inc", "Co.", "Corp.", "Ltd"])
        return name

    # --- clauses ---------------------------------------------------------------------------------------------------
    def figure(self, fact: str) -> list[Chunk]:
        r, p = self.r, self.pick
        if fact == "employees":
            n = self.count_text(1, 2000)
            return p([
                [(n, "EMP"), (" " + p(["", "", "", "seasonal ", "part-time ", "field ", "office ", "union ", "1099 "])
                              + p(["workers", "employees", "staff"]), None)],
                [(n, "EMP"), (" " + p(["emps", "employees", "staff", "FTEs", "full-time employees", "people on staff",
                                       "workers", "w-2 employees", "employees total", "people", "employees on payroll",
                                       "ppl", "EEs", "ees", "Emps", "EE's", "staffers"]), None)],
                [(p(["employees", "headcount", "staff", "emp count", "# of employees", "Employees", "FTEs"]) + p([" ", ": ", " - ", " = ", " of ", " is "]), None), (n, "EMP")],
                [(p(["staff of ", "crew of ", "team of ", "employs ", "they employ ", "a workforce of "]), None), (n, "EMP")],
                [(p(["they have ", "has ", "with ", "they've got ", "about "]), None), (n, "EMP"),
                 (" " + p(["employees", "people", "staff", "full time staff", "emps", "workers"]), None)],
                # staff named by their trade, alone or joined to the rest ("30 welders/office", "12 nurses + staff")
                [(n, "EMP"), (" " + p(["", "", "seasonal ", "full-time ", "part time "]) + self.trade_people()
                              + p(["", "", "/office", "/staff", "+staff", " + staff", " & office", "/admin",
                                   " working there", " working", " on payroll", " on staff", " employed"]), None)],
                # a part of the total after it is never the total ("40 staff including 6 estimators")
                [(n, "EMP"), (" " + p(["staff", "employees", "emps", "ees", "people", "total staff"]) + " "
                              + p(["incl", "incl.", "including", "of which", "inc"]) + " "
                              + str(self.r.randint(1, 3)) + " " + self.trade_people(), None)],
            ])  # fmt: skip
        if fact == "vehicles":
            n = self.count_text(0, 300)
            return p([
                [(n, "VEH"), (" " + p(["trucks", "vehicles", "power units", "vans", "tractors", "box trucks", "school buses",
                                       "buses", "cars", "units", "pickups", "dump trucks", "limos", "ambulances"]), None)],
                [(p(["fleet of ", "fleet size ", "vehicles: ", "# of vehicles: ", "Vehicles - "]), None), (n, "VEH")],
                [(p(["they run ", "runs ", "operates ", "they have ", "has ", "with ", "they own ", "running "]), None), (n, "VEH"),
                 (" " + p(["trucks", "units", "vehicles", "tractors", "vans", "buses", "power units", "box trucks", "cars"]), None)],
            ])  # fmt: skip
        if fact in ("annual_revenue", "annual_payroll", "total_insured_value"):
            label = {"annual_revenue": "REV", "annual_payroll": "PAY", "total_insured_value": "TIV"}[fact]
            amount = self.money_text(5e4 if label == "PAY" else 1e5, 3e7 if label == "PAY" else 8e7)
            words = {
                "REV": ["rev", "revenue", "revenues", "sales", "gross sales", "annual revenue", "receipts", "gross receipts",
                        "top line", "Revenue", "turnover", "annual sales", "Annual Revenue", "gross revenue", "billings",
                        "commissions", "rev."],
                "PAY": ["payroll", "annual payroll", "Payroll", "wages", "total payroll", "payroll of", "salaries", "PR",
                        "pr", "W2 payroll"],
                "TIV": ["TIV", "total insured value", "insured values", "TIV of"],
            }[label]  # fmt: skip
            noun = p(words)
            form = r.random()
            if form < 0.5:
                return [
                    (noun + p([" ", ": ", " - ", " is ", " of ", " about ", " ~", " around ", " = "]), None),
                    (amount, label),
                ]
            if form < 0.8:
                return [(amount, label), (" " + p([noun, "in " + noun, noun + " last year", noun + " a year"]), None)]
            if label == "REV":
                return [(p(["doing ", "does ", "makes ", "bringing in ", "grosses ", "about "]), None), (amount, label),
                        (p([" a year", " annually", " per year", "/yr", ""]), None)]  # fmt: skip
            return [(noun + " ", None), (amount, label)]
        if fact == "naics":
            return p([[(p(["NAICS ", "naics: ", "NAICS code ", "code ", "NAICS# ", "naics code is "]), None), (self.code(), "NAICS")],
                      [(self.code(), "NAICS")]])  # fmt: skip
        if fact == "lob":
            return [(p(["", "", "for ", "quoting ", "they want ", "need "]), None), (self.lob_text(), "LOB")]
        if fact == "construction":
            return [(p(["", "building is ", "construction: ", "bldg is ", ""]), None), (self.pick(self.cons), "CONS"),
                    (p(["", " building", " construction", " walls", " walls, wood roof joists", " walls, metal roof",
                        " exterior, wood floors", " walls and roof deck"]), None)]  # fmt: skip
        raise ValueError(fact)

    def lob_text(self) -> str:
        t = self.pick(self.lobs)
        return t.upper() if len(t) <= 3 and self.r.random() < 0.7 else t

    def distractor(self) -> list[Chunk]:
        r, p = self.r, self.pick
        phone = p([f"({r.randint(201, 989)}) {r.randint(200, 999)}-{r.randint(0, 9999):04d}",
                   f"{r.randint(201, 989)}-{r.randint(200, 999)}-{r.randint(0, 9999):04d}",
                   f"{r.randint(201, 989)}.{r.randint(200, 999)}.{r.randint(0, 9999):04d}"])  # fmt: skip
        city, st = p(self.cities)
        year = str(r.randint(1950, 2025))
        return p([
            [(p(["call me at ", "ph: ", "cell ", "Tel: ", "reach the owner at "]) + phone, None)],
            [(f"{r.randint(10, 9999)} {p(self.words['surnames'])} {p(['St', 'Ave', 'Rd', 'Blvd', 'Street', 'Drive', 'Lane'])}", None)],
            [(f"{r.randint(10, 9999)} {p(self.words['surnames'])} {p(['St', 'Ave', 'Rd'])}, {city.title()}, {st} {r.randint(10000, 99999)}", None)],
            [(p(["in business since ", "established ", "founded in ", "since ", "est. ", "opened in "]) + year, None)],
            [(p(["policy # ", "policy no. ", "pol ", "acct "]) + p([str(r.randint(100000, 9999999)), f"GL-{r.randint(1000, 99999)}"]), None)],
            [(f"eff {r.randint(1, 12)}/{r.randint(1, 28)}/{r.randint(2024, 2027)}", None)],
            [(f"{r.randint(2, 12)} {p(['locations', 'stores', 'storefronts', 'bays', 'units of housing'])}", None)],
            [(f"{r.randint(2, 90)} {p(['trailers', 'reefers', 'flatbeds', 'chassis', 'containers', 'forklifts'])}", None)],
            [(f"{r.randint(20, 300)} {p(['seats', 'beds', 'rooms', 'students', 'guests', 'tables', 'acres'])}", None)],
            [(f"{r.randint(2, 60)}% {p(['subcontracted', 'of sales online', 'out of state', 'residential'])}", None)],
            [(f"{r.randint(2, 40)} years in business", None)],
            [(f"ZIP {r.randint(10000, 99999)}", None)],
            [(p(["want ", "looking for ", "need ", "asking for ", ""]) + p(["$1M/$2M limits", "1M/2M", "$1M per occurrence",
              "2M aggregate", "$500k limits", "a $1,000,000 limit", "limits of 1mm/2mm", "$2M agg"]), None)],
            [(p(["$5,000 deductible", "$2,500 ded", "a $10k deductible", "$1,000 deductible ok?", "SIR of $25k"]), None)],
            [(p(["manages about ", "managing ", "AUM of ", "assets of "]) + self.money_text(1e7, 2e9)
              + p(["", " for clients", " in assets"]), None)],
            [(p(["jobs run up to ", "contracts average ", "a typical job is ", "bought a building worth ", "loan of ",
                 "premium around "]) + self.money_text(1e4, 5e6) + p(["", " each", " per job"]), None)],
            [(f"{year} {p(['renewal', 'policy year', 'tax return'])}", None)],
        ])  # fmt: skip

    def unknown(self, fact: str) -> list[Chunk]:
        p = self.pick
        noun = {
            "annual_revenue": ["revenue", "rev", "sales", "the revenue"],
            "annual_payroll": ["payroll", "the payroll", "wages"],
            "employees": ["headcount", "employee count", "the number of employees", "emps", "staff count"],
            "vehicles": ["vehicle count", "the fleet size", "how many trucks", "the number of vehicles"],
            "naics": ["the naics", "NAICS code", "the code"],
            "construction": ["construction", "the building construction"],
        }[fact]  # fmt: skip
        n = p(noun)
        cue = p(["no idea", "not sure", "don't know", "unknown", "no clue", "dont know", "not provided", "TBD", "n/a",
                 "not on the app", "missing", "broker didn't say", "unsure", "not known", "haven't been told"])  # fmt: skip
        return p([
            [(cue, "UNK"), (p([" on ", " about ", " re ", " what the ", " ", " of "]) + n, None)],
            [(n.capitalize() if self.r.random() < 0.3 else n, None), (p([" ", ": ", " - ", " is "]), None), (cue, "UNK")],
        ])  # fmt: skip

    def correction(self) -> list[Chunk]:
        fact = self.pick(["employees", "vehicles", "annual_revenue"])
        first = self.figure(fact)
        label = {"employees": "EMP", "vehicles": "VEH", "annual_revenue": "REV"}[fact]
        fixed = self.count_text() if label != "REV" else self.money_text()
        tail = (
            self.pick(["", "", f" {self.pick(['trucks', 'employees', 'vehicles', 'emps'])}"]) if label != "REV" else ""
        )
        if tail and label == "VEH":
            tail = self.pick([" trucks", " vehicles", ""])
        elif tail:
            tail = self.pick([" employees", " emps", ""])
        # both figures are labelled: the later one wins in ``read``, and a bare one takes the fact corrected
        return [*first, (self.pick(["... ", ", ", " - ", ". "]), None),
                (self.pick(["actually", "sorry", "correction", "make that", "scratch that,", "wait,", "I mean"]), "CORR"),
                (" ", None), (fixed, label), (tail, None)]  # fmt: skip

    def question(self) -> list[Chunk]:
        p = self.pick
        lob = [(self.lob_text(), "LOB")]
        return p([
            [(p(["ok for ", "can we write ", "can we do ", "are we ok on ", "appetite for ", "would we write "]), None), *lob, (p(["?", " ?", "", "??"]), None)],
            [(p(["in appetite?", "is this a small business?", "small biz?", "what's the naics?", "what limits can we offer?",
                 "what else can we sell them?", "thoughts?", "good fit?", "what deductible?"]), None)],
            [(p(["what limits for ", "deductible on ", "what's the deductible for "]), None), *lob, ("?", None)],
        ])  # fmt: skip

    def opening_core(self) -> list[Chunk]:
        """Who and where: "GL for a security guard company in Dallas TX"."""
        p, r = self.pick, self.r
        desc: list[Chunk] = [(self.description(), "DESC")]
        if r.random() < 0.15:  # "40-seat diner", "12-bay garage": a count of something else before what they do
            desc.insert(
                0,
                (
                    f"{r.randint(2, 300)}{p([' ', '-'])}{p(['room', 'seat', 'bed', 'unit', 'bay', 'truck', 'chair', 'acre', 'pump'])} ",
                    None,
                ),
            )
        if r.random() < 0.15:  # "bagel chain, 4 stores": what they do, then more about it
            desc.append(
                (p([" chain", " franchise", " (2 locations)", ", 6 stores", " - family owned", " w/ 3 shops"]), None)
            )
        elif r.random() < 0.15:  # "dairy farm 600 head", "salon (6 chairs)", "c-store (no gas)": more about it
            n = r.randint(2, 900)
            thing = p(["head", "chairs", "rooms", "beds", "seats", "units", "acres", "bays", "sites", "doors"])
            desc.append((p([f" {n} {thing}", f" ({n} {thing})", f", {n} {thing}",
                            f" ({p(['no gas', 'no fuel', 'retail only', 'no delivery', 'no hauling', 'walk-in only'])})",
                            f" ({', '.join(self.pick(self.heads).split()[-1] for _ in range(r.randint(2, 3)))})"]), None))  # fmt: skip
        where = self.city_state()
        form = r.random()
        if form < 0.15:  # the question first: "limits for GL on a sign shop?", "cyber - dental lab"
            return [(p(["deductible for ", "limits for ", "what's the deductible on ", "appetite for ", "ok to write ",
                        "", "need ", "quote "]), None), (self.lob_text(), "LOB"),
                    (p([" on a ", " for a ", " - ", " for an ", ", ", " on this ", " for their "]), None), *desc,
                    *(p([[], [(p([" in ", " - ", ", ", " "]), None), *where]]))]  # fmt: skip
        if form < 0.3:
            return [(p(["", "need ", "quoting "]), None), (self.lob_text(), "LOB"), (p([" for a ", " for an ", " - "]), None),
                    *desc, (p([" in ", " based in ", " out of ", " located in ", ", "]), None), *where]  # fmt: skip
        if form < 0.36:  # the question after what they do, in shorthand: "<trade> ded on <line>", "<trade> w/ ..."
            return [*desc, (p([" ded on ", " ded for ", " deductible on ", " lims for ", " limits on ", " appetite for ",
                               " ok for ", " - ", " wants ", " needs ", " ", " ", ", "]), None), (self.lob_text(), "LOB"),
                    (p(["", "", " ded", " ded?", " limits", " deductible", " whats the deductible", " appetite?", " ok?",
                        " - what limits", ", anything else?"]), None),
                    *(p([[], [(p([" in ", ", ", " "]), None), *where]]))]  # fmt: skip
        if form < 0.42:  # what they do, then the question at once: "<trade> naics?", "<trade>, small?"
            return [*desc, (p([" naics?", " naics - ", " code?", " - small?", ", small biz?", " small?", " - which code",
                               " naics - same as ", " in appetite?", ", "]), None)]  # fmt: skip
        if form < 0.55:
            return [*desc, (p([" in ", " based in ", " out of ", " - ", ", ", ", ", " "]), None), *where]
        if form < 0.7:
            return [(self.company(), "COMPANY"), (p([" is a ", " - ", ", a ", " runs a ", " operates a "]), None), *desc,
                    (p([" in ", " based in "]), None), *where]  # fmt: skip
        if form < 0.8:
            return [(p(["insured is a ", "they run a ", "it's a ", "applicant is a ", "client is a "]), None), *desc,
                    (p([" in ", ", "]), None), *where]  # fmt: skip
        if form < 0.9:
            return [(p(["new sub: ", "new one - ", "", "fyi "]), None), *desc]
        city, _ = self.pick(self.cities)
        city = city if r.random() < 0.6 else city.title()
        if r.random() < 0.5:  # the city as an adjective: "<city> dental lab", "<city> sign shop"
            return [(city, "CITY"), (" ", None), *desc]
        return [*where, (p([" ", " - ", ": "]), None), *desc]

    def opening(self) -> list[Chunk]:
        r = self.r
        parts: list[list[Chunk]] = [self.opening_core()]
        for fact in r.sample(["employees", "annual_revenue", "annual_payroll", "vehicles", "naics", "construction",
                              "total_insured_value"], r.randint(0, 4)):  # fmt: skip
            parts.append(self.figure(fact))
        if r.random() < 0.35:
            parts.append(self.distractor())
        if r.random() < 0.2:
            parts.append(self.unknown(self.pick(["annual_payroll", "vehicles", "employees", "annual_revenue"])))
        if r.random() < 0.12:
            parts.append(self.correction())
        head, rest = parts[0], parts[1:]
        r.shuffle(rest)
        parts = [head, *rest] if r.random() < 0.8 else [*rest, head]
        if r.random() < 0.7:
            parts.append(self.question())
        return self._join(parts)

    def _join(self, parts: list[list[Chunk]]) -> list[Chunk]:
        out: list[Chunk] = []
        sep = self.pick([", ", ", ", ". ", "; ", " - ", "\n", " ", ", ", " w/ ", " with "])
        for i, part in enumerate(parts):
            if i:
                out.append((sep if self.r.random() < 0.8 else self.pick([", ", ". ", " ", " and "]), None))
            out.extend(part)
        return out

    def email(self) -> list[Chunk]:
        r, p = self.r, self.pick
        company = self.company()
        out: list[Chunk] = []
        if r.random() < 0.6:
            sender = f"{p(self.words['given_names'])} {p(self.words['surnames'])}"
            out += [(p(["---------- Forwarded message ---------\n", "-----Original Message-----\n", "Begin forwarded message:\n\n"]), None),
                    (f"From: {sender} <{sender.split()[0].lower()}@{p(self.words['surnames']).lower()}agency.com>\n", None),
                    (f"Sent: {p(['Mon', 'Tue', 'Wed', 'Thu', 'Fri'])}, {p(['Mar', 'Apr', 'Oct'])} {r.randint(1, 28)}, {r.randint(2024, 2026)} {r.randint(1, 12)}:{r.randint(10, 59)} {p(['AM', 'PM'])}\n", None),
                    ("Subject: " + p(["Fwd: ", "RE: ", "FW: ", ""]) + p(["New submission - ", "Quote request: ", "Submission for "]), None),
                    (company, "COMPANY"), ("\nTo: underwriting@pennyroyal.example\n\n", None)]  # fmt: skip
        out.append((p(["Hi team,\n\n", "Hello,\n", "Good morning -\n", "Hey,\n\n", ""]), None))
        if r.random() < 0.5:  # a label: value list
            rows: list[list[Chunk]] = [
                [(p(["Insured: ", "Applicant: ", "Named Insured: ", "Company: ", "Account: ", "Insured name: "]), None), (company, "COMPANY")],
                [(p(["Business: ", "Operations: ", "Description of operations: ", "Nature of business: ", "Ops: ", "Class: "]), None), (self.description(), "DESC")],
                [(p(["Location: ", "Address: ", "Mailing address: "]), None),
                 (f"{r.randint(10, 9999)} {p(self.words['surnames'])} {p(['St', 'Ave', 'Rd'])}, ", None), *self.city_state(),
                 (f" {r.randint(10000, 99999)}" if r.random() < 0.6 else "", None)],
            ]  # fmt: skip
            for fact, lab in (("naics", "NAICS"), ("employees", "EMP"), ("annual_revenue", "REV"), ("annual_payroll", "PAY"),
                              ("vehicles", "VEH")):  # fmt: skip
                if r.random() < 0.7:
                    label_word = {"naics": "NAICS", "employees": p(["Employees", "# Employees", "FTEs", "Headcount",
                                                                      "Drivers", "Staff", "EEs"]),
                                  "annual_revenue": p(["Revenue", "Annual Revenue", "Gross Sales", "Sales"]),
                                  "annual_payroll": p(["Payroll", "Annual Payroll"]),
                                  "vehicles": p(["Vehicles", "Fleet", "Power Units"])}[fact]  # fmt: skip
                    value = {"NAICS": self.code(), "EMP": self.count_text(1, 900), "VEH": self.count_text(0, 90)}.get(
                        lab
                    ) or self.money_text()
                    rows.append(
                        [(label_word + p([": ", ": ", " - ", ":  ", " ......... ", " .... "]), None), (value, lab)]
                    )
            if r.random() < 0.5:
                rows.append(
                    [(p(["Line: ", "Coverage: ", "LOB: ", "Lines requested: "]), None), (self.lob_text(), "LOB")]
                )
            if r.random() < 0.4:
                name, code = p(self.state_names)
                rows.append([(p(["State: ", "State - ", "ST: ", "Primary state: "]), None),
                             (p([code, name.title(), code]), "STATE")])  # fmt: skip
            if r.random() < 0.25:
                city, _ = p(self.cities)
                rows.append([(p(["City: ", "City - "]), None), (city.title(), "CITY")])
            if r.random() < 0.4:
                rows.append([(p(["Years in business: ", "Established: ", "Phone: ", "Policy #: ", "Eff date: "]), None),
                             (p([str(r.randint(1960, 2024)), f"{r.randint(201, 989)}-{r.randint(200, 999)}-{r.randint(0, 9999):04d}",
                                 str(r.randint(100000, 9999999)), f"{r.randint(1, 12)}/1/2026", str(r.randint(2, 40))]), None)])  # fmt: skip
            r.shuffle(rows)
            if r.random() < 0.35:  # the description on a line of its own, under the name, and bullets
                desc: list[Chunk] = [(self.description(), "DESC")]
                if r.random() < 0.5:  # "Print shop: banners, decals" / "caterer (weddings, offices)"
                    more = ", ".join(self.pick(self.heads) for _ in range(r.randint(1, 3)))
                    desc += [(p([": ", " - ", " (", " — "]) + more + p(["", ")", "."]), None)]
                rows = [row for row in rows if not (row[0][0] or "").startswith(("Business", "Operations", "Description",
                        "Nature", "Ops", "Class"))]  # fmt: skip
                rows.insert(0, desc)
                if r.random() < 0.5:  # the street address on its own line between the name and what they do
                    rows.insert(0, [(f"{r.randint(10, 9999)} {p(['N ', 'S ', 'E ', 'W ', ''])}{p(self.words['surnames'])} "
                                     f"{p(['St', 'Ave', 'Rd', 'Blvd', 'Dr'])}, ", None), *self.city_state(),
                                    (f" {r.randint(10000, 99999)}" if r.random() < 0.7 else "", None)])  # fmt: skip
                rows.insert(0, [(company, "COMPANY")])
            bullet = p(["", "", "", "* ", "- ", "• ", "> "])
            for row in rows:
                out += [(bullet, None), *row, ("\n", None)]
        elif r.random() < 0.4:  # prose: "Acme LLC (Somerset, KY 42501) - what they do, since 1990. Fleet: ..."
            where = self.city_state()
            out += [(company, "COMPANY"), (p([" (", ", ", " of ", " in "]), None), *where,
                    (p([f" {r.randint(10000, 99999)}", ""]) + p([") ", ", ", " - "]) + p(["— ", "- ", "is a ", "", "runs a "]), None),
                    (self.description(), "DESC"),
                    (p(["", f" for {r.randint(2, 9)} counties", f" since {r.randint(1950, 2024)}", " in the metro area"]) + ". ", None)]  # fmt: skip
            for fact in r.sample(["employees", "annual_revenue", "vehicles", "annual_payroll"], r.randint(1, 3)):
                out += [*self.figure(fact), (p([". ", ", ", "; "]), None)]
            out.append(("\n", None))
        else:
            out += self.opening()
            out.append(("\n", None))
        if r.random() < 0.7:
            sender = f"{p(self.words['given_names'])} {p(self.words['surnames'])}"
            city, st = p(self.cities)
            out += [(p(["\nThanks,\n", "\nBest,\n", "\nRegards,\n", "\n--\n", "\nthx\n"]), None), (sender + "\n", None),
                    (p(["Account Executive", "Producer", "CSR", "Commercial Lines Manager"]) + " | "
                     + f"{p(self.words['brands'])} Insurance Agency\n", None),
                    (f"{r.randint(201, 989)}-{r.randint(200, 999)}-{r.randint(0, 9999):04d} | {sender.split()[0].lower()}@agency.com\n", None),
                    (f"{r.randint(10, 9999)} {p(self.words['surnames'])} St, {city.title()}, {st} {r.randint(10000, 99999)}", None)]  # fmt: skip
        if r.random() < 0.3:  # the underwriter's own question under what they pasted: a line, no description
            out += [(p(["\n---\n", "\n\n", "\n--\n"]), None), *self.question()]
        return out

    def reply(self) -> tuple[list[Chunk], str]:
        """A reply to the question just asked: bare ("280k"), worded, unknown, or about another fact."""
        r, p = self.r, self.pick
        asked = p(["annual_revenue", "annual_payroll", "employees", "vehicles", "state", "description", "naics",
                   "construction", "lob", "annual_payroll", "employees"])  # fmt: skip
        lab = {"annual_revenue": "REV", "annual_payroll": "PAY", "employees": "EMP", "vehicles": "VEH"}.get(asked)
        form = r.random()
        if form < 0.15 and asked in (
            "annual_revenue",
            "annual_payroll",
            "employees",
            "vehicles",
            "naics",
            "construction",
        ):
            return self.unknown(asked) if r.random() < 0.5 else [(p(["no idea", "not sure", "dunno", "unknown", "n/a",
                                                                      "don't know", "no clue, sorry"]), "UNK")], asked  # fmt: skip
        if form < 0.2 and lab in ("EMP", "VEH"):  # a count of something else answers nothing
            n = self.count_text(2, 300)
            what = p(["locations", "seats", "beds", "stores", "rooms", "units of housing", "acres", "chairs", "bays"])
            return [(f"{n} {what}", None)], asked
        if form < 0.3:  # answers with another fact (its own cue decides)
            other = p(["employees", "vehicles", "annual_revenue", "annual_payroll"])
            return self.figure(other), asked
        if lab:
            value = self.money_text() if lab in ("REV", "PAY") else self.count_text(0, 3000)
            pre = p(["", "", "", "about ", "roughly ", "around ", "I think ", "~", "they said "])
            post = p(["", "", ".", " or so", " I think", " per the app", "ish"])
            if r.random() < 0.3:
                return self.figure(asked), asked
            return [(pre, None), (value, lab), (post, None)], asked
        if asked == "state":
            return [(p(["", "in ", "they're in ", "based in "]), None), *self.city_state()], asked
        if asked == "description":
            return [(p(["", "they're a ", "it's a ", "they run a ", "a "]), None), (self.description(), "DESC")], asked
        if asked == "naics":
            return p([[(self.code(), "NAICS")], [("no, it's a ", None), (self.description(), "DESC")],
                      [("naics is ", None), (self.code(), "NAICS")]]), asked  # fmt: skip
        if asked == "construction":
            return [(p(["", "it's ", "building is "]), None), (self.pick(self.cons), "CONS")], asked
        return [(p(["", "they want ", "just "]), None), (self.lob_text(), "LOB")], asked

    def chatter(self) -> list[Chunk]:
        """Messages that state no fact: questions, choices among offered options, thanks. All unlabelled."""
        p = self.pick
        return [(p([
            "is this in or out of appetite? tell me", "can you help me with this one", "ok thanks", "hi there",
            "what does that mean for us?", "option 2", "the first one", "go with 1", "none of those fit",
            "why is it declined?", "what do you need from me?", "ok, me again", "is that ok?", "oh ok",
            "hi - quick question on a renewal", "who do I refer this to?", "what are the limits in the guidelines?",
            "thanks, that helps", "can we do 2 of them?", "in or out?", "pa says hi", "do we need a referral?",
            f"the {p(['2nd', '3rd', 'last'])} code", "no", "yes", "sure",
            f"{p(['same account', 'same insured', 'same client', 'this one', 'that same one', 'same risk'])}"
            f"{p([' - ', ' — ', ', ', ': '])}{p(['deductible?', 'what limits?', 'ok for auto?', 'small?', 'what else?'])}",
        ]), None)]  # fmt: skip

    # --- noise ---------------------------------------------------------------------------------------------------
    def noisy(self, chunks: list[Chunk]) -> list[Chunk]:
        r = self.r
        mode = r.random()
        out: list[Chunk] = []
        for text, lab in chunks:
            if mode < 0.2:
                text = text.lower()
            elif mode < 0.25:
                text = text.upper()
            if r.random() < 0.04 and lab is None:
                text = _typo(r, text)
            if r.random() < 0.03:
                text = text.replace(" ", "  ")
            out.append((text, lab))
        if r.random() < 0.15:
            out.insert(0, (self.pick(["hi - ", "hey, ", "quick one: ", "morning! ", "Hello team, ", "fyi "]), None))
        if r.random() < 0.1:
            out.append((self.pick([" thanks", "\nthx, Sam", " - J", "\n\nSent from my iPhone"]), None))
        return out

    def message(self) -> tuple[list[Chunk], str | None]:
        x = self.r.random()
        if x < 0.05:
            return self.noisy(self.chatter()), self.pick([None, None, *ASKABLE])
        if x < 0.5:
            return self.noisy(self.opening()), None
        if x < 0.72:
            return self.noisy(self.email()), None
        chunks, asked = self.reply()
        return self.noisy(chunks), asked


def _typo(r: random.Random, text: str) -> str:
    words = text.split(" ")
    i = r.randrange(len(words))
    w = words[i]
    if len(w) > 4 and w.isalpha():
        j = r.randrange(1, len(w) - 1)
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :] if r.random() < 0.5 else w[:j] + w[j + 1 :]
        words[i] = w
    return " ".join(words)


# How people name the outfit after its trade, and the agent a trade's "-ing" phrase becomes.
_OUTFITS = ["company", "co", "outfit", "service", "services", "guy", "business", "shop", "operation", "firm", "biz",
            "crew", "place", "people", "LLC", "group"]  # fmt: skip
_AGENTS = {
    "hauling": ["hauler", "hauling company", "haulers"], "manufacturing": ["manufacturer", "maker", "plant", "mfr"],
    "farming": ["farm", "farmer", "grower", "operation"], "cleaning": ["cleaner", "cleaning company", "cleaners"],
    "repair": ["repair shop", "repair", "repair guy"], "services": ["company", "outfit", "service"],
    "service": ["company", "service", "outfit"], "stores": ["store", "shop"], "dealers": ["dealer", "dealership"],
    "contractors": ["contractor", "sub", "company"], "installation": ["installer", "install company"],
    "rental": ["rental company", "rentals"], "wholesalers": ["wholesaler", "distributor"],
    "publishers": ["publisher"], "operators": ["operator"], "construction": ["contractor", "builder"],
    "retailers": ["retailer", "store", "shop"], "shops": ["shop"], "offices": ["office", "practice"],
}  # fmt: skip
_AGENT_NOUNS = ["hauler", "haulers", "contractor", "operator", "carrier", "installer", "dealer", "repair", "supplier",
                "maker", "cleaner", "cleaners", "mover", "movers", "trucker", "grower", "builder", "distributor",
                "wholesaler", "retailer", "store", "lab", "clinic", "agency", "lender", "broker", "shop", "sub"]  # fmt: skip
# Trade shorthand an index entry rarely uses: the first word of how underwriters name a small business.
_SHORTHAND = ["tow", "limo", "trash", "junk", "septic", "pest", "lawn", "tree", "pool", "sign", "print", "tire",
              "glass", "lock", "moving", "courier", "taxi", "charter", "tour", "bus", "dump truck", "freight", "reefer",
              "flatbed", "cattle", "livestock", "grain", "snow plow", "roofing", "drywall", "paving", "fence", "gutter",
              "solar", "HVAC", "plumbing", "electrical", "concrete", "masonry", "framing", "flooring", "cabinet",
              "handyman", "janitorial", "laundry", "daycare", "tutoring", "catering", "food truck", "vape", "pawn",
              "thrift", "florist", "bakery", "deli", "pizza", "sushi", "taco", "auto body", "detailing", "car wash",
              "towing", "landscaping", "excavation", "demo", "insulation", "window", "carpet", "duct", "chimney",
              "home health", "hospice", "staffing", "security", "alarm", "IT", "payroll", "title", "escrow", "tax prep",
              "bookkeeping", "dental", "vet", "chiro", "PT", "med spa", "nail", "salon", "barber", "tattoo", "gym",
              "yoga", "martial arts", "dance", "music", "wedding", "event", "party rental", "storage", "mini storage",
              "self storage", "RV", "boat", "marina", "bike", "ambulance", "medical transport", "hotshot", "box truck",
              "last mile", "school bus", "motorcoach", "shuttle", "van line", "armored car", "drone", "sawmill",
              "logging", "machine", "welding", "fab", "tool and die", "print and sign", "brewery", "winery",
              "distillery", "coffee roaster", "meat market", "butcher", "produce", "nursery", "sod", "hay",
              "dairy", "poultry", "egg", "hog", "horse boarding", "kennel", "grooming", "funeral", "cemetery"]  # fmt: skip


_APPROX = re.compile(r"^(?:~|about |around |approx |roughly |over |nearly )+", re.I)


def join(chunks: list[Chunk]) -> tuple[str, list[tuple[int, int, str]]]:
    text = ""
    spans: list[tuple[int, int, str]] = []
    for t, lab in chunks:
        if lab in _FIGURES.values() and (m := _APPROX.match(t)):  # "~800k": the figure is "800k"
            text += m.group(0)
            t = t[m.end() :]
        if lab and t.strip():
            lead = len(t) - len(t.lstrip())
            s = len(text) + lead
            spans.append((s, s + len(t.strip()), lab))
        text += t
    return text, spans


def bio(text: str, spans: list[tuple[int, int, str]]) -> tuple[list, list[str]]:
    """Tokens and their BIO labels: a token is in a span when it starts inside it."""
    tokens = tokenize(text)
    labels: list[str] = []
    for tok in tokens:
        lab = "O"
        for s, e, name in spans:
            if s <= tok.start < e:
                lab = ("B-" if not labels or labels[-1][2:] != name or tok.start == s else "I-") + name
                break
        labels.append(lab)
    return tokens, labels


def generated(seed: int, n: int) -> Iterator[Example]:
    g = Gen(seed)
    for _ in range(n):
        chunks, asked = g.message()
        text, spans = join(chunks)
        yield text, asked, spans


# --- the hand-written phrasings, labelled by finding the applicant's values in them ----------------------------
_FIGURES = {"annual_revenue": "REV", "annual_payroll": "PAY", "employees": "EMP", "vehicles": "VEH"}
_SAID_LABELS = {**_FIGURES, "description": "DESC", "state": "STATE"}
_CONTENT_STOP = set("a an the and of for in on with at to from by its their our business company".split())


def tune_examples() -> list[Example]:
    out: list[Example] = []
    for path in TUNE:
        if not path.exists() or "heldout" in path.name:
            continue
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                if row.get("opening") and row.get("applicant"):
                    spans = _project(row["opening"], row["applicant"])
                    found = {label for _, _, label in spans}
                    wanted = {_SAID_LABELS[f] for f in row.get("said") or [] if f in _SAID_LABELS}
                    if wanted <= found:  # a fact said in words the projection cannot find would be taught as "O"
                        out.append((row["opening"], None, spans))
                for asked, reply in (row.get("replies") or {}).items():
                    if asked in ASKABLE and asked != "naics" and isinstance(reply, str) and reply.strip():
                        out.append((reply, asked, _reply_spans(reply, asked, row["applicant"])))
    return out


def _reply_spans(reply: str, asked: str, applicant: dict) -> list[tuple[int, int, str]]:
    """A reply's spans: "don't have that" to a fact nobody knows is UNK; a description is the whole reply."""
    text = reply.strip()
    start = reply.index(text)
    if applicant.get(asked) is None:
        return [(start, start + len(text), "UNK")]
    if asked == "description":
        return [(start, start + len(text), "DESC")]
    return [sp for sp in _project(reply, applicant) if sp[2] != "DESC"]


def _project(text: str, applicant: dict) -> list[tuple[int, int, str]]:
    tokens = tokenize(text)
    spans: list[tuple[int, int, str]] = []
    used: set[int] = set()
    for i, tok in enumerate(tokens):
        if tok.kind != "num" and tok.text.lower() not in ("million", "mil"):
            continue
        j = i + 1 if i + 1 < len(tokens) and tokens[i + 1].text.lower() in ("million", "mil", "thousand", "k") else i
        words = [t.text for t in tokens[i : j + 1]]
        for fact, lab in _FIGURES.items():
            want = applicant.get(fact)
            if want is None:
                continue
            got = money(words) if lab in ("REV", "PAY") else count(words)
            if got is not None and abs(got - want) <= max(1, 0.05 * want) and i not in used:
                spans.append((tok.start, tokens[j].end, lab))
                used.update(range(i, j + 1))
                break
        if i not in used and tok.text == str(applicant.get("naics")):
            spans.append((tok.start, tok.end, "NAICS"))
            used.add(i)
    low = text.lower()
    st = applicant.get("state")
    if st:
        name = next((n for n, c in lexicon.states().items() if c == st), None)
        for pat in filter(None, [name and re.escape(name), rf"(?<![A-Za-z]){st}(?![A-Za-z])"]):
            m = re.search(pat, low if pat != rf"(?<![A-Za-z]){st}(?![A-Za-z])" else text)
            if m:
                spans.append((m.start(), m.end(), "STATE"))
                before = re.sub(r",?\s*$", "", text[: m.start()])
                for k in (3, 2, 1):
                    words = before.split()[-k:]
                    if len(words) == k and " ".join(words).lower() in lexicon.cities():
                        s0 = len(before) - len(" ".join(words))
                        if before[s0:] == " ".join(words):
                            spans.append((s0, len(before), "CITY"))
                        break
                break
    desc = applicant.get("description") or ""
    stems = {w[:4] for w in re.findall(r"[a-z]+", desc.lower()) if len(w) > 2 and w not in _CONTENT_STOP}
    best: tuple[int, int] | None = None
    run: list[int] = []
    for i, cand in enumerate([*tokens, None]):
        hit = cand is not None and cand.kind == "word" and cand.text.lower()[:4] in stems
        hit = hit and cand is not None and cand.text.lower() not in _CONTENT_STOP
        if hit:
            run.append(i)
        elif run:
            if best is None or run[-1] - run[0] > best[1] - best[0]:
                best = (run[0], run[-1])
            run = []
    if best is not None:
        a, b = best
        if not any(s < tokens[b].end and tokens[a].start < e for s, e, _ in spans):
            spans.append((tokens[a].start, tokens[b].end, "DESC"))
    for phrase in sorted(lexicon.lob_phrases(), key=len, reverse=True):
        for m in re.finditer(rf"(?<![\w']){re.escape(phrase)}(?![\w])", low):
            if not any(s < m.end() and m.start() < e for s, e, _ in spans):
                if not (phrase == "fleet" and re.match(r"\s+(?:of|size|\d)", low[m.end() :])):
                    spans.append((m.start(), m.end(), "LOB"))
    for phrase in sorted(lexicon.construction_phrases(), key=len, reverse=True):
        for m in re.finditer(rf"(?<![\w']){re.escape(phrase)}(?![\w])", low):
            if not any(s < m.end() and m.start() < e for s, e, _ in spans):
                spans.append((m.start(), m.end(), "CONS"))
    return spans


def digest() -> str:
    """What the committed model was trained from: the generator and feature code, the lexicon's data files and
    the hand-written phrasings. ``tests/test_reader.py`` fails when this differs from the stored one."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in [here / "corpus.py", here / "tagger.py", here / "tokens.py", here / "lexicon.py", here / "values.py",
                 *lexicon.SOURCES, *(p for p in TUNE if p.exists())]:  # fmt: skip
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()

"""The words of a description that say what a business does, for classification (``classify_business``):
figures with the fact they count ("20 employees", "revenue $2M"), a place ("in Dallas TX", "boise ID") and a line
of business in shorthand that no NAICS text uses ("GL for a bar") are taken out, so a message pasted whole
classifies as its business.

Built from data the caller hands over, not phrasings: the fact nouns of the vocabulary (``core.vocabulary``), the
catalog's states and LOB synonyms, the cities of the gazetteer (``seed_db/data/us_cities.csv``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import chain

from core.vocabulary import FACT_NOUNS, LOB_SHORTHAND, NUMERIC_FACTS
from retrieval.normalise import stem
from retrieval.wordset import WordSet

# A number after letters and a hyphen is part of a model name ("CO-2", "F-150"), not a figure; nor is one with letters
# right after it other than a unit of money ("3PL", "4WD": a trade's abbreviation that starts with a digit).
_NUMBER = (
    r"(?<![A-Za-z]-)(?<!\d)[$€£]?\d[\d,.]*(?:(?:\s*(?:k|m|mm|mil|million|thousand|bn|b)\b)|(?![\d,.]*[A-Za-z]))\+?"
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'&.-]*")
# Where a description's first clause ends: a dash between spaces, a comma, colon, semicolon, bracket, full stop, "+",
# and a spreadsheet's cell (a bar or a tab between the cells of a pasted row).
_CLAUSE_BREAK = re.compile(r"\s+[-–—]\s+|[,;:.()!?|\t]\s*|\s+\+\s+")
_LEFT_OVER = re.compile(r"^(?:(?:for|on|a|an|the)\s+)+(?=\w)", re.IGNORECASE)
# What a business is said not to have or do ("no seating", "without a kitchen", "non-profit", "they don't make the
# bare boards"): people say it to tell the business from its neighbour. The words after "no", "without", "never",
# "w/o", "not" or a verb denied with "do not" / "don't" up to the end of the clause (five at most); a "non-" word alone.
# "not" hedges as often as it denies ("does not have a direct relationship with ...", "not just retail", "not sure") or
# bounds a figure ("not more than 10 trucks"): not read before a verb of having, knowing or needing, or a word of
# degree or of a bound.
_NOT = r"(?:\b(?:do|does|did)\s+not|\b(?:do|does|did)n['\u2019]?t|\bnot)(?:\s+do)?"
_HEDGED = (
    r"have|has|had|need|needs|know|think|sure|just|only|much|many|yet|really|quite|always|all|too|very|be|been|so"
    r"|necessarily|exactly|limited|including|more|less|fewer|over|under|above|below|counting|apply"
    # who the business belongs to is no activity: "not part of any school", "not affiliated with a hospital"
    r"|part|affiliated|associated|owned|connected|attached|tied|linked"
)
_DENIED = re.compile(
    r"\bnon-[a-z]+"
    rf"|(?:\b(?:no|without|never)\b|\bw/o\b|{_NOT}(?!\s+(?:{_HEDGED})\b))(?:\s+(?!(?:and|but|or)\b)[a-z][\w'/&-]*){{1,5}}"
    r"(?=\s*(?:$|[,;:.()!?+]|\s[-\u2013\u2014]\s|\s(?:and|but|or)\b))",
    re.IGNORECASE,
)
_DENIAL_WORD = re.compile(rf"^(?:non-|no\b|without\b|never\b|w/o|{_NOT}\b)\s*", re.IGNORECASE)
PLACE_CUES = r"in|near|from|around|outside|based in|located in"
# How an underwriter or a broker refers to the business before saying what it is ("Hi - insured is a ...", "Applicant
# grooms dogs ...", "our client: a ..."): the words of a submission, not of the business (they pulled a streaming
# platform to the insurance carriers). "insured" ("insd") and "applicant" are never a business's own word; "client", "account",
# "prospect" and "risk" are, often enough ("client services", "risk management"), so they go only before "is" or ":".
# A greeting that opens the text goes with them.
# A greeting opens a line of a pasted mail too, with whom it greets ("Hi team,", "Hello all -").
_GREETING = re.compile(
    r"^[ \t]*(?:hi|hello|hey|good\s+(?:morning|afternoon))\b(?:[ \t]+(?:team|all|everyone|there|folks|guys)\b)?"
    r"[ \t,!.:-]*",
    re.IGNORECASE | re.MULTILINE,
)
# A submission named as such before the business ("new submission for ...", "submission:"), and the legal form after a
# business's name ("LLC", "Inc.", "Corp."): words of the paperwork, not of what the business does (a name ending in
# "LLC" had that for its head noun).
_SUBMISSION = re.compile(
    r"(?:^|(?<=[-\u2013\u2014:;.!?(\n]))\s*(?:(?:a|the|new|this|our)\s+)*submission(?:\s+(?:for|on)\b|\s*:)",
    re.IGNORECASE,
)
# A mail's subject or a note names the paperwork before the business ("new acct - plumbing", "new biz: a ..."): the
# account, the business or the risk said to be new, at the start of a line or clause.
_NEW_ACCOUNT = re.compile(
    r"(?:^|(?<=[-\u2013\u2014:;.!?(\n|]))[ \t]*(?:new|this|our)\s+(?:acct|account|biz|business|risk|sub|quote)\b"
    r"(?![ \t]+(?:is|are|was)\b)[ \t]*(?::|-|\u2013|\u2014|,|$)?",
    re.IGNORECASE | re.MULTILINE,
)
# Numbers that identify the business, not what it does, with their label: a DOT, MC, licence, permit, policy or
# account number ("USDOT 2231456", "Lic #EC13004482"), a number after "#", a phone number, an e-mail or web address,
# the year it was founded ("est. 1998", "since 2004"). Their labels left behind ("USDOT", "lic #EC") pull to the
# industries that issue them.
_IDENTIFIERS = re.compile(
    r"\b(?:us\s?dot|dot|mc|icc|lic(?:en[sc]e)?|permit|pol(?:icy)?|acct|account|fein|ein|tax\s?id|ph|phone|tel|fax|cell"
    r"|mobile|zip(?:\s?code)?|cert(?:ificate)?|reg(?:istration)?)\b\.?[ \t]*(?:#|no\.?|num(?:ber)?\.?)?[ \t]*[:=]?[ \t]*#?"
    r"[ \t]*[A-Za-z]{0,4}-?\d[\w-]*"
    r"|#[ \t]*[A-Za-z]{0,4}-?\d[\w-]*"
    r"|\(?(?<!\d)\d{3}\)?[ .-]?\d{3}[ .-]\d{4}(?!\d)"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\bhttps?://\S+|\bwww\.\S+"
    r"|\b(?:est(?:ablished|\.|\b)|since|founded(?:\s+in)?|in\s+business\s+since)[ \t]*(?:in[ \t]+)?(?:18|19|20)\d\d\b",
    re.IGNORECASE,
)
# A count right after a name ("mobile home park 60 pads, ...", "bowling center 24 lanes"): what is counted is a detail,
# not the last word of the name (its head noun); the count's place becomes a clause break. Only a count of one plural
# noun that ends its clause.
_COUNT_AFTER_NAME = re.compile(
    r"(?<=[A-Za-z])[ \t]+(?:~|about[ \t]+|approx\.?[ \t]+)?\d[\d,]*\+?[ \t]+(?=[a-z]+s\b[ \t]*(?:[,;:.()|!?+]|$))",
    re.MULTILINE,
)
_LEGAL_FORM = re.compile(r",?\s+(?-i:LLC|L\.L\.C\.|Inc\.?|INC\.?|Corp\.?|Ltd\.?|PLLC|LLP)(?![\w&])")
_FRAMING = re.compile(
    r"(?:^|(?<=[-\u2013\u2014:;.!?(\n]))\s*(?:(?:the|our|my|this|new|your)\s+)?"
    r"(?:(?:named\s+)?(?:insured|insd|applicant)(?:'s)?(?=\s+(?!values?\b)[a-z]+s\b|\s+(?:is|are|was)\b|\s*:)"
    r"|(?:client|account|prospect|risk)(?:(?='s)'s|\s+(?:is|are|was)\b|\s*:))"
    r"(?:\s+(?:is|are|was)\b|\s*:)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class BusinessWords:
    figures: re.Pattern
    places: re.Pattern | None
    states: re.Pattern
    shorthand: re.Pattern | None

    @classmethod
    def build(
        cls,
        naics_words: Iterable[str],
        cities: Iterable[str],
        states: Mapping[str, str],
        lob_synonyms: Iterable[str],
    ) -> BusinessWords:
        # A fleet's size says what a business does ("14 trucks"): only the money and head-count facts go.
        nouns = "|".join(f"(?:{FACT_NOUNS[k]})" for k in NUMERIC_FACTS if k != "vehicles")
        figures = re.compile(
            rf"(?:\b(?:annual\s+)?(?:{nouns})\b\s*(?:of|is|was|about|around|approx\.?|:|=|~)?\s*{_NUMBER}"
            rf"|{_NUMBER}\s*(?:in\s+)?(?:annual\s+)?(?:(?:{nouns})\b)?)",
            re.IGNORECASE,
        )
        # A city named by a word the NAICS texts write in lower case ("Mobile", "Commerce") counts only when
        # capitalised: "in mobile homes" is no place. ``naics_words``: those words.
        known = {w.lower() for w in naics_words}
        names = [
            f"(?-i:{' '.join(w.capitalize() for w in c.split())})" if set(c.split()) & known else re.escape(c)
            for c in sorted({c.lower() for c in cities}, key=len, reverse=True)
        ]
        state_names = sorted({n.lower() for n in states.values()}, key=len, reverse=True)
        codes = "|".join(sorted(states))
        after = rf"(?:,?\s*(?:{'|'.join(map(re.escape, state_names))}|(?i:{codes}))\b)?"
        places = re.compile(rf"\b(?:{PLACE_CUES})\s+(?:{'|'.join(names)})\b{after}", re.IGNORECASE) if names else None
        # A state by its name anywhere, by its code in capitals ("TX"; "in" is a word, "IN" a state), but not the
        # letters of a model name ("CO-2 tanks": the figures keep it whole, see ``_NUMBER``).
        state = re.compile(rf"(?i:\b(?:{'|'.join(map(re.escape, state_names))})\b)|\b(?:{codes})\b(?!-\w)")
        unused = sorted(
            {p for p in [*lob_synonyms, *LOB_SHORTHAND] if any(w not in known for w in re.findall(r"[a-z']+", p))},
            key=len,
            reverse=True,
        )
        shorthand = re.compile(rf"\b(?:{'|'.join(map(re.escape, unused))})(?![\w'])", re.IGNORECASE) if unused else None
        return cls(figures, places, state, shorthand)

    def __call__(self, text: str) -> str:
        """``text`` without figures, places and unused shorthand; ``text`` itself when nothing would be left."""
        out = _FRAMING.sub(" ", _SUBMISSION.sub(" ", _NEW_ACCOUNT.sub(" ", _GREETING.sub("", text))))
        out = _LEGAL_FORM.sub("", _IDENTIFIERS.sub(" ", out))
        # a pasted mail's lines and a spreadsheet's cells are clauses of their own (``head_clause``)
        out = re.sub(r"[ \t]*(?:\t|\n\s*)[ \t]*", " | ", out.strip())
        out = _COUNT_AFTER_NAME.sub(", ", out)
        out = self.figures.sub(" ", out)
        if self.places is not None:
            out = self.places.sub(" ", out)
        out = self.states.sub(" ", out)
        if self.shorthand is not None:
            out = self.shorthand.sub(" ", out)
        out = re.sub(r"\s+([,.;:)])", r"\1", " ".join(out.split()))
        # what a figure or a number between two commas or in brackets leaves
        out = re.sub(r"([,;|])(?:\s*[,;|])+", r"\1", re.sub(r"\s*\(\s*\)", "", out))
        out = re.sub(r"^[\s,.;:|-]+|[\s,;:|-]+$", "", out)
        # what a line taken out leaves at the start ("GL for a bakery" -> "for a bakery") says nothing of the business
        out = _LEFT_OVER.sub("", out)
        return out if _WORD.search(out) else text


def denied(text: str) -> str:
    """What ``text`` says the business does not have or do, without the word that denies it, one denial a line
    ("pizza place, no delivery" -> "delivery"); empty when it denies nothing. The classifier moves codes near it down:
    kept in the description, the neighbour's words pull towards the neighbour (``tools.naics``)."""
    return "\n".join(_DENIAL_WORD.sub("", m.group(0)) for m in _DENIED.finditer(text))


def head_clause(text: str) -> str:
    """The first clause of a description that has a word of three letters or more ("hay farm" of "hay farm, sells
    bales to horse stables"); ``text`` itself when it is one clause.

    People name the business first and then detail it with what it handles, whom it serves and how big it is; in the
    detail the objects ("bales", "stables") pull towards the industries that make, sell or run them, so the
    classifier weighs the name again on its own (``tools.naics``).
    """
    for part in _CLAUSE_BREAK.split(text):
        part = part.strip()
        if len(part) > 2 and re.search(r"[A-Za-z]{3}", part):
            return part
    return text


# Where the name of a business ends and what it does, whom it serves or where it is begins: "wireless retailer | for a
# carrier", "pipeline contractor | that lays lines", "GC | doing buildouts".
# "w/" and "w/o" are "with" and "without" as people type them: the name ends there, not at the slash ("dive bar w/ ...").
_NAME_ENDS = re.compile(
    r"\b(?:for|that|which|who|with|doing|does|in|on|of|to|and|from|at)\b|\bw/o?|\s[-–—]\s|[-–—,;:.!?()+&/]",
    re.IGNORECASE,
)


# An index entry is a name, then its qualifiers after a comma or in brackets ("Shops, repair, automotive"); "and" and
# "of" stay inside it ("Coffee and tea manufacturing").
_ENTRY_NAME_ENDS = re.compile(r"[,(]")


def head_noun(text: str, ends: re.Pattern = _NAME_ENDS) -> str | None:
    """The last word of a name, lower case, without its ending (``retrieval.normalise.stem``): the kind of business
    a name says ("wireless retailer for a carrier" -> "retail", "coffee shops" -> "shop"); None without a word.
    ``ends``: where the name ends."""
    words = re.findall(r"[a-z]+", ends.split(text.lower())[0])
    return stem(words[-1]) if words else None


# An index entry that names a practitioner's office ("Dentists' offices (e.g., centers, clinics)", "Architects' (except
# landscape) offices", "District attorneys' offices"): the words before the practitioner (group 1) say which kind
_PRACTICE_ENTRY = re.compile(
    r"^((?:[a-z-]+\s+)*?)([a-z]{4,})(?:'s|s'|')(?:\s+or\s+[a-z]+(?:'s|s'|'))?\s+(?:\([^)]*\)\s+)?"
    r"(?:offices?|clinics?|practices?)\b",
    re.IGNORECASE,
)


# An index entry that is one word, the name of a tradesman or an establishment ("Electrician", "Florists",
# "Laundromats"): a business called so is of that code whatever its detail names ("plumber, water heaters and
# repipes" is no water heater maker). Not an activity's "-ing" ("Branding" is of livestock, not of marketing).
_ONE_WORD_NAME = re.compile(r"^[A-Za-z]+(?<!ing)$")


def singular(word: str) -> str:
    """``word`` in lower case without a plural's "s" ("Dentists" -> "dentist"); whole, unlike a stem, so "engineer"
    is not "engine" nor "nurse" "nursery"."""
    word = word.lower()
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def business_name(text: str) -> str:
    """The name a description gives its business, its first clause up to where the name ends (``_NAME_ENDS``):
    "taco cart with a griddle, weekends" -> "taco cart"."""
    return _NAME_ENDS.split(head_clause(text))[0].strip()


def head_word(text: str) -> str | None:
    """The last word of ``text``'s name (``head_noun``), whole and singular: "family dentist, 3 chairs" -> "dentist"."""
    words = re.findall(r"[a-z]+", _NAME_ENDS.split(head_clause(text).lower())[0])
    return singular(words[-1]) if words else None


@dataclass(frozen=True)
class HeadNouns:
    """How the Census index entries whose name ends in a noun spread over the NAICS sectors: "stores" name retailers,
    "farms" farms, "shops" repair shops, retailers and cafes. A description's head noun then says which sectors its
    business is likely in, whatever objects its detail names. And which practitioners the entries name an office
    by ("Dentists' offices", "Chiropractors' offices"), and which tradesmen and establishments one word names
    ("Electrician", "Wineries"): a business named by its practitioner is that office, whatever it fits, fits with or
    sells ("podiatrist, makes orthotics", "dentist with implants")."""

    shares: dict[str, dict[str, float]]  # head noun -> sector (two digits) -> share of its entries
    practices: dict[str, tuple[str, ...]] = field(default_factory=dict)  # practitioner (singular) -> its offices' codes

    @classmethod
    def build(cls, entries: Iterable[tuple[str, str]], min_entries: int = 5) -> HeadNouns:
        counts: dict[str, dict[str, int]] = {}
        offices: dict[str, set[str]] = {}
        named_alone: set[str] = set()
        for code, entry in entries:
            noun = head_noun(entry, _ENTRY_NAME_ENDS)
            if noun:
                sectors = counts.setdefault(noun, {})
                sectors[code[:2]] = sectors.get(code[:2], 0) + 1
            if m := _PRACTICE_ENTRY.match(entry):
                offices.setdefault(singular(m.group(2)), set()).add(code)
                if not m.group(1):
                    named_alone.add(singular(m.group(2)))
            elif _ONE_WORD_NAME.match(entry):
                # an establishment or a tradesman the entries name by one word ("Plumbers", "Wineries")
                word = entry.lower()[:-3] + "y" if entry.lower().endswith("ies") else singular(entry)
                offices.setdefault(word, set()).add(code)
                named_alone.add(word)
        shares = {
            noun: {sector: n / sum(sectors.values()) for sector, n in sectors.items()}
            for noun, sectors in counts.items()
            if sum(sectors.values()) >= min_entries  # fewer say nothing general about the noun
        }
        # a practitioner whose offices, of any kind, are of one industry group (not "attorneys": district attorneys'
        # offices are the government's; not "pathologists", of three), named alone by an entry (not "nurses", only
        # as "practical nurses"), whose word does not mostly end names of another sector ("agents", "managers",
        # "governors" end the names of many trades: an insurance agent is no real estate agent's office)
        practices = {
            word: tuple(sorted(codes))
            for word, codes in offices.items()
            if word in named_alone
            and len({c[:4] for c in codes}) == 1
            and (stem(word) not in shares or shares[stem(word)].get(next(iter(codes))[:2], 0.0) >= 0.5)
        }
        return cls(shares, practices)

    def practice(self, description: str) -> tuple[str, ...]:
        """The industry group (four digits) of the offices the entries name by ``description``'s head word when it is
        a practitioner ("family dentist, 3 chairs": "6212"), else ()."""
        word = head_word(description)
        word = word[:-2] + "y" if word and word.endswith("ie") else word  # "wineries" -> "winery"
        codes = self.practices.get(word, ()) if word else ()
        return (codes[0][:4],) if codes else ()

    def of_noun(self, word: str) -> dict[str, float]:
        """Sector -> share of the entries whose name ends in ``word`` (any form of it); empty when too few do."""
        return self.shares.get(stem(word.lower()), {})

    def sectors(self, description: str) -> dict[str, float]:
        """Sector -> share for the head noun of ``description``'s first clause; empty for a noun the entries do not
        end enough names with."""
        noun = head_noun(head_clause(description))
        return self.shares.get(noun, {}) if noun else {}


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_VOWELS = re.compile(r"[aeiouy]")
_MIXED_VOWELS_FROM = 8  # letters
_HYPHENATED = re.compile(r"(?<![\w'-])([A-Za-z][a-z]+)-([a-z]{2,})(?![\w'-])")
_LOWER_WORD = re.compile(r"(?<![\w'-])[a-z]{5,24}(?![\w'-])")
_SPACED_WORD = re.compile(r"(?<![\w'-])[a-z]{2,20}(?![\w'-])")


@dataclass(frozen=True)
class Spelling:
    """Trade words typed with a slip, read as the NAICS word they stand for: a letter left out or two neighbours
    swapped ("restaurnt", "plumebr"), in a long word the vowels mixed up (the same consonants in order:
    "seperator"), or the vowels dropped as people shorten words ("plmbr", "cntrctr"). Only a word
    in lower case of five letters or more that neither the NAICS texts nor the embedding model's vocabulary know, in
    any form, is read: a capitalised word may be a name, and a letter replaced by another makes another word as often
    as a slip ("scones", "stones"). The first letter is as typed. Of several candidates the most frequent in the
    NAICS texts is taken."""

    counts: dict[str, int]  # the NAICS texts' words and their singulars -> how often they occur
    skeletons: dict[str, list[str]]  # the consonants of a word -> the words, most frequent first
    known: WordSet  # words and stems not to correct (~34,000: compact, see ``retrieval.wordset``)

    @classmethod
    def build(cls, words: Counter[str], english: Iterable[str]) -> Spelling:
        """``words``: the NAICS texts' words (lower case) with how often they occur; ``english``: other known words."""
        skeletons: dict[str, list[str]] = {}
        # a plural's singular is a word too ("remodelers" -> "remodeler"); the most frequent first, so it wins
        forms = Counter(words)
        for w, n in words.items():
            if w.endswith("ies") and len(w) > 5:  # "cemeteries" -> "cemetery", not "cemeterie"
                forms[w[:-3] + "y"] += n
            elif w.endswith("s") and len(w) > 5:
                forms[w[:-1]] += n
        for w, _ in sorted(forms.items(), key=lambda kv: (-kv[1], kv[0])):
            if len(w) >= 5:
                skeletons.setdefault(w[0] + _VOWELS.sub("", w[1:]), []).append(w)
        english = list(english)
        known = WordSet(chain(forms, english, (stem(w) for w in chain(forms, english))))
        return cls({w: n for w, n in forms.items() if len(w) >= 5}, skeletons, known)

    def read(self, word: str) -> str | None:
        """The word ``word`` was meant as, or None to keep it."""
        if word in self.known or stem(word) in self.known:
            return None
        # the words it is one slip from: a letter put back after the first, or two neighbours swapped back
        meant = [word[:i] + c + word[i:] for i in range(1, len(word) + 1) for c in _LETTERS]
        meant += [word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(1, len(word) - 1)]
        found = [w for w in meant if w in self.counts]
        if found:
            return max(found, key=lambda w: (self.counts[w], w))
        for w in self.skeletons.get(word[0] + _VOWELS.sub("", word[1:]), []):
            # its vowels dropped, or in a long word a vowel put for another or two swapped ("seperator",
            # "cemetary"; a short word's vowels changed make another word as often: "redoes", "radios")
            if _is_subsequence(word, w) or (len(word) >= _MIXED_VOWELS_FROM and abs(len(w) - len(word)) <= 1):
                return w
        return None

    def __call__(self, text: str) -> str:
        text = _HYPHENATED.sub(lambda m: self.joined(m) or m.group(0), text)
        text = self.closed_up(text)
        return _LOWER_WORD.sub(lambda m: self.read(m.group(0)) or m.group(0), text)

    def closed_up(self, text: str) -> str:
        """``text`` with two words the NAICS texts write as one, in any form, written as one ("pawn shop" ->
        "pawnshop", "book keeping" -> "bookkeeping"): apart, each pulls to its own industries (pawn to nothing, shop to
        every store). Only words in lower case, each of two letters or more, the joined word of six or more."""
        words = list(_SPACED_WORD.finditer(text))
        out, at, skip = [], 0, False
        for first, second in zip(words, words[1:], strict=False):
            if skip:
                skip = False
                continue
            joined = first.group(0) + second.group(0)
            if text[first.end() : second.start()] == " " and len(joined) >= 6 and joined in self.counts:
                out += [text[at : first.start()], joined]
                at, skip = second.end(), True
        return "".join(out) + text[at:]

    def joined(self, m: re.Match) -> str | None:
        """Two words joined by a hyphen that the NAICS texts write as one ("post-production" -> "postproduction"),
        as they write it; None when they do not: apart, each half pulls to its own industries ("post", "production")."""
        word = m.group(1) + m.group(2)
        return word if word.lower() in self.counts else None


def _is_subsequence(short: str, long: str) -> bool:
    letters = iter(long)
    return all(c in letters for c in short)

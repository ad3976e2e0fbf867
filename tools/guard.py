"""The product guard's answer scanner: which insurance products named in a text are offered but not written.

The products and the words for them come from the catalog data (``products_not_written`` in
``seed_db/data/insurer.yaml``); products the live catalog writes are never flagged, so adding a line to the
catalog is enough to stop flagging it.

It reads like a person, in one linear pass:

1. **Normalise** each character (Unicode NFKC, accents dropped, confusable Cyrillic/Greek letters mapped to
   Latin, zero-width characters and soft hyphens removed, apostrophes inside words dropped), keeping a map back
   to the original offsets so a mention can be marked in the original text.
2. **Tokenise** into words, joining spelled-out letters ("u m b r e l l a", "E.P.L.I.") and words split by a
   hyphen or a space ("umb-rella"); "and", "&" and "y" are one word.
3. **Match** terms word by word: plurals reduce to the singular and long words tolerate one-letter typos
   (looked up through one-deletion neighbourhoods, so the cost per word is constant).
4. **Judge** each mention: another sense of the word ("umbrella stands", "dram shop law"), a proper name
   ("Umbrella Holdings LLC") or what the business does ("they sell umbrellas") is not a mention at all; a clause
   that declines, negates or reports a request ("we don't write umbrella", "Umbrella: not written.",
   "Umbrella? We don't write it.", "you asked about 'D&O'") does not offer what it names, nor does one that sends it
   to a destination not ours ("goes to a specialty market", "from someone else"), nor one that carries over the
   verdict of the clause before ("EPLI is out, and so is D&O", "Crime - same."): the rules read the clause (table
   cells, list items and a bracketed verdict after an item are clauses; the heading a list sits under is read
   too), the model in ``guard_model`` weighs their reading with the words around the mention.
"""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from core.bounded import Bounded
from tools import guard_model as judge_model

_INVISIBLE = {"\u00ad", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u180e", "\u034f"}
# Markup an answer may carry: a tag inside a word ("E<i>PLI</i>") joins it, a block tag separates words; entities
# are decoded. A regex, not an HTML sanitiser: each character must keep its offset in the original text.
_MARKUP = re.compile(
    r"[^\x00-\x7f]|<(/?)([a-zA-Z][a-zA-Z0-9]{0,10})\b[^<>]{0,200}>|&(?:[a-zA-Z]{2,8}|#\d{1,7}|#x[0-9a-fA-F]{1,6});"
)
_BLOCK_TAGS = {"p", "br", "div", "li", "ul", "ol", "tr", "td", "th", "table", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
# Digits written for letters, in a word that also has letters ("EPL1", "5urety b0nd") or beside "&" ("D&0").
_LEET = str.maketrans("013457", "oieast")
_INNER_APOSTROPHE = re.compile(r"(?<=[a-z0-9])['’ʼ`´](?=[a-z0-9])")
_ELISION = re.compile(r"(?<![a-z0-9])([ldnsjcmt]|qu|dell|all|dall|nell|sull|un|quest)['’ʼ](?=[a-z])")
_WORD = re.compile(r"[a-z0-9]+|&")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_AND = {"and": "&", "y": "&", "et": "&", "und": "&", "&": "&"}  # English, Spanish, French, German
_SPLITS = {
    "-",
    " ",
    "",
    "*",
    "**",
    "_",
    "__",
    "~~",
    "`",
    "-\n",
    "- \n",
    "-\r\n",
}  # inside a word: a hyphen, a space, markdown emphasis
_JOINERS = {"-", " ", ".", "_", "/", "·", ". "}
_DECLINE = re.compile(
    r"\b(?:not|never|no|none|nothing|n/a|cannot|cant|wont|dont|doesnt|isnt|arent|didnt|wouldnt|shouldnt|without|"
    r"unable|decline[sd]?|declining|exclud\w*|outside|neither|nor|unavailable|instead of|rather than|refer\w* \w+ elsewhere|"
    r"asked (?:about|for)|requested|request for|mentioned|inquired|wanted to know|elsewhere|another (?:carrier|insurer)|"
    r"other (?:carriers?|insurers?)|nunca|sin|ni|tampoco|no ofrecemos|no escribimos|"
    r"pas|nicht|kein\w*|non(?!-)|nao|jamais|aucun\w*|nessun\w*|ningun\w*|beyond our|"
    r"(?:we|i|well|ill|wed|id)\s+(?:will\s+|would\s+|must\s+|have to\s+|should\s+)?pass on|"
    r"n/w|nw|decl|decld|ooa|nope|nah|(?:a|hard|firm|definite) (?:no|pass)|pass(?=\W*$)|non[ -]?starter|no[ -]go|(?:is|are|its|thats|theyre) out(?!\s+(?:on|there|to|for|in|at|with|of the|of town)\b)|"
    r"(?:keep|leave|kept|left|leaving|keeping)\s+(?:[\w&]+\s+){0,4}?out(?:\s+of)?|out of (?:appetite|scope|bounds)|off the table|off[ -]limits|fuera de|hors de|ausserhalb|fuori|fora d[eo]|"
    r"unfortunately|regret\w*|leider|malheureusement|lamentablemente|purtroppo|infelizmente|"
    r"ausgeschlossen|exclu(?!siv)\w*|esclu[sd]\w*|schliesst \w+ aus|"
    r"(?:perguntaram|perguntou|pediram|pediu|preguntaron|pregunto|pidieron|pidio|consulto|fragte|fragten|"
    r"demandait|a demande|ont demande|ha chiesto|hanno chiesto|chiedeva))\b"
)
# What declines by itself, where a negation word alone may also offer ("don't forget EPLI", "no reason not to"):
# a verb or idiom of refusal, or a negated verb of offering. The judge weighs it apart from the looser reading.
_FIRM_DECLINE = re.compile(
    r"\b(?:unable|decline[sd]?|declining|exclud\w*|unavailable|n/w|nw|n/a|decl|decld|ooa|"
    r"no need|(?:dont|do not|doesnt|does not|wont|will not) need|unnecessary|not necessary|overkill|"
    r"not (?:written|offered|available|something we|a product|a line|ours|us|our)|"
    r"(?<!why )(?:dont|do not|doesnt|does not|wont|will not|cannot|cant|can not|never|not)\s+(?:\w+\s+)?"
    r"(?:write|writing|offer|offering|quote|quoting|bind|binding|provide|sell|carry|handle|place|add|include|do)|"
    r"(?:a|hard|firm|definite) (?:no|pass)|pass(?=\W*$)|non[ -]?starter|no[ -]go|(?:is|are|its|thats|theyre) out(?!\s+(?:on|there|to|for|in|at|with|of the|of town)\b)|"
    r"(?:keep|leave|kept|left|leaving|keeping)\s+(?:[\w&]+\s+){0,4}?out|out of (?:appetite|scope|bounds)|"
    r"off the table|off[ -]limits|unfortunately|regret\w*|leider|malheureusement|lamentablemente|purtroppo|infelizmente|"
    r"ausgeschlossen|fuera de|hors de|ausserhalb|(?:we|i|well|ill|wed|id)\s+(?:will\s+|would\s+)?pass on)\b"
)
_CLAUSE_SPLIT = re.compile(
    r"(?<=[.!?;:])\s+|(?<=\)),\s+|\s*[;—–\n|]\s*|\s+-\s+|,?\s+\b(?:but|however|although|though|whereas|while|pero|sino)\b,?\s+"
    r"|,\s+(?:so|therefore|thus|hence|instead|and so|so that|donc|por eso|por lo tanto|deshalb|quindi|entao)\b,?\s+"
    # a reason given after a comma is a clause of its own: "add EPLI, since their D&O is not ours"
    r"|,\s+(?:because|since|as|da|weil|denn|car|parce que|puisque|porque|ya que|perche|poiche|pois)\s+"
    # an imperative after a comma that names its own object is an instruction of its own ("quote the GL, drop the
    # auto"); one that takes a pronoun ("..., add it") acts on the clause before and stays with it
    r"|,\s+(?=(?:skip|drop|decline|exclude|omit|remove|add|offer|quote|include|recommend|pitch)\s+"
    r"(?!it\b|that\b|them\b|this\b|those\b|these\b|one\b|too\b|as well\b))"
)
# The product sent to someone else: "goes to a specialty market", "from a surplus lines carrier", "through their
# PEO", "the tenant buys it elsewhere", "her personal-lines agent". A destination, not a verb: any verb may lead there.
_THIRD_PARTY = (
    r"markets?|carriers?|insurers?|specialists?|underwriters?|writers?|wholesalers?|mgas?|pools?|peo|nfip|jua|"
    r"incumbents?|rrgs?|captives?|banks?|lenders?|employers?|associations?|unions?|risk retention groups?|gcs?|general contractors?|"
    r"facilit(?:y|ies)|aseguradoras?|seguradoras?|mercados?|assureurs?|marches?|versicherer|compagnia|mercato"
)
_REFERRED = re.compile(
    # the carrier the applicant is with now is an incumbent, no destination ("currently with a specialty carrier")
    r"\b(?<!comply )(?<!currently )(?<!already )(?<!still )(?:to|through|with|from|via|at|by|into|con|chez|bei|presso|com|para|vers|aupres|hacia|verso|zu|naar)\s+"
    # after a verb of meeting a requirement ("to comply with the bank's terms") the party is a reason, not a destination
    r"(?!our\b|us\b|one\b|a single\b|single\b|the same\b|same\b|this\b|(?:satisfy|meet|please|comply|fulfil|fulfill|suit)\b)(?:[\w&'-]+\s+){0,4}?(?:"
    + _THIRD_PARTY
    + r")\b"
    r"|\b(?:(?:to|through|with|from|via|by)\s+(?:a|an|another)|their|its|his|her|the \w+s)\s+(?:[\w&'-]+\s+){0,2}?"
    r"(?:brokers?|agents?|brokerage|advisors?)\b"
    r"|\b(?:a|an)\s+(?:[\w&'-]+\s+){0,2}?specialists?\b"
    r"|\b(?:another|different|separate|other|specialty|specialist|surplus|e&s|e & s|open|nonadmitted|non-admitted)\s+(?:[\w&'-]+\s+)?(?:"
    + _THIRD_PARTY
    + r")\b"
    r"|\b(?:elsewhere|someone else|somebody else|anyone else|woanders|anderswo|ailleurs|altrove|en otra parte|"
    r"em outro lugar|refer\w*(?:\s+\w+){0,3}\s+out|out to (?:a|an|another|the))\b"
)
_OFFERING = re.compile(
    r"\b(?:add|adding|offer|offered|quote|quoted|quoting|bind|recommend\w*|rec|recd|suggest\w*|include|yes|propose\w*|"
    r"worth|consider|needed|ofrecer|recomend\w*|incluir|proposer|empfohlen|consigliat\w*|sim|si|oui|ja)\b"
)
_QUOTED = re.compile(r"[\"“”'‘’]([^\"“”‘’]{1,60})[\"“”'‘’]")
# Words that name a company: "Umbrella Holdings LLC", "The Umbrella Group Inc.", "Umbrella Cover Is Approved LLC".
_DESIGNATORS = re.compile(
    r"^(?:(?:[A-Z][\w&.'-]*|&|of|and|de|the)\s+){0,6}(?:Holdings?|LLC|L\.L\.C\.|LLP|Inc\.?|Incorporated|Corp\.?|Corporation|Co\.|Company|"
    r"Ltd\.?|Limited|Group|Partners|Investments|Enterprises|Industries|Brands|Capital|Associates|Bank|Trust|"
    r"Foundation|Realty|Ventures|Labs|Studios?|Solutions|Agency|Agencies|Brokers?|Brokerage|Services|Advisors|"
    r"Supply|Supplies|Depot|Logistics|Trucking|Transport|Electric|Apartments|Center|Centre|Clinic|Motors|Systems|"
    r"Technologies|Consulting|Construction|Contractors|Landscaping|Plumbing|Roofing|Restaurant|Cafe|Deli|Bakery|"
    r"Market|Marina|Farms?|Manufacturing|Products|Bar|Grill|Pub|Tavern|Saloon|Inn|Hotel|Club|Kitchen|"
    r"Brewery|GmbH|AG|KG|SA|S\.A\.|SL|S\.L\.|SARL|SAS|SpA|S\.p\.A\.|Srl|S\.r\.l\.|Ltda\.?|BV|NV|Pty|PLC|"
    r"Cia\.?|Hnos\.?|Restaurante|Ristorante|Brasserie)(?!\w)"
    r"|^(?:(?:[A-Z][\w&.'-]*|&|of|and|de|the)\s+){0,6}\(\d{6}\b"  # a name, then its NAICS code: "EPL Logistics (493110)"
    # or the code after a dash, colon or comma, one capitalised word at least between: "Umbrella Rentals - 532289"
    r"|^(?:(?:[A-Z][\w&.'-]*|&|of|and|de|the)\s+){0,5}[A-Z][\w&.'-]*\s*(?:[-:,\u2013\u2014]\s*)\d{6}\b"
)
# What the business itself does with the thing ("they sell umbrellas", "manufactures flood lights").
_ACTIVITY = re.compile(
    r"\b(?:(?:they|he|she|it|who|which|that|company|business|shop|store|firm|applicant|insured|client)\s+"
    r"(?:also\s+|mainly\s+|only\s+|mostly\s+)?(?:sell|make|manufacture|produce|rent|repair|distribute|import|"
    r"install|carry|stock|build|design|handle|defend)s?|sells|makes|manufactures|produces|rents|repairs|"
    r"distributes|imports|installs|builds|designs|handles|defends|stores|serves|pours|stocks|ships|brews|distills|"
    r"bottles|manufacturer|maker|retailer|dealer|wholesaler)\b"
)
_LAYER_BASE = frozenset("the our their your its primary gl cgl auto it them that those all both".split())
_BREAK = re.compile(r"[.;:!?\u2014\u2013|\n]|\s-\s")  # what ends a clause between two words
# Head nouns that make a product's words a modifier of something else: "a life-insurance agency", "the inland marine
# terminal", "their surety provider" name a business, a place or a market, not an offer (any product).
_OTHER_HEADS = frozenset(
    "agency agencies agent agents broker brokers brokerage carrier carriers company companies firm firms provider "
    "providers market markets terminal terminals center centre call department office industry sector association "
    "underwriter underwriters adjuster adjusters wholesaler mga".split()
)
# A peril's hazard, not a cover: "no aviation exposure", "the flood hazard" (where "pollution liability exposure"
# still names the cover).
_HAZARD_HEADS = frozenset("exposure exposures hazard hazards".split())
# Insurance another business writes, places or sells: "an agency that sells key person policies", "the agency writes
# earthquake and homeowners policies" (its book of business, not an offer of ours).
_DISTRIBUTES = re.compile(
    r"\b(?:agency|agencies|broker|brokers|brokerage|agent|agents|producer|mga|they|who|which|that)\s+"
    r"(?:also\s+|mainly\s+|only\s+|mostly\s+)?(?:write|place|sell|specialize)s?(?:\s+in)?\b"
)
# The same with the business named earlier in the clause and the verb in any form: "an independent agency placing
# D&O and EPLI", "Tavern Shield Insurance Services specializes in liquor liability", "brokers, 9 staff, places ...".
_INTERMEDIARY_SELLS = re.compile(
    r"\b(?:agency|agencies|brokers?|brokerage|agents?|producers?|mgas?|advisors|insurance services|agencia|agencias|"
    r"corredor\w*|corretor\w*|agence|courtier\w*|agentur|makler\w*|agenzia|agenzie|mediatore|intermediari\w*)\b"
    r"[^.;:\n]{0,60}?"
    r"\b(?:sells|selling|places|placing|writes|writing|speciali[sz](?:es|ing) in|distributes|distributing|markets|"
    r"marketing|vende|venden|vend|vendent|verkauft|verkaufen|vendono|comercializa\w*|distribu(?:ye|yen|e|ent|iert))\b"
)
_INSURANCE_WORDS = {"insurance", "coverage", "cover", "policy", "liability", "bond", "layer", "endorsement"}
_POLICY_WORDS = _INSURANCE_WORDS | set(
    "insurance limit limits quote quotes option options premium program form rider plan plans versicherung deckung "
    "police polizza poliza seguro".split()
)
_FILLERS = {"&", "or", "the", "a", "an", "what", "about", "re", "also", "la", "el", "una", "un", "o"}
_OFFER_VERBS = {
    w: True
    for w in "write offer add quote sell include bind recommend suggest need want get consider buy carry pitch".split()
}
TYPO_MIN_LEN = 7  # shorter words have too many real-word neighbours ("surety" / "surely")
PAIR_TYPO_MIN_LEN = 5  # beside the other word of its term, a shorter word may be a typo ("surity bond")
# Longer than any term word, so a longer "word" matches nothing: it is never looked up letter by letter (its
# one-deletion neighbourhood alone would cost the square of its length: 30,000 letters took 887 MB).
MAX_TOKEN_CHARS = 40
SKELETON_MIN_LEN = 4  # a word written without its vowels, read as a term word from this many letters ("trvl")
_VOWELS = re.compile(r"[aeiou]")
JUDGE_BATCH = 256  # mentions judged together
# Text judged at once: a long answer is some 8,000 characters; a 5 MB line of "- umbrella" items held 940 MB whole.
SEGMENT_CHARS = 64_000


@dataclass(frozen=True)
class Mention:
    product: str
    name: str
    start: int
    end: int
    text: str
    offered: bool


class _Token(NamedTuple):
    word: str  # canonical form
    start: int  # offsets in the normalised text
    end: int


# --- normalisation ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _confusables() -> dict[str, str]:
    """Characters that look like one Latin letter, from Unicode's confusables table (TR39, via
    confusable-homoglyphs): Cyrillic "е", Greek "ο", mathematical and other look-alikes."""
    from confusable_homoglyphs.confusables import confusables_data

    out = {}
    for ch, glyphs in confusables_data.items():
        if len(ch) != 1 or ch.isascii():
            continue
        latin = [g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalpha()]
        if latin:
            out[ch] = latin[0].lower()
    return out


@lru_cache(maxsize=4096)
def _norm_char(ch: str) -> str:
    if ch in _INVISIBLE or unicodedata.category(ch) == "Cf":  # format characters: zero-width, bidi marks
        return ""
    out = []
    for c in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", ch)):
        if unicodedata.combining(c) or c in _INVISIBLE:
            continue
        out.append(c if c.isascii() else _confusables().get(c, c))
    return "".join(out).casefold()


# Signs a table or a list uses for yes and no ("| Umbrella | ❌ |"): read as the words.
_SIGNS = {c: " no " for c in "❌✗✘🚫⛔"} | {c: " yes " for c in "✅✔✓☑"}


def _special(m: re.Match) -> str:
    """The folded form of one non-ASCII character, markup tag or entity."""
    text = m.group(0)
    if m.group(2) is not None:  # a tag
        return "\n" if m.group(2).lower() in _BLOCK_TAGS else ""  # a list item or paragraph ends a sentence
    if text.startswith("&"):
        decoded = html.unescape(text)
        return "".join(_norm_char(c) if not c.isascii() else c.lower() for c in decoded) if decoded != text else text
    return _SIGNS.get(text) or _norm_char(text)


def normalise(text: str) -> tuple[str, list[int] | None]:
    """The text folded for matching, and each folded character's offset in ``text`` (None: the same)."""
    if text.isascii() and "<" not in text and "&" not in text:
        folded = text.lower()
        return _text_speak(*_drop_inner_apostrophes(folded, None))
    parts: list[str] = []
    offsets: list[int] = []
    pos = 0
    for m in _MARKUP.finditer(text):  # ASCII runs are folded in bulk, the rest one by one
        parts.append(text[pos : m.start()].lower())
        offsets.extend(range(pos, m.start()))
        n = _special(m)
        parts.append(n)
        offsets.extend([m.start()] * len(n))
        pos = m.end()
    parts.append(text[pos:].lower())
    offsets.extend(range(pos, len(text)))
    return _text_speak(*_drop_inner_apostrophes("".join(parts), offsets))


# Digits that spell a syllable in text speak ("4get", "2day", "b4"): read as the word, so the rules and the judge
# see "forget". Only at the start of a word of letters (not "4th", "ho4", "2nd", nor a count "4 trucks").
_TEXT_SPEAK = re.compile(r"(?<![a-z0-9])(?:([42])(?!(?:th|nd|st|rd|s)\b)(?=[a-z]{2,}\b)|b(4)(?![a-z0-9]))")
_SPOKEN = {"4": "for", "2": "to"}


def _text_speak(text: str, offsets: list[int] | None) -> tuple[str, list[int] | None]:
    if not _TEXT_SPEAK.search(text):
        return text, offsets
    base = offsets if offsets is not None else range(len(text))
    parts: list[str] = []
    kept: list[int] = []
    pos = 0
    for m in _TEXT_SPEAK.finditer(text):
        at = m.start(1) if m.group(1) else m.start(2)
        spoken = _SPOKEN[text[at]] if m.group(1) else "efore"
        parts.append(text[pos:at] + spoken)
        kept.extend(base[pos:at])
        kept.extend([base[at]] * len(spoken))
        pos = at + 1
    parts.append(text[pos:])
    kept.extend(base[pos:])
    return "".join(parts), kept


def _drop_inner_apostrophes(text: str, offsets: list[int] | None) -> tuple[str, list[int] | None]:
    """ "don't" -> "dont", "builder's" -> "builders" (quotes around words stay); an elided French or Italian
    article is a word of its own ("d'assurance" -> "d assurance", "dell'assicurazione"): a space, same length."""
    if not _INNER_APOSTROPHE.search(text):
        return text, offsets
    text = _ELISION.sub(r"\1 ", text)
    base = offsets if offsets is not None else range(len(text))
    parts: list[str] = []
    kept: list[int] = []
    pos = 0
    for m in _INNER_APOSTROPHE.finditer(text):
        parts.append(text[pos : m.start()])
        kept.extend(base[pos : m.start()])
        pos = m.end()
    parts.append(text[pos:])
    kept.extend(base[pos:])
    return "".join(parts), kept


# --- the lexicon, from the catalog data ---------------------------------------------------------------


def _expand(term: str) -> list[tuple[str, ...]]:
    """'key person|man insurance?' -> [('key','person','insurance'), ('key','person'), ('key','man',...), ...]."""
    out: list[tuple[str, ...]] = [()]
    for slot in term.split():
        optional = slot.endswith("?")
        alts = slot.rstrip("?").split("|")
        out = [o + (a,) for o in out for a in alts] + (out if optional else [])
    return [o for o in out if o]


class Lexicon:
    """Terms of the products we do not write, indexed by their first word."""

    def __init__(self, products: list, abbreviations: dict[str, str] | None = None):
        self.names: dict[str, str] = {}
        self.by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self.bare: dict[str, set[str]] = {}
        self.before: dict[str, set[tuple[str, ...]]] = {}
        self.after: dict[str, set[str]] = {}
        self.terms: dict[str, set[tuple[str, ...]]] = {}
        vocab: set[str] = set()
        raw_words: list[str] = []
        for p in products:
            self.names[p.id] = p.name
            raw_words += [w for t in p.terms + p.bare + p.other_before + p.other_after for w in re.split(r"[\s|?]+", t)]
        vocab = {_AND.get(w, w) for w in raw_words if w}
        self.vocab = vocab
        self.shorthand = dict(abbreviations or {})  # the trade's shorthand for any word ("cov", "pols")
        # Shorthand for a term word ("liab", "ins"), read as that word, in the terms as in the text.
        self.abbreviations = {a: w for a, w in (abbreviations or {}).items() if w in vocab}
        self.prefixes = {w[:k] for w in vocab for k in range(1, len(w))}  # first halves of split words
        # Tuples, not sets: most neighbourhoods hold one word (48 bytes against a set's 216; ~1.5 MB a process).
        deletions: dict[str, list[str]] = {}
        for w in vocab:
            if len(w) >= TYPO_MIN_LEN:
                for d in _deletes(w):
                    deletions.setdefault(d, []).append(w)
        self._deletions: dict[str, tuple[str, ...]] = {d: tuple(ws) for d, ws in deletions.items()}
        # Notes drop a word's vowels ("hlth", "trvl"): a term word read from its first letter and consonants, where
        # that skeleton is long enough to name one word only (shorter ones are acronyms: "crm", "std").
        skeletons: dict[str, set[str]] = {}
        for w in vocab:
            if w.isalpha() and len(w) >= SKELETON_MIN_LEN + 1:
                for form in {_skeleton(w), _skeleton(re.sub(r"(.)\1", r"\1", w))}:
                    if len(form) >= SKELETON_MIN_LEN and form not in vocab:
                        skeletons.setdefault(form, set()).add(w)
        self.skeletons = {k: ws.pop() for k, ws in skeletons.items() if len(ws) == 1}
        self._canon: dict[str, str] = {}
        self.pairs: set[tuple[str, str]] = set()  # adjacent words of a term: ("surety", "bond"), ("&", "ransom")
        for p in products:
            terms = {tuple(self.canon(w) for w in words) for t in p.terms for words in _expand(t)}
            self.terms[p.id] = terms
            self.pairs |= {pair for words in terms for pair in zip(words, words[1:], strict=False)}
            for words in terms:
                self.by_first.setdefault(words[0], []).append((words, p.id))
            self.bare[p.id] = {self.canon(w) for w in p.bare}
            for w in p.bare:
                self.by_first.setdefault(self.canon(w), []).append(((self.canon(w),), p.id))
            self.before[p.id] = {tuple(self.canon(x) for x in b.split()) for b in p.other_before}
            self.after[p.id] = {self.canon(a) for a in p.other_after}
        # The words products are named by (not the other senses' words: "stand", "sales").
        self.term_words = {w for terms in self.terms.values() for words in terms for w in words}
        self.term_words |= {w for ws in self.bare.values() for w in ws}
        for first in self.by_first:
            self.by_first[first].sort(key=lambda t: -len(t[0]))  # longest term first
        # Shorter words too, by their one-deletion neighbourhoods: read only beside the other word of a term.
        near: dict[str, list[str]] = {}
        for w in {w for pair in self.pairs for w in pair}:
            if len(w) >= PAIR_TYPO_MIN_LEN:
                for d in _deletes(w) | {w}:
                    near.setdefault(d, []).append(w)
        self._near: dict[str, tuple[str, ...]] = {d: tuple(ws) for d, ws in near.items()}

    def paired(self, word: str, before: str, after: str) -> str | None:
        """The term word that ``word`` misspells by one letter (dropped, added, changed or two swapped) and that
        makes a term with the word before or after it ("surity bond", "inland marin", "kidnap and ransome",
        "profesional liability"), or None. The neighbour confirms what one letter alone could not."""
        if not PAIR_TYPO_MIN_LEN <= len(word) <= MAX_TOKEN_CHARS or (before, word) in self.pairs:
            return None
        if (word, after) in self.pairs:
            return None
        cands = set(self._near.get(word, ()))
        for d in _deletes(word):
            cands.update(self._near.get(d, ()))
        fits = {c for c in cands if c != word and ((before, c) in self.pairs or (c, after) in self.pairs)}
        return fits.pop() if len(fits) == 1 else None

    def singular(self, word: str) -> str:
        """The word, or its singular when that is a term word ("umbrellas", "policies", "inundaciones")."""
        word = _AND.get(word, word)
        if word not in self.vocab:
            for suffix, repl in (("ies", "y"), ("es", ""), ("s", "")):
                stem = word[: -len(suffix)] + repl
                if word.endswith(suffix) and len(stem) > 2 and stem in self.vocab:
                    return stem
        return word

    def canon(self, word: str) -> str:
        """A word's canonical form: itself, its singular or the one term word it misspells by one letter."""
        if len(word) > MAX_TOKEN_CHARS:
            return word
        hit = self._canon.get(word)
        if hit is not None:
            return hit
        out = self.singular(self.abbreviations.get(word, self.skeletons.get(word, word)))
        if out not in self.vocab and not out.isdigit():
            if len(out) >= TYPO_MIN_LEN - 1:
                cands = set(self._deletions.get(out, ()))
                for d in _deletes(out):
                    if d in self.vocab and len(d) >= TYPO_MIN_LEN:
                        cands.add(d)
                    cands.update(self._deletions.get(d, ()))
                stems = {c[:-1] if c.endswith("s") and c[:-1] in self.vocab else c for c in cands}
                if len(stems) == 1:  # "oficers": "officer" or "officers", one word either way
                    out = stems.pop()
                elif not cands and out.endswith("s") and out[:-1] != word:  # a misspelt plural: "buliders"
                    out = self.canon(out[:-1]) if self.canon(out[:-1]) in self.vocab else out
        if out.endswith("s") and out[:-1] in self.vocab:  # terms say "officers" and "officer": one word
            out = out[:-1]
        if len(self._canon) < 100_000:
            self._canon[word] = out
        return out


def _skeleton(word: str) -> str:
    return word[0] + _VOWELS.sub("", word[1:])


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@lru_cache(maxsize=4)
def _lexicon_from(path: str, mtime: float) -> Lexicon:
    from seed_db.rules import load_insurer
    from seed_db.sources import read_yaml

    data = load_insurer(Path(path), read_yaml(Path(path)))
    return Lexicon(data.products_not_written, data.product_abbreviations)


def lexicon() -> Lexicon:
    """The products we do not write, as the catalog data lists them (reloaded when the file changes)."""
    from seed_db.sources import DATA_DIR

    path = DATA_DIR / "insurer.yaml"
    return _lexicon_from(str(path), path.stat().st_mtime)


def _written(lex: Lexicon, catalog) -> frozenset[str]:
    """Products of the list that the catalog writes (by code, synonym or display name): never flagged."""
    if catalog is None:
        return frozenset()
    names = frozenset(getattr(catalog, "synonyms", {})) | frozenset(getattr(catalog, "lobs", {}).values())
    return _written_ids(lex, names, frozenset(getattr(catalog, "lobs", {})))


@lru_cache(maxsize=16)
def _written_ids(lex: Lexicon, names: frozenset[str], codes: frozenset[str]) -> frozenset[str]:
    # Tokenising every name is most of a short scan's time, and the catalog rarely changes: once per catalog.
    phrases = {tuple(t.word for t in _tokens(normalise(n)[0], lex)) for n in names}
    return frozenset(pid for pid, terms in lex.terms.items() if pid in codes or terms & phrases)


# --- tokens, clauses, mentions -------------------------------------------------------------------------


def _tokens(norm: str, lex: Lexicon) -> list[_Token]:
    raw = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(norm)]
    out: list[_Token] = []
    i = 0
    while i < len(raw):
        word, start, end = raw[i]
        # Spelled-out letters: "u m b r e l l a", "E.P.L.I.", "u-m-b-r-e-l-l-a"; one joiner throughout, so
        # "b-i-d b-o-n-d" is two words. Two letters only with a slash: "L/T" (long-term), "S/T".
        j = i
        joiner = norm[end : raw[i + 1][1]] if i + 1 < len(raw) else ""
        while (
            j + 1 < len(raw)
            and len(raw[j][0]) == 1
            and len(raw[j + 1][0]) == 1
            and raw[j][0].isalpha()
            and raw[j + 1][0].isalpha()
            and norm[raw[j][2] : raw[j + 1][1]] == joiner
            and joiner in _JOINERS
        ):
            j += 1
        if j - i >= 2 or (j - i == 1 and joiner == "/"):
            out.append(_Token(lex.canon("".join(r[0] for r in raw[i : j + 1])), start, raw[j][2]))
            i = j + 1
            continue
        # A word split by a hyphen, a space or nothing: "umb-rella", "umbr ella", "in-land ma-rine".
        if word in lex.prefixes and i + 1 < len(raw) and (gap := norm[end : raw[i + 1][1]]) in _SPLITS:
            joined = lex.singular(word + raw[i + 1][0])
            apart = lex.canon(word) in lex.vocab or lex.canon(raw[i + 1][0]) in lex.vocab
            if joined in lex.vocab and (gap not in (" ", "") or not apart):  # "liq**uor", "umb-rella": one word
                out.append(_Token(joined, start, raw[i + 1][2]))
                i += 2
                continue
        out.append(_Token(_leet(lex, word, raw, i), start, end))
        i += 1
    for k, t in enumerate(out):  # a typo the next or previous word of its term confirms: one look-up per word
        fixed = lex.paired(t.word, out[k - 1].word if k else "", out[k + 1].word if k + 1 < len(out) else "")
        if fixed is not None:
            out[k] = t._replace(word=fixed)
    return out


def _leet(lex: Lexicon, word: str, raw: list, i: int) -> str:
    """The word's canonical form, reading digits as letters where that makes a term word ("epl1", "b0nd", "d&0")."""
    canon = lex.canon(word)
    beside_and = (i > 0 and raw[i - 1][0] == "&") or (i + 1 < len(raw) and raw[i + 1][0] == "&")
    letter_pair = len(word) == 1 and beside_and and word.isdigit()  # "3&0" is "e&o" though "3" is a term word
    if not letter_pair and (canon in lex.vocab or word.isalpha() or len(word) > MAX_TOKEN_CHARS):
        return canon
    if word.isdigit() and not letter_pair:
        return canon
    letters = lex.canon(word.translate(_LEET))
    return letters if letters in lex.vocab else canon


def _clauses(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _CLAUSE_SPLIT.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    return [(a, b) for a, b in spans if b > a]


class _Judge:
    """Per-clause facts, computed once each, so judging every mention stays linear."""

    def __init__(self, norm: str, tokens: list[_Token]):
        self.norm = norm
        self.clauses = _clauses(norm)
        self.starts = [a for a, _ in self.clauses]
        self.quoted = [(m.start(), m.end()) for m in _QUOTED.finditer(norm)]
        self.quote_starts = [a for a, _ in self.quoted]
        self._declines: dict[int, bool] = {}
        self.token_starts = [t.start for t in tokens]
        self.tokens = tokens
        self.lines, self.heading = _headings(norm)
        self.mention_tokens: set[int] = set()
        # Per clause and per heading, each read once: a clause of thousands of mentions is still read once
        # ("\"umbrella \"umbrella ..." once took 24 s of CPU for 64,000 characters, searched once per mention).
        self._clause_facts: dict[tuple[str, int], bool] = {}
        self._kept_out: dict[int, list[tuple[int, int]]] = {}  # per clause: its "keep ... out" spans
        self._referred: dict[int, list[tuple[int, int]]] = {}  # per clause: its destinations
        self.commas = [m.start() for m in re.finditer(",", norm)]
        self._heading_declines: dict[tuple[int, int], bool] = {}

    def clause_of(self, pos: int) -> int:
        return max(bisect.bisect_right(self.starts, pos) - 1, 0)

    def declines(self, c: int) -> bool:
        if c not in self._declines:
            a, b = self.clauses[c]
            found = _DECLINE.search(self.norm, a, b)
            if found and _LITOTES.search(self.norm, a, b):  # "it wouldn't hurt", "don't forget": these recommend
                found = _DECLINE.search(_LITOTES.sub(" ", self.norm[a:b]))
            self._declines[c] = bool(found)
        return self._declines[c]

    def excludes_only(self, pos: int) -> bool:
        """The clause at ``pos`` declines only by naming an exclusion ("our property form excludes flood")."""
        a, b = self.clauses[self.clause_of(pos)]
        clause = self.norm[a:b]
        return bool(_EXCLUSION.search(clause)) and not _DECLINE.search(_EXCLUSION.sub(" ", clause))

    def quoted_span(self, start: int, end: int) -> bool:
        k = bisect.bisect_right(self.quote_starts, start) - 1
        return k >= 0 and self.quoted[k][0] <= start and end <= self.quoted[k][1]

    def _once(self, fact: str, c: int, compute) -> bool:
        key = (fact, c)
        if key not in self._clause_facts:
            self._clause_facts[key] = compute()
        return self._clause_facts[key]

    def referred(self, c: int, start: int | None = None) -> bool:
        """The clause sends a product elsewhere; with ``start`` (a mention's), not counting a destination in a
        phrase a comma closes before the mention: "Given the board at the X bank, a D&O policy ..." sets the
        scene, it sends nothing (the clause's destinations are found once, looked up by position)."""
        if c not in self._referred:
            a, b = self.clauses[c]
            self._referred[c] = [(m.start(), m.end()) for m in _REFERRED.finditer(self.norm, a, b)]
        spans = self._referred[c]
        if start is None or not spans:
            return bool(spans)
        k = bisect.bisect_right(spans, (start, len(self.norm)))  # the spans starting at or before the mention
        if k < len(spans) or k == 0:
            return bool(spans)
        last = spans[k - 1][1]  # a comma after the last destination before the mention closes them all
        return last > start or bisect.bisect_left(self.commas, last) == bisect.bisect_left(self.commas, start)

    def offering(self, c: int) -> bool:
        return self._once("offering", c, lambda: bool(_OFFERING.search(self.norm, *self.clauses[c])))

    def names_none(self, c: int) -> bool:
        a, b = self.clauses[c]
        lo, hi = bisect.bisect_left(self.token_starts, a), bisect.bisect_left(self.token_starts, b)
        return not any(k in self.mention_tokens for k in range(lo, hi))

    def echoes(self, c: int) -> bool:
        """The clause starts by repeating the verdict of the one before: "and so is X", "same", "likewise"."""
        a, b = self.clauses[c]
        before = self.norm[max(a - 12, 0) : a]
        lo, hi = bisect.bisect_left(self.token_starts, a), bisect.bisect_left(self.token_starts, b)
        words = [self.tokens[k].word for k in range(lo, hi) if k not in self.mention_tokens]
        if words and all(w in _ECHO_WORDS for w in words):  # "EPLI too.", "Excess, same."
            return True
        return bool(_ECHO.match(self.norm, a, b)) or (
            # "and so is X", "nor is X", "..., as is X"
            bool(re.search(r"\b(?:so|nor|neither|as)\W*$", before)) and bool(_AUXILIARY.match(self.norm, a, b))
        )

    def referred_alone(self, c: int) -> bool:
        """The clause refers something elsewhere and names no product itself: it refers the one before."""

        def compute() -> bool:
            a, b = self.clauses[c]
            lo, hi = bisect.bisect_left(self.token_starts, a), bisect.bisect_left(self.token_starts, b)
            return not any(k in self.mention_tokens for k in range(lo, hi)) and self.referred(c)

        return self._once("referred_alone", c, compute)

    def bare(self, c: int, mention_tokens: set[int]) -> bool:
        """The clause is only product names, each with a cover word or not ("Umbrella:", "EPLI —", "Umbrella?",
        "EPLI coverage:")."""

        def compute() -> bool:
            a, b = self.clauses[c]
            lo, hi = bisect.bisect_left(self.token_starts, a), bisect.bisect_left(self.token_starts, b)
            return all(
                k in mention_tokens or self.tokens[k].word in _FILLERS or self.tokens[k].word in _INSURANCE_WORDS
                for k in range(lo, hi)
            )

        return self._once("bare", c, compute)

    def heading_declines(self, h: tuple[int, int]) -> bool:
        if h not in self._heading_declines:
            self._heading_declines[h] = bool(_DECLINE.search(self.norm, *h) or _REFERRED.search(self.norm, *h))
        return self._heading_declines[h]

    def cues(self, start: int, end: int, mention_tokens: set[int]) -> dict[str, bool]:
        """What the rules read in the mention's clause: each a feature of the judging model."""
        if mention_tokens is not self.mention_tokens:  # the clause facts that read mentions depend on them
            self.mention_tokens = mention_tokens
            self._clause_facts = {k: v for k, v in self._clause_facts.items() if k[0] in _MENTION_FREE}
        c = self.clause_of(start)
        a, b = self.clauses[c]
        prev_end = self.clauses[c - 1][1] if c > 0 else 0
        line = self.lines[bisect.bisect_right(self.lines, start) - 1] if self.lines else 0
        cues = {
            # "you asked about 'D&O'"; a markdown quote ("> Can we add D&O?") is someone else's words too
            "quoted": self.quoted_span(start, end) or self.norm[line : line + 8].lstrip().startswith(">"),
            "declines": self.declines(c),
            "referred": self.referred(c, start),
            # "Excess: beyond our lines; refer that request to an excess market." (the next clause names none)
            "then_referred": c + 1 < len(self.clauses) and self.referred_alone(c + 1),
            # "Not written: umbrella, excess, EPLI."
            "list_declined": c > 0 and self.norm[prev_end - 1 : prev_end] == ":" and self.declines(c - 1),
            # "Umbrella: not written.", "Umbrella? We don't write it."
            "bare_declined": c + 1 < len(self.clauses) and self.bare(c, mention_tokens) and self.declines(c + 1),
        }
        # The applicant's own cover, named by what holds it: "their expiring D&O", "already has flood"
        cues["held"] = self.held(c, start)
        # Ellipsis: "Trade credit: not written. Event cancellation - same.", "X is out, and so is Y" (the verdict
        # of the clause before, carried over).
        echo = c > 0 and (
            self.echoes(c)
            or (
                c + 1 < len(self.clauses)
                and self.bare(c, mention_tokens)
                and bool(_ECHO.match(self.norm, *self.clauses[c + 1]))
            )
        )
        cues["echo_declined"] = echo and self.declines(c - 1)
        # "EPLI: rec.", "| EPLI | Recommend adding |": a bare label whose next clause offers (not a rule's veto)
        offers = c + 1 < len(self.clauses) and self.bare(c, mention_tokens) and not self.declines(c + 1)
        offers = offers and self.offering(c + 1)
        # A list item or table row under a heading that declines or refers: "**Refer to other markets**\n- Umbrella".
        h = self.heading[bisect.bisect_right(self.lines, start) - 1] if self.lines else None
        cues["heading_declines"] = h is not None and self.heading_declines(h)
        cues["offered"] = not any(cues.values())
        cues["bare_offered"] = offers
        # Read by the model only: "Bind order: property, GL, liquor liab" (a list after a label that offers), and
        # a next clause that names no product and declines or offers what came before ("X comes up a lot; it's not
        # a product we write", "X would close the gap - include it").
        cues["list_offered"] = (
            c > 0 and self.norm[prev_end - 1 : prev_end] == ":" and not self.declines(c - 1) and self.offering(c - 1)
        )
        cues["firm_decline"] = self._once("firm_decline", c, lambda: bool(_FIRM_DECLINE.search(self.norm, a, b)))
        later = c + 1 < len(self.clauses) and self.names_none(c + 1)
        cues["then_declined"] = later and self.declines(c + 1)
        cues["then_offered"] = later and not self.declines(c + 1) and self.offering(c + 1)
        # The mention inside an idiom of refusal: "keep X out", "X is out", "X is a no", "X is off the table".
        cues["idiom_declined"] = (
            bool(_IS_OUT.match(self.norm, end, b)) or self.kept_out(c, start, end) or self.removed(c, start, end)
        )
        return cues

    def removed(self, c: int, start: int, end: int) -> bool:
        """The mention is the object of a verb that takes it out of what is sent, not negated: "drop the X", "X
        was removed", "pull X from the package" (a verb that also means other things counts only with what it is
        taken from: "cut costs" is no removal). A few words either side, so the cost per mention is constant."""
        i, j = bisect.bisect_left(self.token_starts, start), bisect.bisect_left(self.token_starts, end)
        a, b = self.clauses[c]
        lo, hi = bisect.bisect_left(self.token_starts, a), bisect.bisect_left(self.token_starts, b)
        after = [self.tokens[k].word for k in range(j, min(hi, j + 4)) if k not in self.mention_tokens]
        between = 0
        for k in range(i - 1, max(lo, i - 12) - 1, -1):
            if k in self.mention_tokens:  # "drop the EPLI and D&O": the other products are the verb's objects too
                continue
            word = self.tokens[k].word
            if word in _REMOVE_VERBS or (word in _REMOVE_LOOSE and _AWAY.intersection(after)):
                before = [self.tokens[n].word for n in range(max(lo, k - 3), k)]
                return not any(w in _NOT_REMOVING or "neg" in _CLASS_OF.get(w, ()) for w in before)
            between += 1
            if between > 3 or {"offer", "neg"} & set(_CLASS_OF.get(word, ())):
                break
        for word in after:  # "X was removed", "X dropped from the draft"
            if word in _REMOVED:
                return True
            if word in _NOT_REMOVING or "neg" in _CLASS_OF.get(word, ()):
                break
        return False

    def held(self, c: int, start: int) -> bool:
        """The mention names cover the applicant has now ("their existing D&O with another company", "already
        carries flood"), with no verb of offering in the words before it ("quote their expiring D&O" offers)."""
        i = bisect.bisect_left(self.token_starts, start)
        lo = max(bisect.bisect_left(self.token_starts, self.clauses[c][0]), i - HELD_WINDOW)  # constant per mention
        before = [self.tokens[k].word for k in range(lo, i) if k not in self.mention_tokens]
        tail = before[-5:]
        if any(w == "already" and n in _HOLDS for w, n in zip(tail, tail[1:], strict=False)):
            return True
        near = [w for w in before[-3:] if w not in _DETERMINERS]
        return bool(near) and near[-1] in _HOLDING and not any("offer" in _CLASS_OF.get(w, ()) for w in before)

    def kept_out(self, c: int, start: int, end: int) -> bool:
        """The mention lies inside a "keep ... out" of its clause that no "not" comes before. The clause's idioms are
        found once and looked up by position: a clause of thousands of mentions is read once, not once a mention."""
        if c not in self._kept_out:
            a, b = self.clauses[c]
            self._kept_out[c] = [
                (m.start(), m.end())
                for m in _KEPT_OUT.finditer(self.norm, a, b)
                if not _NEGATED_BEFORE.search(self.norm, max(m.start() - 24, a), m.start())
            ]
        spans = self._kept_out[c]
        k = bisect.bisect_right(spans, (start, len(self.norm))) - 1  # finditer's spans do not overlap: the last one
        return k >= 0 and end <= spans[k][1]  # starting at or before the mention is the only one that can hold it


# Clause facts that do not depend on which tokens are mentions: kept when the mentions change.
_MENTION_FREE = ("referred", "offering", "firm_decline")
_DECLINING = frozenset(
    {"declines", "referred", "then_referred", "list_declined", "bare_declined", "heading_declines", "echo_declined"}
)
# What names cover the applicant holds now: "their existing D&O", "the expiring umbrella", "already carries flood".
HELD_WINDOW = 8  # words before a mention read for what holds it
_HOLDING = frozenset("existing current expiring prior incumbent previous former in-force inforce".split())
_HOLDS = frozenset("has have had carries carry carried holds hold held owns own buys bought purchased got".split())
_DETERMINERS = frozenset("the a an their its his her our your insureds owners clients applicants".split())
# Verbs that take a product out of a quote or a draft, in the languages the judge reads, and the participles that
# say it was taken out; a loose one ("cut", "pull", "take") only with where from ("cut X from the quote").
_REMOVE_VERBS = frozenset(
    "drop drops dropped dropping remove removes removed removing strike strikes struck striking delete deletes deleted "
    "deleting scrap scraps scrapped scrapping nix nixes nixed nixing ditch ditches ditched ditching omit omits omitted "
    "omitting skip skips skipped skipping scratch scratched axe axed eliminate eliminated "
    "quitar quite quiten quitamos quitado eliminar elimine eliminen eliminamos eliminado suprimir suprima suprimido "
    "supprimer supprimez supprimons supprime retirer retirez retirons enlever enlevez enlevons rayer rayez "
    "streichen streicht streiche gestrichen entfernen entfernt entferne "
    "togliere togliete togliamo togli tolto rimuovere rimuovete rimuoviamo rimosso eliminare eliminate eliminiamo "
    "eliminato stralciare stralciato remover remova removemos removido retirar retire retiramos retirado tirar tire".split()
)
_REMOVE_LOOSE = frozenset(
    "cut cuts cutting pull pulls pulled pulling take takes took taken taking strip stripped".split()
)
_AWAY = frozenset("from out off".split())
_REMOVED = frozenset(
    "removed dropped struck deleted scrapped nixed ditched omitted skipped scratched axed eliminated quitado eliminado "
    "suprimido supprime retire enleve raye gestrichen entfernt tolto rimosso eliminato stralciato removido retirado".split()
)
# Words before a removal that undo it: "don't drop X", "a mistake to remove X", "wasn't removed".
_NOT_REMOVING = frozenset("wasnt werent hasnt havent hadnt mistake hate shame".split()) | judge_model.CLASSES["litotes"]
_CLASS_OF = judge_model.CLASS_OF
_KEPT_OUT = re.compile(r"\b(?:keep|leave|kept|left|leaving|keeping)\s+(?:[\w&]+\s+){0,5}?out\b")
_IS_OUT = re.compile(
    r"\s*(?:(?:is|are|s)\s+(?:out|not happening)|(?:(?:is|are|s)\s+)?(?:a no|a hard no|a pass|a non[ -]?starter|a no[ -]go|off the table|off[ -]limits))"
    r"\b(?!\s+(?:on|there|to|for|in|at|with)\b)"
)
# A negation of harm or neglect recommends (the judge's "litotes" class; "reason" also declines: "no reason to").
_LITOTES = re.compile(
    r"\b(?:not|no|never|nothing|dont|doesnt|wouldnt|cant|cannot|couldnt|wont|shouldnt)\s+(?:\w+\s+)?(?:"
    + "|".join(sorted(judge_model.CLASSES["litotes"] - {"reason"}))
    + r")\b"
    r"|\bwhy (?:not|dont|wouldnt)\b"  # a suggestion: "why not add X?", "why don't we quote X?"
)
_NEGATED_BEFORE = re.compile(r"\b(?:not|dont|shouldnt|wouldnt|cant|never|wont|mustnt|cannot|no)\s+(?:\w+\s+)?$")
_EXCLUSION = re.compile(r"\b(?:exclu\w*|esclu[sd]\w*|ausgeschlossen|schliesst \w+ aus)\b")
_ECHO_WORDS = frozenset("too also either neither nor as well same likewise ditto here & or".split())
_AUXILIARY = re.compile(r"\W*(?:is|are|was|were|do|does|did|can|could|will|would|has|have)\b")
_ECHO = re.compile(r"\W*(?:same|ditto|likewise|idem|also no|same here|same for|igual|pareil|dito|lo mismo|idem)\b")
_ITEM = re.compile(r"\s*(?:[-*+•|>]|\d{1,3}[.)])")


def _headings(norm: str) -> tuple[list[int], list[tuple[int, int] | None]]:
    """Each line's start, and the span of the heading its list or table sits under (None: none), in one pass.
    A heading is a line of its own that starts with "#", ends with ":" or is all bold; list items, table rows and
    blank lines keep it; prose ends it."""
    if "\n" not in norm:
        return [], []
    starts: list[int] = []
    heads: list[tuple[int, int] | None] = []
    current: tuple[int, int] | None = None
    pos = 0
    for line in norm.split("\n"):
        text = line.strip()
        item = bool(_ITEM.match(line)) and not text.startswith("**")
        starts.append(pos)
        heads.append(current if item else None)
        if not text or item:
            pass
        elif text.startswith("#") or text.rstrip("*").endswith(":") or (text.startswith("**") and text.endswith("**")):
            current = (pos, pos + len(line))
        else:
            current = None
        pos += len(line) + 1
    return starts, heads


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n")
# A guideline section id in brackets ("[umbrella-unwritten]"): a reference, whatever words it is made of.
_CITATION_ID = re.compile(r"\[[a-z0-9]+(?:[-_][a-z0-9]+)+\]")


def _segments(text: str) -> Iterator[tuple[int, str]]:
    """``text`` in pieces of at most ``SEGMENT_CHARS``, each with its offset, cut at a line break, else a sentence's
    end, else a space (a piece with none of them is cut where it must)."""
    pos = 0
    while len(text) - pos > SEGMENT_CHARS:
        window = text[pos : pos + SEGMENT_CHARS]
        cut = max(window.rfind("\n"), window.rfind(". "), window.rfind(" ")) + 1 or SEGMENT_CHARS
        yield pos, window[:cut]
        pos += cut
    yield pos, text[pos:]


def find_mentions(text: str, catalog=None, names: Iterable[str] = ()) -> list[Mention]:
    """Every mention of a product we do not write, with whether its clause offers it, in text order.

    ``names``: names the data holds (an applicant's company name, a NAICS title, see ``data_names``). The guard
    judges the copilot's words: a mention inside one of them, where the text repeats it, is the name, not an offer.
    A text longer than ``SEGMENT_CHARS`` is judged a segment at a time (what one call holds stays bounded).
    """
    if not text:
        return []
    if len(text) <= SEGMENT_CHARS:
        return list(_judged_once(text, catalog, tuple(names)))
    names, budget = tuple(names), [judge_model.EMBED_MAX]
    lex = lexicon()
    skip = _written(lex, catalog)
    return [
        replace(m, start=m.start + at, end=m.end + at)
        for at, piece in _segments(text)
        for m in _find_mentions(piece, lex, skip, names, budget)
    ]


# A turn judges the same texts several times (an answer's pieces as they stream, the whole answer, its summary in
# the decision record, the request on each finding) and a redo of earlier findings writes the same texts again:
# each is judged once per process. The verdict depends on the text, the names, the lexicon, the products the catalog
# writes, the judge's weights and whether its embedding loads: all of them are in the key.
MAX_JUDGED = 1024  # texts whose mentions a process keeps
MAX_JUDGED_CHARS = 8_000  # a longer text is judged every time (what the cache holds stays a few MB)
_judged = Bounded(MAX_JUDGED)


def _judged_once(text: str, catalog, names: tuple[str, ...]) -> tuple[Mention, ...]:
    """``_find_mentions`` of a text of one segment, remembered (the same mentions, in a tuple no caller changes)."""
    lex = lexicon()
    skip = _written(lex, catalog)
    if len(text) > MAX_JUDGED_CHARS:
        return tuple(_find_mentions(text, lex, skip, names))
    weights = judge_model._weights()
    key = (text, names, lex, skip, id(weights), judge_model._embed, bool(judge_model._embed_failed))
    found = _judged.fetch(key)
    if found is None or found[0] is not weights:  # (an id reused by other weights is no hit)
        found = (weights, tuple(_find_mentions(text, lex, skip, names)))
        _judged.keep(key, found)
    return found[1]


def _find_mentions(
    text: str, lex: Lexicon, skip: frozenset[str], names: Iterable[str], budget: list[int] | None = None
) -> list[Mention]:
    """``find_mentions`` for one segment (``skip``: the products the catalog writes); ``budget`` holds the sentence
    embeddings the whole text may still use."""
    if not text:
        return []
    budget = [judge_model.EMBED_MAX] if budget is None else budget
    norm, offsets = normalise(text)
    tokens = _tokens(norm, lex)
    named = sorted(_name_spans(norm, names) + [m.span() for m in _CITATION_ID.finditer(norm)])
    judge = _Judge(norm, tokens)
    spans: list[tuple[str, int, int, bool]] = []  # product, first token, last token + 1, a bare word alone
    i = 0
    while i < len(tokens):
        # Right after another product ("D&O, EPL and fiduciary"), a bare word names a product too.
        listed = bool(spans) and (spans[-1][2] == i or (spans[-1][2] == i - 1 and tokens[i - 1].word in ("&", "or")))
        match = _match(lex, tokens, i, skip, listed)
        if match is None:
            i += 1
            continue
        pid, j, weak = match
        if not _inside(named, tokens[i].start, tokens[j - 1].end) and not _other_sense(
            lex, pid, tokens, i, j, norm, text, offsets
        ):
            spans.append((pid, i, j, weak))
        i = j
    mention_tokens = {k for _, i, j, _ in spans for k in range(i, j)}
    mention_order = sorted(mention_tokens)
    # Products a clause of the text declines or sends elsewhere: a writer who declines a product names it again
    # while explaining ("An umbrella sits over the GL ... we don't write it"); the judge weighs that.
    # A clause whose only refusal is an exclusion of our own form ("our property excludes flood") declines nothing
    # of the writer's: it is often the reason to offer the product next ("so quote a flood policy").
    declined: set[str] = set()
    for pid, i, j, _ in spans:
        if pid in declined:
            continue
        reasons = {k for k, v in judge.cues(tokens[i].start, tokens[j - 1].end, mention_tokens).items() if v}
        if reasons & _DECLINING and not (reasons & _DECLINING == {"declines"} and judge.excludes_only(tokens[i].start)):
            declined.add(pid)
    sentences = [0] + [m.end() for m in _SENTENCE.finditer(norm)]
    words = [t.word for t in tokens]
    next_declines: dict[int, bool] = {}

    def declines_after(k: int) -> bool:
        """The next sentence with words declines and names no product: "D&O protects directors. Not written."
        (each sentence read once)."""
        if k not in next_declines:
            verdict = False
            for n in range(k + 1, min(k + 4, len(sentences))):
                a, b = sentences[n], sentences[n + 1] if n + 1 < len(sentences) else len(norm)
                lo, hi = bisect.bisect_left(judge.token_starts, a), bisect.bisect_left(judge.token_starts, b)
                if lo < hi:
                    named = bisect.bisect_left(mention_order, lo) < bisect.bisect_left(mention_order, hi)
                    verdict = not named and bool(_DECLINE.search(norm, a, b))
                    break
            next_declines[k] = verdict
        return next_declines[k]

    def context(pid: str, i: int, j: int, weak: bool) -> judge_model.Context:
        a, b = tokens[i].start, tokens[j - 1].end
        start = _original(a, offsets)
        k = bisect.bisect_right(sentences, a) - 1
        lo = bisect.bisect_left(judge.token_starts, sentences[k])
        stop = sentences[k + 1] if k + 1 < len(sentences) else len(norm)
        hi = bisect.bisect_left(judge.token_starts, stop)
        cues = judge.cues(a, b, mention_tokens)
        cues["asks"] = norm[max(stop - 3, 0) : stop].rstrip().endswith("?")
        after = _original(tokens[j].start, offsets) if j < hi else None
        cues["capital_next"] = after is not None and text[start].isupper() and text[after].isupper()
        cues["weak"] = weak
        cues["declined_elsewhere"] = pid in declined and cues["offered"]
        cues["next_declines"] = declines_after(k)
        # "offered": no reading declines it, the text's other clauses and the next sentence included
        cues["offered"] = cues["offered"] and not (cues["declined_elsewhere"] or cues["next_declines"])
        ca, cb = judge.clauses[judge.clause_of(a)]
        clo = max(bisect.bisect_left(judge.token_starts, ca), lo)
        chi = min(bisect.bisect_left(judge.token_starts, cb), hi)
        near = mention_order[  # the other mentions the model's window reads: a bounded slice, so judging stays linear
            bisect.bisect_left(mention_order, max(lo, i - judge_model.WINDOW)) : bisect.bisect_left(
                mention_order, min(hi, j + judge_model.WINDOW)
            )
        ]
        others = frozenset(k for k in near if not i <= k < j)
        nxt = bisect.bisect_left(mention_order, hi)
        prev_named = bisect.bisect_left(mention_order, max(lo - judge_model.NEXT, 0)) < bisect.bisect_left(
            mention_order, lo
        )
        next_named = nxt < len(mention_order) and mention_order[nxt] < hi + judge_model.NEXT
        return judge_model.Context(words, i, j, lo, hi, clo, chi, pid, cues, others, prev_named, next_named)

    found: list[tuple[Mention, int, bool]] = []
    verdicts = judge_model.Verdicts()
    for at in range(0, len(spans), JUDGE_BATCH):  # in batches: a text of many mentions never holds all contexts
        batch = spans[at : at + JUDGE_BATCH]
        probs, used = judge_model.judge([context(*span) for span in batch], budget[0])
        budget[0] -= used  # for the whole text, its segments together
        for (pid, i, j, weak), p in zip(batch, probs, strict=True):
            k = verdicts.add(pid, p, judge_model.settle_key(pid, tokens[i].word))
            if p < verdicts.threshold and weak:  # a bare word ("flood", "crime") counts only where offered
                continue
            start, end = _original(tokens[i].start, offsets), _original(tokens[j - 1].end - 1, offsets) + 1
            found.append((Mention(pid, lex.names[pid], start, end, text[start:end], False), k, weak))
    settled = [replace(m, offered=verdicts.offered(k)) for m, k, _ in found]
    return [m for m, (*_, weak) in zip(settled, found, strict=True) if m.offered or not weak]


MAX_NAMES = 64  # names from the data one answer is checked against (each searched once: linear in the text)
MAX_NAME_CHARS = 300
NAME_KEYS = frozenset({"company_name", "name", "dba", "naics_title", "title", "applicant", "insured", "company"})


def data_names(result: object, out: list[str] | None = None, depth: int = 0) -> list[str]:
    """The names in a tool result (company names, NAICS titles, ...) that contain a product word: the strings
    an answer may repeat that are the data's words, not the copilot's. Bounded in count, length and depth."""
    out = [] if out is None else out
    if depth > 8 or len(out) >= MAX_NAMES:
        return out
    items = result.items() if isinstance(result, dict) else enumerate(result) if isinstance(result, list) else ()
    for key, value in items:
        if isinstance(value, str):
            if key in NAME_KEYS and 2 < len(value) <= MAX_NAME_CHARS and value not in out and _names_product(value):
                out.append(value)
        elif isinstance(value, dict | list):
            data_names(value, out, depth + 1)
        if len(out) >= MAX_NAMES:
            break
    return out


@lru_cache(maxsize=4096)
def _names_product(name: str) -> bool:
    """Whether a name mentions a product. Cached: a record's names are re-read from every earlier tool result of
    the conversation (``graph/determination.py``), the same few names turn after turn."""
    return bool(find_mentions(name))


def _name_spans(norm: str, names: Iterable[str]) -> list[tuple[int, int]]:
    """Where the (normalised) names occur in the normalised text, sorted."""
    spans = []
    for name in list(names)[:MAX_NAMES]:
        needle = normalise(name[:MAX_NAME_CHARS])[0].strip()
        if len(needle) < 3:
            continue
        at = norm.find(needle)
        while at >= 0:
            spans.append((at, at + len(needle)))
            at = norm.find(needle, at + len(needle))
    return sorted(spans)


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    k = bisect.bisect_right(spans, (start, float("inf")))  # spans starting at or before ``start`` (names overlap)
    return any(a <= start and end <= b for a, b in spans[max(k - 4, 0) : k])


def _original(pos: int, offsets: list[int] | None) -> int:
    return pos if offsets is None else offsets[pos]


def _match(
    lex: Lexicon, tokens: list[_Token], i: int, skip: frozenset[str], listed: bool = False
) -> tuple[str, int, bool] | None:
    """The product whose term starts at token ``i``, the token after it, and whether it is a bare word alone
    ("flood" with no offer verb before it and no product beside it): such a word is also a river's, a crime a
    police matter, so it is judged and kept only when offered."""
    for words, pid in lex.by_first.get(tokens[i].word, ()):
        if pid in skip or i + len(words) > len(tokens):
            continue
        if all(tokens[i + k].word == w for k, w in enumerate(words)):
            if len(words) == 1 and words[0] in lex.bare[pid] and words not in lex.terms[pid]:
                prev = tokens[i - 1].word if i else ""
                # a count of things ("3 BR"): a unit, not a product (where "4) crime" numbers a list item)
                if prev.isdigit() and not listed and not tokens[i - 1].end < tokens[i].start - 1:
                    return None
                prev2 = tokens[i - 2].word if i > 1 else ""
                if not (listed or _OFFER_VERBS.get(prev) or (prev in ("a", "an", "some") and _OFFER_VERBS.get(prev2))):
                    return pid, i + 1, True
            return pid, i + len(words), False
    return None


def _other_sense(lex, pid, tokens, i, j, norm, text, offsets) -> bool:
    """Another sense of the word, a proper name, or what the business itself makes or sells."""
    after = tokens[j].word if j < len(tokens) else ""
    # "umbrella stands", "dram shop law"; but "umbrella liability of $2M" names the product whatever follows, and
    # so does a layer over a line ("excess over the GL", where "in excess over $1M" is an amount).
    over_a_line = after in ("over", "above") and j + 1 < len(tokens) and tokens[j + 1].word in _LAYER_BASE
    specific = tokens[j - 1].word in _POLICY_WORDS
    if (after in lex.after[pid] and not specific and not over_a_line) or after in _OTHER_HEADS:
        return True
    if after in _HAZARD_HEADS and not specific:
        return True
    # Hyphened to a word that is not about insurance, it is part of an adjective: "earthquake-resistant",
    # "flood-prone" (while "EPLI-coverage", "D&O-Versicherung" stay products).
    if (
        after
        and norm[tokens[j - 1].end : tokens[j].start] == "-"
        and after not in lex.vocab
        and after not in _POLICY_WORDS
    ):
        return True
    for before in lex.before[pid]:
        n = len(before)
        if i >= n and tuple(t.word for t in tokens[i - n : i]) == before:
            return True
    start = _original(tokens[i].start, offsets)
    end = _original(tokens[j - 1].end - 1, offsets) + 1
    if text[start : start + 1].isupper() and _DESIGNATORS.match(text[end : end + 60].lstrip(" ,")):
        return True
    # Capitalised and followed by a capitalised word that is not about insurance: a name ("Umbrella Academy
    # Daycare", "Crime Stoppers"), where "Umbrella Coverage" or "D&O Versicherung" stay products. A capitalised
    # product word between does not end the name ("Crime Auto Sales"); a cover word does ("Umbrella Auto Liability").
    if text[start : start + 1].isupper() and _names_business(lex, tokens, j, norm, text, offsets):
        return True
    window = tokens[max(i - 3, 0)].start  # the activity verb governs the words right after it
    lo = max(i - 8, 0)
    for m in _DISTRIBUTES.finditer(norm, tokens[lo].start, tokens[i].start):  # the verb, then only products
        between = [t.word for t in tokens[lo:i] if t.start >= m.end()]
        if all(w in lex.vocab or w in _FILLERS or w in _INSURANCE_WORDS for w in between):
            return True
    far = max(i - 16, 0)
    for m in _INTERMEDIARY_SELLS.finditer(norm, tokens[far].start, tokens[i].start):  # a few words may come between
        between = [t.word for t in tokens[far:i] if t.start >= m.end()]
        if sum(not (w in lex.vocab or w in _FILLERS or w in _INSURANCE_WORDS) for w in between) <= 3:
            return True
    if after in _INSURANCE_WORDS:
        return False
    # In the same clause: "big box stores — a credit insurance policy" is no business storing the product.
    return any(
        not _BREAK.search(norm, m.end(), tokens[i].start) for m in _ACTIVITY.finditer(norm, window, tokens[i].start)
    )


def _names_business(lex: Lexicon, tokens: list[_Token], j: int, norm: str, text: str, offsets) -> bool:
    """The capitalised words right after a mention (at most four, one space apart) name a business: one of them is
    in title case and is no product, cover or filler word, and no cover word comes before it."""
    for k in range(j, min(j + 4, len(tokens))):
        gap = norm[tokens[k - 1].end : tokens[k].start]
        word = tokens[k].word
        if (gap.lstrip("'’") if k == j else gap) != " " or word in _POLICY_WORDS or word in _FILLERS:
            return False  # after a plural's apostrophe too ("Carriers' Umbrella Co")
        if not _title_case(text, _original(tokens[k].start, offsets), _original(tokens[k].end - 1, offsets) + 1):
            return False
        if word not in lex.term_words:
            return True
    return False


def _title_case(text: str, start: int, end: int) -> bool:
    word = text[start:end]
    return len(word) > 1 and word[0].isupper() and word[1:].islower()


def scan_products(text: str, catalog=None, mentions_only: bool = False, names: Iterable[str] = ()) -> list[str]:
    """Product ids the text offers (or, with ``mentions_only``, merely names) that we do not write, in order."""
    out: list[str] = []
    names, budget = tuple(names), [judge_model.EMBED_MAX]
    if len(text or "") <= SEGMENT_CHARS:
        pieces: Iterable[tuple[Mention, ...] | list[Mention]] = [_judged_once(text or "", catalog, names)]
    else:  # a segment's mentions at a time: a long text never holds them all
        lex = lexicon()
        skip = _written(lex, catalog)
        pieces = (_find_mentions(piece, lex, skip, names, budget) for _, piece in _segments(text))
    for mentions in pieces:
        for m in mentions:
            if (mentions_only or m.offered) and m.product not in out:
                out.append(m.product)
    return out


def unwritten_request(text: str, catalog) -> list[str]:
    """The products we do not write that ``text`` asks about when it names none of our lines, else [].

    "Is APP-0042 in appetite for umbrella?" -> ["umbrella"]; "GL, and umbrella?" -> [] (GL is ours).
    """
    mentions = find_mentions(text, catalog)
    if not mentions or catalog is None:
        return []
    chars = list(text)
    for m in mentions:  # a line's name inside a product's name ("umbrella liability") does not count
        chars[m.start : m.end] = " " * (m.end - m.start)
    lex = lexicon()
    words = " " + " ".join(t.word for t in _tokens(normalise("".join(chars))[0], lex)) + " "
    names = (
        set(getattr(catalog, "synonyms", {})) | set(catalog.lobs.values()) | {c.replace("_", " ") for c in catalog.lobs}
    )
    for name in names:
        phrase = " ".join(t.word for t in _tokens(normalise(name)[0], lex))
        if phrase and f" {phrase} " in words:
            return []
    return list(dict.fromkeys(m.name for m in mentions))

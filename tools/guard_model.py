"""The product guard's judge of one mention: does the text offer the product, or decline, report or merely name it?

A logistic regression over the mention's context. Its features are mostly *kinds* of words, not words: a negation,
a verb that offers, one that declines, one that reports what someone else asked or holds, a double negative that
recommends ("it can't hurt to ..."), who the subject is (we, you, they), a modal, a question, where each sits
relative to the mention within its clause and sentence, and the rule-based reading of the clause (``rule:``
features, from the cues the guard computes anyway). Word classes carry over to wording the training sets never
used; raw words (only the one either side) would only memorise them. The classes are open lists in English,
Spanish, French, German, Italian and Portuguese; they name grammar, not products.

Where these features leave the decision open (a probability inside a band), a second regression also reads the
MiniLM embedding (the retrieval index's model) of the words around the mention, every product masked as "it": it
carries the meaning of wording no class lists ("belongs with a specialty market"). At most ``EMBED_MAX`` sentences
of a text are embedded, in one batch; without the model the features alone decide.

A few rule readings are vetoes no weight outvotes (``VETO``): a clause that sends the product elsewhere.

The weights are data, ``guard_weights.json`` beside this file, trained on the labelled sets the guard is tuned on
by ``python -m tests.train_guard`` (which prints their cross-validation grouped by text and chooses the band by it).
The held-out sets are never trained on. The cost per mention is bounded by its sentence's window, so judging stays
linear in the text.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)
WEIGHTS = Path(__file__).with_name("guard_weights.json")
WINDOW = 12  # words either side of the mention that it reads, within its sentence
NEAR = 4  # words apart for a negation to govern the verb after it
NEXT = 8  # words of the sentence before and after that it reads
EMBED_MAX = 16  # mentions of one text whose sentence may be embedded (8 ms each): the rest are judged on features


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words as the guard's tokeniser yields them: lower case, accents dropped, apostrophes inside words removed.
CLASSES: dict[str, frozenset[str]] = {
    "neg": _words(
        "not no never none nothing nor neither cannot cant wont dont doesnt isnt arent didnt wouldnt shouldnt "
        "couldnt aint without unable nope nah "
        "nunca tampoco ningun ninguna ni sin nicht kein keine keinen keiner keines nie ohne "
        "ne pas jamais aucun aucune sans non mai nessun nessuna senza nao nem nunca sem"
    ),
    "offer": _words(
        "do offer offers offered offering write writes writing add adding added quote quoting quoted bind binding "
        "sell selling include including recommend recommending recommended suggest suggesting propose proposing "
        "pitch pitching consider considering provide providing extend extending issue place placing bundle "
        "attach attaching layer round get getting buy purchase carry need needs want worth "
        "ofrecer ofrecemos ofrezca ofrece ofrecerle cotizar cotizamos cotice recomendar recomendamos recomiendo "
        "recomiende incluir incluya agregar agregue anadir anada proponer proponemos proponga suscribir suscribimos "
        "vender vendemos emitir emitimos contratar considere "
        "proposer proposons proposez offrir offrons offrez recommander recommandons recommandez ajouter ajoutez "
        "souscrire souscrivons souscrivez inclure incluez vendre "
        "anbieten bieten bietet empfehlen empfehlen empfehle hinzufugen abschliessen zeichnen versichern "
        "proporre proponiamo proponete offrire offriamo consigliare consigliamo consiglio aggiungere aggiungete "
        "includere sottoscrivere sottoscriviamo assicuriamo "
        "oferecer oferecemos ofereca cotar cotamos cotacao incluir incluimos adicionar "
        "adicione recomendo recomendamos sugiro sugerimos vamos podemos subscrever subscrevemos agreguemos "
        "anadamos incluyamos ofrezcamos cotizemos coter "
        # Hedged and terse offers: "worth pricing out", "explore a D&O quote", "rec: add EPLI".
        "price pricing priced explore exploring evaluate rec recd reco recco sugg suggested incl pleased happy glad "
        # Conditional and advisory forms: "I'd recommend", "recomendaria", "serait prudente", "it would be wise".
        "recomendaria sugeriria ofreceria incluiria propondria recommanderais recommanderions suggererais "
        "conseillerais proposerais consiglierei suggerirei proporrei offrirei includerei ofereceria incluiria "
        "sugeriria prudent prudente wise advisable sensible aconsejable recomendable conviene "
        "conveniente sinnvoll ratsam opportuno consigliabile pair pairing"
    ),
    "decline": _words(
        "decline declines declined declining exclude excludes excluded exclusion refer referred referring pass "
        "avoid skip outside unavailable elsewhere another other ineligible prohibited unable rechazar rechazamos "
        "excluir excluido otra otro ailleurs autre refuser refusons ablehnen andere anderen altra altro rifiutare "
        # Letters decline politely, notes tersely (tokens as the guard yields them: "decl'd" -> "decld").
        "regret regrettably unfortunately sorry lamentablemente desafortunadamente malheureusement regrettons leider "
        "bedauern purtroppo infelizmente lamentamos decl decld declin ooa nw exclusions excluding excluded "
        "excluida excluidos exclu exclue exclus ausgeschlossen escluso esclusa esclusi excluida excluido incumbent "
        # Exclusions of a policy in other languages, and idioms of refusal ("out of bounds", "hard pass").
        "excluye excluyen exclut excluent excluem exclui esclude escludono schliesst bounds off-limits"
    ),
    "report": _words(
        "asked asks ask asking requested requests request requesting requires required require mentioned mentions "
        "mention listed lists list inquired inquiring wondering wants wanted noted notes says said states stated "
        "submission schedule application prior existing current expiring already previous previously holds "
        "solicito solicita pregunto pregunta menciono menciona mencionado demande demandez demande mentionne "
        "gefragt angefragt erwahnt chiesto richiesto menzionato perguntou perguntaram pediu pediram preguntaron "
        "pidio pidieron consulto fragte fragten fragt demandait domandato wrote"
    ),
    # Sending the product to someone else: "goes to a specialty market", "the broker should shop it elsewhere".
    "elsewhere": _words(
        "elsewhere market markets specialty specialist specialists carrier carriers insurer insurers another other "
        "different refer referred referral shop placed placement placements handle handles leave leaves stays stay "
        "outside beyond away separately pass table aseguradora aseguradoras compania mercado fuera ailleurs assureur "
        "courtier marche anderen versicherer spezialversicherer verweisen compagnia mercato specializzata seguradora "
        "mercado fora encaminhe encaminhar especializada especializado incumbent incumbents"
    ),
    "already": _words(
        "already existing currently current prior previous former history loss losses claim claims has have had holds "
        "hold ya tiene tienen deja bereits hat gia ha ja tem bought purchased obtained secured lapsed expired "
        "cancelled canceled nonrenewed old"
    ),
    "cond": _words("if unless whether should when si wenn falls se caso"),
    "litotes": _words(
        "hurt hurts harm forget hesitate wrong miss overlook ignore skip regret neglect mistake leave omit reason "
        "remiss shame pity oversight "
        # Taking a product out, negated, keeps it in: "don't drop the umbrella", "we shouldn't remove EPLI".
        "drop dropping remove removing delete scrap nix ditch lose "
        "olvide olvidar olviden olvides olvidemos dejar oublier oubliez oublions oublie vergessen vergiss vergesst "
        "dimenticare dimenticate dimentichiamo esquecer esqueca esquecam"
    ),
    # Our part narrowed to other lines: "we're quoting property and GL only", "we stick to the BOP".
    "only": _words(
        "only just solely stick keep stay focus focused solo solamente unicamente seulement uniquement nur "
        "lediglich soltanto apenas somente"
    ),
    "modal": _words("can could should would might may must shall will"),
    "we": _words("we our us ours i nosotros nuestro nuestra nous notre wir unser unsere noi nostro nostra"),
    "you": _words("you your yours usted ustedes su vous votre sie ihr ihre lei voi"),
    "they": _words(
        "they their them theirs he she his her its applicant insured client broker customer account ellos ils leur sie"
    ),
    "own": _words("their its his her existing prior current expiring previous own su sus leur ihr ihre loro"),
    "yes": _words("yes sure definitely absolutely also too plus"),
}
CLASS_OF: dict[str, tuple[str, ...]] = {}
for _name, _members in CLASSES.items():
    for _w in _members:
        CLASS_OF[_w] = (*CLASS_OF.get(_w, ()), _name)


class Context(NamedTuple):
    """One mention ``words[i:j]`` in its clause ``words[clo:chi]`` and its sentence ``words[lo:hi]``."""

    words: list[str]
    i: int
    j: int
    lo: int
    hi: int
    clo: int
    chi: int
    product: str
    cues: dict[str, bool]
    others: frozenset[int]  # token indices of the sentence's other product mentions
    prev_named: bool = False  # the words read before the sentence name a product (a table row, another item)
    next_named: bool = False


# "If not, add X", "whether or not": a negation after these is a condition, not a refusal.
_CONDITIONAL_NEG = frozenset("if or si se wenn ob".split())


def _classes(words: list[str], skip: frozenset[int], start: int, stop: int) -> list[tuple[int, str]]:
    return [
        (k, _negation(words, k) if c == "neg" else c)
        for k in range(start, stop)
        if k not in skip
        for c in CLASS_OF.get(words[k], ())
    ]


def _negation(words: list[str], k: int) -> str:
    """What a negation word does: "if not" is a condition, "why not add X?" a suggestion (read as a negated
    harm, which recommends), else it negates."""
    if k and words[k - 1] in _CONDITIONAL_NEG:
        return "cond"
    return "litotes" if k and words[k - 1] == "why" else "neg"


def features(ctx: Context) -> list[str]:
    """The features of one mention: word classes by position, their combinations, the rules' reading."""
    w, i, j = ctx.words, ctx.i, ctx.j
    lo, hi = max(ctx.lo, i - WINDOW), min(ctx.hi, j + WINDOW)
    clo, chi = max(ctx.clo, lo), min(ctx.chi, hi)
    # No feature names the product: which products a writer happens to offer is no evidence about a new writer's
    # sentence (leave-one-writer-out scored better without it).
    out = [f"rule:{k}" for k, v in ctx.cues.items() if v]
    left = _classes(w, ctx.others, clo, i)
    right = _classes(w, ctx.others, j, chi)
    # The rest of the sentence, each side read only when it names no other product: "We can't offer D&O, but we
    # can offer E&O" - the negation speaks of D&O.
    outside = []
    for a, b, side in ((lo, clo, "L"), (chi, hi, "R")):
        if any(a <= k < b for k in ctx.others):
            out.append(f"s:named{side}")
        else:
            outside += _classes(w, ctx.others, a, b)
    out += [f"cL:{c}" for _, c in left] + [f"cR:{c}" for _, c in right] + [f"s:{c}" for _, c in outside]
    out += [f"n:{c}" for k, c in left if k >= i - 2] + [f"m:{c}" for k, c in right if k < j + 2]
    # The sentences either side: "Umbrella? We don't write it.", "You asked me to add an umbrella. I can't." One
    # that names another product speaks of that one ("| EPLI | Offer it |" above "| Umbrella | no |").
    if ctx.next_named:
        out.append("next:named")
    else:
        out += [f"next:{c}" for _, c in _classes(w, ctx.others, ctx.hi, min(len(w), ctx.hi + NEXT))]
    if ctx.prev_named:
        out.append("prev:named")
    else:
        out += [f"prev:{c}" for _, c in _classes(w, ctx.others, max(0, ctx.lo - NEXT), ctx.lo)]
    # A negation governs the verb next to it: "we don't offer X" declines, "it can't hurt to add X" offers, and in
    # German or French the verb may come first ("bieten wir nicht an", "ne souscrivons pas").
    for k, c in left + right:
        if c != "neg":
            continue
        side = "L" if k < i else "R"
        after = {c2 for k2, c2 in left + right if k < k2 <= k + NEAR} & {"offer", "litotes", "decline", "modal"}
        before = {c2 for k2, c2 in left + right if k - NEAR <= k2 < k} & {"offer", "litotes", "decline"}
        out += [f"neg>{c2}{side}" for c2 in after] + [f"{c2}>neg{side}" for c2 in before]
        if not (after | before) - {"modal"}:
            out.append(f"neg_alone{side}")
    if ctx.clo < i:
        out += [f"first:{c}" for c in CLASS_OF.get(w[ctx.clo], ("word",))]  # "Add X." is imperative
    else:
        out.append("first:mention")
    out += [f"L1:{w[i - 1]}" if i > ctx.lo else "starts", f"R1:{w[j]}" if j < ctx.hi else "ends"]
    out.append(f"others:{min(len(ctx.others), 2)}")
    # Two negations in the clause cancel ("I wouldn't send this without a D&O option").
    if sum(c == "neg" for _, c in left + right) >= 2:
        out.append("neg2")
    return out


def sentence(ctx: Context) -> str:
    """The words around the mention that the sentence embedding reads, every product replaced by "it": the model
    judges what the sentence does with a product, not which product it names."""
    w = ctx.words
    lo, hi = max(ctx.lo, ctx.i - WINDOW), min(ctx.hi, ctx.j + WINDOW)
    left = ["it" if k in ctx.others else w[k] for k in range(lo, ctx.i)]
    right = ["it" if k in ctx.others else w[k] for k in range(ctx.j, hi)]
    return " ".join([*left, "it", *right])


@lru_cache(maxsize=1)
def _weights() -> dict:
    return json.loads(WEIGHTS.read_text(encoding="utf-8"))


# Rules no weight outvotes: a clause that sends the product to a destination not ours ("goes to a specialty
# market", "from someone else") never offers it. Held in every labelled mention (82 of 82), but how much weight the
# regression gives it depends on how often a writer refers: one who seldom does would teach it too little.
VETO = frozenset({"rule:referred", "rule:echo_declined", "rule:idiom_declined"})


def probability(feats: list[str], model: dict | None = None, vector: Sequence[float] | None = None) -> float:
    """The calibrated probability that the mention is offered: from its features alone, or (``vector``: its
    sentence embedding) with the model that also reads the embedding. ``model``: weights other than the shipped."""
    if VETO.intersection(feats):
        return 0.0
    model = _weights() if model is None else model
    if vector is not None:
        model = model["embedded"]
    weights = model["weights"]
    z = model["bias"] + sum(weights.get(f, 0.0) for f in set(feats))
    if vector is not None:
        z += model["scale"] * sum(a * b for a, b in zip(model["dense"], vector, strict=True))
    return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def judge(contexts: list[Context], embed_max: int = EMBED_MAX) -> tuple[list[float], int]:
    """The probability that each mention is offered (``settle`` decides), and how many sentence embeddings that
    read. The features decide; where
    they leave it open (a probability inside the model's band), the sentence embedding is read too, for at most
    ``embed_max`` mentions, in one batch, so the cost per answer stays bounded. Without the embedding model the
    features alone decide."""
    model = _weights()
    feats = [features(c) for c in contexts]
    probs = [probability(f, model) for f in feats]
    band = model.get("embedded", {}).get("band")
    unsure = [k for k, p in enumerate(probs) if band is not None and band <= p <= 1 - band][: max(embed_max, 0)]
    vectors = _embed([sentence(contexts[k]) for k in unsure]) if unsure else None
    for k, v in zip(unsure, vectors or (), strict=False):
        probs[k] = probability(feats[k], model, v)
    return probs, len(unsure) if vectors else 0


def settle_key(product: str, first_word: str) -> str:
    """The words a mention names its product by, as ``Verdicts`` compares them: its first word."""
    return f"{product}:{first_word}"


class Verdicts:
    """A text's verdicts, product by product. A mention is offered at the model's threshold, unless the text
    firmly declines the same product elsewhere (a mention below ``declined``) and no mention of it is near certain
    (at or above ``certain``): a writer who declines a product names it again while explaining it ("An umbrella
    sits over the GL ...", "You asked: can we add an umbrella? No"), and rarely offers what they declined. A mention
    after the decline that names the product in other words stands on its own: "EPLI is out, so add wrongful
    termination cover" offers a form of it the writer may not know is the same product. The bounds are chosen with
    the threshold by leave-one-writer-out cross-validation (``tests/train_guard.py``)."""

    def __init__(self, model: dict | None = None):
        model = _weights() if model is None else model
        self.threshold = model["threshold"]
        self.declined, self.certain = model.get("declined", 0.0), model.get("certain", 1.0)
        self.seen: list[tuple[str, float, str]] = []  # (product, probability, settle_key) in text order
        self.low: dict[str, int] = {}  # per product: its least likely mention (the firmest decline)
        self.high: dict[str, float] = {}

    def add(self, product: str, p: float, key: str = "") -> int:
        """Record one mention's probability, in text order; its number for ``offered``."""
        k = len(self.seen)
        self.seen.append((product, p, key))
        if product not in self.low or p < self.seen[self.low[product]][1]:
            self.low[product] = k
        self.high[product] = max(self.high.get(product, 0.0), p)
        return k

    def offered(self, k: int) -> bool:
        """Whether recorded mention ``k`` is offered, all the text's mentions of its product read."""
        product, p, key = self.seen[k]
        low = self.low[product]
        if self.seen[low][1] < self.declined and self.high[product] < self.certain:
            return k > low and key != self.seen[low][2] and p >= self.threshold
        return p >= self.threshold


_embed_failed: list[str] = []


def _embed(texts: list[str]) -> list | None:
    """The sentences' MiniLM embeddings (the retrieval index's model, loaded once per process), or None when the
    model cannot be loaded (logged once): the guard then judges on its features alone."""
    if _embed_failed:
        return None
    try:
        from retrieval.minilm import embed  # not retrieval.embeddings: no chromadb

        return embed(texts)
    except Exception as exc:  # a missing package, a bad model file, onnxruntime: any of them means "no embedding"
        _embed_failed.append(f"{type(exc).__name__}: {exc}")
        log.warning("product guard: sentence embedding unavailable (%s); judging on features alone", _embed_failed[0])
        return None


def fit(
    samples: list[list[str]],
    labels: list[int],
    vectors: Sequence[Sequence[float]] | None = None,
    scale: float = 1.0,
    l2: float = 0.001,
    steps: int = 3000,
) -> dict:
    """A logistic regression on binary features and, given ``vectors``, the dense embedding (times ``scale``)
    (full-batch gradient descent with L2), as the weights file holds. The binary features are held sparse (a
    mention has a few dozen of thousands), so a step costs their count, not rows times columns."""
    import numpy as np

    names = sorted({f for s in samples for f in s})
    index = {f: k for k, f in enumerate(names)}
    pairs = [(r, index[f]) for r, s in enumerate(samples) for f in set(s)]
    rows = np.asarray([r for r, _ in pairs], dtype=np.int64)
    cols = np.asarray([c for _, c in pairs], dtype=np.int64)
    dense = scale * np.asarray(vectors, dtype=np.float64) if vectors is not None else None
    n, d = len(samples), len(names)
    y = np.asarray(labels, dtype=np.float64)
    w = np.zeros(d)
    v = np.zeros(dense.shape[1] if dense is not None else 0)
    b = 0.0
    for _ in range(steps):
        z = np.bincount(rows, weights=w[cols], minlength=n) + b
        if dense is not None:
            z += dense @ v
        g = 1.0 / (1.0 + np.exp(-z)) - y
        w -= 0.5 * (np.bincount(cols, weights=g[rows], minlength=d) / n + l2 * w)
        if dense is not None:
            v -= 0.5 * (dense.T @ g / n + l2 * v)
        b -= 0.5 * float(g.mean())
    out: dict = {
        "weights": {f: round(float(x), 4) for f, x in zip(names, w, strict=True) if abs(x) >= 1e-3},
        "bias": round(b, 4),
        "threshold": 0.5,
    }
    if dense is not None:
        out |= {"dense": [round(float(x), 5) for x in v], "scale": scale}
    return out

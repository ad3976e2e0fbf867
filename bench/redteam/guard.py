"""Red-team attacks on the product guard: memory blow-ups, an over-long `uwc guard scan` line, and names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.redteam import Outcome, attack

AREA = "guard"
BUDGET_MB = 300  # the ceiling for the peak memory of any single call

# One scan in a fresh interpreter: the peak memory tracemalloc saw, in MB (the lexicon is loaded before).
_PEAK = """
import random, sys, tracemalloc
from tools.guard import find_mentions, lexicon
lexicon()
rng = random.Random(1)
kind, n = sys.argv[1], int(sys.argv[2])
letters = [rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(n)]
text = {"word": "".join(letters), "spaced": " ".join(letters), "hyphenated": "-".join(letters),
        "offers": "Add umbrella cover. " * (n // 20), "markup": "E<i>PLI</i> &amp; umbr\\u0435lla. " * (n // 30)}[kind]
tracemalloc.start()
find_mentions(text)
print(tracemalloc.get_traced_memory()[1] / 1e6)
"""


def _peak_mb(kind: str, n: int) -> float:
    out = subprocess.run(
        # tracemalloc makes the scan ~7x slower (1 MB of markup: ~10 s of CPU alone, ~70 s traced): the limit is the
        # harness's, wide enough for a loaded machine; the guard's own time is the one-clause attack's figure
        [sys.executable, "-c", _PEAK, kind, str(n)],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ,
    )
    if out.returncode:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}")
    return float(out.stdout.strip())


def _bounded(kind: str, n: int) -> Outcome:
    peak = _peak_mb(kind, n)
    return Outcome(peak < BUDGET_MB, f"{n:,} letters ({kind}): peak {peak:.1f} MB (budget {BUDGET_MB} MB)")


@attack(AREA, "one 30,000-letter word (was 887 MB)")
def long_word() -> Outcome:
    return _bounded("word", 30_000)


@attack(AREA, "1 MB of spaced letters (was ~22 GB, killed)")
def spaced_letters() -> Outcome:
    return _bounded("spaced", 500_000)


@attack(AREA, "1 MB of hyphenated letters")
def hyphenated_letters() -> Outcome:
    return _bounded("hyphenated", 500_000)


@attack(AREA, "1 MB answer of offers, markup and homoglyphs")
def many_mentions() -> Outcome:
    return _bounded("markup", 1_000_000)


@attack(AREA, "a 40,000-character lob argument (was 1.6 GB)")
def long_lob_argument() -> Outcome:
    code = (
        "import random, tracemalloc\n"
        "from pathlib import Path\n"
        "from tests.conftest import cached_seed, open_toolkit\n"
        "tk = open_toolkit(cached_seed('db'))\n"
        "lob = ''.join(random.Random(2).choice('abcdefghijklmnopqrstuvwxyz') for _ in range(40_000))\n"
        "args = {'naics': '722511', 'state': 'TX', 'lob': lob, 'annual_revenue': 1_000_000}\n"
        "tk.call('check_appetite', args)\n"
        "tracemalloc.start()\n"
        "event = tk.call('check_appetite', {**args, 'lob': lob[::-1]})\n"
        "print(tracemalloc.get_traced_memory()[1] / 1e6, event.ok)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=os.environ)
    if out.returncode:
        return Outcome(False, f"the call failed: {out.stderr.strip().splitlines()[-1:]}")
    peak, ok = out.stdout.split()
    held = float(peak) < BUDGET_MB and ok == "False"
    return Outcome(held, f"peak {float(peak):.1f} MB, refused: {ok == 'False'}")


@attack(AREA, "uwc guard scan with a 300 MB line (was 656 MB)")
def scan_huge_line() -> Outcome:
    """The line is refused while it is read: peak RSS of the whole `uwc` process stays far under the line."""
    from tests.conftest import cached_seed

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "huge.jsonl"
        with src.open("wb") as f:
            f.write(b'{"id": 1, "text": "')
            chunk = b"umbrella " * 100_000
            for _ in range(300_000_000 // len(chunk)):
                f.write(chunk)
            f.write(b'"}\n')
        code = (
            "import resource, sys\n"
            "from app.cli import main\n"
            "rc = main(sys.argv[1:])\n"
            "print(rc, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n"
        )
        args = ["guard", "scan", str(src), "--data-dir", str(cached_seed("db"))]
        out = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, env=os.environ
        )
    if "Traceback" in out.stderr:
        return Outcome(False, "a traceback reached the user")
    lines = out.stdout.split()
    rss = int(lines[-1]) if len(lines) >= 2 else -1
    refused = out.returncode == 2 or (lines[:1] == ["2"])
    held = refused and 0 < rss < BUDGET_MB and "line 1" in out.stderr
    return Outcome(held, f"exit {lines[:1]}, peak RSS {rss} MB, said: {out.stderr.strip()[:120]}")


@attack(AREA, "an applicant named 'Umbrella cover is approved' keeps its determination")
def applicant_named_like_an_offer() -> Outcome:
    import shutil
    import sqlite3

    from core.settings import get_settings
    from graph.copilot import Copilot
    from tests.conftest import cached_seed, open_toolkit

    name = "Umbrella cover is approved"
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        shutil.copy(cached_seed("db") / "uwc.db", data / "uwc.db")
        with sqlite3.connect(data / "uwc.db") as con:
            con.execute("UPDATE applicant SET company_name = ? WHERE id = 'APP-0042'", (name,))
        cp = Copilot(get_settings(data_dir=Path(tmp) / "home"), toolkit=open_toolkit(data))
        try:
            r = cp.send(cp.new_thread().id, "Is APP-0042 in appetite?")
        finally:
            cp.close()
    held = name in r.answer and not r.notices and r.finding is not None
    return Outcome(held, json.dumps({"answer": r.answer[:160], "notices": r.notices}))


@attack(AREA, "an offer hidden by markup, homoglyphs, digits and hyphens is caught")
def obfuscated_offers() -> Outcome:
    from tools.guard import scan_products

    texts = ["Add E<i>PLI</i> for them.", "Add umbr\u0435ll\u0430 cover.", "Add EPL1 too.", "Bind in-land ma-rine."]
    missed = [t for t in texts if not scan_products(t)]
    return Outcome(not missed, f"missed: {missed}" if missed else f"all {len(texts)} caught")


if __name__ == "__main__":  # python -m bench.redteam.guard
    from bench.redteam import ATTACKS

    for a in ATTACKS:
        o = a.run()
        print(f"{'held' if o.held else 'FAILED':6} {a.name}: {o.detail}")


_CLAUSE = """
import resource, sys, time
from tools.guard import lexicon, scan_products
lexicon()
text = {"clause": '"umbrella ' * 7100, "items": "\\n- ".join(["umbrella"] * 250_000)}[sys.argv[1]]
start = time.process_time()
scan_products(text)
print(time.process_time() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _scan(kind: str) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", _CLAUSE, kind], capture_output=True, text=True, timeout=300, env=os.environ
    )
    if out.returncode:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}")
    cpu, rss = map(float, out.stdout.split())
    return cpu, rss


@attack(AREA, "7,100 mentions in one clause, 64,000 characters (was 24 s of CPU) (r5)")
def one_clause_of_mentions() -> Outcome:
    cpu, _ = _scan("clause")
    return Outcome(cpu < 5, f"{cpu:.1f} s of CPU (linear: about 1 s)")


@attack(AREA, "a 2.7 MB text of 250,000 listed mentions (5 MB was 942 MB) (r5)")
def five_mb_of_mentions() -> Outcome:
    _, rss = _scan("items")
    return Outcome(rss < BUDGET_MB, f"peak RSS {rss:.0f} MB, the embedding model included (budget {BUDGET_MB} MB)")

"""Flat and light (issue 25): every row of its table, measured side by side in one run.

    .venv/bin/python -m bench.flat --data-dir var [--rounds 12] [--only harness,thread,memory,start,load]

- harness: the graph alone and the whole ``Copilot.send`` path against a bare LangGraph ``create_react_agent`` with
  the same tools and the same scripted replies (the offline model's replies to a 5-turn script, recorded once and
  replayed to all three, so the model costs nothing and the harnesses are what is measured). The three run
  interleaved, a fresh thread each per round, in a rotating order; the ratio is taken per round, its spread is the
  range of the rounds' ratios.
- thread: one turn at turns 1-5, 10-14, 30-34 and 50-54 of one thread through ``Copilot.send`` with the real offline
  model; the ratio turn 50 / turn 1 per thread, over a few threads, two rows. ``script``: the questions of
  ``bench.load`` in turn, five questions that each bring their own code and line, so each window asks each
  question once; a code of another trade is another business (graph/offline/conversation.py,
  ``_asks_of_another_trade``), so no turn redoes an earlier one's findings (until round 12 each new code redid them:
  the turn-1 window recorded 1, 2, 1, 4, 5 findings and every later one 5, 5, 5, 1, 5). It is the row kept since the
  first round. ``cycle``: ``CYCLE``, five messages that open another
  business and ask of it, repeated, so every window holds the same messages doing the same work (one finding each)
  and the ratio is the thread's length alone. Each row prints the findings each window recorded, and per turn (mean
  over its threads) the model calls and the checkpoints written (one a graph step: ``durability="sync"``); the same
  windows in the process's CPU time, steadier than the clock when the machine is busy.
- memory: peak RSS of ``uwc chat`` answering one piped question (GNU time), in a data folder without conversation
  stores (the process builds them with Alembic) and again once they exist, and of a Streamlit process (the app
  under ``AppTest``, in its own interpreter) after 10 conversations of 4 turns. The question gives its NAICS code;
  a first message that describes the business instead is classified (the NAICS index, its entries' vectors), so
  each figure is taken again with such a first message: the heavier turn, and the common one.
- start: a fresh process as ``uwc serve`` starts one: the copilot built (as the page's first load builds it, then
  warmed on a thread where the server warms it), 2 s for the page and the typing, then Enter to the first event of
  its first turn, against its second turn. No browser is needed (bench.ui measures the same in Chromium when it is
  installed).
- load: ``bench.load``'s 20 conversations x 5 turns over 2 processes on PostgreSQL against one process on SQLite.

Every row prints the load average beside it (the 2 cores are shared). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

SCRIPT = (
    "Can you check if this one is in the small business bucket?",
    "NAICS 722511",
    "Revenue is about $4.5M",
    "What deductible for a trucking company's auto? NAICS 484121",
    "Is it in appetite for auto? It's in Texas with 12 trucks.",
)
WINDOWS = (1, 10, 30, 50)  # thread figures: turns k..k+4
# Five messages, so any window of five turns holds each once; "Next one:" opens another business, so no message
# redoes an earlier cycle's findings (graph/offline/conversation.py, _new_business)
CYCLE = (
    "Next one: a full-service restaurant in Austin, Texas, NAICS 722511, about $2M in revenue. Is it a small business?",
    "What limits should we offer for general liability?",
    "Is it in appetite for property? Masonry building.",
    "What deductible for property?",
    "And commercial auto, in appetite?",
)
STREAMLIT_TURNS = (
    "Can you check if this one is in the small business bucket?",
    "It's a full-service restaurant, NAICS 722511",
    "about $2M in revenue",
    "What limits should we offer for general liability?",
)
# A first message that describes the business: the offline model classifies it (``classify_business``).
DESCRIBED = "GL for a bakery in Raleigh NC, 12 employees, rev 1.2M - in appetite?"
STREAMLIT_DESCRIBED_TURNS = (DESCRIBED, *STREAMLIT_TURNS[2:], STREAMLIT_TURNS[0])


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def spread(ratios: list[float]) -> str:
    return f"x{statistics.median(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f}, n={len(ratios)})"


# --- the harness rows ---------------------------------------------------------------------------------------------
class ScriptedModel:
    """Replays recorded replies: the reply for turn t (the underwriter messages so far) and the step within it."""

    name = "scripted"
    is_llm = False

    def __init__(self, turns: list[list]):
        self.turns = turns

    def invoke(self, messages, tools=None, on_token=None):
        from langchain_core.messages import AIMessage, HumanMessage

        from graph.state import kind

        turn, step = -1, 0
        for m in messages:
            if isinstance(m, HumanMessage) and kind(m) != "guard_correction":
                turn, step = turn + 1, 0
            elif isinstance(m, AIMessage):
                step += 1
        replies = self.turns[turn % len(self.turns)]
        reply = replies[min(step, len(replies) - 1)]
        if on_token and reply.content:
            on_token(reply.content)
        return AIMessage(reply.content, tool_calls=reply.tool_calls, additional_kwargs=dict(reply.additional_kwargs))


def record_replies(data_dir: Path) -> list[list]:
    """The offline model's replies to ``SCRIPT``, grouped by turn."""
    from langchain_core.messages import AIMessage, HumanMessage

    from core.settings import get_settings
    from graph.copilot import Copilot

    cp = Copilot(get_settings(data_dir=data_dir))
    try:
        thread = cp.new_thread()
        for text in SCRIPT:
            cp.send(thread.id, text)
        messages = cp.graph.get_state(cp._config(thread.id)).values["messages"]
    finally:
        cp.close()
    turns: list[list] = []
    for m in messages:
        if isinstance(m, HumanMessage):
            turns.append([])
        elif isinstance(m, AIMessage):
            turns[-1].append(m)
    return turns


def bare_agent(model: ScriptedModel, toolkit, checkpointer):
    """LangGraph's prebuilt ReAct agent over the same tool functions (no boundary, guard or events)."""
    from langchain_core.language_models.chat_models import BaseChatModel
    from langchain_core.outputs import ChatGeneration, ChatResult
    from langchain_core.tools import StructuredTool
    from langgraph.prebuilt import create_react_agent

    class Chat(BaseChatModel):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            return ChatResult(generations=[ChatGeneration(message=model.invoke(messages))])

        def bind_tools(self, tools, **kwargs):
            return self

        @property
        def _llm_type(self) -> str:
            return "scripted"

    def as_tool(spec):
        def run(**kwargs):
            return spec.func(toolkit.ctx, **kwargs)

        return StructuredTool.from_function(
            func=run, name=spec.name, description=spec.description, args_schema=spec.args_model
        )

    tools = [as_tool(s) for s in toolkit.list()]
    with warnings.catch_warnings():  # moved to langchain.agents in LangGraph 1.0; the same loop
        warnings.simplefilter("ignore")
        return create_react_agent(Chat(), tools, checkpointer=checkpointer)


def bench_harness(data_dir: Path, rounds: int) -> dict:
    import uuid

    from langchain_core.messages import HumanMessage

    from core.settings import get_settings
    from graph.build import build_graph
    from graph.checkpoints import open_checkpointer
    from graph.copilot import Copilot

    model = ScriptedModel(record_replies(data_dir))
    cp = Copilot(get_settings(data_dir=data_dir), model=model)
    graph = build_graph(model, cp.toolkit, open_checkpointer(data_dir / "bench-graph.db"))
    bare = bare_agent(model, cp.toolkit, open_checkpointer(data_dir / "bench-bare.db"))

    def run_stream(g, text: str, config: dict) -> None:
        for _ in g.stream(
            {"messages": [HumanMessage(text, id=str(uuid.uuid4()))]},
            config,
            stream_mode=["custom", "updates"],
            durability="sync",
        ):
            pass

    def thread_of(name: str):
        if name == "copilot":
            tid = cp.new_thread().id
            return lambda text: cp.send(tid, text)
        g = graph if name == "graph" else bare
        config = {"configurable": {"thread_id": uuid.uuid4().hex}, "recursion_limit": 40}
        return lambda text: run_stream(g, text, config)

    names = ("bare", "graph", "copilot")
    for name in names:  # warm every path once (imports, caches, prepared statements)
        send = thread_of(name)
        for text in SCRIPT:
            send(text)
    times: dict[str, list[list[float]]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % 3 :] + names[: r % 3]
        for name in order:
            send = thread_of(name)
            turn_ms = []
            for text in SCRIPT:
                start = time.perf_counter()
                send(text)
                turn_ms.append((time.perf_counter() - start) * 1000)
            times[name].append(turn_ms)
    cp.close()
    flat = {n: [t for rnd in times[n] for t in rnd] for n in names}
    per_round = lambda a, b, f: [f(x) / f(y) for x, y in zip(times[a], times[b], strict=True)]  # noqa: E731
    return {
        "graph_vs_bare_p50": spread(per_round("graph", "bare", statistics.median)),
        "copilot_vs_bare_p50": spread(per_round("copilot", "bare", statistics.median)),
        "copilot_vs_bare_p95": f"x{pct(flat['copilot'], 0.95) / pct(flat['bare'], 0.95):.2f} (pooled; per-round max "
        + spread(per_round("copilot", "bare", max))
        + ")",
        "ms_p50_bare_graph_copilot": [round(statistics.median(flat[n]), 1) for n in names],
        "ms_p95_bare_graph_copilot": [round(pct(flat[n], 0.95), 1) for n in names],
        "load": load(),
    }


# --- one long thread ----------------------------------------------------------------------------------------------
def bench_thread(data_dir: Path, threads: int) -> dict:
    from bench.load import SCRIPT as QUESTIONS
    from core.settings import get_settings
    from graph.copilot import Copilot

    cp = Copilot(get_settings(data_dir=data_dir))
    saver, puts = cp.checkpointer, [0]
    put = saver.put

    def counted(*args, **kwargs):
        puts[0] += 1
        return put(*args, **kwargs)

    saver.put = counted
    last = max(WINDOWS) + 4
    out: dict = {}
    for row, script in (("script", QUESTIONS), ("cycle", CYCLE)):
        per_thread: list[list[float]] = []
        cpu_thread: list[list[float]] = []  # the process's CPU time a turn: at a high load, steadier than the clock
        found: list[list[int]] = []
        model_calls, checkpoints = [], []
        for _ in range(threads):
            tid = cp.new_thread().id
            turn_ms, turn_cpu, turn_found = [], [], []
            for t in range(last):
                puts[0] = 0
                start, cpu = time.perf_counter(), time.process_time()
                result = cp.send(tid, script[t % len(script)])
                turn_ms.append((time.perf_counter() - start) * 1000)
                turn_cpu.append((time.process_time() - cpu) * 1000)
                turn_found.append(len(result.findings))
                model_calls.append(sum(e["type"] == "model" for e in result.events))
                checkpoints.append(puts[0])
            per_thread.append(turn_ms)
            cpu_thread.append(turn_cpu)
            found.append(turn_found)
        window = lambda ms, k: statistics.median(ms[k - 1 : k + 4])  # noqa: E731
        figures: dict = {
            f"turn_{k}_ms_p50": round(statistics.median([window(ms, k) for ms in per_thread]), 1) for k in WINDOWS
        }
        figures["turn50_vs_turn1"] = spread([window(ms, 50) / window(ms, 1) for ms in per_thread])
        figures["cpu_ms_p50"] = [round(statistics.median([window(ms, k) for ms in cpu_thread]), 1) for k in WINDOWS]
        figures["cpu_turn50_vs_turn1"] = spread([window(ms, 50) / window(ms, 1) for ms in cpu_thread])
        figures["findings_per_window"] = [found[0][k - 1 : k + 4] for k in WINDOWS]
        figures["model_calls_per_turn"] = round(statistics.mean(model_calls), 2)
        figures["checkpoints_per_turn"] = round(statistics.mean(checkpoints), 2)
        figures["load"] = load()
        out[row] = figures
    cp.close()
    return out


# --- memory -------------------------------------------------------------------------------------------------------
def peak_rss_mb(cmd: list[str], env: dict, stdin: str | None = None) -> tuple[float, int]:
    """Peak RSS of a command and its exit code, by GNU time (``%M``). Not ``wait4`` here: Linux keeps a process's
    peak across ``exec``, so a child of this (big) benchmark process would report the benchmark's own size."""
    with tempfile.NamedTemporaryFile("r") as out:
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", out.name, *cmd],
            env=env,
            input=stdin or "",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if done.returncode:
            sys.stderr.write(done.stderr[-2000:])
        return int(out.read().split()[-1]) / 1024, done.returncode


STREAMLIT_DRIVER = """
import sys
from core.heap import one_arena
one_arena()  # as the server's process does at its start, before any thread (app/streamlit_main.py)
from streamlit.testing.v1 import AppTest
app, conversations, turns = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
for _ in range(conversations):
    at = AppTest.from_file(app, default_timeout=120).run()  # a new browser session: a new conversation
    for text in turns:
        at = at.chat_input[0].set_value(text).run()
        assert not at.exception, [e.value for e in at.exception]
"""


def bench_memory(data_dir: Path, conversations: int) -> dict:
    env = {**os.environ, "UWC_DATA_DIR": str(data_dir), "UWC_MODEL": "offline"}
    uwc = [sys.executable, "-m", "app.cli"]
    chat, code = peak_rss_mb([*uwc, "chat"], env, SCRIPT[3] + "\n")  # the first process: it builds the stores
    again, _ = peak_rss_mb([*uwc, "chat"], env, SCRIPT[3] + "\n")  # every later one: the stores exist (no Alembic)
    described, code3 = peak_rss_mb([*uwc, "chat"], env, DESCRIBED + "\n")  # classifies the description
    imports, _ = peak_rss_mb([sys.executable, "-c", "import app.cli, graph.copilot"], env)
    app = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")
    streamlit, code2 = peak_rss_mb(
        [sys.executable, "-c", STREAMLIT_DRIVER, app, str(conversations), *STREAMLIT_TURNS], env
    )
    streamlit_described, code4 = peak_rss_mb(
        [sys.executable, "-c", STREAMLIT_DRIVER, app, str(conversations), *STREAMLIT_DESCRIBED_TURNS], env
    )
    return {
        "uwc_chat_one_turn_peak_mb": round(chat, 1),
        "uwc_chat_one_turn_stores_exist_peak_mb": round(again, 1),
        "uwc_chat_one_turn_classifies_peak_mb": round(described, 1),
        "uwc_chat_exit": code or code3,
        "python_import_cli_copilot_peak_mb": round(imports, 1),
        f"streamlit_{conversations}_conversations_peak_mb": round(streamlit, 1),
        f"streamlit_{conversations}_conversations_classifying_peak_mb": round(streamlit_described, 1),
        "streamlit_exit": code2 or code4,
        "load": load(),
    }


# --- the first turn -----------------------------------------------------------------------------------------------
FIRST_TURN_DRIVER = """
import json, sys, threading, time
from core.settings import get_settings
from graph.copilot import Copilot
started = time.perf_counter()
cp = Copilot(get_settings())
if hasattr(cp, "warm"):  # what the server does once the copilot exists (app/resources.py)
    threading.Thread(target=cp.warm, daemon=True).start()
out = {"copilot_ready_s": round(time.perf_counter() - started, 3)}
time.sleep(float(sys.argv[1]))  # the page renders, the underwriter types
for n, text in enumerate(sys.argv[2:4], 1):
    thread = cp.new_thread()
    first = []
    start = time.perf_counter()
    cp.send(thread.id, text, on_event=lambda e: first.append(time.perf_counter() - start) if not first else None)
    out[f"turn_{n}_first_event_s"] = round(first[0], 3)
    out[f"turn_{n}_answer_s"] = round(time.perf_counter() - start, 3)
print(json.dumps(out))
"""
TYPING_S = 2.0  # from the page shown to Enter: the first question is typed


def bench_start(data_dir: Path, runs: int) -> dict:
    env = {**os.environ, "UWC_DATA_DIR": str(data_dir), "UWC_MODEL": "offline"}
    results = []
    for _ in range(runs):
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                FIRST_TURN_DRIVER,
                str(TYPING_S),
                STREAMLIT_TURNS[0] + " " + STREAMLIT_TURNS[1],
                SCRIPT[3],
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    ratio = [r["turn_1_first_event_s"] / r["turn_2_first_event_s"] for r in results]
    return {
        "first_turn_first_event_s": [r["turn_1_first_event_s"] for r in results],
        "second_turn_first_event_s": [r["turn_2_first_event_s"] for r in results],
        "copilot_ready_s": [r["copilot_ready_s"] for r in results],
        "first_vs_second": spread(ratio),
        "load": load(),
    }


# --- PostgreSQL against SQLite ------------------------------------------------------------------------------------
def bench_load(data_dir: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.load", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = [line.split() for line in done.stdout.splitlines()[1:] if line and not line.startswith(" ")]
    p95 = {row[0]: float(row[9]) for row in rows}
    out: dict = {"table": done.stdout.strip().splitlines()}
    if {"PostgreSQL", "SQLite"} <= set(p95):
        out["postgres_vs_sqlite_p95"] = f"x{p95['PostgreSQL'] / p95['SQLite']:.2f}"
    out["load"] = load()
    return out


PARTS = ("harness", "thread", "memory", "start", "load")


def measure(
    data_dir: Path,
    parts: list[str],
    rounds: int = 12,
    threads: int = 3,
    conversations: int = 10,
    runs: int = 3,
    echo: bool = False,
) -> dict:
    """The figures of ``parts``, each on its own copy of ``data_dir`` (without its conversations); ``echo`` prints
    each part as it ends."""
    results: dict = {"load_at_start": load()}
    with tempfile.TemporaryDirectory(prefix="uwc-flat-") as tmp:

        def fresh(name: str) -> Path:
            copy = Path(tmp) / name
            shutil.copytree(
                data_dir,
                copy,
                ignore=shutil.ignore_patterns("conversations.db*", "checkpoints.db*", "telemetry.db*", "runs"),
            )
            return copy

        for part in parts:
            start = time.perf_counter()
            if part == "harness":
                results[part] = bench_harness(fresh(part), rounds)
            elif part == "thread":
                results[part] = bench_thread(fresh(part), threads)
            elif part == "memory":
                results[part] = bench_memory(fresh(part), conversations)
            elif part == "start":
                results[part] = bench_start(fresh(part), runs)
            elif part == "load":
                results[part] = bench_load(data_dir)
            results[part]["seconds"] = round(time.perf_counter() - start, 1)
            if echo:
                print(json.dumps({part: results[part]}, indent=2), flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.flat", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("var"), help="a seeded data folder (copied first)")
    parser.add_argument("--only", default="harness,thread,memory,start,load", help="comma-separated parts")
    parser.add_argument("--rounds", type=int, default=12, help="harness rounds (a 5-turn thread each per path)")
    parser.add_argument("--threads", type=int, default=3, help="long threads of 54 turns")
    parser.add_argument("--conversations", type=int, default=10, help="Streamlit conversations before the RSS")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes for the first-turn figure")
    args = parser.parse_args(argv)
    from core.settings import apply_offline_env

    apply_offline_env()
    if not (args.data_dir / "uwc.db").is_file():
        print(f"no database in {args.data_dir}: run `uwc seed` first", file=sys.stderr)
        return 2
    unknown = set(args.only.split(",")) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}; parts: {', '.join(PARTS)}")
    measure(args.data_dir, args.only.split(","), args.rounds, args.threads, args.conversations, args.runs, echo=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

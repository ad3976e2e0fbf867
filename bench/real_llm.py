"""A real open model on your own hardware: the copilot against a bare LangGraph agent, side by side (not CI).

    LLM_DIR=/tmp/llm bash ../shared/real-llm/serve.sh &      # builds and serves Qwen2.5-Coder-1.5B on :8081
    python -m bench.real_llm [--tasks 20] [--only copilot|bare] [--profile small] [--tool-calling json]
                             [--record DIR] [--json OUT]

Both sides get the same model (``--model`` at ``--api-base``), the same system prompt and the same tools behind
the same boundary (``Toolkit.call``). The copilot is the product (``graph/``: calls written as text recovered,
budget, guard, citations checked); the bare agent is ``langgraph.prebuilt.create_react_agent`` over
``ChatOpenAI`` (the ``bench`` extra), as a LangGraph user would start. Each runs the 20-task sample
(``tasks20.jsonl``, graded like ``uwc eval`` with the scripted underwriter) and the ten scripted chats
(``chats/``), and the figures are printed side by side: accuracy, tasks in which a tool ran, tool calls and
errors, answers that showed a tool call's JSON, invented products and citations, seconds per turn.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

# ../shared/real-llm beside the checkout (or beside a folder above it, for a worktree)
REAL_LLM = next(
    (p / "shared" / "real-llm" for p in Path(__file__).resolve().parents[1:] if (p / "shared" / "real-llm").is_dir()),
    Path("../shared/real-llm"),
)
MODEL = "openai/qwen2.5-coder-1.5b-instruct"
API_BASE = "http://127.0.0.1:8081/v1"
_JSONISH = re.compile(r"```(?:json)?\s*[\[{]|^\s*[\[{]|<tool_call>|<\|python_tag\|>", re.M)


def shows_json(text: str, tools: list[dict]) -> bool:
    """The answer shows what was meant as a tool call (JSON, tags) instead of words."""
    from graph.text_tool_calls import recover

    return bool(text) and (recover(text, tools) is not None or bool(_JSONISH.search(text)))


# --- the bare agent, with the Copilot's interface as the evaluation loop uses it ------------------------------


@dataclass
class _Thread:
    id: str


@dataclass
class _Turn:
    answer: str
    steps: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    finding: dict | None = None
    notices: list[str] = field(default_factory=list)
    error: str | None = None
    check: dict | None = None


class BareAgent:
    """``create_react_agent(ChatOpenAI, tools)``: no recovery of calls written as text, no guard, no budget."""

    label = "bare create_react_agent"

    def __init__(self, toolkit, model: str, api_base: str, timeout: float):
        from langchain_core.tools import StructuredTool
        from langchain_openai import ChatOpenAI
        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.prebuilt import create_react_agent

        from graph import prompts

        self.toolkit, self._steps = toolkit, []
        catalog = toolkit.ctx.catalog

        def make(schema: dict):
            fn = schema["function"]

            def run(**arguments):
                event = toolkit.call(fn["name"], arguments)
                self._steps.append(event.as_dict())
                return json.dumps(event.result, default=str)

            return StructuredTool(
                name=fn["name"], description=fn["description"], args_schema=fn["parameters"], func=run
            )

        self.tools = [make(s) for s in toolkit.openai_schemas()]
        llm = ChatOpenAI(
            model=model.split("/", 1)[-1], base_url=api_base, api_key="sk-local", timeout=timeout, max_retries=0
        )
        self.graph = create_react_agent(
            llm,
            self.tools,
            prompt=prompts.system_prompt(catalog.insurer, catalog.lobs),
            checkpointer=InMemorySaver(),
        )

    def new_thread(self, title: str = "") -> _Thread:
        return _Thread(uuid.uuid4().hex)

    def send(self, thread_id: str, text: str) -> _Turn:
        from langchain_core.messages import HumanMessage

        from graph.build import RECURSION_LIMIT
        from graph.citations import remove_unknown

        self._steps = []
        config = {"configurable": {"thread_id": thread_id}, "recursion_limit": RECURSION_LIMIT}
        try:
            state = self.graph.invoke({"messages": [HumanMessage(text)]}, config)
            answer, error = str(state["messages"][-1].content or ""), None
        except Exception as exc:  # a model error or the recursion limit: the turn ends there, as a user sees it
            answer, error = "", f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
        steps = [{**s, "result": s["result"]} for s in self._steps]
        finding = next((s["result"] for s in reversed(steps) if s["tool"] == "record_finding" and s["ok"]), None)
        unknown = remove_unknown(answer)[1]
        events = [{"type": "citation", "unknown": unknown}] if unknown else []
        return _Turn(answer, steps, events, finding, error=error)

    def close(self) -> None:
        pass


# --- running ----------------------------------------------------------------------------------------------


def _copilot(settings, toolkit, folder: Path):
    from evals.runner import worker_copilot

    return worker_copilot(settings, toolkit, folder)


def run_tasks(make, tasks, catalog, tools) -> dict:
    from evals.runner import run_eval
    from evals.simulator import ScriptedUnderwriter

    convs = run_eval(tasks, make, ScriptedUnderwriter, catalog=catalog, on_done=_progress)
    rows = [c.row for c in convs]
    answers = [t["text"] or "" for c in convs for t in c.transcript if t["role"] == "copilot"]
    turns = sum(r["turns"] for r in rows) or 1
    return {
        "tasks": len(rows),
        "accuracy": round(sum(r["correct"] for r in rows) / max(len(rows), 1), 3),
        "tasks_with_a_tool_run": sum(1 for r in rows if r["tool_calls"] > 0),
        # record_finding may be the small-model harness's own call: a deciding tool the model chose, apart
        "tasks_with_a_deciding_tool_run": sum(
            any(t["tool"] != "record_finding" and t["ok"] for turn in c.transcript for t in turn.get("tools") or [])
            for c in convs
        ),
        "tool_calls": sum(r["tool_calls"] for r in rows),
        "tool_errors": sum(r["tool_errors"] for r in rows),
        "json_shown": sum(shows_json(a, tools) for a in answers),
        "invented_products": sum(len(r["invented_products"]) for r in rows),
        "invented_citations": sum(len(r.get("invented_citations") or []) for r in rows),
        "ended": _count(r["ended"] for r in rows),
        "seconds_per_turn": round(sum(r["seconds"] for r in rows) / turns, 1),
        "rows": rows,
        "transcripts": [c.transcript for c in convs],
    }


def run_chats(agent, chats: list[Path], catalog, tools) -> dict:
    from graph.citations import remove_unknown
    from tools.guard import scan_products

    out, turns = [], []
    for path in chats:
        thread = agent.new_thread(title=f"bench {path.stem}")
        for line in [x.strip() for x in path.read_text().splitlines() if x.strip()]:
            start = time.perf_counter()
            r = agent.send(thread.id, line)
            seconds = time.perf_counter() - start
            answer = r.answer or ""
            turn = {
                "chat": path.stem,
                "said": line,
                "answer": answer,
                "error": r.error,
                "tools": [(s["tool"], s["ok"]) for s in r.steps],
                "json_shown": shows_json(answer, tools),
                "invented_products": sorted(set(scan_products(answer, catalog))),
                "invented_citations": [i for e in r.events if e.get("type") == "citation" for i in e["unknown"]]
                or remove_unknown(answer)[1],
                "seconds": round(seconds, 1),
            }
            turns.append(turn)
            print(f"  {path.stem}: {line[:50]!r} -> {len(r.steps)} tool(s), {seconds:.0f} s", flush=True)
        out.append(path.stem)
    n = len(turns) or 1
    return {
        "chats": len(out),
        "turns": len(turns),
        "turns_with_a_tool_run": sum(1 for t in turns if t["tools"]),
        "tool_calls": sum(len(t["tools"]) for t in turns),
        "tool_errors": sum(1 for t in turns for _, ok in t["tools"] if not ok),
        "json_shown": sum(t["json_shown"] for t in turns),
        "errors": sum(1 for t in turns if t["error"]),
        "invented_products": sum(len(t["invented_products"]) for t in turns),
        "invented_citations": sum(len(t["invented_citations"]) for t in turns),
        "seconds_per_turn": round(sum(t["seconds"] for t in turns) / n, 1),
        "turns_detail": turns,
    }


def _count(items) -> dict:
    out: dict = {}
    for i in items:
        out[i] = out.get(i, 0) + 1
    return out


def _progress(conv) -> None:
    r = conv.row
    print(
        f"  {r['id']}: {'right' if r['correct'] else 'wrong'}, {r['tool_calls']} tool call(s), ended {r['ended']}, "
        f"{r['seconds']:.0f} s",
        flush=True,
    )


FIGURES = [
    ("tasks", "accuracy", "accuracy"),
    ("tasks", "tasks_with_a_tool_run", "tasks in which a tool ran"),
    ("tasks", "tasks_with_a_deciding_tool_run", "tasks in which a tool other than record_finding ran"),
    ("tasks", "tool_calls", "tool calls"),
    ("tasks", "tool_errors", "tool errors"),
    ("tasks", "json_shown", "answers showing tool-call JSON"),
    ("tasks", "invented_products", "invented products"),
    ("tasks", "invented_citations", "invented citations"),
    ("tasks", "seconds_per_turn", "seconds per turn"),
    ("chats", "turns_with_a_tool_run", "chat turns in which a tool ran"),
    ("chats", "tool_calls", "chat tool calls"),
    ("chats", "tool_errors", "chat tool errors"),
    ("chats", "json_shown", "chat answers showing tool-call JSON"),
    ("chats", "errors", "chat turns ending in an error"),
    ("chats", "invented_products", "chat invented products"),
    ("chats", "invented_citations", "chat invented citations"),
    ("chats", "seconds_per_turn", "chat seconds per turn"),
]


def table(results: dict) -> str:
    sides = list(results)
    lines = ["| figure | " + " | ".join(sides) + " |", "|---|" + "---|" * len(sides)]
    for part, key, label in FIGURES:
        cells = [str(results[s].get(part, {}).get(key, "–")) for s in sides]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for s in sides:
        if "tasks" in results[s]:
            lines.append(f"| tasks ended ({s}) | {results[s]['tasks']['ended']} |" + " |" * (len(sides) - 1))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.real_llm", description=__doc__.split("\n")[0])
    p.add_argument("--model", default=MODEL)
    p.add_argument("--api-base", default=API_BASE)
    p.add_argument("--real-llm", type=Path, default=REAL_LLM, help="the folder with tasks20.jsonl and chats/")
    p.add_argument("--tasks", type=int, default=20, help="how many of the 20 tasks (first N)")
    p.add_argument("--skip", type=int, default=0, help="leave out the first N tasks (a run continued)")
    p.add_argument("--max-output-tokens", type=int, help="cap on each reply (a small model may loop to the cap)")
    p.add_argument("--chats", type=int, default=10, help="how many of the ten chats (first N; 0: none)")
    p.add_argument("--only", choices=["copilot", "bare"])
    p.add_argument("--tool-calling", choices=["native", "json"], default="native")
    p.add_argument("--profile", choices=["full", "small"], default="full", help="the copilot's UWC_PROFILE")
    p.add_argument(
        "--record",
        type=Path,
        help="folder for the copilot's cassettes (UWC_RECORD): tasks.cassette.jsonl, one per chat",
    )
    p.add_argument("--json", type=Path, help="write every figure and transcript here")
    p.add_argument("--data-dir", type=Path, help="a seeded data folder (default: a fresh seed in a temporary one)")
    args = p.parse_args(argv)
    os.environ.setdefault("OPENAI_API_KEY", "sk-local")  # litellm's openai/ provider wants one; the server ignores it

    from core.settings import get_settings
    from evals.tasks import load_tasks
    from tools.all import default_tools
    from tools.context import open_context
    from tools.toolkit import Toolkit

    with tempfile.TemporaryDirectory(prefix="uwc-real-llm-") as tmp:
        data = args.data_dir
        if data is None:
            data = Path(tmp) / "var"
            subprocess.run([sys.executable, "-m", "app.cli", "seed", "--data-dir", str(data)], check=True)
        settings = get_settings(
            data_dir=data,
            model=args.model,
            api_base=args.api_base,
            timeout=600,
            stream_stall_timeout=300,
            context_tokens=8192,
            tool_calling=args.tool_calling,
            profile=args.profile,
            tracing=False,
            **({"max_output_tokens": args.max_output_tokens} if args.max_output_tokens else {}),
        )
        toolkit = Toolkit(open_context(settings), default_tools())
        tools = toolkit.openai_schemas()
        catalog = toolkit.ctx.catalog
        tasks = load_tasks(args.real_llm / "tasks20.jsonl")[args.skip : args.tasks]
        chats = sorted((args.real_llm / "chats").glob("*.txt"))[: args.chats]
        sides = [s for s in ("copilot", "bare") if args.only in (None, s)]
        results: dict[str, dict] = {side: {} for side in sides}

        def maker(side: str):
            def make(i: int):
                if side == "bare":
                    return BareAgent(toolkit, args.model, args.api_base, 600)
                if args.record:  # the tasks' traffic in one cassette (a replay finds each request by its key)
                    args.record.mkdir(parents=True, exist_ok=True)
                    cassette = args.record / "tasks.cassette.jsonl"
                    return _copilot(
                        settings.model_copy(update={"record": cassette}), toolkit, Path(tmp) / side / f"w{i}"
                    )
                return _copilot(settings, toolkit, Path(tmp) / side / f"w{i}")

            return make

        # The tasks on both sides first, then the chats: a run cut short still compares like with like.
        for part in ("tasks", "chats"):
            for side in sides:
                if part == "chats" and not chats:
                    continue
                print(f"== {side}: {part}", flush=True)
                if part == "tasks":
                    results[side]["tasks"] = run_tasks(maker(side), tasks, catalog, tools)
                elif side == "copilot" and args.record:
                    folder = Path(tmp) / side
                    results[side]["chats"] = _recorded_chats(
                        settings, toolkit, chats, catalog, tools, args.record, folder
                    )
                else:
                    results[side]["chats"] = run_chats(maker(side)(99), chats, catalog, tools)
                print(table(results), flush=True)
                if args.json:
                    args.json.write_text(json.dumps(results, indent=1, default=str))
    print(f"\nmodel {args.model} at {args.api_base}, tool calling {args.tool_calling}, profile {args.profile}\n")
    print(table(results))
    return 0


def _recorded_chats(settings, toolkit, chats, catalog, tools, record: Path, folder: Path) -> dict:
    """The chats, each recorded into its own cassette (``record/<chat>.cassette.jsonl``) for replay tests."""
    record.mkdir(parents=True, exist_ok=True)
    parts = []
    for path in chats:
        cassette = record / f"{path.stem}.cassette.jsonl"
        if cassette.exists():
            cassette.unlink()
        cp = _copilot(settings.model_copy(update={"record": cassette}), toolkit, folder / f"chat-{path.stem}")
        try:
            parts.append(run_chats(cp, [path], catalog, tools))
        finally:
            cp.close()
    turns = [t for part in parts for t in part["turns_detail"]]
    n = len(turns) or 1
    return {
        "chats": len(parts),
        "turns": len(turns),
        **{
            k: sum(part[k] for part in parts)
            for k in ("turns_with_a_tool_run", "tool_calls", "tool_errors", "json_shown", "errors")
            + ("invented_products", "invented_citations")
        },
        "seconds_per_turn": round(sum(t["seconds"] for t in turns) / n, 1),
        "turns_detail": turns,
    }


if __name__ == "__main__":
    raise SystemExit(main())

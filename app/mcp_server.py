"""``uwc mcp``: the copilot's tools for other agents, over MCP (stdio or streamable HTTP), with the official SDK.

Every tool of the product (``tools.all.default_tools()``) is served through the same boundary as the agent's
(``Toolkit.call``: validation, the product guard, timing, ``{"error", "hint"}`` results, a trace span), so an MCP
client gets exactly what the model gets — a guard refusal for a product we do not write, the boundary's message for malformed arguments, never a
stack trace. The SDK's low-level server is used so arguments reach the boundary unvalidated: one place judges them.

Evaluation tools let another agent drive the evaluation loop: ``run_eval_tasks`` (a task file, offline model and
scripted underwriter by default; a caller names only the models the operator configured, as each spends the
operator's provider key), ``list_eval_runs``, ``read_eval_summary`` and ``read_eval_failures``.

Who may reach the HTTP transport is decided in ``app/mcp_access.py``; the stdio transport, which answers every
line, in ``app/mcp_stdio.py``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

EVALS_DIR = Path(__file__).resolve().parents[1] / "evals"
MAX_EVAL_TASKS = 300
MAX_SUBMIT_CHARS = 28_000_000  # base64 of the desk's 20 MB file limit (desk/limits.py), and a little more


class EvalToolError(Exception):
    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunArgs(_Args):
    tasks_file: str = Field(
        description="a task file (JSONL) under evals/ or the data folder, e.g. evals/suite/tasks.jsonl"
    )
    limit: int | None = Field(None, ge=1, le=MAX_EVAL_TASKS, description="run only the first N tasks")
    model: str | None = Field(
        None,
        max_length=200,
        description="a model this server allows (its own, 'offline', UWC_MCP_MODELS); default: the server's",
    )


class RunNameArgs(_Args):
    run: str = Field("latest", description="a run folder name from list_eval_runs, or 'latest'")


class FailuresArgs(RunNameArgs):
    limit: int = Field(20, ge=1, le=200, description="at most this many failures")


@dataclass
class EvalTool:
    name: str
    description: str
    args: type[BaseModel]
    run: Callable[..., dict]

    def schema(self) -> dict:
        schema = self.args.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return schema


class AppTools:
    """Tools of the app beside the toolkit's: pydantic-checked arguments, errors as ``{"error", "hint"}``."""

    tools: dict[str, EvalTool]

    def call(self, name: str, arguments: Any) -> tuple[bool, dict]:
        tool = self.tools[name]
        try:
            if not isinstance(arguments, dict):
                raise EvalToolError("arguments must be a JSON object", f"{name} takes {json.dumps(tool.schema())}")
            try:
                args = tool.args.model_validate(arguments)
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors()[:5]
                )
                raise EvalToolError(
                    problems, f"{name} takes {json.dumps(tool.schema().get('properties', {}))}"
                ) from None
            return True, tool.run(**args.model_dump())
        except EvalToolError as exc:
            return False, {"error": exc.message, **({"hint": exc.hint} if exc.hint else {})}


class SubmitArgs(_Args):
    file_name: str = Field(max_length=200, description="the file's name as received, e.g. application.pdf (data only)")
    content_base64: str | None = Field(
        None, max_length=MAX_SUBMIT_CHARS, description="the file's bytes, base64 (e-mail, PDF, CSV, XLSX)"
    )
    text: str | None = Field(None, max_length=MAX_SUBMIT_CHARS, description="or the submission as plain text")


class SubmissionArgs(_Args):
    submission_id: str = Field(max_length=80, description="a submission id from submit_submission")


class DeskTools(AppTools):
    """The submission desk for other agents: the same way in as the page, the CLI and the inbox."""

    def __init__(self, settings, toolkit):
        self.settings, self.toolkit = settings, toolkit
        self._desk = None
        self.tools = {
            t.name: t
            for t in (
                EvalTool(
                    "submit_submission",
                    "Take in a broker submission (an e-mail, a PDF application or letter, a CSV/XLSX account list, or "
                    "text) and queue its triage. Returns each submission's id and the facts read with their sources, "
                    "or the one reason it was refused.",
                    SubmitArgs,
                    self.submit,
                ),
                EvalTool(
                    "read_submission",
                    "A submission's status and triage: findings, what is missing, the score and referral reasons.",
                    SubmissionArgs,
                    self.read,
                ),
            )
        }

    def desk(self):
        if self._desk is None:
            from desk.service import DeskService

            self._desk = DeskService(self.settings, self.toolkit.ctx.catalog)
        return self._desk

    def submit(self, file_name: str, content_base64: str | None = None, text: str | None = None) -> dict:
        import base64
        import binascii

        if (content_base64 is None) == (text is None):
            raise EvalToolError("give content_base64 or text, not both and not neither")
        try:
            data = base64.b64decode(content_base64, validate=True) if content_base64 is not None else text.encode()
        except (binascii.Error, ValueError):
            raise EvalToolError("content_base64 is not valid base64") from None
        (outcome,) = self.desk().submit([(file_name, data)]).outcomes
        if not outcome.ok:
            raise EvalToolError(f"refused: {outcome.refused}")
        return {
            "duplicate": outcome.duplicate,
            "submissions": [
                {
                    "id": s.id,
                    "company": s.company,
                    "facts": [{"fact": f.key, "value": f.value, "source": f.source.where()} for f in s.facts],
                    "needs_person": s.needs_person,
                }
                for s in outcome.submissions
            ],
        }

    def read(self, submission_id: str) -> dict:
        row = self.desk().row(submission_id)
        if row is None:
            raise EvalToolError(f"no submission {submission_id!r}", "use an id submit_submission returned")
        result = row.result or {}
        return {
            "id": submission_id,
            "status": row.status,
            "reason": row.reason,
            "findings": result.get("findings", []),
            "missing": result.get("missing", []),
            "score": result.get("score"),
            "referral_reasons": result.get("referral_reasons", []),
        }


class EvalTools(AppTools):
    """The evaluation loop as tools (one run at a time: a run uses the server's CPU)."""

    def __init__(self, settings, toolkit):
        self.settings, self.toolkit = settings, toolkit
        self._running = threading.Lock()
        self.tools = {
            t.name: t
            for t in (
                EvalTool(
                    "run_eval_tasks",
                    "Run an evaluation task file: each task is a conversation between the copilot and the scripted "
                    "simulated underwriter, graded against its expected answer. Returns the run's name and summary "
                    "(accuracy overall and by task type, tool error rate, invented-product rate, online-check mismatches).",
                    RunArgs,
                    self.run_tasks,
                ),
                EvalTool(
                    "list_eval_runs",
                    "List the evaluation runs, newest first, with model and accuracy.",
                    _Args,
                    self.list_runs,
                ),
                EvalTool(
                    "read_eval_summary", "The summary of an evaluation run (summary.json).", RunNameArgs, self.summary
                ),
                EvalTool(
                    "read_eval_failures",
                    "The failed conversations of an evaluation run: task id, expected, predicted, how it ended.",
                    FailuresArgs,
                    self.failures,
                ),
            )
        }

    # --- the tools ---------------------------------------------------------------------------------------------
    def _tasks_path(self, text: str) -> Path:
        path = Path(text)
        candidates = [path] if path.is_absolute() else [Path.cwd() / path, EVALS_DIR.parent / path]
        allowed = (EVALS_DIR, Path(self.settings.data_dir).resolve())
        for c in candidates:
            c = c.resolve()
            if c.is_file() and any(c.is_relative_to(a) for a in allowed):
                return c
        raise EvalToolError(
            f"no task file {text!r} under evals/ or the data folder",
            "e.g. evals/suite/tasks.jsonl or evals/regression/tasks.jsonl",
        )

    def allowed_models(self) -> list[str]:
        """The models a caller may name: each spends the operator's provider key, so only the ones configured."""
        extra = [m.strip() for m in self.settings.mcp_models.split(",") if m.strip()]
        return list(dict.fromkeys([self.settings.model, "offline", *extra]))

    def run_tasks(self, tasks_file: str, limit: int | None = None, model: str | None = None) -> dict:
        from evals.runner import CannotStart, RunRefused, run_to_folder
        from evals.tasks import TaskFileError, load_tasks

        if model is not None and model not in self.allowed_models():
            raise EvalToolError(
                f"model {model!r} is not allowed on this server",
                f"models: {', '.join(self.allowed_models())} (the operator adds more with UWC_MCP_MODELS)",
            )
        path = self._tasks_path(tasks_file)
        try:
            tasks = load_tasks(path)[: limit or MAX_EVAL_TASKS]
        except TaskFileError as exc:
            raise EvalToolError(str(exc), "fix the task file; nothing was run") from None
        if not self._running.acquire(blocking=False):
            raise EvalToolError("an evaluation is already running on this server", "wait for it, then try again")
        try:
            settings = self.settings.model_copy(update={"model": model} if model else {})
            run = run_to_folder(settings, self.toolkit, tasks, tasks_file=str(tasks_file), tag="mcp")
        except RunRefused as exc:
            raise EvalToolError(str(exc), "fix the task file; nothing was run") from None
        except CannotStart as exc:  # e.g. a model string that cannot be built
            raise EvalToolError(f"cannot run: {exc}") from None
        finally:
            self._running.release()
        return {"run": run.out.name, "summary": _brief(run.summary)}

    def _run_dir(self, run: str) -> Path:
        from evals.report import list_runs

        runs = [name for name, _ in list_runs(self.settings.runs_dir)]
        if not runs:
            raise EvalToolError("no evaluation runs yet", "call run_eval_tasks first")
        name = runs[0] if run == "latest" else run
        if name not in runs:
            raise EvalToolError(f"no run {run!r}", f"runs: {', '.join(runs[:10])}")
        return Path(self.settings.runs_dir) / name

    def list_runs(self) -> dict:
        from evals.report import list_runs

        return {
            "runs": [
                {"run": n, "model": s.get("model"), "tasks_file": s.get("tasks_file"), "accuracy": s.get("accuracy")}
                for n, s in list_runs(self.settings.runs_dir)[:50]
            ]
        }

    def summary(self, run: str = "latest") -> dict:
        from evals.report import load_summary

        d = self._run_dir(run)
        return {"run": d.name, "summary": load_summary(d)}

    def failures(self, run: str = "latest", limit: int = 20) -> dict:
        from evals.report import load_results

        d = self._run_dir(run)
        failed = [r for r in load_results(d) if not r.get("correct")]
        keys = ("id", "task_type", "trial", "expected", "predicted", "ended", "turns", "tool_errors", "error")
        return {"run": d.name, "failures": len(failed), "shown": [{k: r.get(k) for k in keys} for r in failed[:limit]]}


def _brief(summary: dict) -> dict:
    keys = (
        "conversations",
        "accuracy",
        "accuracy_by_task_type",
        "pass_hat_k",
        "tool_error_rate",
        "invented_product_rate",
        "findings_checked",
        "findings_mismatched",
        "wall_seconds",
    )
    return {k: summary.get(k) for k in keys if k in summary}


def build_server(settings, toolkit):
    """The MCP server (low-level SDK server: the boundary validates arguments, not the SDK)."""
    import anyio
    from mcp import types
    from mcp.server.lowlevel import Server

    evals = EvalTools(settings, toolkit)
    desk = DeskTools(settings, toolkit)
    apps = {name: owner for owner in (evals, desk) for name in owner.tools}

    def listing() -> list[types.Tool]:
        tools = [types.Tool(name=s.name, description=s.description, inputSchema=s.json_schema) for s in toolkit.list()]
        tools += [
            types.Tool(name=t.name, description=t.description, inputSchema=t.schema())
            for owner in (evals, desk)
            for t in owner.tools.values()
        ]
        return tools

    async def on_list_tools(ctx, params) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listing())

    async def on_call_tool(ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        name, arguments = params.name, params.arguments
        if name in apps:
            ok, result = await anyio.to_thread.run_sync(
                apps[name].call, name, arguments if arguments is not None else {}
            )
        else:  # unknown names too: the boundary says which tools exist
            event = await anyio.to_thread.run_sync(toolkit.call, name, arguments)
            ok, result = event.ok, event.result
        text = json.dumps(result, default=str)
        return types.CallToolResult(
            content=[types.TextContent(text=text)], structuredContent=json.loads(text), isError=not ok
        )

    return Server(
        "underwriting-copilot",
        version="0.1.0",
        instructions=f"Underwriting tools of {toolkit.ctx.catalog.insurer}: lines we write: {toolkit.ctx.catalog.lob_list()}.",
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
    )


def serve_stdio(server) -> None:
    from app.mcp_stdio import serve

    serve(server)


def http_app(server, access):
    """The streamable-HTTP app at ``/mcp``, behind the SDK's Host/Origin check and, with a token, its bearer check."""
    if access.token is None:
        return server.streamable_http_app(transport_security=access.transport_security())
    from mcp.server.auth.settings import AuthSettings

    from app.mcp_access import StaticTokenVerifier

    # The SDK installs its bearer middleware only with AuthSettings; issuer_url is required by the model but only
    # used by an OAuth provider's routes, which a shared-token server does not have.
    auth = AuthSettings(issuer_url="http://localhost", resource_server_url=None)
    return server.streamable_http_app(
        transport_security=access.transport_security(), auth=auth, token_verifier=StaticTokenVerifier(access.token)
    )


def serve_http(server, access, host: str, port: int) -> None:
    import uvicorn

    uvicorn.run(http_app(server, access), host=host, port=port, log_level="warning")

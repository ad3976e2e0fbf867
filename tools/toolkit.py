"""The one boundary that runs tools.

``Toolkit(ctx, tools)`` binds the tools its caller hands it (``tools.all.default_tools()`` for the product; a tool
is defined in ``tools/spec.py``) to their resources. ``Toolkit.call`` is the boundary every caller goes through
(the graph, ``uwc tool``, tests): it validates the arguments, runs the product guard, times the call, turns
exceptions into ``{"error", "hint"}`` results the model can act on, and records a trace event.
"""

from __future__ import annotations

import builtins
import json
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from core import tracing
from core.redact import redact_error
from core.vocabulary import LINE_TASKS
from tools.context import ToolContext
from tools.errors import GuardRejected, InvalidArgument, ToolError
from tools.spec import ToolSpec


def _check_sizes(args: dict) -> None:
    """Refuse arguments too long or too deep, in one pass that stops at the first excess (no copy is made)."""
    total = 0
    stack: list[tuple[Any, int]] = [(args, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_ARGUMENT_DEPTH:
            raise InvalidArgument(f"arguments nest deeper than {MAX_ARGUMENT_DEPTH}", "pass flat named arguments")
        if isinstance(value, dict):
            stack += [(k, depth) for k in value] + [(v, depth + 1) for v in value.values()]
        elif isinstance(value, (list, tuple)):
            stack += [(v, depth + 1) for v in value]
        else:
            n = len(value) if isinstance(value, str) else 8
            if n > MAX_ARGUMENT_CHARS:
                raise InvalidArgument(
                    f"an argument is {n:,} characters; the limit is {MAX_ARGUMENT_CHARS:,}", "pass short values"
                )
            total += n
            if total > MAX_ARGUMENTS_CHARS:
                raise InvalidArgument(
                    f"the arguments exceed the limit of {MAX_ARGUMENTS_CHARS:,} characters", "pass short values"
                )


# Checked before anything reads the arguments (the guard included): the longest legitimate argument is a
# 5,000-character SQL statement; a 40,000-character `lob` once took the guard to 1.6 GB.
MAX_ARGUMENT_CHARS = 6_000  # one string
MAX_ARGUMENTS_CHARS = 20_000  # all of a call's arguments
MAX_ARGUMENT_DEPTH = 8


@dataclass
class ToolEvent:
    """One trace event: what was called, with what, how it ended, how long it took, what the guards said."""

    tool: str
    arguments: dict
    ok: bool
    result: dict
    duration_ms: float
    guard: list[dict] = field(default_factory=list)
    error_kind: str | None = None
    tool_call_id: str | None = None  # the model's id for the call: history pairs steps with calls by it

    def as_dict(self) -> dict:
        return {
            "tool": self.tool,
            "tool_call_id": self.tool_call_id,
            "arguments": self.arguments,
            "ok": self.ok,
            "error_kind": self.error_kind,
            "duration_ms": round(self.duration_ms, 3),
            "guard": self.guard,
            "result": self.result,
        }


def _validation_message(spec: ToolSpec, exc: ValidationError) -> tuple[str, str]:
    problems = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"]) or "arguments"
        if err["type"] == "missing":
            problems.append(f"missing required argument {loc!r}")
        elif err["type"] == "extra_forbidden":
            problems.append(f"unknown argument {loc!r}")
        else:
            got = repr(err.get("input"))
            problems.append(f"{loc}: {err['msg']} (got {got[:80] + '…' if len(got) > 80 else got})")
    return "; ".join(problems), _validation_hint(spec)


def _refuse_booleans(spec: ToolSpec, args: dict) -> None:
    """JSON true/false is never a number or a text here (pydantic would read true as 1 for an int)."""
    for name, value in args.items():
        if isinstance(value, bool) and name in spec.not_booleans:
            raise InvalidArgument(f"{name} must not be true/false (got {str(value).lower()})", _validation_hint(spec))


def _validation_hint(spec: ToolSpec) -> str:
    schema = spec.json_schema
    props, required = schema.get("properties", {}), schema.get("required", [])
    valid = ", ".join(f"{k}{'' if k in required else '?'}: {v.get('type') or 'value'}" for k, v in props.items())
    return f"{spec.name} takes ({valid}); '?' marks optional arguments"


MAX_KEPT_EVENTS = 100


class Toolkit:
    """The tools bound to their resources (a ``ToolContext``), behind the guarded boundary."""

    def __init__(
        self, ctx: ToolContext, tools: Iterable[ToolSpec], on_event: Callable[[ToolEvent], None] | None = None
    ):
        self.ctx = ctx
        self.specs = {spec.name: spec for spec in tools}
        # the latest calls, for a caller that looks at them; bounded: a server's toolkit runs for weeks
        self.events: deque[ToolEvent] = deque(maxlen=MAX_KEPT_EVENTS)
        self.on_event = on_event

    def list(self) -> builtins.list[ToolSpec]:  # `list` here would name this method
        return list(self.specs.values())

    def openai_schemas(self) -> builtins.list[dict]:
        return [s.openai_schema() for s in self.specs.values()]

    def call(
        self, name: str, arguments: dict | str | None, *, tool_call_id: str | None = None, request: str | None = None
    ) -> ToolEvent:
        """Run one tool call. ``request``: the underwriter's message this call answers (the guard reads it)."""
        start = time.perf_counter()
        guard: list[dict] = []
        raw_args: Any = arguments
        try:
            if arguments is None:  # no arguments at all; a JSON "null" sent by a model is refused below
                raw_args = {}
            if isinstance(arguments, str):
                if len(arguments) > MAX_ARGUMENTS_CHARS:
                    raise InvalidArgument(
                        f"arguments are {len(arguments):,} characters; the limit is {MAX_ARGUMENTS_CHARS:,}",
                        "pass short values: a line code, a NAICS code, figures, one SELECT",
                    )
                try:
                    raw_args = json.loads(arguments or "{}")
                except json.JSONDecodeError as exc:
                    raise InvalidArgument(
                        f"arguments are not valid JSON: {exc.msg}", "pass a JSON object of arguments"
                    ) from None
            if not isinstance(raw_args, dict):
                raise InvalidArgument(
                    "arguments must be a JSON object", 'pass named arguments, e.g. {"naics": "722511"}'
                )
            _check_sizes(raw_args)
            spec = self.specs.get(name)
            if spec is None:
                raise InvalidArgument(f"unknown tool {name!r}", f"tools: {', '.join(self.specs)}")
            guard = self._guard_arguments(spec, raw_args) + self._guard_finding(spec, raw_args, request)
            rejected = [g for g in guard if not g["allowed"]]
            if rejected:
                names = ", ".join(repr(g["value"]) for g in rejected)
                raise GuardRejected(
                    f"{names} {'is' if len(rejected) == 1 else 'are'} not a product we write",
                    f"we write only: {self.ctx.catalog.lob_list()}; say plainly that we do not write it",
                )
            _refuse_booleans(spec, raw_args)
            try:
                args = spec.args_model.model_validate(raw_args)
            except ValidationError as exc:
                raise InvalidArgument(*_validation_message(spec, exc)) from None
            result = spec.func(self.ctx, **{k: getattr(args, k) for k in spec.args_model.model_fields})
            event = ToolEvent(name, raw_args, True, result, 0.0, guard)
        except ToolError as exc:
            body = {"error": exc.message}
            if exc.hint:
                body["hint"] = exc.hint
            event = ToolEvent(
                name, raw_args if isinstance(raw_args, dict) else {"raw": raw_args}, False, body, 0.0, guard, exc.kind
            )
        except Exception as exc:  # a bug or an outage: the model still gets an answer it can act on
            body = {
                "error": f"{name} failed unexpectedly ({redact_error(exc, 200)})",
                "hint": "try again once; if it fails again, answer with what you have and say what could not be checked",
            }
            event = ToolEvent(
                name, raw_args if isinstance(raw_args, dict) else {"raw": raw_args}, False, body, 0.0, guard, "internal"
            )
        event.duration_ms = (time.perf_counter() - start) * 1000
        event.tool_call_id = tool_call_id
        tracing.record_tool(event)  # an OTel span when tracing is on (a no-op otherwise)
        self.events.append(event)
        if self.on_event:
            self.on_event(event)
        return event

    def _guard_finding(self, spec: ToolSpec, args: dict, request: str | None) -> builtins.list[dict]:
        """No finding about a line when the underwriter asked only about products we do not write: the answer
        is that we do not write them, not a verdict on some other line."""
        if spec.name != "record_finding" or args.get("task_type") not in LINE_TASKS:
            return []
        facts = args.get("facts")
        lob = facts.get("lob") if isinstance(facts, dict) else None
        if isinstance(lob, str) and lob.strip() and not self.ctx.catalog.find_lob(lob):
            return [{"guard": "product", "argument": "facts.lob", "value": lob, "allowed": False}]
        if not request:
            return []
        from tools.guard import unwritten_request

        products = unwritten_request(request, self.ctx.catalog)
        if not products:
            return []
        return [{"guard": "product", "argument": "request", "value": ", ".join(products), "allowed": False}]

    def _guard_arguments(self, spec: ToolSpec, args: dict) -> builtins.list[dict]:
        """Every argument naming a line of business must name one in the live catalog."""
        from tools.guard import scan_products

        verdicts = []
        for name in spec.lob_args:
            values = args.get(name)
            if values is None:
                continue
            for value in values if isinstance(values, list) else [values]:
                if not isinstance(value, str):
                    continue
                if self.ctx.catalog.find_lob(value):
                    verdicts.append({"guard": "product", "argument": name, "value": value, "allowed": True})
                    continue
                # Not in the catalog: whatever it is, it is not a product we write.
                invented = scan_products(value, self.ctx.catalog, mentions_only=True) or [value]
                verdicts.append(
                    {"guard": "product", "argument": name, "value": value, "allowed": False, "products": invented}
                )
        return verdicts

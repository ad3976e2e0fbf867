"""The model layer: the ONLY module that talks to litellm.

``LiteLLMModel.invoke(messages, tools, on_token)`` sends the conversation in OpenAI format to any litellm model
string and owns every provider concern:

- parameters per model: temperature only when set, unsupported ones dropped (``drop_params``), an output cap,
  reasoning effort, ``num_ctx`` for Ollama; the fallback model has its own base URL and key;
- a context budget (``graph/budget.py``) counted in tokens per call, trimmed harder once on an overflow error;
- replies as providers really send them: an empty reply is retried once with a nudge, a reply cut at the length
  limit is continued once, streamed tool calls are assembled here (ids assigned when the server sent none),
  arguments that are not a JSON object are passed on raw for the tool boundary to refuse, ``<think>`` blocks
  never reach the user, the guard or the history;
- waiting: a timeout to the first byte, a stall timeout inside streams, retries with backoff or the provider's
  ``Retry-After`` within a total wait cap, timeouts not retried; failures become one ``ModelError`` line
  (``graph/llm_errors.py``), redacted;
- accounting: tokens and cost per call, marked ``estimated`` when the server reported no usage; the retries a call
  took (and why, and whether the fallback answered) go on its ``chat`` span.

Record/replay cassettes (``graph/cassette.py``) sit in front of each provider call.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import math
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from core import redact, tracing
from core.settings import Settings, apply_offline_env
from graph import budget, json_steps, prompts
from graph.cassette import Cassette, CassetteMiss
from graph.llm_errors import (
    NO_FALLBACK,
    TRANSIENT,
    NotAModelAPI,
    classify,
    explain,
    provider_of,
)
from graph.llm_errors import retry_after as _retry_after
from graph.llm_messages import (
    ShownText,
    ThinkFilter,
    iterate_with_stall,
    join_continued,
    parse_arguments,
    raw_arguments,
    strip_think,
    to_openai,
)
from graph.text_tool_calls import Holdback, is_blank, recover

__all__ = ["LiteLLMModel", "ModelError", "count_tokens", "raw_arguments", "to_openai"]

DEFAULT_WINDOW = 8192
OLLAMA = ("ollama", "ollama_chat")
# Servers of open models whose tokenizer litellm does not have: its default count (tiktoken) is too low for them.
SELF_HOSTED = (*OLLAMA, "hosted_vllm", "vllm", "lm_studio", "llamafile", "openai_like")
# Tokens per litellm-counted token for a model whose tokenizer litellm lacks, until the server's `usage` says:
# Qwen2.5 served by llama.cpp measured 1.68-1.75 on the recorded cassettes (tools rendered by the chat template).
UNKNOWN_TOKENIZER_FACTOR = 1.8


class ModelError(Exception):
    """A model call failed; the message is for the user (what to set or check), never a traceback."""


SMALL_MAX_OUTPUT = 256  # UWC_PROFILE=small: tokens a step may take (a call or a two-sentence answer)
_REQUIRED: contextvars.ContextVar[str | None] = contextvars.ContextVar("uwc_required_step", default=None)


@contextlib.contextmanager
def required_step(what: str) -> Iterator[None]:
    """Model calls in this block must call a tool (``what="tool"``: json steps offer no answer, native calls send
    ``tool_choice: required``) or must answer (``"answer"``: json steps offer no tool, native sends ``none``).
    UWC_PROFILE=small: a turn's first step calls a tool; the step after a deciding tool decided answers."""
    token = _REQUIRED.set(what)
    try:
        yield
    finally:
        _REQUIRED.reset(token)


def _litellm():
    apply_offline_env()  # local cost map: no fetch at import
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    return litellm


@dataclass
class _Target:
    model: str
    api_base: str | None
    api_key: str | None


@dataclass
class _Retries:
    """What one model call had to try again, for its span: why each retry was needed (a failure kind from
    ``graph/llm_errors.py``, or ``empty`` for an empty reply), the seconds waited, and the fallback model if used."""

    reasons: list[str] = field(default_factory=list)
    waited: float = 0.0
    fallback: str | None = None

    def span_attributes(self) -> dict[str, Any]:
        return {
            tracing.RETRIES: len(self.reasons),
            tracing.RETRY_REASONS: self.reasons or None,
            tracing.RETRY_WAIT: round(self.waited, 3) if self.waited else None,
            tracing.FALLBACK_MODEL: self.fallback,
        }


@dataclass
class LiteLLMModel:
    model: str
    api_base: str | None = None
    api_key: str | None = None
    fallback_model: str | None = None
    fallback_api_base: str | None = None
    fallback_api_key: str | None = None
    timeout: float = 30.0
    stall_timeout: float = 15.0
    retries: int = 2
    backoff: float = 1.0
    retry_wait_cap: float = 30.0
    stream: bool = True
    temperature: float | None = None
    max_output_tokens: int = 2048
    reasoning_effort: str | None = None
    context_tokens: int | None = None
    cassette: Cassette | None = None
    usage: list[dict] = field(default_factory=list)  # one entry per call: model, tokens, cost, seconds, estimated
    is_llm: bool = True
    tool_calling: str = "native"  # or "json": one schema-constrained object per step (graph/json_steps.py)
    tool_choice: str | None = None  # passed to providers that take it (llama-cpp-python's server needs it)
    _token_cache: dict = field(default_factory=dict, repr=False)
    _token_factor: dict = field(default_factory=dict, repr=False)  # model -> server tokens per counted token

    def __post_init__(self) -> None:
        # Keys and base URLs given here rather than through settings are secrets all the same.
        redact.register(self.api_key, self.fallback_api_key)
        redact.register(redact.url_password(self.api_base), redact.url_password(self.fallback_api_base))

    @classmethod
    def from_settings(cls, settings: Settings, model: str | None = None, **overrides) -> LiteLLMModel:
        return cls(
            model or settings.model,
            api_base=settings.api_base,
            fallback_model=settings.fallback_model,
            fallback_api_base=settings.fallback_api_base,
            fallback_api_key=settings.fallback_api_key,
            timeout=settings.timeout,
            stall_timeout=settings.stream_stall_timeout,
            retry_wait_cap=settings.retry_wait_cap,
            temperature=settings.temperature,
            # A small model may loop to the cap (2 tokens/s on a CPU): its steps are short.
            max_output_tokens=min(settings.max_output_tokens, SMALL_MAX_OUTPUT)
            if settings.profile == "small"
            else settings.max_output_tokens,
            reasoning_effort=settings.reasoning_effort,
            context_tokens=settings.context_tokens,
            tool_calling=settings.tool_calling,
            tool_choice=settings.tool_choice,
            **overrides,
        )

    @property
    def name(self) -> str:
        return self.model

    # -- public --

    def invoke(
        self, messages: list[BaseMessage], tools: list[dict], on_token: Callable[[str], None] | None = None
    ) -> AIMessage:
        """One model call, traced as a GenAI ``chat`` span (model, tokens, cost, finish reason, retries)."""
        attrs = {
            tracing.OPERATION: "chat",
            tracing.PROVIDER: provider_of(self.model),
            tracing.REQUEST_MODEL: self.model,
        }
        with tracing.span(f"chat {self.model}", **attrs) as span:
            retries = _Retries()
            try:
                reply = self._invoke_targets(messages, tools, on_token, retries)
            except ModelError:
                tracing.set_error(span, "model_error")
                raise
            finally:
                tracing.set_attributes(span, **retries.span_attributes())
            usage: dict[str, Any] = dict(reply.usage_metadata or {})
            meta: dict[str, Any] = reply.response_metadata or {}
            finish = meta.get("finish_reason") or ("tool_calls" if reply.tool_calls else "stop")
            tracing.set_attributes(
                span,
                **{
                    tracing.RESPONSE_MODEL: meta.get("model"),
                    tracing.INPUT_TOKENS: usage.get("input_tokens", 0),
                    tracing.OUTPUT_TOKENS: usage.get("output_tokens", 0),
                    tracing.COST: meta.get("cost_usd", 0.0),
                    tracing.FINISH_REASONS: [str(finish)],
                },
            )
            return reply

    def _invoke_targets(self, messages: list[BaseMessage], tools: list[dict], on_token, retries: _Retries) -> AIMessage:
        wire = to_openai(messages)
        targets = [_Target(self.model, self.api_base, self.api_key)]
        if self.fallback_model:
            targets.append(_Target(self.fallback_model, self.fallback_api_base, self.fallback_api_key))
        first_error: str | None = None
        kind = ""  # of the last failure
        for target in targets:
            if first_error is not None:  # the fallback: one more try, on the other model
                retries.reasons.append(kind)
                retries.fallback = target.model
            try:
                return self._invoke(target, wire, tools, on_token, retries)
            except _Failed as failed:
                kind = failed.kind
                if first_error is None:
                    first_error = failed.message
                else:
                    first_error += f" (the fallback {target.model!r} failed too: {kind.replace('_', ' ')})"
                if kind in NO_FALLBACK:
                    break
        raise ModelError(first_error)

    def window(self, model: str) -> int:
        """The context window: UWC_CONTEXT_TOKENS, else litellm's figure for the model, else 8,192."""
        if self.context_tokens:
            return self.context_tokens
        if provider_of(model) in OLLAMA:
            return DEFAULT_WINDOW  # litellm's figure would make Ollama allocate that much memory
        try:
            info = _litellm().get_model_info(model)
            return int(info.get("max_input_tokens") or info.get("max_tokens") or DEFAULT_WINDOW)
        except Exception:  # a model litellm does not know
            return DEFAULT_WINDOW

    # -- one target: budget, retries, empty and truncated replies --

    def _invoke(self, target: _Target, wire: list[dict], tools: list[dict], on_token, retries: _Retries) -> AIMessage:
        window = self.window(target.model)
        limit = int((window - min(self.max_output_tokens, window // 4)) * 0.95)
        steps = self.tool_calling == "json" and bool(tools)
        if steps:  # the tools go in the system message; the server constrains each reply to one step object
            wire, sent_tools = json_steps.to_json_wire(wire, tools), []
        else:
            sent_tools = tools

        raw_count = self._counter(target.model, sent_tools)

        def count(msgs: list[dict]) -> int:
            return math.ceil(raw_count(msgs) * self._factor(target))

        msgs, report = budget.fit(wire, count, limit)
        waited, attempt, overflow_retried, nudged, continued = 0.0, 0, False, False, False
        pieces: list[str] = []
        spent: dict = {}
        shown = ShownText()
        hold = Holdback(on_token)  # text that may be a tool call is shown only once we know it is not
        while True:
            request = self._request(target, msgs, sent_tools, window)
            required = _REQUIRED.get()
            if steps:
                request["response_format"] = json_steps.response_format(
                    tools, answer=required != "tool", calls=required != "answer"
                )
            elif sent_tools and required:
                request["tool_choice"] = "required" if required == "tool" else "none"
            try:
                result = self._call_once(request, target, shown.sink(hold.feed if on_token else None, attempt > 0))
            except CassetteMiss:  # a replay that was not recorded fails loudly, never as a provider error
                raise
            except Exception as exc:  # litellm raises many types; classify by name, status and text
                kind = classify(exc)
                if kind == "context" and not overflow_retried:
                    overflow_retried, limit = True, limit // 2
                    msgs, report = budget.fit(wire, count, limit)
                    retries.reasons.append(kind)
                    if pieces:  # the continuation did not fit: a fresh reply replaces the cut one, never glued
                        pieces.clear()
                        hold.finish(show=False)
                    continue
                if kind in TRANSIENT and attempt < self.retries:
                    wait = _retry_after(exc) if kind == "rate_limit" else None
                    wait = self.backoff * (2**attempt) if wait is None else wait
                    if waited + wait <= self.retry_wait_cap:
                        time.sleep(wait)
                        waited, attempt = waited + wait, attempt + 1
                        retries.reasons.append(kind)
                        retries.waited += wait
                        continue
                message = explain(exc, target.model, target.api_base, self.timeout, self.stall_timeout)
                raise _Failed(kind, message) from None
            self._calibrate(target, request, result, raw_count)
            result["sent_tokens"], result["dropped_turns"] = report["tokens"], report["dropped_turns"]
            self._account(result, request)
            # The message carries every call it took (a nudge or a continuation is a call too).
            for key in ("prompt_tokens", "completion_tokens", "cost_usd"):
                spent[key] = result[key] = spent.get(key, 0) + (result.get(key) or 0)
            spent["estimated"] = result["estimated"] = spent.get("estimated", False) or result["estimated"]
            if is_blank(result["content"]) and not result["tool_calls"] and not pieces:
                if nudged:
                    raise _Failed("empty", prompts.EMPTY_REPLY)
                nudged = True
                msgs = msgs + [{"role": "user", "content": prompts.EMPTY_NUDGE}]
                retries.reasons.append("empty")
                continue
            cut = False
            if result["finish"] == "length" and not result["tool_calls"] and result["content"]:
                if not continued and not steps and recover(result["content"], tools) is None:
                    continued = True
                    pieces.append(result["content"])
                    more = msgs + [
                        {"role": "assistant", "content": result["content"]},
                        {"role": "user", "content": prompts.CONTINUE_NUDGE},
                    ]
                    if count(more) <= limit:
                        msgs = more
                        continue
                    if not overflow_retried:  # no room to continue: ask afresh in a trimmed window, never glue
                        overflow_retried, limit = True, limit // 2
                        msgs, report = budget.fit(wire, count, limit)
                        retries.reasons.append("context")
                        pieces.clear()
                        hold.finish(show=False)
                        continue
                    pieces.clear()
                cut = True
                result["content"] = join_continued(pieces + [result["content"]]) if pieces else result["content"]
            elif pieces:
                result["content"] = join_continued(pieces + [result["content"]])
            result["seat"] = len(msgs)  # where in the conversation: recovered calls get ids a replay finds again
            result = self._json_step(result, tools, hold) if steps else self._calls_from_text(result, tools, hold)
            if cut and not result["tool_calls"]:
                result["content"] += prompts.CUT_OFF
                if on_token:
                    on_token(prompts.CUT_OFF)
            return self._to_message(result)

    def _calls_from_text(self, result: dict, tools: list[dict], hold: Holdback) -> dict:
        """Tool calls the model wrote in its text become calls (``graph/text_tool_calls.py``); the held text is
        shown only when it was not one."""
        found = recover(result["content"], tools) if not result["tool_calls"] and tools else None
        hold.finish(show=found is None)
        if found is None:
            return result
        calls = [
            {"id": _text_call_id(result, i), "name": c.name, "args": c.arguments, "raw": None}
            for i, c in enumerate(found.calls)
        ]
        return {**result, "content": found.text, "tool_calls": calls, "from_text": len(calls)}

    def _json_step(self, result: dict, tools: list[dict], hold: Holdback) -> dict:
        """UWC_TOOL_CALLING=json: the reply is one step object: the answer in words, or one tool call."""
        step = json_steps.read_step(result["content"])
        if step is not None and "answer" in step:
            hold.finish(show=True, text=step["answer"])
            return {**result, "content": step["answer"].strip()}
        if step is not None and step["tool"] in {(t.get("function") or t).get("name") for t in tools}:
            hold.finish(show=False)
            call = {"id": _text_call_id(result, 0), "name": step["tool"], "args": step["arguments"], "raw": None}
            return {**result, "content": "", "tool_calls": [call], "from_text": 1}
        return self._calls_from_text(result, tools, hold)  # a server that did not enforce the schema

    def _factor(self, target: _Target) -> float:
        """Server tokens per counted token: measured from the server's usage once known, else 1 where litellm
        has the model's tokenizer and ``UNKNOWN_TOKENIZER_FACTOR`` where it does not."""
        if target.model not in self._token_factor:
            known = provider_of(target.model) not in SELF_HOSTED and not (
                provider_of(target.model) == "openai" and target.api_base
            )
            if known:
                try:
                    known = bool(_litellm().get_model_info(target.model))
                except Exception:  # a model litellm does not know
                    known = False
            self._token_factor[target.model] = 1.0 if known else UNKNOWN_TOKENIZER_FACTOR
        return self._token_factor[target.model]

    def _calibrate(self, target: _Target, request: dict, result: dict, raw_count) -> None:
        """The budget corrects itself from the prompt tokens the server reported for this request."""
        reported = result.get("prompt_tokens") or 0
        if result.get("estimated") or not reported:
            return
        counted = raw_count(request["messages"])
        if counted:
            self._token_factor[target.model] = min(max(reported / counted, 0.5), 4.0)

    def _counter(self, model: str, tools: list[dict]) -> Callable[[list[dict]], int]:
        """Tokens of a request as litellm counts them: the tool schemas once plus each message, counted once per
        distinct message (trimming re-counts the same messages many times). Slightly above litellm's
        whole-request count; ``_factor`` scales it to the model's own tokenizer."""
        cache = self._token_cache.setdefault(model, {})
        if len(cache) > 20_000:
            cache.clear()
        base = count_tokens(model, [], tools) if tools else 0

        def count(msgs: list[dict]) -> int:
            total = base
            for m in msgs:
                key = json.dumps(m, sort_keys=True)
                if key not in cache:
                    cache[key] = count_tokens(model, [m])
                total += cache[key]
            return total

        return count

    def _request(self, target: _Target, msgs: list[dict], tools: list[dict], window: int) -> dict:
        request: dict = {"model": target.model, "messages": msgs, "tools": tools or None}
        if tools and self.tool_choice:
            request["tool_choice"] = self.tool_choice
        if self.temperature is not None:
            request["temperature"] = self.temperature
        if self.reasoning_effort:
            request["reasoning_effort"] = self.reasoning_effort
        request["max_tokens"] = self.max_output_tokens
        if provider_of(target.model) in OLLAMA:
            request["num_ctx"] = window  # Ollama's default window silently drops the start of the prompt
            # Thinking models: Ollama keeps reasoning apart only when asked (``think``); inline <think> tags are
            # mangled by litellm's Ollama stream parser. Off unless UWC_REASONING_EFFORT turns it on.
            if not self.reasoning_effort:
                request["think"] = False
        return request

    def _call_once(self, request: dict, target: _Target, on_token) -> dict:
        if self.cassette and self.cassette.replaying:
            result = dict(self.cassette.replay(request))
            if on_token and result.get("content"):
                on_token(result["content"])
        else:
            result = self._call(request, target, on_token)
            if self.cassette:
                self.cassette.record(request, result)
        result.setdefault("finish", "stop")
        result.setdefault("estimated", False)
        return result

    # -- one HTTP call --

    def _call(self, request: dict, target: _Target, on_token) -> dict:
        litellm = _litellm()
        start = time.perf_counter()
        kwargs = {k: v for k, v in request.items() if v is not None}
        kwargs.update(timeout=self.timeout, num_retries=0, max_retries=0, drop_params=True)
        if target.api_base:
            kwargs["api_base"] = target.api_base
        if target.api_key:
            kwargs["api_key"] = target.api_key
        if self.stream:
            text, calls, finish, usage = self._stream(litellm, kwargs, on_token)
        else:
            response = litellm.completion(**kwargs)
            choice = response.choices[0]
            text = strip_think(choice.message.content or "")
            calls = [
                {"id": c.id, "name": c.function.name, "arguments": c.function.arguments}
                for c in choice.message.tool_calls or []
            ]
            finish, usage = choice.finish_reason, getattr(response, "usage", None)
            if on_token and text:
                on_token(text)
        tool_calls = []
        for c in calls:
            args, raw = parse_arguments(c["arguments"])
            call_id = c["id"] or f"call_{uuid.uuid4().hex[:24]}"  # some compatible servers stream none
            tool_calls.append({"id": call_id, "name": c["name"] or "unknown", "args": args, "raw": raw})
        return {
            "content": text.strip(),
            "tool_calls": tool_calls,
            "finish": "length" if finish in ("length", "max_tokens") else (finish or "stop"),
            "model": request["model"],
            **self._usage(litellm, request, usage, text, calls),
            "seconds": round(time.perf_counter() - start, 3),
        }

    def _stream(self, litellm, kwargs: dict, on_token) -> tuple[str, list[dict], str | None, object]:
        start = time.perf_counter()
        stream = litellm.completion(stream=True, stream_options={"include_usage": True}, **kwargs)
        first = max(self.timeout - (time.perf_counter() - start), 0.1)  # UWC_TIMEOUT runs from the request
        headers = (getattr(stream, "_hidden_params", None) or {}).get("additional_headers") or {}
        if "html" in str(headers.get("llm_provider-content-type", "")).lower():  # litellm streams it as empty
            raise NotAModelAPI("the server sent an HTML page")
        think, parts, finish, usage = ThinkFilter(), [], None, None
        calls: dict[int, dict] = {}
        for chunk in iterate_with_stall(stream, first, self.stall_timeout, on_abandon=_close_stream(stream)):
            usage = getattr(chunk, "usage", None) or usage
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            finish = choice.finish_reason or finish
            delta = choice.delta
            if delta.content:
                visible = think.feed(delta.content)
                parts.append(visible)
                if visible and on_token:
                    on_token(visible)
            for tc in delta.tool_calls or []:
                index = tc.index if tc.index is not None else len(calls)
                slot = calls.get(index)
                if slot is not None and tc.id and slot["id"] and tc.id != slot["id"]:  # a new call, same index
                    index = max(calls) + 1
                    slot = None
                if slot is None:
                    slot = calls[index] = {"id": None, "name": "", "arguments": ""}
                slot["id"] = slot["id"] or tc.id
                if tc.function is not None:
                    slot["name"] = slot["name"] or (tc.function.name or "")
                    args = tc.function.arguments
                    slot["arguments"] += args if isinstance(args, str) else json.dumps(args) if args else ""
        if finish is None and not parts and not calls:
            raise NotAModelAPI("the stream carried no model data")
        return "".join(parts), [calls[i] for i in sorted(calls)], finish, usage

    def _usage(self, litellm, request: dict, usage, text: str, calls: list[dict]) -> dict:
        """Tokens and cost; when the server sent no usage (litellm then counts the messages alone, without the
        tools), our own count of the whole request stands in, marked as an estimate."""
        reported_in = getattr(usage, "prompt_tokens", 0) or 0
        reported_out = getattr(usage, "completion_tokens", 0) or 0
        estimated = not reported_in
        if reported_in:
            try:
                estimated = reported_in == litellm.token_counter(model=request["model"], messages=request["messages"])
            except Exception:
                estimated = False
        prompt_tokens, completion_tokens = reported_in, reported_out
        if estimated:
            counted = self._counter(request["model"], request.get("tools") or [])(request["messages"])
            prompt_tokens = math.ceil(counted * self._token_factor.get(request["model"], 1.0))
            out_text = text + "".join(c["name"] + str(c["arguments"]) for c in calls)
            completion_tokens = litellm.token_counter(model=request["model"], text=out_text) if out_text else 0
        try:
            cost = sum(
                litellm.cost_per_token(
                    model=request["model"], prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
                )
            )
        except Exception:  # unknown price for local or new models
            cost = 0.0
        return {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "cost_usd": float(cost),
            "estimated": estimated,
        }

    def _account(self, result: dict, request: dict) -> None:
        keys = ("model", "prompt_tokens", "completion_tokens", "cost_usd", "seconds", "estimated", "sent_tokens")
        self.usage.append({k: result.get(k) for k in keys} | {"messages": len(request["messages"])})

    def _to_message(self, result: dict) -> AIMessage:
        raw = {c["id"]: c["raw"] for c in result["tool_calls"] if c.get("raw") is not None}
        prompt, completion = result.get("prompt_tokens", 0), result.get("completion_tokens", 0)
        return AIMessage(
            content=result["content"],
            tool_calls=[
                {"id": c["id"], "name": c["name"], "args": c["args"], "type": "tool_call"} for c in result["tool_calls"]
            ],
            additional_kwargs={"uwc": {"raw_args": raw}} if raw else {},
            usage_metadata={"input_tokens": prompt, "output_tokens": completion, "total_tokens": prompt + completion},
            response_metadata={
                "model": result.get("model"),
                "cost_usd": result.get("cost_usd", 0.0),
                "estimated": result.get("estimated", False),
                "finish_reason": result.get("finish"),
                "sent_tokens": result.get("sent_tokens"),
                "dropped_turns": result.get("dropped_turns", 0),
                "tool_calls_from_text": result.get("from_text", 0),
            },
        )


def _text_call_id(result: dict, index: int) -> str:
    """An id for a call recovered from text: the same reply at the same place always gets the same one (so a
    recorded conversation replays), and two calls of one conversation never share one."""
    seed = f"{result.get('seat', 0)}:{index}:{result['content']}"
    return "call_" + hashlib.sha256(seed.encode()).hexdigest()[:24]


def _close_stream(stream) -> Callable[[], None]:
    """Closes the HTTP response of a stream we stop waiting for, so a one-slot server drops the abandoned request
    instead of making the next one queue behind it."""

    def close() -> None:
        for target in (getattr(stream, "completion_stream", None), stream):
            for obj in (getattr(target, "response", None), target):
                closer = getattr(obj, "close", None)
                if callable(closer):
                    try:
                        closer()
                        return
                    except Exception:  # best effort: the stream may be mid-read on the other thread
                        continue

    return close


class _Failed(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind, self.message = kind, message


def count_tokens(model: str, messages: list[dict], tools: list[dict] | None = None) -> int:
    """Tokens of a request as litellm counts them for ``model`` (offline)."""
    litellm = _litellm()
    return litellm.token_counter(model=model, messages=messages, tools=tools)

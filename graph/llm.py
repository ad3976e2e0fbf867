"""The model layer: the ONLY module that talks to litellm.

``LiteLLMModel.invoke(messages, tools, on_token)`` sends the conversation in OpenAI format to any litellm model
string, with a timeout, retries with backoff on transient errors, an optional fallback model, streaming, and
token and cost accounting. Provider failures become one ``ModelError`` whose message says what to set or check.
Record/replay cassettes (``graph/cassette.py``) sit in front of the provider call.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from core.settings import apply_offline_env
from graph.cassette import Cassette


class ModelError(Exception):
    """A model call failed; the message is for the user (what to set or check), never a traceback."""


KEY_VARS = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "groq": "GROQ_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "azure": "AZURE_API_KEY",
    "cohere": "COHERE_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "xai": "XAI_API_KEY",
}


def _litellm():
    apply_offline_env()  # local cost map: no fetch at import
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    return litellm


def to_openai(messages: list[BaseMessage]) -> list[dict]:
    out = []
    for m in messages:
        if isinstance(m, SystemMessage):
            out.append({"role": "system", "content": m.content})
        elif isinstance(m, HumanMessage):
            out.append({"role": "user", "content": m.content})
        elif isinstance(m, ToolMessage):
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": m.tool_call_id,
                    "content": m.content if isinstance(m.content, str) else json.dumps(m.content),
                }
            )
        elif isinstance(m, AIMessage):
            msg: dict = {"role": "assistant", "content": m.content or None}
            if m.tool_calls:
                msg["tool_calls"] = [
                    {
                        "id": c["id"],
                        "type": "function",
                        "function": {"name": c["name"], "arguments": json.dumps(c["args"])},
                    }
                    for c in m.tool_calls
                ]
            out.append(msg)
    return out


def _provider(model: str) -> str:
    return model.split("/", 1)[0] if "/" in model else "openai"


def is_credentials_error(exc: Exception) -> bool:
    """litellm reports a missing key as AuthenticationError, or as InternalServerError("Missing credentials")."""
    text = str(exc).lower()
    return type(exc).__name__ == "AuthenticationError" or any(
        w in text for w in ("api key", "missing credentials", "api_key")
    )


def explain(exc: Exception, model: str, api_base: str | None) -> str:
    """One sentence that says what went wrong and what to set or check."""
    name = type(exc).__name__
    text = str(exc)
    provider = _provider(model)
    key = KEY_VARS.get(provider)
    if is_credentials_error(exc):
        if key:
            return f"The model {model!r} rejected the request: missing or invalid API key. Set {key} in .env (or the environment), or use UWC_MODEL=offline."
        return f"The model {model!r} needs credentials: set its API key in .env, or use UWC_MODEL=offline."
    if (
        name in ("NotFoundError",)
        or "model_not_found" in text
        or "does not exist" in text
        or "LLM Provider NOT provided" in text
    ):
        return f"Unknown model {model!r}: set UWC_MODEL to a litellm model string such as openai/gpt-4.1-mini or anthropic/claude-sonnet-4-5."
    if name in (
        "APIConnectionError",
        "ServiceUnavailableError",
        "InternalServerError",
        "Timeout",
        "RateLimitError",
        "APIError",
        "BadGatewayError",
    ):
        where = f" at {api_base}" if api_base else ""
        return f"The model provider for {model!r}{where} is unavailable ({name}). Check your network or UWC_API_BASE, or try again later; your conversation is kept."
    return f"The model call to {model!r} failed ({name}: {text[:200]}). Your conversation is kept."


TRANSIENT = {
    "APIConnectionError",
    "ServiceUnavailableError",
    "InternalServerError",
    "Timeout",
    "RateLimitError",
    "BadGatewayError",
    "APIError",
}


@dataclass
class LiteLLMModel:
    model: str
    api_base: str | None = None
    fallback_model: str | None = None
    timeout: float = 60.0
    retries: int = 2
    backoff: float = 1.0
    stream: bool = True
    temperature: float | None = 0.0
    cassette: Cassette | None = None
    usage: list[dict] = field(default_factory=list)  # one entry per call: model, tokens, cost, seconds
    is_llm: bool = True

    @property
    def name(self) -> str:
        return self.model

    def invoke(
        self, messages: list[BaseMessage], tools: list[dict], on_token: Callable[[str], None] | None = None
    ) -> AIMessage:
        request: dict[str, Any] = {"model": self.model, "messages": to_openai(messages), "tools": tools or None}
        if self.temperature is not None:
            request["temperature"] = self.temperature
        if self.cassette and self.cassette.replaying:
            return self._to_message(self.cassette.replay(request), on_token)
        last: Exception | None = None
        for model in [self.model] + ([self.fallback_model] if self.fallback_model else []):
            for attempt in range(self.retries + 1):
                try:
                    result = self._call({**request, "model": model}, on_token)
                    if self.cassette:
                        self.cassette.record(request, result)
                    return self._to_message(result, None if self.stream else on_token)
                except ModelError:
                    raise
                except Exception as exc:  # litellm raises many types; classify by name
                    last = exc
                    if type(exc).__name__ not in TRANSIENT or is_credentials_error(exc):  # retrying cannot fix a key
                        raise ModelError(explain(exc, model, self.api_base)) from None
                    if attempt < self.retries:
                        time.sleep(self.backoff * (2**attempt))
        assert last is not None  # the loop above ran at least once
        raise ModelError(explain(last, self.fallback_model or self.model, self.api_base))

    def _call(self, request: dict, on_token) -> dict:
        litellm = _litellm()
        start = time.perf_counter()
        kwargs = {k: v for k, v in request.items() if v is not None}
        kwargs.update(timeout=self.timeout, num_retries=0)
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self.stream:
            chunks = []
            for chunk in litellm.completion(stream=True, stream_options={"include_usage": True}, **kwargs):
                chunks.append(chunk)
                delta = chunk.choices[0].delta.content if chunk.choices else None
                if delta and on_token:
                    on_token(delta)
            response = litellm.stream_chunk_builder(chunks, messages=request["messages"])
        else:
            response = litellm.completion(**kwargs)
        message = response.choices[0].message
        calls = []
        for c in message.tool_calls or []:
            try:
                args = json.loads(c.function.arguments or "{}")
            except json.JSONDecodeError:
                args = {"__invalid_json__": c.function.arguments}
            calls.append({"id": c.id, "name": c.function.name, "args": args})
        usage = getattr(response, "usage", None)
        try:
            cost = float(litellm.completion_cost(completion_response=response) or 0.0)
        except Exception:  # unknown price for local or new models
            cost = 0.0
        return {
            "content": message.content or "",
            "tool_calls": calls,
            "model": request["model"],
            "prompt_tokens": getattr(usage, "prompt_tokens", 0) or 0,
            "completion_tokens": getattr(usage, "completion_tokens", 0) or 0,
            "cost_usd": cost,
            "seconds": round(time.perf_counter() - start, 3),
        }

    def _to_message(self, result: dict, on_token) -> AIMessage:
        if on_token and result["content"]:
            on_token(result["content"])
        self.usage.append(
            {k: result.get(k) for k in ("model", "prompt_tokens", "completion_tokens", "cost_usd", "seconds")}
        )
        return AIMessage(
            content=result["content"],
            tool_calls=[
                {"id": c["id"], "name": c["name"], "args": c["args"], "type": "tool_call"} for c in result["tool_calls"]
            ],
            usage_metadata={
                "input_tokens": result.get("prompt_tokens", 0),
                "output_tokens": result.get("completion_tokens", 0),
                "total_tokens": result.get("prompt_tokens", 0) + result.get("completion_tokens", 0),
            },
            response_metadata={"model": result.get("model"), "cost_usd": result.get("cost_usd", 0.0)},
        )


def count_tokens(model: str, messages: list[dict], tools: list[dict] | None = None) -> int:
    """Tokens of a request as litellm counts them for ``model`` (offline)."""
    litellm = _litellm()
    return litellm.token_counter(model=model, messages=messages, tools=tools)


def provider_key_present(model: str) -> bool:
    key = KEY_VARS.get(_provider(model))
    return key is None or bool(os.environ.get(key))

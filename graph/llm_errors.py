"""What a provider failure means: a kind (drives retries and fallback) and one line for the user.

litellm raises many exception types, and the same fault arrives under different names per provider (a missing
key is an ``InternalServerError`` for some, an HTML page from a proxy is an ``APIConnectionError``), so the kind
is read from the type name, the HTTP status and the text. Every message goes through ``core.redact.redact``.
"""

from __future__ import annotations

import email.utils
import time

from core.redact import redact

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

# Retried on the same model (with backoff or Retry-After); a timeout is not: a silent provider would make the
# user wait once per retry. Every kind but a bad request, a context overflow and a bad key also tries the fallback.
TRANSIENT = {"rate_limit", "unavailable", "connection", "stall"}
NO_FALLBACK = {"bad_request", "context", "unknown_model"}


class StreamStalled(Exception):
    """A started stream sent nothing for longer than the stall timeout."""


class FirstChunkTimeout(Exception):
    """A stream that sent nothing within UWC_TIMEOUT: a timeout (not retried), not a stall."""


class NotAModelAPI(Exception):
    """A stream that carried no model data at all (litellm yields nothing for an HTML page, say)."""


def provider_of(model: str) -> str:
    return model.split("/", 1)[0] if "/" in model else "openai"


def _status(exc: Exception) -> int | None:
    code = getattr(exc, "status_code", None)
    if isinstance(code, int):
        return code
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None) if response is not None else None


def classify(exc: Exception) -> str:
    """One of: context, auth, unknown_model, not_found, rate_limit, timeout, stall, bad_response, connection,
    unavailable, bad_request, other."""
    name, text, status = type(exc).__name__, str(exc), _status(exc)
    low = text.lower()
    if isinstance(exc, FirstChunkTimeout):
        return "timeout"
    if isinstance(exc, StreamStalled) or name == "MidStreamFallbackError":
        return "stall"
    if isinstance(exc, NotAModelAPI) or any(
        w in low for w in ("<html", "expecting value", "jsondecodeerror", "unable to parse", "invalid response from")
    ):
        return "bad_response"
    if name == "ContextWindowExceededError" or any(
        w in low for w in ("context length", "context_length_exceeded", "context window", "prompt is too long")
    ):
        return "context"
    if (
        "llm provider not provided" in low
        or "model_not_found" in low
        or (status in (400, 404) and "model" in low and ("does not exist" in low or "not found" in low))
    ):
        return "unknown_model"
    if name in ("AuthenticationError", "PermissionDeniedError") or status in (401, 403):
        return "auth"
    if any(w in low for w in ("missing credentials", "api key", "api_key")):
        return "auth"
    if name == "RateLimitError" or status == 429:
        return "rate_limit"
    if name in ("Timeout", "APITimeoutError") or "timed out" in low:
        return "timeout"
    if name == "NotFoundError" or status == 404:
        return "not_found"
    if name == "APIConnectionError" or any(
        w in low for w in ("connection error", "connection refused", "name or service", "failed to resolve")
    ):
        return "connection"
    if name in ("ServiceUnavailableError", "InternalServerError", "BadGatewayError") or (status or 0) >= 500:
        return "unavailable"
    if name in ("BadRequestError", "UnprocessableEntityError", "UnsupportedParamsError") or status in (400, 422):
        return "bad_request"
    return "other"


def retry_after(exc: Exception) -> float | None:
    """The provider's own wait from ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``, if any."""
    headers: dict = {}
    for source in (
        getattr(getattr(exc, "response", None), "headers", None),
        getattr(exc, "litellm_response_headers", None),
    ):
        if source:
            headers.update({str(k).lower(): v for k, v in dict(source).items()})
    if headers.get("retry-after-ms"):
        try:
            return float(headers["retry-after-ms"]) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def explain(exc: Exception, model: str, api_base: str | None, timeout: float = 0, stall: float = 0) -> str:
    """One line that says what went wrong and what to set or check; secrets redacted."""
    kind = classify(exc)
    where = f" at {api_base}" if api_base else ""
    key = KEY_VARS.get(provider_of(model))
    kept = "your conversation is kept."
    if kind == "auth":
        fix = f"set {key}" if key else "set its API key"
        return redact(
            f"The model {model!r} rejected the request: missing or invalid API key. {fix[0].upper() + fix[1:]} in "
            ".env (or the environment), or use UWC_MODEL=offline."
        )
    messages = {
        "unknown_model": f"Unknown model {model!r}: set UWC_MODEL to a litellm model string such as "
        "openai/gpt-4.1-mini or anthropic/claude-sonnet-4-5.",
        "not_found": f"Nothing answers for {model!r}{where} (HTTP 404): check UWC_API_BASE (OpenAI-compatible "
        f"servers usually end in /v1); {kept}",
        "rate_limit": f"The provider of {model!r} is rate-limiting requests (HTTP 429) and asked us to wait longer "
        f"than UWC_RETRY_WAIT_CAP: try again in a minute; {kept}",
        "timeout": f"The model {model!r}{where} did not answer within {timeout:g} s (UWC_TIMEOUT): try again, or "
        f"check that the server is up; {kept}",
        "stall": f"The model {model!r}{where} stopped in the middle of its answer (silent for {stall:g} s, "
        f"UWC_STREAM_STALL_TIMEOUT): try again; {kept}",
        "bad_response": f"The server{where} did not answer like a model API (an HTML page or invalid JSON): check "
        f"UWC_API_BASE points at the model server itself; {kept}",
        "connection": f"Cannot reach the model provider for {model!r}{where}: check UWC_API_BASE and that the "
        f"server is running; {kept}",
        "unavailable": f"The model provider for {model!r}{where} is unavailable right now (server error): try again "
        f"later; {kept}",
        "context": f"This conversation no longer fits {model!r}'s context window, even trimmed: start a new "
        f"conversation, or set UWC_CONTEXT_TOKENS if the model takes more; {kept}",
    }
    if kind in messages:
        return redact(messages[kind])
    detail = " ".join(str(exc).split())[:200]
    if kind == "bad_request":
        return redact(f"The model {model!r} refused the request ({detail}); {kept}")
    return redact(f"The model call to {model!r} failed ({type(exc).__name__}: {detail}); {kept}")

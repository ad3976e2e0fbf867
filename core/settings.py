"""One typed settings object for the whole product.

Every field can be overridden by an environment variable prefixed ``UWC_`` (``UWC_MODEL``,
``UWC_DATA_DIR``, ...) or by a ``.env`` file in the working directory; ``.env.example`` lists them all.
Other packages never read the environment themselves: they receive a ``Settings`` (or the paths in it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core import redact

# Offline by default: these must be set before chromadb or litellm are imported anywhere.
OFFLINE_ENV = {
    "ANONYMIZED_TELEMETRY": "False",  # chroma telemetry off
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # litellm: no price-map fetch at import
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def apply_offline_env() -> None:
    """Set the offline switches of third-party libraries unless the user set them already."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="UWC_", env_file=".env", extra="ignore", env_ignore_empty=True)

    model: str = Field("offline", description="litellm model string, or 'offline' for the rules model")
    api_base: str | None = Field(None, description="base URL for self-hosted or proxy endpoints")
    fallback_model: str | None = None
    fallback_api_base: str | None = Field(None, description="base URL of the fallback model (never the primary's)")
    fallback_api_key: str | None = Field(None, description="API key of the fallback model, when not in the environment")
    temperature: float | None = Field(None, description="sampling temperature; unset = not sent (reasoning models)")
    reasoning_effort: str | None = Field(None, description="low / medium / high, for models that take it")
    max_output_tokens: int = Field(2048, ge=16, description="cap on each reply's tokens")
    timeout: float = Field(30.0, gt=0, description="seconds to wait for a reply (or a stream's first chunk)")
    stream_stall_timeout: float = Field(15.0, gt=0, description="seconds of silence inside a stream before retrying")
    retry_wait_cap: float = Field(30.0, ge=0, description="total seconds spent waiting between retries in one call")
    context_tokens: int | None = Field(None, ge=1024, description="context window; default: litellm's, else 8192")
    tool_calling: Literal["native", "json"] = Field(
        "native",
        description="native: the provider's tool calls (calls written as text are recovered too); json: each step "
        "asks for one JSON object, a tool call or the answer, constrained by a schema (servers that enforce one)",
    )
    profile: Literal["full", "small"] = Field(
        "full",
        description="small: the harness for small open models (a short prompt, the deciding tools only, arguments "
        "grounded in the conversation, questions and unreadable answers written from the tools' results; "
        "graph/small_model.py)",
    )
    tool_choice: str | None = Field(
        None, description="sent as tool_choice where the provider takes it (auto, required, none); unset = not sent"
    )
    data_dir: Path = Field(Path("var"), description="database, guideline index, checkpoints, eval runs")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite in the data folder")
    reader_url: str | None = Field(
        None, description="PostgreSQL: the SQL tool's own read-only login; default role uwc_reader, made by uwc seed"
    )
    owner_url: str | None = Field(
        None,
        description="PostgreSQL: the login that owns the conversations store and runs its migrations (uwc seed "
        "only; the app's own login, UWC_DATABASE_URL, then gets INSERT and SELECT on the decision record)",
    )
    audit_key: str | None = Field(
        None, description="the decision record's HMAC key (32+ characters); default: audit.key in the data folder"
    )
    audit_key_file: Path | None = Field(None, description="a file holding that key (first line; retired keys after)")
    audit_old_keys: str | None = Field(
        None, description="comma-separated retired decision record keys, to verify what they signed"
    )
    cache_dir: Path | None = Field(None, description="derived files kept between runs; default: <data folder>/cache")
    database_wait: float = Field(
        10.0, gt=0, description="seconds a turn waits for a PostgreSQL connection before saying the database is down"
    )
    thread_wait: float = Field(
        10.0, ge=0, description="seconds a message waits while another window or process writes the same conversation"
    )
    embedding_model: str = Field("local", description="'local' (offline MiniLM int8) or a litellm embedding model")
    record: Path | None = None
    replay: Path | None = None
    # Sign-in (app/auth.py): none on loopback; "demo" (users file or UWC_AUTH_USERS) or "oidc" (st.login).
    auth: str | None = Field(None, description="'demo', 'oidc' or unset (no sign-in; loopback only)")
    auth_users_file: Path | None = Field(None, description="demo mode: YAML file of users and password hashes")
    auth_users: str | None = Field(None, description="demo mode: 'name:role:hash,...' instead of a file")
    forwarded_allow_ips: str = Field(
        "", description="reverse proxies (addresses or networks) whose X-Forwarded-For names the signing-in client"
    )
    admins: str = Field("", description="comma-separated user names or e-mails with the admin role (OIDC)")
    seniors: str = Field("", description="comma-separated user names or e-mails with the senior role (OIDC)")
    oidc_metadata_url: str | None = Field(
        None, description="OIDC server_metadata_url (…/.well-known/openid-configuration)"
    )
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_redirect_uri: str | None = Field(None, description="public URL of the app + /oauth2callback")
    oidc_cookie_secret: str | None = Field(None, description="random secret signing the sign-in cookie")
    # `uwc mcp --transport http` (app/mcp_access.py): a bearer token, required off loopback; the Host names
    # clients use (checked against DNS rebinding); the models a caller of run_eval_tasks may name.
    mcp_token: str | None = Field(
        None, description="bearer token the MCP HTTP transport requires (required off loopback)"
    )
    mcp_allowed_hosts: str = Field("", description="comma-separated Host names the MCP HTTP transport answers to")
    mcp_models: str = Field(
        "", description="comma-separated models an MCP caller may name besides UWC_MODEL and offline"
    )

    @property
    def cache_path(self) -> Path:
        """Where derived files live between runs (the fitted intent classifier, the MiniLM graph): safe to delete."""
        return self.cache_dir or self.data_dir / "cache"

    @property
    def admin_names(self) -> set[str]:
        return {a.strip().lower() for a in self.admins.split(",") if a.strip()}

    @property
    def senior_names(self) -> set[str]:
        return {a.strip().lower() for a in self.seniors.split(",") if a.strip()}

    # Observability (core/tracing.py): spans in the data folder unless off; the standard OTLP variables add a backend.
    tracing: bool = Field(True, description="trace every turn into telemetry.db in the data folder")
    otlp_endpoint: str | None = Field(
        None, validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT", "UWC_OTLP_ENDPOINT")
    )
    otlp_protocol: str = Field(
        "http/protobuf", validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_PROTOCOL", "UWC_OTLP_PROTOCOL")
    )
    otlp_headers: str | None = Field(
        None, validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_HEADERS", "UWC_OTLP_HEADERS")
    )
    # The submission desk's triage workers (desk/queue.py): workflows at once per worker process, and a cap on how
    # many start per minute across all workers (an LLM's quota; unset = none).
    desk_concurrency: int = Field(4, ge=1, le=64, description="triage workflows at once in each desk worker")
    desk_rate_limit: int | None = Field(None, ge=1, description="triage workflows started per minute, all workers")
    desk_workers: int = Field(
        1, ge=0, le=64, description="triage worker processes `uwc serve` starts beside the app (0: run them apart)"
    )
    inbox: Path | None = Field(None, description="a folder whose files the desk workers take in as submissions")
    user: str = Field("local", description="who is asking, on traces and checks when there is no sign-in")
    role: str = Field(
        "junior",
        description="that user's authority without sign-in: junior (referrals go to a senior), senior or admin",
    )

    @model_validator(mode="after")
    def _register_secrets(self) -> Settings:
        """Every configured secret is known to ``core.redact`` from the moment settings exist, so no text shown,
        logged or stored carries it (a provider may echo a key or a proxy password in a format no pattern knows)."""
        for name, value in self:
            if not isinstance(value, str):
                continue
            if any(word in name for word in ("key", "secret", "password", "token")):
                redact.register(value)
            redact.register(redact.url_password(value))
        for pair in (self.otlp_headers or "").split(","):  # "Authorization=Bearer%20xyz": the value and its token
            value = unquote(pair.partition("=")[2]).strip()
            redact.register(value, value.split()[-1] if value else None)
        redact.register_environment(os.environ)
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.database_path}"

    @property
    def database_path(self) -> Path:
        """The embedded SQLite file (meaningful only when ``database_url`` is not overridden)."""
        return self.data_dir / "uwc.db"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def checkpoint_path(self) -> Path:
        return self.data_dir / "checkpoints.db"

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def conversations_path(self) -> Path:
        """Thread titles, owners and feedback when the database is SQLite (``graph/threads.py``)."""
        return self.data_dir / "conversations.db"

    @property
    def telemetry_path(self) -> Path:
        """Spans and online finding checks (``core/telemetry_store.py``)."""
        return self.data_dir / "telemetry.db"


def get_settings(**overrides) -> Settings:
    """Read settings from the environment (and ``.env``), with explicit overrides on top.

    ``.env`` also carries provider keys (OPENAI_API_KEY, ...) that litellm reads from the environment, so it is
    loaded into the process environment here, never overriding variables already set.
    """
    from dotenv import load_dotenv

    load_dotenv(Path(".env"), override=False)
    apply_offline_env()
    return Settings(**{k: v for k, v in overrides.items() if v is not None})

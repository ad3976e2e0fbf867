"""Record/replay of model calls.

``UWC_RECORD=path`` appends every model request and its normalised response to a JSONL cassette, keyed by a
hash of the request; ``UWC_REPLAY=path`` serves responses only from the cassette and fails loudly on a miss,
naming the request that was not found. Requests never contain keys (litellm reads them from the environment),
and anything that looks like a secret (``core.redact``: URL userinfo, auth headers, provider key formats, long
opaque tokens) is redacted in the request and the response before a line is written; the key is computed from
the request as sent, so replay still finds it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from core.redact import redact_obj


class CassetteMiss(Exception):
    """Replay found no recorded response for a request."""


def request_key(request: dict) -> str:
    keyed = {k: request.get(k) for k in ("model", "messages", "tools", "temperature")}
    keyed |= {k: request[k] for k in ("tool_choice", "response_format") if request.get(k) is not None}  # when sent
    canonical = json.dumps(keyed, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


class Cassette:
    def __init__(self, path: Path, mode: str):
        if mode not in ("record", "replay"):
            raise ValueError("mode is 'record' or 'replay'")
        self.path, self.mode = Path(path), mode
        self._lock = threading.Lock()
        self._entries: dict[str, dict] = {}
        if mode == "replay":
            if not self.path.is_file():
                raise FileNotFoundError(f"UWC_REPLAY cassette {self.path} does not exist")
            for n, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
                if line.strip():
                    try:
                        entry = json.loads(line)
                        self._entries[entry["key"]] = entry["response"]
                    except (json.JSONDecodeError, KeyError):
                        raise ValueError(f"{self.path}, line {n}: not a cassette entry") from None

    @property
    def replaying(self) -> bool:
        return self.mode == "replay"

    def record(self, request: dict, response: dict) -> None:
        line = json.dumps(
            {"key": request_key(request), "request": redact_obj(request), "response": redact_obj(response)},
            ensure_ascii=False,
        )
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")

    def replay(self, request: dict) -> dict:
        key = request_key(request)
        if key not in self._entries:
            last = next((m.get("content") for m in reversed(request["messages"]) if m.get("role") == "user"), "")
            raise CassetteMiss(
                f"no recorded response in {self.path} for request {key} (model {request['model']}, "
                f"{len(request['messages'])} messages, last user message {str(last)[:80]!r})"
            )
        return self._entries[key]

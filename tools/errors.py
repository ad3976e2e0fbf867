"""The few named errors tools raise. The boundary (``tools/toolkit.py``) turns them into
``{"error": ..., "hint": ...}`` results that tell the model what was wrong and what is valid."""

from __future__ import annotations


class ToolError(Exception):
    """Base: ``message`` says what was wrong, ``hint`` what is valid or what to do instead."""

    kind = "error"

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message, self.hint = message, hint


class InvalidArgument(ToolError):
    kind = "invalid_argument"


class NotFound(ToolError):
    kind = "not_found"


class GuardRejected(ToolError):
    """The product guard refused the call (a product we do not write)."""

    kind = "guard_rejected"


class QueryRejected(ToolError):
    """The SQL sandbox refused a statement."""

    kind = "query_rejected"


class ToolTimeout(ToolError):
    kind = "timeout"

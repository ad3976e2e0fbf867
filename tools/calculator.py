"""A safe calculator: arithmetic on numbers only, no ``eval``.

The expression is parsed with ``ast`` and walked over a whitelist of nodes; numbers become ``Decimal`` so money
adds up exactly ("0.1 + 0.2" is 0.3). Exponents, number sizes, expression length and time are bounded.

Semantics (the contract the tests hold):

- ``%`` right after a number is a **percent**: ``3.5%`` is 0.035, ``4.5M * 3%`` is 135000. The remainder is
  ``mod``: ``10 mod 3`` is 1 (Decimal semantics: the sign follows the dividend, ``-7 mod 3`` is -1). ``10 % 3``
  (a percent sign between two operands) is ambiguous and refused with a hint naming both forms.
- ``round(x, n)`` rounds half-even to ``n`` places, ``n`` a whole number from -12 to 12 (``round(x)``: n = 0);
  anything else is refused. Results stay within ±1e30.
- Only numbers: ``true``/``false``, names, strings and calls other than round/abs/min/max are refused; a JSON
  boolean never stands for a number anywhere at the tool boundary.
"""

from __future__ import annotations

import ast
import operator
import re
import time
from collections.abc import Callable
from decimal import Decimal, DivisionByZero, InvalidOperation, localcontext
from typing import Annotated

from pydantic import Field

from tools.context import ToolContext
from tools.errors import InvalidArgument
from tools.spec import tool

MAX_CHARS = 300
MAX_EXPONENT = 100
MAX_MAGNITUDE = Decimal(10) ** 30
MAX_NODES = 200
MAX_PLACES = 12
TIME_LIMIT_S = 0.2
BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
UNARY: dict[type, Callable[[Decimal], Decimal]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
FUNCS = {"round": 2, "abs": 1, "min": None, "max": None}
HINT = "use numbers, + - * / // ** ( ), 'mod' for a remainder, '%' after a number for a percent (3.5%), and round(x, n), abs(x), min(...), max(...); '$', ',' and 'M'/'k' suffixes are read as money"
AMBIGUOUS_PERCENT = re.compile(r"(?:\d|\))\s*%\s*[\d.(]")


def _prepare(expression: str) -> str:
    """Accept money as people write it: $4.5M, 1,200,000, 750k, 3.5%; 'mod' is the remainder."""
    if AMBIGUOUS_PERCENT.search(expression):
        raise InvalidArgument(
            f"'%' between two operands is ambiguous in {expression!r}",
            "write 'mod' for a remainder (10 mod 3) or put the percent on its number (10 * 3%)",
        )
    text = expression.replace("$", "")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*[mM]\b", r"(\1*1000000)", text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*[kK]\b", r"(\1*1000)", text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*%", r"(\1/100)", text)
    if "%" in text:
        raise InvalidArgument("'%' must follow a number (a percent, e.g. 3.5%)", HINT)
    return re.sub(r"\bmod\b", "%", text, flags=re.I)


def evaluate(expression: str) -> Decimal:
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidArgument("expression is empty", HINT)
    if len(expression) > MAX_CHARS:
        raise InvalidArgument(f"expression is longer than {MAX_CHARS} characters", HINT)
    try:
        tree = ast.parse(_prepare(expression), mode="eval")
    except SyntaxError:
        raise InvalidArgument(f"cannot parse {expression!r}", HINT) from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise InvalidArgument("expression is too complex", HINT)
    deadline = time.monotonic() + TIME_LIMIT_S

    def ev(node) -> Decimal:
        if time.monotonic() > deadline:
            raise InvalidArgument(f"calculation took longer than {TIME_LIMIT_S} s", HINT)
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            value = Decimal(str(node.value))
        elif isinstance(node, ast.BinOp) and type(node.op) in BINARY:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and (
                abs(right) > MAX_EXPONENT or (abs(left) > 1 and abs(right) * max(len(str(int(abs(left)))), 1) > 60)
            ):
                raise InvalidArgument(f"exponent too large (limit {MAX_EXPONENT}, results below 1e30)", HINT)
            try:
                value = BINARY[type(node.op)](left, right)
            except (DivisionByZero, ZeroDivisionError):
                raise InvalidArgument("division by zero") from None
            except InvalidOperation:
                raise InvalidArgument(
                    "the calculation is undefined (e.g. 0/0 or a fractional power of a negative number)"
                ) from None
        elif isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
            value = UNARY[type(node.op)](ev(node.operand))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FUNCS
            and not node.keywords
        ):
            args = [ev(a) for a in node.args]
            name, arity = node.func.id, FUNCS[node.func.id]
            if (arity and len(args) > arity) or not args:
                raise InvalidArgument(f"{name}() got {len(args)} arguments", HINT)
            if name == "round":
                places = args[1] if len(args) > 1 else Decimal(0)
                if places != places.to_integral_value() or abs(places) > MAX_PLACES:
                    raise InvalidArgument(
                        f"round()'s places must be a whole number from -{MAX_PLACES} to {MAX_PLACES}, got {_plain(places)}",
                        HINT,
                    )
                with localcontext() as wide:
                    wide.prec = 80  # 1e30 to 12 places needs 43 digits
                    value = args[0].quantize(Decimal(1).scaleb(-int(places)))
            else:
                pick: dict[str, Callable[[list[Decimal]], Decimal]] = {
                    "abs": lambda a: abs(a[0]),
                    "min": min,
                    "max": max,
                }
                value = pick[name](args)
        else:
            raise InvalidArgument(f"{type(node).__name__} is not allowed in a calculation", HINT)
        if value.is_nan() or abs(value) > MAX_MAGNITUDE:
            raise InvalidArgument("number out of range (limit 1e30)", HINT)
        return value

    with localcontext() as ctx:
        ctx.prec = 40
        return ev(tree)


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@tool
def calculate(ctx: ToolContext, expression: Annotated[str, Field(max_length=MAX_CHARS)]) -> dict:
    """Evaluate arithmetic exactly (decimal, no rounding surprises), e.g. "4.5M / 32" or "(1720000 + 250000) * 1.03".

    Use it instead of doing sums in your head. Money may be written with $, commas and k/M suffixes.

    Args:
        expression: the arithmetic to evaluate
    """
    value = evaluate(expression)
    return {"expression": expression, "result": _plain(value)}

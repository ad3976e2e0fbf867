from decimal import Decimal

import pytest

from tools.calculator import evaluate
from tools.errors import InvalidArgument


@pytest.mark.parametrize(
    "expr,expected",
    [
        ("0.1 + 0.2", "0.3"),
        ("4.5M / 3", "1500000"),
        ("$1,720,000 + 250k", "1970000"),
        ("(1720000 + 250000) * 1.03", "2029100.00"),
        ("round(10 / 3, 2)", "3.33"),
        ("max(3, 7, 5) - min(2, 4)", "5"),
        ("2 ** 10", "1024"),
        ("-5 + abs(-2)", "-3"),
        ("5%", "0.05"),
    ],
)
def test_exact_arithmetic(expr, expected):
    assert evaluate(expr) == Decimal(expected)


@pytest.mark.parametrize(
    "expr",
    [
        "9**9**9",
        "10 ** 1000",
        "__import__('os').system('true')",
        "(1).__class__",
        "open('/etc/passwd')",
        "[1, 2, 3]",
        "lambda: 1",
        "x + 1",
        "1 / 0",
        "'a' * 10",
        "9" * 400,
        "10 ** 29 * 10 ** 29",
        "",
    ],
)
def test_unsafe_or_absurd_input_is_refused(expr):
    with pytest.raises(InvalidArgument) as err:
        evaluate(expr)
    assert err.value.message


def test_calculate_tool_through_the_boundary(call):
    ok = call("calculate", {"expression": "4500000 / 32"})
    assert ok.ok and ok.result["result"] == "140625"
    bad = call("calculate", {"expression": "__import__('os')"})
    assert not bad.ok and "round" in bad.result["hint"]


@pytest.mark.parametrize(
    "expression,expected",
    [
        ("10 mod 3", "1"),
        ("-7 mod 3", "-1"),  # Decimal semantics: the sign follows the dividend
        ("3.5%", "0.035"),
        ("4.5M * 3%", "135000"),
        ("100 * (5%)", "5"),
        ("round(1e29, 12)", "100000000000000000000000000000"),
        ("round(2.5)", "2"),  # half-even
        ("round(1234.5678, -2)", "1.2E+3"),
    ],
)
def test_documented_semantics(call, expression, expected):
    event = call("calculate", {"expression": expression})
    assert event.ok, event.result
    assert Decimal(event.result["result"]) == Decimal(expected)


@pytest.mark.parametrize(
    "expression,hint",
    [
        ("10 % 3", "mod"),
        ("3 % (2)", "mod"),
        ("(1 + 2)%", "percent"),
        ("round(3.14159, 2.5)", "round"),
        ("round(1, 13)", "round"),
        ("round(1, -13)", "round"),
        ("true", "numbers"),
        ("True + 1", "numbers"),
    ],
)
def test_refused_forms_say_what_to_write(call, expression, hint):
    event = call("calculate", {"expression": expression})
    assert not event.ok and event.error_kind == "invalid_argument"
    assert hint in (event.result["error"] + event.result.get("hint", ""))


@pytest.mark.parametrize(
    "tool,args",
    [
        ("calculate", {"expression": True}),
        ("check_small_business", {"naics": "722511", "annual_revenue": True}),
        ("check_appetite", {"naics": "722511", "state": "TX", "lob": "auto", "vehicles": False}),
        ("record_finding", {"task_type": "deductible", "summary": "x", "citations": [], "deductible": True}),
    ],
)
def test_booleans_are_not_numbers_anywhere(call, tool, args):
    event = call(tool, args)
    assert not event.ok and event.error_kind == "invalid_argument" and "true/false" in event.result["error"]

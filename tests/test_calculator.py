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

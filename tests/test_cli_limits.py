"""Every CLI input is bounded and readable: binary files and stdin, deep nesting, invalid hosts, big arguments.

Each failure is one line on stderr and exit code 2; never a traceback."""

from __future__ import annotations

import io
import json
import os
import sys

import pytest

from app.cli import main as uwc

BINARY = bytes(range(256)) * 8


def one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "--tasks", "{bin}"],
        ["guard", "scan", "{bin}"],
        ["replay", "{bin}"],
        ["eval", "--import-snorkel", "{bin}", "--out", "{tmp}/out.jsonl"],
        ["tool", "calculate", "--args-file", "{bin}"],
    ],
)
def test_binary_files_are_one_line_and_exit_2(tmp_path, seeded, capsys, argv):
    binary = tmp_path / "blob.bin"
    binary.write_bytes(BINARY)
    argv = [a.format(bin=binary, tmp=tmp_path) for a in argv] + ["--data-dir", str(seeded["dir"])]
    assert uwc(argv) == 2
    line = one_line(capsys.readouterr().err)
    assert (
        "UTF-8" in line or "not JSON" in line or "not valid JSON" in line
    )  # bytes 0-9 are valid UTF-8: then the JSON is what fails
    assert str(binary) in line or "stdin" in line or "input" in line  # the path is shown, not redacted


def test_binary_stdin_to_chat_is_one_line(tmp_path, seeded, capsys, monkeypatch):
    import shutil

    data = tmp_path / "var"
    shutil.copytree(seeded["dir"], data)
    stdin = io.TextIOWrapper(io.BytesIO(BINARY), encoding="utf-8", errors="strict")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert uwc(["chat", "--data-dir", str(data)]) == 2
    assert "UTF-8" in one_line(capsys.readouterr().err)


def test_a_huge_chat_line_is_skipped_and_the_next_one_is_sent(tmp_path, seeded, capsys, monkeypatch):
    import shutil

    data = tmp_path / "var"
    shutil.copytree(seeded["dir"], data)
    stdin = io.TextIOWrapper(io.BytesIO(b"x" * 3_000_000 + b"\nwhat is NAICS 722511?\n"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert uwc(["chat", "--data-dir", str(data)]) == 0
    out = capsys.readouterr()
    assert "message not sent" in out.out + out.err and "722511" in out.out


def test_a_huge_line_is_never_held_whole():
    """30 MB on one line of a pipe: skipped in bounded reads, the peak stays near the limit."""
    import tracemalloc

    from app.cli import MAX_LINE_BYTES, LineTooLong, _read_line

    src = io.BytesIO(b"x" * 30_000_000 + b"\nnext\n")
    tracemalloc.start()
    try:
        with pytest.raises(LineTooLong):
            _read_line(src, MAX_LINE_BYTES)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 * 2**20, f"{peak / 2**20:.1f} MB"
    assert _read_line(src, MAX_LINE_BYTES) == "next"


def test_deep_nesting_is_refused(seeded, capsys):
    deep = '{"a":' * 1000 + "1" + "}" * 1000
    assert uwc(["tool", "calculate", "--args", deep, "--data-dir", str(seeded["dir"])]) == 2
    assert "deeper" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("host", ["999.1.1.1", "bad host", "-x", "1.2.3", ""])
def test_invalid_hosts_are_refused(seeded, capsys, host):
    assert uwc(["serve", f"--host={host}", "--data-dir", str(seeded["dir"])]) == 2
    assert "--host" in one_line(capsys.readouterr().err)


def test_valid_hosts_pass_the_check():
    from app.cli import check_host

    for host in ("127.0.0.1", "0.0.0.0", "::1", "localhost", "copilot.internal"):
        check_host(host)


def test_args_file_and_stdin(tmp_path, seeded, capsys, monkeypatch):
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"expression": "1+" * 100_000 + "1"}))  # 200 KB: too long for --args in a shell
    assert uwc(["tool", "calculate", "--args-file", str(big), "--compact", "--data-dir", str(seeded["dir"])]) == 2
    assert "the limit is 6,000" in json.loads(capsys.readouterr().out)["error"]  # the boundary's limit, readable
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"expression": "2 * 21"}'), encoding="utf-8"))
    assert uwc(["tool", "calculate", "--args-file", "-", "--compact", "--data-dir", str(seeded["dir"])]) == 0
    assert json.loads(capsys.readouterr().out)["result"] == "42"


def test_args_over_the_limit_are_refused(tmp_path, seeded, capsys):
    from app.cli import MAX_ARGS_BYTES

    big = tmp_path / "huge.json"
    big.write_text('{"expression": "' + "1" * (MAX_ARGS_BYTES + 10) + '"}')
    assert uwc(["tool", "calculate", "--args-file", str(big), "--data-dir", str(seeded["dir"])]) == 2
    assert "bytes" in one_line(capsys.readouterr().err)


def test_guard_scan_streams_stdin_and_refuses_oversized_texts(tmp_path, seeded, capsys, monkeypatch):
    lines = b'{"id": 1, "text": "Add umbrella."}\n\n{"id": 2, "text": "GL only."}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines), encoding="utf-8"))
    assert uwc(["guard", "scan", "-", "--data-dir", str(seeded["dir"])]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out == [{"id": 1, "invented_products": ["umbrella"]}, {"id": 2, "invented_products": []}]
    from app.cli import MAX_SCAN_CHARS

    src = tmp_path / "big.jsonl"
    src.write_text(json.dumps({"id": 1, "text": "x" * (MAX_SCAN_CHARS + 1)}) + "\n")
    assert uwc(["guard", "scan", str(src), "--data-dir", str(seeded["dir"])]) == 2
    assert "line 1" in one_line(capsys.readouterr().err)


def test_lines_pasted_with_the_typed_one_are_one_message(monkeypatch):
    """At the terminal prompt, a pasted e-mail's lines are already waiting when the first is read: one message."""
    from app.cli import _with_pasted_lines

    read, write = os.pipe()
    with os.fdopen(write, "w") as w:
        w.write("Insured: Acme Bakery LLC\nTel (614) 555-0199\n")
    with os.fdopen(read) as r:
        monkeypatch.setattr("sys.stdin", r)
        assert _with_pasted_lines("Fwd: new sub") == "Fwd: new sub\nInsured: Acme Bakery LLC\nTel (614) 555-0199"
    monkeypatch.setattr("sys.stdin", io.StringIO("next\n"))  # no select on it: the typed line alone
    assert _with_pasted_lines("gl for a bakery?") == "gl for a bakery?"

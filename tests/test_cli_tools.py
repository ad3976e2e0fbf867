"""`uwc tool`: the same boundary as the agent, from the shell."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.cli import main as uwc


def test_tool_list_prints_name_description_schema(capsys):
    assert uwc(["tool", "--list"]) == 0
    tools = {t["name"]: t for t in map(json.loads, capsys.readouterr().out.splitlines())}
    assert {
        "run_sql",
        "list_tables",
        "describe_table",
        "search_guidelines",
        "get_guideline_section",
        "calculate",
        "classify_business",
        "get_naics",
        "check_small_business",
        "check_appetite",
        "recommend_lobs",
        "get_limits",
        "get_deductible",
        "find_applicant",
    } <= set(tools)
    appetite = tools["check_appetite"]
    assert set(appetite["parameters"]["required"]) == {"naics", "state", "lob"}
    assert "construction" in appetite["parameters"]["properties"]
    assert appetite["parameters"]["properties"]["vehicles"]["description"] == "number of vehicles"
    assert "Args:" not in appetite["description"]


def test_tool_call_success_and_rejection(seeded_db, capsys):
    args = json.dumps({"naics": "484121", "lob": "auto"})
    assert uwc(["tool", "get_deductible", "--args", args, "--data-dir", str(seeded_db["dir"])]) == 0
    assert json.loads(capsys.readouterr().out)["deductible"] == 5000
    bad = json.dumps({"naics": "484121", "lob": "umbrella"})
    assert uwc(["tool", "get_deductible", "--args", bad, "--data-dir", str(seeded_db["dir"])]) == 2
    err = json.loads(capsys.readouterr().out)
    assert "not a product we write" in err["error"] and "cyber" in err["hint"]
    assert uwc(["tool", "get_deductible", "--args", "{not json", "--data-dir", str(seeded_db["dir"])]) == 2
    assert "error" in json.loads(capsys.readouterr().out)


def test_tool_without_database_is_one_line(tmp_path, capsys):
    assert uwc(["tool", "get_limits", "--args", "{}", "--data-dir", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert "uwc seed" in err and "Traceback" not in err


@pytest.mark.slow  # a fresh interpreter imports the whole stack
def test_uwc_console_script_runs_in_a_subprocess(seeded_db):
    """The installed entry point, as a user runs it (also proves no network is needed at import)."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "tool",
            "calculate",
            "--args",
            '{"expression": "2+2"}',
            "--data-dir",
            str(seeded_db["dir"]),
            "--compact",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["result"] == "4"

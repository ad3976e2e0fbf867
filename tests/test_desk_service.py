"""The desk service's small helpers the Desk page leans on: safe download names, the score explained, who sees the
whole desk, how many rows are still triaging."""

from __future__ import annotations

import pytest

from desk.service import DeskRow, download_name, score_explained, sees_whole_desk, working
from desk.submission import Submission

SHA = "ab" * 32


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("application.pdf", "application.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\letter.pdf", "letter.pdf"),
        ('a"b;\r\nContent-Type: text/html.eml', "html.eml"),
        ("report\u202egpj.exe", "report_gpj.exe"),
        ("...", "submission-file-abababababab"),
        ("", "submission-file-abababababab"),
        ("x" * 300 + ".pdf", "x" * 110 + ".pdf"),
        ("y" * 300, "y" * 120),
    ],
)
def test_download_names_are_safe(name, safe):
    assert download_name(name, SHA) == safe


def row(status: str, result: dict | None = None, age: float = 0.0) -> DeskRow:
    sub = Submission(id="sub-1", received_at="2026-01-01T00:00:00+00:00", kind="text", files=(), text=(), facts=())
    return DeskRow(sub, status, "", result, None, None, age, 0.0)


def test_the_score_is_explained_part_by_part_with_its_weight():
    result = {"score": {"total": 0.7, "parts": {"appetite_fit": 1.0, "completeness": 0.5, "size": 0.25}}}
    assert score_explained(row("ready", result, age=2.5)) == [
        ("Appetite fit", 1.0, 0.4),
        ("Completeness", 0.5, 0.2),
        ("Size", 0.25, 0.2),
        ("Age", 0.5, 0.2),
    ]


def test_who_sees_the_whole_desk_and_what_is_still_triaging():
    assert sees_whole_desk(False, "senior") and sees_whole_desk(False, "admin") and sees_whole_desk(True, "junior")
    assert not sees_whole_desk(False, "junior")
    assert working([row("new"), row("triaging"), row("ready"), row("failed")]) == 2

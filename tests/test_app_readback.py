"""The chat page reads each message back and lays every finding out (issue 23): the "Reading:" chips that pre-fill a
correction, one card per finding of a turn, follow-up chips that skip what the turn answered. Run with AppTest
over the seeded data and the offline rules model."""

from __future__ import annotations

import pytest

from tests.rendered import plain
from tests.test_app import checked, markdown, run, send

pytestmark = pytest.mark.integration


@pytest.fixture
def data_dir(seeded_data_dir):
    return seeded_data_dir


def _reading_chips(at) -> list:
    return [b for b in at.button if (b.key or "").startswith("read-")]


def test_a_message_is_read_back_and_a_reading_is_corrected_in_one_click(data_dir):
    at = run()
    send(at, "Is NAICS 238160 small? They have 14 employees and revenue of 3M, in Texas")
    chips = _reading_chips(at)
    labels = [plain(c.label) for c in chips]
    assert "14 employees" in labels and "revenue $3.0M" in labels and "TX" in labels
    panel = "\n".join(m.value for m in at.markdown if "**Employees**" in m.value)
    assert "14" in panel  # the facts panel shows what the message said
    chip = next(c for c in chips if plain(c.label) == "14 employees")
    checked(chip.click().run())
    assert at.chat_input[0].value == "correction: employees is 14"  # pre-filled, for the underwriter to change


def test_two_findings_in_a_turn_are_two_cards_and_follow_ups_skip_them(data_dir):
    at = run()
    send(at, "What limits and what deductible for commercial auto on NAICS 484121?")
    text = markdown(at)
    assert "**Finding** · Policy limits" in text and "**Finding** · Deductible" in text
    answer = next(m.value for m in at.markdown if "Sources:" in m.value)
    assert answer.startswith("**\\$1,000,000 per occurrence") and "\n\n**\\$5,000 deductible" in answer
    follow = [b.label for b in at.button if (b.key or "").startswith("follow-")]
    assert follow and not {"What limits should we offer?", "What deductible should we offer?"} & set(follow)

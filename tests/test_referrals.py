"""Authority, referrals and overrides: a determination beyond a junior's authority waits, durably, for a senior.

Expected outcomes come from the authority table read here by hand (``insurer.yaml``), not from the code under test.
"""

from __future__ import annotations

import threading

import pytest
import yaml

from core.settings import Settings, get_settings
from graph.copilot import Copilot
from graph.refer import override
from graph.referrals import AlreadyDecided, NotAllowed, ReferralError
from seed_db.authority import DATA_FILE, check_authority, load_authority, role_of
from tests.pg import pg_seeded  # noqa: F401

AUTHORITY = yaml.safe_load(DATA_FILE.read_text())["authority"]
RULE_IDS = {r["id"] for r in AUTHORITY["rules"]}


def _ids(check) -> set[str]:
    return {t.rule for t in check.triggers}


@pytest.mark.parametrize(
    ("finding", "facts", "expected"),
    [
        ({"task_type": "appetite", "appetite": "yes"}, {"lob": "general_liability", "annual_revenue": 2e6}, set()),
        ({"task_type": "appetite", "appetite": "qualified"}, {"lob": "auto"}, {"qualified-verdict"}),
        ({"task_type": "appetite", "appetite": "no"}, {"lob": "auto"}, set()),  # a new applicant's decline
        ({"task_type": "appetite", "appetite": "no"}, {"lob": "auto", "renewal": True}, {"renewal-decline"}),
        (
            {"task_type": "appetite", "appetite": "yes"},
            {"lob": "cyber", "annual_revenue": 10_000_001},
            {"revenue-over-authority"},
        ),
        ({"task_type": "appetite", "appetite": "yes"}, {"lob": "cyber", "annual_revenue": 10_000_000}, set()),
        (
            {"task_type": "appetite", "appetite": "yes"},
            {"lob": "property", "total_insured_value": 12e6},
            {"tiv-over-authority"},
        ),
        (
            {"task_type": "appetite", "appetite": "yes", "naics": "721110"},
            {"lob": "property"},
            {"hospitality-property"},
        ),
        ({"task_type": "appetite", "appetite": "no", "naics": "721110"}, {"lob": "property"}, set()),
        (
            {"task_type": "product_recommendation", "lobs": ["auto", "property"], "naics": "722511"},
            {},
            {"hospitality-property"},
        ),
        # the size test cannot run: referred for that reason, not as a Qualified verdict (referral-triggers)
        (
            {
                "task_type": "appetite",
                "appetite": "qualified",
                "citations": ["size-standards-exceptions", "referral-triggers"],
            },
            {"lob": "cyber"},
            {"no-size-standard"},
        ),
        (
            {"task_type": "appetite", "appetite": "qualified", "citations": ["size-standards", "referral-triggers"]},
            {"lob": "general_liability"},
            {"assets-unknown"},
        ),
        # facts that contradict each other: 300 people on a $200,000 payroll (referral-triggers)
        (
            {"task_type": "appetite", "appetite": "yes"},
            {"employees": 300, "annual_payroll": 200_000},
            {"facts-contradict"},
        ),
        ({"task_type": "appetite", "appetite": "yes"}, {"employees": 30, "annual_payroll": 200_000}, set()),
        ({"task_type": "appetite", "appetite": "yes"}, {"employees": 0, "annual_payroll": 200_000}, set()),
        # lookups are a junior's to make whatever the figures
        ({"task_type": "policy_limits", "per_occurrence": 1, "aggregate": 2}, {"annual_revenue": 9e9}, set()),
        ({"task_type": "classification", "naics": "721110"}, {"lob": "property"}, set()),
    ],
)
def test_a_junior_refers_what_the_table_says(finding, facts, expected):
    assert expected <= RULE_IDS
    assert _ids(check_authority(load_authority(), finding, facts, "junior")) == expected


@pytest.mark.parametrize("role", ["senior", "admin"])
def test_seniors_decide_everything(role):
    finding = {"task_type": "appetite", "appetite": "qualified", "naics": "721110"}
    assert check_authority(load_authority(), finding, {"lob": "property", "annual_revenue": 9e9}, role).within


@pytest.mark.parametrize(
    ("given", "role"), [("user", "junior"), ("", "junior"), ("Senior", "senior"), ("root", "junior")]
)
def test_unknown_roles_have_the_least_authority(given, role):
    assert role_of(given) == role


def test_the_authority_table_names_only_real_sections_and_codes():
    from seed_db.build import load_seed_data

    load_seed_data()  # validate_references checks every section, line and code an authority rule names


@pytest.fixture
def cp(seeded, toolkit, tmp_path):
    copilot = Copilot(get_settings(data_dir=tmp_path), toolkit=toolkit)
    yield copilot
    copilot.close()


QUALIFIED = ("Is NAICS 722511 in Texas in appetite for property? revenue 3M", "no idea on construction")


def _referred(cp, *texts):
    tid = cp.new_thread().id
    results = [cp.send(tid, t) for t in texts]
    refs = [r for res in results for r in res.referrals]
    return tid, results, refs


def test_a_qualified_verdict_by_a_junior_is_referred_with_a_memo(cp):
    tid, results, refs = _referred(cp, *QUALIFIED)
    assert results[-1].finding["appetite"] == "qualified"
    (ref,) = refs
    assert (ref.status, ref.requested_by, ref.requested_role, ref.thread_id) == ("pending", "local", "junior", tid)
    memo = ref.memo
    assert len(memo["case"]) == 5
    assert {t["rule"] for t in memo["triggers"]} == {"qualified-verdict", "hospitality-property"}
    assert {f["fact"]: f["value"] for f in memo["facts"]}["annual_revenue"] == 3_000_000
    assert all(f["source"] for f in memo["facts"])
    assert any(r["section"] == "property-qualified" for r in memo["rules"])
    assert memo["missing"] == ["the building's construction"]
    last = cp.history(tid)[-1]
    assert (last["kind"], last["referral_id"]) == ("referral", ref.id)
    assert "[authority-levels]" in last["content"]
    assert results[-1].referral_lines == [last["content"]]  # what uwc chat prints: the line the conversation got
    assert cp.referrals.waiting_on(ref.id) == ("senior",)


def test_within_authority_nothing_is_referred(cp):
    _, results, refs = _referred(
        cp, "Is NAICS 722511 in Texas in appetite for general liability? revenue 3M, 20 employees"
    )
    assert results[-1].finding["appetite"] == "yes" and refs == []
    senior = cp.as_user(None, name="sam", role="senior")
    _, results, refs = _referred(senior, *QUALIFIED)
    assert results[-1].finding["appetite"] == "qualified" and refs == []


def test_who_may_decide_and_only_once(cp):
    tid, _, (ref,) = _referred(cp, *QUALIFIED)
    with pytest.raises(NotAllowed, match="junior"):
        cp.referrals.decide(ref.id, "approve", user="jo", role="junior", note=None)
    with pytest.raises(NotAllowed, match="own referral"):
        cp.referrals.decide(ref.id, "approve", user="local", role="senior", note=None)
    with pytest.raises(ReferralError, match="reason"):
        cp.referrals.decide(ref.id, "decline", user="sam", role="senior", note="  ")
    with pytest.raises(ReferralError, match="one of"):
        cp.referrals.decide(ref.id, "rubber-stamp", user="sam", role="senior", note=None)
    assert cp.referrals.store.get(ref.id).status == "pending"
    done = cp.referrals.decide(ref.id, "approve", user="sam", role="senior", note="Masonry on file.")
    assert (done.status, done.decided_by, done.decided_role) == ("approved", "sam", "senior")
    for action in ("approve", "decline", "return"):
        with pytest.raises(AlreadyDecided, match="already approved by sam"):
            cp.referrals.decide(ref.id, action, user="tess", role="admin", note="again")
    told = [m for m in cp.history(tid) if m.get("kind") == "referral_decision"]
    assert len(told) == 1 and "approved by sam: Masonry on file." in told[0]["content"]
    assert cp.referrals.waiting_on(ref.id) == ()


def test_return_with_a_question_goes_round_until_decided(cp):
    tid, _, (ref,) = _referred(cp, *QUALIFIED)
    cp.referrals.decide(ref.id, "return", user="sam", role="senior", note="What is the building made of?")
    assert cp.referrals.waiting_on(ref.id) == ("junior",)
    with pytest.raises(AlreadyDecided, match="waiting for the underwriter"):
        cp.referrals.decide(ref.id, "approve", user="sam", role="senior", note=None)
    with pytest.raises(NotAllowed):
        cp.referrals.answer(ref.id, user="someone-else", text="brick")
    back = cp.referrals.answer(ref.id, user="local", text="Masonry, built 1990.")
    assert (back.status, back.reply) == ("pending", "Masonry, built 1990.")
    assert cp.referrals.waiting_on(ref.id) == ("senior",)
    assert cp.referrals.decide(ref.id, "decline", user="sam", role="senior", note="Roof too old.").status == "declined"
    lines = [m["content"] for m in cp.history(tid) if m.get("kind") == "referral_decision"]
    assert len(lines) == 2 and "What is the building made of?" in lines[0] and "declined by sam" in lines[1]


def test_two_seniors_at_once_one_decision_wins(cp):
    _, _, (ref,) = _referred(cp, *QUALIFIED)
    outcomes: list[str] = []
    gate = threading.Barrier(4)

    def decide(name: str, action: str) -> None:
        gate.wait()
        try:
            outcomes.append(cp.referrals.decide(ref.id, action, user=name, role="senior", note="n").status)
        except AlreadyDecided:
            outcomes.append("refused")

    threads = [threading.Thread(target=decide, args=(f"s{i}", a)) for i, a in enumerate(["approve", "decline"] * 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes).count("refused") == 3, outcomes
    assert cp.referrals.store.get(ref.id).status in ("approved", "declined")


def test_the_wait_survives_a_restart(seeded, toolkit, tmp_path):
    first = Copilot(get_settings(data_dir=tmp_path), toolkit=toolkit)
    tid, _, (ref,) = _referred(first, *QUALIFIED)
    first.close()
    second = Copilot(get_settings(data_dir=tmp_path), toolkit=toolkit)  # another process, another day
    try:
        assert second.referrals.waiting_on(ref.id) == ("senior",)
        assert second.referrals.decide(ref.id, "approve", user="sam", role="senior", note=None).status == "approved"
        assert any(m.get("kind") == "referral_decision" for m in second.history(tid))
    finally:
        second.close()


def test_a_decision_the_conversation_missed_is_told_later(cp, monkeypatch):
    tid, _, (ref,) = _referred(cp, *QUALIFIED)

    def busy(*a, **k):
        raise RuntimeError("the conversation is busy")

    monkeypatch.setattr(cp, "post", busy)
    assert cp.referrals.decide(ref.id, "approve", user="sam", role="senior", note=None).status == "approved"
    assert cp.referrals.waiting_on(ref.id) == ("close",)  # the decision stands; the telling is due
    monkeypatch.undo()
    assert cp.referrals.finish_stalled() == 1
    assert cp.referrals.waiting_on(ref.id) == ()
    assert sum(m.get("kind") == "referral_decision" for m in cp.history(tid)) == 1
    assert cp.referrals.finish_stalled() == 0


def test_an_override_is_kept_beside_the_determination_and_needs_a_senior(cp):
    tid, results, (ref,) = _referred(cp, *QUALIFIED)
    answer = results[-1]
    with pytest.raises(ValueError, match="reason"):
        override(cp, tid, answer.message_id, verdict="no", reason=" ", user="local", role="junior")
    oref = override(cp, tid, answer.message_id, verdict="no", reason="Frame building.", user="local", role="junior")
    assert oref is not None and (oref.kind, oref.status) == ("override", "pending")
    assert oref.memo["override"] == {"verdict": "no", "reason": "Frame building."}
    assert any(t["rule"] == "override" for t in oref.memo["triggers"])
    kept = next(m for m in cp.history(tid) if m.get("id") == answer.message_id)
    assert kept["finding"]["appetite"] == "qualified"  # never replaced
    senior = override(cp, tid, answer.message_id, verdict="yes", reason="Sprinklered.", user="sam", role="senior")
    assert senior is None
    assert cp.history(tid)[-1]["kind"] == "override"


def test_referrals_on_postgresql(pg_seeded, tmp_path):  # noqa: F811
    cp = Copilot(Settings(data_dir=tmp_path, database_url=pg_seeded["url"]))
    try:
        _, _, (ref,) = _referred(cp, *QUALIFIED)
        assert cp.referrals.waiting_on(ref.id) == ("senior",)
        assert cp.referrals.decide(ref.id, "approve", user="sam", role="senior", note=None).status == "approved"
        assert ref.id in {r.id for r in cp.referrals.store.list(status=("approved",))}
    finally:
        cp.close()


def test_an_llm_determination_is_referred_the_same_way(seeded, toolkit, tmp_path):
    from langchain_core.messages import AIMessage

    from tests.fakes import ScriptedModel, tool_call, tool_results

    facts = {"naics": "484121", "state": "TX", "lob": "auto", "annual_revenue": 4_000_000, "renewal": True}

    def decide(messages):
        done = len(tool_results(messages))
        if done == 0:
            return tool_call("check_appetite", {k: v for k, v in facts.items() if k != "renewal"} | {"vehicles": 30})
        if done == 1:
            args = {"task_type": "appetite", "appetite": "no", "summary": "No: 30 vehicles.", "citations": []}
            return tool_call("record_finding", args | {"facts": facts}, 2)
        return AIMessage("No — 30 vehicles is over the auto limit of 20. [auto-qualified]")

    llm = Copilot(get_settings(data_dir=tmp_path), model=ScriptedModel(decide), toolkit=toolkit)
    try:
        _, results, (ref,) = _referred(llm, "Renewal: is this trucker still in appetite for auto?")
        assert results[-1].finding["appetite"] == "no"
        assert [t["rule"] for t in ref.memo["triggers"]] == ["renewal-decline"]
    finally:
        llm.close()


def test_a_decision_is_taken_only_with_its_record(cp, monkeypatch):
    _, _, (ref,) = _referred(cp, *QUALIFIED)

    def store_down(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(cp.records, "append", store_down)
    with pytest.raises(ReferralError, match="could not be recorded"):
        cp.referrals.decide(ref.id, "approve", user="sam", role="senior", note="ok")
    back = cp.referrals.store.get(ref.id)
    assert (back.status, back.decided_by) == ("pending", None) and cp.referrals.waiting_on(ref.id) == ("senior",)
    monkeypatch.undo()
    assert cp.referrals.decide(ref.id, "approve", user="sam", role="senior", note="ok").status == "approved"


def test_the_same_question_asked_again_names_the_open_referral(cp):
    tid, results, refs = _referred(cp, *QUALIFIED)
    (ref,) = refs
    again = cp.send(tid, "and property again with revenue 3.2M? construction still unknown")  # the same question
    assert again.finding is not None and again.finding["appetite"] == "qualified"
    assert again.referrals == [] and any(ref.id in line for line in again.referral_lines)
    assert [r.id for r in cp.referrals.store.list(thread_id=tid)] == [ref.id]


@pytest.mark.parametrize(
    ("opening", "referred"),
    [
        ("renewing client: local trucking co in TX, naics 484110, 30 trucks, rev 6M. auto ok?", True),
        ("local trucking co in TX up for renewal, naics 484110, 30 trucks, rev 6M. auto ok?", True),
        ("new business, not a renewal: local trucking co in TX, naics 484110, 30 trucks, rev 6M. auto ok?", False),
    ],
)
def test_a_junior_declining_a_client_said_to_renew_refers_it(cp, opening, referred):
    _, results, refs = _referred(cp, opening)
    assert results[-1].finding["appetite"] == "no"  # 30 vehicles: over auto-qualified's 20
    assert bool(refs) is referred
    if referred:
        assert "renewal-decline" in {t["rule"] for t in refs[0].memo["triggers"]}

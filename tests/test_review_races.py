"""Two reviewers acting on one 自評 at the same moment, on SQLite and PostgreSQL, each with a store of its own (as two
app servers would): both pass every check made before the write (a barrier lets them write only together); one
wins, the other is told in Chinese which state the 自評 is in now and who moved it, and the refusal is recorded."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from metrics.errors import InputError
from metrics.services.seeding import seed_store
from metrics.store import State, Store
from test_review import FILES, OWN, SYSTEM, make_review, sign_in, upload

WAIT = 60  # seconds: reached only when the code under test is wrong (a barrier never filled)

# (the steps done before, as the command line; each reviewer's (roles, step); the states either winner leaves)
RACES = [
    ("two reviewers pass", ("submit",), [(("reviewer",), "pass"), (("reviewer",), "pass")], {State.PASSED}),
    ("one passes, one returns", ("submit",), [(("reviewer",), "pass"), (("reviewer",), "return")],
     {State.PASSED, State.RETURNED}),
    ("two board members approve", ("submit", "pass"), [(("board",), "approve"), (("board",), "approve")],
     {State.APPROVED}),
    ("one approves, one returns", ("submit", "pass"), [(("board",), "approve"), (("board",), "return")],
     {State.APPROVED, State.RETURNED}),
    ("two submit at once", (), [(("reporter",), "submit"), (("reporter",), "submit")], {State.SUBMITTED}),
]
WORDS = {"pass": "初核自評", "return": "退回自評", "approve": "核定自評", "submit": "送出自評"}


def act(review, actor, step: str):
    match step:
        case "submit":
            return review.submit(actor, 112, OWN, "q1", "")
        case "pass":
            return review.pass_(actor, 112, OWN, "q1", "")
        case "return":
            return review.return_(actor, 112, OWN, "q1", "請修正")
        case "approve":
            return review.approve(actor, 112, OWN, "q1", "")
    raise AssertionError(step)


@pytest.mark.parametrize(("case", "before", "racers", "outcomes"), RACES, ids=[race[0] for race in RACES])
def test_concurrent_transitions_end_with_one_winner(store_url, case, before, racers, outcomes):
    with Store(store_url) as store:
        seed_store(store, FILES)
        review = make_review(store)
        upload(review, {1: "4", 2: "4", 3: "4"})
        for step in before:
            act(review, SYSTEM, step)
        for number, (roles, _) in enumerate(racers):
            sign_in(review, roles, name=f"racer{number}")
    both_writing = threading.Barrier(2, timeout=WAIT)

    def race(number: int) -> tuple[str, str]:
        roles, step = racers[number]
        with Store(store_url) as store:
            review = make_review(store)
            actor = sign_in(review, roles, name=f"racer{number}")
            write = store.transition_assessment

            def transition_assessment(*arguments, **keywords):
                both_writing.wait()
                return write(*arguments, **keywords)

            store.transition_assessment = transition_assessment
            try:
                act(review, actor, step)
            except InputError as refused:
                return actor.label, str(refused)
            return actor.label, "ok"

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(race, [0, 1]))
    winners = [label for label, answer in answers if answer == "ok"]
    losers = [(label, answer) for label, answer in answers if answer != "ok"]
    assert len(winners) == 1 and len(losers) == 1
    with Store(store_url) as store:
        stored = store.assessment(112, OWN, "q1")
        transitions = store.assessment_transitions(stored.id)
        rows = store.audit_log(limit=2)
    assert stored.state in outcomes
    assert transitions[-1].account == winners[0] and len(transitions) == len(before) + 1
    loser, message = losers[0]
    assert message.startswith(f"甲處 112 年度第一季的自評目前為「{stored.state.value}」")
    assert f"最近一次由 {winners[0]} 於 " in message
    assert sorted((row.account, row.outcome.value) for row in rows) == sorted([(winners[0], "允許"), (loser, "拒絕")])
    assert rows[0].account == loser and rows[0].detail == message

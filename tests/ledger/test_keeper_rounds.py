"""The keeper on Anvil with time jumps: every due item settled exactly once, in-process.

`due_story` leaves three items due and one not yet:

    oA  a lot in review since t0            -> release           (review ended t0 + 3 d)
    oB  nothing shipped                      -> refund_expired    (window closed t0 + 7 d + 5 d)
    oC  a lot disputed at t0                 -> resolve_expired   (arbitration ended t0 + 30 d)
    oD  a lot shipped at t0 + 30 d           -> nothing yet       (review ends t0 + 33 d)

and the chain's clock at t0 + 31 d.
"""

from __future__ import annotations

from collections import Counter

import pytest
from _ledger_support import make_keeper, make_sync, session_state_first  # noqa: F401
from conftest import DAY, LOT, h

from factorychain.keeper import Attempt


@pytest.fixture
def due_story(make_order, escrow, supplier, chain):
    t0 = chain.pending_timestamp
    o_a = make_order(stage="shipped", lot_quantity=600, quantity=600)
    o_b = make_order(quantity=300)
    o_c = make_order(stage="disputed", quantity=200)
    o_d = make_order(quantity=100, ship_in=40 * DAY)
    chain.pending_timestamp = t0 + 30 * DAY
    escrow.ship(o_d, 100, h("ASN-D"), sender=supplier)
    chain.pending_timestamp = t0 + 31 * DAY
    return {"a": o_a, "b": o_b, "c": o_c, "d": o_d, "t0": t0}


def settlements(make_sync, name: str) -> Counter:
    """Every settlement on chain, counted, from a fresh ledger."""
    sync = make_sync(name=name)
    sync.sync()
    found = Counter()
    for event in sync.ledger.events(contract="escrow"):
        if event.name in ("LotReleased", "DisputeResolved", "DeliveryConfirmed"):
            found[(event.name, event.args["order_id"], event.args["lot"])] += 1
        elif event.name == "OrderRefunded":
            found[(event.name, event.args["order_id"], 0)] += 1
    return found


def test_round__settles_every_due_item_once__and_a_second_round_changes_nothing(
    due_story, make_keeper, make_sync, escrow, chain, stranger
):
    s = due_story
    first = make_keeper().run_round()
    assert [(a.action.function, a.action.order_id, a.status) for a in first.attempts] == [
        ("release", s["a"], "sent"),
        ("refund_expired", s["b"], "sent"),
        ("resolve_expired", s["c"], "sent"),
    ]
    assert first.gas_used == sum(a.gas_used for a in first.attempts) > 0
    assert escrow.get_lot(s["a"], 1).status == LOT["COMPLETED"]
    assert escrow.get_order(s["b"]).units_refunded == 300
    assert escrow.get_lot(s["c"], 1).status == LOT["RESOLVED"]
    assert escrow.get_lot(s["d"], 1).status == LOT["SHIPPED"]

    balance = chain.provider.get_balance(escrow.address)
    keeper_balance = stranger.balance
    again = make_keeper().run_round()  # the same ledger file: a restarted keeper
    fresh = make_keeper(name="other").run_round()  # a keeper that never ran before
    assert again.attempts == [] and fresh.attempts == []
    assert chain.provider.get_balance(escrow.address) == balance and stranger.balance == keeper_balance
    assert settlements(make_sync, "audit") == Counter(
        {("LotReleased", s["a"], 1): 1, ("OrderRefunded", s["b"], 0): 1, ("DisputeResolved", s["c"], 1): 1}
    )


def test_round__review_end__to_the_second(make_order, make_keeper, escrow, chain):
    order = make_order(stage="shipped")
    review_end = escrow.deadlines(order, 1)[2]
    keeper = make_keeper()
    chain.pending_timestamp = review_end
    assert keeper.run_round().attempts == []  # release needs now > review end
    assert escrow.get_lot(order, 1).status == LOT["SHIPPED"]
    chain.pending_timestamp = review_end + 1
    (attempt,) = keeper.run_round().attempts
    assert (attempt.action.function, attempt.status) == ("release", "sent")
    assert escrow.get_lot(order, 1).status == LOT["COMPLETED"]


def test_round__gas_budget__defers_what_does_not_fit_to_later_rounds(due_story, make_keeper, make_sync):
    probe = make_keeper(name="probe")
    probe.sync.sync()
    limits = [int(probe.estimate(a) * probe.gas_margin) for a in probe.sync.ledger.due(probe.pending_time())]
    budget = max(limits)  # room for any one settlement, never for two
    assert budget < 2 * min(limits) * 5 / 6
    keeper = make_keeper(max_gas=budget)
    reports = [keeper.run_round() for _ in range(4)]
    assert [r.sent for r in reports] == [1, 1, 1, 0]
    assert [r.deferred for r in reports] == [2, 1, 0, 0]
    assert all(r.gas_used <= budget for r in reports)
    assert sum(settlements(make_sync, "audit").values()) == 3


def test_round__killed_mid_round__a_restart_finishes_the_job_once(due_story, make_keeper, make_sync):
    class Killed(Exception):
        pass

    def die_after_first(attempt: Attempt) -> None:
        if attempt.status == "sent":
            raise Killed()

    with pytest.raises(Killed):
        make_keeper(on_attempt=die_after_first).run_round()
    assert sum(settlements(make_sync, "after-crash").values()) == 1

    restarted = make_keeper().run_round()  # same ledger file, same account
    assert [a.status for a in restarted.attempts] == ["sent", "sent"]
    assert set(settlements(make_sync, "audit").values()) == {1} and len(settlements(make_sync, "audit2")) == 3


def test_two_keepers__the_second_finds_nothing_to_send(due_story, make_keeper, stranger, inspector, chain):
    first, second = make_keeper(sender=stranger, name="k1"), make_keeper(sender=inspector, name="k2")
    second.sync.sync()  # both have seen the same three due items
    assert len(first.run_round().attempts) == 3
    balance = inspector.balance
    second.sync.confirmations = 10_000  # its ledger stays where it was: all three look due
    late = second.run_round()
    assert [a.status for a in late.attempts] == ["skipped"] * 3
    assert [a.reason for a in late.attempts] == [
        "escrow: lot not shipped", "escrow: nothing to refund", "escrow: lot not disputed",
    ]  # fmt: skip
    assert inspector.balance == balance  # nothing sent, no gas spent


def test_two_keepers__a_lost_race_wastes_one_failed_transaction_never_money(
    due_story, make_keeper, escrow, buyer, supplier, stranger, inspector, chain, monkeypatch
):
    s = due_story
    first, second = make_keeper(sender=stranger, name="k1"), make_keeper(sender=inspector, name="k2")
    second.sync.sync()
    first.run_round()
    second.sync.confirmations = 10_000  # plans from the state before `first` settled
    monkeypatch.setattr(second, "precheck", lambda action: None)  # its static call raced and passed
    monkeypatch.setattr(second, "estimate", lambda action: 150_000)
    escrow_balance = chain.provider.get_balance(escrow.address)
    parties = {a.address: a.balance for a in (buyer, supplier, stranger)}
    spent_before = inspector.balance
    lost = second.run_round()
    assert [a.status for a in lost.attempts] == ["failed"] * 3
    assert all(a.gas_used > 0 for a in lost.attempts)
    assert chain.provider.get_balance(escrow.address) == escrow_balance
    assert {a.address: a.balance for a in (buyer, supplier, stranger)} == parties
    assert inspector.balance < spent_before  # the loser paid gas, and only gas
    assert escrow.get_order(s["b"]).units_refunded == 300  # refunded once, by `first`

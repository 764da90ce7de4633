"""resolve_expired: anyone splits a dispute 50/50 once the arbiter let the timeout pass."""

import ape
import pytest

from conftest import DAY, STATUS
from _escrow_support import ALL_STAGES, ARBITRATION_DEFAULT, expected_payout, own_events
from _escrow_support import session_state_first, staged  # noqa: F401  (fixtures)

AMOUNT = 123_456_789_011  # odd: the buyer's half carries the rounding


def test_resolve_expired__after_timeout__splits_half_and_half(
    escrow, make_order, money, buyer, supplier, sub1, stranger, chain
):
    payees = [(sub1, 2_000)]
    order_id = make_order(money=money, amount=AMOUNT, payees=payees, stage="disputed")
    arbitration_ends = escrow.deadlines(order_id)[2]
    before = {a.address: money.balance(a) for a in (buyer, supplier, sub1)}
    escrow_before = money.balance(escrow)

    chain.pending_timestamp = arbitration_ends + 1
    tx = escrow.resolve_expired(order_id, sender=stranger)

    half = AMOUNT * 5_000 // 10_000
    assert (half, AMOUNT - half) == (61_728_394_505, 61_728_394_506)
    assert own_events(tx, escrow) == [
        escrow.DisputeResolved(order_id=order_id, supplier_bps=5_000),
        *expected_payout(escrow, order_id, money.address, supplier, half, payees),
        escrow.Paid(order_id=order_id, payee=buyer.address, token=money.address, amount=AMOUNT - half),
    ]
    assert money.balance(sub1) - before[sub1.address] == half * 2_000 // 10_000
    assert money.balance(supplier) - before[supplier.address] == half - half * 2_000 // 10_000
    assert money.balance(buyer) - before[buyer.address] == AMOUNT - half
    assert escrow_before - money.balance(escrow) == AMOUNT
    assert escrow.status(order_id) == STATUS["RESOLVED"]


def test_resolve_expired__timeout_to_the_second__at_reverts_after_allowed(escrow, make_order, stranger, chain):
    order_id = make_order(stage="disputed")
    disputed_at = chain.blocks.head.timestamp
    arbitration_ends = escrow.deadlines(order_id)[2]
    assert arbitration_ends == disputed_at + ARBITRATION_DEFAULT
    chain.pending_timestamp = arbitration_ends
    with ape.reverts("escrow: arbitration running"):
        escrow.resolve_expired(order_id, sender=stranger)
    assert escrow.status(order_id) == STATUS["DISPUTED"]
    assert escrow.balance == 10**18
    chain.pending_timestamp = arbitration_ends + 1
    escrow.resolve_expired(order_id, sender=stranger)
    assert escrow.status(order_id) == STATUS["RESOLVED"]


def test_resolve_expired__timeout_changed_by_admin__new_timeout_applies(escrow, make_order, admin, stranger, chain):
    order_id = make_order(stage="disputed")
    disputed_at = chain.blocks.head.timestamp
    escrow.set_arbitration_timeout(2 * DAY, sender=admin)
    assert escrow.deadlines(order_id)[2] == disputed_at + 2 * DAY
    chain.pending_timestamp = disputed_at + 2 * DAY
    with ape.reverts("escrow: arbitration running"):
        escrow.resolve_expired(order_id, sender=stranger)
    chain.pending_timestamp = disputed_at + 2 * DAY + 1
    escrow.resolve_expired(order_id, sender=stranger)
    assert escrow.status(order_id) == STATUS["RESOLVED"]


@pytest.mark.parametrize("caller", ["buyer", "supplier", "inspector", "arbiter"])
def test_resolve_expired__any_caller__allowed(escrow, make_order, request, caller, chain):
    order_id = make_order(stage="disputed")
    chain.pending_timestamp = escrow.deadlines(order_id)[2] + 1
    escrow.resolve_expired(order_id, sender=request.getfixturevalue(caller))
    assert escrow.status(order_id) == STATUS["RESOLVED"]
    assert escrow.balance == 0


class TestRefused:
    """Wrong statuses, on orders built once for the class (see `staged`)."""

    @pytest.mark.parametrize("stage", [s for s in ALL_STAGES if s != "disputed"])
    def test_resolve_expired__not_disputed__reverts(self, escrow, staged, stranger, chain, stage):
        order_id = staged[stage]
        chain.pending_timestamp = chain.pending_timestamp + 400 * DAY  # every clock has run out
        balance = escrow.balance
        with ape.reverts("escrow: not disputed"):
            escrow.resolve_expired(order_id, sender=stranger)
        assert escrow.status(order_id) == STATUS[stage.upper()]
        assert escrow.balance == balance


def test_resolve_expired__unknown_order__reverts(escrow, stranger):
    with ape.reverts("escrow: unknown order"):
        escrow.resolve_expired(2, sender=stranger)

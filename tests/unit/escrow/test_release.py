"""release: the buyer's silence pays the supplier once the review period is over."""

import ape
import pytest

from conftest import DAY, STATUS
from _escrow_support import ALL_STAGES, expected_payout, own_events, split
from _escrow_support import session_state_first, staged  # noqa: F401  (fixtures)

AMOUNT = 777_777_777


@pytest.mark.parametrize("caller", ["stranger", "supplier", "buyer"])
def test_release__after_review_period__pays_out_exactly(escrow, make_order, money, supplier, sub1, sub2, request, caller, chain):
    payees = [(sub1, 2_500), (sub2, 1)]
    order_id = make_order(money=money, amount=AMOUNT, payees=payees, stage="shipped", review_period=2 * DAY)
    review_ends = escrow.get_order(order_id).shipped_at + 2 * DAY
    assert escrow.deadlines(order_id)[1] == review_ends
    before = {a.address: money.balance(a) for a in (supplier, sub1, sub2)}
    escrow_before = money.balance(escrow)

    chain.pending_timestamp = review_ends + 1
    tx = escrow.release(order_id, sender=request.getfixturevalue(caller))

    assert own_events(tx, escrow) == [
        escrow.OrderReleased(order_id=order_id),
        *expected_payout(escrow, order_id, money.address, supplier, AMOUNT, payees),
    ]
    (s1, s2), rest = split(AMOUNT, payees)
    assert money.balance(sub1) - before[sub1.address] == s1
    assert money.balance(sub2) - before[sub2.address] == s2
    if caller != "supplier" or money.token is not None:
        assert money.balance(supplier) - before[supplier.address] == rest
    else:
        assert money.balance(supplier) - before[supplier.address] == rest - tx.total_fees_paid
    assert escrow_before - money.balance(escrow) == AMOUNT
    assert escrow.status(order_id) == STATUS["COMPLETED"]


def test_release__review_end_to_the_second__at_reverts_after_allowed(escrow, make_order, stranger, chain):
    order_id = make_order(stage="shipped", review_period=1)
    review_ends = escrow.get_order(order_id).shipped_at + 1
    chain.pending_timestamp = review_ends
    with ape.reverts("escrow: review period running"):
        escrow.release(order_id, sender=stranger)
    assert escrow.status(order_id) == STATUS["SHIPPED"]
    assert escrow.balance == 10**18
    chain.pending_timestamp = review_ends + 1
    escrow.release(order_id, sender=stranger)
    assert escrow.status(order_id) == STATUS["COMPLETED"]


def test_release__longest_review_period__counted_in_full(escrow, make_order, stranger, chain):
    order_id = make_order(stage="shipped", review_period=90 * DAY, ship_in=DAY)
    review_ends = escrow.get_order(order_id).shipped_at + 90 * DAY
    chain.pending_timestamp = review_ends
    with ape.reverts("escrow: review period running"):
        escrow.release(order_id, sender=stranger)
    chain.pending_timestamp = review_ends + 1
    escrow.release(order_id, sender=stranger)
    assert escrow.status(order_id) == STATUS["COMPLETED"]


class TestRefused:
    """Wrong statuses, on orders built once for the class (see `staged`)."""

    @pytest.mark.parametrize("stage", [s for s in ALL_STAGES if s != "shipped"])
    def test_release__not_shipped__reverts(self, escrow, staged, stranger, chain, stage):
        order_id = staged[stage]
        chain.pending_timestamp = chain.pending_timestamp + 200 * DAY  # every clock has run out
        balance = escrow.balance
        with ape.reverts("escrow: not shipped"):
            escrow.release(order_id, sender=stranger)
        assert escrow.status(order_id) == STATUS[stage.upper()]
        assert escrow.balance == balance


def test_release__twice__second_reverts(escrow, make_order, stranger, chain):
    order_id = make_order(stage="shipped", review_period=DAY)
    chain.pending_timestamp = escrow.deadlines(order_id)[1] + 1
    escrow.release(order_id, sender=stranger)
    with ape.reverts("escrow: not shipped"):
        escrow.release(order_id, sender=stranger)
    assert escrow.balance == 0


def test_release__unknown_order__reverts(escrow, stranger):
    with ape.reverts("escrow: unknown order"):
        escrow.release(1, sender=stranger)

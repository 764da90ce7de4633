"""dispute: the buyer or the inspector stops payout during the review period."""

import ape
import pytest

from conftest import DAY, STATUS, h
from _escrow_support import ALL_STAGES, ARBITRATION_DEFAULT, own_events
from _escrow_support import session_state_first, staged  # noqa: F401  (fixtures)


@pytest.mark.parametrize("disputer", ["buyer", "inspector"])
def test_dispute__by_buyer_or_inspector__starts_arbitration(escrow, make_order, request, disputer, chain):
    order_id = make_order(stage="shipped")
    t = chain.pending_timestamp + 600
    chain.pending_timestamp = t
    balance = escrow.balance

    tx = escrow.dispute(order_id, h("scratches on 40 of 1000"), sender=request.getfixturevalue(disputer))

    assert own_events(tx, escrow) == [escrow.OrderDisputed(order_id=order_id, reason_hash=h("scratches on 40 of 1000"))]
    order = escrow.get_order(order_id)
    assert order.status == STATUS["DISPUTED"]
    assert escrow.deadlines(order_id) == (order.ship_by, order.shipped_at + order.review_period, t + ARBITRATION_DEFAULT)
    assert escrow.balance == balance  # a dispute moves no money


def test_dispute__review_end_to_the_second__at_allowed_after_reverts(escrow, make_order, buyer, chain):
    order_id = make_order(stage="shipped", review_period=DAY)
    review_ends = escrow.get_order(order_id).shipped_at + DAY
    with chain.isolate():
        chain.pending_timestamp = review_ends + 1
        with ape.reverts("escrow: review period over"):
            escrow.dispute(order_id, h("late"), sender=buyer)
        assert escrow.status(order_id) == STATUS["SHIPPED"]
    chain.pending_timestamp = review_ends
    escrow.dispute(order_id, h("just in time"), sender=buyer)
    assert escrow.status(order_id) == STATUS["DISPUTED"]


def test_dispute__no_inspector_named__inspector_reverts(escrow, make_order, inspector):
    order_id = make_order(stage="shipped", order_inspector=None)
    with ape.reverts("escrow: not buyer or inspector"):
        escrow.dispute(order_id, h("x"), sender=inspector)


class TestRefused:
    """Wrong callers and wrong statuses, on orders built once for the class (see `staged`)."""

    @pytest.mark.parametrize("caller", ["supplier", "stranger", "sub1", "arbiter", "admin"])
    def test_dispute__by_other__reverts(self, escrow, staged, request, caller):
        order_id = staged["shipped"]
        balance = escrow.balance
        with ape.reverts("escrow: not buyer or inspector"):
            escrow.dispute(order_id, h("x"), sender=request.getfixturevalue(caller))
        assert escrow.status(order_id) == STATUS["SHIPPED"]
        assert escrow.balance == balance

    @pytest.mark.parametrize("stage", [s for s in ALL_STAGES if s != "shipped"])
    def test_dispute__not_shipped__reverts(self, escrow, staged, buyer, stage):
        order_id = staged[stage]
        deadlines = escrow.deadlines(order_id)
        with ape.reverts("escrow: not shipped"):
            escrow.dispute(order_id, h("x"), sender=buyer)
        assert escrow.status(order_id) == STATUS[stage.upper()]
        assert escrow.deadlines(order_id) == deadlines


def test_dispute__unknown_order__reverts(escrow, buyer):
    with ape.reverts("escrow: unknown order"):
        escrow.dispute(5, h("x"), sender=buyer)

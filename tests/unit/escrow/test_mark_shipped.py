"""mark_shipped: the supplier records shipment, on or before the ship-by date."""

import ape
import pytest

from conftest import DAY, STATUS, h
from _escrow_support import ALL_STAGES, own_events
from _escrow_support import session_state_first, staged  # noqa: F401  (fixtures)


def test_mark_shipped__by_supplier__records_time_and_starts_review(escrow, make_order, supplier, chain):
    order_id = make_order(stage="accepted", review_period=2 * DAY)
    t = chain.pending_timestamp + 3_600
    chain.pending_timestamp = t
    balance = escrow.balance

    tx = escrow.mark_shipped(order_id, h("ASN-77"), sender=supplier)

    assert own_events(tx, escrow) == [escrow.OrderShipped(order_id=order_id, shipment_hash=h("ASN-77"))]
    order = escrow.get_order(order_id)
    assert order.status == STATUS["SHIPPED"]
    assert order.shipped_at == t
    assert escrow.deadlines(order_id) == (order.ship_by, t + 2 * DAY, 0)
    assert escrow.balance == balance  # shipping moves no money


def test_mark_shipped__ship_by_to_the_second__at_allowed_after_reverts(escrow, make_order, supplier, chain):
    order_id = make_order(stage="accepted", ship_in=DAY)
    ship_by = escrow.get_order(order_id).ship_by
    with chain.isolate():
        chain.pending_timestamp = ship_by + 1
        with ape.reverts("escrow: ship-by passed"):
            escrow.mark_shipped(order_id, h("ASN"), sender=supplier)
        assert escrow.status(order_id) == STATUS["ACCEPTED"]
    chain.pending_timestamp = ship_by
    escrow.mark_shipped(order_id, h("ASN"), sender=supplier)
    assert escrow.get_order(order_id).shipped_at == ship_by


class TestRefused:
    """Wrong callers and wrong statuses, on orders built once for the class (see `staged`)."""

    @pytest.mark.parametrize("caller", ["buyer", "inspector", "stranger", "sub1", "arbiter"])
    def test_mark_shipped__by_other_than_supplier__reverts(self, escrow, staged, request, caller):
        order_id = staged["accepted"]
        balance = escrow.balance
        with ape.reverts("escrow: not supplier"):
            escrow.mark_shipped(order_id, h("ASN"), sender=request.getfixturevalue(caller))
        assert escrow.status(order_id) == STATUS["ACCEPTED"]
        assert escrow.balance == balance

    @pytest.mark.parametrize("stage", [s for s in ALL_STAGES if s != "accepted"])
    def test_mark_shipped__not_accepted__reverts(self, escrow, staged, supplier, stage):
        order_id = staged[stage]
        shipped_at = escrow.get_order(order_id).shipped_at
        with ape.reverts("escrow: not accepted"):
            escrow.mark_shipped(order_id, h("ASN-again"), sender=supplier)
        assert escrow.status(order_id) == STATUS[stage.upper()]
        assert escrow.get_order(order_id).shipped_at == shipped_at


def test_mark_shipped__unknown_order__reverts(escrow, supplier):
    with ape.reverts("escrow: unknown order"):
        escrow.mark_shipped(1, h("ASN"), sender=supplier)

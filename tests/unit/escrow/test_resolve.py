"""resolve: the arbiter splits a disputed order between the supplier side and the buyer."""

import ape
import pytest

from conftest import DAY, STATUS
from _escrow_support import ALL_STAGES, expected_payout, own_events, split
from _escrow_support import session_state_first, staged  # noqa: F401  (fixtures)

AMOUNT = 999_999_999_999


def expected_resolution(escrow, order_id, token, buyer, supplier, payees, bps):
    supplier_side = AMOUNT * bps // 10_000
    events = [escrow.DisputeResolved(order_id=order_id, supplier_bps=bps)]
    events += expected_payout(escrow, order_id, token, supplier, supplier_side, payees)
    if AMOUNT - supplier_side:
        events.append(escrow.Paid(order_id=order_id, payee=buyer.address, token=token, amount=AMOUNT - supplier_side))
    return events, supplier_side


@pytest.mark.parametrize("bps", [0, 1, 3_333, 5_000, 9_999, 10_000])
def test_resolve__by_arbiter__splits_exactly(escrow, make_order, eth, arbiter, buyer, supplier, sub1, sub2, bps):
    payees = [(sub1, 1_000), (sub2, 2_345)]
    order_id = make_order(money=eth, amount=AMOUNT, payees=payees, stage="disputed")
    before = {a.address: a.balance for a in (buyer, supplier, sub1, sub2)}

    tx = escrow.resolve(order_id, bps, sender=arbiter)

    events, supplier_side = expected_resolution(escrow, order_id, eth.address, buyer, supplier, payees, bps)
    assert own_events(tx, escrow) == events
    (s1, s2), rest = split(supplier_side, payees)
    assert sub1.balance - before[sub1.address] == s1
    assert sub2.balance - before[sub2.address] == s2
    assert supplier.balance - before[supplier.address] == rest
    assert buyer.balance - before[buyer.address] == AMOUNT - supplier_side
    assert escrow.balance == 0
    assert escrow.status(order_id) == STATUS["RESOLVED"]


def test_resolve__each_money__pays_both_sides(escrow, make_order, money, arbiter, buyer, supplier, sub1):
    payees = [(sub1, 4_000)]
    order_id = make_order(money=money, amount=AMOUNT, payees=payees, stage="disputed")
    before = {a.address: money.balance(a) for a in (buyer, supplier, sub1)}
    escrow_before = money.balance(escrow)

    tx = escrow.resolve(order_id, 7_000, sender=arbiter)

    events, supplier_side = expected_resolution(escrow, order_id, money.address, buyer, supplier, payees, 7_000)
    assert own_events(tx, escrow) == events
    (s1,), rest = split(supplier_side, payees)
    assert money.balance(sub1) - before[sub1.address] == s1
    assert money.balance(supplier) - before[supplier.address] == rest
    assert money.balance(buyer) - before[buyer.address] == AMOUNT - supplier_side
    assert escrow_before - money.balance(escrow) == AMOUNT


def test_resolve__after_arbitration_timeout__arbiter_still_may(escrow, make_order, arbiter, chain):
    order_id = make_order(stage="disputed")
    chain.pending_timestamp = escrow.deadlines(order_id)[2] + 10 * DAY
    escrow.resolve(order_id, 2_000, sender=arbiter)
    assert escrow.status(order_id) == STATUS["RESOLVED"]


@pytest.mark.parametrize("bps", [10_001, 65_535])
def test_resolve__bps_above_10000__reverts(escrow, make_order, arbiter, bps):
    order_id = make_order(stage="disputed")
    with ape.reverts("escrow: bps above 10000"):
        escrow.resolve(order_id, bps, sender=arbiter)
    assert escrow.status(order_id) == STATUS["DISPUTED"]
    assert escrow.balance == 10**18


def test_resolve__arbiter_role_revoked__reverts(escrow, make_order, admin, arbiter):
    order_id = make_order(stage="disputed")
    escrow.revokeRole(escrow.ARBITER_ROLE(), arbiter, sender=admin)
    with ape.reverts("access_control: account is missing role"):
        escrow.resolve(order_id, 5_000, sender=arbiter)


def test_resolve__newly_granted_arbiter__may_resolve(escrow, make_order, admin, stranger):
    order_id = make_order(stage="disputed")
    escrow.grantRole(escrow.ARBITER_ROLE(), stranger, sender=admin)
    escrow.resolve(order_id, 5_000, sender=stranger)
    assert escrow.status(order_id) == STATUS["RESOLVED"]


class TestRefused:
    """Wrong callers and wrong statuses, on orders built once for the class (see `staged`)."""

    @pytest.mark.parametrize("caller", ["buyer", "supplier", "inspector", "stranger", "admin"])
    def test_resolve__by_non_arbiter__reverts(self, escrow, staged, request, caller):
        order_id = staged["disputed"]
        balance = escrow.balance
        with ape.reverts("access_control: account is missing role"):
            escrow.resolve(order_id, 5_000, sender=request.getfixturevalue(caller))
        assert escrow.status(order_id) == STATUS["DISPUTED"]
        assert escrow.balance == balance

    @pytest.mark.parametrize("stage", [s for s in ALL_STAGES if s != "disputed"])
    def test_resolve__not_disputed__reverts(self, escrow, staged, arbiter, stage):
        order_id = staged[stage]
        balance = escrow.balance
        with ape.reverts("escrow: not disputed"):
            escrow.resolve(order_id, 5_000, sender=arbiter)
        assert escrow.status(order_id) == STATUS[stage.upper()]
        assert escrow.balance == balance


def test_resolve__unknown_order__reverts(escrow, arbiter):
    with ape.reverts("escrow: unknown order"):
        escrow.resolve(1, 5_000, sender=arbiter)
